/**
 * SMS codes as a fallback second factor, for a tenant that enables it (`smsFallback`) on a server
 * with an SMS gateway (`CUSTODIA_SMPP_URL`). A fallback, not a factor of its own: NIST SP 800-63B
 * §5.1.3.3 restricts codes sent over the phone network (SIM swap, number porting, SS7), so an
 * agent registers a phone only from a session signed in with a stronger factor (and a recent
 * proof of it), and removing their last app or passkey is refused whatever phone they have.
 *
 * - One code per session at a time: six digits from the CSPRNG, valid 5 minutes, used once,
 *   bound to its purpose (registering the phone, or signing in / unlocking). Stored wrapped by
 *   the key provider, so reading the table does not reveal it.
 * - Sending is throttled per agent (one a minute, five an hour): every SMS costs money and can
 *   be abused to pester the agent's phone.
 * - The phone is personal data of the agent: wrapped at rest, only its last two digits in clear
 *   (to say where the code went), never in logs, errors or the ledger.
 * - The SMS leaves after the transaction that stored its code commits; if the gateway fails, the
 *   code is withdrawn and the agent may ask again at once (the answer is 503).
 */
import { randomInt } from 'node:crypto';
import { parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import type { Database, Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { SmsSender } from '../channels/index.js';
import type { Clock } from '../platform/clock.js';
import { constantTimeEqual, sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { AttemptCounter } from '../platform/rate-limit.js';
import type { KeyProvider } from '../vault/index.js';
import { AgentErrors, tooManyAttempts as tooMany } from './errors.js';
import type { Session } from './sessions.js';
import type { SecuritySettings } from './settings.js';

export const SMS_CODE_TTL_MS = 5 * 60_000;
const RESEND_COOLDOWN_MS = 60_000;
const SENDS_PER_HOUR = 5;

export type SmsPurpose = 'enroll' | 'sign_in';

export interface SmsFactorDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keyProvider: KeyProvider;
  readonly attempts: AttemptCounter;
  /** The gateway, when the server has one. */
  readonly sender: SmsSender | undefined;
  /** Country assumed for a number written without `+`. */
  readonly defaultCountry: string | undefined;
}

export interface SentCode {
  /** The last two digits of the phone the code went to. */
  readonly sentTo: string;
  readonly expiresAt: Date;
}

/** A six-digit code, uniformly from the CSPRNG. */
export function newSmsCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * A phone number an agent can receive codes on, in E.164; AgentErrors.invalid_phone otherwise.
 * Mobile numbers only (and numbers a country does not tell apart from mobiles): a landline cannot
 * receive an SMS.
 */
export function agentPhoneOf(input: string, defaultCountry?: string): string {
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(input, defaultCountry === undefined ? undefined : { defaultCountry: defaultCountry as CountryCode });
  } catch {
    throw new AppError(AgentErrors.invalid_phone, { detail: 'Not a phone number; write it in international form, such as +34 612 345 678' });
  }
  if (!parsed.isValid()) throw new AppError(AgentErrors.invalid_phone, { detail: 'This number does not exist in its country numbering plan' });
  const type = parsed.getType();
  if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') throw new AppError(AgentErrors.invalid_phone, { detail: 'Codes go by SMS: give a mobile number' });
  return parsed.number;
}

function messageText(code: string): string {
  // The code first (phones show the start in notifications), and what it is for: an agent who
  // did not ask for it knows something is wrong.
  return `${code} is your Custodia sign-in code. It expires in 5 minutes. Nobody will ask you for it; if you did not sign in, tell your security officer.`;
}

export function smsFactor(deps: SmsFactorDeps) {
  const { db, clock } = deps;
  const phoneContext = (agentId: string) => ['agent-sms-phone', agentId];
  // The code is bound to its session and to the phone it went to: a code sent to one phone
  // cannot confirm (or sign in with) another.
  const codeContext = (sessionId: string, phone: string) => ['agent-sms-code', sessionId, sha256(phone).toString('hex')];

  function requireSender(): SmsSender {
    if (deps.sender === undefined) throw new AppError(AgentErrors.sms_unavailable, { detail: 'This server has no SMS gateway (CUSTODIA_SMPP_URL)' });
    return deps.sender;
  }

  /**
   * Stores a new code for the session (after the cooldown and the hourly budget) and sends it once
   * committed. To register a phone, `newPhone` becomes the pending phone in the same transaction:
   * a refused request changes nothing, and the code is bound to the phone it was sent to.
   */
  async function issue(session: Session, purpose: SmsPurpose, newPhone?: string): Promise<SentCode> {
    const sender = requireSender();
    const code = newSmsCode();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + SMS_CODE_TTL_MS);
    const phone = await db.withTenant(
      session.tenantId,
      async (tx) => {
        const row = await tx.selectFrom('agent_sessions').select('sms_sent_at').where('id', '=', session.id).forUpdate().executeTakeFirstOrThrow();
        if (row.sms_sent_at !== null && now.getTime() - row.sms_sent_at.getTime() < RESEND_COOLDOWN_MS) {
          throw tooMany(RESEND_COOLDOWN_MS - (now.getTime() - row.sms_sent_at.getTime()));
        }
        let number: string;
        if (newPhone !== undefined) {
          const existing = await tx.selectFrom('agent_sms_phones').select('state').where('agent_id', '=', session.agentId).forUpdate().executeTakeFirst();
          if (existing?.state === 'active') throw new AppError(AgentErrors.factor_conflict, { detail: 'Remove the registered phone first' });
          const wrapped = await deps.keyProvider.wrap(Buffer.from(newPhone, 'utf8'), phoneContext(session.agentId));
          const values = { phone: wrapped, hint: newPhone.slice(-2), state: 'pending' as const, created_at: now, confirmed_at: null };
          await tx
            .insertInto('agent_sms_phones')
            .values({ agent_id: session.agentId, ...values })
            .onConflict((oc) => oc.column('agent_id').doUpdateSet(values))
            .execute();
          number = newPhone;
        } else {
          const stored = await phoneOf(tx, session.agentId, 'active');
          if (stored === undefined) throw new AppError(AgentErrors.sms_unavailable, { detail: 'No phone is registered for codes' });
          number = stored;
        }
        // Counted only for a send that will happen (a refusal above costs nothing). A send the
        // gateway then fails still counts: the budget bounds what reaches the gateway.
        const sends = await deps.attempts.hit(`sms:${session.agentId}`, SENDS_PER_HOUR, 60 * 60_000);
        if (!sends.allowed) throw tooMany(sends.retryAfterMs);
        await tx
          .updateTable('agent_sessions')
          .set({ sms_code: await deps.keyProvider.wrap(Buffer.from(code, 'utf8'), codeContext(session.id, number)), sms_code_expires_at: expiresAt, sms_code_purpose: purpose, sms_sent_at: now })
          .where('id', '=', session.id)
          .execute();
        await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.sms.send', targets: { agent: session.agentId, session: session.id }, details: { purpose } }, now);
        return number;
      },
      { identity: true },
    );
    try {
      await sender.send({ to: phone, text: messageText(code), reference: session.id });
    } catch (error) {
      // Nobody received this code: withdraw it, and let the agent ask again without waiting.
      await db
        .withTenant(session.tenantId, (tx) => tx.updateTable('agent_sessions').set({ sms_code: null, sms_code_expires_at: null, sms_code_purpose: null, sms_sent_at: null }).where('id', '=', session.id).execute())
        .catch((cleanup: unknown) => deps.logger.error({ err: cleanup, session: session.id }, 'could not withdraw an SMS code that was not sent'));
      throw error;
    }
    return { sentTo: phone.slice(-2), expiresAt };
  }

  /** The agent's phone in `state`, unwrapped (identity scope). */
  async function phoneOf(tx: Tx, agentId: string, state: 'pending' | 'active'): Promise<string | undefined> {
    const stored = await tx.selectFrom('agent_sms_phones').select(['phone', 'state']).where('agent_id', '=', agentId).executeTakeFirst();
    if (stored === undefined || stored.state !== state) return undefined;
    return (await deps.keyProvider.unwrap(stored.phone, phoneContext(agentId))).toString('utf8');
  }

  return {
    /** Whether the agent may use SMS codes in this tenant now (tenant setting, gateway, phone). */
    async usable(tx: Tx, agentId: string, settings: SecuritySettings): Promise<boolean> {
      if (!settings.smsFallback || deps.sender === undefined) return false;
      const phone = await tx.selectFrom('agent_sms_phones').select('state').where('agent_id', '=', agentId).executeTakeFirst();
      return phone?.state === 'active';
    },

    /** Starts registering a phone (replacing any pending one): a code is sent to it. */
    async startEnrollment(session: Session, settings: SecuritySettings, input: { phone: string }): Promise<SentCode> {
      if (!settings.smsFallback) throw new AppError(AgentErrors.sms_unavailable, { detail: 'This contact center does not use SMS codes' });
      requireSender();
      return issue(session, 'enroll', agentPhoneOf(input.phone, deps.defaultCountry));
    },

    /** Confirms the pending phone with the code it received. */
    async confirmEnrollment(tx: Tx, session: Session, code: string): Promise<boolean> {
      if (!(await this.check(tx, session, code, 'enroll'))) return false;
      const now = clock.now();
      const updated = await tx.updateTable('agent_sms_phones').set({ state: 'active', confirmed_at: now }).where('agent_id', '=', session.agentId).where('state', '=', 'pending').executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.factor.enroll', targets: { agent: session.agentId }, details: { kind: 'sms' } }, now);
      return true;
    },

    /** Sends a code to sign in (password-only session) or unlock (locked session). */
    async sendCode(session: Session, settings: SecuritySettings): Promise<SentCode> {
      if (!settings.smsFallback) throw new AppError(AgentErrors.sms_unavailable, { detail: 'This contact center does not use SMS codes' });
      return issue(session, 'sign_in');
    },

    /**
     * Checks `code` against the session's code for `purpose`, consuming it when right: used
     * once, by this session, before it expires. In the caller's transaction.
     */
    async check(tx: Tx, session: Session, code: string, purpose: SmsPurpose): Promise<boolean> {
      const row = await tx.selectFrom('agent_sessions').select(['sms_code', 'sms_code_expires_at', 'sms_code_purpose']).where('id', '=', session.id).forUpdate().executeTakeFirst();
      if (row === undefined || row.sms_code === null || row.sms_code_purpose !== purpose || row.sms_code_expires_at === null || row.sms_code_expires_at <= clock.now()) return false;
      const phone = await phoneOf(tx, session.agentId, purpose === 'enroll' ? 'pending' : 'active');
      if (phone === undefined) return false;
      let expected: Buffer;
      try {
        expected = await deps.keyProvider.unwrap(row.sms_code, codeContext(session.id, phone));
      } catch {
        // Sent to another phone than the one registered (or pending) now.
        return false;
      }
      if (!constantTimeEqual(expected, Buffer.from(code, 'utf8'))) return false;
      await tx.updateTable('agent_sessions').set({ sms_code: null, sms_code_expires_at: null, sms_code_purpose: null }).where('id', '=', session.id).execute();
      return true;
    },

    /** Removes the agent's phone (any state). */
    async remove(session: Session): Promise<void> {
      await db.withTenant(
        session.tenantId,
        async (tx) => {
          const deleted = await tx.deleteFrom('agent_sms_phones').where('agent_id', '=', session.agentId).executeTakeFirst();
          if (Number(deleted.numDeletedRows) === 0) throw new AppError(AgentErrors.factor_not_found);
          await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'agent.factor.remove', targets: { agent: session.agentId }, details: { kind: 'sms' } }, clock.now());
        },
        { identity: true },
      );
    },
  };
}

export type SmsFactor = ReturnType<typeof smsFactor>;
