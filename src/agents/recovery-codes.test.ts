/**
 * Recovery codes: format and entropy of new codes, the forgiving normalization of typed codes,
 * and a constant-time match over every stored hash.
 */
import * as nodeCrypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RECOVERY_CODE_COUNT, hashRecoveryCode, matchRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.js';

// The real functions, wrapped so tests can count comparisons and feed known random bytes.
vi.mock(import('node:crypto'), async (importOriginal) => {
  const actual = await importOriginal();
  // vi.fn keeps one call signature; randomBytes has two (with and without a callback).
  return { ...actual, randomBytes: vi.fn(actual.randomBytes) as unknown as typeof actual.randomBytes, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

afterEach(() => {
  vi.mocked(nodeCrypto.randomBytes).mockClear();
  vi.mocked(nodeCrypto.timingSafeEqual).mockClear();
});

describe('newRecoveryCodes', () => {
  it(`issues ${DEFAULT_RECOVERY_CODE_COUNT} distinct codes of four dash-joined groups of four, in Crockford base32`, () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(FORMAT);
    expect(new Set(codes).size).toBe(10);
    expect(newRecoveryCodes(3)).toHaveLength(3);
  });

  it('draws 80 bits (10 bytes) from the CSPRNG for each code', () => {
    newRecoveryCodes(4);
    const calls = vi.mocked(nodeCrypto.randomBytes).mock.calls;
    expect(calls).toHaveLength(4);
    for (const call of calls) expect(call[0]).toBe(10);
  });

  it('encodes the bits as big-endian 5-bit groups (all zeros, all ones, a known pattern)', () => {
    const randomBytes = vi.mocked(nodeCrypto.randomBytes) as unknown as { mockReturnValueOnce(value: Buffer): void };
    randomBytes.mockReturnValueOnce(Buffer.alloc(10, 0x00));
    randomBytes.mockReturnValueOnce(Buffer.alloc(10, 0xff));
    // 00443214c74254b635cf holds the 5-bit values 0..15; 84653a56d7c675be77df holds 16..31.
    randomBytes.mockReturnValueOnce(Buffer.from('00443214c74254b635cf', 'hex'));
    expect(newRecoveryCodes(3)).toEqual(['0000-0000-0000-0000', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', '0123-4567-89AB-CDEF']);
    randomBytes.mockReturnValueOnce(Buffer.from('84653a56d7c675be77df', 'hex'));
    expect(newRecoveryCodes(1)).toEqual(['GHJK-MNPQ-RSTV-WXYZ']);
  });

  it('uses every symbol at every position about equally (no bits dropped or biased)', () => {
    const counts = new Map<string, number>();
    const codes = newRecoveryCodes(100).concat(...Array.from({ length: 9 }, () => newRecoveryCodes(100)));
    for (const code of codes) for (const char of code.replace(/-/g, '')) counts.set(char, (counts.get(char) ?? 0) + 1);
    // 1,000 codes x 16 characters = 16,000 symbols, 500 expected each, standard deviation about 22.
    expect([...counts.keys()].sort().join('')).toBe(CROCKFORD);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(350);
      expect(count).toBeLessThan(650);
    }
  });

  it('refuses a count outside 1..100', () => {
    for (const count of [0, -1, 101, 2.5, Number.NaN]) expect(() => newRecoveryCodes(count)).toThrow(TypeError);
  });
});

describe('normalizeRecoveryCode / hashRecoveryCode', () => {
  const code = '01AB-CDEF-GH1J-KM0N';

  it('forgives case, spaces, dashes, and I/L for 1 and O for 0', () => {
    const variants = [
      code,
      '01ab-cdef-gh1j-km0n',
      '01AB CDEF GH1J KM0N',
      '01ABCDEFGH1JKM0N',
      ' 01ab-cdef gh1j-km0n\n',
      'OIAB-CDEF-GHLJ-KMON',
      'olab-cdef-ghij-kmon',
      '01AB\u2013CDEF\u2013GH1J\u2013KM0N', // en dashes, as word processors print them
    ];
    for (const typed of variants) {
      expect(normalizeRecoveryCode(typed)).toBe('01ABCDEFGH1JKM0N');
      expect(hashRecoveryCode(typed)).toEqual(hashRecoveryCode(code));
    }
  });

  it('hashes the canonical form with SHA-256 (32 bytes)', () => {
    const digest = hashRecoveryCode(code);
    expect(digest).toHaveLength(32);
    expect(digest.toString('hex')).toBe(nodeCrypto.createHash('sha256').update('01ABCDEFGH1JKM0N').digest('hex'));
    expect(hashRecoveryCode('01AB-CDEF-GH1J-KM0P')).not.toEqual(digest);
  });

  it('refuses what cannot be one of our codes: wrong length, U, punctuation, non-ASCII', () => {
    for (const bad of ['', '01AB-CDEF-GH1J-KM0', '01AB-CDEF-GH1J-KM0NN', '01AB-CDEF-GH1J-KM0U', '01AB-CDEF-GH1J-KM0!', '01AB-CDEF-GH1J-KM0\u00d1', 'x'.repeat(1000)]) {
      expect(normalizeRecoveryCode(bad)).toBeUndefined();
      expect(() => hashRecoveryCode(bad)).toThrow(TypeError);
    }
  });
});

describe('matchRecoveryCode', () => {
  it('finds the index of the code among the stored hashes, however it was typed', () => {
    const codes = newRecoveryCodes();
    const hashes = codes.map(hashRecoveryCode);
    codes.forEach((code, i) => {
      expect(matchRecoveryCode(code, hashes)).toBe(i);
      expect(matchRecoveryCode(code.toLowerCase().replace(/-/g, ' '), hashes)).toBe(i);
    });
  });

  it('answers -1 for an unknown code, a malformed one, or an empty list', () => {
    const hashes = newRecoveryCodes().map(hashRecoveryCode);
    const [other] = newRecoveryCodes(1);
    expect(matchRecoveryCode(other!, hashes)).toBe(-1);
    expect(matchRecoveryCode('not a code', hashes)).toBe(-1);
    expect(matchRecoveryCode('', hashes)).toBe(-1);
    expect(matchRecoveryCode(other!, [])).toBe(-1);
  });

  it('a malformed input never matches, not even a stored hash of the empty string', () => {
    const emptyHash = nodeCrypto.createHash('sha256').update('').digest();
    expect(matchRecoveryCode('!!!', [emptyHash])).toBe(-1);
  });

  it('skips stored entries of the wrong length instead of throwing, and returns the first of duplicates', () => {
    const [code] = newRecoveryCodes(1);
    const hash = hashRecoveryCode(code!);
    expect(matchRecoveryCode(code!, [Buffer.alloc(0), hash.subarray(0, 16), hash, hash])).toBe(2);
  });

  it('compares against every stored hash in constant time, with no early exit', () => {
    const codes = newRecoveryCodes();
    const hashes = codes.map(hashRecoveryCode);
    const timingSafeEqual = vi.mocked(nodeCrypto.timingSafeEqual);
    timingSafeEqual.mockClear();
    expect(matchRecoveryCode(codes[0]!, hashes)).toBe(0);
    expect(timingSafeEqual).toHaveBeenCalledTimes(10);
    timingSafeEqual.mockClear();
    expect(matchRecoveryCode('ZZZZ-ZZZZ-ZZZZ-ZZZZ', hashes)).toBe(-1);
    expect(timingSafeEqual).toHaveBeenCalledTimes(10);
  });
});
