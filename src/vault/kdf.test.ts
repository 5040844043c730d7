/**
 * HKDF-SHA256 and HMAC-SHA256 through our wrappers, driven by the RFCs' own vectors:
 * RFC 5869 Appendix A.1-A.3 (test/vectors/hkdf-sha256.rfc5869.json) and RFC 4231 section 4,
 * Test Cases 1-7 (test/vectors/hmac-sha256.rfc4231.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hkdfSha256, hmacSha256 } from './kdf.js';

interface HkdfCase {
  section: string;
  title: string;
  ikm: string;
  salt: string;
  info: string;
  L: number;
  prk: string;
  okm: string;
}

interface HmacCase {
  section: string;
  title: string;
  key: string;
  data: string;
  hmacSha256: string;
  truncateToBytes?: number;
}

interface VectorFile<T> {
  source: string;
  cases: T[];
}

function loadVectors<T>(name: string): VectorFile<T> {
  return JSON.parse(readFileSync(new URL(`../../test/vectors/${name}`, import.meta.url), 'utf8')) as VectorFile<T>;
}

const hkdfVectors = loadVectors<HkdfCase>('hkdf-sha256.rfc5869.json');
const hmacVectors = loadVectors<HmacCase>('hmac-sha256.rfc4231.json');
const hex = (value: string) => Buffer.from(value, 'hex');

describe('hkdfSha256: RFC 5869 Appendix A', () => {
  it('the vector file names its source and holds A.1, A.2 and A.3', () => {
    expect(hkdfVectors.source).toMatch(/^RFC 5869/);
    expect(hkdfVectors.cases.map((c) => c.section)).toEqual(['A.1', 'A.2', 'A.3']);
  });

  it.each(hkdfVectors.cases.map((c) => [c.section, c.title, c] as const))('RFC 5869 %s (%s): OKM', (_section, _title, c) => {
    const okm = hkdfSha256(hex(c.ikm), hex(c.salt), hex(c.info), c.L);
    expect(okm).toHaveLength(c.L);
    expect(okm.toString('hex')).toBe(c.okm);
  });

  it.each(hkdfVectors.cases.map((c) => [c.section, c] as const))(
    'RFC 5869 %s: PRK is HMAC-SHA256(salt, IKM), section 2.2 (an empty salt acts as HashLen zeros)',
    (_section, c) => {
      expect(hmacSha256(hex(c.salt), hex(c.ikm)).toString('hex')).toBe(c.prk);
      if (c.salt === '') expect(hmacSha256(Buffer.alloc(32), hex(c.ikm)).toString('hex')).toBe(c.prk);
    },
  );

  it('RFC 5869 section 2.3: L is 1..255*HashLen; outside that is a RangeError', () => {
    const ikm = hex(hkdfVectors.cases[0]!.ikm);
    expect(hkdfSha256(ikm, Buffer.alloc(0), Buffer.alloc(0), 1)).toHaveLength(1);
    expect(hkdfSha256(ikm, Buffer.alloc(0), Buffer.alloc(0), 255 * 32)).toHaveLength(8160);
    expect(() => hkdfSha256(ikm, Buffer.alloc(0), Buffer.alloc(0), 0)).toThrow(RangeError);
    expect(() => hkdfSha256(ikm, Buffer.alloc(0), Buffer.alloc(0), 255 * 32 + 1)).toThrow(RangeError);
    expect(() => hkdfSha256(ikm, Buffer.alloc(0), Buffer.alloc(0), -1)).toThrow(RangeError);
  });

  it('a shorter output is a prefix of a longer one, and info separates outputs', () => {
    const c = hkdfVectors.cases[0]!;
    expect(hkdfSha256(hex(c.ikm), hex(c.salt), hex(c.info), 16).toString('hex')).toBe(c.okm.slice(0, 32));
    expect(hkdfSha256(hex(c.ikm), hex(c.salt), Buffer.from('custodia.index'), 32)).not.toEqual(hkdfSha256(hex(c.ikm), hex(c.salt), Buffer.from('custodia.field'), 32));
  });
});

describe('hmacSha256: RFC 4231 section 4', () => {
  it('the vector file names its source and holds Test Cases 1-7 (sections 4.2-4.8)', () => {
    expect(hmacVectors.source).toMatch(/^RFC 4231/);
    expect(hmacVectors.cases.map((c) => c.section)).toEqual(['4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4.8']);
  });

  it.each(hmacVectors.cases.map((c) => [c.section, c.title, c] as const))('RFC 4231 section %s (%s): HMAC-SHA-256', (_section, _title, c) => {
    const mac = hmacSha256(hex(c.key), hex(c.data));
    expect(mac).toHaveLength(32);
    // Test Case 5 (section 4.6) prints only the leftmost 128 bits of the output.
    expect(mac.subarray(0, c.truncateToBytes ?? 32).toString('hex')).toBe(c.hmacSha256);
  });

  it('RFC 4231 section 4.6 is the only truncated case', () => {
    expect(hmacVectors.cases.filter((c) => c.truncateToBytes !== undefined).map((c) => [c.section, c.truncateToBytes])).toEqual([['4.6', 16]]);
  });
});
