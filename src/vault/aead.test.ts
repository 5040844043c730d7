/**
 * AES-256-GCM through `seal` and `open`, driven by NIST CAVP known-answer vectors
 * (test/vectors/aes-256-gcm.nist-cavp-*.json, samples of gcmEncryptExtIV256.rsp and
 * gcmDecrypt256.rsp with 96-bit IVs and 128-bit tags), then the properties the vault relies on:
 * fresh nonces, any tampered byte refused with one typed error, malformed lengths refused before
 * any crypto runs.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../platform/errors.js';
import { NONCE_BYTES, TAG_BYTES, open, seal, type Sealed } from './aead.js';
import { VaultErrors } from './errors.js';
import { SecretKey } from './secret-key.js';

interface EncryptCase {
  section: string;
  count: number;
  key: string;
  iv: string;
  pt: string;
  aad: string;
  ct: string;
  tag: string;
}

interface DecryptCase {
  section: string;
  count: number;
  key: string;
  iv: string;
  ct: string;
  aad: string;
  tag: string;
  result: 'PASS' | 'FAIL';
  pt?: string;
}

interface VectorFile<T> {
  source: string;
  cases: T[];
}

function loadVectors<T>(name: string): VectorFile<T> {
  return JSON.parse(readFileSync(new URL(`../../test/vectors/${name}`, import.meta.url), 'utf8')) as VectorFile<T>;
}

const encryptVectors = loadVectors<EncryptCase>('aes-256-gcm.nist-cavp-encrypt.json');
const decryptVectors = loadVectors<DecryptCase>('aes-256-gcm.nist-cavp-decrypt.json');

const hex = (value: string) => Buffer.from(value, 'hex');
/** A fresh key each time: SecretKey takes ownership of (and zeroes) the buffer it is given. */
const keyFromHex = (value: string) => new SecretKey(hex(value));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectAppError(fn: () => unknown, code: ErrorCode): AppError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: code.code, message: code.title, status: code.status });
  return error as AppError;
}

/** Section header without the constant parts, for readable test names. */
const label = (c: { section: string; count: number }) => `${c.section.replace('[Keylen = 256] [IVlen = 96] ', '').replace(' [Taglen = 128]', '')} Count = ${c.count}`;

describe('NIST CAVP vector files', () => {
  it('name their source and hold the promised samples (96-bit IV, 128-bit tag, several lengths, with and without AAD)', () => {
    expect(encryptVectors.source).toMatch(/NIST CAVP.*gcmEncryptExtIV256\.rsp/);
    expect(decryptVectors.source).toMatch(/NIST CAVP.*gcmDecrypt256\.rsp/);
    expect(encryptVectors.cases.length).toBeGreaterThanOrEqual(12);
    expect(decryptVectors.cases.length).toBeGreaterThanOrEqual(8);
    for (const c of [...encryptVectors.cases, ...decryptVectors.cases]) {
      expect(hex(c.key)).toHaveLength(32);
      expect(hex(c.iv)).toHaveLength(NONCE_BYTES);
      expect(hex(c.tag)).toHaveLength(TAG_BYTES);
      expect(c.section).toMatch(/^\[Keylen = 256\] \[IVlen = 96\] \[PTlen = \d+\] \[AADlen = \d+\] \[Taglen = 128\]$/);
    }
    const ptLengths = new Set(encryptVectors.cases.map((c) => c.pt.length / 2));
    expect([...ptLengths].sort((a, b) => a - b)).toEqual([0, 13, 16, 32, 51]);
    expect(encryptVectors.cases.some((c) => c.aad === '' && c.pt !== '')).toBe(true);
    expect(encryptVectors.cases.some((c) => c.aad !== '' && c.pt === '')).toBe(true);
    expect(encryptVectors.cases.some((c) => c.aad !== '' && c.pt !== '')).toBe(true);
    expect(decryptVectors.cases.filter((c) => c.result === 'FAIL').length).toBeGreaterThanOrEqual(4);
    expect(decryptVectors.cases.filter((c) => c.result === 'PASS').length).toBeGreaterThanOrEqual(4);
  });
});

describe('seal: NIST CAVP gcmEncryptExtIV256.rsp', () => {
  it.each(encryptVectors.cases.map((c) => [label(c), c] as const))('%s gives the published CT and Tag', (_name, c) => {
    const sealed = seal(keyFromHex(c.key), hex(c.pt), hex(c.aad), hex(c.iv));
    expect(sealed.ciphertext.toString('hex')).toBe(c.ct);
    expect(sealed.tag.toString('hex')).toBe(c.tag);
    expect(sealed.nonce.toString('hex')).toBe(c.iv);
  });

  it.each(encryptVectors.cases.map((c) => [label(c), c] as const))('%s opens back to the published PT', (_name, c) => {
    const plaintext = open(keyFromHex(c.key), { nonce: hex(c.iv), ciphertext: hex(c.ct), tag: hex(c.tag) }, hex(c.aad));
    expect(plaintext.toString('hex')).toBe(c.pt);
  });
});

describe('open: NIST CAVP gcmDecrypt256.rsp', () => {
  const pass = decryptVectors.cases.filter((c) => c.result === 'PASS');
  const fail = decryptVectors.cases.filter((c) => c.result === 'FAIL');

  it.each(pass.map((c) => [label(c), c] as const))('%s decrypts to the published PT', (_name, c) => {
    const plaintext = open(keyFromHex(c.key), { nonce: hex(c.iv), ciphertext: hex(c.ct), tag: hex(c.tag) }, hex(c.aad));
    expect(plaintext.toString('hex')).toBe(c.pt);
  });

  it.each(fail.map((c) => [label(c), c] as const))('%s (FAIL) is refused with vault.decrypt_failed', (_name, c) => {
    expectAppError(() => open(keyFromHex(c.key), { nonce: hex(c.iv), ciphertext: hex(c.ct), tag: hex(c.tag) }, hex(c.aad)), VaultErrors.decrypt_failed);
  });
});

describe('random nonces', () => {
  it('are 96 bits and never repeat across 10,000 seals under one key', () => {
    const key = new SecretKey(randomBytes(32));
    const plaintext = Buffer.from('the same plaintext every time');
    const nonces = new Set<string>();
    const ciphertexts = new Set<string>();
    const lengths = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const sealed = seal(key, plaintext, Buffer.alloc(0));
      lengths.add(`${sealed.nonce.length}/${sealed.tag.length}`);
      nonces.add(sealed.nonce.toString('hex'));
      ciphertexts.add(sealed.ciphertext.toString('hex'));
    }
    expect([...lengths]).toEqual([`${NONCE_BYTES}/${TAG_BYTES}`]);
    expect(nonces.size).toBe(10_000);
    expect(ciphertexts.size).toBe(10_000);
  });
});

describe('tampering', () => {
  const keyBytes = randomBytes(32);
  const key = () => new SecretKey(Buffer.from(keyBytes));
  const aad = Buffer.from('["custodia.field.v1","d1","tenant-1","customers","row-1","email"]');
  const sealed = seal(key(), Buffer.from('juan.perez@example.com'), aad);

  const flip = (buffer: Buffer, index: number) => {
    const copy = Buffer.from(buffer);
    copy[index] = (copy[index] as number) ^ 0x01;
    return copy;
  };
  const indexes = (buffer: Buffer) => [...buffer.keys()];

  it('the untouched value opens (control)', () => {
    expect(open(key(), sealed, aad).toString()).toBe('juan.perez@example.com');
  });

  it.each(indexes(sealed.nonce))('flipping nonce byte %i fails with vault.decrypt_failed', (i) => {
    expectAppError(() => open(key(), { ...sealed, nonce: flip(sealed.nonce, i) }, aad), VaultErrors.decrypt_failed);
  });

  it.each(indexes(sealed.ciphertext))('flipping ciphertext byte %i fails with vault.decrypt_failed', (i) => {
    expectAppError(() => open(key(), { ...sealed, ciphertext: flip(sealed.ciphertext, i) }, aad), VaultErrors.decrypt_failed);
  });

  it.each(indexes(sealed.tag))('flipping tag byte %i fails with vault.decrypt_failed', (i) => {
    expectAppError(() => open(key(), { ...sealed, tag: flip(sealed.tag, i) }, aad), VaultErrors.decrypt_failed);
  });

  it.each(indexes(aad))('flipping associated-data byte %i fails with vault.decrypt_failed', (i) => {
    expectAppError(() => open(key(), sealed, flip(aad, i)), VaultErrors.decrypt_failed);
  });

  it('truncated, extended or emptied ciphertext and associated data fail with vault.decrypt_failed', () => {
    const variants: [Sealed, Buffer][] = [
      [{ ...sealed, ciphertext: sealed.ciphertext.subarray(0, -1) }, aad],
      [{ ...sealed, ciphertext: Buffer.concat([sealed.ciphertext, Buffer.from([0])]) }, aad],
      [{ ...sealed, ciphertext: Buffer.alloc(0) }, aad],
      [sealed, aad.subarray(0, -1)],
      [sealed, Buffer.concat([aad, Buffer.from(' ')])],
      [sealed, Buffer.alloc(0)],
    ];
    for (const [variant, variantAad] of variants) expectAppError(() => open(key(), variant, variantAad), VaultErrors.decrypt_failed);
  });

  it('another key fails with vault.decrypt_failed', () => {
    expectAppError(() => open(new SecretKey(randomBytes(32)), sealed, aad), VaultErrors.decrypt_failed);
  });

  it('the error carries no plaintext, key or ciphertext', () => {
    const error = expectAppError(() => open(key(), { ...sealed, tag: flip(sealed.tag, 0) }, aad), VaultErrors.decrypt_failed);
    const text = `${error.message} ${error.detail} ${JSON.stringify(error)} ${String(error.cause)}`;
    for (const secret of ['juan.perez', keyBytes.toString('hex'), keyBytes.toString('base64'), sealed.ciphertext.toString('hex')]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('lengths', () => {
  const key = () => new SecretKey(randomBytes(32));
  const sealed = seal(key(), Buffer.from('x'), Buffer.alloc(0));

  it.each([0, 8, 11, 13, 16])('a %i-byte nonce is refused by open with vault.malformed_ciphertext', (length) => {
    expectAppError(() => open(key(), { ...sealed, nonce: Buffer.alloc(length) }, Buffer.alloc(0)), VaultErrors.malformed_ciphertext);
  });

  it.each([0, 4, 12, 15, 17, 32])('a %i-byte tag is refused by open with vault.malformed_ciphertext (no truncated tags)', (length) => {
    expectAppError(() => open(key(), { ...sealed, tag: Buffer.alloc(length) }, Buffer.alloc(0)), VaultErrors.malformed_ciphertext);
  });

  it('a truncated real tag is refused as malformed, not tried as a shorter GCM tag', () => {
    expectAppError(() => open(key(), { ...sealed, tag: sealed.tag.subarray(0, 12) }, Buffer.alloc(0)), VaultErrors.malformed_ciphertext);
  });

  it.each([0, 11, 13, 16])('seal refuses a %i-byte nonce as a caller mistake (TypeError)', (length) => {
    expect(() => seal(key(), Buffer.from('x'), Buffer.alloc(0), Buffer.alloc(length))).toThrow(TypeError);
  });
});

describe('destroyed keys', () => {
  it('seal and open refuse a destroyed key with a TypeError (a caller bug), not vault.decrypt_failed', () => {
    const key = new SecretKey(randomBytes(32));
    const sealed = seal(key, Buffer.from('x'), Buffer.alloc(0));
    key.destroy();
    expect(() => seal(key, Buffer.from('x'), Buffer.alloc(0))).toThrow(TypeError);
    const error = thrown(() => open(key, sealed, Buffer.alloc(0)));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(AppError);
  });
});
