/**
 * Values for the synthetic evaluation corpus, with their check digits computed here, from the
 * published algorithms, independently of src/documents and of the detectors: the gold labels must
 * not come from the code under test. Hard negatives are drawn the same way and rejected until they
 * fail every checksum that could make them personal data.
 */

import { seededRandom } from '../../platform/seeded-random.js';

/** mulberry32: small, fast, seedable; deterministic across platforms. */
export class Prng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  letters(n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

export function luhnOk(d: string): boolean {
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
  }
  return sum % 10 === 0;
}

function luhnComplete(partial: string): string {
  for (let c = 0; c <= 9; c++) if (luhnOk(partial + c)) return partial + c;
  throw new Error('unreachable');
}

export type CardBrand = 'visa' | 'mastercard' | 'mastercard2' | 'amex' | 'discover' | 'diners' | 'jcb' | 'elo' | 'hipercard' | 'maestro' | 'unionpay';

export function cardNumber(r: Prng, brand: CardBrand = r.pick(['visa', 'visa', 'visa', 'mastercard', 'mastercard', 'mastercard2', 'amex', 'discover', 'diners', 'jcb', 'elo', 'hipercard', 'maestro', 'unionpay'])): { digits: string; brand: CardBrand } {
  let prefix: string;
  let len = 16;
  switch (brand) {
    case 'visa':
      prefix = '4';
      len = r.pick([16, 16, 16, 16, 16, 13, 19]);
      break;
    case 'mastercard':
      prefix = String(r.int(51, 55));
      break;
    case 'mastercard2':
      prefix = String(r.int(2221, 2720));
      break;
    case 'amex':
      prefix = r.pick(['34', '37']);
      len = 15;
      break;
    case 'discover':
      prefix = r.pick(['6011', '65', String(r.int(644, 649))]);
      break;
    case 'diners':
      prefix = r.pick(['36', '38', String(r.int(300, 305))]);
      len = 14;
      break;
    case 'jcb':
      prefix = String(r.int(3528, 3589));
      break;
    case 'elo':
      prefix = r.pick(['636368', '438935', '504175', '451416', '509048', '650031']);
      break;
    case 'hipercard':
      prefix = '606282';
      break;
    case 'maestro':
      prefix = r.pick(['5018', '5020', '5038', '6304', '6759', '6761']);
      len = r.pick([16, 19]);
      break;
    case 'unionpay':
      prefix = '62' + String(r.int(0, 9));
      len = r.pick([16, 19]);
      break;
  }
  return { digits: luhnComplete(prefix + r.digits(len - prefix.length - 1)), brand };
}

export function formatCard(r: Prng, digits: string, sepStyle: 'space' | 'dash' | 'none' | 'nbsp' = r.pick(['space', 'space', 'space', 'dash', 'none', 'none', 'nbsp'])): string {
  const sep = sepStyle === 'space' ? ' ' : sepStyle === 'dash' ? '-' : sepStyle === 'nbsp' ? '\u00a0' : '';
  if (sep === '') return digits;
  let groups: number[];
  if (digits.length === 15) groups = [4, 6, 5];
  else if (digits.length === 14) groups = [4, 6, 4];
  else groups = [];
  if (groups.length === 0) {
    for (let i = 0; i < digits.length; i += 4) groups.push(Math.min(4, digits.length - i));
  }
  const out: string[] = [];
  let p = 0;
  for (const g of groups) {
    out.push(digits.slice(p, p + g));
    p += g;
  }
  return out.join(sep);
}

/** A card-shaped number (issuer-like prefix, card length) that fails Luhn: the worst hard negative. */
export function nonCardDigits(r: Prng, len = r.pick([13, 15, 16, 16, 16, 19])): string {
  for (;;) {
    const d = r.pick(['4', '5', '6', '3', '1', '8', '9', '2']) + r.digits(len - 1);
    if (!luhnOk(d)) return d;
  }
}

function mod11Cpf(base: string): number {
  let sum = 0;
  for (let i = 0; i < base.length; i++) sum += (base.charCodeAt(i) - 48) * (base.length + 1 - i);
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

export function cpfOk(d: string): boolean {
  if (!/^[0-9]{11}$/.test(d) || /^(\d)\1{10}$/.test(d)) return false;
  const a = mod11Cpf(d.slice(0, 9));
  const b = mod11Cpf(d.slice(0, 9) + a);
  return d === d.slice(0, 9) + a + b;
}

export function cpf(r: Prng): string {
  for (;;) {
    const base = r.digits(9);
    const a = mod11Cpf(base);
    const d = base + a + mod11Cpf(base + a);
    if (cpfOk(d)) return d;
  }
}

function cnpjDigit(base: string): number {
  const weights = base.length === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < base.length; i++) sum += (base.charCodeAt(i) - 48) * (weights[i] as number);
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

export function cnpjOk(d: string): boolean {
  if (!/^[0-9]{14}$/.test(d) || /^(\d)\1{13}$/.test(d)) return false;
  const a = cnpjDigit(d.slice(0, 12));
  return d === d.slice(0, 12) + a + cnpjDigit(d.slice(0, 12) + a);
}

export function cnpj(r: Prng): string {
  const base = r.digits(8) + r.pick(['0001', '0001', '0002']);
  const a = cnpjDigit(base);
  return base + a + cnpjDigit(base + a);
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

export function dni(r: Prng): string {
  const n = r.int(1000000, 99999999);
  return String(n).padStart(8, '0') + DNI_LETTERS[n % 23];
}

export function nie(r: Prng): string {
  const lead = r.int(0, 2);
  const body = r.digits(7);
  return 'XYZ'[lead] + body + DNI_LETTERS[Number(String(lead) + body) % 23];
}

const CURP_CHARS = '0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ';
const CURP_STATES = ['AS', 'BC', 'CH', 'DF', 'JC', 'MC', 'NL', 'PL', 'QT', 'VZ', 'YN', 'GT', 'SL', 'SR'];

export function curp(r: Prng): string {
  const vowels = 'AEIOU';
  const consonants = 'BCDFGHJKLMNPQRSTVWXYZ';
  const year = r.int(1950, 2005);
  const month = r.int(1, 12);
  const day = r.int(1, 28);
  const head = r.letters(1, consonants) + r.letters(1, vowels) + r.letters(2, consonants);
  const date = String(year % 100).padStart(2, '0') + String(month).padStart(2, '0') + String(day).padStart(2, '0');
  const body = head + date + r.pick(['H', 'M']) + r.pick(CURP_STATES) + r.letters(3, consonants) + (year < 2000 ? String(r.int(0, 9)) : r.letters(1));
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CURP_CHARS.indexOf(body[i] as string) * (18 - i);
  return body + String((10 - (sum % 10)) % 10);
}

export function rutDv(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += (body.charCodeAt(body.length - 1 - i) - 48) * (2 + (i % 6));
  const v = 11 - (sum % 11);
  return v === 11 ? '0' : v === 10 ? 'K' : String(v);
}

export function rut(r: Prng): { body: string; dv: string } {
  const body = String(r.int(5000000, 25999999));
  return { body, dv: rutDv(body) };
}

export function cuit(r: Prng): string {
  const w = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  for (;;) {
    const base = r.pick(['20', '20', '23', '27', '27', '30']) + r.digits(8);
    let sum = 0;
    for (let i = 0; i < 10; i++) sum += (base.charCodeAt(i) - 48) * (w[i] as number);
    const v = 11 - (sum % 11);
    if (v === 10) continue;
    return base + (v === 11 ? '0' : String(v));
  }
}

export function nitDv(base: string): number {
  const w = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  let sum = 0;
  for (let i = 0; i < base.length; i++) sum += (base.charCodeAt(base.length - 1 - i) - 48) * (w[i] as number);
  const m = sum % 11;
  return m < 2 ? m : 11 - m;
}

export function nit(r: Prng): string {
  const base = r.pick(['800', '860', '890', '900', '901']) + r.digits(6);
  return base + nitDv(base);
}

export function ssn(r: Prng): string {
  for (;;) {
    const area = r.int(1, 899);
    if (area === 666) continue;
    return `${String(area).padStart(3, '0')}-${String(r.int(1, 99)).padStart(2, '0')}-${String(r.int(1, 9999)).padStart(4, '0')}`;
  }
}

const IBAN_FORMATS: Readonly<Record<string, string>> = {
  // BBAN layouts (n = digit, a = upper-case letter, c = alphanumeric), from the SWIFT IBAN registry.
  ES: 'nnnnnnnnnnnnnnnnnnnn',
  PT: 'nnnnnnnnnnnnnnnnnnnnn',
  DE: 'nnnnnnnnnnnnnnnnnn',
  FR: 'nnnnnnnnnncccccccccccnn',
  IT: 'annnnnnnnnncccccccccccc',
  GB: 'aaaannnnnnnnnnnnnn',
  NL: 'aaaannnnnnnnnn',
  BR: 'nnnnnnnnnnnnnnnnnnnnnnnac',
  BE: 'nnnnnnnnnnnn',
  IE: 'aaaannnnnnnnnnnnnn',
};

function mod97(s: string): number {
  let rem = 0;
  for (const ch of s) {
    const v = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem;
}

export function ibanOk(compact: string): boolean {
  return mod97(compact.slice(4) + compact.slice(0, 4)) === 1;
}

export function iban(r: Prng, country = r.pick(['ES', 'ES', 'ES', 'PT', 'PT', 'BR', 'DE', 'FR', 'IT', 'GB', 'NL', 'BE', 'IE'])): string {
  const layout = IBAN_FORMATS[country] as string;
  let bban = '';
  for (const k of layout) bban += k === 'n' ? r.digits(1) : k === 'a' ? r.letters(1) : r.chance(0.7) ? r.digits(1) : r.letters(1);
  const check = 98 - mod97(bban + country + '00');
  return country + String(check).padStart(2, '0') + bban;
}

export function groupIban(compact: string): string {
  return compact.replace(/(.{4})(?=.)/g, '$1 ');
}

export function bic(r: Prng): string {
  const banks = ['BSCH', 'CAIX', 'BBVA', 'SABB', 'CGDI', 'BCOM', 'ITAU', 'BRAS', 'NWBK', 'CHAS', 'DEUT', 'BNPA', 'BKCH', 'BCHI'];
  const countries = ['ES', 'ES', 'PT', 'BR', 'GB', 'US', 'DE', 'FR', 'CL', 'MX'];
  const loc = r.pick(['MM', 'BB', 'PL', 'SP', '2L', '33', 'FF', 'PP', 'RJ']);
  // Branch codes: ISO 9362's "primary office" code is three X letters.
  const primaryOffice = 'X'.repeat(3);
  return r.pick(banks) + r.pick(countries) + loc + (r.chance(0.4) ? r.pick([primaryOffice, '123', 'BCN', '001']) : '');
}
