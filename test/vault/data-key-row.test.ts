/**
 * Data keys read by the caller's own statement (src/vault/data-key-row.ts): the row a record's
 * read brings along opens its values like the vault's own read, saves that read, and is trusted
 * no further. A row that is not what it says (tampered, another owner's, another key's) does not
 * open anything; a record without a key (erased) still fails as erased. A second vault on the same
 * database and root key is a second process with a cold cache, which must unwrap from the row.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../../src/db/index.js';
import { newId } from '../../src/platform/ids.js';
import { dataKeyOfOwner, type DataKeyRow, parseDataKeyRow, type Vault } from '../../src/vault/index.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createFieldTable, createTenant, newRootKey, newTestVault } from '../helpers/vault.js';

const rootKey = newRootKey();
let t: TestDatabase;
let vault: Vault;
let tenant: string;

beforeAll(async () => {
  t = await openTestDatabase();
  await createFieldTable(t.db);
  vault = newTestVault({ rootKey });
  tenant = await createTenant(t.db, 'data-key-row');
});

afterAll(async () => {
  await t?.destroy();
});

const at = (recordId: string, field: string) => ({ table: 'customers', recordId, field });

async function sealed(recordId: string, values: Record<string, string>): Promise<{ field: string; ciphertext: string }[]> {
  return t.db.withTenant(tenant, async (tx) => {
    const out: { field: string; ciphertext: string }[] = [];
    for (const [field, value] of Object.entries(values)) out.push({ field, ciphertext: await vault.encryptField(tx, tenant, { table: 'customers', id: recordId }, at(recordId, field), value) });
    return out;
  });
}

async function keyRowOf(tx: Tx, ownerId: string, tenantId = tenant): Promise<unknown> {
  const result = await sql<{ k: unknown }>`SELECT ${dataKeyOfOwner(tenantId, 'customers', sql.val(ownerId))} AS k`.execute(tx);
  return result.rows[0]?.k;
}

/** Statements sent through `tx` while `fn` runs (Kysely's executor, wrapped for the count). */
async function countingStatements<T>(tx: Tx, fn: (tx: Tx) => Promise<T>): Promise<{ value: T; statements: string[] }> {
  const statements: string[] = [];
  const counted = tx.withPlugin({
    transformQuery: (args) => {
      statements.push(args.node.kind);
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return { value: await fn(counted as Tx), statements };
}

describe(`data keys read with the record, on ${backend}`, () => {
  it('selects the row of an owner as its columns, and null for an owner without a key', async () => {
    const recordId = newId();
    const [first] = await sealed(recordId, { email: 'row@example.com' });
    await t.db.withTenant(tenant, async (tx) => {
      const row = parseDataKeyRow(await keyRowOf(tx, recordId));
      const stored = await tx.selectFrom('data_keys').select(['id', 'owner_table', 'owner_id', 'kek_version', 'wrapped_key']).where('owner_id', '=', recordId).executeTakeFirstOrThrow();
      expect(row).toEqual(stored);
      expect(row?.id).toBe(first?.ciphertext.split('.')[1]);
      expect(await keyRowOf(tx, newId())).toBeNull();
    });
  });

  it("does not see another tenant's key (row-level security and the tenant in the lookup)", async () => {
    const other = await createTenant(t.db, 'data-key-row-other');
    const recordId = newId();
    await sealed(recordId, { email: 'mine@example.com' });
    expect(await t.db.withTenant(other, (tx) => keyRowOf(tx, recordId, tenant))).toBeNull();
    expect(await t.db.withTenant(other, (tx) => keyRowOf(tx, recordId, other))).toBeNull();
  });

  it('decrypts with the row and without a data-key read of its own, in a cold process too', async () => {
    const recordId = newId();
    const values = await sealed(recordId, { email: 'ana@example.com', phone: '+34612345678' });
    const cold = newTestVault({ rootKey });
    await t.db.withTenant(tenant, async (tx) => {
      const row = parseDataKeyRow(await keyRowOf(tx, recordId)) as DataKeyRow;
      const items = values.map((v) => ({ location: at(recordId, v.field), ciphertext: v.ciphertext }));
      const withRow = await countingStatements(tx, (c) => cold.decryptFields(c, tenant, items, [row]));
      expect(withRow.value).toEqual(['ana@example.com', '+34612345678']);
      // The cold process still reads its KEK (once); the data key comes from the row.
      const withoutRow = await countingStatements(tx, (c) => newTestVault({ rootKey }).decryptFields(c, tenant, items));
      expect(withoutRow.value).toEqual(withRow.value);
      expect(withoutRow.statements.length - withRow.statements.length).toBe(1);
    });
  });

  it('opens nothing with a row that is not what it says', async () => {
    const recordId = newId();
    const [value] = await sealed(recordId, { email: 'bound@example.com' });
    const otherId = newId();
    await sealed(otherId, { email: 'other@example.com' });
    await t.db.withTenant(tenant, async (tx) => {
      const row = parseDataKeyRow(await keyRowOf(tx, recordId)) as DataKeyRow;
      const other = parseDataKeyRow(await keyRowOf(tx, otherId)) as DataKeyRow;
      const item = [{ location: at(recordId, 'email'), ciphertext: value?.ciphertext as string }];
      const parts = row.wrapped_key.split('.');
      const flipped = parts.map((p, j) => (j === 3 ? (p[0] === 'A' ? 'B' : 'A') + p.slice(1) : p)).join('.');
      // Each with a cold cache, so the row's bytes are what is unwrapped.
      const forged: DataKeyRow[] = [
        { ...row, wrapped_key: flipped },
        { ...row, owner_id: otherId },
        { ...other, id: row.id },
      ];
      for (const bad of forged) await expect(newTestVault({ rootKey }).decryptFields(tx, tenant, item, [bad])).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
      // Another key's row is simply not used: the value's own key is read as usual.
      await expect(newTestVault({ rootKey }).decryptFields(tx, tenant, item, [other])).resolves.toEqual(['bound@example.com']);
    });
  });

  it('fails as erased when the record has no key any more', async () => {
    const recordId = newId();
    const [value] = await sealed(recordId, { email: 'gone@example.com' });
    await t.db.withTenant(tenant, async (tx) => {
      await vault.shred(tx, tenant, { table: 'customers', id: recordId });
      const row = parseDataKeyRow(await keyRowOf(tx, recordId));
      expect(row).toBeUndefined();
      await expect(vault.decryptFields(tx, tenant, [{ location: at(recordId, 'email'), ciphertext: value?.ciphertext as string }], row === undefined ? [] : [row])).rejects.toMatchObject({ code: 'vault.key_shredded' });
    });
  });

  it('reads only well-formed rows', () => {
    const good = { id: newId(), owner_table: 'customers', owner_id: newId(), kek_version: 1, wrapped_key: 'v1.k1.a.b.c' };
    expect(parseDataKeyRow(good)).toEqual(good);
    expect(parseDataKeyRow(JSON.stringify(good))).toEqual(good);
    for (const bad of [null, undefined, 'not json', 42, [], { ...good, id: 'not-a-uuid' }, { ...good, kek_version: '1' }, { ...good, kek_version: 1.5 }, { ...good, wrapped_key: null }, { ...good, owner_table: undefined }]) {
      expect(parseDataKeyRow(bad)).toBeUndefined();
    }
  });
});
