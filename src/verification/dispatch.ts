/**
 * Sending one-time codes through the job table, so that a code whose request committed is sent
 * even if the process dies right after the commit, and is never sent twice.
 *
 * The request's transaction stores the code (as a MAC) and, in the same transaction, a job
 * `verification.otp.send` whose payload holds the code sealed (AES-256-GCM under a key derived from
 * the tenant's vault index key, bound to the code's id) - the only form in which the code exists
 * at rest, and only until it is sent. Then each job goes through three steps:
 *
 *   T1  lock the job row (SKIP LOCKED), claim it: progress {phase: 'sending', claim, at}; commit
 *       -- the message goes to the gateway, outside any transaction --
 *   T2  record the outcome (sent, failed, unknown), remove the sealed code from the payload
 *
 * The send happens between two transactions, never inside one: on the embedded database a
 * transaction holds the only session, and a transaction that committed "sent" only after the
 * gateway answered would, on a crash between the two, be retried and send a second message. With
 * the claim committed first, a job found in `sending` whose claimant is gone (its lease expired)
 * is never sent again over SMPP or SMTP (delivery `unknown`; the agent can send a new code). Over
 * the HTTP providers, which take an idempotency key (the job id), it is sent again safely.
 *
 * The generic job worker (src/jobs/worker.ts) runs steps inside a transaction, which is exactly
 * what a send must not do; so these jobs have their own small poller, started with the server
 * (`startOtpDispatcher`), and the request that queues a job also runs it at once (`dispatch`).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { EmailSender, SmsSender, VoiceCallSender } from '../channels/index.js';
import type { Database, Tx } from '../db/index.js';
import { enqueueJob } from '../jobs/index.js';
import { decryptFieldValue, loadCustomerRecord } from '../customers/index.js';
import type { Clock } from '../platform/clock.js';
import { isAppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import { startPollLoop } from '../platform/poll-loop.js';
import type { Vault } from '../vault/index.js';
import { loadVerificationSettings, type VerificationSettings } from './settings.js';
import { findCode, findSession, type OtpMethod, updateCode } from './store.js';
import { DEFAULT_EMAIL, DEFAULT_SMS, DEFAULT_VOICE, type Language, render } from './templates.js';

export const OTP_JOB = 'verification.otp.send';

/** How long a claim is honoured before another process treats its claimant as gone. */
export const CLAIM_LEASE_MS = 2 * 60_000;
/** Attempts for failures that prove nothing was sent (gateway down, refused connection). */
const MAX_SEND_ATTEMPTS = 5;

/** The senders this server has; a method without one is not offered. */
export interface OtpSenders {
  readonly sms?: SmsSender | undefined;
  readonly email?: EmailSender | undefined;
  readonly voice?: VoiceCallSender | undefined;
}

/** Customer fields the codes go to (the tenant's schema keys). */
export const CONTACT_FIELDS: { readonly [M in OtpMethod]: string } = { otp_sms: 'phone', otp_voice: 'phone', otp_email: 'email' };

export interface DispatchDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly logger: Logger;
  readonly senders: OtpSenders;
}

interface Payload {
  readonly codeId: string;
  readonly sealed?: string;
}

interface Progress {
  readonly phase?: 'sending' | 'sent' | 'failed' | 'unknown' | 'skipped';
  readonly claim?: string;
  readonly at?: string;
}

async function sealKey(tx: Tx, vault: Vault, tenantId: string): Promise<Buffer> {
  const indexKey = await vault.keyring.indexKey(tx, tenantId);
  return Buffer.from(hkdfSync('sha256', indexKey.bytes(), Buffer.alloc(0), Buffer.from('custodia.verification.otp-dispatch.v1'), 32));
}

function seal(key: Buffer, aad: string, code: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
}

function unseal(key: Buffer, aad: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
}

/** Queues the sending of `code` (in the caller's transaction, with the code row). Returns the job id. */
export async function enqueueCodeSend(tx: Tx, vault: Vault, input: { tenantId: string; codeId: string; code: string; now: Date }): Promise<string> {
  const key = await sealKey(tx, vault, input.tenantId);
  const payload: Payload = { codeId: input.codeId, sealed: seal(key, `${input.tenantId}:${input.codeId}`, input.code) };
  return enqueueJob(tx, { tenantId: input.tenantId, kind: OTP_JOB, payload: { ...payload }, now: input.now });
}

/** What to send and where: decided in T1, used between T1 and T2, never stored. */
type Outgoing =
  | { readonly method: 'otp_sms'; readonly to: string; readonly text: string }
  | { readonly method: 'otp_voice'; readonly to: string; readonly text: string; readonly language: Language }
  | { readonly method: 'otp_email'; readonly to: string; readonly subject: string; readonly text: string };

function compose(method: OtpMethod, settings: VerificationSettings, language: Language, to: string, code: string): Outgoing {
  const values = { code, minutes: Math.round(settings.codeTtlSeconds / 60), brand: settings.brand };
  if (method === 'otp_sms') return { method, to, text: render(settings.templates.sms?.[language] ?? DEFAULT_SMS[language], values) };
  if (method === 'otp_voice') return { method, to, language, text: render(settings.templates.voice?.[language] ?? DEFAULT_VOICE[language], values) };
  const template = settings.templates.email?.[language] ?? DEFAULT_EMAIL[language];
  return { method, to, subject: render(template.subject, { ...values, code: '' }).trim(), text: render(template.text, values) };
}

export type SendOutcome = 'sent' | 'retry' | 'failed' | 'unknown';

/** How a failed send ended: nothing sent and worth retrying, nothing sent for good, or not known. */
export function classifySendError(error: unknown, idempotent: boolean): Exclude<SendOutcome, 'sent'> {
  if (!isAppError(error)) return 'unknown';
  const details = error.details ?? {};
  const reason = typeof details.reason === 'string' ? details.reason : '';
  if (details.maybeAccepted === true || reason === 'submit_timeout' || reason === 'connection_lost') return idempotent ? 'retry' : 'unknown';
  if (error.code === 'channels.invalid_destination' || error.code === 'channels.invalid_email') return 'failed';
  if (error.code === 'channels.sms_rejected' || error.code === 'channels.email_rejected' || error.code === 'channels.voice_rejected') {
    return details.retryable === true ? 'retry' : 'failed';
  }
  if (error.code === 'channels.sms_unavailable' || error.code === 'channels.sms_bind_failed' || error.code === 'channels.email_unavailable' || error.code === 'channels.voice_unavailable') return 'retry';
  return 'unknown';
}

export interface OtpDispatcher {
  /** Runs one job now (after the request that queued it committed). Never throws. */
  dispatch(tenantId: string, jobId: string): Promise<SendOutcome | undefined>;
  /** Runs every pending job of every tenant once (the poller's tick; tests). Returns how many ran. */
  runPending(): Promise<number>;
  /** Whether a method has a sender on this server. */
  hasSender(method: OtpMethod): boolean;
}

export function createOtpDispatcher(deps: DispatchDeps): OtpDispatcher {
  const { db, clock, vault, logger, senders } = deps;
  /** Claims this process holds and is sending now. */
  const inFlight = new Set<string>();

  function idempotentFor(method: OtpMethod): boolean {
    const sender: unknown = method === 'otp_email' ? senders.email : method === 'otp_voice' ? senders.voice : senders.sms;
    return typeof sender === 'object' && sender !== null && (sender as { idempotent?: unknown }).idempotent === true;
  }

  async function finishJob(tx: Tx, jobId: string, codeId: string, phase: NonNullable<Progress['phase']>, now: Date, error?: string): Promise<void> {
    // The sealed code leaves the table with the job's end: from here on only its MAC exists.
    await tx
      .updateTable('jobs')
      .set({ state: phase === 'failed' ? 'failed' : 'done', payload: JSON.stringify({ codeId }), progress: JSON.stringify({ phase }), updated_at: now, finished_at: now, last_error: error ?? null })
      .where('id', '=', jobId)
      .execute();
  }

  /** T1: claim the job and prepare the message, or settle a job that must not be sent. */
  async function claim(tenantId: string, jobId: string): Promise<{ claim: string; codeId: string; outgoing: Outgoing } | undefined> {
    return db.withTenant(tenantId, async (tx) => {
      const job = await tx
        .selectFrom('jobs')
        .select(['id', 'payload', 'progress', 'attempts'])
        .where('id', '=', jobId)
        .where('kind', '=', OTP_JOB)
        .where('state', 'in', ['queued', 'running'])
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (job === undefined) return undefined;
      const payload = job.payload as unknown as Payload;
      const progress = job.progress as Progress;
      const now = clock.now();
      const code = await findCode(tx, payload.codeId, true);
      if (code === undefined) {
        await finishJob(tx, jobId, payload.codeId, 'skipped', now);
        return undefined;
      }
      if (progress.phase === 'sending') {
        if (progress.claim !== undefined && inFlight.has(progress.claim)) return undefined;
        const since = progress.at === undefined ? Number.POSITIVE_INFINITY : now.getTime() - new Date(progress.at).getTime();
        // Another process claimed it and may be sending right now.
        if (since < CLAIM_LEASE_MS) return undefined;
        if (!idempotentFor(code.method)) {
          // Its claimant is gone, mid-send or just before: the message may have left. Never twice.
          await finishJob(tx, jobId, payload.codeId, 'unknown', now, 'claim_expired');
          await updateCode(tx, code.id, { delivery: 'unknown', updated_at: now });
          return undefined;
        }
      }
      // A code that was replaced, used or expired before it left is not worth sending.
      if (code.state !== 'active' || code.expires_at <= now || payload.sealed === undefined) {
        await finishJob(tx, jobId, payload.codeId, 'skipped', now);
        return undefined;
      }
      const session = await findSession(tx, code.session_id);
      if (session === undefined) {
        await finishJob(tx, jobId, payload.codeId, 'skipped', now);
        return undefined;
      }
      const settings = await loadVerificationSettings(tx);
      const record = await loadCustomerRecord(tx, tenantId, session.customer_id);
      const contact = await decryptFieldValue(tx, vault, record, CONTACT_FIELDS[code.method]).catch(() => null);
      if (typeof contact !== 'string') {
        await finishJob(tx, jobId, payload.codeId, 'failed', now, 'no_contact');
        await updateCode(tx, code.id, { delivery: 'failed', state: 'void', updated_at: now });
        return undefined;
      }
      const plain = unseal(await sealKey(tx, vault, tenantId), `${tenantId}:${payload.codeId}`, payload.sealed);
      const token = newId();
      await tx
        .updateTable('jobs')
        .set({ state: 'running', progress: JSON.stringify({ phase: 'sending', claim: token, at: now.toISOString() } satisfies Progress), attempts: sql<number>`attempts + 1`, updated_at: now })
        .where('id', '=', jobId)
        .execute();
      await updateCode(tx, code.id, { delivery: 'sending', updated_at: now });
      return { claim: token, codeId: code.id, outgoing: compose(code.method, settings, session.language, contact, plain) };
    });
  }

  async function send(outgoing: Outgoing, reference: string): Promise<void> {
    if (outgoing.method === 'otp_email') {
      if (senders.email === undefined) throw new TypeError('no email sender');
      await senders.email.send({ to: outgoing.to, subject: outgoing.subject, text: outgoing.text, reference });
    } else if (outgoing.method === 'otp_voice') {
      if (senders.voice === undefined) throw new TypeError('no voice sender');
      await senders.voice.call({ to: outgoing.to, text: outgoing.text, language: outgoing.language, reference });
    } else {
      if (senders.sms === undefined) throw new TypeError('no SMS sender');
      await senders.sms.send({ to: outgoing.to, text: outgoing.text, reference });
    }
  }

  /** T2: the outcome, against the claim (a claim taken over meanwhile is left to its new owner). */
  async function settle(tenantId: string, jobId: string, claimToken: string, codeId: string, outcome: SendOutcome, errorCode: string | undefined): Promise<SendOutcome> {
    return db.withTenant(tenantId, async (tx) => {
      const job = await tx.selectFrom('jobs').select(['progress', 'attempts', 'failures']).where('id', '=', jobId).forUpdate().executeTakeFirst();
      if (job === undefined || (job.progress as Progress).claim !== claimToken) return outcome;
      const now = clock.now();
      if (outcome === 'sent') {
        await finishJob(tx, jobId, codeId, 'sent', now);
        await updateCode(tx, codeId, { delivery: 'sent', updated_at: now });
        return outcome;
      }
      if (outcome === 'retry' && job.attempts < MAX_SEND_ATTEMPTS) {
        await tx
          .updateTable('jobs')
          .set({ state: 'queued', progress: JSON.stringify({}), failures: sql<number>`failures + 1`, last_error: errorCode ?? null, updated_at: now })
          .where('id', '=', jobId)
          .execute();
        await updateCode(tx, codeId, { delivery: 'queued', updated_at: now });
        return outcome;
      }
      const final = outcome === 'unknown' ? 'unknown' : 'failed';
      await finishJob(tx, jobId, codeId, final, now, errorCode);
      // Nobody received it (or nobody knows): withdrawn, so the agent may send another at once.
      await updateCode(tx, codeId, { delivery: final, ...(final === 'failed' ? { state: 'void' as const } : {}), updated_at: now });
      return final;
    });
  }

  async function dispatch(tenantId: string, jobId: string): Promise<SendOutcome | undefined> {
    try {
      const claimed = await claim(tenantId, jobId);
      if (claimed === undefined) return undefined;
      inFlight.add(claimed.claim);
      try {
        let outcome: SendOutcome = 'sent';
        let errorCode: string | undefined;
        try {
          await send(claimed.outgoing, jobId);
        } catch (error) {
          outcome = classifySendError(error, idempotentFor(claimed.outgoing.method));
          errorCode = isAppError(error) ? error.code : 'internal';
          logger.warn({ jobId, tenantId, method: claimed.outgoing.method, code: errorCode, outcome }, 'verification code not sent');
        }
        return await settle(tenantId, jobId, claimed.claim, claimed.codeId, outcome, errorCode);
      } finally {
        inFlight.delete(claimed.claim);
      }
    } catch (error) {
      // The job stays in the table; the poller tries again.
      logger.error({ jobId, tenantId, code: isAppError(error) ? error.code : 'internal' }, 'verification code dispatch failed');
      return undefined;
    }
  }

  async function runPending(): Promise<number> {
    const pending = await db.withPlatform((tx) =>
      tx.selectFrom('jobs').select(['id', 'tenant_id']).where('kind', '=', OTP_JOB).where('state', 'in', ['queued', 'running']).orderBy('created_at').limit(200).execute(),
    );
    let ran = 0;
    for (const job of pending) {
      if ((await dispatch(job.tenant_id, job.id)) !== undefined) ran += 1;
    }
    return ran;
  }

  return {
    dispatch,
    runPending,
    hasSender: (method) => (method === 'otp_email' ? senders.email !== undefined : method === 'otp_voice' ? senders.voice !== undefined : senders.sms !== undefined),
  };
}

/** The poller for jobs left behind (a crash after commit, a gateway that was down). */
export function startOtpDispatcher(dispatcher: OtpDispatcher, options: { pollIntervalMs: number; logger: Logger }): { stop(): Promise<void> } {
  return startPollLoop(
    () => dispatcher.runPending(),
    options.pollIntervalMs,
    (error: unknown) => options.logger.error({ code: isAppError(error) ? error.code : 'internal' }, 'verification dispatcher tick failed'),
  );
}
