/**
 * The text form `v1.<keyRef>.<nonce>.<ciphertext>.<tag>`: it round-trips, every deviation is one
 * typed error (`vault.malformed_ciphertext`) before any crypto runs, and the associated data that
 * binds a ciphertext to its place is an injective encoding, so no two different places share it.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../platform/errors.js';
import { open, seal } from './aead.js';
import { FORMAT_VERSION, associatedData, formatCiphertext, parseCiphertext, type Envelope } from './ciphertext.js';
import { VaultErrors } from './errors.js';
import { SecretKey } from './secret-key.js';

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

const keyBytes = randomBytes(32);
const key = () => new SecretKey(Buffer.from(keyBytes));
const context = ['tenant-1', 'customers', 'row-1', 'email'];

function sealTo(keyRef: string, plaintext: string, ctx: readonly string[] = context): string {
  return formatCiphertext({ keyRef, ...seal(key(), Buffer.from(plaintext), associatedData('field', keyRef, ctx)) });
}

function openText(text: string, ctx: readonly string[] = context): string {
  const envelope = parseCiphertext(text);
  return open(key(), envelope, associatedData('field', envelope.keyRef, ctx)).toString();
}

const b64 = (bytes: Buffer) => bytes.toString('base64url');
const parts = (nonce: string, ciphertext: string, tag: string, keyRef = 'k1', version: string = FORMAT_VERSION) => [version, keyRef, nonce, ciphertext, tag].join('.');

const goodNonce = b64(randomBytes(12));
const goodCiphertext = b64(randomBytes(5));
const goodTag = b64(randomBytes(16));

describe('formatCiphertext / parseCiphertext', () => {
  it('round-trips a sealed value through its text form and opens it', () => {
    const text = sealTo('k1', 'juan.perez@example.com');
    expect(text).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    const envelope = parseCiphertext(text);
    expect(envelope.keyRef).toBe('k1');
    expect(envelope.nonce).toHaveLength(12);
    expect(envelope.tag).toHaveLength(16);
    expect(formatCiphertext(envelope)).toBe(text);
    expect(openText(text)).toBe('juan.perez@example.com');
  });

  it('round-trips an empty plaintext (empty ciphertext part)', () => {
    const text = sealTo('k1', '');
    expect(text.split('.')[3]).toBe('');
    expect(openText(text)).toBe('');
  });

  it('round-trips a data-key id as the key reference (UUID with dashes, 64 characters at most)', () => {
    for (const keyRef of ['0193e5f4-8a1b-7c2d-9e3f-4a5b6c7d8e9f', 'a'.repeat(64), 'r1', 'K-9']) {
      expect(parseCiphertext(sealTo(keyRef, 'x')).keyRef).toBe(keyRef);
    }
  });

  it('accepts 1 MiB of ciphertext', () => {
    const big = 'x'.repeat(1024 * 1024);
    expect(openText(sealTo('k1', big))).toBe(big);
  });

  it.each(['', 'a.b', 'a_b', 'a b', 'é', 'a'.repeat(65)])('formatCiphertext refuses the key reference %j as a caller mistake (TypeError)', (keyRef) => {
    const sealed = seal(key(), Buffer.from('x'), Buffer.alloc(0));
    expect(() => formatCiphertext({ keyRef, ...sealed } as Envelope)).toThrow(TypeError);
  });

  it('the parts are read as written: no alternative spelling of the same value is accepted', () => {
    const text = parts(goodNonce, goodCiphertext, goodTag);
    expect(formatCiphertext(parseCiphertext(text))).toBe(text);
  });
});

describe('parseCiphertext refuses malformed input with vault.malformed_ciphertext', () => {
  const valid = parts(goodNonce, goodCiphertext, goodTag);
  /**
   * Sets the lowest bit of the last character: when the byte count is not a multiple of 3, those
   * bits are left over (zero in canonical form), so the string still decodes to the same bytes.
   */
  const withTrailingBits = (text: string) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return text.slice(0, -1) + alphabet[alphabet.indexOf(text.at(-1) as string) | 1];
  };

  const cases: [string, unknown][] = [
    ['the empty string', ''],
    ['only a version', 'v1'],
    ['four parts', [FORMAT_VERSION, 'k1', goodNonce, goodTag].join('.')],
    ['six parts', `${valid}.${goodTag}`],
    ['a trailing dot', `${valid}.`],
    ['a leading dot', `.${valid}`],
    ['an unknown version v2', parts(goodNonce, goodCiphertext, goodTag, 'k1', 'v2')],
    ['version V1 (case)', parts(goodNonce, goodCiphertext, goodTag, 'k1', 'V1')],
    ['version v01', parts(goodNonce, goodCiphertext, goodTag, 'k1', 'v01')],
    ['version v0', parts(goodNonce, goodCiphertext, goodTag, 'k1', 'v0')],
    ['an empty version', parts(goodNonce, goodCiphertext, goodTag, 'k1', '')],
    ['an empty key reference', parts(goodNonce, goodCiphertext, goodTag, '')],
    ['a key reference with an underscore', parts(goodNonce, goodCiphertext, goodTag, 'k_1')],
    ['a key reference with a space', parts(goodNonce, goodCiphertext, goodTag, 'k 1')],
    ['a non-ASCII key reference', parts(goodNonce, goodCiphertext, goodTag, 'ké')],
    ['a 65-character key reference', parts(goodNonce, goodCiphertext, goodTag, 'a'.repeat(65))],
    ['"+" (base64, not base64url) in the nonce', parts(`+${goodNonce.slice(1)}`, goodCiphertext, goodTag)],
    ['"/" in the ciphertext', parts(goodNonce, `/${goodCiphertext.slice(1)}`, goodTag)],
    ['"=" padding on the tag', parts(goodNonce, goodCiphertext, `${goodTag}==`)],
    ['a space in the ciphertext', parts(goodNonce, `${goodCiphertext.slice(0, 2)} ${goodCiphertext.slice(2)}`, goodTag)],
    ['a trailing newline', `${valid}\n`],
    ['a percent-encoded character', parts(goodNonce, `%41${goodCiphertext}`, goodTag)],
    ['a non-ASCII character in the tag', parts(goodNonce, goodCiphertext, `${goodTag.slice(0, -1)}é`)],
    ['non-canonical base64url: trailing bits set in the tag', parts(goodNonce, goodCiphertext, withTrailingBits(goodTag))],
    ['non-canonical base64url: trailing bits set in the ciphertext', parts(goodNonce, withTrailingBits(goodCiphertext), goodTag)],
    ['non-canonical base64url: a dangling character after the nonce', parts(`${goodNonce}A`, goodCiphertext, goodTag)],
    ['non-canonical base64url: an impossible length (4n+1 characters)', parts(goodNonce, 'AAAAA', goodTag)],
    ['an 11-byte nonce', parts(b64(randomBytes(11)), goodCiphertext, goodTag)],
    ['a 13-byte nonce', parts(b64(randomBytes(13)), goodCiphertext, goodTag)],
    ['an empty nonce', parts('', goodCiphertext, goodTag)],
    ['a 15-byte tag', parts(goodNonce, goodCiphertext, b64(randomBytes(15)))],
    ['a 17-byte tag', parts(goodNonce, goodCiphertext, b64(randomBytes(17)))],
    ['a 12-byte (truncated) tag', parts(goodNonce, goodCiphertext, b64(randomBytes(12)))],
    ['an empty tag', parts(goodNonce, goodCiphertext, '')],
    ['oversized input (1,500,001 characters)', parts(goodNonce, 'A'.repeat(1_500_001), goodTag)],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { toString: () => valid }],
  ];

  it('(control) the valid text parses', () => {
    expect(parseCiphertext(valid).keyRef).toBe('k1');
  });

  it.each(cases)('%s', (_name, input) => {
    const error = expectAppError(() => parseCiphertext(input as string), VaultErrors.malformed_ciphertext);
    // Untrusted input is never echoed back.
    if (typeof input === 'string' && input.length > 0) expect(`${error.message} ${error.detail} ${JSON.stringify(error)}`).not.toContain(input);
  });

  it('oversized input is refused without being split or decoded (fast)', () => {
    const huge = 'A'.repeat(50_000_000);
    const started = performance.now();
    expectAppError(() => parseCiphertext(huge), VaultErrors.malformed_ciphertext);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('associatedData', () => {
  it('is deterministic and names the purpose, format version and key reference', () => {
    expect(associatedData('field', 'k1', ['a', 'b'])).toEqual(associatedData('field', 'k1', ['a', 'b']));
    expect(JSON.parse(associatedData('field', 'k1', ['a', 'b']).toString('utf8'))).toEqual(['custodia.field.v1', 'k1', 'a', 'b']);
  });

  it('is injective: tricky contexts never share bytes', () => {
    const contexts: (readonly string[])[] = [
      [],
      [''],
      ['', ''],
      ['a', 'b'],
      ['a.b'],
      ['ab'],
      ['a,b'],
      ['a', 'b', ''],
      ['', 'a', 'b'],
      ['a', ''],
      ['a"', 'b'],
      ['a', '"b'],
      ['a","b'],
      ['"a","b"'],
      ['a\\', 'b'],
      ['a\\"', 'b'],
      ['a\\","b'],
      ['a\u0000b'],
      ['a\u0000', 'b'],
      ['a\nb'],
      ['a\\nb'],
      ['null'],
      ['[]'],
      ['["a","b"]'],
      ['\ud800'],
      ['\ud801'],
      ['\ufffd'],
      ['\ud800\udc00'],
      ['\u{10000}x'],
      ['é'],
      ['e\u0301'],
      ['tenant-1', 'customers', 'row-1', 'email'],
      ['tenant-1', 'customers', 'row-1', 'phone'],
      ['tenant-1', 'customers', 'row-2', 'email'],
      ['tenant-2', 'customers', 'row-1', 'email'],
      ['tenant-1', 'customers.row-1', 'email'],
      ['tenant-1', 'customers', 'row-1.email'],
    ];
    const encodings = new Map<string, string>();
    for (const ctx of contexts) {
      const bytes = associatedData('field', 'k1', ctx).toString('hex');
      expect(encodings.get(bytes), `${JSON.stringify(ctx)} collides`).toBeUndefined();
      encodings.set(bytes, JSON.stringify(ctx));
    }
    expect(encodings.size).toBe(contexts.length);
  });

  it('is injective across purpose, key reference and context boundaries', () => {
    const triples: [string, string, string[]][] = [
      ['field', 'k1', ['x']],
      ['field', 'k1x', []],
      ['field', 'k1', []],
      ['field', 'k2', ['x']],
      ['fieldx', 'k1', []],
      ['field.v1', 'k1', ['x']],
      ['root-wrap', 'k1', ['x']],
      ['field', 'r1', ['x']],
    ];
    const seen = new Set(triples.map(([p, k, c]) => associatedData(p, k, c).toString('hex')));
    expect(seen.size).toBe(triples.length);
  });

  it('a value sealed for ["a","b"] does not open for ["a.b"], ["ab"] or ["a","b",""]', () => {
    const text = sealTo('k1', 'secret', ['a', 'b']);
    expect(openText(text, ['a', 'b'])).toBe('secret');
    for (const other of [['a.b'], ['ab'], ['a', 'b', ''], ['a,b'], ['b', 'a']]) {
      expectAppError(() => openText(text, other), VaultErrors.decrypt_failed);
    }
  });

  it('a value moved to another record, field or tenant does not open', () => {
    const text = sealTo('k1', 'secret');
    for (const other of [
      ['tenant-1', 'customers', 'row-2', 'email'],
      ['tenant-1', 'customers', 'row-1', 'phone'],
      ['tenant-2', 'customers', 'row-1', 'email'],
      ['tenant-1', 'agents', 'row-1', 'email'],
    ]) {
      expectAppError(() => openText(text, other), VaultErrors.decrypt_failed);
    }
  });

  it('editing the key reference in the text makes decryption fail (it is bound as associated data)', () => {
    const text = sealTo('k1', 'secret');
    const edited = text.replace(/^v1\.k1\./, 'v1.k2.');
    expect(parseCiphertext(edited).keyRef).toBe('k2');
    expectAppError(() => openText(edited), VaultErrors.decrypt_failed);
  });
});
