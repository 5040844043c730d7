/**
 * Attack: read plaintexts, card numbers or key material out of the logs or out of error objects.
 * Whoever gets the log archive (an operator, a log shipper, a support engineer handed "the error")
 * sees every line the process wrote and every error it serialised; if a root key, a tenant key, a
 * data key, a plaintext or a PAN ever reaches one of them, the encryption is moot.
 *
 * The test drives the database-backed vault (field encryption, blind indexes, card tokens,
 * shredding, rotation) through its normal and failing paths with the production logger capturing
 * at trace level (also handed to `createVault`), logs every thrown error as the application does
 * (`logger.error({ err })`), logs the vault objects themselves under names the redaction list does
 * not know, and then scans the log output, `JSON.stringify` and `util.inspect` of every error, and
 * the serialisations of Vault, Keyring, RecordCipher and the data keys for every spelling of every
 * key and for every plaintext.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { Tx } from '../../src/db/index.js';
import { FixedClock } from '../../src/platform/clock.js';
import { newId } from '../../src/platform/ids.js';
import { createLogger } from '../../src/platform/logger.js';
import { assertNoCardVerificationCode } from '../../src/vault/card-token.js';
import { createVault, type RecordCipher, type Vault } from '../../src/vault/index.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTenant, newRootKey, newTestVault, TEST_NOW } from '../helpers/vault.js';

const output: string[] = [];
const sink = new Writable({
  write(chunk: Buffer | string, _encoding, callback) {
    output.push(chunk.toString());
    callback();
  },
});
const logger = createLogger('trace', sink);

/** Every spelling of secret bytes that a careless line could contain. */
const secrets = new Set<string>();
function remember(bytes: Buffer): void {
  const b64 = bytes.toString('base64');
  for (const s of [bytes.toString('hex'), bytes.toString('hex').toUpperCase(), b64, b64.replace(/=+$/, ''), bytes.toString('base64url')]) secrets.add(s);
  // A Buffer serialises to JSON as {"type":"Buffer","data":[...]}, and inspects as <Buffer 0a 1b ...>.
  secrets.add(JSON.stringify([...bytes.subarray(0, 6)]).slice(1, -1));
  secrets.add([...bytes.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
}

const PLAINTEXTS = {
  name: 'Juan Pérez Gómez',
  email: 'juan.perez@example.com',
  phone: '+57 300 123 4567',
  document: 'CC 1.020.304.050',
  address: 'Calle 10 # 43-12, Medellín',
  note: 'prefiere que lo llamen después de las 6',
};
const PANS = ['4111111111111111', '5555555555554444', '378282246310005'];
const CVV = '7391';

/** Plaintext spellings to look for (the normalised forms too: they are what the index hashes). */
const needles = [
  ...Object.values(PLAINTEXTS),
  '+573001234567',
  '1020304050',
  ...PANS,
  ...PANS.map((p) => p.slice(0, -4)),
  '4111 1111 1111 1111',
  `"${CVV}"`,
  'juan perez@example.com',
  'juan.perez@example',
];

const rootKey = newRootKey();
remember(rootKey.bytes);
secrets.add(rootKey.env);
let t: TestDatabase;
let vault: Vault;
let tenantA: string;
let tenantB: string;
const thrown: unknown[] = [];

/** Runs `fn`; whatever it throws is kept and logged the way the application logs errors. */
async function attempt(what: string, fn: () => unknown): Promise<unknown> {
  try {
    const result = await fn();
    logger.debug({ what }, `vault operation succeeded: ${what}`);
    return result;
  } catch (err) {
    thrown.push(err);
    logger.error({ err, what }, `vault operation failed: ${what}`);
    return undefined;
  }
}

const at = (recordId: string, field: string, table = 'customers') => ({ table, recordId, field });

beforeAll(async () => {
  t = await openTestDatabase();
  vault = newTestVault({ rootKey, logger, clock: new FixedClock(TEST_NOW) });
  tenantA = await createTenant(t.db, 'leaks-a');
  tenantB = await createTenant(t.db, 'leaks-b');
});

afterAll(async () => {
  await t?.destroy();
});

describe(`no plaintext or key material in logs, errors or serialisations (${backend})`, () => {
  const owner = { table: 'customers', id: newId() };
  const ciphertexts: Record<string, string> = {};
  const tokens: string[] = [];

  it('runs the vault through its normal and failing paths, logging everything', async () => {
    const { db } = t;
    // Normal paths; results that are not secret are logged, as a careless developer might.
    await db.withTenant(tenantA, async (tx) => {
      await vault.withRecord(tx, tenantA, owner, (cipher) => {
        for (const [field, value] of Object.entries(PLAINTEXTS)) ciphertexts[field] = cipher.encrypt(at(owner.id, field), value);
        logger.trace({ cipher, ciphertexts }, 'encrypted a record');
      });
      await vault.setBlindIndex(tx, tenantA, owner, 'email', 'email', PLAINTEXTS.email);
      await vault.setBlindIndex(tx, tenantA, owner, 'phone', 'phone', PLAINTEXTS.phone);
      await vault.setBlindIndex(tx, tenantA, owner, 'document', 'document', PLAINTEXTS.document);
      for (const pan of PANS) tokens.push((await vault.tokenizeCard(tx, tenantA, pan, { owner, keepFirstSix: true })).token);
      // (As hex: pino's redaction throws on a Buffer at the top level of a log object.)
      logger.debug({ tokens, digest: (await vault.blindIndex(tx, tenantA, 'email', PLAINTEXTS.email)).toString('hex') }, 'indexed and tokenized');
    });

    // The key material of this run, read through the public API so the scan knows what to look for.
    await db.withTenant(tenantA, async (tx) => {
      const kek = await vault.keyring.currentKek(tx, tenantA);
      const indexKey = await vault.keyring.indexKey(tx, tenantA);
      const dataKey = await vault.keyring.dataKeyFor(tx, tenantA, owner);
      remember(Buffer.from(kek.key.bytes()));
      remember(Buffer.from(indexKey.bytes()));
      remember(Buffer.from(dataKey.key.bytes()));
      // Key-bearing objects logged under names the redaction list does not know.
      logger.info({ component: vault, ring: vault.keyring, current: kek, index: indexKey, record: dataKey }, 'vault internals');
    });

    await db.withTenant(tenantA, async (tx) => {
      for (const [field, ciphertext] of Object.entries(ciphertexts)) expect(await vault.decryptField(tx, tenantA, at(owner.id, field), ciphertext)).toBe(PLAINTEXTS[field as keyof typeof PLAINTEXTS]);
      expect(await vault.findByBlindIndex(tx, tenantA, 'phone', '+573001234567', 'customers')).toEqual([owner.id]);
      expect(await vault.detokenizeCard(tx, tenantA, tokens[0] as string, { role: 'payment', id: 'p', purpose: 'refund' })).toBe(PANS[0]);
    });

    // Failing paths.
    const email = ciphertexts.email as string;
    const tx = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>) => db.withTenant(tenantId, fn);
    await attempt('moved to another record', () => tx(tenantA, (x) => vault.decryptField(x, tenantA, at(newId(), 'email'), email)));
    await attempt('moved to another field', () => tx(tenantA, (x) => vault.decryptField(x, tenantA, at(owner.id, 'phone'), email)));
    await attempt('moved to another table', () => tx(tenantA, (x) => vault.decryptField(x, tenantA, at(owner.id, 'email', 'agents'), email)));
    await attempt('moved to another tenant', () => tx(tenantB, (x) => vault.decryptField(x, tenantB, at(owner.id, 'email'), email)));
    const parts = email.split('.');
    // Always a different first character: a fixed 'A' left one run in 64 untampered.
    await attempt('tampered', () => tx(tenantA, (x) => vault.decryptField(x, tenantA, at(owner.id, 'email'), [...parts.slice(0, 3), `${parts[3]?.startsWith('A') ? 'B' : 'A'}${parts[3]?.slice(1)}`, parts[4]].join('.'))));
    await attempt('truncated', () => tx(tenantA, (x) => vault.decryptField(x, tenantA, at(owner.id, 'email'), email.slice(0, -3))));
    await attempt('empty', () => tx(tenantA, (x) => vault.decryptField(x, tenantA, at(owner.id, 'email'), '')));
    await attempt('plaintext passed as ciphertext', () => tx(tenantA, (x) => vault.decryptField(x, tenantA, at(owner.id, 'email'), PLAINTEXTS.email)));
    await attempt('bad location', () => tx(tenantA, (x) => vault.encryptField(x, tenantA, owner, at('not-a-uuid', 'Email'), PLAINTEXTS.email)));
    await attempt('invalid email', () => tx(tenantA, (x) => vault.findByBlindIndex(x, tenantA, 'email', 'juan perez@example.com', 'customers')));
    await attempt('phone in text', () => tx(tenantA, (x) => vault.findByBlindIndex(x, tenantA, 'phone', `llamar al ${PLAINTEXTS.phone}`, 'customers')));
    await attempt('invalid document', () => tx(tenantA, (x) => vault.setBlindIndex(x, tenantA, owner, 'document', 'document', `${PLAINTEXTS.document}#`)));
    await attempt('PAN failing Luhn', () => tx(tenantA, (x) => vault.tokenizeCard(x, tenantA, '4111111111111112')));
    await attempt('PAN with letters', () => tx(tenantA, (x) => vault.tokenizeCard(x, tenantA, `${PANS[0]}x`)));
    await attempt('CVV in a record', () => assertNoCardVerificationCode({ card: { number: PANS[0], cvv: CVV } }));
    await attempt('CVV as a field', () => tx(tenantA, (x) => vault.encryptField(x, tenantA, owner, at(owner.id, 'cvv'), CVV)));
    await attempt('detokenize as an agent', () => tx(tenantA, (x) => vault.detokenizeCard(x, tenantA, tokens[0] as string, { role: 'agent', id: 'a', purpose: 'refund' })));
    await attempt('detokenize in another tenant', () => tx(tenantB, (x) => vault.detokenizeCard(x, tenantB, tokens[0] as string, { role: 'payment', id: 'p', purpose: 'refund' })));
    await attempt('owner table the database refuses', () => tx(tenantA, (x) => vault.encryptField(x, tenantA, { table: 'Customers!', id: newId() }, at(owner.id, 'email'), PLAINTEXTS.email)));
    await attempt('retire the current KEK', () => tx(tenantA, async (x) => vault.keyring.retireKek(x, tenantA, (await vault.keyring.currentKek(x, tenantA)).version)));
    const otherRoot = newRootKey();
    remember(otherRoot.bytes);
    await attempt('another root key', () => tx(tenantA, (x) => newTestVault({ rootKey: otherRoot, logger }).decryptField(x, tenantA, at(owner.id, 'email'), email)));
    const laterRoot = newRootKey(2);
    remember(laterRoot.bytes);
    await attempt('root key version missing', () => tx(tenantA, (x) => newTestVault({ rootKey: laterRoot, logger }).decryptField(x, tenantA, at(owner.id, 'email'), email)));
    const short = randomBytes(31);
    remember(short);
    await attempt('short root key', () => createVault(loadConfig({ env: { NODE_ENV: 'test', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: `1:${short.toString('base64')}` } }), { clock: new FixedClock(TEST_NOW), logger }));
    await attempt('duplicate root key version', () => createVault(loadConfig({ env: { NODE_ENV: 'test', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: `${rootKey.env},${rootKey.env}` } }), { clock: new FixedClock(TEST_NOW), logger }));
    await attempt('closed cipher', () => tx(tenantA, async (x) => {
      let kept: RecordCipher | undefined;
      await vault.withRecord(x, tenantA, owner, (cipher) => {
        kept = cipher;
      });
      return kept?.decrypt(at(owner.id, 'email'), email);
    }));
    await t.db.withRawSession(async (s) => {
      const [row] = await s.query<{ wrapped_key: string }>('SELECT wrapped_key FROM data_keys WHERE owner_id = $1', [owner.id]);
      const wrapped = (row?.wrapped_key ?? '').split('.');
      wrapped[4] = `${wrapped[4]?.startsWith('A') ? 'B' : 'A'}${wrapped[4]?.slice(1)}`;
      await s.query('UPDATE data_keys SET wrapped_key = $1 WHERE owner_id = $2', [wrapped.join('.'), owner.id]);
    });
    await attempt('tampered wrapped data key', () => tx(tenantA, (x) => newTestVault({ rootKey, logger }).decryptField(x, tenantA, at(owner.id, 'email'), email)));
    await attempt('shredded', () => tx(tenantA, async (x) => {
      await vault.shred(x, tenantA, owner);
      return vault.decryptField(x, tenantA, at(owner.id, 'name'), ciphertexts.name as string);
    }));

    expect(thrown.length).toBe(27);
    const codes = new Set(thrown.map((e) => (e as { code?: string }).code));
    for (const code of ['vault.decrypt_failed', 'vault.malformed_ciphertext', 'vault.key_shredded', 'vault.invalid_value', 'vault.invalid_card_number', 'vault.cvv_not_storable', 'tokens.forbidden', 'tokens.not_found', 'vault.key_in_use', 'vault.unknown_key_version', 'vault.invalid_key_material']) {
      expect(codes.has(code), code).toBe(true);
    }
  });

  it('wrote log lines (the scan below is not vacuous)', () => {
    const text = output.join('');
    expect(text).toContain('vault.decrypt_failed');
    expect(text).toContain('vault internals');
    expect(text).toContain(ciphertexts.name); // ('email' itself is a redacted key)
    expect(secrets.size).toBeGreaterThan(40);
  });

  it('has no key material and no plaintext in the log output', () => {
    const text = output.join('');
    for (const secret of secrets) expect(text.includes(secret), `secret ${secret.slice(0, 4)}…`).toBe(false);
    for (const needle of needles) expect(text.includes(needle), needle).toBe(false);
  });

  it('has no key material and no plaintext in JSON.stringify or util.inspect of any thrown error', () => {
    for (const error of thrown) {
      const texts = [JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }), String(error), (error as Error).stack ?? ''];
      for (const text of texts) {
        for (const secret of secrets) expect(text.includes(secret), `${(error as Error).message}: secret ${secret.slice(0, 4)}…`).toBe(false);
        for (const needle of needles) expect(text.includes(needle), `${(error as Error).message}: ${needle}`).toBe(false);
      }
    }
  });

  it('shows no key bytes in JSON.stringify or util.inspect of Vault, Keyring, RecordCipher and data keys', async () => {
    const fresh = { table: 'customers', id: newId() };
    await t.db.withTenant(tenantA, async (tx) => {
      const dataKey = await vault.keyring.dataKeyFor(tx, tenantA, fresh);
      const kek = await vault.keyring.currentKek(tx, tenantA);
      remember(Buffer.from(dataKey.key.bytes()));
      await vault.withRecord(tx, tenantA, fresh, (cipher) => {
        const objects = { vault, keyring: vault.keyring, cipher, dataKey, kek };
        for (const [name, object] of Object.entries(objects)) {
          const texts = [JSON.stringify(object), inspect(object, { depth: Infinity, showHidden: true, getters: true }), String(object)];
          for (const text of texts) for (const secret of secrets) expect(text.includes(secret), `${name}: secret ${secret.slice(0, 4)}…`).toBe(false);
        }
        expect(JSON.stringify(dataKey)).toContain('[SecretKey redacted]');
        expect(inspect(cipher)).not.toMatch(/<Buffer/);
      });
    });
  });
});
