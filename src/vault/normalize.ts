/**
 * Canonical forms of the values the vault finds customers by (phone, email, document number).
 *
 * A blind index is a keyed HMAC of a value, so two spellings of one value ("612 34 56 78" and
 * "+34612345678") only find each other if both are reduced to one canonical form first. Every
 * function here is pure (no keys, no I/O) and either returns that form or throws
 * `vault.invalid_value`; the error never repeats the value it was given.
 *
 * @example
 * ```ts
 * normalizePhone('(11) 91234-5678', 'BR'); // '+5511912345678'
 * normalizeEmail('  Jane.Doe@Example.COM '); // 'jane.doe@example.com'
 * normalizeDocument('123.456.789-09'); // '12345678909'
 * ```
 */
import { domainToUnicode } from 'node:url';
import { type CountryCode, isSupportedCountry, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { AppError } from '../platform/errors.js';
import { VaultErrors } from './errors.js';

/** Longest phone input accepted before parsing (formatting included). */
export const PHONE_INPUT_MAX = 64;
/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets. */
export const EMAIL_MAX = 254;
/** RFC 5321 §4.5.3.1.1. */
export const EMAIL_LOCAL_MAX = 64;
/** Longest document input accepted, separators included. */
export const DOCUMENT_INPUT_MAX = 64;
/**
 * Longest normalized document number. The longest identifiers we know of in our countries are
 * the Mexican CURP (18) and passport or foreigner numbers well under 20; 32 leaves room.
 */
export const DOCUMENT_MAX = 32;

export type PhoneCountry = CountryCode;

function invalid(kind: 'phone' | 'email' | 'document', detail: string): AppError {
  return new AppError(VaultErrors.invalid_value, { detail, details: { kind } });
}

/**
 * Reduces a phone number to E.164 (`+34612345678`) using libphonenumber-js with its complete
 * ("max") metadata, which checks the number against each country's numbering plan.
 *
 * International input (`+57 300 123 4567`, or `0034 612…` with a default country) is
 * accepted with any usual separators (spaces, dashes, dots, parentheses); national input (`612 34 56 78`, `(11) 91234-5678`) needs `defaultCountry`, the
 * ISO 3166-1 alpha-2 code of the country the number was collected in.
 *
 * Rejected with `vault.invalid_value` (400): not a string, longer than {@link PHONE_INPUT_MAX},
 * not a number (or a number inside other text), national without a default country, not valid in its numbering plan, or carrying
 * an extension (E.164 has no extensions; dropping one silently would make two different lines
 * index as one, so the caller decides).
 *
 * @throws TypeError when `defaultCountry` is not a supported country code (a caller mistake).
 */
export function normalizePhone(input: unknown, defaultCountry?: PhoneCountry): string {
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
    throw new TypeError('normalizePhone: unsupported default country');
  }
  if (typeof input !== 'string') throw invalid('phone', 'A phone number must be a string');
  if (input.length > PHONE_INPUT_MAX) throw invalid('phone', 'The phone number is too long');
  let parsed;
  try {
    // extract: false, so that a number is not fished out of surrounding text ("call +34 6…").
    parsed = parsePhoneNumberWithError(input.trim(), { defaultCountry, extract: false });
  } catch {
    // ParseError messages are constant (NOT_A_NUMBER, INVALID_COUNTRY, TOO_SHORT...), but they are
    // not ours to promise: answer with our own words.
    throw invalid('phone', 'Not a phone number, or a national number without a country');
  }
  if (parsed.ext !== undefined) throw invalid('phone', 'Phone numbers with an extension are not accepted');
  if (!parsed.isValid()) throw invalid('phone', 'Not a valid phone number');
  return parsed.number;
}

// Whitespace, controls and characters that cannot appear unquoted in an address (RFC 5322
// specials other than '.' and '@'). Quoted local parts are not supported: no contact center
// customer has one, and accepting them would need a real parser.
const EMAIL_FORBIDDEN = /[\s\p{Cc}\p{Cf}"(),:;<>[\\\]]/u;

/**
 * Trims, NFC-normalizes and lowercases an email address, with a loose syntax check: exactly one
 * `@`, a non-empty local part of at most 64 characters, a non-empty domain that is a valid
 * (possibly internationalized) host name, at most 254 characters in all, no spaces or controls.
 *
 * The domain is canonicalized with UTS #46 (`node:url`'s `domainToUnicode`), so
 * `jane@XN--BCHER-KVA.DE` and `jane@Bücher.de` both become `jane@bücher.de`.
 *
 * What it deliberately does not do: remove dots or `+tags` from the local part, or map
 * `googlemail.com` to `gmail.com`. Those equivalences hold for some providers only, and on any
 * other domain (a company's own server, most Latin American ISPs) `ana.paz@` and `anapaz@`, or
 * `ana+pagos@` and `ana@`, can be different people. Merging them would make a lookup by email
 * return another customer's record, which is worse than missing a match.
 *
 * Lowercasing the local part is the one liberty taken: RFC 5321 lets a server treat it as
 * case-sensitive, but no mail system our customers use does, and people type capitals at random.
 */
export function normalizeEmail(input: unknown): string {
  if (typeof input !== 'string') throw invalid('email', 'An email address must be a string');
  if (input.length > EMAIL_MAX * 4) throw invalid('email', 'The email address is too long');
  const value = input.trim().normalize('NFC').toLowerCase().normalize('NFC');
  if (value.length > EMAIL_MAX) throw invalid('email', 'The email address is too long');
  const at = value.indexOf('@');
  if (at < 0 || at !== value.lastIndexOf('@')) throw invalid('email', 'An email address has exactly one @');
  const local = value.slice(0, at);
  const domainInput = value.slice(at + 1);
  if (local.length === 0 || domainInput.length === 0) throw invalid('email', 'The email address is incomplete');
  if (local.length > EMAIL_LOCAL_MAX) throw invalid('email', 'The part before @ is too long');
  if (EMAIL_FORBIDDEN.test(value)) throw invalid('email', 'The email address contains characters that are not allowed');
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    throw invalid('email', 'The part before @ has misplaced dots');
  }
  const domain = domainToUnicode(domainInput);
  if (domain === '' || domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) {
    throw invalid('email', 'The domain of the email address is not valid');
  }
  const out = `${local}@${domain}`;
  if (out.length > EMAIL_MAX) throw invalid('email', 'The email address is too long');
  return out;
}

// Separators people and systems put inside identifiers: whitespace, dots, slashes, hyphen-minus
// and the Unicode dashes and minus sign that word processors substitute for it.
const DOCUMENT_SEPARATORS = /[\s./\\\-\u2010-\u2015\u2212]/gu;
const DOCUMENT_CHARS = /^[A-Za-z0-9]+$/;

/**
 * Reduces an identity-document number (CPF, CNPJ, DNI, NIE, RUT, CURP, cédula, passport...) to
 * uppercase ASCII letters and digits without separators: `123.456.789-09` → `12345678909`,
 * `x-1234567-l` → `X1234567L`, `12.345.678-k` → `12345678K`.
 *
 * NFKC folding first turns full-width characters (`１２３`) into ASCII. After removing whitespace,
 * dots, slashes, backslashes and dashes, anything but `A-Z`/`0-9` is rejected rather than
 * dropped, so that two different inputs cannot collapse into one index entry by accident.
 * Check digits are not verified here: that is the verification domain's job, per country; the
 * index only needs one spelling per number.
 *
 * Rejected with `vault.invalid_value` (400): not a string, longer than
 * {@link DOCUMENT_INPUT_MAX} before or {@link DOCUMENT_MAX} after normalization, empty, or with
 * other characters.
 */
export function normalizeDocument(input: unknown): string {
  if (typeof input !== 'string') throw invalid('document', 'A document number must be a string');
  if (input.length > DOCUMENT_INPUT_MAX) throw invalid('document', 'The document number is too long');
  const value = input.normalize('NFKC').replace(DOCUMENT_SEPARATORS, '');
  if (value.length === 0) throw invalid('document', 'The document number is empty');
  if (value.length > DOCUMENT_MAX) throw invalid('document', 'The document number is too long');
  if (!DOCUMENT_CHARS.test(value)) throw invalid('document', 'A document number has only letters, digits and separators');
  return value.toUpperCase();
}
