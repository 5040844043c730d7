/**
 * A tenant's customer field schema: read it, create the default one, replace it.
 *
 * The schema has a version (an integer that grows by one with every change; each definition
 * records the version it last changed in). Definitions are never deleted: a removed field is
 * retired, and can be added again later. Every change is in the ledger, one entry per field.
 *
 * Changes that would contradict stored values are refused with `customers.field_in_use`: removing
 * a field that has values, or changing its type, class or searchability. The class rule is also
 * a foreign key in the database (migration 0010).
 */
import { sql } from 'kysely';
import type { Tx } from '../db/index.js';
import type { CustomerFieldDefinitionsTable } from '../db/schema.js';
import { AppError } from '../platform/errors.js';
import { type CustomerActor, recordCustomerEntry } from './audit.js';
import { CustomerErrors } from './errors.js';
import { DEFAULT_FIELDS, definitionProblem, type FieldDefinition, type FieldDefinitionInput, fieldDefinitionSchema, MAX_FIELDS } from './fields.js';

export interface FieldSchema {
  /** 0 while the tenant has no schema; grows by one with each change. */
  readonly version: number;
  /** Active fields, in the order they were given. */
  readonly fields: readonly FieldDefinition[];
}

export interface SchemaChanges {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

export type DefinitionRow = Pick<CustomerFieldDefinitionsTable, 'key' | 'label' | 'field_type' | 'field_class' | 'purpose' | 'retention_days' | 'searchable' | 'position' | 'schema_version' | 'retired_at'>;

const COLUMNS = ['key', 'label', 'field_type', 'field_class', 'purpose', 'retention_days', 'searchable', 'position', 'schema_version', 'retired_at'] as const;

function toDefinition(row: DefinitionRow): FieldDefinition {
  return { key: row.key, label: row.label, type: row.field_type, class: row.field_class, purpose: row.purpose, retentionDays: row.retention_days, searchable: row.searchable };
}

async function definitionRows(tx: Tx, tenantId: string, lock?: 'update'): Promise<DefinitionRow[]> {
  let query = tx.selectFrom('customer_field_definitions').select(COLUMNS).where('tenant_id', '=', tenantId).orderBy('position').orderBy('key');
  if (lock === 'update') query = query.forUpdate();
  return query.execute();
}

/** The schema from every stored definition (retired ones too), in schema order. */
export function schemaOf(rows: readonly DefinitionRow[]): FieldSchema {
  return {
    version: rows.reduce((v, r) => Math.max(v, r.schema_version), 0),
    fields: rows.filter((r) => r.retired_at === null).map(toDefinition),
  };
}

/** Serializes schema changes (and default creation) of one tenant. */
async function lockSchema(tx: Tx, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.customer_schema.${tenantId}`}, 0))`.execute(tx);
}

/** The stored schema, as it is (no fields and version 0 when the tenant has none yet). */
export async function loadFieldSchema(tx: Tx, tenantId: string): Promise<FieldSchema> {
  return schemaOf(await definitionRows(tx, tenantId));
}

/**
 * The schema, creating {@link DEFAULT_FIELDS} (version 1, recorded in the ledger as
 * `customer.schema.default`) when the tenant has never had one. A tenant that removed every
 * field keeps an empty schema: defaults are created once.
 */
export async function ensureFieldSchema(tx: Tx, tenantId: string, now: Date): Promise<FieldSchema> {
  const rows = await definitionRows(tx, tenantId);
  if (rows.length > 0) return schemaOf(rows);
  await lockSchema(tx, tenantId);
  // Another transaction may have created it while this one waited for the lock.
  const again = await definitionRows(tx, tenantId);
  if (again.length > 0) return schemaOf(again);
  await tx
    .insertInto('customer_field_definitions')
    .values(DEFAULT_FIELDS.map((f, position) => ({ ...definitionColumns(f), tenant_id: tenantId, position, schema_version: 1, created_at: now, updated_at: now, retired_at: null })))
    .execute();
  await recordCustomerEntry(tx, tenantId, { actor: { type: 'system', id: 'customers' }, action: 'customer.schema.default', targets: {}, lists: { fields: DEFAULT_FIELDS.map((f) => f.key) } }, now);
  return { version: 1, fields: DEFAULT_FIELDS };
}

function definitionColumns(f: FieldDefinition) {
  return { key: f.key, label: f.label, field_type: f.type, field_class: f.class, purpose: f.purpose, retention_days: f.retentionDays, searchable: f.searchable };
}

function schemaError(field: string | undefined, reason: string, detail: string): AppError {
  return new AppError(CustomerErrors.invalid_schema, { detail, details: field === undefined ? { reason } : { field, reason } });
}

/**
 * Checks a whole schema as a client sends it: each definition's shape, then the rules across
 * members and across definitions. Throws `customers.invalid_schema` naming the field and the
 * reason; returns the definitions with defaults filled in.
 */
export function validateFieldSchema(input: readonly FieldDefinitionInput[]): FieldDefinition[] {
  if (input.length > MAX_FIELDS) throw schemaError(undefined, 'too_many_fields', `At most ${MAX_FIELDS} fields`);
  const out: FieldDefinition[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of input.entries()) {
    const parsed = fieldDefinitionSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const key = typeof (raw as { key?: unknown }).key === 'string' && /^[a-z][a-z0-9_]{0,39}$/.test((raw as { key: string }).key) ? (raw as { key: string }).key : undefined;
      throw schemaError(key, 'format', `fields[${index}].${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    const definition = parsed.data;
    if (seen.has(definition.key)) throw schemaError(definition.key, 'duplicate_key', `fields[${index}]: the key ${definition.key} appears twice`);
    seen.add(definition.key);
    const problem = definitionProblem(definition);
    if (problem !== undefined) throw schemaError(definition.key, problem, `fields[${index}]: ${PROBLEM_TEXT[problem]}`);
    out.push(definition);
  }
  return out;
}

const PROBLEM_TEXT: Record<NonNullable<ReturnType<typeof definitionProblem>>, string> = {
  format: 'not a valid field definition',
  duplicate_key: 'the key appears twice',
  reserved_key: 'customer_number is the customer number itself, not a field',
  card_security_code: 'card security codes (CVV) are never stored, in any field',
  card_token_class: 'a card_token field has the class payment',
  not_searchable_type: 'only phone, email and document fields can be searchable',
  too_many_fields: `at most ${MAX_FIELDS} fields`,
};

/** Fields (of `keys`) that have at least one stored value. */
async function keysWithValues(tx: Tx, tenantId: string, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await tx.selectFrom('customer_field_values').select('field_key').distinct().where('tenant_id', '=', tenantId).where('field_key', 'in', keys).execute();
  return new Set(rows.map((r) => r.field_key));
}

/**
 * Replaces the tenant's schema with `input` (the complete list of fields, in display order).
 * With `expectedVersion`, refuses with `customers.schema_conflict` when the stored schema is at
 * another version (someone changed it since the caller read it). Nothing changes when `input`
 * equals the stored schema (same version, no ledger entry).
 */
export async function replaceFieldSchema(
  tx: Tx,
  tenantId: string,
  input: readonly FieldDefinitionInput[],
  actor: CustomerActor,
  now: Date,
  options: { readonly expectedVersion?: number | undefined } = {},
): Promise<FieldSchema & { readonly changes: SchemaChanges }> {
  const wanted = validateFieldSchema(input);
  await ensureFieldSchema(tx, tenantId, now);
  await lockSchema(tx, tenantId);
  // FOR UPDATE: value writers hold these rows FOR SHARE while they write, so a field cannot be
  // retired or retyped between their check and their insert (nor the other way round).
  const rows = await definitionRows(tx, tenantId, 'update');
  const current = schemaOf(rows);
  if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
    throw new AppError(CustomerErrors.schema_conflict, { detail: `The schema is at version ${current.version}, not ${options.expectedVersion}: read it again`, details: { version: current.version } });
  }
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const wantedKeys = new Set(wanted.map((f) => f.key));
  const inUse = await keysWithValues(tx, tenantId, rows.filter((r) => r.retired_at === null).map((r) => r.key));
  const version = current.version + 1;
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const entries: { action: string; key: string; details: Record<string, string | number | boolean> }[] = [];

  for (const [position, field] of wanted.entries()) {
    const row = byKey.get(field.key);
    const columns = { ...definitionColumns(field), position };
    if (row === undefined || row.retired_at !== null) {
      added.push(field.key);
      entries.push({ action: 'customer.schema.field_add', key: field.key, details: describe(field) });
      if (row === undefined) {
        await tx.insertInto('customer_field_definitions').values({ ...columns, tenant_id: tenantId, schema_version: version, created_at: now, updated_at: now, retired_at: null }).execute();
      } else {
        await tx.updateTable('customer_field_definitions').set({ ...columns, schema_version: version, updated_at: now, retired_at: null }).where('tenant_id', '=', tenantId).where('key', '=', field.key).execute();
      }
      continue;
    }
    const before = toDefinition(row);
    const attributes = (['label', 'type', 'class', 'purpose', 'retentionDays', 'searchable'] as const).filter((a) => before[a] !== field[a]);
    if (attributes.length === 0 && row.position === position) continue;
    const structural = attributes.find((a) => a === 'type' || a === 'class' || a === 'searchable');
    if (structural !== undefined && inUse.has(field.key)) {
      throw new AppError(CustomerErrors.field_in_use, {
        detail: `${field.key}: the field has values, so its ${structural === 'searchable' ? 'searchability' : structural} cannot change; clear its values first, or add a new field`,
        details: { field: field.key, change: structural },
      });
    }
    await tx.updateTable('customer_field_definitions').set({ ...columns, schema_version: version, updated_at: now }).where('tenant_id', '=', tenantId).where('key', '=', field.key).execute();
    if (attributes.length === 0) continue; // only moved: not a change anyone needs to audit
    changed.push(field.key);
    entries.push({ action: 'customer.schema.field_change', key: field.key, details: { ...describe(field), changed: attributes.join(' ') } });
  }

  for (const row of rows) {
    if (row.retired_at !== null || wantedKeys.has(row.key)) continue;
    if (inUse.has(row.key)) {
      throw new AppError(CustomerErrors.field_in_use, { detail: `${row.key}: the field has values and cannot be removed; clear its values first`, details: { field: row.key, change: 'removed' } });
    }
    removed.push(row.key);
    entries.push({ action: 'customer.schema.field_remove', key: row.key, details: {} });
    await tx.updateTable('customer_field_definitions').set({ schema_version: version, updated_at: now, retired_at: now }).where('tenant_id', '=', tenantId).where('key', '=', row.key).execute();
  }

  const moved = added.length + changed.length + removed.length === 0 && wanted.some((f, i) => byKey.get(f.key)?.position !== i);
  if (entries.length === 0 && !moved) return { ...current, changes: { added, changed, removed } };
  for (const entry of entries) {
    await recordCustomerEntry(tx, tenantId, { actor, action: entry.action, targets: { field: entry.key }, details: { ...entry.details, schemaVersion: version } }, now);
  }
  if (moved) await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.schema.reorder', targets: {}, details: { schemaVersion: version } }, now);
  return { ...(await loadFieldSchema(tx, tenantId)), changes: { added, changed, removed } };
}

/** A definition in a ledger entry: everything but the label (free text an administrator typed). */
function describe(field: FieldDefinition): Record<string, string | number | boolean> {
  return { type: field.type, class: field.class, purpose: field.purpose, retentionDays: field.retentionDays, searchable: field.searchable };
}
