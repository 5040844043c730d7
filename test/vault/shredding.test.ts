/**
 * Crypto-shredding against a real database: erasing a customer deletes its data key, and every
 * ciphertext sealed under it, wherever a copy went (a backup, an export, a log someone should not
 * have written), becomes undecryptable. Shown by keeping copies, erasing, and failing to decrypt
 * the copies, also from a second process whose key cache decrypted them a moment before (so what
 * is proven is the database check on every read, not just a cache eviction in the erasing process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.js';
import type { KeyOwner, Vault } from '../../src/vault/index.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTenant, dumpAllRows, newRootKey, newTestVault, rejectionOf } from '../helpers/vault.js';

const rootKey = newRootKey();
const payment = { role: 'payment', id: 'payment-service', actorType: 'service' as const, purpose: 'refund' };
let t: TestDatabase;
let tenant: string;
/** The process that erases. */
let eraser: Vault;
/** Another process of the same deployment, with its own warm cache. */
let other: Vault;

interface Customer {
  readonly owner: KeyOwner;
  readonly fields: Record<string, string>;
  readonly ciphertexts: Record<string, string>;
  readonly cardToken: string;
  readonly panCiphertext: string;
  /** The card_tokens row id, which the PAN ciphertext is bound to. */
  readonly cardRowId: string;
  readonly wrappedDataKey: string;
}

const at = (recordId: string, field: string) => ({ table: 'customers', recordId, field });
const panAt = (customer: Customer) => ({ table: 'card_tokens', recordId: customer.cardRowId, field: 'pan' });

async function storeCustomer(fields: Record<string, string>, pan: string): Promise<Customer> {
  const owner = { table: 'customers', id: newId() };
  return t.db.withTenant(tenant, async (tx) => {
    const ciphertexts: Record<string, string> = {};
    await eraser.withRecord(tx, tenant, owner, (cipher) => {
      for (const [field, value] of Object.entries(fields)) ciphertexts[field] = cipher.encrypt(at(owner.id, field), value);
    });
    await eraser.setBlindIndex(tx, tenant, owner, 'phone', 'phone', fields.phone as string);
    await eraser.setBlindIndex(tx, tenant, owner, 'email', 'email', fields.email as string);
    await eraser.setBlindIndex(tx, tenant, owner, 'document', 'document', fields.document as string);
    const { token } = await eraser.tokenizeCard(tx, tenant, pan, { owner });
    const card = await tx.selectFrom('card_tokens').select(['id', 'pan_ciphertext']).where('token', '=', token).executeTakeFirstOrThrow();
    const key = await tx.selectFrom('data_keys').select(['wrapped_key']).where('owner_table', '=', owner.table).where('owner_id', '=', owner.id).executeTakeFirstOrThrow();
    return { owner, fields, ciphertexts, cardToken: token, panCiphertext: card.pan_ciphertext, cardRowId: card.id, wrappedDataKey: key.wrapped_key };
  });
}

function decryptAll(vault: Vault, customer: Customer): Promise<Record<string, string>> {
  return t.db.withTenant(tenant, async (tx) => {
    const out: Record<string, string> = {};
    for (const [field, ciphertext] of Object.entries(customer.ciphertexts)) out[field] = await vault.decryptField(tx, tenant, at(customer.owner.id, field), ciphertext);
    return out;
  });
}

let erased: Customer;
let kept: Customer;

beforeAll(async () => {
  t = await openTestDatabase();
  tenant = await createTenant(t.db, 'shredding');
  eraser = newTestVault({ rootKey });
  other = newTestVault({ rootKey });
  erased = await storeCustomer(
    { full_name: 'Juan Pérez Gómez', email: 'juan.perez@example.com', phone: '+57 300 123 4567', document: '1.020.304.050', address: 'Calle 10 # 43-12, Medellín' },
    '4111 1111 1111 1111',
  );
  kept = await storeCustomer(
    { full_name: 'Ana Souza', email: 'ana.souza@example.com', phone: '+55 11 91234-5678', document: '123.456.789-09', address: 'Rua Augusta 100, São Paulo' },
    '5555 5555 5555 4444',
  );
});

afterAll(async () => {
  await t?.destroy();
});

describe(`crypto-shredding on ${backend}`, () => {
  it('erases the data key, blind indexes and card tokens of one owner, and nothing of another', async () => {
    // Both processes can read everything before; the second one now has the data keys cached.
    await expect(decryptAll(eraser, erased)).resolves.toEqual(erased.fields);
    await expect(decryptAll(other, erased)).resolves.toEqual(erased.fields);
    await expect(t.db.withTenant(tenant, (tx) => other.detokenizeCard(tx, tenant, erased.cardToken, payment))).resolves.toBe('4111111111111111');
    await expect(t.db.withTenant(tenant, (tx) => other.decryptField(tx, tenant, panAt(erased), erased.panCiphertext))).resolves.toBe('4111111111111111');

    const result = await t.db.withTenant(tenant, (tx) => eraser.shred(tx, tenant, erased.owner));
    expect(result).toEqual({ dataKey: true, blindIndexes: 3, cardTokens: 1 });

    const left = await t.db.withTenant(tenant, async (tx) => ({
      dataKeys: await tx.selectFrom('data_keys').select(['owner_id']).execute(),
      indexes: await tx.selectFrom('blind_indexes').select(['owner_id']).execute(),
      tokens: await tx.selectFrom('card_tokens').select(['owner_id']).execute(),
    }));
    expect(left.dataKeys.map((r) => r.owner_id)).toEqual([kept.owner.id]);
    expect(new Set(left.indexes.map((r) => r.owner_id))).toEqual(new Set([kept.owner.id]));
    expect(left.tokens.map((r) => r.owner_id)).toEqual([kept.owner.id]);
  });

  it('leaves the kept copies undecryptable: vault.key_shredded in the erasing process', async () => {
    for (const [field, ciphertext] of Object.entries(erased.ciphertexts)) {
      const error = await rejectionOf(t.db.withTenant(tenant, (tx) => eraser.decryptField(tx, tenant, at(erased.owner.id, field), ciphertext)));
      expect(error).toMatchObject({ code: 'vault.key_shredded', status: 410 });
    }
  });

  it('... and in another process whose cache decrypted them just before (the data-key row is checked on every read)', async () => {
    for (const [field, ciphertext] of Object.entries(erased.ciphertexts)) {
      const error = await rejectionOf(t.db.withTenant(tenant, (tx) => other.decryptField(tx, tenant, at(erased.owner.id, field), ciphertext)));
      expect(error).toMatchObject({ code: 'vault.key_shredded' });
    }
    // The copy of the encrypted PAN taken from the card_tokens row before the erasure.
    const pan = await rejectionOf(t.db.withTenant(tenant, (tx) => other.decryptField(tx, tenant, panAt(erased), erased.panCiphertext)));
    expect(pan).toMatchObject({ code: 'vault.key_shredded' });
  });

  it('... and in a fresh process', async () => {
    const fresh = newTestVault({ rootKey });
    for (const [field, ciphertext] of Object.entries(erased.ciphertexts)) {
      await expect(t.db.withTenant(tenant, (tx) => fresh.decryptField(tx, tenant, at(erased.owner.id, field), ciphertext))).rejects.toMatchObject({ code: 'vault.key_shredded' });
    }
  });

  it('makes the blind indexes and the card token of the erased owner unfindable', async () => {
    await t.db.withTenant(tenant, async (tx) => {
      expect(await other.findByBlindIndex(tx, tenant, 'phone', '+573001234567', 'customers')).toEqual([]);
      expect(await other.findByBlindIndex(tx, tenant, 'email', 'JUAN.PEREZ@example.com', 'customers')).toEqual([]);
      expect(await other.findByBlindIndex(tx, tenant, 'document', '1020304050', 'customers')).toEqual([]);
    });
    await expect(t.db.withTenant(tenant, (tx) => other.detokenizeCard(tx, tenant, erased.cardToken, payment))).rejects.toMatchObject({ code: 'tokens.not_found', status: 404 });
  });

  it('leaves no trace of the erased data key anywhere in the database', async () => {
    const dump = await dumpAllRows(t.db);
    expect(dump.includes(erased.wrappedDataKey)).toBe(false);
    expect(dump.includes(erased.cardToken)).toBe(false);
    expect(dump.includes(kept.wrappedDataKey)).toBe(true);
  });

  it('leaves the other owner fully usable', async () => {
    for (const vault of [eraser, other, newTestVault({ rootKey })]) {
      await expect(decryptAll(vault, kept)).resolves.toEqual(kept.fields);
      await t.db.withTenant(tenant, async (tx) => {
        expect(await vault.findByBlindIndex(tx, tenant, 'phone', '+55 (11) 91234-5678', 'customers')).toEqual([kept.owner.id]);
        expect(await vault.findByBlindIndex(tx, tenant, 'document', '12345678909', 'customers')).toEqual([kept.owner.id]);
        expect(await vault.detokenizeCard(tx, tenant, kept.cardToken, payment)).toBe('5555555555554444');
      });
    }
  });

  it('is idempotent: shredding again finds nothing to erase', async () => {
    await expect(t.db.withTenant(tenant, (tx) => eraser.shred(tx, tenant, erased.owner))).resolves.toEqual({ dataKey: false, blindIndexes: 0, cardTokens: 0 });
  });

  it('gives a reused owner id a new data key: the old copies stay dead', async () => {
    const ciphertext = await t.db.withTenant(tenant, (tx) => eraser.encryptField(tx, tenant, erased.owner, at(erased.owner.id, 'email'), 'new.life@example.com'));
    expect(ciphertext.split('.')[1]).not.toBe(erased.ciphertexts.email?.split('.')[1]);
    await expect(t.db.withTenant(tenant, (tx) => other.decryptField(tx, tenant, at(erased.owner.id, 'email'), ciphertext))).resolves.toBe('new.life@example.com');
    await expect(t.db.withTenant(tenant, (tx) => other.decryptField(tx, tenant, at(erased.owner.id, 'email'), erased.ciphertexts.email as string))).rejects.toMatchObject({ code: 'vault.key_shredded' });
  });

  it('erases nothing when the shredding transaction rolls back', async () => {
    const customer = await storeCustomer(
      { full_name: 'Pedro Rollback', email: 'pedro@example.com', phone: '+34 612 34 56 78', document: 'X-1234567-L', address: 'Gran Vía 1, Madrid' },
      '378282246310005',
    );
    const failure = await rejectionOf(
      t.db.withTenant(tenant, async (tx) => {
        await eraser.shred(tx, tenant, customer.owner);
        throw new Error('the erasure request failed later on');
      }),
    );
    expect((failure as Error).message).toBe('the erasure request failed later on');
    // The erasing process dropped its cached copy; it unwraps the data key again from its row.
    await expect(decryptAll(eraser, customer)).resolves.toEqual(customer.fields);
    await expect(t.db.withTenant(tenant, (tx) => eraser.findByBlindIndex(tx, tenant, 'document', 'x1234567l', 'customers'))).resolves.toEqual([customer.owner.id]);
  });
});
