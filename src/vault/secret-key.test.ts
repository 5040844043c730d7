/**
 * A SecretKey never shows its bytes: not through JSON, string conversion, util.inspect or
 * console-style formatting, nor as an enumerable or own property. Destroying it zeroes the memory
 * it holds and makes it unusable; it holds memory of its own, outside Node's shared buffer pool.
 */
import { randomBytes } from 'node:crypto';
import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretKey } from './secret-key.js';

const REDACTED = '[SecretKey redacted]';

/** A fresh key and every spelling of its bytes (taken before the key takes the buffer over). */
function makeKey(): { key: SecretKey; spellings: string[]; original: Buffer } {
  const bytes = randomBytes(32);
  const original = Buffer.from(bytes);
  const spellings = [bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('base64').replace(/=+$/, '')];
  // Also the decimal byte list that inspect/JSON would print for a Buffer or Uint8Array.
  spellings.push([...bytes.subarray(0, 8)].join(','), [...bytes.subarray(0, 8)].join(', '));
  return { key: new SecretKey(bytes), spellings, original };
}

function expectNoBytes(text: string, spellings: readonly string[]): void {
  for (const spelling of spellings) expect(text).not.toContain(spelling);
}

describe('SecretKey never reveals its bytes', () => {
  it('JSON.stringify gives the placeholder, alone and nested', () => {
    const { key, spellings } = makeKey();
    expect(JSON.stringify(key)).toBe(JSON.stringify(REDACTED));
    const nested = JSON.stringify({ tenant: 't1', dek: key, deeper: { list: [key, { key }] } });
    expect(nested).toContain(REDACTED);
    expectNoBytes(nested, spellings);
  });

  it('String(), template literals and concatenation give the placeholder', () => {
    const { key, spellings } = makeKey();
    expect(String(key)).toBe(REDACTED);
    expect(`${key}`).toBe(REDACTED);
    expect('' + key).toBe(REDACTED);
    expect(key.toString()).toBe(REDACTED);
    expectNoBytes([String(key), `${key}`].join(' '), spellings);
  });

  it('util.inspect gives the placeholder, whatever the options', () => {
    const { key, spellings } = makeKey();
    expect(inspect(key)).toBe(REDACTED);
    for (const options of [{}, { showHidden: true }, { depth: Infinity }, { getters: true }, { showHidden: true, depth: Infinity, getters: true }]) {
      const text = inspect({ dek: key, nested: { inner: [key] } }, options);
      expect(text).toContain(REDACTED);
      expectNoBytes(text, spellings);
    }
  });

  it('console-style formatting (%s %o %O %j %d and plain arguments) gives the placeholder', () => {
    const { key, spellings } = makeKey();
    const lines = [
      format('%s', key),
      format('%o', key),
      format('%O', key),
      format('%j', key),
      format('%o', { dek: key }),
      format('%O', { dek: key }),
      format('%j', { dek: key }),
      format(key),
      format('key:', key, { dek: key }),
    ];
    for (const line of lines) {
      expect(line).toContain(REDACTED);
      expectNoBytes(line, spellings);
    }
    expectNoBytes(format('%d %i %f', key, key, key), spellings);
  });

  it('has no enumerable or own properties that hold the bytes', () => {
    const { key, spellings } = makeKey();
    expect(Object.keys(key)).toEqual([]);
    expect(Object.entries(key)).toEqual([]);
    expect(Object.getOwnPropertyNames(key)).toEqual([]);
    expect(Reflect.ownKeys(key)).toEqual([]);
    expect({ ...key }).toEqual({});
    expect(Object.assign({}, key)).toEqual({});
    const names: string[] = [];
    for (const name in key) names.push(name);
    expect(names).toEqual([]);
    expectNoBytes(JSON.stringify(structuredClone(key)), spellings);
  });

  it('bytes() is the only way to the key material, for node:crypto calls', () => {
    const { key, original } = makeKey();
    expect(key.bytes().equals(original)).toBe(true);
  });
});

describe('SecretKey.destroy', () => {
  it('zeroes the memory that bytes() returned', () => {
    const { key } = makeKey();
    const view = key.bytes();
    expect(view.some((b) => b !== 0)).toBe(true);
    key.destroy();
    expect(view.every((b) => b === 0)).toBe(true);
    expect(key.destroyed).toBe(true);
  });

  it('makes bytes() throw, and can be called twice', () => {
    const { key, spellings } = makeKey();
    key.destroy();
    key.destroy();
    expect(() => key.bytes()).toThrow(TypeError);
    expect(() => key.bytes()).toThrow('this key was destroyed');
    expect(JSON.stringify(key)).toBe(JSON.stringify(REDACTED));
    expectNoBytes(inspect(key), spellings);
  });

  it('a fresh key is not destroyed', () => {
    expect(makeKey().key.destroyed).toBe(false);
  });
});

describe('SecretKey ownership of memory', () => {
  it('zeroes the buffer it was given, keeping a copy of its own', () => {
    const bytes = randomBytes(32);
    const original = Buffer.from(bytes);
    const key = new SecretKey(bytes);
    expect(bytes.every((b) => b === 0)).toBe(true);
    expect(key.bytes().equals(original)).toBe(true);
  });

  it('does not keep key material in the shared buffer pool (Buffer.from of a short string uses it)', () => {
    const raw = randomBytes(32);
    const [hex, encoded] = [raw.toString('hex'), raw.toString('base64')];
    const pooled = Buffer.from(encoded, 'base64');
    // Precondition: this buffer is a slice of the pool, which other buffers share.
    expect(pooled.buffer.byteLength).toBeGreaterThan(32);
    const key = new SecretKey(pooled);
    expect(key.bytes().buffer.byteLength).toBe(32);
    expect(key.bytes().toString('hex')).toBe(hex);
    // Whatever else shares the pool can no longer read the key through `.buffer`.
    expectNoBytes(Buffer.from(pooled.buffer).toString('hex'), [hex]);
  });
});

describe('SecretKey length', () => {
  it.each([0, 1, 16, 24, 31, 33, 64])('refuses %i bytes with a TypeError that does not show them', (length) => {
    const bytes = randomBytes(length);
    const spellings = length >= 8 ? [bytes.toString('hex'), bytes.toString('base64')] : [];
    let error: unknown;
    try {
      new SecretKey(bytes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('a SecretKey is 32 bytes (256 bits)');
    expectNoBytes(inspect(error), spellings);
  });
});
