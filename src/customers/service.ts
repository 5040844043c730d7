/**
 * Customer profiles: creating customers, changing and confirming their fields, finding them, and
 * handing their stored record to the access layer. Every function runs in the caller's
 * transaction, so the change, its history rows and its ledger entries commit together.
 *
 * What each value becomes (docs/customers.md):
 * - checked and normalized by its type (values.ts);
 * - a card number is tokenized by the vault, and only the token is kept;
 * - public and internal values are stored in clear; every other class only as vault ciphertext,
 *   sealed under the customer's data key and bound to (tenant, `customer_field_values`, customer
 *   id, field key), so that shredding the customer kills them all and a ciphertext copied to
 *   another customer or field does not open;
 * - a searchable phone, email or document also gets a blind index (vault).
 *
 * Nothing here decrypts a value unless its caller asked for that value, except two internal
 * comparisons that never leave this module: confirming blind-index candidates in a search (the
 * vault requires it: digests are truncated and may collide), and, in an import that updates
 * existing customers, telling an unchanged value from a changed one.
 */
import { z } from 'zod';
import type { Tx } from '../db/index.js';
import { AppError } from '../platform/errors.js';
import type { DataKeyRow, FieldLocation, RecordCipher, Vault } from '../vault/index.js';
import type { PhoneCountry } from '../vault/normalize.js';
import { type CustomerActor, recordCustomerEntry } from './audit.js';
import { CustomerErrors } from './errors.js';
import { ensureFieldSchema, schemaOf } from './field-schema.js';
import { type FieldDefinition, type FieldType, isEncryptedClass, type SearchableType } from './fields.js';
import {
  confirmValueRows,
  deleteValueRow,
  findCustomerById,
  findCustomerIdsByNumber,
  findCustomerRecordRows,
  findValueRows,
  type HistoryEvent,
  insertCustomer,
  insertHistory,
  upsertValueRows,
  type ValueRow,
} from './store.js';
import { type FieldValue, invalidValue, type NormalizedValue, normalizeFieldValue, parseStoredValue } from './values.js';

/** Table name bound into every field ciphertext (with tenant, customer id and field key). */
export const VALUES_TABLE = 'customer_field_values';

export interface CustomerDeps {
  readonly vault: Vault;
  /**
   * Country assumed for phone numbers written without an international prefix: an ISO 3166-1
   * alpha-2 code, as CUSTODIA_DEFAULT_PHONE_COUNTRY (validated by the configuration schema).
   */
  readonly defaultPhoneCountry?: string | undefined;
}

/**
 * A customer number as systems exchange it: letters, digits and `. _ : / -`, starting with a
 * letter or digit, at most 64 characters. It is stored in clear: it must not be a document or
 * phone number (use fields for those).
 */
export const customerNumberSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/, 'letters, digits and . _ : / -, starting with a letter or digit, at most 64 characters');

export function parseCustomerNumber(input: unknown): string {
  const parsed = customerNumberSchema.safeParse(input);
  if (!parsed.success) throw new AppError(CustomerErrors.invalid_customer_number, { detail: `The customer number must have ${parsed.error.issues[0]?.message ?? 'the right format'}` });
  return parsed.data;
}

/** Where a customer's field value lives, for the vault's associated data. */
export function valueLocation(customerId: string, key: string): FieldLocation {
  return { table: VALUES_TABLE, recordId: customerId, field: key };
}

const customerOwner = (id: string) => ({ table: 'customers', id }) as const;

/** The active definitions of `keys`, locked against schema changes until the transaction ends. */
export async function lockFieldDefinitions(tx: Tx, tenantId: string, keys: readonly string[]): Promise<Map<string, FieldDefinition>> {
  if (keys.length === 0) return new Map();
  const rows = await tx
    .selectFrom('customer_field_definitions')
    .select(['key', 'label', 'field_type', 'field_class', 'purpose', 'retention_days', 'searchable'])
    .where('tenant_id', '=', tenantId)
    .where('key', 'in', keys)
    .where('retired_at', 'is', null)
    .orderBy('position')
    .orderBy('key')
    .forShare()
    .execute();
  return new Map(rows.map((r) => [r.key, { key: r.key, label: r.label, type: r.field_type, class: r.field_class, purpose: r.purpose, retentionDays: r.retention_days, searchable: r.searchable }]));
}

/** A key the caller named that is not an active field: named back only when it is key-shaped. */
function unknownField(key: string): AppError {
  const safe = /^[a-z][a-z0-9_]{0,39}$/.test(key);
  return new AppError(CustomerErrors.unknown_field, { detail: safe ? `${key} is not a field of the customer schema` : 'A field name is not in the customer schema', ...(safe ? { details: { field: key } } : {}) });
}

/**
 * Checks and normalizes `fields` (key → value; null: no value) against `definitions`, in schema
 * order so that the first error is always the same one. Throws on the first problem.
 */
export function normalizeFields(fields: Readonly<Record<string, unknown>>, definitions: ReadonlyMap<string, FieldDefinition>, deps: Pick<CustomerDeps, 'defaultPhoneCountry'>): Map<string, NormalizedValue | null> {
  for (const key of Object.keys(fields)) if (!definitions.has(key)) throw unknownField(key);
  const out = new Map<string, NormalizedValue | null>();
  for (const [key, definition] of definitions) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    out.set(key, value === null || value === undefined ? null : normalizeFieldValue(key, definition.type, value, { defaultPhoneCountry: deps.defaultPhoneCountry as PhoneCountry | undefined }));
  }
  return out;
}

export interface FieldChanges {
  /** Keys given a new value. */
  readonly set: readonly string[];
  /** Keys whose value was removed. */
  readonly cleared: readonly string[];
  /** Keys whose value was left as it was (same value, or a card already on file in an import). */
  readonly unchanged: readonly string[];
}

export interface WriteOptions {
  /** The customer gave or confirmed these values just now: their confirmation time is set. */
  readonly confirmed?: boolean;
  /**
   * Leave values that are equal to the stored ones untouched (no history, no ledger), and keep a
   * card already on file rather than tokenizing the given number again. For re-runnable imports.
   */
  readonly skipUnchanged?: boolean;
  /** The customer was inserted in this transaction (internal: skips looking for stored values). */
  readonly created?: boolean;
}

/**
 * Writes normalized values of one customer. A new or changed value loses its confirmation time
 * unless `confirmed` (a value the customer did not confirm is not confirmed because a system
 * sent it). Returns what happened to each key; records history rows, not the ledger entry.
 */
export async function writeCustomerValues(
  tx: Tx,
  deps: CustomerDeps,
  tenantId: string,
  customerId: string,
  definitions: ReadonlyMap<string, FieldDefinition>,
  values: ReadonlyMap<string, NormalizedValue | null>,
  actor: CustomerActor,
  now: Date,
  options: WriteOptions,
): Promise<FieldChanges> {
  const set: string[] = [];
  const cleared: string[] = [];
  const unchanged: string[] = [];
  const history: HistoryEvent[] = [];
  const rows: ValueRow[] = [];
  // A customer created in this transaction has no values yet: no need to look.
  const existing = new Map(options.created === true ? [] : (await findValueRows(tx, tenantId, [customerId], [...values.keys()])).map((r) => [r.field_key, r]));
  const owner = customerOwner(customerId);

  const write = async (cipher: RecordCipher | undefined): Promise<void> => {
    for (const [key, value] of values) {
      const definition = definitions.get(key);
      if (definition === undefined) throw unknownField(key);
      const before = existing.get(key);
      if (value === null) {
        if (before === undefined) continue;
        await deleteValueRow(tx, tenantId, customerId, key);
        if (definition.searchable) await deps.vault.setBlindIndex(tx, tenantId, owner, key, definition.type as SearchableType, null);
        cleared.push(key);
        history.push({ customerId, key, action: 'clear' });
        continue;
      }
      let text: string;
      if (value.pan !== undefined) {
        if (options.skipUnchanged === true && before !== undefined) {
          unchanged.push(key);
          continue;
        }
        // The token is owned by the customer: shredding the customer destroys the card number too.
        text = (await deps.vault.tokenizeCard(tx, tenantId, value.pan, { owner })).token;
      } else {
        text = value.text;
        if (options.skipUnchanged === true && before !== undefined && (await storedText(tx, deps.vault, tenantId, before)) === text) {
          unchanged.push(key);
          continue;
        }
      }
      const encrypted = isEncryptedClass(definition.class);
      if (encrypted && cipher === undefined) throw new Error('writeCustomerValues: no cipher for an encrypted field');
      rows.push({
        customer_id: customerId,
        field_key: key,
        field_class: definition.class,
        value_clear: encrypted ? null : text,
        value_cipher: encrypted && cipher !== undefined ? cipher.encrypt(valueLocation(customerId, key), text) : null,
        confirmed_at: options.confirmed === true ? now : null,
        updated_at: now,
        updated_by_type: actor.type,
        updated_by: actor.id,
      });
      if (definition.searchable) await deps.vault.setBlindIndex(tx, tenantId, owner, key, definition.type as SearchableType, text);
      set.push(key);
      history.push({ customerId, key, action: before === undefined ? 'create' : 'update' });
    }
  };

  // The customer's data key is opened (or created) only when an encrypted value is written.
  const needsCipher = [...values].some(([key, v]) => v !== null && isEncryptedClass(definitions.get(key)?.class ?? 'restricted'));
  if (needsCipher) await deps.vault.withRecord(tx, tenantId, owner, write);
  else await write(undefined);
  await upsertValueRows(tx, tenantId, rows);
  await insertHistory(tx, tenantId, history, actor, now);
  return { set, cleared, unchanged };
}

/** The stored text of a value row: its clear text, or its decrypted ciphertext. Internal only. */
async function storedText(tx: Tx, vault: Vault, tenantId: string, row: ValueRow): Promise<string> {
  if (row.value_clear !== null) return row.value_clear;
  return vault.decryptField(tx, tenantId, valueLocation(row.customer_id, row.field_key), row.value_cipher ?? '');
}

export interface CreateCustomerInput {
  readonly customerNumber: string;
  /** Field key → value; a null or absent value means no value. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The customer gave these values just now (sets their confirmation time). */
  readonly confirmed?: boolean;
}

/**
 * Creates a customer with its fields. Throws `customers.invalid_customer_number`,
 * `customers.unknown_field`, `customers.invalid_value` (nothing written), or
 * `customers.number_taken` when the tenant has a customer with that number.
 *
 * Ledger: `customer.create` (targets the customer; details `set`: the field keys).
 */
export async function createCustomer(tx: Tx, deps: CustomerDeps, tenantId: string, input: CreateCustomerInput, actor: CustomerActor, now: Date): Promise<{ id: string; set: readonly string[] }> {
  const customerNumber = parseCustomerNumber(input.customerNumber);
  await ensureFieldSchema(tx, tenantId, now);
  const definitions = await lockFieldDefinitions(tx, tenantId, Object.keys(input.fields));
  const values = normalizeFields(input.fields, definitions, deps);
  for (const [key, value] of values) if (value === null) values.delete(key);
  const id = await insertCustomer(tx, tenantId, customerNumber, now);
  if (id === undefined) throw new AppError(CustomerErrors.number_taken);
  const changes = await writeCustomerValues(tx, deps, tenantId, id, definitions, values, actor, now, { confirmed: input.confirmed === true, created: true });
  await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.create', targets: { customer: id }, lists: { set: changes.set }, details: { confirmed: input.confirmed === true } }, now);
  return { id, set: changes.set };
}

/**
 * Sets (value) or clears (null) fields of a customer. Throws `customers.not_found` for an
 * unknown id or another tenant's, before looking at the fields.
 *
 * Ledger: `customer.update` (targets the customer; details `set` and `cleared`), only when
 * something changed.
 */
export async function updateCustomerFields(
  tx: Tx,
  deps: CustomerDeps,
  tenantId: string,
  customerId: string,
  fields: Readonly<Record<string, unknown>>,
  actor: CustomerActor,
  now: Date,
  options: Pick<WriteOptions, 'confirmed' | 'skipUnchanged'> = {},
): Promise<FieldChanges> {
  if ((await findCustomerById(tx, tenantId, customerId)) === undefined) throw new AppError(CustomerErrors.not_found);
  await ensureFieldSchema(tx, tenantId, now);
  const definitions = await lockFieldDefinitions(tx, tenantId, Object.keys(fields));
  const values = normalizeFields(fields, definitions, deps);
  const changes = await writeCustomerValues(tx, deps, tenantId, customerId, definitions, values, actor, now, { confirmed: options.confirmed === true, skipUnchanged: options.skipUnchanged === true });
  if (changes.set.length + changes.cleared.length > 0) {
    await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.update', targets: { customer: customerId }, lists: { set: changes.set, cleared: changes.cleared }, details: { confirmed: options.confirmed === true } }, now);
  }
  return changes;
}

/**
 * Records that the customer confirmed the current values of `keys` (data freshness): sets their
 * confirmation time to `now`. Throws `customers.not_found`, `customers.unknown_field`, or
 * `customers.field_empty` when a field has no value (nothing is confirmed then).
 *
 * Ledger: `customer.confirm` (targets the customer; details `confirmed`).
 */
export async function confirmFields(tx: Tx, tenantId: string, customerId: string, keys: readonly string[], actor: CustomerActor, now: Date): Promise<readonly string[]> {
  if ((await findCustomerById(tx, tenantId, customerId)) === undefined) throw new AppError(CustomerErrors.not_found);
  const unique = [...new Set(keys)];
  const definitions = await lockFieldDefinitions(tx, tenantId, unique);
  for (const key of unique) if (!definitions.has(key)) throw unknownField(key);
  const confirmed = await confirmValueRows(tx, tenantId, customerId, unique, now);
  const missing = unique.find((k) => !confirmed.includes(k));
  // Thrown after the update: the caller's transaction rolls it back, so it is all or nothing.
  if (missing !== undefined) throw new AppError(CustomerErrors.field_empty, { detail: `${missing} has no value to confirm`, details: { field: missing } });
  if (unique.length === 0) return [];
  await insertHistory(tx, tenantId, unique.map((key) => ({ customerId, key, action: 'confirm' as const })), actor, now);
  await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.confirm', targets: { customer: customerId }, lists: { confirmed: unique } }, now);
  return unique;
}

/** Exactly one way to find customers. */
export type CustomerQuery = { readonly customerNumber: string } | { readonly phone: string } | { readonly email: string } | { readonly document: string };

/** At most this many ids come back from one search. */
export const MAX_SEARCH_RESULTS = 100;

/**
 * Ids of the customers matching `query`, in the tenant only, sorted, at most
 * {@link MAX_SEARCH_RESULTS}. Phone, email and document go through the vault's blind index of
 * the schema's searchable fields of that type; each candidate is confirmed by comparing its
 * stored value (decrypted here, never returned). Throws `customers.invalid_value` for a term
 * that is not a valid phone, email or document, `customers.not_searchable` when the schema has
 * no searchable field of that type.
 *
 * Ledger: `customer.search` (details `by` and `matches`: never the term).
 */
export async function findCustomers(tx: Tx, deps: CustomerDeps, tenantId: string, query: CustomerQuery, actor: CustomerActor, now: Date): Promise<string[]> {
  let ids: string[];
  let by: string;
  if ('customerNumber' in query) {
    by = 'customer_number';
    const customerNumber = parseCustomerNumber(query.customerNumber);
    ids = [...(await findCustomerIdsByNumber(tx, tenantId, [customerNumber])).values()];
  } else {
    const [kind, term] = 'phone' in query ? (['phone', query.phone] as const) : 'email' in query ? (['email', query.email] as const) : (['document', query.document] as const);
    by = kind;
    ids = await findByBlindIndex(tx, deps, tenantId, kind, term, now);
  }
  ids.sort();
  const result = ids.slice(0, MAX_SEARCH_RESULTS);
  await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.search', targets: {}, details: { by, matches: result.length } }, now);
  return result;
}

async function findByBlindIndex(tx: Tx, deps: CustomerDeps, tenantId: string, kind: SearchableType, term: string, now: Date): Promise<string[]> {
  const schema = await ensureFieldSchema(tx, tenantId, now);
  const keys = schema.fields.filter((f) => f.searchable && f.type === kind).map((f) => f.key);
  if (keys.length === 0) throw new AppError(CustomerErrors.not_searchable, { detail: `No searchable ${kind} field in the customer schema`, details: { fieldType: kind } });
  const normalized = normalizeFieldValue(kind, kind, term, { defaultPhoneCountry: deps.defaultPhoneCountry as PhoneCountry | undefined });
  if (normalized.text === undefined) throw invalidValue(kind, kind, 'format');
  const candidates = await deps.vault.findByBlindIndex(tx, tenantId, kind, normalized.text, 'customers');
  if (candidates.length === 0) return [];
  // Truncated digests can collide: a candidate is a match only if one of its searchable fields of
  // this type holds the same normalized value.
  const matches = new Set<string>();
  for (let i = 0; i < candidates.length; i += 1000) {
    for (const row of await findValueRows(tx, tenantId, candidates.slice(i, i + 1000), keys)) {
      if (matches.has(row.customer_id)) continue;
      if ((await storedText(tx, deps.vault, tenantId, row)) === normalized.text) matches.add(row.customer_id);
    }
  }
  return [...matches];
}

/** A stored value as the access layer receives it: never decrypted by loading. */
export interface StoredFieldValue {
  /** `clear` for the public and internal classes; `encrypted` (vault ciphertext) otherwise. */
  readonly protection: 'clear' | 'encrypted';
  /** The clear text, or the vault ciphertext. */
  readonly stored: string;
  /** When the customer last confirmed it; null if never. */
  readonly confirmedAt: Date | null;
  readonly updatedAt: Date;
  readonly updatedBy: { readonly type: CustomerActor['type']; readonly id: string };
}

export interface CustomerRecordField {
  readonly definition: FieldDefinition;
  /** Null when the customer has no value for the field. */
  readonly value: StoredFieldValue | null;
}

export interface CustomerRecord {
  readonly tenantId: string;
  readonly customerId: string;
  readonly customerNumber: string;
  readonly createdAt: Date;
  readonly schemaVersion: number;
  /** Every active field of the schema, in schema order. */
  readonly fields: readonly CustomerRecordField[];
  /** The customer's data key row, read with the record so that decrypting its values costs no second read. */
  readonly dataKey?: DataKeyRow | undefined;
}

/**
 * The customer's record: the field definitions and, per field, the stored value (clear text or
 * ciphertext) with its confirmation time. Decrypts nothing. Throws `customers.not_found` for an
 * unknown id or another tenant's. A tenant that never had a schema gets an empty field list
 * (this function does not write; the schema is created by the first write).
 */
export async function loadCustomerRecord(tx: Tx, tenantId: string, customerId: string): Promise<CustomerRecord> {
  const found = await findCustomerRecordRows(tx, tenantId, customerId);
  if (found === undefined) throw new AppError(CustomerErrors.not_found);
  const { customer } = found;
  const schema = schemaOf(found.definitions);
  const rows = new Map(found.values.map((r) => [r.field_key, r]));
  return {
    tenantId,
    customerId,
    customerNumber: customer.customer_number,
    createdAt: customer.created_at,
    schemaVersion: schema.version,
    dataKey: found.dataKey,
    fields: schema.fields.map((definition) => {
      const row = rows.get(definition.key);
      return {
        definition,
        value:
          row === undefined
            ? null
            : {
                protection: row.value_clear !== null ? 'clear' : 'encrypted',
                stored: row.value_clear ?? row.value_cipher ?? '',
                confirmedAt: row.confirmed_at,
                updatedAt: row.updated_at,
                updatedBy: { type: row.updated_by_type, id: row.updated_by },
              },
      };
    }),
  };
}

/**
 * The value of one field of a loaded record: decrypted through the vault when it is encrypted
 * (in this transaction, so a shredded customer fails with `vault.key_shredded`), as it is when
 * it is clear. Addresses come back as objects, everything else as text; a card_token field gives
 * the token, never a card number. Null when the field has no value. Throws
 * `customers.unknown_field` for a key that is not in the record. The caller decides whether this
 * reader may see the value, and records that it did.
 */
export async function decryptFieldValue(tx: Tx, vault: Vault, record: CustomerRecord, fieldKey: string): Promise<FieldValue | null> {
  const field = record.fields.find((f) => f.definition.key === fieldKey);
  if (field === undefined) throw unknownField(fieldKey);
  if (field.value === null) return null;
  const text = field.value.protection === 'clear' ? field.value.stored : ((await vault.decryptFields(tx, record.tenantId, [{ location: valueLocation(record.customerId, fieldKey), ciphertext: field.value.stored }], record.dataKey === undefined ? [] : [record.dataKey]))[0] as string);
  return parseStoredValue(field.definition.type, text);
}

/**
 * Decrypts the values of `fieldKeys` (unknown keys throw like {@link decryptFieldValue}) with one
 * data-key read for the whole record. Keys without a value map to null.
 */
export async function decryptFieldValues(tx: Tx, vault: Vault, record: CustomerRecord, fieldKeys: readonly string[]): Promise<Map<string, FieldValue | null>> {
  const out = new Map<string, FieldValue | null>();
  const sealed: { key: string; type: FieldType; location: FieldLocation; ciphertext: string }[] = [];
  for (const key of fieldKeys) {
    const field = record.fields.find((f) => f.definition.key === key);
    if (field === undefined) throw unknownField(key);
    if (field.value === null) out.set(key, null);
    else if (field.value.protection === 'clear') out.set(key, parseStoredValue(field.definition.type, field.value.stored));
    else sealed.push({ key, type: field.definition.type, location: valueLocation(record.customerId, key), ciphertext: field.value.stored });
  }
  const texts = await vault.decryptFields(tx, record.tenantId, sealed, record.dataKey === undefined ? [] : [record.dataKey]);
  sealed.forEach((s, i) => out.set(s.key, parseStoredValue(s.type, texts[i] as string)));
  return out;
}

export interface StaleField {
  readonly key: string;
  readonly label: string;
  /** Null: the customer never confirmed this value. */
  readonly confirmedAt: Date | null;
}

const DAY_MS = 86_400_000;

/**
 * Fields with a value the customer has not confirmed within `thresholdDays` before `now` (or
 * never), in schema order: what the agent should ask the customer to confirm or update. Fields
 * without a value are not listed.
 */
export function staleFields(record: CustomerRecord, thresholdDays: number, now: Date): StaleField[] {
  if (!Number.isInteger(thresholdDays) || thresholdDays < 1) throw new TypeError('thresholdDays must be a positive integer');
  const limit = now.getTime() - thresholdDays * DAY_MS;
  const out: StaleField[] = [];
  for (const { definition, value } of record.fields) {
    if (value === null) continue;
    if (value.confirmedAt === null || value.confirmedAt.getTime() <= limit) out.push({ key: definition.key, label: definition.label, confirmedAt: value.confirmedAt });
  }
  return out;
}
