import examples from 'libphonenumber-js/examples.mobile.json';
import { getCountries, getCountryCallingCode, getExampleNumber } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { luhnValid, makeCardToken } from './card-token.js';
import { DATE_MASK, FREE_TEXT_MASK, MASK_FIELD_TYPES, MASK_PLACEHOLDER, type MaskFieldType, maskValue } from './masking.js';
import { normalizePhone } from './normalize.js';
import { seededRandom } from '../platform/seeded-random.js';

const prng = seededRandom;

const digitsOf = (s: string): string => s.replace(/[^0-9]/g, '');

describe('maskValue: card_token', () => {
  it.each([
    ['4111111111111111', '**** **** **** 1111'],
    ['4111 1111 1111 1111', '**** **** **** 1111'],
    ['4111-1111-1111-1234', '**** **** **** 1234'],
    ['5555555555554444', '**** **** **** 4444'],
    ['378282246310005', '**** **** **** 0005'], // 15 digits: same layout, length hidden
    ['6011111111111117', '**** **** **** 1117'],
    ['3530111333300000', '**** **** **** 0000'],
    ['4222222222222', '**** **** **** 2222'], // 13 digits
    ['4000000000000000006', '**** **** **** 0006'], // 19 digits
    [' 4111 1111 1111 1111 ', '**** **** **** 1111'],
  ])('%j → %j', (input, masked) => {
    expect(maskValue('card_token', input)).toBe(masked);
  });

  it('masks tokens too, which fail Luhn by design', () => {
    const token = makeCardToken('4111111111111111', { keepFirstSix: true });
    expect(luhnValid(token)).toBe(false);
    expect(maskValue('card_token', token)).toBe('**** **** **** 1111');
  });

  it.each([
    '411111111111', // 12 digits
    '41111111111111111111', // 20 digits
    '4111.1111.1111.1111',
    '4111111111111111x',
    'card 4111111111111111',
    '',
    '----',
    '４１１１１１１１１１１１１１１１',
  ])('masks the odd value %j to the placeholder', (input) => {
    expect(maskValue('card_token', input)).toBe(MASK_PLACEHOLDER);
  });

  it('shows only the last four digits of 10,000 random 13-19 digit numbers', () => {
    const random = prng(0xca4d);
    for (let n = 0; n < 10_000; n++) {
      const length = 13 + (n % 7);
      let pan = '';
      for (let i = 0; i < length; i++) pan += String(Math.floor(random() * 10));
      const spaced = n % 3 === 0 ? pan.replace(/(\d{4})(?=\d)/g, '$1 ') : pan;
      const masked = maskValue('card_token', spaced);
      expect(masked).toBe(`**** **** **** ${pan.slice(-4)}`);
      expect(digitsOf(masked)).toBe(pan.slice(-4));
    }
  });
});

describe('maskValue: phone', () => {
  it.each([
    ['+573001234567', '+57 *** *** 4567'],
    ['+34612345678', '+34 *** *** 5678'],
    ['+34911234567', '+34 *** *** 4567'],
    ['+351912345678', '+351 *** *** 5678'],
    ['+5511912345678', '+55 *** *** 5678'],
    ['+525512345678', '+52 *** *** 5678'],
    ['+5491123456789', '+54 *** *** 6789'],
    ['+56961234567', '+56 *** *** 4567'],
    ['+51912345678', '+51 *** *** 5678'],
    ['+5112345678', '+51 *** *** 5678'],
    ['+12015550123', '+1 *** *** 0123'],
    ['+442079460958', '+44 *** *** 0958'],
    ['+57 300 123 4567', '+57 *** *** 4567'], // formatted input
    ['+34 612 34 56 78 ext 12', '+34 *** *** 5678'], // the extension is not shown
  ])('%j → %j', (input, masked) => {
    expect(maskValue('phone', input)).toBe(masked);
  });

  it.each([
    '612 34 56 78', // national: no country to show
    '3001234567',
    '+34 12', // too short
    '+999 1234567', // no such country code
    '+12',
    'call +34612345678',
    'not a phone',
    '',
  ])('masks the odd value %j to the placeholder', (input) => {
    expect(maskValue('phone', input)).toBe(MASK_PLACEHOLDER);
  });

  it('shows only the calling code and last four digits of every country\'s example mobile number', () => {
    let checked = 0;
    for (const country of getCountries()) {
      const example = getExampleNumber(country, examples);
      if (example === undefined || example.nationalNumber.length < 7) continue;
      const cc = getCountryCallingCode(country);
      const e164 = example.number;
      const masked = maskValue('phone', e164);
      expect(masked, country).toBe(`+${cc} *** *** ${e164.slice(-4)}`);
      expect(digitsOf(masked), country).toBe(`${cc}${e164.slice(-4)}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('never shows more than the calling code and last four digits of random numbers', () => {
    const random = prng(0x9407e);
    const codes = [...new Set(getCountries().map((c) => getCountryCallingCode(c)))];
    for (let n = 0; n < 5000; n++) {
      const cc = codes[Math.floor(random() * codes.length)] ?? '1';
      const length = 4 + Math.floor(random() * 11);
      let national = '';
      for (let i = 0; i < length; i++) national += String(Math.floor(random() * 10));
      const masked = maskValue('phone', `+${cc}${national}`);
      if (masked === MASK_PLACEHOLDER) continue;
      expect(masked).toMatch(/^\+\d{1,3} \*\*\* \*\*\* \d{4}$/);
      const [shownCc = ''] = masked.slice(1).split(' ');
      // The number's own digits beyond the calling code: only the last four appear.
      expect(digitsOf(masked).slice(shownCc.length)).toBe(national.slice(-4));
      expect(`${cc}${national}`.startsWith(shownCc)).toBe(true);
    }
  });

  it('masks what normalizePhone produces for each of our countries', () => {
    expect(maskValue('phone', normalizePhone('(11) 91234-5678', 'BR'))).toBe('+55 *** *** 5678');
    expect(maskValue('phone', normalizePhone('300 123 4567', 'CO'))).toBe('+57 *** *** 4567');
    expect(maskValue('phone', normalizePhone('9 11 2345-6789', 'AR'))).toBe('+54 *** *** 6789');
  });
});

describe('maskValue: email', () => {
  it.each([
    ['jane@example.com', 'j***@e******.com'],
    ['j@example.com', 'j***@e******.com'], // the local part's length is hidden
    ['jane.doe+pagos@example.com', 'j***@e******.com'],
    ['ana@gmail.com', 'a***@g****.com'],
    ['ana@mail.empresa.com.br', 'a***@m***************.br'],
    ['Jose@Correo.ES', 'J***@C*****.ES'],
    ['josé@bücher.de', 'j***@b*****.de'],
    ['ñandú@correo.es', 'ñ***@c*****.es'],
    ['ana@x.co', 'a***@x.co'],
    ['root@localhost', 'r***@l********'],
    ['ana@xn--bcher-kva.de', 'a***@x************.de'],
    ['  jane@example.com  ', 'j***@e******.com'],
  ])('%j → %j', (input, masked) => {
    expect(maskValue('email', input)).toBe(masked);
  });

  it.each([
    'jane',
    'jane@',
    '@example.com',
    'a@b@example.com',
    'jane@example..com',
    'jane@example.',
    'ja ne@example.com',
    'jane@example.4111111111111111', // a "TLD" that is a number is not shown
    'jane@example.c', // one-letter TLDs do not exist
    `jane@example.${'c'.repeat(64)}`,
    'jane@example.com\u0000',
    '',
  ])('masks the odd value %j to the placeholder', (input) => {
    expect(maskValue('email', input)).toBe(MASK_PLACEHOLDER);
  });

  it('shows at most two characters besides the top-level label', () => {
    const random = prng(0xe4a11);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789._-';
    const pick = (n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let n = 0; n < 2000; n++) {
      const local = pick(1 + Math.floor(random() * 20));
      const name = `x${pick(Math.floor(random() * 20))}`.replace(/\.+/g, 'y');
      const email = `${local}@${name}.com`;
      const masked = maskValue('email', email);
      expect(masked).toBe(`${local[0]}***@x${'*'.repeat(name.length - 1)}.com`);
      expect(masked.replace(/\*|@|\.com$/g, '')).toHaveLength(2);
    }
  });
});

describe('maskValue: document', () => {
  it.each([
    ['123.456.789-09', '********909'], // CPF
    ['12.345.678/0001-95', '***********195'], // CNPJ
    ['X-1234567-L', '******67L'], // NIE
    ['12345678Z', '******78Z'], // DNI
    ['12.345.678-k', '******78K'], // RUT, normalized before masking
    ['GOMC800101HDFRRN09', '***************N09'], // CURP
    ['123456', '***456'],
    ['12345', '*****'], // too short to show a part of it
    ['1', '*'],
  ])('%j → %j', (input, masked) => {
    expect(maskValue('document', input)).toBe(masked);
  });

  it.each(['', '123_456', '12#45', '1'.repeat(40), 'ñ12345'])('masks the odd value %j to the placeholder', (input) => {
    expect(maskValue('document', input)).toBe(MASK_PLACEHOLDER);
  });

  it('shows at most the last three characters, and at most half', () => {
    const random = prng(0xd0c);
    for (let n = 0; n < 2000; n++) {
      const length = 1 + Math.floor(random() * 32);
      let doc = '';
      for (let i = 0; i < length; i++) doc += '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'[Math.floor(random() * 34)];
      const masked = maskValue('document', doc);
      expect(masked).toHaveLength(doc.length);
      const shown = masked.replace(/\*/g, '');
      expect(shown.length).toBeLessThanOrEqual(Math.min(3, Math.floor(doc.length / 2)));
      expect(doc.endsWith(shown)).toBe(true);
    }
  });
});

describe('maskValue: name', () => {
  it.each([
    ['María José García', 'M. J. G.'],
    ['maría josé garcía', 'M. J. G.'],
    ['Ana', 'A.'],
    ['  João   Pedro\tSilva ', 'J. P. S.'],
    ['Ana Maria da Silva', 'A. M. S.'],
    ['José Luis de la Fuente', 'J. L. F.'],
    ['Juan Pérez y Gómez', 'J. P. G.'],
    ['Maria dos Santos', 'M. S.'],
    ['De la Cruz', 'D. C.'], // a leading particle is part of the surname
    ['Ana Da', 'A. D.'], // so is a trailing one
    ["O'Brien", 'O.'],
    ['Ángela Ñúñez', 'Á. Ñ.'],
    ['Jean-Luc Picard', 'J. P.'],
    ['Анна Петрова', 'А. П.'],
    ['Ana Bea Carla Dora Eva Fé Gil Hugo', 'A. B. C. D. E. F.'], // at most six initials
    ['Maria e Silva', 'M. S.'],
    ['Ana 4111111111111111', 'A.'], // words without letters are skipped
    ['Ana\u00a0Paz', 'A. P.'], // no-break space
  ])('%j → %j', (input, masked) => {
    expect(maskValue('name', input)).toBe(masked);
  });

  it.each(['', '   ', '123 456', '---'])('masks the odd value %j to the placeholder', (input) => {
    expect(maskValue('name', input)).toBe(MASK_PLACEHOLDER);
  });
});

describe('maskValue: address', () => {
  it.each([
    [{ street: 'Calle 93', number: '11-27', city: 'Bogotá', region: 'Cundinamarca', postalCode: '110221', country: 'CO' }, 'Bogotá'],
    [{ street: 'Rua Augusta', number: '1500', city: ' São Paulo ', postalCode: '01304-001' }, 'São Paulo'],
    [{ city: 'Madrid' }, 'Madrid'],
  ])('%j → %j', (input, masked) => {
    expect(maskValue('address', input)).toBe(masked);
  });

  it.each([
    [{ street: 'Gran Vía', number: '1' }],
    [{ street: 'Gran Vía', city: '' }],
    [{ city: '   ' }],
    [{ city: 28013 }],
    [{ city: '28013' }], // a "city" without letters is not shown
    [{ city: 'x'.repeat(101) }],
    [Object.create({ city: 'Inherited' }) as object],
    ['Gran Vía 1, 28013 Madrid'], // a string is not a structured address
    [['Madrid']],
    [null],
  ])('masks %j to the placeholder', (input) => {
    expect(maskValue('address', input)).toBe(MASK_PLACEHOLDER);
  });

  it('never shows the street, number or postal code', () => {
    const masked = maskValue('address', { street: 'Calle Mayor', number: '7', city: 'Lima', postalCode: '15001' });
    expect(masked).toBe('Lima');
  });
});

describe('maskValue: date', () => {
  it.each([
    ['1985-07-23', DATE_MASK],
    ['2000-02-29', DATE_MASK],
    ['1985-07-23T00:00:00Z', DATE_MASK],
    ['1985-07-23T10:20:30.123+02:00', DATE_MASK],
    [new Date('1985-07-23T00:00:00Z'), DATE_MASK],
    ['1985-13-01', MASK_PLACEHOLDER],
    ['1985-02-30', MASK_PLACEHOLDER],
    ['1900-02-29', MASK_PLACEHOLDER],
    ['23/07/1985', MASK_PLACEHOLDER],
    ['yesterday', MASK_PLACEHOLDER],
    [new Date(Number.NaN), MASK_PLACEHOLDER],
    [499_000_000_000, MASK_PLACEHOLDER],
  ] as [unknown, string][])('%j → %j', (input, masked) => {
    expect(maskValue('date', input)).toBe(masked);
  });

  it('shows no part of the date, not even the year', () => {
    expect(maskValue('date', '1985-07-23')).toBe('****-**-**');
    expect(maskValue('date', '1985-07-23')).not.toMatch(/\d/);
  });
});

describe('maskValue: free_text and number', () => {
  it('always redacts free text', () => {
    for (const value of ['Cliente llamó por su tarjeta 4111 1111 1111 1111', '', null, 42, { a: 1 }]) {
      expect(maskValue('free_text', value)).toBe(FREE_TEXT_MASK);
    }
  });

  it('shows nothing of a number', () => {
    for (const value of [1234.56, '1234.56', -1, 0, Number.NaN, 'x']) expect(maskValue('number', value)).toBe(MASK_PLACEHOLDER);
  });
});

describe('maskValue: odd input never throws and never echoes the input', () => {
  const odd: unknown[] = [
    undefined,
    null,
    true,
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    12345678901234n,
    Symbol('s'),
    () => 'fn',
    [],
    ['4111111111111111'],
    {},
    { toString: () => 'jane@example.com' },
    {
      get city(): string {
        throw new Error('getter throws');
      },
    },
    new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
        get() {
          throw new Error('trap');
        },
        has() {
          throw new Error('trap');
        },
        getOwnPropertyDescriptor() {
          throw new Error('trap');
        },
      },
    ),
    'x'.repeat(10_000),
    `${'4111 1111 1111 1111 '.repeat(100)}`,
    '\u0000\u0001\u0002',
    '\ud800', // lone surrogate
  ];

  it.each(MASK_FIELD_TYPES)('%s', (type) => {
    for (const value of odd) {
      let masked = '';
      expect(() => {
        masked = maskValue(type, value);
      }).not.toThrow();
      expect([MASK_PLACEHOLDER, FREE_TEXT_MASK]).toContain(masked);
    }
  });

  it('returns the placeholder for a type outside the union', () => {
    expect(maskValue('password' as MaskFieldType, 'hunter2')).toBe(MASK_PLACEHOLDER);
  });

  it('never contains a random string given to any type', () => {
    const random = prng(0x0dd);
    const alphabet = 'abcXYZ0123456789 .-@+/ñé';
    for (let n = 0; n < 3000; n++) {
      const length = 5 + Math.floor(random() * 30);
      let value = '';
      for (let i = 0; i < length; i++) value += alphabet[Math.floor(random() * alphabet.length)];
      for (const type of MASK_FIELD_TYPES) {
        const masked = maskValue(type, value);
        expect(masked.includes(value.trim()) && value.trim().length >= 5, `${type} ${JSON.stringify(value)} → ${masked}`).toBe(false);
      }
    }
  });
});
