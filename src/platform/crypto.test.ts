import { describe, expect, it } from 'vitest';
import { constantTimeEqual, generateToken, sha256 } from './crypto.js';

describe('generateToken', () => {
  it('prefixes 32 random bytes in base64url and never repeats', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken('cpa')));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^cpa_[A-Za-z0-9_-]{43}$/);
  });

  it('refuses weak or unnamed tokens', () => {
    expect(() => generateToken('cpa', 8)).toThrow(/128 bits/);
    expect(() => generateToken('CPA')).toThrow(TypeError);
  });
});

describe('sha256', () => {
  it('matches the FIPS 180-2 "abc" test vector', () => {
    expect(sha256('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('constantTimeEqual', () => {
  it('compares secrets of any length', () => {
    expect(constantTimeEqual('secret', 'secret')).toBe(true);
    expect(constantTimeEqual('secret', 'secreT')).toBe(false);
    expect(constantTimeEqual('secret', 'secret-longer')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
