/**
 * Planner statistics on the embedded database: a table that grew since its last ANALYZE is
 * analyzed by refreshGrownTables (and only such a table), so a server that loads data after it
 * starts does not plan on empty-table statistics until the hourly refresh. PostgreSQL has
 * autovacuum: there the function does nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshGrownTables } from '../../src/db/index.js';
import { newId } from '../../src/platform/ids.js';
import { createLogger } from '../../src/platform/logger.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const now = new Date('2026-11-24T09:00:00Z');
const logger = createLogger('silent');
let t: TestDatabase;

beforeAll(async () => {
  t = await openTestDatabase();
});

afterAll(async () => {
  await t?.destroy();
});

async function relpages(table: string): Promise<number> {
  const [row] = await t.db.withRawSession((s) => s.query<{ relpages: number }>('SELECT relpages FROM pg_class WHERE oid = $1::regclass', [table]));
  return Number(row?.relpages);
}

async function addTenants(count: number): Promise<void> {
  await t.db.withPlatform(async (tx) => {
    const rows = Array.from({ length: count }, (_, i) => ({ id: newId(), slug: `grow-${newId().slice(0, 8)}-${i}`, name: `Grown tenant ${i} with a name long enough to fill pages`, status: 'active' as const, created_at: now, updated_at: now }));
    for (let k = 0; k < rows.length; k += 500) await tx.insertInto('tenants').values(rows.slice(k, k + 500)).execute();
  });
}

describe.runIf(backend === 'pglite')('refreshGrownTables on PGlite', () => {
  it('analyzes a table that grew past the threshold, then nothing until it grows again', async () => {
    // A fresh database: nothing has grown past 8 pages yet.
    expect(await refreshGrownTables(t.db, logger)).toEqual([]);
    expect(await relpages('tenants')).toBe(0);

    await addTenants(3000);
    expect(await refreshGrownTables(t.db, logger)).toEqual(['public.tenants']);
    const pages = await relpages('tenants');
    expect(pages).toBeGreaterThan(8);
    expect(await refreshGrownTables(t.db, logger)).toEqual([]);

    // Growth under a fifth of the analyzed size is left to the hourly refresh.
    await addTenants(100);
    expect(await refreshGrownTables(t.db, logger)).toEqual([]);
    expect(await relpages('tenants')).toBe(pages);
  });
});

describe.runIf(backend === 'postgres')('refreshGrownTables on PostgreSQL', () => {
  it('does nothing: autovacuum keeps the statistics', async () => {
    await addTenants(3000);
    expect(await refreshGrownTables(t.db, logger)).toEqual([]);
  });
});
