/**
 * Killing the server during a write leaves no half-written rows: the demo seed writes the tenant,
 * its staff invitations and its customers in one transaction, so a process killed in the middle
 * of it leaves nothing behind, and the next run seeds from scratch.
 *
 * The child runs `custodia demo` with far more customers than it can insert before the kill
 * lands. The seed logs "seeding demo tenant" from inside the transaction, after inserting the
 * tenant row and before the invitations and customers; the test SIGKILLs the child as soon as that
 * line arrives. Were the seed not one transaction, the tenant row would already be committed.
 *
 * Always on PGlite (the killed process leaves a stale data-directory lock and an unclean cluster
 * behind, which the next open must recover from), and on PostgreSQL when TEST_DATABASE_URL is set.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/index.js';
import { type CliProcess, killChildren, makeTempDir, removeTempDirs, runCli, startCli } from './helpers/cli.js';
import { createEmptyPostgresDatabase, TEST_DATABASE_URL } from './helpers/database.js';

const CUSTOMERS = 200_000;
const migrationCount = readdirSync(path.resolve(import.meta.dirname, '../src/db/migrations')).filter((f) => f.endsWith('.sql')).length;

const drops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await killChildren();
});

afterAll(async () => {
  await killChildren();
  for (const drop of drops.splice(0)) await drop();
  removeTempDirs();
});

/** Starts a large demo seed and SIGKILLs it the moment it reports being inside the transaction. */
async function killMidSeed(env: Record<string, string>): Promise<CliProcess> {
  // LOG_LEVEL=info: the CLI is quiet by default, and the kill is timed on an info line.
  const seeding = startCli(['demo', '--customers', String(CUSTOMERS)], { ...env, LOG_LEVEL: 'info' });
  await seeding.waitForStdout(/"msg":"seeding demo tenant"/);
  seeding.child.kill('SIGKILL');
  const exit = await seeding.waitForExit();
  // Killed by the signal, not finished: no exit code, and no result printed.
  expect(exit, seeding.describe()).toEqual({ code: null, signal: 'SIGKILL' });
  expect(seeding.stdout).not.toContain('Demo tenant created');
  const line = seeding.stdout.split('\n').find((l) => l.includes('"msg":"seeding demo tenant"')) ?? '{}';
  expect(JSON.parse(line)).toMatchObject({ customers: CUSTOMERS, tenantId: expect.any(String) });
  return seeding;
}

interface Counts {
  migrations: number;
  tenants: number;
  demo: number;
  invitations: number;
  customers: number;
}

/**
 * Counts rows under the connecting (owner) role, which row-level security does not filter: these
 * are all the rows there are, in every tenant.
 */
async function countRows(db: Database): Promise<Counts> {
  const rows = await db.withRawSession((s) =>
    s.query<Counts>(`
      select (select count(*)::int from schema_migrations) as migrations,
             (select count(*)::int from tenants) as tenants,
             (select count(*)::int from tenants where slug = 'demo') as demo,
             (select count(*)::int from invitations) as invitations,
             (select count(*)::int from customers) as customers`),
  );
  const counts = rows[0];
  if (counts === undefined) throw new Error('no counts');
  return counts;
}

async function expectReseeds(env: Record<string, string>): Promise<void> {
  const again = await runCli(['demo', '--customers', '10', '--json'], env);
  expect(again.code, again.stderr).toBe(0);
  const result = JSON.parse(again.stdout) as { created: boolean; customers: number; invitations: unknown[] };
  expect(result).toMatchObject({ created: true, customers: 10 });
  expect(result.invitations).toHaveLength(6);
}

describe('killing the server during a write leaves no half-written rows', () => {
  it('on the embedded database (PGlite)', async () => {
    const dataDir = path.join(makeTempDir(), 'data');
    const seeding = await killMidSeed({ CUSTODIA_DATA_DIR: dataDir });

    // The killed process could not release its lock: it is stale and must be taken over.
    const lockFile = path.join(dataDir, 'custodia.lock');
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: seeding.pid });

    const db = await openDatabase({ dataDir });
    try {
      // The migrations (committed before the seed began) are there; nothing of the seed is.
      expect(await countRows(db)).toEqual({ migrations: migrationCount, tenants: 0, demo: 0, invitations: 0, customers: 0 });
      const demo = await db.withPlatform((tx) => tx.selectFrom('tenants').select('id').where('slug', '=', 'demo').executeTakeFirst());
      expect(demo).toBeUndefined();
    } finally {
      await db.close();
    }
    expect(existsSync(lockFile)).toBe(false);

    await expectReseeds({ CUSTODIA_DATA_DIR: dataDir });
  }, 180_000);

  // Defined only when there is a server to run it on (a skipped test would read as a pass).
  if (TEST_DATABASE_URL === undefined) return;

  it('on PostgreSQL', async () => {
    const fresh = await createEmptyPostgresDatabase();
    drops.push(fresh.drop);
    const env = { DATABASE_URL: fresh.url, CUSTODIA_DATA_DIR: path.join(makeTempDir(), 'unused') };
    await killMidSeed(env);

    const db = await openDatabase({ databaseUrl: fresh.url, poolMax: 1 });
    try {
      // Uncommitted rows are invisible anyway; wait until the server has noticed the dead client
      // and ended its session, so that what is counted is the rolled-back outcome, not a pending one.
      await waitForOtherSessionsToEnd(db);
      expect(await countRows(db)).toEqual({ migrations: migrationCount, tenants: 0, demo: 0, invitations: 0, customers: 0 });
    } finally {
      await db.close();
    }

    await expectReseeds(env);
  }, 180_000);
});

async function waitForOtherSessionsToEnd(db: Database): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const rows = await db.withRawSession((s) =>
      s.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()'),
    );
    if (rows[0]?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the killed session is still open on the server after 60 s');
}
