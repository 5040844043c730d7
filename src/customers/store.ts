/**
 * SQL for customer rows, field values and their history. Callers pass a transaction scoped to the
 * customer's tenant; every query also names the tenant (defence in depth next to row-level
 * security, and it lets the planner use the (tenant_id, ...) keys).
 */
import { sql } from 'kysely';
import { jsonColumn, type Tx } from '../db/index.js';
import type { CustomerActorType, CustomerFieldDefinitionsTable, CustomerFieldHistoryTable, CustomerFieldValuesTable } from '../db/schema.js';
import { isUuid, newId } from '../platform/ids.js';
import { dataKeyOfOwner, type DataKeyRow, parseDataKeyRow } from '../vault/data-key-row.js';

/** Inserts customers by number, skipping numbers that exist; returns how many were new. */
export async function insertCustomerNumbers(tx: Tx, tenantId: string, numbers: readonly string[], now: Date): Promise<number> {
  let inserted = 0;
  // Batches keep each statement's parameter count well under PostgreSQL's 65535 limit.
  for (let i = 0; i < numbers.length; i += 1000) {
    const batch = numbers.slice(i, i + 1000).map((customer_number) => ({ id: newId(), tenant_id: tenantId, customer_number, created_at: now }));
    const result = await tx.insertInto('customers').values(batch).onConflict((oc) => oc.columns(['tenant_id', 'customer_number']).doNothing()).executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

export async function countCustomers(tx: Tx): Promise<number> {
  const row = await tx.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface CustomerRow {
  readonly id: string;
  readonly customer_number: string;
  readonly created_at: Date;
}

/** The customer, or undefined (unknown id, another tenant's id, or not a UUID: all alike). */
export async function findCustomerById(tx: Tx, tenantId: string, id: string): Promise<CustomerRow | undefined> {
  // A string that is not a UUID would make PostgreSQL fail the cast (a 500), not miss.
  if (!isUuid(id)) return undefined;
  return tx.selectFrom('customers').select(['id', 'customer_number', 'created_at']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function findCustomerIdsByNumber(tx: Tx, tenantId: string, numbers: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < numbers.length; i += 1000) {
    const rows = await tx.selectFrom('customers').select(['id', 'customer_number']).where('tenant_id', '=', tenantId).where('customer_number', 'in', numbers.slice(i, i + 1000)).execute();
    for (const r of rows) out.set(r.customer_number, r.id);
  }
  return out;
}

/** Inserts a customer; undefined when the number is taken (also by a concurrent transaction). */
export async function insertCustomer(tx: Tx, tenantId: string, customerNumber: string, now: Date): Promise<string | undefined> {
  const row = await tx
    .insertInto('customers')
    .values({ id: newId(), tenant_id: tenantId, customer_number: customerNumber, created_at: now })
    .onConflict((oc) => oc.columns(['tenant_id', 'customer_number']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

export type ValueRow = Pick<CustomerFieldValuesTable, 'customer_id' | 'field_key' | 'field_class' | 'value_clear' | 'value_cipher' | 'confirmed_at' | 'updated_at' | 'updated_by_type' | 'updated_by'>;

const VALUE_COLUMNS = ['customer_id', 'field_key', 'field_class', 'value_clear', 'value_cipher', 'confirmed_at', 'updated_at', 'updated_by_type', 'updated_by'] as const;

type JsonDefinition = Omit<CustomerFieldDefinitionsTable, 'tenant_id' | 'created_at' | 'updated_at' | 'retired_at'> & { retired_at: string | null };
type JsonValue = Omit<ValueRow, 'customer_id' | 'confirmed_at' | 'updated_at'> & { confirmed_at: string | null; updated_at: string };

export interface CustomerRecordRows {
  readonly customer: CustomerRow;
  /** Every definition of the tenant's schema (retired ones too), in schema order. */
  readonly definitions: readonly (Omit<CustomerFieldDefinitionsTable, 'tenant_id' | 'created_at' | 'updated_at'>)[];
  readonly values: readonly ValueRow[];
  /** The customer's data key row (src/vault/data-key-row.ts), undefined when it has none. */
  readonly dataKey: DataKeyRow | undefined;
}

/**
 * The customer, the tenant's field definitions, the customer's stored values and data key, in one
 * statement: opening a record is on every agent's path, and each statement is a round trip.
 * Undefined like {@link findCustomerById}.
 */
export async function findCustomerRecordRows(tx: Tx, tenantId: string, id: string): Promise<CustomerRecordRows | undefined> {
  if (!isUuid(id)) return undefined;
  const result = await sql<{ id: string; customer_number: string; created_at: Date; definitions: string | JsonDefinition[]; field_values: string | JsonValue[]; data_key: unknown }>`
    SELECT c.id, c.customer_number, c.created_at,
      (
        SELECT coalesce(json_agg(json_build_object(
          'key', d.key, 'label', d.label, 'field_type', d.field_type, 'field_class', d.field_class, 'purpose', d.purpose,
          'retention_days', d.retention_days, 'searchable', d.searchable, 'position', d.position,
          'schema_version', d.schema_version, 'retired_at', d.retired_at
        ) ORDER BY d.position, d.key), '[]'::json)
        FROM customer_field_definitions d WHERE d.tenant_id = ${tenantId}
      ) AS definitions,
      (
        SELECT coalesce(json_agg(json_build_object(
          'field_key', v.field_key, 'field_class', v.field_class, 'value_clear', v.value_clear, 'value_cipher', v.value_cipher,
          'confirmed_at', v.confirmed_at, 'updated_at', v.updated_at, 'updated_by_type', v.updated_by_type, 'updated_by', v.updated_by
        )), '[]'::json)
        FROM customer_field_values v WHERE v.tenant_id = ${tenantId} AND v.customer_id = c.id
      ) AS field_values,
      ${dataKeyOfOwner(tenantId, 'customers', sql.ref('c.id'))} AS data_key
    FROM customers c
    WHERE c.tenant_id = ${tenantId} AND c.id = ${id}
  `.execute(tx);
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return {
    customer: { id: row.id, customer_number: row.customer_number, created_at: row.created_at },
    definitions: jsonColumn(row.definitions).map((d) => ({ ...d, retired_at: d.retired_at === null ? null : new Date(d.retired_at) })),
    values: jsonColumn(row.field_values).map((v) => ({ ...v, customer_id: row.id, confirmed_at: v.confirmed_at === null ? null : new Date(v.confirmed_at), updated_at: new Date(v.updated_at) })),
    dataKey: parseDataKeyRow(row.data_key),
  };
}

/** Stored values of some customers (all their fields, or only `keys`). */
export async function findValueRows(tx: Tx, tenantId: string, customerIds: readonly string[], keys?: readonly string[]): Promise<ValueRow[]> {
  if (customerIds.length === 0 || keys?.length === 0) return [];
  let query = tx.selectFrom('customer_field_values').select(VALUE_COLUMNS).where('tenant_id', '=', tenantId).where('customer_id', 'in', customerIds);
  if (keys !== undefined) query = query.where('field_key', 'in', keys);
  return query.execute();
}

/** Inserts or replaces value rows (one statement; a row's key columns never change). */
export async function upsertValueRows(tx: Tx, tenantId: string, rows: readonly ValueRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insertInto('customer_field_values')
    .values(rows.map((row) => ({ tenant_id: tenantId, ...row })))
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'customer_id', 'field_key']).doUpdateSet((eb) => ({
        field_class: eb.ref('excluded.field_class'),
        value_clear: eb.ref('excluded.value_clear'),
        value_cipher: eb.ref('excluded.value_cipher'),
        confirmed_at: eb.ref('excluded.confirmed_at'),
        updated_at: eb.ref('excluded.updated_at'),
        updated_by_type: eb.ref('excluded.updated_by_type'),
        updated_by: eb.ref('excluded.updated_by'),
      })),
    )
    .execute();
}

export async function deleteValueRow(tx: Tx, tenantId: string, customerId: string, key: string): Promise<void> {
  await tx.deleteFrom('customer_field_values').where('tenant_id', '=', tenantId).where('customer_id', '=', customerId).where('field_key', '=', key).execute();
}

/** Sets `confirmed_at` of the customer's stored `keys`; returns the keys that had a value. */
export async function confirmValueRows(tx: Tx, tenantId: string, customerId: string, keys: readonly string[], now: Date): Promise<string[]> {
  if (keys.length === 0) return [];
  const rows = await tx
    .updateTable('customer_field_values')
    .set({ confirmed_at: now })
    .where('tenant_id', '=', tenantId)
    .where('customer_id', '=', customerId)
    .where('field_key', 'in', keys)
    .returning('field_key')
    .execute();
  return rows.map((r) => r.field_key);
}

export interface HistoryEvent {
  readonly customerId: string;
  readonly key: string;
  readonly action: CustomerFieldHistoryTable['action'];
}

/** Appends history rows: who, which field, which action, when. There is no column for a value. */
export async function insertHistory(tx: Tx, tenantId: string, events: readonly HistoryEvent[], actor: { type: CustomerActorType; id: string }, now: Date): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const rows = events.slice(i, i + 1000).map((e) => ({ id: newId(), tenant_id: tenantId, customer_id: e.customerId, field_key: e.key, action: e.action, actor_type: actor.type, actor_id: actor.id, at: now }));
    if (rows.length > 0) await tx.insertInto('customer_field_history').values(rows).execute();
  }
}
