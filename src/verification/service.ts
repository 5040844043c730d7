/**
 * The rules of caller verification: sessions tied to an interaction and its customer, one-time
 * codes, results reported by every method, the level they reach (levels.ts), customer lockout,
 * and the interaction's `verification_level`, which only this module writes, in the transaction
 * of the ledger entry that records it.
 *
 * What reaches the caller of these functions (the agent, the IVR) is pass or fail, the level and
 * what is left. Never a code, never the phone or email a code went to, never an expected answer.
 */
import { type ApiKeyScope, AgentErrors } from '../agents/index.js';
import { announceAlert, type RaisedAlert, raiseAlert } from '../agents/alerts.js';
import { CustomerErrors, findCustomerById, loadCustomerRecord } from '../customers/index.js';
import type { Database, Tx } from '../db/index.js';
import { getInteraction, getInteractionFor, type Interaction, type InteractionActor, InteractionErrors } from '../interactions/index.js';
import type { LedgerEntryInput } from '../ledger/entry.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import type { EventBus } from '../platform/events.js';
import { AppError, isAppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import type { Vault } from '../vault/index.js';
import { CONTACT_FIELDS, enqueueCodeSend, type OtpDispatcher } from './dispatch.js';
import { VerificationErrors } from './errors.js';
import { type AssuranceLevel, assuranceLevel, type Evidence, isMethodId, METHODS, type MethodId, methodsThatRaise } from './levels.js';
import { codeMac, codeMacKey, codeMatches, newCode } from './otp.js';
import { recordSessionCaller } from './risk/service.js';
import type { MethodRegistry } from './registry.js';
import { loadVerificationSettings, type VerificationSettings } from './settings.js';
import {
  type CodeRow,
  countCodesSince,
  countFailuresSince,
  type Delivery,
  findActiveCode,
  findLatestCode,
  findLock,
  findResults,
  findSession,
  insertCode,
  insertResult,
  insertSession,
  lockedUntilAt,
  type OtpMethod,
  releaseLock,
  type SessionRow,
  type SessionState,
  setInteractionLevel,
  updateCode,
  updateSession,
  upsertLock,
  voidActiveCodes,
  withVerificationTables,
} from './store.js';
import { type Language, languageOf } from './templates.js';

/** The scope an API key (the IVR, the telephony platform) needs for verification. */
export const VERIFICATION_SCOPE: ApiKeyScope = 'verification:write';

export const OTP_METHODS = ['otp_sms', 'otp_email', 'otp_voice'] as const satisfies readonly OtpMethod[];

export interface VerificationDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly dispatcher: OtpDispatcher;
  readonly registry: MethodRegistry;
  /**
   * Send a queued code right after its request commits (default). False leaves it to the poller:
   * tests use it to stand for a process that died between the commit and the send.
   */
  readonly dispatchOnRequest?: boolean;
}

export interface MethodStatus {
  readonly method: MethodId;
  readonly evidence: Evidence;
  readonly label: string;
  readonly available: boolean;
  readonly passed: boolean;
  readonly failures: number;
}

export interface CodeStatus {
  readonly method: OtpMethod;
  readonly delivery: Delivery;
  readonly expiresAt: Date;
  readonly attemptsLeft: number;
}

/** Everything the agent (or the IVR) is told about a session. */
export interface VerificationStatus {
  readonly id: string;
  readonly interactionId: string;
  readonly customerId: string;
  readonly state: SessionState;
  readonly level: AssuranceLevel;
  readonly targetLevel: AssuranceLevel;
  readonly language: Language;
  readonly expiresAt: Date;
  readonly methods: readonly MethodStatus[];
  /** Methods that would raise the level, best first; empty once the target is reached. */
  readonly next: readonly MethodId[];
  /** The code in play, if any: where it is in delivery and how many tries it has left. */
  readonly code: CodeStatus | null;
  /** Until when verification of this customer is locked (null: not locked). */
  readonly lockedUntil: Date | null;
}

export interface CheckResult {
  readonly passed: boolean;
  readonly status: VerificationStatus;
}

function ledgerActor(actor: InteractionActor): LedgerEntryInput['actor'] {
  return actor.type === 'agent' ? { type: 'agent', id: actor.agentId } : { type: 'service', id: actor.keyId };
}

function retryAfter(ms: number): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1_000))) };
}

/**
 * The interaction if `actor` may verify its caller: an agent who handles it (interactions rules),
 * or an API key with `verification:write` (the IVR acts before any agent has it).
 */
async function interactionFor(tx: Tx, actor: InteractionActor, interactionId: string): Promise<Interaction> {
  if (actor.type === 'service') {
    if (!actor.scopes.includes(VERIFICATION_SCOPE)) throw new AppError(AgentErrors.forbidden, { detail: `This API key lacks the ${VERIFICATION_SCOPE} scope` });
    const found = await getInteraction(tx, interactionId);
    if (found === undefined) throw new AppError(InteractionErrors.not_found);
    return found;
  }
  return getInteractionFor(tx, actor, interactionId);
}

/** The session and its interaction if `actor` may act on them; one 404 for everything else. */
async function sessionFor(tx: Tx, actor: InteractionActor, sessionId: string, lock: boolean): Promise<{ session: SessionRow; interaction: Interaction }> {
  const session = await findSession(tx, sessionId, lock);
  if (session === undefined) throw new AppError(VerificationErrors.not_found);
  try {
    return { session, interaction: await interactionFor(tx, actor, session.interaction_id) };
  } catch (error) {
    if (isAppError(error, InteractionErrors.not_found)) throw new AppError(VerificationErrors.not_found);
    throw error;
  }
}

/**
 * For the modules beside this one (risk, biometrics): the session and its interaction if `actor`
 * may act on them, `verification.not_found` otherwise (one answer for unknown, another tenant's
 * and not yours).
 */
export async function findSessionFor(tx: Tx, actor: InteractionActor, sessionId: string, lock = false): Promise<{ session: SessionRow; interaction: Interaction }> {
  return sessionFor(tx, actor, sessionId, lock);
}

/** For the modules beside this one: the interaction if `actor` may verify its caller (see interactionFor). */
export async function findInteractionFor(tx: Tx, actor: InteractionActor, interactionId: string): Promise<Interaction> {
  return interactionFor(tx, actor, interactionId);
}

/** The session's state now: an open session past its end is expired, even before anyone wrote it. */
function effectiveState(session: SessionRow, now: Date): SessionState {
  return (session.state === 'open' || session.state === 'verified') && session.expires_at <= now ? 'expired' : session.state;
}

/**
 * Refuses work on a session that is over, or whose interaction no longer carries its customer (a
 * relink resets the interaction's level: the session verified someone else).
 */
function assertUsable(session: SessionRow, interaction: Interaction, now: Date): void {
  const state = effectiveState(session, now);
  if (state !== 'open' && state !== 'verified') throw new AppError(VerificationErrors.session_closed, { details: { state } });
  if (interaction.customerId !== session.customer_id || interaction.state === 'closed') throw new AppError(VerificationErrors.session_closed, { details: { state: 'cancelled' } });
}

async function assertNotLocked(tx: Tx, customerId: string, now: Date): Promise<void> {
  const until = lockedUntilAt(await findLock(tx, customerId), now);
  if (until !== null) {
    throw new AppError(VerificationErrors.customer_locked, { details: { lockedUntil: until.toISOString() }, headers: retryAfter(until.getTime() - now.getTime()) });
  }
}

export const LOCK_RELEASE_REASONS = ['identity_confirmed_in_person', 'identity_confirmed_by_call_back', 'false_positive', 'other'] as const;
export type LockReleaseReason = (typeof LOCK_RELEASE_REASONS)[number];

/**
 * Releases a customer's verification lock before it ends by itself: a security officer's decision
 * (the customer proved who they are another way), with a reason code and, for `other`, words (at
 * least 10 characters, kept with the lock, not in the ledger). The failures before the release no
 * longer count toward the next lock; sessions already locked stay locked (the caller starts a new
 * one). `verification.not_locked` when there is no lock in force; an unknown customer (or another
 * tenant's) is `customers.not_found`.
 */
export async function releaseCustomerLock(tx: Tx, args: { tenantId: string; agentId: string; customerId: string; reason: LockReleaseReason; text?: string | undefined; now: Date }): Promise<{ lockedUntil: Date }> {
  const text = args.text?.trim() ?? '';
  if (args.reason === 'other' && text.length < 10) throw new AppError(VerificationErrors.invalid_release, { detail: 'For "other", say why in at least 10 characters' });
  if ((await findCustomerById(tx, args.tenantId, args.customerId)) === undefined) throw new AppError(CustomerErrors.not_found);
  const lockedUntil = await releaseLock(tx, args.customerId, { at: args.now, by: args.agentId, reason: args.reason, text: text.length > 0 ? text.slice(0, 500) : null });
  if (lockedUntil === undefined) throw new AppError(VerificationErrors.not_locked);
  await recordEntry(
    tx,
    args.tenantId,
    { actor: { type: 'agent', id: args.agentId }, action: 'verification.lockout.release', targets: { customer: args.customerId }, purpose: args.reason, details: { minutesLeft: Math.ceil((lockedUntil.getTime() - args.now.getTime()) / 60_000) } },
    args.now,
  );
  return { lockedUntil };
}

function toOtpMethod(method: MethodId): OtpMethod | undefined {
  return (OTP_METHODS as readonly string[]).includes(method) ? (method as OtpMethod) : undefined;
}

/** One-time code methods as registry entries: a sender on this server and the contact on file. */
export function otpMethodProviders(dispatcher: OtpDispatcher) {
  return OTP_METHODS.map((id) => ({
    id,
    async available(tx: Tx, query: { tenantId: string; customerId: string }): Promise<boolean> {
      if (!dispatcher.hasSender(id)) return false;
      const record = await loadCustomerRecord(tx, query.tenantId, query.customerId);
      const field = record.fields.find((f) => f.definition.key === CONTACT_FIELDS[id]);
      return field?.value !== null && field?.value !== undefined;
    },
  }));
}

async function statusOf(tx: Tx, deps: Pick<VerificationDeps, 'registry'>, session: SessionRow, settings: VerificationSettings, now: Date): Promise<VerificationStatus> {
  const results = await findResults(tx, session.id);
  const passed = [...new Set(results.filter((r) => r.passed).map((r) => r.method))];
  const available = await deps.registry.available(tx, { tenantId: session.tenant_id, customerId: session.customer_id });
  const lockedUntil = lockedUntilAt(await findLock(tx, session.customer_id), now);
  const state = effectiveState(session, now);
  const level = session.achieved_level as AssuranceLevel;
  const target = session.target_level as AssuranceLevel;
  const active = await findActiveCode(tx, session.id);
  const latest = active ?? (await findLatestCode(tx, session.id));
  const showCode = latest !== undefined && (latest.state === 'active' || latest.delivery === 'failed' || latest.delivery === 'unknown') && latest.state !== 'used';
  const methodIds = [...new Set<MethodId>([...available, ...passed])];
  return {
    id: session.id,
    interactionId: session.interaction_id,
    customerId: session.customer_id,
    state,
    level,
    targetLevel: target,
    language: session.language,
    expiresAt: session.expires_at,
    methods: methodIds.map((m) => ({
      method: m,
      evidence: METHODS[m].evidence,
      label: METHODS[m].label,
      available: available.includes(m),
      passed: passed.includes(m),
      failures: results.filter((r) => r.method === m && !r.passed).length,
    })),
    next: level >= target || (state !== 'open' && state !== 'verified') || lockedUntil !== null ? [] : methodsThatRaise(passed, available, settings.methodOrder),
    code:
      showCode && latest !== undefined
        ? { method: latest.method, delivery: latest.delivery, expiresAt: latest.expires_at, attemptsLeft: latest.state === 'active' ? Math.max(0, latest.max_attempts - latest.attempts) : 0 }
        : null,
    lockedUntil,
  };
}

/**
 * Records one method's result in the caller's transaction, with `session` locked by the caller:
 * the result row, its ledger entry, and then either the level (passed) or the lockout count
 * (failed). Returns the alert raised by a lockout, for the caller to publish after commit.
 */
async function recordResult(
  tx: Tx,
  args: { actor: InteractionActor; session: SessionRow; method: MethodId; passed: boolean; settings: VerificationSettings; now: Date },
): Promise<{ level: AssuranceLevel; alert?: RaisedAlert }> {
  const { actor, session, method, passed, settings, now } = args;
  await insertResult(tx, { id: newId(), tenant_id: session.tenant_id, session_id: session.id, customer_id: session.customer_id, method, passed, at: now });
  const targets = { session: session.id, interaction: session.interaction_id, customer: session.customer_id };
  await recordEntry(tx, session.tenant_id, { actor: ledgerActor(actor), action: 'verification.result', targets, details: { method, passed } }, now);
  if (!passed) {
    // Failures before an officer's release were forgiven with it.
    const released = (await findLock(tx, session.customer_id))?.released_at ?? null;
    const windowStart = new Date(now.getTime() - settings.lockout.windowMinutes * 60_000);
    const failures = await countFailuresSince(tx, session.customer_id, released !== null && released > windowStart ? released : windowStart);
    if (failures < settings.lockout.failures) return { level: session.achieved_level as AssuranceLevel };
    const lockedUntil = new Date(now.getTime() + settings.lockout.lockMinutes * 60_000);
    await upsertLock(tx, { tenant_id: session.tenant_id, customer_id: session.customer_id, locked_at: now, locked_until: lockedUntil, failures });
    await voidActiveCodes(tx, session.id, now);
    await updateSession(tx, session.id, { state: 'locked', updated_at: now });
    await recordEntry(tx, session.tenant_id, { actor: ledgerActor(actor), action: 'verification.lockout', targets, details: { failures, lockMinutes: settings.lockout.lockMinutes } }, now);
    const alert = await raiseAlert(tx, {
      tenantId: session.tenant_id,
      kind: 'verification.lockout',
      agentId: actor.type === 'agent' ? actor.agentId : null,
      details: { failures, windowMinutes: settings.lockout.windowMinutes, lockMinutes: settings.lockout.lockMinutes },
      targets,
      now,
    });
    return { level: session.achieved_level as AssuranceLevel, alert };
  }
  const results = await findResults(tx, session.id);
  const level = assuranceLevel(results.filter((r) => r.passed).map((r) => r.method));
  if (level > session.achieved_level) {
    await updateSession(tx, session.id, { achieved_level: level, state: level >= session.target_level ? 'verified' : 'open', updated_at: now });
    await raiseInteractionLevel(tx, { actor, session, level, now });
  }
  return { level };
}

/**
 * Writes `level` onto the session's interaction (when higher than what it has), with its ledger
 * entry, in the caller's transaction. The interaction row is locked: a relink to another customer
 * that raced this either committed first (then the customer differs and nothing is written) or
 * waits and resets the level after.
 */
async function raiseInteractionLevel(tx: Tx, args: { actor: InteractionActor; session: SessionRow; level: AssuranceLevel; now: Date }): Promise<void> {
  const { actor, session, level, now } = args;
  const row = await tx.selectFrom('interactions').select(['verification_level', 'customer_id', 'state']).where('id', '=', session.interaction_id).forUpdate().executeTakeFirst();
  if (row === undefined || row.customer_id !== session.customer_id || row.state === 'closed' || row.verification_level >= level) return;
  await setInteractionLevel(tx, session.interaction_id, level, now);
  await recordEntry(
    tx,
    session.tenant_id,
    { actor: ledgerActor(actor), action: 'verification.level', targets: { interaction: session.interaction_id, customer: session.customer_id, session: session.id }, details: { from: row.verification_level, to: level } },
    now,
  );
}

export interface StartInput {
  readonly interactionId: string;
  /** When given, must be the customer the interaction is linked to (the IVR says whom it expects). */
  readonly customerId?: string | undefined;
  readonly targetLevel?: AssuranceLevel | undefined;
  readonly language?: Language | undefined;
  /**
   * The number the caller called from (the IVR or telephony platform's caller ID), for the risk
   * engine's calling-number signals. Only its blind index is kept (risk/service.ts).
   */
  readonly callerNumber?: string | undefined;
}

export function createVerificationService(deps: VerificationDeps) {
  const { db, clock, vault, logger, bus, dispatcher } = deps;

  async function publish(alert: RaisedAlert | undefined): Promise<void> {
    if (alert === undefined) return;
    await announceAlert(bus, logger, alert);
  }

  return {
    /**
     * Starts verifying the caller of an interaction as its linked customer (an open session of the
     * interaction is cancelled: one at a time). The interaction must be queued (the IVR) or active.
     */
    async start(actor: InteractionActor, input: StartInput): Promise<VerificationStatus> {
      return db.withTenant(actor.tenantId, async (tx) => {
        const now = clock.now();
        const interaction = await interactionFor(tx, actor, input.interactionId);
        if ((interaction.state !== 'queued' && interaction.state !== 'active') || interaction.customerId === null) throw new AppError(VerificationErrors.interaction_not_ready);
        if (input.customerId !== undefined && input.customerId !== interaction.customerId) throw new AppError(VerificationErrors.interaction_not_ready);
        const customerId = interaction.customerId;
        await assertNotLocked(tx, customerId, now);
        const settings = await loadVerificationSettings(tx);
        let language = input.language;
        if (language === undefined) {
          const record = await loadCustomerRecord(tx, actor.tenantId, customerId);
          const preference = record.fields.find((f) => f.definition.key === 'preferred_language')?.value;
          language = languageOf(preference?.protection === 'clear' ? preference.stored : null, settings.defaultLanguage);
        }
        await withVerificationTables(tx)
          .updateTable('verification_sessions')
          .set({ state: 'cancelled', updated_at: now })
          .where('interaction_id', '=', interaction.id)
          .where('state', 'in', ['open', 'verified'])
          .execute();
        const session: SessionRow = {
          id: newId(),
          tenant_id: actor.tenantId,
          interaction_id: interaction.id,
          customer_id: customerId,
          started_by_type: actor.type,
          started_by: actor.type === 'agent' ? actor.agentId : actor.keyId,
          state: 'open',
          target_level: input.targetLevel ?? settings.defaultTargetLevel,
          // What the interaction already reached counts: the caller is not asked again for it.
          achieved_level: 0,
          language,
          created_at: now,
          expires_at: new Date(now.getTime() + settings.sessionMinutes * 60_000),
          updated_at: now,
        };
        if (interaction.verificationLevel >= session.target_level) {
          session.state = 'verified';
          session.achieved_level = interaction.verificationLevel;
        }
        await insertSession(tx, session);
        if (input.callerNumber !== undefined) await recordSessionCaller(tx, vault, { tenantId: actor.tenantId, sessionId: session.id, customerId, callerNumber: input.callerNumber, now });
        await recordEntry(
          tx,
          actor.tenantId,
          { actor: ledgerActor(actor), action: 'verification.start', targets: { session: session.id, interaction: interaction.id, customer: customerId }, details: { targetLevel: session.target_level, alreadyAt: interaction.verificationLevel, callerNumber: input.callerNumber !== undefined } },
          now,
        );
        return statusOf(tx, deps, session, settings, now);
      });
    },

    async status(actor: InteractionActor, sessionId: string): Promise<VerificationStatus> {
      return db.withTenant(actor.tenantId, async (tx) => {
        const { session } = await sessionFor(tx, actor, sessionId, false);
        return statusOf(tx, deps, session, await loadVerificationSettings(tx), clock.now());
      });
    },

    /**
     * Sends a new code by `method` (voiding the session's previous one), after the resend cooldown
     * and within the customer's hourly budget. The code is queued in the transaction and sent
     * right after it commits (dispatch.ts); the answer says how far delivery got.
     */
    async sendCode(actor: InteractionActor, sessionId: string, method: OtpMethod): Promise<VerificationStatus> {
      const queued = await db.withTenant(actor.tenantId, async (tx) => {
        const now = clock.now();
        const { session, interaction } = await sessionFor(tx, actor, sessionId, true);
        assertUsable(session, interaction, now);
        await assertNotLocked(tx, session.customer_id, now);
        const available = await deps.registry.available(tx, { tenantId: session.tenant_id, customerId: session.customer_id });
        if (!available.includes(method)) throw new AppError(VerificationErrors.method_unavailable, { details: { method } });
        const settings = await loadVerificationSettings(tx);
        const latest = await findLatestCode(tx, session.id);
        const cooldownMs = settings.resendCooldownSeconds * 1_000;
        // A code that never left (failed), or that was used, does not hold the next one back.
        if (latest !== undefined && latest.delivery !== 'failed' && latest.state !== 'used' && now.getTime() - latest.created_at.getTime() < cooldownMs) {
          throw new AppError(VerificationErrors.resend_cooldown, { headers: retryAfter(cooldownMs - (now.getTime() - latest.created_at.getTime())) });
        }
        const sent = await countCodesSince(tx, session.customer_id, new Date(now.getTime() - 60 * 60_000));
        if (sent >= settings.sendsPerHour) throw new AppError(VerificationErrors.resend_cooldown, { detail: 'This customer was sent the most codes allowed in an hour', headers: retryAfter(60_000) });
        await voidActiveCodes(tx, session.id, now);
        const code = newCode(settings.codeDigits);
        const codeId = newId();
        const key = await codeMacKey(tx, vault, session.tenant_id);
        const row: CodeRow = {
          id: codeId,
          tenant_id: session.tenant_id,
          session_id: session.id,
          method,
          code_mac: codeMac(key, { codeId, sessionId: session.id }, code),
          digits: settings.codeDigits,
          state: 'active',
          attempts: 0,
          max_attempts: settings.maxAttempts,
          created_at: now,
          expires_at: new Date(now.getTime() + settings.codeTtlSeconds * 1_000),
          delivery: 'queued',
          job_id: null,
          updated_at: now,
        };
        await insertCode(tx, row);
        const jobId = await enqueueCodeSend(tx, vault, { tenantId: session.tenant_id, codeId, code, now });
        await updateCode(tx, codeId, { job_id: jobId });
        await recordEntry(
          tx,
          session.tenant_id,
          { actor: ledgerActor(actor), action: 'verification.code.send', targets: { session: session.id, interaction: session.interaction_id, customer: session.customer_id, code: codeId }, details: { method, ttlSeconds: settings.codeTtlSeconds } },
          now,
        );
        return { jobId };
      });
      if (deps.dispatchOnRequest !== false) await dispatcher.dispatch(actor.tenantId, queued.jobId);
      return this.status(actor, sessionId);
    },

    /**
     * Checks what the caller read out against the session's active code. A wrong answer uses one
     * of the code's attempts (the last one voids it) and counts toward the customer's lockout; a
     * right one consumes the code and raises the level. An expired code is refused without
     * counting (the caller was not guessing).
     */
    async checkCode(actor: InteractionActor, sessionId: string, input: string): Promise<CheckResult> {
      const outcome = await db.withTenant(actor.tenantId, async (tx) => {
        const now = clock.now();
        const { session, interaction } = await sessionFor(tx, actor, sessionId, true);
        assertUsable(session, interaction, now);
        await assertNotLocked(tx, session.customer_id, now);
        const code = await findActiveCode(tx, session.id, true);
        if (code === undefined) throw new AppError(VerificationErrors.no_active_code);
        if (code.expires_at <= now) {
          await updateCode(tx, code.id, { state: 'void', updated_at: now });
          return { error: new AppError(VerificationErrors.otp_expired) };
        }
        const settings = await loadVerificationSettings(tx);
        const key = await codeMacKey(tx, vault, session.tenant_id);
        const passed = codeMatches(key, { codeId: code.id, sessionId: session.id }, input, code.code_mac, code.digits);
        if (passed) {
          await updateCode(tx, code.id, { state: 'used', updated_at: now });
        } else {
          const attempts = code.attempts + 1;
          await updateCode(tx, code.id, { attempts, state: attempts >= code.max_attempts ? 'exhausted' : 'active', updated_at: now });
        }
        const result = await recordResult(tx, { actor, session, method: code.method, passed, settings, now });
        const fresh = (await findSession(tx, session.id)) ?? session;
        return { passed, alert: result.alert, status: await statusOf(tx, deps, fresh, settings, now) };
      });
      // An expired code commits its voiding, then answers with the error.
      if ('error' in outcome) throw outcome.error;
      await publish(outcome.alert);
      return { passed: outcome.passed, status: outcome.status };
    },

    /** Reports another method's result (questions, documents, biometrics, IVR PIN): see {@link reportMethodResult}. */
    async report(actor: InteractionActor, sessionId: string, method: MethodId, passed: boolean): Promise<CheckResult> {
      const outcome = await db.withTenant(actor.tenantId, (tx) => reportMethodResult(tx, { actor, sessionId, method, passed, now: clock.now(), registry: deps.registry }));
      await publish(outcome.alert);
      return { passed, status: outcome.status };
    },
  };
}

/**
 * For the modules that run the other methods (questions, document checks, biometrics, an IVR
 * PIN): reports that `method` passed or failed for the session, in the caller's transaction (so
 * the method's own rows, this result, the level and their ledger entries commit together). The
 * caller publishes the returned alert, if any, after commit (ALERT_CHANNEL). One-time codes are
 * refused here: their result comes only from checking a code.
 */
export async function reportMethodResult(
  tx: Tx,
  args: { actor: InteractionActor; sessionId: string; method: MethodId; passed: boolean; now: Date; registry: MethodRegistry },
): Promise<{ status: VerificationStatus; alert?: RaisedAlert }> {
  const { actor, method, passed, now } = args;
  if (!isMethodId(method) || toOtpMethod(method) !== undefined) throw new TypeError('report a registered non-OTP method');
  const { session, interaction } = await sessionFor(tx, actor, args.sessionId, true);
  assertUsable(session, interaction, now);
  await assertNotLocked(tx, session.customer_id, now);
  if (!args.registry.has(method)) throw new AppError(VerificationErrors.method_unavailable, { details: { method } });
  const settings = await loadVerificationSettings(tx);
  const result = await recordResult(tx, { actor, session, method, passed, settings, now });
  const fresh = (await findSession(tx, session.id)) ?? session;
  return { status: await statusOf(tx, { registry: args.registry }, fresh, settings, now), ...(result.alert === undefined ? {} : { alert: result.alert }) };
}

/**
 * For the modules that run other methods: the session (locked) if `actor` may act on it and it is
 * open, its interaction still carries its customer and the customer is not locked; the same
 * errors as every other verification call otherwise.
 */
export async function usableSession(tx: Tx, actor: InteractionActor, sessionId: string, now: Date): Promise<SessionRow> {
  const { session, interaction } = await sessionFor(tx, actor, sessionId, true);
  assertUsable(session, interaction, now);
  await assertNotLocked(tx, session.customer_id, now);
  return session;
}

export type VerificationService = ReturnType<typeof createVerificationService>;
