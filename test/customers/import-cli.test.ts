/**
 * `custodia customers import` as an operator runs it: the built bin/custodia.js in a child
 * process on a fresh PGlite data directory (and PostgreSQL when TEST_DATABASE_URL is set),
 * checking exit codes, the per-row report on standard output or in a file, the summary, the
 * plain progress line when standard error is not a terminal, and an idempotent re-run.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { type Database, openDatabase } from '../../src/db/index.js';
import { createLogger } from '../../src/platform/logger.js';
import { killChildren, makeTempDir, removeTempDirs, runCli } from '../helpers/cli.js';
import { createEmptyPostgresDatabase, TEST_DATABASE_URL } from '../helpers/database.js';
import { bigCsv } from './import-fixture.js';

const drops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await killChildren();
});

afterAll(async () => {
  await killChildren();
  for (const drop of drops.splice(0)) await drop();
  removeTempDirs();
});

interface Target {
  readonly name: string;
  env(): Promise<Record<string, string>>;
}

const targets: Target[] = [{ name: 'pglite', env: async () => ({ CUSTODIA_DATA_DIR: makeTempDir() }) }];
if (TEST_DATABASE_URL !== undefined) {
  targets.push({
    name: 'postgres',
    async env() {
      const { url, drop } = await createEmptyPostgresDatabase();
      drops.push(drop);
      return { CUSTODIA_DATA_DIR: makeTempDir(), DATABASE_URL: url };
    },
  });
}

async function withDatabase<T>(env: Record<string, string>, fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: { ...env, NODE_ENV: 'test' } });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger: createLogger('silent') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.each(targets)('custodia customers import on $name', { timeout: 240_000 }, (target) => {
  it('imports the good rows, reports the bad ones, exits 3; a re-run duplicates nothing; usage errors exit 2', async () => {
    const env = await target.env();
    const init = await runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'a@acme.test', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const tenantId = (JSON.parse(init.stdout) as { tenant: { id: string } }).tenant.id;
    const dir = makeTempDir();
    const fixture = bigCsv();
    const file = path.join(dir, 'customers.csv');
    writeFileSync(file, fixture.text);

    // Report on standard output, summary and progress on standard error (not a terminal here).
    const first = await runCli(['customers', 'import', '--tenant', 'acme', '--file', file, '--batch-size', '100'], env);
    expect(first.code, first.stderr).toBe(3);
    const report = lines(first.stdout);
    expect(report).toEqual(fixture.expectedErrors);
    for (const value of fixture.badValues) expect(first.stdout).not.toContain(value);
    expect(first.stderr).toContain('Imported 500 rows in 5 batches: 495 created, 0 updated, 0 skipped (existing), 5 rejected.');
    expect(first.stderr).toMatch(/^import: (19|20|21)% of the file read, 100 rows: 99 created, 0 updated, 0 skipped, 1 rejected$/m);
    expect(first.stderr).not.toContain('\r');

    // Again, with the report in a file and the summary as JSON: nothing new, the same report.
    const errors = path.join(dir, 'errors.jsonl');
    const second = await runCli(['customers', 'import', '--tenant', 'acme', '--file', file, '--errors', errors, '--json'], env);
    expect(second.code, second.stderr).toBe(3);
    expect(JSON.parse(second.stdout)).toEqual({ rows: 500, created: 0, updated: 0, skipped: 495, rejected: 5, batches: 3 });
    expect(readFileSync(errors, 'utf8')).toBe(first.stdout);
    expect(statSync(errors).mode & 0o077).toBe(0);

    // A file without bad rows exits 0.
    const good = path.join(dir, 'good.jsonl');
    writeFileSync(good, `${JSON.stringify({ customer_number: 'NEW-1', email: 'nuevo@example.com', birth_date: '1970-01-01' })}\n`);
    const clean = await runCli(['customers', 'import', '--tenant', 'acme', '--file', good, '--json', '--errors', path.join(dir, 'none.jsonl')], env);
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ created: 1, rejected: 0 });

    // Usage errors: exit 2, nothing imported.
    const header = path.join(dir, 'header.csv');
    writeFileSync(header, 'customer_number,shoe_size\nX-1,42\n');
    const usage = await Promise.all([
      runCli(['customers', 'import', '--tenant', 'acme'], env),
      runCli(['customers', 'import', '--tenant', 'nope', '--file', file], env),
    ]);
    for (const r of usage) expect(r.code, r.stderr).toBe(2);
    expect(usage[1]?.stderr).toContain('tenants.not_found');
    for (const args of [
      ['--file', header],
      ['--file', path.join(dir, 'missing.csv')],
      ['--file', file, '--format', 'xml'],
      ['--file', file, '--existing', 'overwrite'],
      ['--file', path.join(dir, 'errors.jsonl'), '--format', 'csv'],
    ]) {
      const r = await runCli(['customers', 'import', '--tenant', 'acme', ...args], env);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
    }

    // What is in the database: 496 customers, no duplicates, no plaintext of the confidential values.
    await withDatabase(env, (db) =>
      db.withTenant(tenantId, async (tx) => {
        const customers = await tx.selectFrom('customers').select('customer_number').execute();
        expect(customers).toHaveLength(496);
        expect(new Set(customers.map((c) => c.customer_number)).size).toBe(496);
        const values = JSON.stringify(await tx.selectFrom('customer_field_values').selectAll().execute());
        for (const secret of fixture.sampleSecrets) expect(values).not.toContain(secret);
        expect(values).not.toContain('nuevo@example.com');
      }),
    );
  });

  it('shows --help with its options and exit codes', async () => {
    const help = await runCli(['customers', 'import', '--help']);
    expect(help.code).toBe(0);
    for (const option of ['--tenant <slug>', '--file <path>', '--format <format>', '--existing <policy>', '--batch-size <n>', '--errors <file>', '--json', 'stop the server first', '3 some rows rejected']) {
      expect(help.stdout).toContain(option);
    }
  });
});
