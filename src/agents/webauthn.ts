/**
 * WebAuthn passkeys and security keys as a second factor (@simplewebauthn/server): registration
 * of several authenticators per agent, authentication that completes a sign-in or unlocks a
 * session, user verification required, and the signature counter checked (a counter that does
 * not grow means a cloned authenticator: refused and recorded).
 *
 * The challenge of a ceremony lives on the session row for five minutes and is consumed by the
 * first answer, right or wrong, in the same transaction that checks it: an answer cannot be
 * replayed, and two racing answers cannot both use one challenge.
 */
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Database, Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { AttemptCounter } from '../platform/rate-limit.js';
import { deviceOfCredential } from './devices.js';
import { AgentErrors } from './errors.js';
import type { IssuedSession, Session } from './sessions.js';
import type { SecuritySettings } from './settings.js';

export interface RelyingParty {
  /** The domain credentials are scoped to (`localhost` for a loopback address: WebAuthn refuses IPs). */
  readonly id: string;
  readonly name: string;
  /** Origins the browser may report (scheme, host and port). */
  readonly origins: readonly string[];
}

/** The relying party of a public URL: its host, or `localhost` (and its origin) for a loopback IP. */
export function relyingPartyOf(publicUrl: string, name = 'Custodia'): RelyingParty {
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '127.0.0.1' || host === '::1' || host === 'localhost') {
    const port = url.port === '' ? '' : `:${url.port}`;
    return { id: 'localhost', name, origins: [...new Set([url.origin, `${url.protocol}//localhost${port}`])] };
  }
  return { id: host, name, origins: [url.origin] };
}

const CHALLENGE_MS = 5 * 60_000;

/** The passkey a proof was made with, and the device it is registered as (devices.ts), if any. */
export interface Passkey {
  readonly credentialId: string;
  readonly deviceId: string | undefined;
}

interface Deps {
  readonly db: Database;
  readonly clock: Clock;
  readonly relyingParty: () => RelyingParty;
  readonly attempts: AttemptCounter;
  readonly factorKey: (tenantId: string, agentId: string) => string;
  readonly mayEnroll: (tx: Tx, session: Session) => Promise<void>;
  readonly factorsOf: (tx: Tx, agentId: string) => Promise<string[]>;
  readonly issueRecoveryCodes: (tx: Tx, agentId: string) => Promise<string[]>;
  readonly elevate: (tx: Tx, session: Session, settings: SecuritySettings, client: { ip?: string | undefined; userAgent?: string | undefined }, passkey?: Passkey) => Promise<IssuedSession>;
  /** Reserves one attempt of the agent's second-factor throttle (auth-service.ts); returns its number. */
  readonly reserve: (session: Session, settings: SecuritySettings) => Promise<number>;
  readonly fail: (session: Session, settings: SecuritySettings, reason: string, attempt: number) => Promise<never>;
  readonly settingsOf: (tenantId: string) => Promise<SecuritySettings>;
  readonly unlock: (tx: Tx, session: Session, passkey: Passkey) => Promise<void>;
  readonly published: (tenantId: string, sessionIds: string[]) => Promise<void>;
  /** After commit: announces what an elevation raised (alerts). */
  readonly announce: (issued: IssuedSession | null) => Promise<void>;
}

export function webAuthnFactors(deps: Deps) {
  const { db, clock } = deps;

  async function saveChallenge(tx: Tx, session: Session, challenge: string, purpose: 'register' | 'authenticate'): Promise<void> {
    await tx
      .updateTable('agent_sessions')
      .set({ challenge, challenge_purpose: purpose, challenge_expires_at: new Date(clock.now().getTime() + CHALLENGE_MS) })
      .where('id', '=', session.id)
      .execute();
  }

  /** The pending challenge for `purpose`, consumed (any pending challenge is cleared); undefined when none or expired. */
  async function takeChallenge(tx: Tx, session: Session, purpose: 'register' | 'authenticate'): Promise<string | undefined> {
    const row = await tx.selectFrom('agent_sessions').select(['challenge', 'challenge_purpose', 'challenge_expires_at']).where('id', '=', session.id).forUpdate().executeTakeFirst();
    await tx.updateTable('agent_sessions').set({ challenge: null, challenge_purpose: null, challenge_expires_at: null }).where('id', '=', session.id).execute();
    if (row === undefined || row.challenge === null || row.challenge_purpose !== purpose || row.challenge_expires_at === null || row.challenge_expires_at <= clock.now()) return undefined;
    return row.challenge;
  }

  return {
    async registrationOptions(session: Session): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const rp = deps.relyingParty();
      return db.withTenant(
        session.tenantId,
        async (tx) => {
          await deps.mayEnroll(tx, session);
          const agent = await tx.selectFrom('agents').select(['email', 'display_name']).where('id', '=', session.agentId).executeTakeFirstOrThrow();
          const existing = await tx.selectFrom('agent_webauthn_credentials').select(['credential_id', 'transports']).where('agent_id', '=', session.agentId).execute();
          const options = await generateRegistrationOptions({
            rpName: rp.name,
            rpID: rp.id,
            userName: agent.email,
            userDisplayName: agent.display_name,
            userID: Buffer.from(session.agentId.replace(/-/g, ''), 'hex'),
            attestationType: 'none',
            excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports })),
            authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
          });
          await saveChallenge(tx, session, options.challenge, 'register');
          return options;
        },
        { identity: true },
      );
    },

    async register(session: Session, input: { response: RegistrationResponseJSON; name: string; ip?: string | undefined; userAgent?: string | undefined }): Promise<{ session: IssuedSession | null; recoveryCodes: string[] | null; id: string }> {
      const rp = deps.relyingParty();
      const settings = await deps.settingsOf(session.tenantId);
      const attempt = await deps.reserve(session, settings);
      const outcome = await db.withTenant(
        session.tenantId,
        async (tx) => {
          await deps.mayEnroll(tx, session);
          const challenge = await takeChallenge(tx, session, 'register');
          if (challenge === undefined) return { ok: false as const, reason: 'no_challenge' };
          let verified;
          try {
            verified = await verifyRegistrationResponse({ response: input.response, expectedChallenge: challenge, expectedOrigin: [...rp.origins], expectedRPID: rp.id, requireUserVerification: true });
          } catch {
            return { ok: false as const, reason: 'invalid' };
          }
          if (!verified.verified) return { ok: false as const, reason: 'invalid' };
          const info = verified.registrationInfo;
          const taken = await tx.selectFrom('agent_webauthn_credentials').select('id').where('credential_id', '=', info.credential.id).executeTakeFirst();
          if (taken !== undefined) throw new AppError(AgentErrors.factor_conflict);
          const now = clock.now();
          const first = (await deps.factorsOf(tx, session.agentId)).length === 0;
          const id = newId();
          await tx
            .insertInto('agent_webauthn_credentials')
            .values({
              id,
              agent_id: session.agentId,
              credential_id: info.credential.id,
              public_key: Buffer.from(info.credential.publicKey),
              sign_count: info.credential.counter,
              transports: info.credential.transports ?? [],
              name: input.name,
              device_type: info.credentialDeviceType,
              backed_up: info.credentialBackedUp,
              created_at: now,
              last_used_at: null,
            })
            .execute();
          await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.factor.enroll', targets: { agent: session.agentId, factor: id }, details: { kind: 'webauthn', deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp } }, now);
          const recoveryCodes = first ? await deps.issueRecoveryCodes(tx, session.agentId) : null;
          const issued = session.factor === 'password' ? await deps.elevate(tx, session, settings, input) : null;
          return { ok: true as const, issued, recoveryCodes, id };
        },
        { identity: true },
      );
      if (!outcome.ok) return deps.fail(session, settings, outcome.reason, attempt);
      await deps.attempts.reset(deps.factorKey(session.tenantId, session.agentId));
      await deps.announce(outcome.issued);
      if (outcome.issued !== null) await deps.published(session.tenantId, [session.id]);
      return { session: outcome.issued, recoveryCodes: outcome.recoveryCodes, id: outcome.id };
    },

    async authenticationOptions(session: Session): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const rp = deps.relyingParty();
      return db.withTenant(
        session.tenantId,
        async (tx) => {
          const credentials = await tx.selectFrom('agent_webauthn_credentials').select(['credential_id', 'transports']).where('agent_id', '=', session.agentId).execute();
          if (credentials.length === 0) throw new AppError(AgentErrors.invalid_second_factor, { detail: 'No security key or passkey is registered' });
          const options = await generateAuthenticationOptions({ rpID: rp.id, allowCredentials: credentials.map((c) => ({ id: c.credential_id, transports: c.transports as never })), userVerification: 'required' });
          await saveChallenge(tx, session, options.challenge, 'authenticate');
          return options;
        },
        { identity: true },
      );
    },

    /** Completes a sign-in (new session) or unlocks a locked session. */
    async authenticate(session: Session, input: { response: AuthenticationResponseJSON; ip?: string | undefined; userAgent?: string | undefined }): Promise<{ session: IssuedSession | null; unlocked: boolean }> {
      const rp = deps.relyingParty();
      const settings = await deps.settingsOf(session.tenantId);
      const attempt = await deps.reserve(session, settings);
      const outcome = await db.withTenant(
        session.tenantId,
        async (tx) => {
          const challenge = await takeChallenge(tx, session, 'authenticate');
          if (challenge === undefined) return { ok: false as const, reason: 'no_challenge' };
          const credential = await tx
            .selectFrom('agent_webauthn_credentials')
            .selectAll()
            .where('agent_id', '=', session.agentId)
            .where('credential_id', '=', typeof input.response.id === 'string' ? input.response.id : '')
            .forUpdate()
            .executeTakeFirst();
          if (credential === undefined) return { ok: false as const, reason: 'unknown_credential' };
          const stored = Number(credential.sign_count);
          let verified;
          try {
            verified = await verifyAuthenticationResponse({
              response: input.response,
              expectedChallenge: challenge,
              expectedOrigin: [...rp.origins],
              expectedRPID: rp.id,
              credential: { id: credential.credential_id, publicKey: new Uint8Array(credential.public_key), counter: stored, transports: credential.transports as never },
              requireUserVerification: true,
            });
          } catch (error) {
            // The library refuses a counter that did not grow: the sign of a cloned authenticator.
            return { ok: false as const, reason: /counter/i.test((error as Error).message) ? 'counter_not_increased' : 'invalid' };
          }
          if (!verified.verified) return { ok: false as const, reason: 'invalid' };
          const now = clock.now();
          await tx.updateTable('agent_webauthn_credentials').set({ sign_count: verified.authenticationInfo.newCounter, last_used_at: now }).where('id', '=', credential.id).execute();
          const passkey: Passkey = { credentialId: credential.id, deviceId: await deviceOfCredential(tx, session.agentId, credential.credential_id) };
          if (session.factor === 'password') return { ok: true as const, issued: await deps.elevate(tx, session, settings, input, passkey), unlocked: false };
          if (session.lockedAt !== null) {
            await deps.unlock(tx, session, passkey);
            return { ok: true as const, issued: null, unlocked: true };
          }
          return { ok: true as const, issued: null, unlocked: false };
        },
        { identity: true },
      );
      if (!outcome.ok) {
        // The consumed challenge must stay consumed: it was cleared in a transaction that
        // committed (returning, not throwing, above); the failure is recorded by `fail`.
        return deps.fail(session, settings, outcome.reason, attempt);
      }
      await deps.attempts.reset(deps.factorKey(session.tenantId, session.agentId));
      await deps.announce(outcome.issued);
      await deps.published(session.tenantId, [session.id]);
      return { session: outcome.issued, unlocked: outcome.unlocked };
    },

    async remove(session: Session, id: string): Promise<void> {
      await db.withTenant(
        session.tenantId,
        async (tx) => {
          const factors = await deps.factorsOf(tx, session.agentId);
          const count = await tx.selectFrom('agent_webauthn_credentials').select((eb) => eb.fn.countAll<string>().as('n')).where('agent_id', '=', session.agentId).executeTakeFirstOrThrow();
          // The last second factor cannot go: the agent would be left with a password alone.
          const others = factors.filter((f) => f !== 'webauthn' && f !== 'recovery').length + Number(count.n) - 1;
          const deleted = await tx.deleteFrom('agent_webauthn_credentials').where('id', '=', id).where('agent_id', '=', session.agentId).executeTakeFirst();
          if (Number(deleted.numDeletedRows) === 0) throw new AppError(AgentErrors.factor_not_found);
          if (others < 1) throw new AppError(AgentErrors.last_factor);
          await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.factor.remove', targets: { agent: session.agentId, factor: id }, details: { kind: 'webauthn' } }, clock.now());
        },
        { identity: true },
      );
    },
  };
}

export type WebAuthnFactors = ReturnType<typeof webAuthnFactors>;
