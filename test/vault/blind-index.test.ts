/**
 * Blind indexes against a real database: finding customers by phone, email or document number
 * without decrypting anything, whatever the spelling of the value; per-tenant keys; truncation to
 * `blindIndexBytes`; and, with a deliberately tiny index, the false matches that truncation
 * produces and the filter-by-decryption pattern callers use to drop them (false matches are
 * expected; a false miss would be a bug).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../../src/db/index.js';
import { newId } from '../../src/platform/ids.js';
import type { BlindIndexKind, Vault } from '../../src/vault/index.js';
import { normalizeEmail } from '../../src/vault/normalize.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createFieldTable, createTenant, newRootKey, newTestVault, rejectionOf } from '../helpers/vault.js';

const rootKey = newRootKey();
let t: TestDatabase;
let vault: Vault;
let tenantA: string;
let tenantB: string;

const OWNERS = 200;

/** Customer n: three values, written one way when stored and looked up written other ways. */
function customer(n: number) {
  const sub = String(n).padStart(6, '0'); // 612 000 000 + n: Spanish mobile numbers
  const cpf = String(10_000_000_000 + n * 7919).slice(-11); // 11 digits, CPF-shaped
  return {
    stored: {
      phone: `+34 612 ${sub.slice(0, 2)} ${sub.slice(2, 4)} ${sub.slice(4)}`,
      email: `Cliente.${n}@Example.COM`,
      document: `${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`,
    },
    lookups: {
      phone: [`0034612${sub}`, `612-${sub.slice(0, 3)}-${sub.slice(3)}`, `+34612${sub}`, ` +34 (612) ${sub.slice(0, 3)} ${sub.slice(3)} `],
      email: [`cliente.${n}@example.com`, `  CLIENTE.${n}@EXAMPLE.com\t`],
      document: [cpf, `${cpf.slice(0, 9)} ${cpf.slice(9)}`, `${cpf.slice(0, 3)}/${cpf.slice(3, 6)}/${cpf.slice(6)}`],
    },
  };
}

const owners = Array.from({ length: OWNERS }, () => newId());

async function indexAll(v: Vault, tenantId: string, count: number): Promise<void> {
  await t.db.withTenant(tenantId, async (tx) => {
    for (const [n, id] of owners.slice(0, count).entries()) {
      const owner = { table: 'customers', id };
      const { stored } = customer(n);
      for (const kind of ['phone', 'email', 'document'] as const) await v.setBlindIndex(tx, tenantId, owner, kind, kind, stored[kind]);
    }
  });
}

beforeAll(async () => {
  t = await openTestDatabase();
  await createFieldTable(t.db);
  // Phones written without an international prefix are Spanish (0034..., 612...).
  vault = newTestVault({ rootKey, defaultPhoneCountry: 'ES' });
  tenantA = await createTenant(t.db, 'index-a');
  tenantB = await createTenant(t.db, 'index-b');
  await indexAll(vault, tenantA, OWNERS);
  // Tenant B holds the same values for the first 20 owners.
  await indexAll(vault, tenantB, 20);
});

afterAll(async () => {
  await t?.destroy();
});

/** The construction documented in vault.ts, recomputed from the tenant's index key. */
function expectedDigest(indexKey: Buffer, kind: BlindIndexKind, normalized: string, bytes: number): Buffer {
  const derived = Buffer.from(hkdfSync('sha256', indexKey, Buffer.alloc(0), Buffer.from(`custodia.blind-index.v1.${kind}`), 32));
  return createHmac('sha256', derived).update(normalized, 'utf8').digest().subarray(0, bytes);
}

function digestsOf(tx: Tx): Promise<{ owner_id: string; kind: string; digest: Uint8Array }[]> {
  return tx.selectFrom('blind_indexes').select(['owner_id', 'kind', 'digest']).execute();
}

describe(`blind indexes on ${backend}`, () => {
  it(`finds each of ${OWNERS} customers by phone, email and document, however the value is written`, async () => {
    await t.db.withTenant(tenantA, async (tx) => {
      for (const [n, id] of owners.entries()) {
        const { lookups } = customer(n);
        for (const kind of ['phone', 'email', 'document'] as const) {
          // Every spelling for the first 20 customers, one (in turn) for the others.
          const values = n < 20 ? lookups[kind] : [lookups[kind][n % lookups[kind].length] as string];
          for (const value of values) {
            expect(await vault.findByBlindIndex(tx, tenantA, kind, value, 'customers'), `${kind} ${JSON.stringify(value)}`).toEqual([id]);
          }
        }
      }
    });
  });

  it('stores one digest per owner and field, truncated to blindIndexBytes (8 by default)', async () => {
    const rows = await t.db.withTenant(tenantA, digestsOf);
    expect(rows).toHaveLength(OWNERS * 3);
    expect(new Set(rows.map((r) => r.digest.length))).toEqual(new Set([8]));
    // 600 values in 2^64: no collisions.
    expect(new Set(rows.map((r) => Buffer.from(r.digest).toString('hex'))).size).toBe(OWNERS * 3);
  });

  it('does not find by a value of the same kind that differs, nor by another kind, nor in another owner table', async () => {
    await t.db.withTenant(tenantA, async (tx) => {
      expect(await vault.findByBlindIndex(tx, tenantA, 'phone', '+34 612 99 99 99', 'customers')).toEqual([]);
      expect(await vault.findByBlindIndex(tx, tenantA, 'email', 'cliente.1@example.co', 'customers')).toEqual([]);
      // Email local parts are not folded: dots and +tags can be other people.
      expect(await vault.findByBlindIndex(tx, tenantA, 'email', 'cliente1@example.com', 'customers')).toEqual([]);
      expect(await vault.findByBlindIndex(tx, tenantA, 'email', 'cliente.1+x@example.com', 'customers')).toEqual([]);
      // The digits of customer 1's phone, looked up as a document number.
      expect(await vault.findByBlindIndex(tx, tenantA, 'document', '34612000001', 'customers')).toEqual([]);
      expect(await vault.findByBlindIndex(tx, tenantA, 'document', customer(1).lookups.document[0] as string, 'agents')).toEqual([]);
    });
  });

  it('refuses values that do not normalize, with vault.invalid_value (never echoing the value)', async () => {
    const noCountry = newTestVault({ rootKey });
    for (const [v, kind, value] of [
      [noCountry, 'phone', '0034612000001'], // 00 is an international prefix only where a country says so
      [noCountry, 'phone', '612 00 00 01'],
      [vault, 'phone', 'call me at +34 612 00 00 01'],
      [vault, 'email', 'not-an-email'],
      [vault, 'document', '123_456'],
    ] as const) {
      const error = await rejectionOf(t.db.withTenant(tenantA, (tx) => v.findByBlindIndex(tx, tenantA, kind, value, 'customers')));
      expect(error).toMatchObject({ code: 'vault.invalid_value', status: 400 });
      expect(JSON.stringify(error)).not.toContain(value);
    }
  });

  it('uses a key per tenant: the same values give other digests in another tenant, and each finds only its own', async () => {
    const [a, b] = await Promise.all([t.db.withTenant(tenantA, digestsOf), t.db.withTenant(tenantB, digestsOf)]);
    const hexA = new Set(a.map((r) => Buffer.from(r.digest).toString('hex')));
    expect(b.filter((r) => hexA.has(Buffer.from(r.digest).toString('hex')))).toEqual([]);
    // Same owner ids in both tenants here, so a lookup answers with the same id: the digest is what differs.
    const digestIn = (tenantId: string) => t.db.withTenant(tenantId, (tx) => vault.blindIndex(tx, tenantId, 'email', 'cliente.7@example.com'));
    expect((await digestIn(tenantA)).equals(await digestIn(tenantB))).toBe(false);
    const tenantC = await createTenant(t.db, 'index-c');
    await expect(t.db.withTenant(tenantC, (tx) => vault.findByBlindIndex(tx, tenantC, 'email', 'cliente.7@example.com', 'customers'))).resolves.toEqual([]);
  });

  it('derives a key per kind from the index key, which is not the KEK (recomputed from the keyring)', async () => {
    await t.db.withTenant(tenantA, async (tx) => {
      const indexKey = Buffer.from((await vault.keyring.indexKey(tx, tenantA)).bytes());
      const kek = Buffer.from((await vault.keyring.currentKek(tx, tenantA)).key.bytes());
      expect(indexKey.equals(kek)).toBe(false);
      const email = normalizeEmail('Cliente.7@Example.COM');
      const digest = await vault.blindIndex(tx, tenantA, 'email', 'Cliente.7@Example.COM');
      expect(digest.equals(expectedDigest(indexKey, 'email', email, 8))).toBe(true);
      // Not a plain HMAC under the index key or the KEK, and not the derivation of another kind:
      // equal strings indexed as different kinds never share a digest.
      const plain = (key: Buffer) => createHmac('sha256', key).update(email).digest().subarray(0, 8);
      expect(digest.equals(plain(indexKey))).toBe(false);
      expect(digest.equals(plain(kek))).toBe(false);
      expect(digest.equals(expectedDigest(indexKey, 'document', email, 8))).toBe(false);
      expect(digest.equals(expectedDigest(indexKey, 'phone', email, 8))).toBe(false);
      // The stored digests follow the same construction for every kind.
      const phone = await vault.blindIndex(tx, tenantA, 'phone', '+34 612 00 00 07');
      expect(phone.equals(expectedDigest(indexKey, 'phone', '+34612000007', 8))).toBe(true);
      const document = await vault.blindIndex(tx, tenantA, 'document', '123.456.789-09');
      expect(document.equals(expectedDigest(indexKey, 'document', '12345678909', 8))).toBe(true);
    });
  });

  it('is stable across processes, and a longer setting gives a longer prefix of the same HMAC', async () => {
    const digestWith = (v: Vault) => t.db.withTenant(tenantA, (tx) => v.blindIndex(tx, tenantA, 'phone', '0034612000042'));
    const first = await digestWith(vault);
    expect((await digestWith(newTestVault({ rootKey, defaultPhoneCountry: 'ES' }))).equals(first)).toBe(true);
    const long = await digestWith(newTestVault({ rootKey, defaultPhoneCountry: 'ES', blindIndexBytes: 32 }));
    const short = await digestWith(newTestVault({ rootKey, defaultPhoneCountry: 'ES', blindIndexBytes: 2 }));
    expect(long).toHaveLength(32);
    expect(short).toHaveLength(2);
    expect(long.subarray(0, 8).equals(first)).toBe(true);
    expect(long.subarray(0, 2).equals(short)).toBe(true);
  });

  it('replaces an owner\'s digest when the value changes, and removes it with null', async () => {
    const id = newId();
    const owner = { table: 'customers', id };
    await t.db.withTenant(tenantA, async (tx) => {
      await vault.setBlindIndex(tx, tenantA, owner, 'email', 'email', 'old@example.com');
      await vault.setBlindIndex(tx, tenantA, owner, 'email', 'email', 'new@example.com');
      expect(await vault.findByBlindIndex(tx, tenantA, 'email', 'old@example.com', 'customers')).toEqual([]);
      expect(await vault.findByBlindIndex(tx, tenantA, 'email', 'NEW@example.com', 'customers')).toEqual([id]);
      await vault.setBlindIndex(tx, tenantA, owner, 'email', 'email', null);
      expect(await vault.findByBlindIndex(tx, tenantA, 'email', 'new@example.com', 'customers')).toEqual([]);
    });
  });

  describe('with blindIndexBytes = 2 (65,536 digests)', () => {
    // At 2,000 customers a 2-byte index gives about 30 colliding pairs (birthday bound); rather
    // than rely on chance, and to keep the run short, the test picks values whose digests are
    // known to collide: 300 customers, 30 more whose emails share a digest with one of the first
    // 300, and 30 absent emails that do too. The digests are predicted from the index key with the
    // construction checked above; the writes and lookups all go through the vault.
    const BASE = 300;
    const EXTRA = 30;
    const tiny = newTestVault({ rootKey, blindIndexBytes: 2 });
    let tenant: string;
    const emails: string[] = [];
    const ids: string[] = [];
    const absent: string[] = [];

    /**
     * What a caller does: the index narrows the candidates, decryption decides. Returns the ids
     * whose stored email really equals `value`, and how many candidates the index returned.
     */
    async function findCustomerByEmail(tx: Tx, value: string): Promise<{ found: string[]; candidates: number }> {
      const candidates = await tiny.findByBlindIndex(tx, tenant, 'email', value, 'customers');
      const wanted = normalizeEmail(value);
      const found: string[] = [];
      for (const id of candidates) {
        const row = (await sql<{ ciphertext: string }>`select ciphertext from vault_test_fields where record_id = ${id} and field = 'email'`.execute(tx)).rows[0];
        if (row === undefined) continue;
        const email = await tiny.decryptField(tx, tenant, { table: 'customers', recordId: id, field: 'email' }, row.ciphertext);
        if (normalizeEmail(email) === wanted) found.push(id);
      }
      return { found, candidates: candidates.length };
    }

    beforeAll(async () => {
      tenant = await createTenant(t.db, 'tiny-index');
      const indexKey = await t.db.withTenant(tenant, async (tx) => Buffer.from((await tiny.keyring.indexKey(tx, tenant)).bytes()));
      const predict = (email: string) => expectedDigest(indexKey, 'email', email, 2).toString('hex');
      for (let n = 0; n < BASE; n++) emails.push(`persona.${n}@correo.example`);
      const taken = new Set(emails.map(predict));
      for (let m = 0; emails.length < BASE + EXTRA; m++) if (taken.has(predict(`otra.${m}@correo.example`))) emails.push(`otra.${m}@correo.example`);
      for (let m = 0; absent.length < EXTRA; m++) if (taken.has(predict(`ausente.${m}@correo.example`))) absent.push(`ausente.${m}@correo.example`);
      indexKey.fill(0);
      await t.db.withTenant(tenant, async (tx) => {
        const rows: { id: string; ciphertext: string }[] = [];
        for (const email of emails) {
          const id = newId();
          const owner = { table: 'customers', id };
          ids.push(id);
          rows.push({ id, ciphertext: await tiny.encryptField(tx, tenant, owner, { table: 'customers', recordId: id, field: 'email' }, email) });
          await tiny.setBlindIndex(tx, tenant, owner, 'email', 'email', email);
        }
        await sql`insert into vault_test_fields (tenant_id, record_id, field, ciphertext) values ${sql.join(rows.map((r) => sql`(${tenant}, ${r.id}, 'email', ${r.ciphertext})`))}`.execute(tx);
      });
    });

    it('stores 2-byte digests, some shared by several customers', async () => {
      const rows = await t.db.withTenant(tenant, digestsOf);
      expect(rows).toHaveLength(BASE + EXTRA);
      expect(new Set(rows.map((r) => r.digest.length))).toEqual(new Set([2]));
      const distinct = new Set(rows.map((r) => Buffer.from(r.digest).toString('hex'))).size;
      expect(distinct).toBeLessThanOrEqual(BASE);
    });

    it('returns false matches, which decryption filters out, and never misses the real customer', async () => {
      let falseMatches = 0;
      await t.db.withTenant(tenant, async (tx) => {
        for (const [n, email] of emails.entries()) {
          const lookup = n % 2 === 0 ? email.toUpperCase() : ` ${email} `;
          const { found, candidates } = await findCustomerByEmail(tx, lookup);
          expect(found, email).toEqual([ids[n]]);
          falseMatches += candidates - 1;
        }
      });
      // Each of the 30 extra customers and its partner see each other at least: 60 or more.
      expect(falseMatches).toBeGreaterThanOrEqual(2 * EXTRA);
    });

    it('finds no one for absent values, though the index returns candidates for them', async () => {
      await t.db.withTenant(tenant, async (tx) => {
        for (const email of absent) {
          const { found, candidates } = await findCustomerByEmail(tx, email);
          expect(found).toEqual([]);
          expect(candidates).toBeGreaterThan(0);
        }
      });
    });
  });

  describe('regressions', () => {
    it('an index key created by a transaction that rolled back is not used afterwards (its digests would be unfindable after a restart)', async () => {
      // The tenant's first blind index is computed in a transaction that then fails. Before the
      // fix, the index key generated there stayed cached (by version) although its row was rolled
      // back, so the next digests were computed with a key that was never stored: a restarted
      // process (or any other) created a different index key and missed every one of them.
      const tenant = await createTenant(t.db, 'phantom-index-key');
      const owner = { table: 'customers', id: newId() };
      const failure = await rejectionOf(
        t.db.withTenant(tenant, async (tx) => {
          await vault.setBlindIndex(tx, tenant, owner, 'email', 'email', 'first@example.com');
          throw new Error('the caller failed after indexing');
        }),
      );
      expect((failure as Error).message).toBe('the caller failed after indexing');
      await t.db.withTenant(tenant, (tx) => vault.setBlindIndex(tx, tenant, owner, 'email', 'email', 'second@example.com'));
      const restarted = newTestVault({ rootKey, defaultPhoneCountry: 'ES' });
      await expect(t.db.withTenant(tenant, (tx) => restarted.findByBlindIndex(tx, tenant, 'email', 'second@example.com', 'customers'))).resolves.toEqual([owner.id]);
      const indexKeys = await t.db.withTenant(tenant, (tx) => tx.selectFrom('tenant_keys').select('version').where('purpose', '=', 'index').execute());
      expect(indexKeys).toHaveLength(1);
    });
  });
});
