/** SQL for customer rows. Callers pass a transaction scoped to the customer's tenant. */
import type { Tx } from '../db/index.js';
import { newId } from '../platform/ids.js';

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
