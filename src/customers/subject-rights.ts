/**
 * Data-subject rights over one customer (docs/customers.md, "Data-subject rights"): the export of
 * everything held on the customer (decrypted), erasure by crypto-shredding, and the retention
 * purge of values kept longer than their field allows. Every function runs in the caller's
 * transaction, so what it does and its ledger entries commit together. Ledger entries carry ids,
 * field keys and counts only: never a value or a customer number.
 */
import { sql } from 'kysely';
import type { Tx } from '../db/index.js';
import { escapeHtml } from '../ledger/access-report.js';
import type { AccessReport } from '../ledger/access-report.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { Vault } from '../vault/index.js';
import { type CustomerActor, recordCustomerEntry } from './audit.js';
import { CustomerErrors } from './errors.js';
import { loadFieldSchema } from './field-schema.js';
import type { FieldClass, FieldType } from './fields.js';
import { decryptFieldValue, loadCustomerRecord, valueLocation } from './service.js';
import { type HistoryEvent, insertHistory } from './store.js';
import type { FieldValue } from './values.js';

const DAY_MS = 86_400_000;

/**
 * What an erased customer's number becomes. The customer row stays as a tombstone (its id is in
 * the ledger, in interactions and in the field history); its number, which may identify the
 * person, is replaced by this pseudonym, unique in the tenant and of the customer-number format.
 */
export function erasedCustomerNumber(customerId: string): string {
  return `erased:${customerId.toLowerCase()}`;
}

export function isErasedCustomerNumber(customerId: string, customerNumber: string): boolean {
  return customerNumber === erasedCustomerNumber(customerId);
}

// ---------------------------------------------------------------------------------------------
// Export

export interface ExportedField {
  readonly key: string;
  readonly label: string;
  readonly type: FieldType;
  readonly class: FieldClass;
  readonly purpose: string;
  readonly retentionDays: number;
  /** Decrypted; a card_token field gives the token, never a card number. Null: no value. */
  readonly value: FieldValue | null;
  readonly confirmedAt: Date | null;
  readonly updatedAt: Date | null;
}

export interface CustomerExport {
  readonly customerId: string;
  readonly customerNumber: string;
  readonly createdAt: Date;
  /** True for a customer erased by {@link eraseCustomer} (a tombstone without values). */
  readonly erased: boolean;
  readonly schemaVersion: number;
  /** Every active field of the schema, in schema order. */
  readonly fields: readonly ExportedField[];
}

/**
 * Everything held on one customer, decrypted. Throws `customers.not_found` for an unknown id or
 * another tenant's. The caller checks that the reader may see it (the security officer).
 *
 * Ledger: `customer.export` (targets the customer; details `fields`: how many had a value).
 */
export async function exportCustomer(tx: Tx, vault: Vault, tenantId: string, customerId: string, actor: CustomerActor, now: Date): Promise<CustomerExport> {
  const record = await loadCustomerRecord(tx, tenantId, customerId);
  const fields: ExportedField[] = [];
  for (const { definition, value } of record.fields) {
    fields.push({
      key: definition.key,
      label: definition.label,
      type: definition.type,
      class: definition.class,
      purpose: definition.purpose,
      retentionDays: definition.retentionDays,
      value: value === null ? null : await decryptFieldValue(tx, vault, record, definition.key),
      confirmedAt: value?.confirmedAt ?? null,
      updatedAt: value?.updatedAt ?? null,
    });
  }
  const withValue = fields.filter((f) => f.value !== null).length;
  await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.export', targets: { customer: record.customerId }, details: { fields: withValue } }, now);
  return {
    customerId: record.customerId,
    customerNumber: record.customerNumber,
    createdAt: record.createdAt,
    erased: isErasedCustomerNumber(record.customerId, record.customerNumber),
    schemaVersion: record.schemaVersion,
    fields,
  };
}

/**
 * The Content-Security-Policy of the export page: no script, no external resource of any kind;
 * its one inline stylesheet only.
 */
export const CUSTOMER_EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const EXPORT_STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; color: #1b1b1b; background: #fff; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem; border-bottom: 1px solid #ccc; }
th { background: #f2f2f2; } code { font-family: ui-monospace, monospace; font-size: 0.85rem; }
p.note { font-size: 0.85rem; color: #444; overflow-wrap: anywhere; }
`;

export function valueText(value: FieldValue | null): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .filter(([, v]) => typeof v === 'string' && v.length > 0)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n');
}

export const dateText = (d: Date | null): string => (d === null ? '' : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`);

/**
 * The export as a self-contained HTML page: the customer's data, then who accessed it (the
 * access report). Everything from the database is escaped; no script, no external resource.
 */
export function customerExportHtml(data: CustomerExport, report: AccessReport, options: { organisation?: string; generatedAt: Date }): string {
  const who = options.organisation === undefined ? 'the organisation that holds your data' : escapeHtml(options.organisation);
  const cell = (text: string): string => `<td>${escapeHtml(text).replace(/\n/g, '<br>')}</td>`;
  const fieldRows = data.fields
    .map((f) => `<tr>${cell(f.label)}${cell(valueText(f.value))}${cell(f.purpose.replace(/[_.-]+/g, ' '))}${cell(`${f.retentionDays} days`)}${cell(f.class)}${cell(dateText(f.updatedAt))}${cell(dateText(f.confirmedAt))}</tr>`)
    .join('\n');
  const accessRows = report.rows
    .map((r) => `<tr>${cell(r.time.slice(0, 16).replace('T', ' ') + ' UTC')}${cell(`${r.actor.type} ${r.actor.id}`)}${cell(r.description)}${cell(r.field ?? '')}${cell(r.purpose ?? '')}${cell(r.reason ?? '')}<td>${r.seq}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CUSTOMER_EXPORT_CSP.replace("; frame-ancestors 'none'", ''))}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your data</title>
<style>${EXPORT_STYLE}</style>
</head>
<body>
<h1>Your data</h1>
<p>Everything ${who} holds on you as a customer, and who used it. Customer number: <code>${escapeHtml(data.customerNumber)}</code>; reference <code>${escapeHtml(data.customerId)}</code>; customer since ${escapeHtml(dateText(data.createdAt))}. Generated ${escapeHtml(dateText(options.generatedAt))}.</p>
${data.erased ? '<p><strong>Your data was erased.</strong> Only this reference remains.</p>\n' : ''}<h2>What we hold</h2>
<table>
<thead><tr><th scope="col">Information</th><th scope="col">Value</th><th scope="col">Why we keep it</th><th scope="col">Kept for</th><th scope="col">Protection class</th><th scope="col">Last changed</th><th scope="col">Last confirmed by you</th></tr></thead>
<tbody>
${fieldRows}
</tbody>
</table>
<p class="note">A stored card is shown as its token: the card number itself is never shown.</p>
<h2>Who accessed your information</h2>
${
  report.rows.length === 0
    ? '<p>No recorded access in the period the report covers.</p>'
    : `<table>
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What they did</th><th scope="col">Which information</th><th scope="col">Purpose</th><th scope="col">Reason given</th><th scope="col">Ledger entry</th></tr></thead>
<tbody>
${accessRows}
</tbody>
</table>`
}
${report.truncated ? `<p><strong>Only the first ${report.rows.length} entries are shown.</strong></p>\n` : ''}<p class="note">The access list covers the audit ledger up to entry ${report.treeSize} (tree size ${report.treeSize}).</p>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// Erasure

export interface ErasureResult {
  /** Value rows deleted. */
  readonly values: number;
  /** Whether the customer had a data key (now destroyed). */
  readonly dataKey: boolean;
  readonly blindIndexes: number;
  readonly cardTokens: number;
  /** Enrolled security-question answers deleted (Argon2id hashes). */
  readonly securityAnswers: number;
  /** Biometric templates deleted, each with its own data key shredded. */
  readonly biometricTemplates: number;
}

/**
 * What caller verification keeps about the customer goes with the erasure: enrolled answers
 * (hashes of what the customer knows) and biometric templates, which are sealed under data keys
 * of their own (src/verification/biometrics), so the customer's key does not cover them, and the
 * words of a lock release. Consent records stay: they hold ids and times only, and prove what was
 * agreed.
 */
async function eraseVerificationData(tx: Tx, vault: Vault, tenantId: string, customerId: string): Promise<{ securityAnswers: number; biometricTemplates: number }> {
  const answers = await sql`delete from verification_question_answers where tenant_id = ${tenantId} and customer_id = ${customerId}`.execute(tx);
  const templates = await sql<{ id: string }>`delete from biometric_enrollments where tenant_id = ${tenantId} and customer_id = ${customerId} returning id`.execute(tx);
  for (const { id } of templates.rows) await vault.shred(tx, tenantId, { table: 'biometric_enrollments', id });
  // An officer's words on releasing a lock may describe the customer's situation.
  await sql`update verification_locks set release_text = null where tenant_id = ${tenantId} and customer_id = ${customerId}`.execute(tx);
  return { securityAnswers: Number(answers.numAffectedRows ?? 0n), biometricTemplates: templates.rows.length };
}

/**
 * Erases a customer by crypto-shredding: destroys the customer's data key (every ciphertext
 * sealed for the customer, wherever copied, stops opening), its blind indexes and card tokens,
 * deletes its value rows (clear ones too), adds a `clear` history row per deleted value, and
 * replaces the customer number by {@link erasedCustomerNumber}. The customer row stays as a
 * tombstone. `confirmCustomerNumber` must be the customer's number, exactly.
 *
 * Throws `customers.not_found` (unknown id, another tenant's), `customers.already_erased`,
 * `customers.erase_confirmation_mismatch` (nothing changed then).
 *
 * Ledger: `customer.erase` (targets the customer; details the counts, `cleared`: the field keys).
 */
export async function eraseCustomer(tx: Tx, vault: Vault, tenantId: string, customerId: string, confirmCustomerNumber: string, actor: CustomerActor, now: Date): Promise<ErasureResult> {
  if (!isUuid(customerId)) throw new AppError(CustomerErrors.not_found);
  // Locked: a concurrent write to this customer waits, then sees the tombstone.
  const customer = await tx.selectFrom('customers').select(['id', 'customer_number']).where('tenant_id', '=', tenantId).where('id', '=', customerId).forUpdate().executeTakeFirst();
  if (customer === undefined) throw new AppError(CustomerErrors.not_found);
  if (isErasedCustomerNumber(customer.id, customer.customer_number)) throw new AppError(CustomerErrors.already_erased);
  if (confirmCustomerNumber.trim() !== customer.customer_number) throw new AppError(CustomerErrors.erase_confirmation_mismatch);

  const deleted = await tx.deleteFrom('customer_field_values').where('tenant_id', '=', tenantId).where('customer_id', '=', customer.id).returning('field_key').execute();
  const keys = deleted.map((r) => r.field_key).sort();
  const shredded = await vault.shred(tx, tenantId, { table: 'customers', id: customer.id });
  await tx.updateTable('customers').set({ customer_number: erasedCustomerNumber(customer.id) }).where('tenant_id', '=', tenantId).where('id', '=', customer.id).execute();
  await insertHistory(tx, tenantId, keys.map((key): HistoryEvent => ({ customerId: customer.id, key, action: 'clear' })), actor, now);
  const verification = await eraseVerificationData(tx, vault, tenantId, customer.id);
  const result: ErasureResult = { values: keys.length, ...shredded, ...verification };
  await recordCustomerEntry(
    tx,
    tenantId,
    {
      actor,
      action: 'customer.erase',
      targets: { customer: customer.id },
      lists: { cleared: keys },
      details: { values: result.values, dataKey: result.dataKey, blindIndexes: result.blindIndexes, cardTokens: result.cardTokens, securityAnswers: result.securityAnswers, biometricTemplates: result.biometricTemplates },
    },
    now,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// Retention

/** Who the retention purge is recorded as, unless the caller names someone. */
export const RETENTION_ACTOR: CustomerActor = { type: 'system', id: 'retention' };

export interface PurgeResult {
  /** Per field key with purged values: how many. Fields with none are not listed. */
  readonly fields: readonly { readonly key: string; readonly purged: number }[];
  readonly total: number;
  /** Customers the purge left with no value at all, erased as a whole (see below). */
  readonly erasedCustomers: number;
}

/**
 * Deletes the values whose field's `retentionDays` have passed since the value was last written
 * (`updated_at + retentionDays days <= now`), with their blind indexes and, for card_token
 * fields, the vault's card token row (and its encrypted card number). Adds a `clear` history row
 * per value. The vault is needed to read a card field's token (stored encrypted) to find its row.
 *
 * Ledger: one `customer.retention_purge` per field key with purged values (targets `field`;
 * details `purged` and `retentionDays`). No customer id: the entry is about the field.
 */
export async function purgeExpiredFields(tx: Tx, vault: Vault, tenantId: string, now: Date, actor: CustomerActor = RETENTION_ACTOR): Promise<PurgeResult> {
  const schema = await loadFieldSchema(tx, tenantId);
  const fields: { key: string; purged: number }[] = [];
  const touched = new Set<string>();
  for (const definition of schema.fields) {
    const cutoff = new Date(now.getTime() - definition.retentionDays * DAY_MS);
    const rows = await tx
      .deleteFrom('customer_field_values')
      .where('tenant_id', '=', tenantId)
      .where('field_key', '=', definition.key)
      .where('updated_at', '<=', cutoff)
      .returning(['customer_id', 'value_clear', 'value_cipher'])
      .execute();
    if (rows.length === 0) continue;
    const ids = rows.map((r) => r.customer_id);
    if (definition.searchable) {
      for (let i = 0; i < ids.length; i += 1000) {
        await tx.deleteFrom('blind_indexes').where('tenant_id', '=', tenantId).where('owner_table', '=', 'customers').where('owner_id', 'in', ids.slice(i, i + 1000)).where('field', '=', definition.key).execute();
      }
    }
    if (definition.type === 'card_token') {
      for (const row of rows) {
        const token = row.value_clear ?? (await vault.decryptField(tx, tenantId, valueLocation(row.customer_id, definition.key), row.value_cipher ?? ''));
        await tx.deleteFrom('card_tokens').where('tenant_id', '=', tenantId).where('token', '=', token).where('owner_table', '=', 'customers').where('owner_id', '=', row.customer_id).execute();
      }
    }
    await insertHistory(tx, tenantId, ids.map((customerId): HistoryEvent => ({ customerId, key: definition.key, action: 'clear' })), actor, now);
    await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.retention_purge', targets: { field: definition.key }, details: { purged: rows.length, retentionDays: definition.retentionDays } }, now);
    fields.push({ key: definition.key, purged: rows.length });
    for (const id of ids) touched.add(id);
  }
  const erasedCustomers = await eraseEmptiedCustomers(tx, vault, tenantId, [...touched], actor, now);
  return { fields, total: fields.reduce((n, f) => n + f.purged, 0), erasedCustomers };
}

/**
 * A customer whose last values this purge removed holds nothing the contact center may keep, but
 * its data key, card tokens and customer number would outlive the retention period: such a record
 * is erased like a data-subject erasure (crypto-shredded, number replaced by a tombstone). Only
 * customers the purge itself emptied: a record created without values is not touched.
 */
async function eraseEmptiedCustomers(tx: Tx, vault: Vault, tenantId: string, customerIds: readonly string[], actor: CustomerActor, now: Date): Promise<number> {
  let erased = 0;
  for (let i = 0; i < customerIds.length; i += 1000) {
    const batch = customerIds.slice(i, i + 1000);
    const emptied = await tx
      .selectFrom('customers')
      .select(['id', 'customer_number'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', batch)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('customer_field_values as v').select('v.customer_id').whereRef('v.tenant_id', '=', 'customers.tenant_id').whereRef('v.customer_id', '=', 'customers.id'))))
      .orderBy('id')
      .execute();
    for (const customer of emptied) {
      if (isErasedCustomerNumber(customer.id, customer.customer_number)) continue;
      await eraseCustomer(tx, vault, tenantId, customer.id, customer.customer_number, actor, now);
      erased += 1;
    }
  }
  return erased;
}
