/**
 * Card numbers (PANs) on their way into the vault: strict parsing, the Luhn check, the
 * format-preserving surrogate that stands in for a PAN everywhere outside the vault, and the
 * guard that refuses card security codes.
 *
 * Pure functions: the encrypted PAN and its token are stored by the vault service, not here.
 *
 * @example
 * ```ts
 * const pan = parsePan('4111 1111 1111 1111'); // '4111111111111111'
 * const token = makeCardToken(pan, { keepFirstSix: true }); // e.g. '4111118302741111'
 * luhnValid(token); // false, always
 * assertNoCardVerificationCode({ pan: '4111…', cvv: '123' }); // throws vault.cvv_not_storable
 * ```
 */
import { randomInt } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { VaultErrors } from './errors.js';

/** ISO/IEC 7812-1: a PAN has at most 19 digits; the shortest in use have 13 (old Visa). */
export const PAN_MIN_DIGITS = 13;
export const PAN_MAX_DIGITS = 19;
/** Longest card-number input accepted, separators included (19 digits, one separator each). */
export const PAN_INPUT_MAX = 40;

const PAN_INPUT = /^[0-9][0-9 -]*$/;

function invalidCard(reason: 'format' | 'length' | 'checksum'): AppError {
  // Never the digits, not even some of them: this error reaches clients and logs.
  return new AppError(VaultErrors.invalid_card_number, { details: { reason } });
}

/**
 * The Luhn (mod 10) check of ISO/IEC 7812-1, Annex B. Returns false for anything that is not a
 * non-empty string of ASCII digits.
 */
export function luhnValid(digits: string): boolean {
  if (typeof digits !== 'string' || !/^[0-9]+$/.test(digits)) return false;
  return luhnSum(digits) % 10 === 0;
}

/** Luhn weight of digit `d` at position `fromRight` (0 = the check digit). */
function luhnWeight(d: number, fromRight: number): number {
  if (fromRight % 2 === 0) return d;
  const doubled = d * 2;
  return doubled > 9 ? doubled - 9 : doubled;
}

function luhnSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    sum += luhnWeight(digits.charCodeAt(digits.length - 1 - i) - 48, i);
  }
  return sum;
}

/**
 * Parses a card number typed or pasted by a person: ASCII digits, optionally separated by spaces
 * or hyphens (`4111 1111-1111 1111`), 13 to 19 digits, passing the Luhn check. Returns the digits.
 *
 * @throws AppError `vault.invalid_card_number` (400) with `details.reason` `format`, `length` or
 *   `checksum`, never the digits.
 */
export function parsePan(input: unknown): string {
  if (typeof input !== 'string') throw invalidCard('format');
  const trimmed = input.trim();
  if (trimmed.length > PAN_INPUT_MAX) throw invalidCard('length');
  if (!PAN_INPUT.test(trimmed)) throw invalidCard('format');
  const digits = trimmed.replace(/[ -]/g, '');
  if (digits.length < PAN_MIN_DIGITS || digits.length > PAN_MAX_DIGITS) throw invalidCard('length');
  if (!luhnValid(digits)) throw invalidCard('checksum');
  return digits;
}

export interface CardTokenOptions {
  /**
   * Keep the first six digits (the issuer identification number) as well as the last four, as
   * PCI DSS v4.0 requirement 3.4.1 allows for display. Useful to route or recognise the card
   * brand from the token; off by default, which reveals less.
   */
  readonly keepFirstSix?: boolean;
}

/**
 * A format-preserving surrogate for a PAN: same length, all digits, the last four kept (and the
 * first six when asked), every other digit drawn from the CSPRNG (`crypto.randomInt`).
 *
 * The token always FAILS the Luhn check, so it can never be mistaken for, or accepted by a
 * payment system as, a real card number; and since the PAN passes Luhn, the token can never equal
 * it. One middle digit is chosen uniformly among the nine values that break the checksum (for any
 * position, exactly one of the ten digits makes the Luhn sum a multiple of ten), so tokens are
 * uniform over all Luhn-invalid numbers with the kept digits.
 *
 * A token is not derived from the PAN (it is not a hash or an encryption of it): it reveals
 * nothing beyond the kept digits, and two tokens of one PAN differ. Uniqueness across PANs is the
 * store's job (a unique constraint and a retry): a 13-digit PAN with `keepFirstSix` leaves only
 * 3 random digits, so 900 possible tokens per first-six/last-four pair.
 *
 * @param pan A card number; parsed with {@link parsePan} (throws `vault.invalid_card_number`).
 */
export function makeCardToken(pan: string, options: CardTokenOptions = {}): string {
  const digits = parsePan(pan);
  const keepFirstSix = options.keepFirstSix === true;
  const start = keepFirstSix ? 6 : 0;
  const end = digits.length - 4;
  const token = digits.split('').map((c) => c.charCodeAt(0) - 48);
  for (let i = start; i < end; i++) token[i] = randomInt(10);
  // Fix the last random position so that the Luhn sum is NOT a multiple of ten.
  const fixed = end - 1;
  const fromRight = digits.length - 1 - fixed;
  token[fixed] = 0;
  let sumWithoutFixed = 0;
  for (let i = 0; i < token.length; i++) {
    if (i !== fixed) sumWithoutFixed += luhnWeight(token[i] ?? 0, digits.length - 1 - i);
  }
  // The one digit that would make the number Luhn-valid; weight is a bijection on 0..9.
  let forbidden = 0;
  while ((sumWithoutFixed + luhnWeight(forbidden, fromRight)) % 10 !== 0) forbidden++;
  const pick = randomInt(9);
  token[fixed] = pick >= forbidden ? pick + 1 : pick;
  const out = token.join('');
  // Both hold by construction; checked anyway because a mistake here would be a real card number.
  if (luhnValid(out) || out === digits || out.length !== digits.length) {
    throw new Error('makeCardToken: internal invariant violated');
  }
  return out;
}

/**
 * Names of fields that hold a card verification code (CVV2, CVC2, CID, CAV2...), which PCI DSS
 * v4.0 requirement 3.3.1.2 forbids storing after authorization (and Custodia never stores at
 * all: the value goes from the caller's keypad to the gateway adapter and nowhere else).
 *
 * The rule, applied to a field name:
 * 1. Fold it: Unicode NFKD, drop combining marks (so `código` = `codigo`), lowercase, and drop
 *    every character that is not `a-z` or `0-9` (so `security_code`, `Security-Code`,
 *    `securityCode` and `código de seguridad` compare as `securitycode`/`codigodeseguridad`).
 * 2. It names a card verification code when the folded name:
 *    - contains `cvv` or `cvc` (no ordinary word does: catches `cvv2`, `cardCvv`, `cvc_code`), or
 *    - equals one of the short codes that do occur inside other words: `cid`, `cav`, `cav2`,
 *      `cvn`, `cvn2`, `cvd`, `csc`, `cvk`, or
 *    - contains one of the long names, in English, Spanish and Portuguese:
 *      `securitycode`, `cardverification`, `cardsecurity`, `cardcode`, `verificationvalue`,
 *      `codigodeseguridad`, `codigoseguridad`, `codseguridad`, `codigodeseguranca`,
 *      `codigoseguranca`, `codseguranca`, `codigoverificador`, `codigodeverificador`.
 *
 * Deliberately not matched: `verificationCode` and `código de verificación` alone, which in
 * this product name one-time passcodes (capability 4), and `pin` (a different secret with its
 * own rule, PCI DSS 3.3.1.3, not handled here). The rule errs towards refusing: a false positive
 * is a loud 400 during integration, a false negative would be a stored CVV.
 */
export function isCardVerificationCodeField(name: string): boolean {
  const folded = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  if (folded.includes('cvv') || folded.includes('cvc')) return true;
  if (SHORT_NAMES.has(folded)) return true;
  return LONG_NAMES.some((n) => folded.includes(n));
}

const SHORT_NAMES = new Set(['cid', 'cav', 'cav2', 'cvn', 'cvn2', 'cvd', 'csc', 'cvk']);
const LONG_NAMES = [
  'securitycode',
  'cardverification',
  'cardsecurity',
  'cardcode',
  'verificationvalue',
  'codigodeseguridad',
  'codigoseguridad',
  'codseguridad',
  'codigodeseguranca',
  'codigoseguranca',
  'codseguranca',
  'codigoverificador',
  'codigodeverificador',
];

/**
 * Refuses to go on when a record about to be stored carries a card verification code: throws
 * `vault.cvv_not_storable` (400) if any key, at any depth (nested objects and arrays), is a
 * card-verification-code field by {@link isCardVerificationCodeField}, whatever its value (even
 * empty or null: the field has no business in a stored record).
 *
 * The error names neither the key nor the value: a key is client input too, and could carry the
 * code itself (`{"cvv:123": true}`). Walks iteratively, so a deeply nested body cannot exhaust the
 * stack; shared or cyclic references are visited once.
 */
export function assertNoCardVerificationCode(record: unknown): void {
  const stack: unknown[] = [record];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (isCardVerificationCodeField(key)) throw new AppError(VaultErrors.cvv_not_storable);
      stack.push((value as Record<string, unknown>)[key]);
    }
  }
}

/**
 * Guard for a single named field: throws `vault.cvv_not_storable` when `fieldName` names a card
 * verification code. For vault field definitions and write paths that handle one field at a time.
 */
export function assertStorableFieldName(fieldName: string): void {
  if (isCardVerificationCodeField(fieldName)) throw new AppError(VaultErrors.cvv_not_storable);
}
