/**
 * A record's data key read by the caller's own statement. A request that reads a record and then
 * decrypts its values would otherwise pay a second round trip for the data_keys row; with
 * {@link dataKeyOfOwner} in its select list it pays none, and hands the row to
 * `Vault.decryptFields`, which unwraps it exactly as if it had read it itself.
 *
 * Nothing here trusts the row more than the vault's own read: it comes from the same tenant
 * transaction under the same row-level security, and the wrapped key is bound by associated data
 * to its tenant, id and owner, so a row that is not what it says does not open.
 */
import { type Expression, type RawBuilder, sql } from 'kysely';
import { isUuid } from '../platform/ids.js';

/** A data_keys row, as {@link dataKeyOfOwner} returns it. */
export interface DataKeyRow {
  readonly id: string;
  readonly owner_table: string;
  readonly owner_id: string;
  readonly kek_version: number;
  readonly wrapped_key: string;
}

/**
 * A scalar subquery: the data key row of the record `ownerId` of `ownerTable` as one json value,
 * or null when the record has none (never written to, or erased).
 */
export function dataKeyOfOwner(tenantId: string, ownerTable: string, ownerId: Expression<string>): RawBuilder<unknown> {
  // tenant_id as well as row-level security: the lookup uses the (tenant_id, owner_table, owner_id) key.
  return sql`(
    SELECT json_build_object('id', k.id, 'owner_table', k.owner_table, 'owner_id', k.owner_id, 'kek_version', k.kek_version, 'wrapped_key', k.wrapped_key)
    FROM data_keys k
    WHERE k.tenant_id = ${tenantId} AND k.owner_table = ${ownerTable} AND k.owner_id = ${ownerId}
  )`;
}

/**
 * The row from what {@link dataKeyOfOwner} selected (text on drivers that leave json unparsed);
 * undefined for null or for anything not shaped like a row, so that the vault then reads the key
 * by id as usual.
 */
export function parseDataKeyRow(value: unknown): DataKeyRow | undefined {
  let row: unknown = value;
  if (typeof value === 'string') {
    try {
      row = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof row !== 'object' || row === null) return undefined;
  const r = row as Record<string, unknown>;
  if (typeof r.id !== 'string' || !isUuid(r.id) || typeof r.owner_table !== 'string' || typeof r.owner_id !== 'string' || !Number.isInteger(r.kek_version) || typeof r.wrapped_key !== 'string') return undefined;
  return { id: r.id, owner_table: r.owner_table, owner_id: r.owner_id, kek_version: r.kek_version as number, wrapped_key: r.wrapped_key };
}
