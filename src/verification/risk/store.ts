/**
 * SQL for the risk engine's tables (migration 0015) and the counts it reads from verification's
 * own. Callers pass a tenant-scoped transaction: row-level security keeps every query in it.
 */
import { type RawBuilder, type Selectable, sql } from 'kysely';
import type { Tx } from '../../db/index.js';
import { SETTINGS_TEXT_SQL } from '../settings.js';
import type { VerificationTables } from '../store.js';

export interface SessionCallersTable {
  tenant_id: string;
  session_id: string;
  customer_id: string;
  caller_digest: Uint8Array;
  at: Date;
}

export type FraudReason = 'confirmed_fraud' | 'suspected_fraud' | 'spoofing' | 'other';

export interface FraudNumbersTable {
  id: string;
  tenant_id: string;
  digest: Uint8Array;
  hint: string;
  reason: FraudReason;
  added_by: string;
  added_at: Date;
}

export type RiskTables = VerificationTables & {
  verification_session_callers: SessionCallersTable;
  verification_fraud_numbers: FraudNumbersTable;
};

export function withRiskTables(tx: Tx) {
  return tx.withTables<RiskTables>();
}

export type FraudNumberRow = Selectable<FraudNumbersTable>;

export async function insertSessionCaller(tx: Tx, row: Selectable<SessionCallersTable>): Promise<void> {
  await withRiskTables(tx).insertInto('verification_session_callers').values(row).execute();
}

export async function insertFraudNumber(tx: Tx, row: FraudNumberRow): Promise<boolean> {
  const inserted = await withRiskTables(tx)
    .insertInto('verification_fraud_numbers')
    .values(row)
    .onConflict((oc) => oc.constraint('verification_fraud_numbers_digest_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function listFraudNumbers(tx: Tx, limit: number): Promise<FraudNumberRow[]> {
  return withRiskTables(tx).selectFrom('verification_fraud_numbers').selectAll().orderBy('added_at', 'desc').orderBy('id').limit(limit).execute();
}

export async function deleteFraudNumber(tx: Tx, id: string): Promise<FraudNumberRow | undefined> {
  return withRiskTables(tx).deleteFrom('verification_fraud_numbers').where('id', '=', id).returningAll().executeTakeFirst();
}

export interface RiskCounts {
  readonly customerFailuresDay: number;
  readonly customerFailuresHour: number;
  /** Whether the interaction has a calling number (the caller counts below are 0 without one). */
  readonly hasCaller: boolean;
  readonly callerFailuresDay: number;
  readonly callerFailuresHour: number;
  readonly callerCustomersDay: number;
  readonly knownFraudNumber: boolean;
  /** Phone digests on the customer's record, and whether one of them is the calling number's. */
  readonly phonesOnFile: number;
  readonly callerIsPhoneOnFile: boolean;
  /** What the `contact` expression gave (the contact checks' reads). */
  readonly contact: unknown;
}

/** What {@link readRiskInputs} reads: everything a risk decision needs from the database. */
export interface RiskInputs {
  /** The interaction (its id as stored), its customer and level; undefined when the tenant has no such interaction. */
  readonly interaction: { readonly id: string; readonly customerId: string | null; readonly verificationLevel: number } | undefined;
  /** The tenant's verification settings as stored (`settings::text`); null when none were saved. */
  readonly settingsText: string | null;
  readonly counts: RiskCounts;
}

export interface RiskInputsQuery {
  readonly interactionId: string;
  /** Whose counts: this customer, or (undefined) the interaction's own. */
  readonly customerId: string | undefined;
  readonly dayStart: Date;
  readonly hourStart: Date;
  /** The contact checks' reads for a customer id or the expression that gives it (contact/index.ts `select`). */
  readonly contact: (customerId: string | RawBuilder<unknown>) => RawBuilder<unknown>;
}

/**
 * Every count and flag the risk engine reads from the database, with the interaction, the
 * tenant's settings and the contact checks' reads (`contact`), in one statement: one round trip
 * per decision. The calling number is the interaction's latest session's; digests are compared in
 * SQL, as every blind-index lookup is.
 */
export async function readRiskInputs(tx: Tx, q: RiskInputsQuery): Promise<RiskInputs> {
  const customer = q.customerId ?? sql`(SELECT customer_id FROM subject)`;
  const result = await sql<{
    interaction_id: string | null;
    interaction_customer: string | null;
    interaction_level: number | null;
    settings: string | null;
    customer_day: string;
    customer_hour: string;
    has_caller: boolean;
    caller_day: string;
    caller_hour: string;
    caller_customers: string;
    fraud: boolean;
    phones: string;
    matches: boolean;
    contact: unknown;
  }>`
    WITH subject AS (
      SELECT id, customer_id, verification_level FROM interactions WHERE id = ${q.interactionId}
    ), caller AS (
      SELECT c.caller_digest AS d
      FROM verification_session_callers c
      JOIN verification_sessions s ON s.tenant_id = c.tenant_id AND s.id = c.session_id
      WHERE s.interaction_id = ${q.interactionId}
      ORDER BY c.at DESC
      LIMIT 1
    ), failures AS (
      SELECT count(*) AS day, count(*) FILTER (WHERE at > ${q.hourStart}) AS hour
      FROM verification_results
      WHERE customer_id = ${customer} AND NOT passed AND at > ${q.dayStart}
    ), caller_failures AS (
      SELECT count(*) AS day, count(*) FILTER (WHERE r.at > ${q.hourStart}) AS hour
      FROM verification_session_callers c
      JOIN verification_results r ON r.tenant_id = c.tenant_id AND r.session_id = c.session_id
      WHERE c.caller_digest = (SELECT d FROM caller) AND NOT r.passed AND r.at > ${q.dayStart}
    ), phones AS (
      SELECT digest FROM blind_indexes
      WHERE owner_table = 'customers' AND owner_id = ${customer} AND kind = 'phone' AND field = 'phone'
    )
    SELECT
      (SELECT id FROM subject) AS interaction_id,
      (SELECT customer_id FROM subject) AS interaction_customer,
      (SELECT verification_level FROM subject) AS interaction_level,
      ${SETTINGS_TEXT_SQL} AS settings,
      (SELECT day FROM failures) AS customer_day,
      (SELECT hour FROM failures) AS customer_hour,
      EXISTS (SELECT 1 FROM caller) AS has_caller,
      (SELECT day FROM caller_failures) AS caller_day,
      (SELECT hour FROM caller_failures) AS caller_hour,
      (SELECT count(DISTINCT customer_id) FROM verification_session_callers WHERE caller_digest = (SELECT d FROM caller) AND at > ${q.dayStart}) AS caller_customers,
      EXISTS (SELECT 1 FROM verification_fraud_numbers WHERE digest = (SELECT d FROM caller)) AS fraud,
      (SELECT count(*) FROM phones) AS phones,
      EXISTS (SELECT 1 FROM phones WHERE digest = (SELECT d FROM caller)) AS matches,
      ${q.contact(customer)} AS contact
  `.execute(tx);
  const row = result.rows[0];
  if (row === undefined) throw new Error('the risk inputs query returned no row');
  return {
    interaction: row.interaction_id === null ? undefined : { id: row.interaction_id, customerId: row.interaction_customer, verificationLevel: Number(row.interaction_level) },
    settingsText: row.settings,
    counts: {
      customerFailuresDay: Number(row.customer_day),
      customerFailuresHour: Number(row.customer_hour),
      hasCaller: row.has_caller,
      callerFailuresDay: Number(row.caller_day),
      callerFailuresHour: Number(row.caller_hour),
      callerCustomersDay: Number(row.caller_customers),
      knownFraudNumber: row.fraud,
      phonesOnFile: Number(row.phones),
      callerIsPhoneOnFile: row.matches,
      contact: row.contact,
    },
  };
}
