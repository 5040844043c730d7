/**
 * Card tokenization against a real database: format-preserving tokens for published test card
 * numbers, what the card_tokens row holds (no PAN digits beyond the last four, and the first six
 * only when asked), detokenization only for the payment role with "not found" answered alike for
 * unknown tokens and other tenants' tokens, and card security codes refused on the way in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.js';
import type { Detokenizer, Vault } from '../../src/vault/index.js';
import { assertNoCardVerificationCode, luhnValid } from '../../src/vault/card-token.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTenant, dumpAllRows, newRootKey, newTestVault, rejectionOf, TEST_NOW } from '../helpers/vault.js';

/** Published test card numbers (card networks' and gateways' documentation; as in src/vault/card-token.test.ts). */
const TEST_PANS = [
  '4111111111111111', // Visa
  '4012888888881881', // Visa
  '4222222222222', // Visa, 13 digits
  '5555555555554444', // Mastercard
  '5105105105105100', // Mastercard
  '2223003122003222', // Mastercard 2-series
  '378282246310005', // American Express, 15 digits
  '371449635398431', // American Express
  '6011111111111117', // Discover
  '6011000990139424', // Discover
  '3530111333300000', // JCB
  '3566002020360505', // JCB
  '30569309025904', // Diners Club, 14 digits
  '6304000000000000', // Maestro
  '4000000000000000006', // 19 digits (Visa test range)
];

const rootKey = newRootKey();
const payment = { role: 'payment', id: 'gateway-adapter', actorType: 'service' as const, purpose: 'recurring_charge' };
let t: TestDatabase;
let vault: Vault;
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  t = await openTestDatabase();
  vault = newTestVault({ rootKey });
  tenantA = await createTenant(t.db, 'tokens-a');
  tenantB = await createTenant(t.db, 'tokens-b');
});

afterAll(async () => {
  await t?.destroy();
});

function tokenize(tenantId: string, pan: string, options: { keepFirstSix?: boolean } = {}) {
  return t.db.withTenant(tenantId, (tx) => vault.tokenizeCard(tx, tenantId, pan, options));
}

function detokenize(tenantId: string, token: string, actor: Detokenizer = payment) {
  return t.db.withTenant(tenantId, (tx) => vault.detokenizeCard(tx, tenantId, token, actor));
}

/** Every column of the token's row, as text. */
async function rowOf(tenantId: string, token: string): Promise<Record<string, string>> {
  const row = await t.db.withTenant(tenantId, (tx) => tx.selectFrom('card_tokens').selectAll().where('token', '=', token).executeTakeFirstOrThrow());
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]));
}

describe(`card tokenization on ${backend}`, () => {
  describe.each([false, true])('keepFirstSix = %s', (keepFirstSix) => {
    it.each(TEST_PANS)('tokenizes %s: same length, last four kept, Luhn-invalid, no other PAN digits stored', async (pan) => {
      const spaced = pan.replace(/(\d{4})(?=\d)/g, '$1 ');
      const result = await tokenize(tenantA, spaced, { keepFirstSix });
      const { token } = result;
      expect(token).toMatch(/^[0-9]+$/);
      expect(token).toHaveLength(pan.length);
      expect(token.slice(-4)).toBe(pan.slice(-4));
      expect(result.last4).toBe(pan.slice(-4));
      expect(luhnValid(token)).toBe(false);
      expect(token).not.toBe(pan);
      if (keepFirstSix) {
        expect(token.slice(0, 6)).toBe(pan.slice(0, 6));
        expect(result.first6).toBe(pan.slice(0, 6));
      } else {
        expect(result.first6).toBeNull();
      }

      const row = await rowOf(tenantA, token);
      expect(row.last4).toBe(pan.slice(-4));
      expect(row.first6).toBe(keepFirstSix ? pan.slice(0, 6) : 'null');
      // No column holds the PAN, nor the PAN with either end cut off; the middle digits (and the
      // first six when not kept) appear in no column other than those that show digits (checked
      // from 6 digits up: shorter runs occur by chance in uuids).
      const hidden = keepFirstSix ? pan.slice(6, -4) : pan.slice(0, -4);
      for (const [column, value] of Object.entries(row)) {
        // The token itself is checked by its structure below: with repeated digits (4222222222222)
        // a random middle can make it contain a run of the PAN by chance, which reveals nothing.
        if (column === 'token') continue;
        for (const part of [pan, pan.slice(0, -4), pan.slice(6)]) expect(value, column).not.toContain(part);
        if (!['last4', 'first6'].includes(column)) {
          if (hidden.length >= 6) expect(value, column).not.toContain(hidden);
          if (!keepFirstSix) expect(value, column).not.toContain(pan.slice(0, 6));
        }
      }
      // (With the first six kept, the token's middle cannot equal the PAN's: it would be the PAN.)
      expect(token.slice(keepFirstSix ? 6 : 0, -4)).not.toBe(hidden);
      await expect(detokenize(tenantA, token)).resolves.toBe(pan);
    });
  });

  it('gives every tokenization its own token, even of one PAN, and retries a taken one (13 digits + first six: 900 tokens)', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 40; i++) tokens.add((await tokenize(tenantA, '5555555555554444')).token);
    expect(tokens.size).toBe(40);
    // 40 draws out of 900 collide with probability ~60%: the unique constraint and the retry
    // loop, not luck, keep them apart.
    const short = new Set<string>();
    for (let i = 0; i < 40; i++) short.add((await tokenize(tenantA, '4222222222222', { keepFirstSix: true })).token);
    expect(short.size).toBe(40);
    for (const token of short) await expect(detokenize(tenantA, token)).resolves.toBe('4222222222222');
  });

  it('answers vault.token_space_exhausted (500), not vault.key_in_use, when every token for the card\'s kept digits is taken', async () => {
    // A 13-digit PAN keeping its first six leaves 3 random digits: 1,000 combinations, of which the
    // 900 that fail Luhn are its possible tokens. Take all 900 in a tenant of its own; then every
    // draw collides, so the outcome does not depend on chance.
    const tenant = await createTenant(t.db, 'tokens-full');
    const pan = '4222222222222';
    const taken: string[] = [];
    for (let middle = 0; middle < 1000; middle++) {
      const candidate = `${pan.slice(0, 6)}${String(middle).padStart(3, '0')}${pan.slice(-4)}`;
      if (!luhnValid(candidate)) taken.push(candidate);
    }
    expect(taken).toHaveLength(900);
    const now = new Date(TEST_NOW);
    await t.db.withTenant(tenant, (tx) =>
      tx
        .insertInto('card_tokens')
        .values(taken.map((token) => ({ id: newId(), tenant_id: tenant, token, pan_ciphertext: 'placeholder', last4: pan.slice(-4), first6: pan.slice(0, 6), owner_table: 'card_tokens', owner_id: newId(), created_at: now })))
        .execute(),
    );
    const countRows = () => t.db.withTenant(tenant, async (tx) => (await tx.selectFrom('card_tokens').select('id').execute()).length);

    const error = await rejectionOf(tokenize(tenant, pan, { keepFirstSix: true }));
    expect(error).toMatchObject({ code: 'vault.token_space_exhausted', status: 500 });
    const text = JSON.stringify(error) + String((error as Error).message) + String((error as { detail?: unknown }).detail);
    expect(text).not.toContain(pan);
    expect(text).not.toContain(pan.slice(0, 6));
    expect(await countRows()).toBe(900);

    // The remedy the error names works: without the first six there are 10^8 * 9 tokens.
    const { token } = await tokenize(tenant, pan);
    await expect(detokenize(tenant, token)).resolves.toBe(pan);
    // Tokens are unique per tenant: another tenant's space for the same digits is untouched.
    await expect(tokenize(tenantB, pan, { keepFirstSix: true })).resolves.toMatchObject({ first6: pan.slice(0, 6), last4: pan.slice(-4) });
  });

  it('stores no PAN anywhere in the database', async () => {
    const dump = await dumpAllRows(t.db);
    for (const pan of TEST_PANS) {
      expect(dump.includes(pan), pan).toBe(false);
      expect(dump.includes(pan.slice(0, -4)), pan).toBe(false);
    }
  });

  it('refuses card numbers that are not card numbers, without echoing them', async () => {
    for (const [input, reason] of [
      ['4111111111111112', 'checksum'],
      ['411111111111', 'length'],
      ['4111.1111.1111.1111', 'format'],
    ] as const) {
      const error = await rejectionOf(tokenize(tenantA, input));
      expect(error).toMatchObject({ code: 'vault.invalid_card_number', status: 400, details: { reason } });
      expect(JSON.stringify(error)).not.toContain(input.slice(0, 8));
    }
  });

  describe('detokenization', () => {
    let token: string;
    beforeAll(async () => {
      ({ token } = await tokenize(tenantA, '4012 8888 8888 1881'));
    });

    it('returns the PAN to the payment role', async () => {
      await expect(detokenize(tenantA, token)).resolves.toBe('4012888888881881');
    });

    it('records every detokenization in the ledger, in the same transaction: who, which token row, why, last four digits only', async () => {
      const queued = (tenantId: string) => t.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_queue').select(['body']).orderBy('id').execute());
      const before = (await queued(tenantA)).length;
      await detokenize(tenantA, token, { ...payment, requestId: 'req-42' });
      const after = await queued(tenantA);
      expect(after).toHaveLength(before + 1);
      const row = await t.db.withTenant(tenantA, (tx) => tx.selectFrom('card_tokens').select(['id', 'owner_id']).where('token', '=', token).executeTakeFirstOrThrow());
      expect(after.at(-1)?.body).toEqual({
        actor: { type: 'service', id: 'gateway-adapter' },
        action: 'card.detokenize',
        targets: { cardToken: row.id, owner: row.owner_id },
        purpose: 'recurring_charge',
        requestId: 'req-42',
        details: { last4: '1881', role: 'payment' },
      });
      expect(JSON.stringify(after)).not.toContain('4012888888881881');
      expect(JSON.stringify(after)).not.toContain(token);

      // A detokenization whose transaction rolls back leaves no entry, and returned no PAN that counted;
      // a refused one records nothing (the caller records refusals).
      await rejectionOf(
        t.db.withTenant(tenantA, async (tx) => {
          await vault.detokenizeCard(tx, tenantA, token, payment);
          throw new Error('payment failed');
        }),
      );
      await rejectionOf(detokenize(tenantA, token, { role: 'agent', id: 'someone', purpose: 'refund' }));
      expect(await queued(tenantA)).toHaveLength(before + 1);
      // A purpose that is not a purpose code fails the detokenization itself.
      await expect(detokenize(tenantA, token, { ...payment, purpose: 'Because I want to' })).rejects.toMatchObject({ code: 'ledger.invalid_entry' });
    });

    it.each(['agent', 'supervisor', 'admin', 'auditor', 'Payment', 'payment ', ''])('answers 403 tokens.forbidden to role %j, for any token', async (role) => {
      const actor = { role, id: 'someone', purpose: 'refund' };
      await expect(detokenize(tenantA, token, actor)).rejects.toMatchObject({ code: 'tokens.forbidden', status: 403 });
      // The same answer for a token that does not exist: no oracle for who may not detokenize.
      await expect(detokenize(tenantA, '4012880000001881', actor)).rejects.toMatchObject({ code: 'tokens.forbidden' });
    });

    it('answers 404 tokens.not_found for an unknown or malformed token', async () => {
      for (const unknown of ['4012880000001881', token.replace(/^\d/, (d) => String((Number(d) + 1) % 10)), '123', 'abc', '', `${token}0`]) {
        await expect(detokenize(tenantA, unknown)).rejects.toMatchObject({ code: 'tokens.not_found', status: 404 });
      }
    });

    it("answers 404 tokens.not_found, exactly as for an unknown token, to another tenant's token", async () => {
      const fromB = await rejectionOf(detokenize(tenantB, token));
      const unknown = await rejectionOf(detokenize(tenantB, '4012880000001881'));
      expect(fromB).toMatchObject({ code: 'tokens.not_found', status: 404 });
      expect(JSON.stringify(fromB)).toBe(JSON.stringify(unknown));
      expect((fromB as Error).message).toBe((unknown as Error).message);
    });

    it('fails with vault.decrypt_failed when a PAN ciphertext is copied onto another token row', async () => {
      const other = await tokenize(tenantA, '5105105105105100');
      await t.db.withRawSession(async (s) => {
        const [row] = await s.query<{ pan_ciphertext: string }>('SELECT pan_ciphertext FROM card_tokens WHERE token = $1', [token]);
        await s.query('UPDATE card_tokens SET pan_ciphertext = $1 WHERE token = $2', [row?.pan_ciphertext, other.token]);
      });
      // Same tenant, both readable by the payment role; but the copy is bound to its own row id.
      await expect(detokenize(tenantA, other.token)).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
      await expect(detokenize(tenantA, token)).resolves.toBe('4012888888881881');
    });
  });

  describe('card security codes', () => {
    /** A write path as a domain service would have it: refuse CVVs first, then tokenize. */
    async function storePayment(tenantId: string, record: { card: { number: string } & Record<string, unknown> } & Record<string, unknown>) {
      return t.db.withTenant(tenantId, async (tx) => {
        assertNoCardVerificationCode(record);
        return vault.tokenizeCard(tx, tenantId, record.card.number);
      });
    }

    async function counts(tenantId: string) {
      return t.db.withTenant(tenantId, async (tx) => ({
        tokens: (await tx.selectFrom('card_tokens').select('id').execute()).length,
        dataKeys: (await tx.selectFrom('data_keys').select('id').execute()).length,
      }));
    }

    it.each([
      { card: { number: '4111111111111111', cvv: '123' } },
      { card: { number: '4111111111111111', 'Security-Code': '123' } },
      { card: { number: '4111111111111111' }, extra: [{ 'código de seguridad': '123' }] },
      { card: { number: '4111111111111111', cvc2: null } },
      { card: { number: '4111111111111111', details: { cardVerificationValue: '' } } },
    ])('refuses a record with a card security code, stores nothing, and never echoes it (%#)', async (record) => {
      const before = await counts(tenantA);
      const error = await rejectionOf(storePayment(tenantA, record));
      expect(error).toMatchObject({ code: 'vault.cvv_not_storable', status: 400 });
      const text = JSON.stringify(error) + String((error as Error).message) + String((error as Error).stack);
      expect(text).not.toContain('123');
      expect(text).not.toContain('4111111111111111');
      expect(await counts(tenantA)).toEqual(before);
    });

    it('stores the same record without the code', async () => {
      const { token } = await storePayment(tenantA, { card: { number: '4111111111111111', expiry: '12/30' }, verificationCode: 'otp-not-cvv' });
      await expect(detokenize(tenantA, token)).resolves.toBe('4111111111111111');
    });

    it('refuses to encrypt a field named as a card security code (vault.cvv_not_storable)', async () => {
      const owner = { table: 'customers', id: newId() };
      for (const field of ['cvv', 'card_cvv', 'cvc2', 'security_code', 'card_security_code', 'cid']) {
        const error = await rejectionOf(t.db.withTenant(tenantA, (tx) => vault.encryptField(tx, tenantA, owner, { table: 'customers', recordId: owner.id, field }, '123')));
        expect(error, field).toMatchObject({ code: 'vault.cvv_not_storable' });
      }
    });
  });
});
