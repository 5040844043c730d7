/**
 * Contact checks: what the customer's email and phone on file say about trust. The risk engine
 * (src/verification/risk/) calls a {@link ContactSignalsFn}; nothing here decides a level.
 *
 * The phone and email are vault ciphertext, so the function needs the server's vault (and its DNS
 * resolver): build it once with {@link createContactSignals} (setup.ts does, and exposes it as
 * `Verification.contactSignals`), then call it as `contactSignals(tx, { tenantId, customerId, now })`.
 */
import { type RawBuilder, sql } from 'kysely';
import { CustomerErrors, valueLocation } from '../../customers/index.js';
import { jsonColumn, type Tx } from '../../db/index.js';
import { AppError } from '../../platform/errors.js';
import { dataKeyOfOwner, parseDataKeyRow, type Vault } from '../../vault/index.js';
import { isDisposableDomain } from './disposable.js';
import { emailDomain } from './email.js';
import { type MxAnswer, MxChecker } from './mx.js';
import { checkPhone } from './phone.js';

export { disposableDomains, isDisposableDomain, parseDomainList } from './disposable.js';
export { emailDomain, isValidEmailSyntax } from './email.js';
export { type MxAnswer, MxChecker, type MxOptions } from './mx.js';
export { checkPhone, type PhoneCheck } from './phone.js';

export interface ContactSignals {
  /** Days since the phone field last changed (created, updated or cleared), if within the window; null otherwise. */
  readonly phoneChangedWithinDays: number | null;
  /** Days since the email field last changed, if within the window; null otherwise. */
  readonly emailChangedWithinDays: number | null;
  /** The email on file is at a known disposable-mail domain. */
  readonly emailDisposable: boolean;
  /** The email domain has a mail exchanger; 'unknown' when DNS did not answer in time (or no email). */
  readonly emailHasMx: boolean | 'unknown';
  /** libphonenumber-js type of the phone on file (MOBILE, FIXED_LINE...), null when none or invalid. */
  readonly phoneType: string | null;
}

export interface ContactSignalsQuery {
  readonly tenantId: string;
  readonly customerId: string;
  readonly now: Date;
}

/**
 * What {@link ContactSignalsFn.select} reads for: the customer's id, or an SQL expression that
 * gives it inside the statement the select is folded into (a statement that learns the customer
 * as it runs, from an interaction, say).
 */
export interface ContactSelectQuery {
  readonly tenantId: string;
  readonly customerId: string | RawBuilder<unknown>;
  readonly now: Date;
}

/**
 * The contact checks of one customer: call it, or fold what it reads into a statement of one's
 * own (the risk engine does: a decision then costs one round trip, not three) with
 * {@link ContactSignalsFn.select} and finish with {@link ContactSignalsFn.fromRow}.
 */
export interface ContactSignalsFn {
  (tx: Tx, query: ContactSignalsQuery): Promise<ContactSignals>;
  /** Everything the checks read, as one json value (a scalar subquery): null for an unknown customer. */
  select(query: ContactSelectQuery): RawBuilder<unknown>;
  /**
   * The signals from what {@link select} gave, in the same transaction. With `phoneType: false`
   * the phone on file is neither decrypted nor parsed (`phoneType` is then null): for a caller,
   * such as the risk engine, that does not use it.
   */
  fromRow(tx: Tx, row: unknown, query: ContactSignalsQuery, want?: ContactSignalsWanted): Promise<ContactSignals>;
}

/** Which of the signals a caller uses (all by default). */
export interface ContactSignalsWanted {
  readonly phoneType?: boolean | undefined;
}

export interface ContactSignalsDeps {
  readonly vault: Vault;
  /** Mail-exchanger answers (default: the system's resolvers), read from its cache: see {@link MxChecker.answerNow}. */
  readonly mx?: { answerNow(domain: string): MxAnswer } | undefined;
  /** Changes older than this many days are not reported (default 90; the risk engine applies its own window within it). */
  readonly lookbackDays?: number | undefined;
}

const DAY_MS = 86_400_000;

interface ContactRow {
  created_at: Date | string | null;
  phone_changed: Date | string | null;
  email_changed: Date | string | null;
  contact_values: string | readonly StoredContact[] | null;
  /** The customer's data key row, for decrypting the values without a second read. */
  data_key: unknown;
}

interface StoredContact {
  readonly key: string;
  readonly type: 'phone' | 'email';
  readonly clear: string | null;
  readonly cipher: string | null;
}

/**
 * Everything the checks read, as one json value (a risk decision pays for it on every step-up
 * question, inside its own statement): the customer's creation time, the last change of a phone
 * and of an email field, the stored phone and email values in schema order, and the customer's
 * data key row. A change is a value created after the customer was, updated or cleared, within
 * the lookback: the value a customer was created with is not a change, so a new customer is not
 * a taken-over one. Only fields of the current schema count.
 */
function contactRowJson(q: { tenantId: string; customerId: string | RawBuilder<unknown>; since: Date; now: Date }): RawBuilder<unknown> {
  const changed = (type: 'phone' | 'email') => sql`(
    SELECT max(h.at) FROM customer_field_history h
    JOIN contact_fields f ON f.key = h.field_key AND f.field_type = ${type}
    WHERE h.tenant_id = ${q.tenantId} AND h.customer_id = ${q.customerId}
      AND h.action IN ('create', 'update', 'clear')
      AND h.at > c.created_at AND h.at >= ${q.since} AND h.at <= ${q.now}
  )`;
  return sql`(
    WITH contact_fields AS (
      SELECT key, field_type, position FROM customer_field_definitions
      WHERE tenant_id = ${q.tenantId} AND retired_at IS NULL AND field_type IN ('phone', 'email')
    )
    SELECT json_build_object(
      'created_at', c.created_at,
      'phone_changed', ${changed('phone')},
      'email_changed', ${changed('email')},
      'contact_values', (
        SELECT json_agg(json_build_object('key', v.field_key, 'type', f.field_type, 'clear', v.value_clear, 'cipher', v.value_cipher) ORDER BY f.position, f.key)
        FROM customer_field_values v JOIN contact_fields f ON f.key = v.field_key
        WHERE v.tenant_id = ${q.tenantId} AND v.customer_id = ${q.customerId}
      ),
      'data_key', ${dataKeyOfOwner(q.tenantId, 'customers', sql.ref('c.id'))}
    )
    FROM customers c
    WHERE c.tenant_id = ${q.tenantId} AND c.id = ${q.customerId}
  )`;
}

function daysSince(at: Date | string | null, now: Date): number | null {
  if (at === null) return null;
  return Math.floor((now.getTime() - new Date(at).getTime()) / DAY_MS);
}

/** The value to check for `type`: the field named `preferred` when it has one, else the first in schema order. */
function pick(values: readonly StoredContact[], type: 'phone' | 'email', preferred: string): StoredContact | undefined {
  const present = values.filter((v) => v.type === type && (v.clear !== null || v.cipher !== null));
  return present.find((v) => v.key === preferred) ?? present[0];
}

/** Builds the contact-signals function for a server (its vault and DNS resolver). */
export function createContactSignals(deps: ContactSignalsDeps): ContactSignalsFn {
  const mx = deps.mx ?? new MxChecker();
  const lookbackDays = deps.lookbackDays ?? 90;
  const select = (query: ContactSelectQuery) => contactRowJson({ tenantId: query.tenantId, customerId: query.customerId, since: new Date(query.now.getTime() - lookbackDays * DAY_MS), now: query.now });

  async function fromRow(tx: Tx, value: unknown, query: ContactSignalsQuery, want?: ContactSignalsWanted): Promise<ContactSignals> {
    const row = value === null || value === undefined ? undefined : jsonColumn(value as string | ContactRow);
    if (row === undefined || row.created_at === null) throw new AppError(CustomerErrors.not_found);
    const stored = row.contact_values === null ? [] : jsonColumn(row.contact_values);
    // Personal data is decrypted only for a signal the caller uses.
    const chosen = [pick(stored, 'email', 'email'), want?.phoneType === false ? undefined : pick(stored, 'phone', 'phone')];
    // The values to open, under the key read with them (the customer's key).
    const sealed = chosen.filter((v): v is StoredContact => v !== undefined && v.clear === null && v.cipher !== null);
    const dataKey = parseDataKeyRow(row.data_key);
    const opened = await deps.vault.decryptFields(
      tx,
      query.tenantId,
      sealed.map((v) => ({ location: valueLocation(query.customerId, v.key), ciphertext: v.cipher as string })),
      dataKey === undefined ? [] : [dataKey],
    );
    const text = (v: StoredContact | undefined): string | null => (v === undefined ? null : (v.clear ?? opened[sealed.indexOf(v)] ?? null));
    const email = text(chosen[0]);
    const phone = text(chosen[1]);
    const domain = email === null ? undefined : emailDomain(email);
    return {
      phoneChangedWithinDays: daysSince(row.phone_changed, query.now),
      emailChangedWithinDays: daysSince(row.email_changed, query.now),
      emailDisposable: domain !== undefined && isDisposableDomain(domain),
      // Never a DNS wait inside the caller's transaction: a domain seen for the first time is
      // 'unknown' (no weight) while its lookup runs, and answered from the cache afterwards.
      emailHasMx: domain === undefined ? (email === null ? 'unknown' : false) : mx.answerNow(domain),
      phoneType: phone === null ? null : checkPhone(phone).type,
    };
  }

  const contactSignals = async (tx: Tx, query: ContactSignalsQuery): Promise<ContactSignals> => {
    const result = await sql<{ contact: unknown }>`SELECT ${select(query)} AS contact`.execute(tx);
    return fromRow(tx, result.rows[0]?.contact, query);
  };
  return Object.assign(contactSignals, { select, fromRow });
}
