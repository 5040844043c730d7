/**
 * IBAN (ISO 13616-1) and BIC (ISO 9362) checks.
 *
 * IBAN: two-letter country prefix, two check digits, a BBAN whose length and structure the SWIFT
 * IBAN Registry fixes per country (./iban-registry.ts), and the ISO 7064 MOD 97-10 check: move
 * the first four characters to the end, replace each letter by 10..35, and the number must be 1
 * modulo 97. MOD 97-10 detects every single-character substitution and every transposition of
 * adjacent characters. Check digits 00, 01 and 99 are never produced (ISO 13616-1: 02..98), yet
 * 00 and 01 pass the modulus like 97 and 98 do, so they are refused explicitly.
 */
import { isIsoAlpha2 } from './countries.js';
import { IBAN_FORMATS } from './iban-registry.js';
import { DOCUMENT_INPUT_MAX } from './normalize.js';

export type IbanCheck =
  | { valid: true; normalized: string; country: string }
  | { valid: false; reason: 'format' | 'country' | 'length' | 'check_digit' };

/** Longest IBAN in the registry is 33 characters (RU); a few more allow for a longer future one. */
const IBAN_MAX = 34;
const IBAN_SHAPE = /^[A-Z]{2}[0-9]{2}[0-9A-Z]+$/;

const bbanPatterns = new Map<string, RegExp>();

/** Registry notation (`4!n4!a12!c`) to an anchored regular expression, compiled once per country. */
function bbanPattern(country: string, structure: string): RegExp {
  let pattern = bbanPatterns.get(country);
  if (pattern === undefined) {
    const classes: Record<string, string> = { n: '[0-9]', a: '[A-Z]', c: '[0-9A-Z]' };
    const body = structure.replace(/(\d+)!([nac])/g, (_m, count: string, kind: string) => `${classes[kind]}{${count}}`);
    pattern = new RegExp(`^${body}$`);
    bbanPatterns.set(country, pattern);
  }
  return pattern;
}

/** ISO 7064 MOD 97-10 over the rearranged IBAN; `iban` is already known to be digits and capitals. */
export function ibanMod97(iban: string): number {
  // The number is the BBAN then the first four characters, each letter written as two digits
  // (A = 10 ... Z = 35); its remainder is taken one digit (or letter) at a time, which never
  // leaves small integers.
  let remainder = 0;
  for (let k = 0; k < iban.length; k++) {
    const i = k + 4 < iban.length ? k + 4 : k + 4 - iban.length;
    const code = iban.charCodeAt(i);
    remainder = code >= 65 ? (remainder * 100 + code - 55) % 97 : (remainder * 10 + code - 48) % 97;
  }
  return remainder;
}

/**
 * Checks an IBAN typed in electronic (`DE89370400440532013000`) or print format
 * (`DE89 3704 0044 0532 0130 00`), in either case.
 *
 * @example
 * ```ts
 * ibanCheck('GB82 WEST 1234 5698 7654 32'); // { valid: true, normalized: 'GB82WEST12345698765432', country: 'GB' }
 * ibanCheck('GB82WEST12345698765431'); // { valid: false, reason: 'check_digit' }
 * ```
 */
export function ibanCheck(input: string): IbanCheck {
  if (typeof input !== 'string' || input.length > DOCUMENT_INPUT_MAX) return { valid: false, reason: 'format' };
  const iban = input.replace(/[\s-]/g, '').toUpperCase();
  if (iban.length > IBAN_MAX || !IBAN_SHAPE.test(iban)) return { valid: false, reason: 'format' };
  const country = iban.slice(0, 2);
  const format = IBAN_FORMATS[country];
  if (format === undefined) return { valid: false, reason: 'country' };
  if (iban.length !== format[0]) return { valid: false, reason: 'length' };
  if (!bbanPattern(country, format[1]).test(iban.slice(4))) return { valid: false, reason: 'format' };
  const checkDigits = iban.slice(2, 4);
  if (checkDigits === '00' || checkDigits === '01' || checkDigits === '99') return { valid: false, reason: 'check_digit' };
  if (ibanMod97(iban) !== 1) return { valid: false, reason: 'check_digit' };
  return { valid: true, normalized: iban, country };
}

export function isValidIban(s: string): boolean {
  return ibanCheck(s).valid;
}

const BIC_FORMAT = /^[A-Z]{4}([A-Z]{2})[0-9A-Z]{2}(?:[0-9A-Z]{3})?$/;

/**
 * ISO 9362 BIC: 4-letter institution code, ISO 3166-1 alpha-2 country, 2-character location,
 * optional 3-character branch (8 or 11 characters). `XK` (Kosovo) is accepted as a country
 * although it is a user-assigned code, because SWIFT issues BICs with it. A well-formed BIC may
 * still be unpublished: only the SWIFT BIC directory says whether it exists.
 *
 * ISO 9362:2014 lets the first four characters be digits too; no such BIC is in circulation,
 * and accepting them would make ordinary 8-character product codes look like BICs.
 */
export function isValidBic(s: string): boolean {
  if (typeof s !== 'string' || s.length > DOCUMENT_INPUT_MAX) return false;
  const match = BIC_FORMAT.exec(s.replace(/\s/g, '').toUpperCase());
  if (match === null) return false;
  const country = match[1] as string;
  return isIsoAlpha2(country) || country === 'XK';
}
