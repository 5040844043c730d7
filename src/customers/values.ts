/**
 * Checking and normalizing a field value by its type, before anything is stored. Pure: no keys,
 * no I/O. Each value has one canonical text form, which is what is encrypted (or kept in clear
 * for the public and internal classes), so that equal values compare equal after decryption.
 *
 * A refused value is a `customers.invalid_value` (400) naming the field, its type and a reason
 * code; the value itself is never repeated, not even in part.
 *
 * @example
 * ```ts
 * normalizeFieldValue('phone', 'phone', '612 34 56 78', { defaultPhoneCountry: 'ES' }); // { text: '+34612345678' }
 * normalizeFieldValue('card', 'card_token', '4111 1111 1111 1111'); // { pan: '4111111111111111' } (the service tokenizes it)
 * normalizeFieldValue('birth_date', 'date', '1984-02-30'); // throws customers.invalid_value, reason 'range'
 * ```
 */
import { AppError, isAppError } from '../platform/errors.js';
// The vault's normalizers (vault/index.ts does not export them yet): a value must be stored in
// exactly the form the vault's blind index normalizes to, or a search could find a candidate
// and then fail to confirm it.
import { luhnValid, parsePan } from '../vault/card-token.js';
import { normalizeDocument, normalizeEmail, normalizePhone, type PhoneCountry } from '../vault/normalize.js';
import { CustomerErrors } from './errors.js';
import type { FieldType } from './fields.js';

/** Why a value is refused (`details.reason` of `customers.invalid_value`). */
export type ValueProblem = 'type' | 'empty' | 'length' | 'format' | 'checksum' | 'range' | 'card_number';

/** A structured postal address, as the vault's masking reads it (the city is what it shows). */
export interface PostalAddress {
  readonly street?: string;
  readonly number?: string;
  readonly city: string;
  readonly region?: string;
  readonly postalCode?: string;
  readonly country?: string;
}

/** A value as callers read it back: text, or a structured address. */
export type FieldValue = string | PostalAddress;

/** What a value becomes: its canonical text, or a card number still to be tokenized. */
export type NormalizedValue = { readonly text: string; readonly pan?: undefined } | { readonly pan: string; readonly text?: undefined };

export interface NormalizeOptions {
  /** Country assumed for phone numbers written without an international prefix. */
  readonly defaultPhoneCountry?: PhoneCountry | undefined;
}

export const NAME_MAX = 200;
export const FREE_TEXT_MAX = 2000;

const ADDRESS_LIMITS = { street: 200, number: 20, city: 100, region: 100, postalCode: 20, country: 2 } as const;
const ADDRESS_MEMBERS = Object.keys(ADDRESS_LIMITS) as (keyof typeof ADDRESS_LIMITS)[];

export function invalidValue(field: string, type: FieldType, reason: ValueProblem, detail?: string): AppError {
  return new AppError(CustomerErrors.invalid_value, { detail: `${field}: ${detail ?? REASON_TEXT[reason]}`, details: { field, fieldType: type, reason } });
}

const REASON_TEXT: Record<ValueProblem, string> = {
  type: 'wrong JSON type for this field',
  empty: 'the value is empty',
  length: 'the value is too long',
  format: 'the value does not have the format of this field type',
  checksum: 'the check digit is wrong',
  range: 'the value is out of range',
  card_number: 'the value contains what looks like a card number; card numbers go only in card_token fields',
};

/**
 * Text with anything like a card number in it (13 to 19 digits, spaces or hyphens allowed between
 * them, passing Luhn): refused in names, free text, addresses and numbers, so that a card number typed in
 * the wrong field is not kept where no token replaces it (PCI DSS 3.4.1). Random 13 to 19 digit
 * references pass Luhn one time in ten: the refusal then tells the sender why.
 */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(/(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g)) {
    if (luhnValid(match[0].replace(/[ -]/g, ''))) return true;
  }
  return false;
}

/** Trimmed, NFC, inner whitespace runs collapsed; undefined when it has control characters. */
function cleanLine(value: string): string | undefined {
  const text = value.normalize('NFC').trim().replace(/\s+/gu, ' ');
  return /\p{C}/u.test(text) ? undefined : text;
}

function normalizeName(field: string, input: unknown): NormalizedValue {
  if (typeof input !== 'string') throw invalidValue(field, 'name', 'type');
  if (input.length > NAME_MAX * 4) throw invalidValue(field, 'name', 'length');
  const text = cleanLine(input);
  if (text === undefined) throw invalidValue(field, 'name', 'format', 'a name has no control characters');
  if (text.length === 0) throw invalidValue(field, 'name', 'empty');
  if (text.length > NAME_MAX) throw invalidValue(field, 'name', 'length');
  if (!/\p{L}/u.test(text)) throw invalidValue(field, 'name', 'format', 'a name has at least one letter');
  if (containsCardNumber(text)) throw invalidValue(field, 'name', 'card_number');
  return { text };
}

function normalizeFreeText(field: string, input: unknown): NormalizedValue {
  if (typeof input !== 'string') throw invalidValue(field, 'free_text', 'type');
  if (input.length > FREE_TEXT_MAX * 4) throw invalidValue(field, 'free_text', 'length');
  // Line breaks and tabs are text; other control and format characters (bidirectional overrides,
  // zero-width joiners) only serve to make text look like something it is not.
  const text = input.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  if (/[^\P{C}\n\t]/u.test(text)) throw invalidValue(field, 'free_text', 'format', 'free text has no control characters other than line breaks and tabs');
  if (text.length === 0) throw invalidValue(field, 'free_text', 'empty');
  if (text.length > FREE_TEXT_MAX) throw invalidValue(field, 'free_text', 'length');
  if (containsCardNumber(text)) throw invalidValue(field, 'free_text', 'card_number');
  return { text };
}

/** The vault's normalizers throw `vault.invalid_value` with a client-safe detail: kept, re-coded. */
function viaVault(field: string, type: 'phone' | 'email' | 'document', input: unknown, normalize: (v: unknown) => string, maxInput: number): NormalizedValue {
  if (typeof input !== 'string') throw invalidValue(field, type, 'type');
  if (input.trim().length === 0) throw invalidValue(field, type, 'empty');
  if (input.length > maxInput) throw invalidValue(field, type, 'length');
  try {
    return { text: normalize(input) };
  } catch (error) {
    if (isAppError(error)) throw invalidValue(field, type, /too long/.test(error.detail) ? 'length' : 'format', error.detail.charAt(0).toLowerCase() + error.detail.slice(1));
    throw error;
  }
}

function normalizeAddress(field: string, input: unknown): NormalizedValue {
  let value: unknown = input;
  // CSV cells carry the address as JSON text; JSON bodies and lines as an object.
  if (typeof input === 'string') {
    if (input.length > 2048) throw invalidValue(field, 'address', 'length');
    try {
      value = JSON.parse(input);
    } catch {
      throw invalidValue(field, 'address', 'format', 'an address is a JSON object with city and optionally street, number, region, postalCode, country');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(field, 'address', 'type');
  const source = value as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const name of Object.keys(source)) {
    if (!(ADDRESS_MEMBERS as string[]).includes(name)) throw invalidValue(field, 'address', 'format', 'an address has only street, number, city, region, postalCode and country');
  }
  for (const name of ADDRESS_MEMBERS) {
    const member = source[name];
    if (member === undefined || member === null) continue;
    if (typeof member !== 'string') throw invalidValue(field, 'address', 'type');
    if (member.length > ADDRESS_LIMITS[name] * 4) throw invalidValue(field, 'address', 'length');
    const text = cleanLine(member);
    if (text === undefined) throw invalidValue(field, 'address', 'format', 'an address has no control characters');
    if (text.length === 0) continue;
    if (text.length > ADDRESS_LIMITS[name]) throw invalidValue(field, 'address', 'length', `the ${name} is too long`);
    if (containsCardNumber(text)) throw invalidValue(field, 'address', 'card_number');
    out[name] = name === 'country' ? text.toUpperCase() : text;
  }
  if (out.city === undefined) throw invalidValue(field, 'address', 'empty', 'an address needs a city');
  if (out.country !== undefined && !/^[A-Z]{2}$/.test(out.country)) throw invalidValue(field, 'address', 'format', 'the country is an ISO 3166-1 alpha-2 code');
  // Members in one fixed order: one address, one text.
  const canonical: Record<string, string> = {};
  for (const name of ADDRESS_MEMBERS) if (out[name] !== undefined) canonical[name] = out[name];
  return { text: JSON.stringify(canonical) };
}

function normalizeDate(field: string, input: unknown): NormalizedValue {
  if (typeof input !== 'string') throw invalidValue(field, 'date', 'type');
  const text = input.trim();
  if (text.length === 0) throw invalidValue(field, 'date', 'empty');
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  if (m === null) throw invalidValue(field, 'date', 'format', 'a date is written YYYY-MM-DD');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not, but no year below 1000 is valid here anyway.
  if (y < 1000 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) throw invalidValue(field, 'date', 'range', 'no such calendar date');
  return { text };
}

/** Integers and decimals up to 15 integer and 6 fractional digits: exact in a double and in text. */
function normalizeNumber(field: string, input: unknown): NormalizedValue {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw invalidValue(field, 'number', 'range');
    text = String(input);
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    throw invalidValue(field, 'number', 'type');
  }
  if (text.length === 0) throw invalidValue(field, 'number', 'empty');
  const m = /^([+-]?)([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (m === null) throw invalidValue(field, 'number', 'format', 'a number is written with digits, an optional sign and an optional decimal point');
  const integer = (m[2] ?? '').replace(/^0+(?=[0-9])/, '');
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  if (integer.length > 15 || fraction.length > 6) throw invalidValue(field, 'number', 'range', 'at most 15 digits before the decimal point and 6 after');
  // 13 to 15 integer digits passing Luhn could be a card number.
  if (containsCardNumber(integer)) throw invalidValue(field, 'number', 'card_number');
  const zero = integer === '0' && fraction === '';
  return { text: `${m[1] === '-' && !zero ? '-' : ''}${integer}${fraction === '' ? '' : `.${fraction}`}` };
}

function normalizeCard(field: string, input: unknown): NormalizedValue {
  if (typeof input !== 'string') throw invalidValue(field, 'card_token', 'type');
  if (input.trim().length === 0) throw invalidValue(field, 'card_token', 'empty');
  try {
    return { pan: parsePan(input) };
  } catch (error) {
    if (isAppError(error)) {
      const reason = error.details?.reason;
      throw invalidValue(field, 'card_token', reason === 'checksum' ? 'checksum' : reason === 'length' ? 'length' : 'format', 'a card number has 13 to 19 digits (spaces or hyphens between them allowed) and passes the Luhn check');
    }
    throw error;
  }
}

/**
 * Checks `input` against `type` and returns its canonical form. `field` only names the field in
 * the error. A card number comes back as `pan`: the caller tokenizes it in its transaction and
 * stores the token, never the number.
 */
export function normalizeFieldValue(field: string, type: FieldType, input: unknown, options: NormalizeOptions = {}): NormalizedValue {
  switch (type) {
    case 'name':
      return normalizeName(field, input);
    case 'free_text':
      return normalizeFreeText(field, input);
    case 'phone':
      return viaVault(field, 'phone', input, (v) => normalizePhone(v, options.defaultPhoneCountry), 64);
    case 'email':
      return viaVault(field, 'email', input, normalizeEmail, 1016);
    case 'document':
      return viaVault(field, 'document', input, normalizeDocument, 64);
    case 'address':
      return normalizeAddress(field, input);
    case 'date':
      return normalizeDate(field, input);
    case 'number':
      return normalizeNumber(field, input);
    case 'card_token':
      return normalizeCard(field, input);
  }
}

/** The stored text of a value, as callers read it: addresses become objects again. */
export function parseStoredValue(type: FieldType, text: string): FieldValue {
  if (type !== 'address') return text;
  return JSON.parse(text) as PostalAddress;
}
