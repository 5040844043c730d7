/** SQL for the tenants table. Callers pass a transaction in platform scope. */
import type { Selectable } from 'kysely';
import type { TenantsTable, Tx } from '../db/index.js';

export type TenantRow = Selectable<TenantsTable>;

export function insertTenant(tx: Tx, row: TenantRow): Promise<unknown> {
  return tx.insertInto('tenants').values(row).execute();
}

export function findTenantById(tx: Tx, id: string): Promise<TenantRow | undefined> {
  return tx.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findTenantBySlug(tx: Tx, slug: string): Promise<TenantRow | undefined> {
  return tx.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/** Keyset pagination by slug: stable under concurrent inserts, no OFFSET scans. */
export function findTenants(tx: Tx, options: { limit: number; after?: string | undefined }): Promise<TenantRow[]> {
  let query = tx.selectFrom('tenants').selectAll().orderBy('slug').limit(options.limit);
  if (options.after !== undefined) query = query.where('slug', '>', options.after);
  return query.execute();
}

export async function updateTenant(
  tx: Tx,
  id: string,
  changes: Partial<Pick<TenantRow, 'name' | 'status'>> & { updated_at: Date },
): Promise<TenantRow | undefined> {
  return tx.updateTable('tenants').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteTenant(tx: Tx, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
