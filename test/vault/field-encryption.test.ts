/**
 * Field encryption against a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): round
 * trips, what is stored, the associated-data bindings (record, field, table, tenant), tampering
 * with the ciphertext and with the key rows behind it, and one data key per owner, also when ten
 * transactions race to create it.
 *
 * Several assertions build a second vault on the same database and root key: that is a second
 * process with a cold key cache, which has to unwrap every key from its row (a warm cache would
 * never look at a tampered row's bytes).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.js';
import { RecordCipher, type Vault } from '../../src/vault/index.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createFieldTable, createTenant, dumpAllRows, errorCodeOf, newRootKey, newTestVault, rejectionOf } from '../helpers/vault.js';

const rootKey = newRootKey();
let t: TestDatabase;
let vault: Vault;
let tenantA: string;
let tenantB: string;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A 100 KiB text of mixed scripts, unique to this run so that a scan cannot match by chance. */
const LARGE = `${newId()} ${'Calle 10 # 43-12, Medellín · 北京市朝阳区 · 👩🏽‍💻 · '.repeat(4000)}`.slice(0, 100 * 1024);

const FIELDS: Record<string, string> = {
  empty: '',
  full_name: 'María José Núñez-Çağrı',
  address: 'Rua Açaí 12, São Paulo — apto 3º',
  cjk: '北京市朝阳区建国路88号',
  emoji: '👩🏽‍💻🇨🇴 ☎️',
  combining: 'Jose\u0301 Zoe\u0308',
  rtl: 'مرحبا بالعالم',
  controls: 'line1\nline2\ttab\u0000nul\u007f',
  json_like: '{"cvv":"not really","a":[1,2,3]}',
  dots: 'v1.not.a.ciphertext.really',
  large: LARGE,
};

beforeAll(async () => {
  t = await openTestDatabase();
  await createFieldTable(t.db);
  vault = newTestVault({ rootKey });
  tenantA = await createTenant(t.db, 'field-a');
  tenantB = await createTenant(t.db, 'field-b');
});

afterAll(async () => {
  await t?.destroy();
});

const at = (recordId: string, field: string, table = 'customers') => ({ table, recordId, field });
const keyRefOf = (ciphertext: string) => ciphertext.split('.')[1];

/** Encrypts `plaintext` for `customers/<recordId>.<field>` (owner: the record) and returns the ciphertext. */
function encrypt(tenantId: string, recordId: string, field: string, plaintext: string, v: Vault = vault): Promise<string> {
  return t.db.withTenant(tenantId, (tx) => v.encryptField(tx, tenantId, { table: 'customers', id: recordId }, at(recordId, field), plaintext));
}

function decrypt(tenantId: string, location: { table: string; recordId: string; field: string }, ciphertext: string, v: Vault = vault): Promise<string> {
  return t.db.withTenant(tenantId, (tx) => v.decryptField(tx, tenantId, location, ciphertext));
}

describe(`field encryption on ${backend}`, () => {
  it('round-trips every field of a record (empty, unicode, controls, 100 KiB) through the database', async () => {
    const recordId = newId();
    await t.db.withTenant(tenantA, (tx) =>
      vault.withRecord(tx, tenantA, { table: 'customers', id: recordId }, async (cipher) => {
        for (const [field, plaintext] of Object.entries(FIELDS)) {
          const ciphertext = cipher.encrypt(at(recordId, field), plaintext);
          await sql`insert into vault_test_fields (tenant_id, record_id, field, ciphertext) values (${tenantA}, ${recordId}, ${field}, ${ciphertext})`.execute(tx);
        }
      }),
    );
    // Read back in a new transaction, as a later request would, with a second (cold) vault too.
    for (const v of [vault, newTestVault({ rootKey })]) {
      const stored = await t.db.withTenant(tenantA, async (tx) => {
        const rows = (await sql<{ field: string; ciphertext: string }>`select field, ciphertext from vault_test_fields where record_id = ${recordId}`.execute(tx)).rows;
        const out: Record<string, string> = {};
        for (const row of rows) out[row.field] = await v.decryptField(tx, tenantA, at(recordId, row.field), row.ciphertext);
        return out;
      });
      expect(stored).toEqual(FIELDS);
    }
  });

  it('stores no plaintext: neither in the ciphertexts nor anywhere in the database', async () => {
    const recordId = newId();
    const ciphertexts: string[] = [];
    for (const [field, plaintext] of Object.entries(FIELDS)) {
      const ciphertext = await encrypt(tenantA, recordId, field, plaintext);
      ciphertexts.push(ciphertext);
      await t.db.withTenant(tenantA, (tx) => sql`insert into vault_test_fields (tenant_id, record_id, field, ciphertext) values (${tenantA}, ${recordId}, ${field}, ${ciphertext})`.execute(tx));
      if (plaintext.length >= 8) {
        expect(ciphertext).not.toContain(plaintext);
        // An implementation that only encoded the value would show it in base64url.
        expect(ciphertext).not.toContain(Buffer.from(plaintext, 'utf8').toString('base64url').slice(0, 16));
      }
    }
    // Every row of every table, ciphertexts and key rows included.
    const dump = await dumpAllRows(t.db);
    for (const plaintext of Object.values(FIELDS).filter((p) => p.length >= 8 && !p.startsWith('v1.') && !p.includes('\u0000'))) {
      expect(dump.includes(plaintext)).toBe(false);
      expect(dump.includes(Buffer.from(plaintext, 'utf8').toString('hex').slice(0, 32))).toBe(false);
    }
    expect(dump.includes(LARGE.slice(0, 200))).toBe(false);
    expect(new Set(ciphertexts).size).toBe(ciphertexts.length);
  });

  it('refuses text that is not well-formed Unicode (a lone surrogate) rather than storing U+FFFD in its place', async () => {
    const recordId = newId();
    for (const value of ['a\uD800b', '\uDC00', `${'x'.repeat(1000)}\uD83D`]) {
      const error = await rejectionOf(encrypt(tenantA, recordId, 'name', value));
      expect(error).toMatchObject({ code: 'vault.invalid_value', status: 400 });
    }
    // Well-formed pairs are fine.
    const ciphertext = await encrypt(tenantA, recordId, 'name', '\uD83D\uDC69');
    await expect(decrypt(tenantA, at(recordId, 'name'), ciphertext)).resolves.toBe('👩');
  });

  it('encrypts the same value twice to different ciphertexts (fresh nonce each time)', async () => {
    const recordId = newId();
    const a = await encrypt(tenantA, recordId, 'email', 'juan.perez@example.com');
    const b = await encrypt(tenantA, recordId, 'email', 'juan.perez@example.com');
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  describe('associated data binds a ciphertext to its place', () => {
    let recordId: string;
    let ciphertext: string;
    beforeAll(async () => {
      recordId = newId();
      ciphertext = await encrypt(tenantA, recordId, 'email', 'ana.gomez@example.com');
    });

    it('decrypts in its own place', async () => {
      await expect(decrypt(tenantA, at(recordId, 'email'), ciphertext)).resolves.toBe('ana.gomez@example.com');
    });

    it('fails with vault.decrypt_failed when copied to another record id', async () => {
      // Another record of the same owner table, even one that has a data key of its own.
      const other = newId();
      await encrypt(tenantA, other, 'email', 'someone.else@example.com');
      await expect(decrypt(tenantA, at(other, 'email'), ciphertext)).rejects.toMatchObject({ code: 'vault.decrypt_failed', status: 500 });
      await expect(decrypt(tenantA, at(newId(), 'email'), ciphertext)).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });

    it('fails with vault.decrypt_failed when copied to another field name', async () => {
      await expect(decrypt(tenantA, at(recordId, 'phone'), ciphertext)).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
      await expect(decrypt(tenantA, at(recordId, 'email_2'), ciphertext)).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });

    it('fails with vault.decrypt_failed when copied to another table', async () => {
      await expect(decrypt(tenantA, at(recordId, 'email', 'agents'), ciphertext)).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
      await expect(decrypt(tenantA, at(recordId, 'email', 'card_tokens'), ciphertext)).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });

    it('fails with vault.decrypt_failed when copied to another tenant (row-level security hides the data key)', async () => {
      // The ciphertext names its data key by id; in tenant B's transaction row-level security
      // hides tenant A's data_keys row, and tenant B never erased a key with that id, so the answer
      // is the one for any value that does not open: 500 vault.decrypt_failed. Not "erased" (410),
      // which would tell B that the id exists somewhere. Nothing is ever decrypted.
      await expect(decrypt(tenantB, at(recordId, 'email'), ciphertext)).rejects.toMatchObject({ code: 'vault.decrypt_failed', status: 500 });
      await expect(decrypt(tenantB, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });

    it('fails with vault.decrypt_failed when opened with the right data key under another tenant id (tenant in the field AAD)', async () => {
      // Defence in depth below row-level security: even a process holding tenant A's data key
      // cannot open the value in tenant B's name, because the tenant id is in the associated data.
      const dataKey = await t.db.withTenant(tenantA, (tx) => vault.keyring.dataKeyById(tx, tenantA, keyRefOf(ciphertext) as string));
      const inB = new RecordCipher(tenantB, dataKey.owner, dataKey);
      const inA = new RecordCipher(tenantA, dataKey.owner, dataKey);
      try {
        expect(inA.decrypt(at(recordId, 'email'), ciphertext)).toBe('ana.gomez@example.com');
        expect(await errorCodeOf(() => inB.decrypt(at(recordId, 'email'), ciphertext))).toBe('vault.decrypt_failed');
      } finally {
        inA.close();
        inB.close();
      }
    });

    it('fails with vault.decrypt_failed when its data-key row is moved into another tenant (tenant in the data-key AAD)', async () => {
      const owner = newId();
      const moved = await encrypt(tenantA, owner, 'email', 'moved@example.com');
      await encrypt(tenantB, newId(), 'email', 'b@example.com'); // tenant B gets its KEK version 1
      await t.db.withRawSession((s) => s.query('UPDATE data_keys SET tenant_id = $1 WHERE id = $2', [tenantB, keyRefOf(moved)]));
      // A cold vault unwraps the smuggled row with tenant B's KEK: wrong key and wrong context.
      await expect(decrypt(tenantB, at(owner, 'email'), moved, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });

    it('fails with vault.decrypt_failed when the key reference names a data key that never existed', async () => {
      const forged = ciphertext.replace(keyRefOf(ciphertext) as string, newId());
      await expect(decrypt(tenantA, at(recordId, 'email'), forged)).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });
  });

  describe('tampering', () => {
    it('fails on every single-character change of the nonce, ciphertext and tag (never garbage)', async () => {
      const recordId = newId();
      const plaintext = 'CC 1.020.304.050';
      const ciphertext = await encrypt(tenantA, recordId, 'document', plaintext);
      const parts = ciphertext.split('.');
      const seen = { 'vault.decrypt_failed': 0, 'vault.malformed_ciphertext': 0 } as Record<string, number>;
      await t.db.withTenant(tenantA, async (tx) => {
        for (const part of [2, 3, 4]) {
          const text = parts[part] as string;
          for (let i = 0; i < text.length; i++) {
            for (const step of [1, 32]) {
              const replacement = B64URL[(B64URL.indexOf(text[i] as string) + step) % 64] as string;
              const changed = text.slice(0, i) + replacement + text.slice(i + 1);
              const tampered = parts.map((p, j) => (j === part ? changed : p)).join('.');
              // A change that leaves canonical base64url must fail authentication; a change of
              // the unused low bits of the last character is caught earlier, as non-canonical.
              const canonical = Buffer.from(changed, 'base64url').toString('base64url') === changed;
              const code = await errorCodeOf(() => vault.decryptField(tx, tenantA, at(recordId, 'document'), tampered));
              expect(code, `part ${part}, position ${i}, +${step}`).toBe(canonical ? 'vault.decrypt_failed' : 'vault.malformed_ciphertext');
              seen[code] = (seen[code] ?? 0) + 1;
            }
          }
        }
      });
      expect(seen['vault.decrypt_failed']).toBeGreaterThan(60);
      expect(seen['vault.malformed_ciphertext']).toBeGreaterThan(0);
    });

    it('fails with vault.malformed_ciphertext on the version and on a key reference that is not a data key id', async () => {
      const recordId = newId();
      const ciphertext = await encrypt(tenantA, recordId, 'email', 'x@example.com');
      const [, keyRef, ...rest] = ciphertext.split('.');
      for (const bad of [`v2.${keyRef}.${rest.join('.')}`, `V1.${keyRef}.${rest.join('.')}`, `v1.k1.${rest.join('.')}`, `v1.${(keyRef as string).toUpperCase()}.${rest.join('.')}`]) {
        await expect(decrypt(tenantA, at(recordId, 'email'), bad)).rejects.toMatchObject({ code: 'vault.malformed_ciphertext' });
      }
    });

    it('fails with vault.malformed_ciphertext on every truncation and on empty input', async () => {
      const recordId = newId();
      const ciphertext = await encrypt(tenantA, recordId, 'email', 'truncate.me@example.com');
      await t.db.withTenant(tenantA, async (tx) => {
        for (let n = 0; n < ciphertext.length; n++) {
          const code = await errorCodeOf(() => vault.decryptField(tx, tenantA, at(recordId, 'email'), ciphertext.slice(0, n)));
          expect(code, `first ${n} characters`).toBe('vault.malformed_ciphertext');
        }
        for (const bad of ['', ' ', '.', '....', 'v1....', `${ciphertext}.`, `${ciphertext}\n`, ` ${ciphertext}`]) {
          expect(await errorCodeOf(() => vault.decryptField(tx, tenantA, at(recordId, 'email'), bad)), JSON.stringify(bad.slice(0, 8))).toBe('vault.malformed_ciphertext');
        }
      });
    });
  });

  describe('the key rows behind a ciphertext', () => {
    it('fails with vault.decrypt_failed when data_keys.kek_version names another existing KEK version', async () => {
      const tenant = await createTenant(t.db, 'kek-version-swap');
      const recordId = newId();
      const ciphertext = await encrypt(tenant, recordId, 'email', 'swap@example.com');
      await t.db.withTenant(tenant, (tx) => vault.keyring.addKekVersion(tx, tenant));
      // The row now claims version 2, but its wrapped key says (and was sealed under) k1.
      await t.db.withRawSession((s) => s.query('UPDATE data_keys SET kek_version = 2 WHERE id = $1', [keyRefOf(ciphertext)]));
      await expect(decrypt(tenant, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
      // Relabelling the wrapped key too does not help: the label is in the associated data.
      await t.db.withRawSession((s) => s.query(`UPDATE data_keys SET wrapped_key = replace(wrapped_key, 'v1.k1.', 'v1.k2.') WHERE id = $1`, [keyRefOf(ciphertext)]));
      await expect(decrypt(tenant, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });

    it('fails with vault.unknown_key_version when data_keys.kek_version names a retired KEK version', async () => {
      const tenant = await createTenant(t.db, 'kek-version-retired');
      const recordId = newId();
      const ciphertext = await encrypt(tenant, recordId, 'email', 'retired@example.com');
      await t.db.withTenant(tenant, async (tx) => {
        await vault.keyring.addKekVersion(tx, tenant); // 2, never used
        await vault.keyring.addKekVersion(tx, tenant); // 3, current
        await vault.keyring.retireKek(tx, tenant, 2);
      });
      // (The foreign key only lets kek_version name a version that has a row, retired or not.)
      await t.db.withRawSession((s) => s.query('UPDATE data_keys SET kek_version = 2 WHERE id = $1', [keyRefOf(ciphertext)]));
      await expect(decrypt(tenant, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.unknown_key_version' });
    });

    it('fails with vault.decrypt_failed when the wrapped data key is tampered with in the table', async () => {
      const recordId = newId();
      const ciphertext = await encrypt(tenantA, recordId, 'email', 'wrapped@example.com');
      const id = keyRefOf(ciphertext) as string;
      const [row] = await t.db.withRawSession((s) => s.query<{ wrapped_key: string }>('SELECT wrapped_key FROM data_keys WHERE id = $1', [id]));
      const parts = (row as { wrapped_key: string }).wrapped_key.split('.');
      for (const part of [2, 3, 4]) {
        const text = parts[part] as string;
        // Flip the first character: stays canonical base64url, so authentication has to catch it.
        const changed = (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
        const tampered = parts.map((p, j) => (j === part ? changed : p)).join('.');
        await t.db.withRawSession((s) => s.query('UPDATE data_keys SET wrapped_key = $1 WHERE id = $2', [tampered, id]));
        await expect(decrypt(tenantA, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
      }
      // A wrapped key that is not even the envelope format.
      await t.db.withRawSession((s) => s.query(`UPDATE data_keys SET wrapped_key = 'garbage' WHERE id = $1`, [id]));
      await expect(decrypt(tenantA, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.malformed_ciphertext' });
    });

    it('fails with vault.decrypt_failed when a data-key row is swapped onto another owner', async () => {
      const recordId = newId();
      const ciphertext = await encrypt(tenantA, recordId, 'email', 'owner.swap@example.com');
      // The owner is in the data key's associated data: re-pointing the row breaks the unwrap.
      await t.db.withRawSession((s) => s.query('UPDATE data_keys SET owner_id = $1 WHERE id = $2', [newId(), keyRefOf(ciphertext)]));
      await expect(decrypt(tenantA, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
    });

    it('fails with vault.decrypt_failed when the root key is another one (another deployment)', async () => {
      const recordId = newId();
      const ciphertext = await encrypt(tenantA, recordId, 'email', 'root@example.com');
      await expect(decrypt(tenantA, at(recordId, 'email'), ciphertext, newTestVault({ rootKey: newRootKey() }))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
      await expect(decrypt(tenantA, at(recordId, 'email'), ciphertext, newTestVault({ rootKey: newRootKey(7) }))).rejects.toMatchObject({ code: 'vault.unknown_key_version' });
    });
  });

  describe('one data key per owner', () => {
    it('uses one data key for every field of an owner and another for each other owner', async () => {
      const tenant = await createTenant(t.db, 'one-key-per-owner');
      const [owner1, owner2] = [newId(), newId()];
      const a = await encrypt(tenant, owner1, 'email', 'a@example.com');
      const b = await encrypt(tenant, owner1, 'phone', '+573001234567');
      const c = await encrypt(tenant, owner2, 'email', 'c@example.com');
      const d = await encrypt(tenant, owner1, 'email', 'a2@example.com', newTestVault({ rootKey }));
      expect(keyRefOf(a)).toBe(keyRefOf(b));
      expect(keyRefOf(a)).toBe(keyRefOf(d));
      expect(keyRefOf(c)).not.toBe(keyRefOf(a));
      const rows = await t.db.withTenant(tenant, (tx) => tx.selectFrom('data_keys').select(['id', 'owner_id', 'kek_version']).orderBy('created_at').execute());
      expect(rows).toHaveLength(2);
      expect(new Map(rows.map((r) => [r.owner_id, r.id]))).toEqual(new Map([[owner1, keyRefOf(a)], [owner2, keyRefOf(c)]]));
      // The same owner id in another table is another owner.
      const e = await t.db.withTenant(tenant, (tx) => vault.encryptField(tx, tenant, { table: 'agents', id: owner1 }, at(owner1, 'email', 'agents'), 'e@example.com'));
      expect(keyRefOf(e)).not.toBe(keyRefOf(a));
    });

    it('ends with exactly one data key when 10 transactions of 10 processes use a new owner at once (first use of the tenant too)', async () => {
      // On PostgreSQL the transactions really overlap: the losers of the tenant_keys and data_keys
      // inserts wait for the winner and take its row (ON CONFLICT DO NOTHING, then re-read). On
      // PGlite the single connection serialises them, and the later ones find the row.
      const tenant = await createTenant(t.db, 'first-use-race');
      const owner = newId();
      const vaults = Array.from({ length: 10 }, () => newTestVault({ rootKey }));
      const ciphertexts = await Promise.all(
        vaults.map((v, i) => t.db.withTenant(tenant, (tx) => v.encryptField(tx, tenant, { table: 'customers', id: owner }, at(owner, 'email'), `racer${i}@example.com`))),
      );
      const [dataKeys, keks] = await t.db.withTenant(tenant, async (tx) => [
        await tx.selectFrom('data_keys').select(['id']).execute(),
        await tx.selectFrom('tenant_keys').select(['version']).where('purpose', '=', 'kek').execute(),
      ]);
      expect(dataKeys).toHaveLength(1);
      expect(keks).toHaveLength(1);
      expect(new Set(ciphertexts.map(keyRefOf))).toEqual(new Set([dataKeys[0]?.id]));
      const cold = newTestVault({ rootKey });
      for (const [i, ciphertext] of ciphertexts.entries()) {
        await expect(decrypt(tenant, at(owner, 'email'), ciphertext, cold)).resolves.toBe(`racer${i}@example.com`);
        await expect(decrypt(tenant, at(owner, 'email'), ciphertext, vaults[i])).resolves.toBe(`racer${i}@example.com`);
      }
    });
  });

  describe('regressions', () => {
    it('a KEK created by a transaction that rolled back never wraps data keys (another process created the real one)', async () => {
      // Process 1 creates the tenant's first KEK inside a transaction that then fails (say, the
      // customer insert after the encryption hit a constraint). Process 2 then creates the KEK
      // that commits. Process 1 must wrap its next data keys with the committed KEK, not with the
      // one it generated and cached before its rollback: otherwise those data keys (and every
      // value under them) are lost as soon as its cache forgets the phantom key.
      const tenant = await createTenant(t.db, 'phantom-kek');
      const process1 = newTestVault({ rootKey });
      const process2 = newTestVault({ rootKey });
      const failure = await rejectionOf(
        t.db.withTenant(tenant, async (tx) => {
          await process1.encryptField(tx, tenant, { table: 'customers', id: newId() }, at(newId(), 'email'), 'rolled.back@example.com');
          throw new Error('the caller failed after encrypting');
        }),
      );
      expect((failure as Error).message).toBe('the caller failed after encrypting');
      await encrypt(tenant, newId(), 'email', 'committed@example.com', process2);
      const recordId = newId();
      const ciphertext = await encrypt(tenant, recordId, 'email', 'after.rollback@example.com', process1);
      await expect(decrypt(tenant, at(recordId, 'email'), ciphertext, newTestVault({ rootKey }))).resolves.toBe('after.rollback@example.com');
    });
  });
});
