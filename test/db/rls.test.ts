/**
 * Tenant isolation is enforced by PostgreSQL row-level security, not only by the code: a query
 * that forgets its tenant filter still sees only the current tenant's rows. Runs on PGlite, and on
 * PostgreSQL when TEST_DATABASE_URL is set.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTenantScope } from '../../src/db/index.js';
import { newId } from '../../src/platform/ids.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const now = new Date('2026-11-23T09:00:00Z');
let t: TestDatabase;
const tenantA = newId();
const tenantB = newId();

beforeAll(async () => {
  t = await openTestDatabase();
  await t.db.withPlatform(async (tx) => {
    for (const [id, slug] of [
      [tenantA, 'tenant-a'],
      [tenantB, 'tenant-b'],
    ] as const) {
      await tx.insertInto('tenants').values({ id, slug, name: slug, status: 'active', created_at: now, updated_at: now }).execute();
      await openTenantScope(tx, id);
      await tx
        .insertInto('customers')
        .values([1, 2, 3].map((n) => ({ id: newId(), tenant_id: id, customer_number: `${slug}-${n}`, created_at: now })))
        .execute();
    }
  });
});

afterAll(async () => {
  await t?.destroy();
});

describe(`row-level security on ${backend}`, () => {
  it('a query without a tenant filter returns only the current tenant rows', async () => {
    const rows = await t.db.withTenant(tenantA, (tx) => tx.selectFrom('customers').select(['tenant_id', 'customer_number']).execute());
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([tenantA]));
  });

  it('raw SQL without a filter is scoped too', async () => {
    const result = await t.db.withTenant(tenantB, (tx) => sql<{ n: number }>`select count(*)::int as n from customers`.execute(tx));
    expect(result.rows[0]?.n).toBe(3);
  });

  it("refuses to write a row into another tenant's scope", async () => {
    await expect(
      t.db.withTenant(tenantA, (tx) =>
        tx.insertInto('customers').values({ id: newId(), tenant_id: tenantB, customer_number: 'smuggled', created_at: now }).execute(),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it("cannot update or delete another tenant's rows", async () => {
    const updated = await t.db.withTenant(tenantA, (tx) =>
      tx.updateTable('customers').set({ customer_number: 'x' }).where('tenant_id', '=', tenantB).executeTakeFirst(),
    );
    expect(updated.numUpdatedRows).toBe(0n);
    const deleted = await t.db.withTenant(tenantA, (tx) => tx.deleteFrom('customers').where('tenant_id', '=', tenantB).executeTakeFirst());
    expect(deleted.numDeletedRows).toBe(0n);
    const stillThere = await t.db.withTenant(tenantB, (tx) => tx.selectFrom('customers').select('customer_number').execute());
    expect(stillThere.map((r) => r.customer_number).sort()).toEqual(['tenant-b-1', 'tenant-b-2', 'tenant-b-3']);
  });

  it('platform scope sees tenants but no tenant data', async () => {
    const [tenants, customers] = await t.db.withPlatform(async (tx) => [
      await tx.selectFrom('tenants').select('id').execute(),
      await tx.selectFrom('customers').select('id').execute(),
    ]);
    expect(tenants.map((r) => r.id).sort()).toEqual([tenantA, tenantB].sort());
    expect(customers).toHaveLength(0);
  });

  it('a tenant transaction sees only its own tenant row', async () => {
    const rows = await t.db.withTenant(tenantA, (tx) => tx.selectFrom('tenants').select('id').execute());
    expect(rows.map((r) => r.id)).toEqual([tenantA]);
  });

  it('the application role cannot bypass RLS, owns nothing and cannot reset its role', async () => {
    const role = await t.db.withTenant(tenantA, (tx) =>
      sql<{ current_user: string; rolbypassrls: boolean; rolsuper: boolean; owned: number }>`
        select current_user, r.rolbypassrls, r.rolsuper,
          (select count(*)::int from pg_class c where c.relowner = r.oid) as owned
        from pg_roles r where r.rolname = current_user`.execute(tx),
    );
    expect(role.rows[0]).toMatchObject({ rolbypassrls: false, rolsuper: false, owned: 0 });
    expect(role.rows[0]?.current_user).toMatch(/^custodia_app_/);
    // Turning row security off is refused for a role subject to a policy.
    await expect(t.db.withTenant(tenantA, (tx) => sql`set local row_security = off; `.execute(tx).then(() => sql`select * from customers`.execute(tx)))).rejects.toThrow(
      /row-level security|row_security/,
    );
  });

  it('without any scope, tenant tables are empty to the application role', async () => {
    const rows = await t.db.withRawSession(async (s) => {
      await s.exec('BEGIN');
      try {
        await s.query(`select set_config('role', (select value from custodia_settings where key = 'app_role'), true)`);
        return await s.query<{ n: number }>('select count(*)::int as n from customers');
      } finally {
        await s.exec('ROLLBACK');
      }
    });
    expect(rows[0]?.n).toBe(0);
  });
});
