/**
 * Importing customers in-process (the engine behind `custodia customers import`): a file with 1%
 * bad rows, the report of each bad row by line and reason and never its values, batches, an
 * idempotent re-run, updates of existing customers, and JSON lines.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportOptions, importCustomers, type ImportSummary, type RowError } from '../../src/customers/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/cli.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { call, customerTenant, type CustomerTenant, dumpCustomerTables, ledgerEntries } from './helpers.js';
import { bigCsv } from './import-fixture.js';

let t: TestApp;
let tenant: CustomerTenant;
const dir = makeTempDir('custodia-import-');

beforeAll(async () => {
  t = await createTestApp();
  tenant = await customerTenant(t, 'importer');
}, 120_000);

afterAll(async () => {
  await t?.close();
  removeTempDirs();
});

async function run(file: string, options: Partial<ImportOptions> = {}): Promise<{ summary: ImportSummary; errors: RowError[]; batches: number[] }> {
  const errors: RowError[] = [];
  const batches: number[] = [];
  const summary = await importCustomers(
    { db: t.ctx.db, clock: t.ctx.clock, vault: t.ctx.vault },
    {
      tenantId: tenant.tenantId,
      file,
      format: 'csv',
      existing: 'skip',
      batchSize: 100,
      actor: { type: 'platform', id: 'cli:customers-import' },
      onRowError: (e) => {
        errors.push(e);
      },
      onProgress: (p) => batches.push(p.created + p.updated + p.skipped + p.rejected),
      ...options,
    },
  );
  return { summary, errors, batches };
}

const count = () => t.ctx.db.withTenant(tenant.tenantId, async (tx) => (await tx.selectFrom('customers').select('id').execute()).length);

// Each test may import the 500-row file again: minutes, not seconds, on a loaded 2-core machine.
describe('a CSV file with 1% bad rows', { timeout: 180_000 }, () => {
  const fixture = bigCsv();
  const file = path.join(dir, 'customers.csv');
  let first: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    writeFileSync(file, fixture.text);
    first = await run(file);
  }, 120_000);

  it('imports the good rows in batches and reports each bad one by line and reason', async () => {
    expect(first.summary).toEqual({ rows: 500, created: 495, updated: 0, skipped: 0, rejected: 5, batches: 5 });
    expect(first.batches).toEqual([100, 200, 300, 400, 500]);
    expect(first.errors).toEqual(fixture.expectedErrors);
    expect(await count()).toBe(495);
  });

  it('never puts a row’s values in the report', () => {
    const report = JSON.stringify(first.errors);
    for (const value of fixture.badValues) expect(report).not.toContain(value);
  });

  it('stores what it imports like the API does: ciphertext only, searchable, in the ledger', async () => {
    const dump = await dumpCustomerTables(t, tenant.tenantId);
    for (const value of fixture.sampleSecrets) expect(dump).not.toContain(value);
    const found = await call(t, 'POST', '/v1/customers/search', tenant.readKey, { email: fixture.sampleEmail });
    expect(found.body.ids).toHaveLength(1);
    const entries = await ledgerEntries(t, tenant.tenantId);
    expect(entries.filter((e) => e.action === 'customer.create')).toHaveLength(495);
    expect(entries.find((e) => e.action === 'customer.create')?.entry).toMatchObject({ actor: { type: 'platform', id: 'cli:customers-import' }, details: { source: 'import' } });
    expect(entries.filter((e) => e.action === 'customer.import').map((e) => e.entry.details)).toEqual([{ format: 'csv', existing: 'skip', rows: 500, created: 495, updated: 0, skipped: 0, rejected: 5 }]);
  });

  it('a second run creates nothing, changes nothing and reports the same rows', async () => {
    const history = await t.ctx.db.withTenant(tenant.tenantId, async (tx) => (await tx.selectFrom('customer_field_history').select('id').execute()).length);
    const again = await run(file);
    expect(again.summary).toEqual({ rows: 500, created: 0, updated: 0, skipped: 495, rejected: 5, batches: 5 });
    expect(again.errors).toEqual(first.errors);
    expect(await count()).toBe(495);
    expect(await t.ctx.db.withTenant(tenant.tenantId, async (tx) => (await tx.selectFrom('customer_field_history').select('id').execute()).length)).toBe(history);
  });

  it('with existing: update, writes only the values that differ', async () => {
    const edited = path.join(dir, 'edited.csv');
    writeFileSync(edited, fixture.text.replace(fixture.sampleEmail, 'changed.address@example.org'));
    const before = (await ledgerEntries(t, tenant.tenantId)).filter((e) => e.action === 'customer.update').length;
    const updated = await run(edited, { existing: 'update' });
    expect(updated.summary).toMatchObject({ created: 0, updated: 1, skipped: 494, rejected: 5 });
    const updates = (await ledgerEntries(t, tenant.tenantId)).filter((e) => e.action === 'customer.update');
    expect(updates).toHaveLength(before + 1);
    expect(updates.at(-1)?.entry.details).toMatchObject({ set: 'email', source: 'import' });
    const found = await call(t, 'POST', '/v1/customers/search', tenant.readKey, { email: 'changed.address@example.org' });
    expect(found.body.ids).toHaveLength(1);
    // And once more: nothing differs any longer.
    expect((await run(edited, { existing: 'update' })).summary).toMatchObject({ created: 0, updated: 0, skipped: 495 });
  });
});

describe('header problems stop the import before anything is written', () => {
  it.each([
    ['no customer_number column', 'full_name,email\nAna,ana@example.com\n', /no customer_number column/],
    ['an unknown column', 'customer_number,shoe_size\nC-1,42\n', /column 2 \(shoe_size\) is not a field/],
    ['a column twice', 'customer_number,email,email\nC-1,a@example.com,b@example.com\n', /names column 3 \(email\) twice/],
    ['a data row where the header should be', '4111111111111111,Ana\n', /column 1 is not a field/],
    ['an empty file', '', /empty/],
  ])('%s: customers.invalid_import', async (_what, text, message) => {
    const file = path.join(dir, `bad-header-${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(file, text);
    const before = await count();
    const error = await run(file).then(
      () => undefined,
      (e: unknown) => e as { code: string; detail: string },
    );
    expect(error?.code).toBe('customers.invalid_import');
    expect(error?.detail).toMatch(message);
    expect(error?.detail).not.toContain('4111111111111111');
    expect(await count()).toBe(before);
  });
});

describe('JSON lines', () => {
  it('import objects with customer_number and field keys; report bad lines', async () => {
    const file = path.join(dir, 'customers.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ customer_number: 'J-1', full_name: 'Lucía Gómez', phone: '+34 699 111 222', address: { city: 'Sevilla', country: 'ES' } }),
        JSON.stringify({ customer_number: 'J-2', full_name: 'Pablo Ruiz', shoe_size: 44 }),
        '["not", "an", "object"]',
        '{"customer_number": "J-3", ',
        JSON.stringify({ customer_number: 12345, full_name: 'Number Type' }),
        // JSON.parse makes __proto__ an own member: refused as unknown, never used as a prototype.
        '{"customer_number":"J-4","__proto__":{"full_name":"x"},"full_name":"Proto Test"}',
        JSON.stringify({ customer_number: 'J-5', full_name: 'Marta Vidal' }),
        '',
      ].join('\n'),
    );
    const result = await run(file, { format: 'jsonl' });
    expect(result.summary).toEqual({ rows: 7, created: 2, updated: 0, skipped: 0, rejected: 5, batches: 1 });
    expect(result.errors.map((e) => [e.line, e.code, e.reason ?? e.field ?? null])).toEqual([
      [2, 'unknown_field', 'shoe_size'],
      [3, 'malformed_record', 'not_an_object'],
      [4, 'malformed_record', 'json'],
      [5, 'invalid_customer_number', null],
      [6, 'unknown_field', null],
    ]);
    expect(({} as Record<string, unknown>).full_name).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toContain('Lucía');
    expect(await dumpCustomerTables(t, tenant.tenantId)).not.toContain('Lucía');
    const found = await call(t, 'POST', '/v1/customers/search', tenant.readKey, { phone: '+34699111222' });
    expect(found.body.ids).toHaveLength(1);
  });
});
