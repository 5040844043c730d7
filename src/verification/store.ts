/**
 * SQL for verification's own tables. Callers pass a transaction scoped to the tenant: row-level
 * security keeps every query inside it, so another tenant's id is found as often as an unknown one.
 *
 * The row types live here (and the migration 0013 is their source of truth); `withTables` adds
 * them to the transaction's view of the schema for the queries of this domain.
 */
import type { ColumnType, Selectable } from 'kysely';
import type { Tx } from '../db/index.js';
import type { AssuranceLevel, MethodId } from './levels.js';
import type { Language } from './templates.js';

export type SessionState = 'open' | 'verified' | 'locked' | 'expired' | 'cancelled';
export type OtpMethod = 'otp_sms' | 'otp_email' | 'otp_voice';
export type CodeState = 'active' | 'used' | 'void' | 'exhausted';
export type Delivery = 'queued' | 'sending' | 'sent' | 'failed' | 'unknown';

export interface VerificationSettingsTable {
  tenant_id: string;
  settings: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Date;
  updated_by: string;
}

export interface VerificationSessionsTable {
  id: string;
  tenant_id: string;
  interaction_id: string;
  customer_id: string;
  started_by_type: 'agent' | 'service';
  started_by: string;
  state: SessionState;
  target_level: number;
  achieved_level: number;
  language: Language;
  created_at: Date;
  expires_at: Date;
  updated_at: Date;
}

export interface VerificationResultsTable {
  id: string;
  tenant_id: string;
  session_id: string;
  customer_id: string;
  method: MethodId;
  passed: boolean;
  at: Date;
}

export interface VerificationCodesTable {
  id: string;
  tenant_id: string;
  session_id: string;
  method: OtpMethod;
  code_mac: Uint8Array;
  digits: number;
  state: CodeState;
  attempts: number;
  max_attempts: number;
  created_at: Date;
  expires_at: Date;
  delivery: Delivery;
  job_id: string | null;
  updated_at: Date;
}

export interface VerificationLocksTable {
  tenant_id: string;
  customer_id: string;
  locked_at: Date;
  locked_until: Date;
  failures: number;
  /** Set when a security officer released the lock early (migration 0017); failures before it no longer count. */
  released_at: Date | null;
  released_by: string | null;
  release_reason: string | null;
  release_text: string | null;
}

// A type alias, not an interface: withTables wants an index signature, which only aliases imply.
export type VerificationTables = {
  verification_settings: VerificationSettingsTable;
  verification_sessions: VerificationSessionsTable;
  verification_results: VerificationResultsTable;
  verification_codes: VerificationCodesTable;
  verification_locks: VerificationLocksTable;
};

export function withVerificationTables(tx: Tx) {
  return tx.withTables<VerificationTables>();
}

export type SessionRow = Selectable<VerificationSessionsTable>;
export type CodeRow = Selectable<VerificationCodesTable>;

export async function insertSession(tx: Tx, row: SessionRow): Promise<void> {
  await withVerificationTables(tx).insertInto('verification_sessions').values(row).execute();
}

export async function findSession(tx: Tx, id: string, lock = false): Promise<SessionRow | undefined> {
  let query = withVerificationTables(tx).selectFrom('verification_sessions').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateSession(tx: Tx, id: string, changes: Partial<Pick<SessionRow, 'state' | 'achieved_level' | 'updated_at'>>): Promise<void> {
  await withVerificationTables(tx).updateTable('verification_sessions').set(changes).where('id', '=', id).execute();
}

/** The latest session of an interaction, if any. */
export async function findLatestSessionOf(tx: Tx, interactionId: string): Promise<SessionRow | undefined> {
  return withVerificationTables(tx).selectFrom('verification_sessions').selectAll().where('interaction_id', '=', interactionId).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

export async function insertResult(tx: Tx, row: Selectable<VerificationResultsTable>): Promise<void> {
  await withVerificationTables(tx).insertInto('verification_results').values(row).execute();
}

export async function findResults(tx: Tx, sessionId: string): Promise<{ method: MethodId; passed: boolean; at: Date }[]> {
  return withVerificationTables(tx).selectFrom('verification_results').select(['method', 'passed', 'at']).where('session_id', '=', sessionId).orderBy('at').execute();
}

/** Failed results of a customer since `since`, every session together. */
export async function countFailuresSince(tx: Tx, customerId: string, since: Date): Promise<number> {
  const row = await withVerificationTables(tx)
    .selectFrom('verification_results')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('passed', '=', false)
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findLock(tx: Tx, customerId: string): Promise<Selectable<VerificationLocksTable> | undefined> {
  return withVerificationTables(tx).selectFrom('verification_locks').selectAll().where('customer_id', '=', customerId).executeTakeFirst();
}

/** When the lock ends, if it holds at `now`: not ended by itself, not released by an officer. */
export function lockedUntilAt(lock: Selectable<VerificationLocksTable> | undefined, now: Date): Date | null {
  return lock !== undefined && lock.released_at === null && lock.locked_until > now ? lock.locked_until : null;
}

/** Locks the customer (a new lock clears an earlier release). */
export async function upsertLock(tx: Tx, row: Pick<Selectable<VerificationLocksTable>, 'tenant_id' | 'customer_id' | 'locked_at' | 'locked_until' | 'failures'>): Promise<void> {
  const released = { released_at: null, released_by: null, release_reason: null, release_text: null };
  await withVerificationTables(tx)
    .insertInto('verification_locks')
    .values({ ...row, ...released })
    .onConflict((oc) => oc.columns(['tenant_id', 'customer_id']).doUpdateSet({ locked_at: row.locked_at, locked_until: row.locked_until, failures: row.failures, ...released }))
    .execute();
}

/** Marks the customer's lock released, if it holds at `at`; returns when it would have ended, or undefined. */
export async function releaseLock(tx: Tx, customerId: string, release: { at: Date; by: string; reason: string; text: string | null }): Promise<Date | undefined> {
  const row = await withVerificationTables(tx)
    .updateTable('verification_locks')
    .set({ released_at: release.at, released_by: release.by, release_reason: release.reason, release_text: release.text })
    .where('customer_id', '=', customerId)
    .where('released_at', 'is', null)
    .where('locked_until', '>', release.at)
    .returning('locked_until')
    .executeTakeFirst();
  return row?.locked_until;
}

export async function findActiveCode(tx: Tx, sessionId: string, lock = false): Promise<CodeRow | undefined> {
  let query = withVerificationTables(tx).selectFrom('verification_codes').selectAll().where('session_id', '=', sessionId).where('state', '=', 'active');
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findLatestCode(tx: Tx, sessionId: string): Promise<CodeRow | undefined> {
  return withVerificationTables(tx).selectFrom('verification_codes').selectAll().where('session_id', '=', sessionId).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

export async function findCode(tx: Tx, id: string, lock = false): Promise<CodeRow | undefined> {
  let query = withVerificationTables(tx).selectFrom('verification_codes').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function insertCode(tx: Tx, row: CodeRow): Promise<void> {
  await withVerificationTables(tx).insertInto('verification_codes').values(row).execute();
}

export async function updateCode(tx: Tx, id: string, changes: Partial<Pick<CodeRow, 'state' | 'attempts' | 'delivery' | 'job_id' | 'updated_at'>>): Promise<void> {
  await withVerificationTables(tx).updateTable('verification_codes').set(changes).where('id', '=', id).execute();
}

/** Voids the session's active code (a new one replaces it). */
export async function voidActiveCodes(tx: Tx, sessionId: string, now: Date): Promise<number> {
  const result = await withVerificationTables(tx).updateTable('verification_codes').set({ state: 'void', updated_at: now }).where('session_id', '=', sessionId).where('state', '=', 'active').executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Codes sent to a customer since `since`, every session together (the hourly budget). */
export async function countCodesSince(tx: Tx, customerId: string, since: Date): Promise<number> {
  const row = await withVerificationTables(tx)
    .selectFrom('verification_codes')
    .innerJoin('verification_sessions', 'verification_sessions.id', 'verification_codes.session_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('verification_sessions.customer_id', '=', customerId)
    .where('verification_codes.created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Writes the level the caller reached onto the interaction (the access layer reads it there). */
export async function setInteractionLevel(tx: Tx, interactionId: string, level: AssuranceLevel, now: Date): Promise<void> {
  await tx.updateTable('interactions').set({ verification_level: level, updated_at: now }).where('id', '=', interactionId).execute();
}
