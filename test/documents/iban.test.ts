import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IBAN_FORMATS } from '../../src/documents/iban-registry.js';
import { ibanCheck, isValidBic, isValidIban, luhnValid } from '../../src/documents/index.js';
import { luhnValid as vaultLuhn } from '../../src/vault/card-token.js';
import { makeIban, prng, randomDigits, singleDigitAlterations } from './helpers.js';

const registry = JSON.parse(readFileSync(new URL('../vectors/iban-registry-examples.json', import.meta.url), 'utf8')) as {
  examples: Array<{ country: string; iban: string }>;
};

describe('IBAN (ISO 13616, SWIFT IBAN Registry release 100)', () => {
  it.each(registry.examples)('registry example for $country is valid', ({ country, iban }) => {
    expect(ibanCheck(iban)).toEqual({ valid: true, normalized: iban, country });
  });

  it.each([
    'GB82WEST12345698765432',
    'DE89370400440532013000',
    'ES9121000418450200051332',
    'BR1800360305000010009795493C1',
    'PT50000201231234567890154',
  ])('%s (registry / ISO 13616 example) is valid, in print format and lower case too', (iban) => {
    expect(isValidIban(iban)).toBe(true);
    const print = iban.replace(/(.{4})/g, '$1 ').trim();
    expect(ibanCheck(print.toLowerCase())).toEqual({ valid: true, normalized: iban, country: iban.slice(0, 2) });
  });

  it.each([
    ['GB82WEST12345698765431', 'check_digit'],
    ['GB28WEST12345698765432', 'check_digit'],
    ['DE89370400440532013001', 'check_digit'],
    ['ES9121000418450200051333', 'check_digit'],
    ['DE8937040044053201300', 'length'],
    ['PT500002012312345678901540', 'length'],
    ['US64SVBKUS6S3300958879', 'country'],
    ['XX89370400440532013000', 'country'],
    ['DE89370400440532O13000', 'format'],
    ['GB82WEST1234569876543Z', 'format'],
    ['1289370400440532013000', 'format'],
    ['DE8937040044053201300!', 'format'],
  ])('%s is refused as %s', (iban, reason) => {
    expect(ibanCheck(iban)).toEqual({ valid: false, reason });
  });

  it('refuses check digits 00, 01 and 99, which pass the modulus like 97 and 98', () => {
    // 97 = 0 and 98 = 1 (mod 97): a valid IBAN with check 97/98 has a twin with 00/01.
    const random = prng(3);
    let twins = 0;
    for (let i = 0; i < 2000 && twins < 3; i++) {
      const iban = makeIban('DE', randomDigits(random, 18));
      const check = iban.slice(2, 4);
      if (check === '97' || check === '98') {
        const twin = `DE${check === '97' ? '00' : '01'}${iban.slice(4)}`;
        expect(isValidIban(iban)).toBe(true);
        expect(ibanCheck(twin)).toEqual({ valid: false, reason: 'check_digit' });
        twins++;
      }
    }
    expect(twins).toBeGreaterThan(0);
  });

  it('each registry row length equals 4 + its BBAN structure', () => {
    for (const [country, [length, structure]] of Object.entries(IBAN_FORMATS)) {
      const bban = [...structure.matchAll(/(\d+)!/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      expect(4 + bban, country).toBe(length);
    }
    expect(Object.keys(IBAN_FORMATS)).toHaveLength(89);
  });

  it('every single-digit alteration of a valid IBAN fails (MOD 97-10 guarantees it)', () => {
    const random = prng(97);
    let tried = 0;
    for (const country of ['DE', 'ES', 'PT', 'BE', 'NO', 'PL']) {
      const [length] = IBAN_FORMATS[country] as readonly [number, string];
      for (let n = 0; n < 20; n++) {
        const iban = makeIban(country, randomDigits(random, length - 4));
        expect(isValidIban(iban)).toBe(true);
        for (const { value } of singleDigitAlterations(iban)) {
          expect(isValidIban(value)).toBe(false);
          tried++;
        }
      }
    }
    expect(tried).toBeGreaterThan(10_000);
  });

  it('refuses over-long input before any work', () => {
    expect(ibanCheck('DE89 '.repeat(40))).toEqual({ valid: false, reason: 'format' });
  });
});

describe('BIC (ISO 9362)', () => {
  it.each(['DEUTDEFF', 'DEUTDEFF500', 'AGRIFRPP882', 'ABNA BE 2A', 'NWBKGB2L', 'BSCHESMMXXX', 'deutdeff'])('%s is valid', (bic) => {
    expect(isValidBic(bic)).toBe(true);
  });
  it.each([
    ['DEUTZZFF', 'ZZ is no ISO 3166 country'],
    ['AGRIF2PP', 'digit in the country code'],
    ['AGRIFRPP8', '9 characters'],
    ['DEUTDEF', '7 characters'],
    ['DEUTDEFF5000', '12 characters'],
    ['1EUTDEFF', 'digit in the institution code'],
  ])('%s is refused (%s)', (bic) => {
    expect(isValidBic(bic)).toBe(false);
  });
});

describe('luhnValid', () => {
  it('is the vault implementation, re-exported rather than duplicated', () => {
    expect(luhnValid).toBe(vaultLuhn);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});
