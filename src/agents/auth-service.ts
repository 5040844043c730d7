/**
 * Signing in: invitation acceptance, password, second factor (TOTP, recovery codes), factor
 * enrollment, unlock and sign-out. The rules, not the HTTP: routes call these, and so can a CLI.
 *
 * - Uniform failure: an unknown contact center, an unknown address and a wrong password give the
 *   same error after the same work (one Argon2id verification; `dummyVerify` when there is no
 *   hash to check), and count against the same throttle key.
 * - Throttling: failures per account (tenant + address, whether or not it exists) back off
 *   exponentially after the tenant's threshold; attempts per source address are rate-limited.
 *   Counters live in Redis when configured, so every process sees them.
 * - Second factor is mandatory: a password alone gives a session that can only enroll or
 *   present a second factor. Presenting it replaces the session with a new one (new token, new
 *   CSRF token): whatever token someone planted before sign-in is worthless after it.
 * - Everything that happens is recorded in the ledger, in the transaction that does it.
 */
import type { Database, DeviceStatus, SessionFactor, Tx } from '../db/index.js';
import { isUniqueViolation } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import { type AttemptCounter, exponentialBackoffMs } from '../platform/rate-limit.js';
import type { SmsSender } from '../channels/index.js';
import type { KeyProvider } from '../vault/index.js';
import { announceAlert, type RaisedAlert, raiseAlert } from './alerts.js';
import { checkDeviceProof, consumeDeviceProof, type DeviceProof, type ProvenDevice, recordSignInDevice, recordSignInNetwork } from './devices.js';
import { AgentErrors, tooManyAttempts as tooMany } from './errors.js';
import { tenantOfInvitationToken } from './invitations.js';
import { compileNetworks, networkOf } from './networks.js';
import { checkPassword, dummyVerify, hashPassword, type PasswordParams, verifyPassword } from './password.js';
import { hashRecoveryCode, matchRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import type { Role } from './roles.js';
import type { IssuedSession, Session, SessionService } from './sessions.js';
import { DEFAULT_SECURITY_SETTINGS, loadSecuritySettings, type SecuritySettings } from './settings.js';
import { type SentCode, smsFactor } from './sms-factor.js';
import { newTotpSecret, totpQrSvg, totpUri, verifyTotp } from './totp.js';
import { type Passkey, type RelyingParty, type WebAuthnFactors, webAuthnFactors } from './webauthn.js';

export interface AuthServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly sessions: SessionService;
  readonly attempts: AttemptCounter;
  readonly keyProvider: KeyProvider;
  readonly passwordParams: PasswordParams;
  /** Finds a tenant's id by its slug (platform scope); undefined when unknown or suspended. */
  readonly tenantIdBySlug: (slug: string) => Promise<string | undefined>;
  /** Name shown in authenticator apps. */
  readonly issuer: string;
  /** The WebAuthn relying party (from the public URL, which is known once the server listens). */
  readonly relyingParty: () => RelyingParty;
  /** The SMS gateway for the fallback factor, when the server has one. */
  readonly smsSender?: SmsSender | undefined;
  /** Country assumed for phone numbers written without `+`. */
  readonly defaultPhoneCountry?: string | undefined;
}

export interface ClientInfo {
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

export type NextStep = 'second_factor' | 'enroll' | 'done';
export type FactorKind = 'totp' | 'webauthn' | 'recovery' | 'sms';

export interface SignInResult {
  readonly session: IssuedSession;
  readonly next: NextStep;
  readonly factors: readonly FactorKind[];
  /** Shown once, when the first second factor was just registered. */
  readonly recoveryCodes?: readonly string[];
}

/** Back-off after repeated failures: 1 s doubling, at most 15 minutes. */
const BACKOFF = { baseMs: 1_000, maxMs: 15 * 60_000 };
/** Failures are counted over this window (a quiet hour forgets them). */
const FAILURE_WINDOW_MS = 60 * 60_000;
/** Sign-in attempts per source address per minute. */
const PER_ADDRESS_PER_MINUTE = 60;

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, sessions, attempts } = deps;
  const sms = smsFactor({ db, clock, logger: deps.logger, keyProvider: deps.keyProvider, attempts, sender: deps.smsSender, defaultCountry: deps.defaultPhoneCountry });

  // Keyed by the person, not the tenant: one password and one authenticator serve every tenant
  // they work for, so guesses through several tenants count together, and an unknown tenant
  // throttles exactly like a known one.
  const accountKey = (email: string) => `signin:${email}`;
  const factorKey = (_tenantId: string, agentId: string) => `2fa:${agentId}`;

  async function throttle(key: string, ip: string | undefined): Promise<void> {
    if (ip !== undefined) {
      const hit = await attempts.hit(`ip:${ip}`, PER_ADDRESS_PER_MINUTE, 60_000);
      if (!hit.allowed) throw tooMany(hit.retryAfterMs);
    }
    const blocked = await attempts.blockedFor(key);
    if (blocked > 0) throw tooMany(blocked);
  }

  /**
   * Reserves one attempt under `key` before anything is verified: counted first, so that many
   * concurrent guesses cannot all pass a check made before any of them was counted. Past the
   * threshold, one attempt per back-off window goes through (an atomic fixed-window gate, shared
   * by every process through Redis); the rest are refused unverified. Returns the attempt's
   * number; a success resets the count ({@link attempts.reset}).
   */
  async function reserve(key: string, settings: SecuritySettings): Promise<number> {
    const blocked = await attempts.blockedFor(key);
    if (blocked > 0) throw tooMany(blocked);
    const n = await attempts.fail(key, FAILURE_WINDOW_MS);
    if (n > settings.lockout.threshold) {
      const wait = Math.max(1_000, exponentialBackoffMs(n - 1, { threshold: settings.lockout.threshold, ...BACKOFF }));
      const gate = await attempts.hit(`gate:${key}`, 1, wait);
      if (!gate.allowed) throw tooMany(gate.retryAfterMs);
    }
    return n;
  }

  /** After a reserved attempt failed: blocks for the back-off; true when an alert is due (once per window). */
  async function failed(key: string, n: number, settings: SecuritySettings): Promise<boolean> {
    const backoff = exponentialBackoffMs(n, { threshold: settings.lockout.threshold, ...BACKOFF });
    if (backoff > 0) await attempts.block(key, backoff);
    if (n < settings.lockout.alertAfter) return false;
    return (await attempts.hit(`alerted:${key}`, 1, FAILURE_WINDOW_MS)).allowed;
  }

  async function wrapSecret(agentId: string, totpId: string, secret: string): Promise<string> {
    return deps.keyProvider.wrap(Buffer.from(secret, 'utf8'), ['agent-totp', agentId, totpId]);
  }

  async function unwrapSecret(agentId: string, totpId: string, wrapped: string): Promise<string> {
    return (await deps.keyProvider.unwrap(wrapped, ['agent-totp', agentId, totpId])).toString('utf8');
  }

  async function factorsOf(tx: Tx, agentId: string): Promise<FactorKind[]> {
    const totp = await tx.selectFrom('agent_totp').select('id').where('agent_id', '=', agentId).where('state', '=', 'active').executeTakeFirst();
    const key = await tx.selectFrom('agent_webauthn_credentials').select('id').where('agent_id', '=', agentId).limit(1).executeTakeFirst();
    const codes = await tx.selectFrom('agent_recovery_codes').select('agent_id').where('agent_id', '=', agentId).where('used_at', 'is', null).limit(1).executeTakeFirst();
    const out: FactorKind[] = [];
    if (totp !== undefined) out.push('totp');
    if (key !== undefined) out.push('webauthn');
    if (codes !== undefined) out.push('recovery');
    return out;
  }

  /**
   * Replaces a password-only session by a full one (new token): the end of a sign-in. The device
   * and network of the sign-in carry over; a passkey registered as a device proves that device.
   */
  async function elevate(tx: Tx, session: Session, factor: SessionFactor, settings: SecuritySettings, client: ClientInfo, passkey?: Passkey): Promise<IssuedSession> {
    const now = clock.now();
    const pending = await tx.selectFrom('agent_sessions').select(['pending_device_key', 'pending_device_name']).where('id', '=', session.id).executeTakeFirst();
    await sessions.revoke(tx, session.tenantId, { sessionIds: [session.id] }, 'replaced');
    const alerts: RaisedAlert[] = [];
    const network = client.ip === undefined ? undefined : networkOf(client.ip);
    const seenNetwork = network === undefined ? undefined : await recordSignInNetwork(tx, { tenantId: session.tenantId, agentId: session.agentId, network, settings, now });
    if (seenNetwork?.alert !== undefined) alerts.push(seenNetwork.alert);
    const seenDevice =
      pending?.pending_device_key === null || pending === undefined
        ? undefined
        : await recordSignInDevice(tx, { tenantId: session.tenantId, agentId: session.agentId, spki: Buffer.from(pending.pending_device_key), name: pending.pending_device_name ?? 'Browser', settings, now });
    if (seenDevice?.alert !== undefined) alerts.push(seenDevice.alert);
    // A passkey registered as a device proves that device; otherwise the browser key, if any.
    const deviceId = passkey?.deviceId ?? seenDevice?.device?.id ?? null;
    const deviceStatus = deviceId === null ? undefined : deviceId === seenDevice?.device?.id ? seenDevice.device.status : await deviceStatusOf(tx, deviceId);
    const issued = await sessions.create(tx, {
      tenantId: session.tenantId,
      agentId: session.agentId,
      kind: session.kind,
      factor,
      settings,
      ip: client.ip,
      userAgent: client.userAgent,
      deviceId,
      network: network ?? null,
      credentialId: passkey?.credentialId ?? null,
    });
    await recordEntry(
      tx,
      session.tenantId,
      {
        actor: { type: 'agent', id: session.agentId },
        action: 'agent.login.second_factor',
        targets: { agent: session.agentId, session: issued.id, ...(deviceId === null ? {} : { device: deviceId }) },
        details: { factor, device: deviceStatus ?? 'none', network: seenNetwork?.status ?? 'unknown' },
      },
      now,
    );
    if (factor === 'sms') {
      // Like a recovery code: a fallback whose every use a security officer should be able to see.
      alerts.push(await raiseAlert(tx, { tenantId: session.tenantId, kind: 'agent.sms.used', agentId: session.agentId, details: {}, now }));
    }
    return {
      ...issued,
      ...(deviceId === null || deviceStatus === undefined ? {} : { device: { id: deviceId, status: deviceStatus } }),
      ...(seenNetwork === undefined ? {} : { networkStatus: seenNetwork.status }),
      alerts,
    };
  }

  async function deviceStatusOf(tx: Tx, deviceId: string): Promise<DeviceStatus | undefined> {
    return (await tx.selectFrom('agent_devices').select('status').where('id', '=', deviceId).executeTakeFirst())?.status;
  }

  /** After the commit of an elevation: its alerts to live views. */
  async function announce(issued: IssuedSession | null): Promise<void> {
    for (const alert of issued?.alerts ?? []) await publishAlert(alert);
  }

  async function failSecondFactor(session: Session, settings: SecuritySettings, factor: FactorKind, reason: string, failures: number): Promise<never> {
    const alertDue = await failed(factorKey(session.tenantId, session.agentId), failures, settings);
    const now = clock.now();
    const alert = await db.withTenant(session.tenantId, async (tx) => {
      await recordEntry(tx, session.tenantId, { actor: { type: 'system', id: 'sign-in' }, action: 'agent.login.failed', targets: { agent: session.agentId, session: session.id }, details: { stage: factor, reason, failures } }, now);
      if (!alertDue) return undefined;
      return raiseAlert(tx, { tenantId: session.tenantId, kind: 'agent.second_factor.failures', agentId: session.agentId, details: { failures }, now });
    });
    if (alert !== undefined) await publishAlert(alert);
    throw new AppError(reason === 'replayed' ? AgentErrors.second_factor_replayed : AgentErrors.invalid_second_factor);
  }

  async function publishAlert(alert: { id: string; tenantId: string; kind: string }): Promise<void> {
    await announceAlert(deps.bus, deps.logger, alert);
  }

  /** Checks a TOTP code for the agent (consuming its time step) inside `tx`. */
  async function checkTotp(tx: Tx, agentId: string, code: string, state: 'active' | 'pending'): Promise<{ ok: true } | { ok: false; reason: string }> {
    const row = await tx.selectFrom('agent_totp').selectAll().where('agent_id', '=', agentId).where('state', '=', state).executeTakeFirst();
    if (row === undefined) return { ok: false, reason: 'no_factor' };
    const secret = await unwrapSecret(agentId, row.id, row.secret);
    const lastUsedStep = row.last_used_step === null ? null : Number(row.last_used_step);
    const result = verifyTotp({ secret, code, now: clock.now(), lastUsedStep });
    if (!result.ok) return { ok: false, reason: result.reason };
    // Consumed atomically: of two requests racing with the same code, one updates the row and
    // the other finds the step already used (a replay), whatever process each runs in.
    const updated = await tx
      .updateTable('agent_totp')
      .set({ last_used_step: result.step })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', String(result.step))]))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return { ok: false, reason: 'replayed' };
    return { ok: true };
  }

  async function checkRecoveryCode(tx: Tx, agentId: string, code: string): Promise<boolean> {
    const rows = await tx.selectFrom('agent_recovery_codes').select('code_hash').where('agent_id', '=', agentId).where('used_at', 'is', null).execute();
    const index = matchRecoveryCode(code, rows.map((r) => Buffer.from(r.code_hash)));
    if (index < 0) return false;
    const used = await tx
      .updateTable('agent_recovery_codes')
      .set({ used_at: clock.now() })
      .where('agent_id', '=', agentId)
      .where('code_hash', '=', Buffer.from((rows[index] as { code_hash: Uint8Array }).code_hash))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(used.numUpdatedRows) === 1;
  }

  async function issueRecoveryCodes(tx: Tx, agentId: string): Promise<string[]> {
    const codes = newRecoveryCodes();
    const now = clock.now();
    await tx.deleteFrom('agent_recovery_codes').where('agent_id', '=', agentId).execute();
    await tx
      .insertInto('agent_recovery_codes')
      .values(codes.map((code) => ({ agent_id: agentId, code_hash: hashRecoveryCode(code), created_at: now, used_at: null })))
      .execute();
    return codes;
  }

  return {
    /**
     * Accepts an invitation: creates the person's identity with their own password (or, when
     * the address already has one, checks that password) and their membership in the tenant.
     */
    async acceptInvitation(input: { token: string; displayName: string; password: string }): Promise<{ tenantId: string; agentId: string; role: Role }> {
      const tenantId = tenantOfInvitationToken(input.token);
      if (tenantId === undefined) throw new AppError(AgentErrors.invitation_invalid);
      const now = clock.now();
      const tokenHash = sha256(input.token);

      // The invitation and whoever already holds its address, read in one short transaction:
      // the Argon2id work below runs outside any transaction (it would hold the embedded
      // database's only session, or a pooled connection and the invitation's row lock).
      const readInvitation = (tx: Tx, lock: boolean) => {
        let query = tx
          .selectFrom('invitations')
          .innerJoin('tenants', 'tenants.id', 'invitations.tenant_id')
          .select(['invitations.id', 'invitations.email', 'invitations.role', 'invitations.expires_at', 'invitations.accepted_at', 'invitations.revoked_at', 'tenants.status', 'tenants.name'])
          .where('invitations.token_hash', '=', tokenHash);
        if (lock) query = query.forUpdate('invitations');
        return query.executeTakeFirst();
      };
      const readIdentity = (tx: Tx, email: string) =>
        tx.selectFrom('agents').leftJoin('agent_passwords', 'agent_passwords.agent_id', 'agents.id').select(['agents.id', 'agents.status', 'agent_passwords.hash']).where('agents.email', '=', email).executeTakeFirst();
      const usable = (inv: Awaited<ReturnType<typeof readInvitation>>) => inv !== undefined && inv.accepted_at === null && inv.revoked_at === null && inv.expires_at > now && inv.status === 'active';

      const before = await db.withTenant(
        tenantId,
        async (tx) => {
          const invitation = await readInvitation(tx, false);
          if (invitation === undefined || !usable(invitation)) throw new AppError(AgentErrors.invitation_invalid);
          return { invitation, existing: await readIdentity(tx, invitation.email.toLowerCase()) };
        },
        { identity: true },
      );
      const email = before.invitation.email.toLowerCase();
      let newHash: string | undefined;
      if (before.existing === undefined) {
        const problems = checkPassword(input.password, { email, displayName: input.displayName, tenantName: before.invitation.name });
        if (problems.length > 0) {
          throw new AppError(AgentErrors.weak_password, { detail: problems.map((p) => p.message).join(' '), details: { problems: problems.map((p) => p.code) } });
        }
        newHash = await hashPassword(input.password, deps.passwordParams);
      } else {
        // Someone who already has a Custodia identity (another client of the same BPO) joins
        // with the password they have; nobody else can attach that identity to a tenant. The
        // guesses count with sign-in failures: an invitation is not a way around the throttle.
        const key = accountKey(email);
        const n = await reserve(key, DEFAULT_SECURITY_SETTINGS);
        const hash = before.existing.hash;
        const check = hash === null ? await dummyVerify(input.password, deps.passwordParams) : await verifyPassword(hash, input.password, deps.passwordParams);
        if (!check.ok || before.existing.status !== 'active') {
          await failed(key, n, DEFAULT_SECURITY_SETTINGS);
          throw new AppError(AgentErrors.invalid_credentials);
        }
        await attempts.reset(key);
      }

      const outcome = await db.withTenant(
        tenantId,
        async (tx) => {
          // Again, locked: the invitation is used once, and the identity is still as checked.
          const invitation = await readInvitation(tx, true);
          if (invitation === undefined || !usable(invitation)) throw new AppError(AgentErrors.invitation_invalid);
          const existing = await readIdentity(tx, email);
          if ((existing === undefined) !== (before.existing === undefined) || (existing !== undefined && existing.id !== before.existing?.id)) {
            throw new AppError(AgentErrors.invitation_invalid, { detail: 'The invitation changed while it was being accepted; try again' });
          }
          let agentId: string;
          try {
            if (existing === undefined) {
              agentId = newId();
              await tx.insertInto('agents').values({ id: agentId, email, display_name: input.displayName, status: 'active', created_at: now, updated_at: now }).execute();
              await tx.insertInto('agent_passwords').values({ agent_id: agentId, hash: newHash as string, changed_at: now }).execute();
            } else {
              agentId = existing.id;
            }
            await tx.insertInto('agent_memberships').values({ tenant_id: tenantId, agent_id: agentId, role: invitation.role, status: 'active', created_at: now, updated_at: now }).execute();
          } catch (error) {
            if (isUniqueViolation(error)) throw new AppError(AgentErrors.invitation_invalid);
            throw error;
          }
          await tx.updateTable('invitations').set({ accepted_at: now }).where('id', '=', invitation.id).execute();
          await recordEntry(tx, tenantId, { actor: { type: 'agent', id: agentId }, action: 'agent.invitation.accept', targets: { agent: agentId, invitation: invitation.id }, details: { role: invitation.role, newIdentity: existing === undefined } }, now);
          return { agentId, role: invitation.role as Role };
        },
        { identity: true },
      );
      return { tenantId, ...outcome };
    },

    /** First factor. The session it returns can only present or enroll a second factor. */
    async signIn(input: { tenant: string; email: string; password: string; kind: 'console' | 'bearer'; device?: DeviceProof | undefined } & ClientInfo): Promise<SignInResult> {
      const email = input.email.trim().toLowerCase();
      const tenantId = await deps.tenantIdBySlug(input.tenant);
      const key = accountKey(email);
      await throttle(key, input.ip);
      // The device proof is checked before anything about the account: its answer says nothing
      // about the password, and a replayed proof is refused whoever sends it.
      let device: ProvenDevice | undefined;
      if (input.device !== undefined) {
        const proof = checkDeviceProof(input.device, { tenant: input.tenant, email, now: clock.now() });
        if (!proof.ok) throw new AppError(AgentErrors.invalid_device_proof, { details: { reason: proof.reason } });
        if (!(await consumeDeviceProof(attempts, proof.device, input.device.nonce))) throw new AppError(AgentErrors.invalid_device_proof, { details: { reason: 'replayed' } });
        device = proof.device;
      }
      if (tenantId === undefined) {
        const n = await reserve(key, DEFAULT_SECURITY_SETTINGS);
        await dummyVerify(input.password, deps.passwordParams);
        await failed(key, n, DEFAULT_SECURITY_SETTINGS);
        throw new AppError(AgentErrors.invalid_credentials);
      }
      const now = clock.now();
      const found = await db.withTenant(
        tenantId,
        async (tx) => {
          const settings = await loadSecuritySettings(tx, tenantId);
          const row = await tx
            .selectFrom('agents')
            .innerJoin('agent_memberships as m', 'm.agent_id', 'agents.id')
            .innerJoin('agent_passwords as p', 'p.agent_id', 'agents.id')
            .select(['agents.id', 'p.hash'])
            .where('agents.email', '=', email)
            .where('agents.status', '=', 'active')
            .where('m.status', '=', 'active')
            .executeTakeFirst();
          return { settings, row };
        },
        { identity: true },
      );
      const { settings, row } = found;
      if (settings.allowedNetworks.length > 0 && (input.ip === undefined || !compileNetworks(settings.allowedNetworks).contains(input.ip))) {
        // Refused before the password is looked at, with the same 401 and the same work as a
        // wrong password: from outside, nobody learns whether a guess was right. The ledger
        // tells the security officer why a member was refused.
        await dummyVerify(input.password, deps.passwordParams);
        if (row !== undefined) {
          await db.withTenant(tenantId, (tx) => recordEntry(tx, tenantId, { actor: { type: 'system', id: 'sign-in' }, action: 'agent.login.failed', targets: { agent: row.id }, details: { stage: 'network', reason: 'network_not_allowed' } }, now));
        }
        throw new AppError(AgentErrors.invalid_credentials);
      }
      const n = await reserve(key, settings);
      const check = row === undefined ? await dummyVerify(input.password, deps.passwordParams) : await verifyPassword(row.hash, input.password, deps.passwordParams);
      if (!check.ok || row === undefined) {
        const alertDue = await failed(key, n, settings);
        const failures = n;
        if (row !== undefined) {
          const alert = await db.withTenant(tenantId, async (tx) => {
            await recordEntry(tx, tenantId, { actor: { type: 'system', id: 'sign-in' }, action: 'agent.login.failed', targets: { agent: row.id }, details: { stage: 'password', failures } }, now);
            if (!alertDue) return undefined;
            return raiseAlert(tx, { tenantId, kind: 'agent.login.failures', agentId: row.id, details: { failures }, now });
          });
          if (alert !== undefined) await publishAlert(alert);
        }
        throw new AppError(AgentErrors.invalid_credentials);
      }
      const agentId = row.id;
      await attempts.reset(key);
      const rehash = check.needsRehash ? await hashPassword(input.password, deps.passwordParams) : undefined;
      // The device and network are recorded when the second factor completes the sign-in: a
      // password alone must not be able to add devices, networks or alerts.
      return db.withTenant(
        tenantId,
        async (tx) => {
          if (rehash !== undefined) await tx.updateTable('agent_passwords').set({ hash: rehash, changed_at: now }).where('agent_id', '=', agentId).execute();
          const factors = await factorsOf(tx, agentId);
          if (factors.length > 0 && (await sms.usable(tx, agentId, settings))) factors.push('sms');
          const session = await sessions.create(tx, {
            tenantId,
            agentId,
            kind: input.kind,
            factor: 'password',
            settings,
            ip: input.ip,
            userAgent: input.userAgent,
            pendingDevice: device === undefined ? undefined : { spki: device.spki, name: device.name },
          });
          await recordEntry(tx, tenantId, { actor: { type: 'agent', id: agentId }, action: 'agent.login.password', targets: { agent: agentId, session: session.id }, details: { kind: input.kind, rehashed: rehash !== undefined, deviceProof: device !== undefined } }, now);
          return { session, next: factors.length > 0 ? 'second_factor' : 'enroll', factors };
        },
        { identity: true },
      );
    },

    /**
     * A second factor presented by a session: completes a sign-in (new session), or unlocks a
     * locked one. Failures count towards the agent's back-off and alert.
     */
    async presentSecondFactor(session: Session, input: { method: 'totp' | 'recovery' | 'sms'; code: string } & ClientInfo): Promise<{ session: IssuedSession | null; unlocked: boolean }> {
      // A signed-in session past its idle or presence limit is locked first, so the code unlocks
      // it; an open one has nothing to prove, and must not burn a code (or a recovery code).
      if (session.factor !== 'password' && (await sessions.judgeLocks(session)) === null) return { session: null, unlocked: false };
      const settings = await sessions.settings(session.tenantId);
      const key = factorKey(session.tenantId, session.agentId);
      const attempt = await reserve(key, settings);
      const outcome = await db.withTenant(
        session.tenantId,
        async (tx) => {
          if (input.method === 'totp') {
            const result = await checkTotp(tx, session.agentId, input.code, 'active');
            if (!result.ok) return { ok: false as const, reason: result.reason };
          } else if (input.method === 'sms') {
            // The tenant may have switched the fallback off since the code was sent.
            if (!(await sms.usable(tx, session.agentId, settings)) || !(await sms.check(tx, session, input.code, 'sign_in'))) return { ok: false as const, reason: 'invalid' };
          } else if (!(await checkRecoveryCode(tx, session.agentId, input.code))) {
            return { ok: false as const, reason: 'invalid' };
          }
          const now = clock.now();
          let alert;
          if (input.method === 'recovery') {
            const left = await tx.selectFrom('agent_recovery_codes').select((eb) => eb.fn.countAll<string>().as('n')).where('agent_id', '=', session.agentId).where('used_at', 'is', null).executeTakeFirstOrThrow();
            alert = await raiseAlert(tx, { tenantId: session.tenantId, kind: 'agent.recovery_code.used', agentId: session.agentId, details: { remaining: Number(left.n) }, now });
          }
          if (session.factor === 'password') return { ok: true as const, issued: await elevate(tx, session, input.method, settings, input), unlocked: false, alert };
          if (session.lockedAt !== null) {
            await sessions.unlock(tx, session, input.method);
            return { ok: true as const, issued: null, unlocked: true, alert };
          }
          return { ok: true as const, issued: null, unlocked: false, alert };
        },
        { identity: true },
      );
      if (!outcome.ok) return failSecondFactor(session, settings, input.method, outcome.reason, attempt);
      await attempts.reset(key);
      if (outcome.alert !== undefined) await publishAlert(outcome.alert);
      await announce(outcome.issued);
      await sessions.published({ tenantId: session.tenantId, sessionIds: [session.id] });
      return { session: outcome.issued, unlocked: outcome.unlocked };
    },

    /** Starts (or restarts) TOTP enrollment: a new secret, shown once, not active until confirmed. */
    async startTotpEnrollment(session: Session): Promise<{ secret: string; uri: string; qrSvg: string }> {
      return db.withTenant(
        session.tenantId,
        async (tx) => {
          await requireMayEnroll(tx, session);
          const agent = await tx.selectFrom('agents').select('email').where('id', '=', session.agentId).executeTakeFirstOrThrow();
          const secret = newTotpSecret();
          const id = newId();
          await tx.deleteFrom('agent_totp').where('agent_id', '=', session.agentId).where('state', '=', 'pending').execute();
          await tx.insertInto('agent_totp').values({ id, agent_id: session.agentId, secret: await wrapSecret(session.agentId, id, secret), state: 'pending', last_used_step: null, created_at: clock.now(), confirmed_at: null }).execute();
          const uri = totpUri({ issuer: deps.issuer, account: agent.email, secret });
          return { secret, uri, qrSvg: await totpQrSvg(uri) };
        },
        { identity: true },
      );
    },

    /**
     * Confirms TOTP enrollment with a code from the new secret. The first second factor of an
     * agent also completes their sign-in (new session) and issues recovery codes, shown once.
     */
    async confirmTotpEnrollment(session: Session, input: { code: string } & ClientInfo): Promise<{ session: IssuedSession | null; recoveryCodes: string[] | null }> {
      const settings = await sessions.settings(session.tenantId);
      const key = factorKey(session.tenantId, session.agentId);
      const attempt = await reserve(key, settings);
      const outcome = await db.withTenant(
        session.tenantId,
        async (tx) => {
          await requireMayEnroll(tx, session);
          const pending = await tx.selectFrom('agent_totp').select('id').where('agent_id', '=', session.agentId).where('state', '=', 'pending').executeTakeFirst();
          if (pending === undefined) throw new AppError(AgentErrors.no_enrollment);
          const result = await checkTotp(tx, session.agentId, input.code, 'pending');
          if (!result.ok) return { ok: false as const, reason: result.reason };
          const now = clock.now();
          const first = (await factorsOf(tx, session.agentId)).length === 0;
          await tx.deleteFrom('agent_totp').where('agent_id', '=', session.agentId).where('state', '=', 'active').execute();
          await tx.updateTable('agent_totp').set({ state: 'active', confirmed_at: now }).where('id', '=', pending.id).execute();
          await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.factor.enroll', targets: { agent: session.agentId, factor: pending.id }, details: { kind: 'totp', replaced: !first } }, now);
          const recoveryCodes = first ? await issueRecoveryCodes(tx, session.agentId) : null;
          const issued = session.factor === 'password' ? await elevate(tx, session, 'totp', settings, input) : null;
          return { ok: true as const, issued, recoveryCodes };
        },
        { identity: true },
      );
      if (!outcome.ok) return failSecondFactor(session, settings, 'totp', outcome.reason, attempt);
      await attempts.reset(key);
      await announce(outcome.issued);
      if (outcome.issued !== null) await sessions.published({ tenantId: session.tenantId, sessionIds: [session.id] });
      return { session: outcome.issued, recoveryCodes: outcome.recoveryCodes };
    },

    /** New recovery codes (the old ones stop working), for a fully signed-in, unlocked agent. */
    async regenerateRecoveryCodes(session: Session): Promise<string[]> {
      return db.withTenant(
        session.tenantId,
        async (tx) => {
          const codes = await issueRecoveryCodes(tx, session.agentId);
          await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.factor.enroll', targets: { agent: session.agentId }, details: { kind: 'recovery_codes', count: codes.length } }, clock.now());
          return codes;
        },
        { identity: true },
      );
    },

    /** WebAuthn passkeys: registration and authentication ceremonies (webauthn.ts). */
    webauthn: webAuthnFactors({
      db,
      clock,
      relyingParty: deps.relyingParty,
      attempts,
      factorKey,
      mayEnroll: requireMayEnroll,
      factorsOf,
      issueRecoveryCodes,
      elevate: (tx, session, settings, client, passkey) => elevate(tx, session, 'webauthn', settings, client, passkey),
      reserve: (session, settings) => reserve(factorKey(session.tenantId, session.agentId), settings),
      fail: (session, settings, reason, attempt) => failSecondFactor(session, settings, 'webauthn', reason, attempt),
      settingsOf: (tenantId) => sessions.settings(tenantId),
      unlock: (tx, session, passkey) => sessions.unlock(tx, session, 'webauthn', passkey),
      published: (tenantId, sessionIds) => sessions.published({ tenantId, sessionIds }),
      announce,
    }) satisfies WebAuthnFactors,

    /** SMS codes, the fallback second factor (sms-factor.ts). */
    sms: {
      /** Sends a code to complete a sign-in or unlock a locked session. */
      async send(session: Session): Promise<SentCode> {
        if (session.factor !== 'password' && (await sessions.judgeLocks(session)) === null) {
          throw new AppError(AgentErrors.sms_unavailable, { detail: 'This session is open: there is nothing to confirm' });
        }
        return sms.sendCode(session, await sessions.settings(session.tenantId));
      },
      /** Registers a phone (unlocked session with a recent second-factor proof; checked by the route). */
      async startEnrollment(session: Session, input: { phone: string }): Promise<SentCode> {
        return sms.startEnrollment(session, await sessions.settings(session.tenantId), input);
      },
      async confirmEnrollment(session: Session, input: { code: string }): Promise<void> {
        const settings = await sessions.settings(session.tenantId);
        const key = factorKey(session.tenantId, session.agentId);
        const attempt = await reserve(key, settings);
        const ok = await db.withTenant(session.tenantId, (tx) => sms.confirmEnrollment(tx, session, input.code), { identity: true });
        if (!ok) return failSecondFactor(session, settings, 'sms', 'invalid', attempt);
        await attempts.reset(key);
      },
      remove: (session: Session) => sms.remove(session),
    },

    async signOut(session: Session): Promise<void> {
      await db.withTenant(session.tenantId, async (tx) => {
        const revoked = await sessions.revoke(tx, session.tenantId, { sessionIds: [session.id] }, 'logout');
        if (revoked.length > 0) await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.logout', targets: { agent: session.agentId, session: session.id } }, clock.now());
      });
      await sessions.published({ tenantId: session.tenantId, sessionIds: [session.id] });
    },
  };

  /** A password-only session may enroll only while the agent has no second factor at all. */
  async function requireMayEnroll(tx: Tx, session: Session): Promise<void> {
    if (session.factor !== 'password') {
      if (session.lockedAt !== null) throw new AppError(AgentErrors.session_locked);
      return;
    }
    if ((await factorsOf(tx, session.agentId)).length > 0) throw new AppError(AgentErrors.second_factor_required);
  }
}

export type AuthService = ReturnType<typeof createAuthService>;

