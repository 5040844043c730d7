import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.js';
import {
  assertNoCardVerificationCode,
  assertStorableFieldName,
  isCardVerificationCodeField,
  luhnValid,
  makeCardToken,
  parsePan,
} from './card-token.js';
import { VaultErrors } from './errors.js';
import { seededRandom } from '../platform/seeded-random.js';

/** Published test card numbers (card networks' and gateways' documentation). */
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

const prng = seededRandom;

/** A random Luhn-valid PAN of the given length: random body, computed check digit. */
function randomPan(random: () => number, length: number): string {
  let body = '';
  for (let i = 0; i < length - 1; i++) body += String(Math.floor(random() * 10));
  for (let check = 0; check < 10; check++) {
    if (luhnValid(body + check)) return body + check;
  }
  throw new Error('unreachable');
}

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError, nothing was thrown');
}

describe('luhnValid (ISO/IEC 7812-1 Annex B)', () => {
  it.each(TEST_PANS)('accepts the published test number %s', (pan) => {
    expect(luhnValid(pan)).toBe(true);
  });

  it('accepts the classic worked example and rejects it with any single digit changed', () => {
    expect(luhnValid('79927398713')).toBe(true);
    for (let i = 0; i < 11; i++) {
      for (let d = 0; d < 10; d++) {
        const changed = `${'79927398713'.slice(0, i)}${d}${'79927398713'.slice(i + 1)}`;
        if (changed !== '79927398713') expect(luhnValid(changed)).toBe(false);
      }
    }
  });

  it('rejects transposed adjacent digits (other than 09/90)', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('1411111111111111')).toBe(false);
  });

  it.each(['', ' ', '4111 1111 1111 1111', '4111-1111-1111-1111', 'abc', '０', '41111111111111１1'])('is false for %j', (value) => {
    expect(luhnValid(value)).toBe(false);
  });

  it('is false for non-strings instead of throwing', () => {
    expect(luhnValid(4111111111111111 as unknown as string)).toBe(false);
    expect(luhnValid(null as unknown as string)).toBe(false);
  });
});

describe('parsePan', () => {
  it.each([
    ['4111111111111111', '4111111111111111'],
    ['4111 1111 1111 1111', '4111111111111111'],
    ['4111-1111-1111-1111', '4111111111111111'],
    ['  4111 1111-1111 1111 ', '4111111111111111'],
    ['3782 822463 10005', '378282246310005'],
    ['4222222222222', '4222222222222'],
    ['4000 0000 0000 0000 006', '4000000000000000006'],
  ])('%j → %s', (input, digits) => {
    expect(parsePan(input)).toBe(digits);
  });

  it.each(TEST_PANS)('accepts %s', (pan) => {
    expect(parsePan(pan)).toBe(pan);
  });

  it.each([
    ['4111111111111112', 'checksum'],
    ['5555555555554443', 'checksum'],
    ['411111111111', 'length'], // 12 digits
    ['41111111111111111111', 'length'], // 20 digits
    ['', 'format'],
    ['   ', 'format'],
    ['4111.1111.1111.1111', 'format'],
    ['4111/1111/1111/1111', 'format'],
    ['-4111111111111111', 'format'],
    ['4111111111111111a', 'format'],
    ['４１１１１１１１１１１１１１１１', 'format'], // full-width digits are not accepted
    ['4111\t1111\t1111\t1111', 'format'],
    [`4111${' '.repeat(40)}1111111111111`, 'length'],
  ])('rejects %j (%s)', (input, reason) => {
    const error = appError(() => parsePan(input));
    expect(error.code).toBe(VaultErrors.invalid_card_number.code);
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ reason });
  });

  it('rejects non-strings', () => {
    for (const value of [4111111111111111, null, undefined, {}, ['4111111111111111']]) {
      expect(appError(() => parsePan(value)).code).toBe('vault.invalid_card_number');
    }
  });

  it('never puts any digits of the number in the error', () => {
    for (const input of ['4111111111111112', '5555 5555 5555 4443', '41111111111', '4111x1111']) {
      const error = appError(() => parsePan(input));
      const text = JSON.stringify({ message: error.message, detail: error.detail, title: error.title, details: error.details, cause: error.cause });
      expect(text).not.toMatch(/\d/);
      expect(error.stack?.split('\n')[0]).toBe('AppError: The card number is not valid');
    }
  });
});

describe('makeCardToken', () => {
  it('keeps the last four, fails Luhn, has the PAN length and only digits, for every published test number', () => {
    for (const pan of TEST_PANS) {
      for (const keepFirstSix of [false, true]) {
        const token = makeCardToken(pan, { keepFirstSix });
        expect(token).toMatch(/^[0-9]+$/);
        expect(token).toHaveLength(pan.length);
        expect(token.slice(-4)).toBe(pan.slice(-4));
        expect(luhnValid(token)).toBe(false);
        expect(token).not.toBe(pan);
        if (keepFirstSix) expect(token.slice(0, 6)).toBe(pan.slice(0, 6));
      }
    }
  });

  it('accepts separators in the PAN and refuses an invalid one with the card-number error', () => {
    expect(makeCardToken('4111 1111 1111 1111').slice(-4)).toBe('1111');
    expect(appError(() => makeCardToken('4111111111111112')).code).toBe('vault.invalid_card_number');
    expect(appError(() => makeCardToken('hello')).code).toBe('vault.invalid_card_number');
  });

  it('holds its properties for 10,000 random valid PANs of 13 to 19 digits', () => {
    const random = prng(0x5eed);
    for (let n = 0; n < 10_000; n++) {
      const length = 13 + (n % 7);
      const pan = randomPan(random, length);
      const keepFirstSix = n % 2 === 0;
      const token = makeCardToken(pan, { keepFirstSix });
      const context = `pan #${n} (length ${length}, keepFirstSix ${keepFirstSix})`;
      expect(token, context).toMatch(/^[0-9]+$/);
      expect(token.length, context).toBe(pan.length);
      expect(token.slice(-4), context).toBe(pan.slice(-4));
      expect(luhnValid(token), context).toBe(false);
      expect(token, context).not.toBe(pan);
      if (keepFirstSix) expect(token.slice(0, 6), context).toBe(pan.slice(0, 6));
    }
  });

  it('does not keep the first six unless asked (they are random, so they differ from the PAN\'s most of the time)', () => {
    const pan = '4111111111111111';
    const tokens = Array.from({ length: 200 }, () => makeCardToken(pan));
    const sameFirstSix = tokens.filter((t) => t.startsWith('411111')).length;
    // Each token keeps them by chance with probability 1e-6.
    expect(sameFirstSix).toBe(0);
  });

  it('gives a different token each time for one PAN', () => {
    const pan = '5555555555554444';
    const tokens = new Set(Array.from({ length: 1000 }, () => makeCardToken(pan)));
    expect(tokens.size).toBe(1000);
    // With the first six kept, 6 random digits remain (900,000 Luhn-invalid choices): a collision
    // or two among 1,000 is possible, more would mean the randomness is broken.
    const withBin = new Set(Array.from({ length: 1000 }, () => makeCardToken(pan, { keepFirstSix: true })));
    expect(withBin.size).toBeGreaterThan(990);
  });

  it('uses every digit value in the middle positions (no fixed pattern)', () => {
    const pan = '4111111111111111';
    const seen = Array.from({ length: 12 }, () => new Set<string>());
    for (let n = 0; n < 500; n++) {
      const token = makeCardToken(pan);
      for (let i = 0; i < 12; i++) seen[i]?.add(token[i] ?? '');
    }
    for (const digits of seen) expect(digits.size).toBe(10);
  });

  it('still works with only three random digits (13-digit PAN, first six kept)', () => {
    const pan = '4222222222222';
    const tokens = new Set<string>();
    for (let n = 0; n < 3000; n++) {
      const token = makeCardToken(pan, { keepFirstSix: true });
      expect(token.slice(0, 6)).toBe('422222');
      expect(token.slice(-4)).toBe('2222');
      expect(luhnValid(token)).toBe(false);
      tokens.add(token);
    }
    // 900 Luhn-invalid middles exist; 3,000 draws should find nearly all of them.
    expect(tokens.size).toBeGreaterThan(850);
    expect(tokens.size).toBeLessThanOrEqual(900);
  });
});

describe('card verification codes (PCI DSS v4.0 3.3.1.2)', () => {
  it.each([
    'cvv',
    'CVV',
    'cvv2',
    'CVV2',
    'cvc',
    'cvc2',
    'CVC2',
    'cid',
    'CID',
    'cav2',
    'cvn2',
    'cvd',
    'csc',
    'cardCvv',
    'card_cvv',
    'cvvCode',
    'cvc_number',
    'securityCode',
    'security_code',
    'Security-Code',
    'card security code',
    'cardSecurityCode',
    'cardVerificationValue',
    'card_verification_code',
    'cardCode',
    'verificationValue',
    'código de seguridad',
    'codigo_de_seguridad',
    'codigoSeguridad',
    'cod_seguridad',
    'CÓDIGO DE SEGURIDAD',
    'código de segurança',
    'codigoSeguranca',
    'cod_seguranca',
    'código verificador',
    'ｃｖｖ', // full-width
  ])('%j names a card verification code', (name) => {
    expect(isCardVerificationCodeField(name)).toBe(true);
    expect(appError(() => assertStorableFieldName(name)).code).toBe('vault.cvv_not_storable');
  });

  it.each([
    'pan',
    'cardNumber',
    'expiry',
    'expiryMonth',
    'cardholderName',
    'token',
    'last4',
    'customerId',
    'incident', // contains "cid", but is not the short code
    'decided',
    'acidic',
    'verificationCode', // the one-time passcodes of capability 4
    'código de verificación',
    'securityQuestion',
    'pin', // a different secret, PCI DSS 3.3.1.3, not this rule
    'discount',
  ])('%j does not', (name) => {
    expect(isCardVerificationCodeField(name)).toBe(false);
    expect(() => assertStorableFieldName(name)).not.toThrow();
  });

  it('refuses a record with a CVV at any depth, whatever the value', () => {
    const cases: unknown[] = [
      { pan: '4111111111111111', cvv: '123' },
      { pan: '4111111111111111', CVV2: 123 },
      { card: { number: '4111111111111111', security_code: '1234' } },
      { payments: [{ amount: 10 }, { card: { cvc: '' } }] },
      { cvv: null },
      { cvv: undefined },
      [{ nested: [[{ 'código de seguridad': '123' }]] }],
    ];
    for (const record of cases) {
      const error = appError(() => assertNoCardVerificationCode(record));
      expect(error.code).toBe(VaultErrors.cvv_not_storable.code);
      expect(error.status).toBe(400);
    }
  });

  it('accepts records without one, and non-objects', () => {
    for (const record of [
      { pan: '4111111111111111', expiry: '12/30', name: 'Ana' },
      { notes: 'the caller said cvv 123' }, // values are not inspected: redaction handles text
      [],
      {},
      null,
      undefined,
      'cvv',
      42,
    ]) {
      expect(() => assertNoCardVerificationCode(record)).not.toThrow();
    }
  });

  it('names neither the field nor the value in the error', () => {
    const error = appError(() => assertNoCardVerificationCode({ 'cvv:987': '654' }));
    const text = JSON.stringify({ message: error.message, detail: error.detail, details: error.details });
    expect(text).not.toContain('987');
    expect(text).not.toContain('654');
    expect(text).not.toContain('cvv:');
  });

  it('survives cycles and very deep nesting', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => assertNoCardVerificationCode(cyclic)).not.toThrow();
    cyclic.inner = { cvc2: '1' };
    expect(appError(() => assertNoCardVerificationCode(cyclic)).code).toBe('vault.cvv_not_storable');

    let deep: unknown = { cvv: '1' };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    expect(appError(() => assertNoCardVerificationCode(deep)).code).toBe('vault.cvv_not_storable');
  });
});
