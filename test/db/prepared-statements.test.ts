/**
 * Named prepared statements (src/db/prepared-statements.ts on PostgreSQL, src/db/pglite-dialect.ts
 * on PGlite): a statement's cached plan, generic after five executions, must keep row-level
 * security per transaction, because the tenant is read at execution through STABLE functions; a
 * PostgreSQL connection prepares a bounded number of texts; and a prepared `select *` whose table
 * gains or renames a column (a migration while a process runs) fails once, then runs unnamed.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrate, openDatabase, openTenantScope } from '../../src/db/index.js';
import { withPreparedStatements } from '../../src/db/prepared-statements.js';
import { newId } from '../../src/platform/ids.js';
import { backend, createEmptyPostgresDatabase, openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../helpers/database.js';

const now = new Date('2026-11-23T09:00:00Z');

/** A prepared `select *` on a table that gains a column: refused once, then unnamed and current. */
async function staleStatementRecovers(db: Database): Promise<void> {
  const tenant = newId();
  await db.withRawSession(async (s) => {
    const [role] = await s.query<{ value: string }>("select value from custodia_settings where key = 'app_role'");
    await s.exec(`CREATE TABLE prepared_probe (id int); INSERT INTO prepared_probe VALUES (1); GRANT SELECT ON prepared_probe TO "${role?.value ?? ''}"`);
  });
  const probe = () => db.withTenant(tenant, async (tx) => (await sql<Record<string, unknown>>`select * from prepared_probe`.execute(tx)).rows);
  expect(await probe()).toEqual([{ id: 1 }]);
  expect(await probe()).toEqual([{ id: 1 }]);
  await db.withRawSession((s) => s.exec("ALTER TABLE prepared_probe ADD COLUMN note text DEFAULT 'x'"));
  // Refused: this is how we know the statement ran prepared.
  await expect(probe()).rejects.toThrow(/cached plan must not change result type/);
  expect(await probe()).toEqual([{ id: 1, note: 'x' }]);
  expect(await probe()).toEqual([{ id: 1, note: 'x' }]);
  // A renamed column is refused the same way, so a row description kept from when the statement
  // was prepared (PGlite's dialect keeps it) never names the columns of a shape gone by.
  const renamed = () => db.withTenant(tenant, async (tx) => (await sql<Record<string, unknown>>`select * from prepared_probe where id > 0`.execute(tx)).rows);
  expect(await renamed()).toEqual([{ id: 1, note: 'x' }]);
  await db.withRawSession((s) => s.exec('ALTER TABLE prepared_probe RENAME COLUMN note TO remark'));
  await expect(renamed()).rejects.toThrow(/cached plan must not change result type/);
  expect(await renamed()).toEqual([{ id: 1, remark: 'x' }]);
}

describe.runIf(backend === 'pglite')('prepared statements on PGlite', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('a prepared select * whose table gains a column fails once, then runs unnamed', async () => {
    await staleStatementRecovers(t.db);
  });
});

describe.runIf(TEST_DATABASE_URL !== undefined)('prepared statements on PostgreSQL', () => {
  let fresh: Awaited<ReturnType<typeof createEmptyPostgresDatabase>>;
  let db: Database;
  const tenants = [newId(), newId()] as const;

  beforeAll(async () => {
    fresh = await createEmptyPostgresDatabase();
    // One connection: every transaction below reuses the same prepared statements.
    db = await openDatabase({ databaseUrl: fresh.url, poolMax: 1 });
    await migrate(db);
    await db.withPlatform(async (tx) => {
      for (const [i, id] of tenants.entries()) {
        await tx.insertInto('tenants').values({ id, slug: `prepared-${i}`, name: `Prepared ${i}`, status: 'active', created_at: now, updated_at: now }).execute();
        await openTenantScope(tx, id);
        await tx
          .insertInto('customers')
          .values([1, 2, 3].map((n) => ({ id: newId(), tenant_id: id, customer_number: `T${i}-${n}`, created_at: now })))
          .execute();
      }
    });
  });

  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  // The same text every time, with no tenant filter: only row-level security scopes it.
  const customersLike = (pattern: string) =>
    sql<{ tenant_id: string; customer_number: string }>`select tenant_id, customer_number from customers where customer_number like ${pattern} order by customer_number`;

  it('keeps each transaction to its own tenant after the plan turns generic, on one connection', async () => {
    for (const round of [0, 1]) {
      for (const [i, tenant] of tenants.entries()) {
        for (let k = 0; k < 8; k += 1) {
          const rows = (await db.withTenant(tenant, (tx) => customersLike('T%').execute(tx))).rows;
          expect(rows.map((r) => r.customer_number), `round ${round}, tenant ${i}, execution ${k}`).toEqual([`T${i}-1`, `T${i}-2`, `T${i}-3`]);
          expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([tenant]));
        }
      }
    }
    // The statement is prepared on the connection and ran on a generic plan.
    const stats = await db.withTenant(tenants[0], (tx) =>
      sql<{ generic_plans: number; custom_plans: number }>`select generic_plans::int, custom_plans::int from pg_prepared_statements where statement like ${'%customer_number like $1%'}`.execute(tx),
    );
    expect(stats.rows).toHaveLength(1);
    expect(stats.rows[0]?.generic_plans).toBeGreaterThan(0);
  });

  it('a statement that fails leaves the connection usable, and runs again prepared', async () => {
    const divide = (d: number) => sql<{ q: number }>`select (6 / ${d}::int)::int as q from customers limit 1`;
    await expect(db.withTenant(tenants[0], (tx) => divide(0).execute(tx))).rejects.toThrow(/division by zero/);
    const rows = (await db.withTenant(tenants[0], (tx) => divide(2).execute(tx))).rows;
    expect(rows).toEqual([{ q: 3 }]);
  });

  it('a prepared select * whose table gains a column fails once, then runs unnamed', async () => {
    await staleStatementRecovers(db);
  });

  it('prepares at most `perConnection` texts on a connection, then runs the rest unnamed', async () => {
    const pool = new pg.Pool({ connectionString: fresh.url, max: 1 });
    try {
      const wrapped = withPreparedStatements(pool, { perConnection: 2 });
      const client = await wrapped.connect();
      try {
        for (const n of [1, 2, 3, 4, 5]) {
          const result = await client.query<{ n: number }>(`select ${n}::int as n`, []);
          expect(result.rows).toEqual([{ n }]);
        }
        // This listing is past the bound as well, so it runs unnamed and does not list itself.
        const prepared = await client.query<{ statement: string }>('select statement from pg_prepared_statements order by statement', []);
        expect(prepared.rows.map((r) => r.statement)).toEqual(['select 1::int as n', 'select 2::int as n']);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});
