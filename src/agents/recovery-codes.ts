/**
 * Recovery codes: single-use codes an agent writes down when enrolling a second factor, to get in
 * when the authenticator is lost. Shown once; only their hashes are stored.
 *
 * A code is 16 characters of Crockford's base32 (digits and letters without I, L, O, U), printed
 * in groups of four: `7KQ2-M9XD-4TRB-0C8H`. 16 x 5 = 80 bits from the CSPRNG. Reading it back
 * forgives what people do when copying by hand: any case, spaces or dashes anywhere, and I/L read
 * as 1, O read as 0.
 *
 * Why SHA-256 and not Argon2: a slow hash protects low-entropy secrets (passwords) against
 * guessing after a database leak. An 80-bit random code has no such weakness: trying 2^80
 * candidates against a SHA-256 hash is out of reach for anyone, so a fast hash loses nothing, and
 * checking ten of them per login stays cheap. (The same reasoning as for invitation tokens.)
 *
 * @example
 * ```ts
 * const codes = newRecoveryCodes(); // show once
 * row.recoveryHashes = codes.map(hashRecoveryCode);
 *
 * const index = matchRecoveryCode(input, row.recoveryHashes);
 * if (index >= 0) consume(row, index); // atomically, so a code works only once
 * ```
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../platform/crypto.js';

/** Crockford's base32 alphabet: 0-9 and A-Z without I, L, O and U. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 16;
const CODE_BYTES = (CODE_CHARS * 5) / 8; // 10 bytes = 80 bits, exactly 16 symbols of 5 bits

/** How many codes to issue unless told otherwise. */
export const DEFAULT_RECOVERY_CODE_COUNT = 10;

function encode(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >>> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/**
 * `count` new codes, four groups of four characters joined by dashes, each from 80 fresh CSPRNG bits.
 *
 * @example
 * ```ts
 * newRecoveryCodes(2); // ['7KQ2-M9XD-4TRB-0C8H', 'W3NZ-1QYA-P6EV-J5GS']
 * ```
 */
export function newRecoveryCodes(count = DEFAULT_RECOVERY_CODE_COUNT): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > 100) throw new TypeError('count must be an integer in 1..100');
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const raw = encode(randomBytes(CODE_BYTES));
    codes.push(raw.match(/.{4}/g)!.join('-'));
  }
  return codes;
}

/**
 * The canonical 16 characters of a code as a person may have typed it, or undefined when it
 * cannot be one of ours. Uppercases, drops whitespace and dashes, reads I and L as 1 and O as 0.
 */
export function normalizeRecoveryCode(code: string): string | undefined {
  if (typeof code !== 'string' || code.length > 64) return undefined;
  const canonical = code
    .toUpperCase()
    .replace(/[\s\-\u2010-\u2015\u2212]+/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  if (canonical.length !== CODE_CHARS) return undefined;
  for (const char of canonical) if (!ALPHABET.includes(char)) return undefined;
  return canonical;
}

/**
 * SHA-256 of the canonical form of `code` (32 bytes), the value to store. Throws a TypeError for a
 * string that is not a recovery code: hashing is only done on codes we issued.
 */
export function hashRecoveryCode(code: string): Buffer {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === undefined) throw new TypeError('not a recovery code');
  return sha256(canonical);
}

/**
 * Index of the stored hash that `code` matches, or -1. Every entry is compared in constant time and
 * the loop never stops early, so the time taken does not reveal which position matched. Malformed
 * input and malformed stored entries (not 32 bytes) match nothing.
 */
export function matchRecoveryCode(code: string, hashes: readonly Buffer[]): number {
  const canonical = normalizeRecoveryCode(code);
  // Hashing something even for malformed input keeps the loop below uniform; it can never match
  // because no stored hash is the hash of an empty string of ours.
  const candidate = sha256(canonical ?? '');
  let found = -1;
  for (let i = 0; i < hashes.length; i++) {
    const stored = hashes[i]!;
    const same = stored.length === candidate.length && timingSafeEqual(stored, candidate);
    if (same && found === -1 && canonical !== undefined) found = i;
  }
  return found;
}
