/**
 * Attack: read key material or personal data out of the logs. An operator, a log shipper or
 * whoever gets a copy of the log archive sees every line the process wrote; if a root key, a data
 * key or a plaintext ever reaches a log line (through an error message, an error's cause, a key
 * object logged by mistake or a provider logged for diagnostics), the encryption is moot.
 *
 * The test drives the vault primitives through their normal and failing paths (seal/open,
 * wrap/unwrap, bad key material, tampered, moved and malformed ciphertexts, destroyed keys), logs
 * every thrown error the way the application does (`logger.error({ err })`) with the production
 * logger, logs the key-bearing objects themselves under names the redaction list does not know,
 * and then scans the captured output for every spelling of every key and every plaintext.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.js';
import { open, seal } from './aead.js';
import { associatedData, formatCiphertext, parseCiphertext } from './ciphertext.js';
import { hkdfSha256, hmacSha256 } from './kdf.js';
import { createEnvKeyProvider } from './key-providers/env-provider.js';
import { createLocalKeyFile, loadLocalKeyProvider } from './key-providers/local-provider.js';
import { SecretKey } from './secret-key.js';

const output: string[] = [];
const sink = new Writable({
  write(chunk: Buffer | string, _encoding, callback) {
    output.push(chunk.toString());
    callback();
  },
});
const logger = createLogger('trace', sink);

/** Every spelling of the secret bytes that a careless line could contain. */
const secrets: string[] = [];
function remember(bytes: Buffer): Buffer {
  const b64 = bytes.toString('base64');
  secrets.push(bytes.toString('hex'), bytes.toString('hex').toUpperCase(), b64, b64.replace(/=+$/, ''), bytes.toString('base64url'));
  // Buffers serialize to JSON as {"type":"Buffer","data":[...]}: the decimal list of the first bytes.
  secrets.push(JSON.stringify([...bytes.subarray(0, 6)]).slice(1, -1));
  return bytes;
}

const plaintexts = ['juan.perez@example.com', '+573001234567', '4111111111111111', 'CC 1.020.304.050', 'Calle 10 # 43-12, Medellín'];

/** Runs `fn`; whatever it throws is logged the way the application logs errors. */
async function logFailure(what: string, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (err) {
    logger.error({ err, what }, `vault operation failed: ${what}`);
    return;
  }
  throw new Error(`${what} was expected to fail`);
}

const dir = mkdtempSync(path.join(tmpdir(), 'custodia-leak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('no key material or plaintext reaches the logs', () => {
  it('through errors, causes and key objects on every primitive path', async () => {
    const rootV1 = remember(randomBytes(32));
    const rootV2 = remember(randomBytes(32));
    const rootV1b64 = rootV1.toString('base64');
    const rootV2b64 = rootV2.toString('base64');
    const shortKey = remember(randomBytes(16));
    const dekBytes = remember(randomBytes(32));
    const otherDek = remember(randomBytes(32));
    for (const p of plaintexts) secrets.push(p, Buffer.from(p).toString('base64'), Buffer.from(p).toString('hex'));

    // Providers: a good one, a rotated one, and bad key material of every kind.
    const provider = createEnvKeyProvider(`2:${rootV2b64}, 1:${rootV1b64}`);
    const oldProvider = createEnvKeyProvider(`1:${rootV1b64}`);
    logger.info({ provider, versions: provider.versions() }, 'key provider ready');
    await logFailure('short key', () => createEnvKeyProvider(`1:${shortKey.toString('base64')}`));
    await logFailure('duplicate version', () => createEnvKeyProvider(`1:${rootV1b64},1:${rootV2b64}`));
    await logFailure('non-canonical key', () => createEnvKeyProvider(`1:${rootV1b64.replace(/=$/, '')}`));
    await logFailure('bad version', () => createEnvKeyProvider(`01:${rootV1b64}`));
    await logFailure('missing colon', () => createEnvKeyProvider(`1${rootV1b64}`));

    // The local provider: a good file, then a readable-by-others one and broken ones holding keys.
    const keyFile = path.join(dir, 'good', 'keys.json');
    createLocalKeyFile(keyFile);
    const fileKeys = (JSON.parse(readFileSync(keyFile, 'utf8')) as { keys: Record<string, string> }).keys;
    remember(Buffer.from(fileKeys['1'] as string, 'base64'));
    const local = loadLocalKeyProvider(keyFile);
    logger.info({ local }, 'local key provider ready');
    const leaky = path.join(dir, 'leaky.json');
    writeFileSync(leaky, JSON.stringify({ format: 'custodia.keys.v1', keys: { '1': rootV1b64 } }), { mode: 0o600 });
    chmodSync(leaky, 0o644);
    await logFailure('world-readable key file', () => loadLocalKeyProvider(leaky));
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, `{"format":"custodia.keys.v1","keys":{"1":"${rootV1b64}"`, { mode: 0o600 });
    await logFailure('invalid JSON key file', () => loadLocalKeyProvider(broken));
    const smuggled = path.join(dir, 'smuggled.json');
    writeFileSync(smuggled, JSON.stringify({ format: 'custodia.keys.v1', keys: { '1': `${rootV1b64},2:${rootV2b64}` } }), { mode: 0o600 });
    await logFailure('smuggled key entry', () => loadLocalKeyProvider(smuggled));

    // Wrap / unwrap, and their failures.
    const context = ['tenant-1', 'kek', '1'];
    const wrapped = await provider.wrap(dekBytes, context);
    logger.info({ wrapped }, 'data key wrapped');
    expect((await provider.unwrap(wrapped, context)).equals(dekBytes)).toBe(true);
    await logFailure('unwrap with another context', () => provider.unwrap(wrapped, ['tenant-2', 'kek', '1']));
    await logFailure('unwrap without the root version', () => oldProvider.unwrap(wrapped, context));
    await logFailure('unwrap of a tampered value', () => provider.unwrap(`${wrapped.slice(0, -2)}${wrapped.endsWith('AA') ? 'BA' : 'AA'}`, context));
    await logFailure('unwrap of garbage', () => provider.unwrap(`v1.r2.${dekBytes.toString('base64url')}`, context));
    await logFailure('local unwrap of a foreign value', () => local.unwrap(wrapped, context));

    // Field encryption and its failures.
    const dek = new SecretKey(Buffer.from(dekBytes));
    const wrongDek = new SecretKey(Buffer.from(otherDek));
    for (const [i, plaintext] of plaintexts.entries()) {
      const location = ['tenant-1', 'customers', `row-${i}`, 'email'];
      const text = formatCiphertext({ keyRef: 'd1', ...seal(dek, Buffer.from(plaintext), associatedData('field', 'd1', location)) });
      logger.info({ ciphertext: text }, 'field sealed');
      const envelope = parseCiphertext(text);
      expect(open(dek, envelope, associatedData('field', 'd1', location)).toString()).toBe(plaintext);
      await logFailure('open with another key', () => open(wrongDek, envelope, associatedData('field', 'd1', location)));
      await logFailure('open moved to another row', () => open(dek, envelope, associatedData('field', 'd1', ['tenant-1', 'customers', 'row-x', 'email'])));
      await logFailure('open of a tampered tag', () => open(dek, { ...envelope, tag: Buffer.alloc(16) }, associatedData('field', 'd1', location)));
      await logFailure('parse of a malformed value', () => parseCiphertext(`${text}.${Buffer.from(plaintext).toString('base64url')}`));
      await logFailure('parse of a non-canonical value', () => parseCiphertext(text.replace(/^v1\./, 'v2.')));
      await logFailure('seal with a bad nonce', () => seal(dek, Buffer.from(plaintext), Buffer.alloc(0), Buffer.alloc(8)));
    }

    // Derived keys are secrets too.
    const indexKey = remember(hkdfSha256(dekBytes, Buffer.alloc(0), Buffer.from('custodia.index'), 32));
    remember(hmacSha256(indexKey, Buffer.from(plaintexts[1] as string)));
    await logFailure('hkdf with a bad length', () => hkdfSha256(dekBytes, Buffer.alloc(0), Buffer.alloc(0), 0));

    // Key objects logged by mistake, under names the redaction list does not cover.
    logger.info({ dek, nested: { deeper: { wrongDek } }, list: [dek] }, 'key objects logged by mistake');
    logger.info(`template with a key: ${dek}`);
    logger.debug({ keyring: { current: dek, previous: [wrongDek] } }, 'keyring state');

    // Destroyed keys: zeroed, and using one is an error that says nothing about the bytes.
    dek.destroy();
    await logFailure('open with a destroyed key', () => open(dek, parseCiphertext(wrapped), associatedData('root-wrap', 'r2', context)));
    await logFailure('bytes of a destroyed key', () => dek.bytes());
    await logFailure('a key of the wrong length', () => new SecretKey(Buffer.from(shortKey)));

    const log = output.join('');
    // The run did log what it should: errors with their codes, and the redaction placeholder.
    for (const expected of ['vault.invalid_key_material', 'vault.decrypt_failed', 'vault.unknown_key_version', 'vault.malformed_ciphertext', '[SecretKey redacted]', 'chmod 600']) {
      expect(log).toContain(expected);
    }
    expect(output.length).toBeGreaterThan(40);
    for (const secret of secrets) expect(log, `a log line contains ${secret.slice(0, 6)}...`).not.toContain(secret);
  });
});
