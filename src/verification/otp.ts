/**
 * One-time codes: made from the CSPRNG, kept only as a MAC, compared in constant time.
 *
 * Why an HMAC and not Argon2id: a code has only 10^6..10^8 values, so a slow hash of it could be
 * reversed by trying them all within the code's lifetime anyway (10^6 Argon2id evaluations is
 * hours on one core, minutes on a rented cluster), while every check would cost the server tens
 * of milliseconds of CPU that an attacker could make it spend. A keyed MAC is different in kind:
 * without the key, which is derived from the tenant's vault index key (wrapped by the root key,
 * never in the database in clear), a copy of the table does not allow even that search. And the
 * MAC binds the code to its row and session, so a row copied onto another session checks nothing.
 */
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import type { Tx } from '../db/index.js';
import type { Vault } from '../vault/index.js';

export const MIN_DIGITS = 6;
export const MAX_DIGITS = 8;

/** A code of `digits` digits, uniform over all of them (leading zeros included). */
export function newCode(digits: number): string {
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) throw new TypeError('codes have 6 to 8 digits');
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}

/** What a caller typed, as a code: digits only (spaces and dashes people add are dropped). */
export function normalizeCodeInput(input: string): string {
  return input.replace(/[\s-]/g, '');
}

/** The MAC key of a tenant's codes: HKDF-SHA256 of the vault's index key, for this use only. */
export async function codeMacKey(tx: Tx, vault: Vault, tenantId: string): Promise<Buffer> {
  const indexKey = await vault.keyring.indexKey(tx, tenantId);
  return Buffer.from(hkdfSync('sha256', indexKey.bytes(), Buffer.alloc(0), Buffer.from('custodia.verification.otp.v1'), 32));
}

/** HMAC-SHA256 over the code's id, its session and the code, with unambiguous separators. */
export function codeMac(key: Buffer, binding: { codeId: string; sessionId: string }, code: string): Buffer {
  return createHmac('sha256', key).update(`${binding.codeId}\u0000${binding.sessionId}\u0000${code}`, 'utf8').digest();
}

/**
 * Whether `input` is the code whose MAC is `stored`. The MAC is computed whatever the input looks
 * like, so a malformed answer takes as long as a wrong one.
 */
export function codeMatches(key: Buffer, binding: { codeId: string; sessionId: string }, input: string, stored: Uint8Array, digits: number): boolean {
  const normalized = normalizeCodeInput(input);
  const mac = codeMac(key, binding, normalized);
  const equal = stored.length === mac.length && timingSafeEqual(mac, stored);
  return equal && normalized.length === digits && /^[0-9]+$/.test(normalized);
}
