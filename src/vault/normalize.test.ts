import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.js';
import { VaultErrors } from './errors.js';
import { type PhoneCountry, normalizeDocument, normalizeEmail, normalizePhone } from './normalize.js';

/** Runs `fn`, expects a `vault.invalid_value` AppError, and returns it. */
function invalidValue(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.code).toBe(VaultErrors.invalid_value.code);
    expect(e.status).toBe(400);
    return e;
  }
  throw new Error('expected vault.invalid_value, nothing was thrown');
}

describe('normalizePhone', () => {
  // National formats as people write them in each country, with the E.164 form they denote.
  const national: [PhoneCountry, string, string][] = [
    ['ES', '612 34 56 78', '+34612345678'],
    ['ES', '612-345-678', '+34612345678'],
    ['ES', '91 123 45 67', '+34911234567'],
    ['ES', '0034 612 34 56 78', '+34612345678'],
    ['PT', '912 345 678', '+351912345678'],
    ['PT', '21 234 5678', '+351212345678'],
    ['BR', '(11) 91234-5678', '+5511912345678'],
    ['BR', '11 91234 5678', '+5511912345678'],
    ['BR', '(11) 2345-6789', '+551123456789'],
    ['BR', '(21) 98765-4321', '+5521987654321'],
    ['MX', '55 1234 5678', '+525512345678'],
    ['MX', '(55) 1234-5678', '+525512345678'],
    ['MX', '33 1234 5678', '+523312345678'],
    ['CO', '300 123 4567', '+573001234567'],
    ['CO', '601 234 5678', '+576012345678'],
    ['AR', '11 2345-6789', '+541123456789'],
    ['AR', '9 11 2345-6789', '+5491123456789'],
    // The domestic mobile form: trunk 0, area code, 15, subscriber number.
    ['AR', '011 15-2345-6789', '+5491123456789'],
    ['CL', '9 6123 4567', '+56961234567'],
    ['CL', '2 2123 4567', '+56221234567'],
    ['PE', '912 345 678', '+51912345678'],
    ['PE', '(01) 234 5678', '+5112345678'],
    ['US', '(201) 555-0123', '+12015550123'],
    ['US', '201.555.0123', '+12015550123'],
    ['US', '1 800 555 0199', '+18005550199'],
  ];
  it.each(national)('%s national %j → %s', (country, input, e164) => {
    expect(normalizePhone(input, country)).toBe(e164);
  });

  const international: [string, string][] = [
    ['+34 612 34 56 78', '+34612345678'],
    ['+34612345678', '+34612345678'],
    ['+34-612-34-56-78', '+34612345678'],
    ['  +34 612 34 56 78  ', '+34612345678'],
    ['+351 912 345 678', '+351912345678'],
    ['+55 (11) 91234-5678', '+5511912345678'],
    ['+52 55 1234 5678', '+525512345678'],
    ['+57 300 123 4567', '+573001234567'],
    ['+54 9 11 2345-6789', '+5491123456789'],
    ['+56 9 6123 4567', '+56961234567'],
    ['+51 912 345 678', '+51912345678'],
    ['+1 (201) 555-0123', '+12015550123'],
    ['+44 20 7946 0958', '+442079460958'],
  ];
  it.each(international)('international %j → %s', (input, e164) => {
    expect(normalizePhone(input)).toBe(e164);
  });

  it('ignores the default country for an international number', () => {
    expect(normalizePhone('+57 300 123 4567', 'ES')).toBe('+573001234567');
  });

  it('gives every spelling of one number the same form (the point of normalizing)', () => {
    const spellings = ['612 34 56 78', '612345678', '+34 612 34 56 78', '0034612345678', '+34-612-34-56-78', '612.34.56.78'];
    expect(new Set(spellings.map((s) => normalizePhone(s, 'ES')))).toEqual(new Set(['+34612345678']));
  });

  it('rejects a national number without a country', () => {
    invalidValue(() => normalizePhone('612 34 56 78'));
  });

  it.each([
    ['not a number', 'ES'],
    ['', 'ES'],
    ['   ', 'ES'],
    ['123', 'ES'],
    ['+34 612 34 56 78 99', undefined], // too long for Spain
    ['+34 (0) 612 345678', undefined], // no trunk 0 in Spain
    ['+1 555 555 5555', undefined], // 555 is not an assigned area code
    ['+999 1234567', undefined], // no such country calling code
    // Mexico dropped the mobile "1" after +52 in 2019; the numbering plan no longer has it.
    ['+52 1 55 1234 5678', undefined],
    ['call me at +34 612 34 56 78 please', undefined], // a number inside text is not a number
    ['612345678a', 'ES'],
    ['+34 612 34 56 78 ext 12', undefined], // extensions refused, not dropped
    ['+34 612 34 56 78 x12', undefined],
  ] as [string, PhoneCountry | undefined][])('rejects %j (%s)', (input, country) => {
    const error = invalidValue(() => normalizePhone(input, country));
    expect(error.details).toEqual({ kind: 'phone' });
  });

  it('rejects non-strings and overlong input', () => {
    for (const value of [null, undefined, 612345678, {}, ['+34612345678']]) invalidValue(() => normalizePhone(value, 'ES'));
    invalidValue(() => normalizePhone(`+34 612 34 56 78${' '.repeat(60)}`));
  });

  it('never repeats the number in the error', () => {
    const input = '+34 612 34 56 78 ext 12';
    const error = invalidValue(() => normalizePhone(input));
    const text = JSON.stringify({ message: error.message, detail: error.detail, details: error.details, title: error.title });
    expect(text).not.toContain('612');
    expect(text).not.toContain('5678');
  });

  it('treats an unsupported default country as a caller mistake (TypeError)', () => {
    expect(() => normalizePhone('612 34 56 78', 'XX' as PhoneCountry)).toThrow(TypeError);
  });
});

describe('normalizeEmail', () => {
  it.each([
    ['jane@example.com', 'jane@example.com'],
    ['  Jane.Doe@Example.COM ', 'jane.doe@example.com'],
    ['JOSE.PEREZ@EMPRESA.COM.MX', 'jose.perez@empresa.com.mx'],
    ['Ana+Pagos@Gmail.com', 'ana+pagos@gmail.com'],
    ['a@b', 'a@b'],
    ['o\'brien@example.ie', 'o\'brien@example.ie'],
    // NFC: "e" + combining acute (U+0301) and the precomposed "é" are one address.
    ['jose\u0301@correo.es', 'jos\u00e9@correo.es'],
    ['JOSÉ@CORREO.ES', 'josé@correo.es'],
    // UTS #46: the A-label (punycode) and U-label of a domain are one domain.
    ['maria@XN--BCHER-KVA.DE', 'maria@bücher.de'],
    ['maria@Bücher.de', 'maria@bücher.de'],
    // Full-width domain characters fold to ASCII.
    ['ana@ｅｘａｍｐｌｅ．ｃｏｍ', 'ana@example.com'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it('keeps dots and +tags: on most domains they are different mailboxes', () => {
    expect(normalizeEmail('ana.paz@empresa.com')).not.toBe(normalizeEmail('anapaz@empresa.com'));
    expect(normalizeEmail('ana+pagos@empresa.com')).not.toBe(normalizeEmail('ana@empresa.com'));
    expect(normalizeEmail('a.n.a@gmail.com')).toBe('a.n.a@gmail.com');
    expect(normalizeEmail('ana@googlemail.com')).toBe('ana@googlemail.com');
  });

  it.each([
    '',
    '   ',
    'jane',
    'jane@',
    '@example.com',
    'jane@@example.com',
    'jane@exa@mple.com',
    'ja ne@example.com',
    'jane@exa mple.com',
    'jane@example..com',
    'jane@.example.com',
    'jane@example.com.',
    '.jane@example.com',
    'jane.@example.com',
    'ja..ne@example.com',
    '"jane doe"@example.com',
    'jane@[192.0.2.1]',
    'Jane <jane@example.com>',
    'jane@example.com\u0000',
    'ja\u200bne@example.com', // zero-width space
    'jane@xn--zz.com', // not a valid A-label
    `${'a'.repeat(65)}@example.com`,
    `jane@${'a'.repeat(250)}.com`,
  ])('rejects %j', (input) => {
    const error = invalidValue(() => normalizeEmail(input));
    expect(error.details).toEqual({ kind: 'email' });
  });

  it('accepts 254 characters and rejects 255', () => {
    const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.com`; // 195
    const ok = `${'a'.repeat(254 - 1 - domain.length)}@${domain}`;
    expect(ok.length).toBe(254);
    expect(normalizeEmail(ok)).toBe(ok);
    invalidValue(() => normalizeEmail(`a${ok}`));
  });

  it('rejects non-strings and never repeats the address in the error', () => {
    for (const value of [null, undefined, 42, {}, ['a@b.c']]) invalidValue(() => normalizeEmail(value));
    const error = invalidValue(() => normalizeEmail('secret.person@@example.com'));
    expect(JSON.stringify([error.message, error.detail, error.details])).not.toContain('secret');
  });
});

describe('normalizeDocument', () => {
  it.each([
    ['123.456.789-09', '12345678909'], // CPF (Brazil)
    ['12.345.678/0001-95', '12345678000195'], // CNPJ (Brazil)
    ['12.ABC.345/01DE-35', '12ABC34501DE35'], // alphanumeric CNPJ (Brazil, from 2026)
    ['x-1234567-l', 'X1234567L'], // NIE (Spain)
    ['12345678z', '12345678Z'], // DNI (Spain)
    ['12.345.678-k', '12345678K'], // RUT (Chile)
    ['20-12345678-6', '20123456786'], // CUIT (Argentina)
    ['12.345.678', '12345678'], // DNI (Argentina)
    ['gomc800101hdfrrn09', 'GOMC800101HDFRRN09'], // CURP (Mexico)
    ['1.023.456.789', '1023456789'], // cédula (Colombia)
    ['123 45 6789', '123456789'], // SSN (United States)
    ['12345678 9 zz1', '123456789ZZ1'], // cartão de cidadão (Portugal)
    ['  pa 123\t456 ', 'PA123456'],
    ['AB\\1234', 'AB1234'],
    ['12\u2013345\u2014678\u2212k', '12345678K'], // en dash, em dash, minus sign
    ['１２３．４５６', '123456'], // full-width digits and dot
  ])('%j → %j', (input, expected) => {
    expect(normalizeDocument(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    '.-/ -',
    '123_456',
    '123,456',
    'ñ123456',
    '12345678\u00df', // ß would uppercase to SS
    '123#456',
    '1'.repeat(33),
    `${'1'.repeat(32)}-`.repeat(2),
    '1.'.repeat(33),
  ])('rejects %j', (input) => {
    const error = invalidValue(() => normalizeDocument(input));
    expect(error.details).toEqual({ kind: 'document' });
  });

  it('accepts 32 characters after normalization', () => {
    expect(normalizeDocument('1'.repeat(32))).toBe('1'.repeat(32));
  });

  it('rejects non-strings and never repeats the number in the error', () => {
    for (const value of [null, undefined, 12345678909, {}, ['1']]) invalidValue(() => normalizeDocument(value));
    const error = invalidValue(() => normalizeDocument('123.456.789_09'));
    expect(JSON.stringify([error.message, error.detail, error.details])).not.toMatch(/456|789/);
  });
});
