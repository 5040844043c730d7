/**
 * Agent passwords: Argon2id hashing and the NIST SP 800-63B-4 rules for choosing one.
 *
 * Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so each stored hash
 * carries the parameters it was made with. When the policy changes, {@link verifyPassword} says
 * `needsRehash` on the next successful login and the caller stores a fresh hash: no flag day.
 *
 * The rules follow SP 800-63B-4 section 3.1.1.2: a length floor and ceiling counted in characters
 * (Unicode code points, after normalization), no composition rules ("one digit, one symbol"), and a
 * block list of common and breached passwords, context words and trivial patterns.
 *
 * @example
 * ```ts
 * const problems = checkPassword(input, { email, displayName, tenantName });
 * if (problems.length === 0) row.passwordHash = await hashPassword(input, DEFAULT_PASSWORD_PARAMS);
 *
 * const result = row
 *   ? await verifyPassword(row.passwordHash, input, DEFAULT_PASSWORD_PARAMS)
 *   : await dummyVerify(input, DEFAULT_PASSWORD_PARAMS); // same cost as a wrong password
 * ```
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** Argon2id cost parameters. */
export interface PasswordParams {
  /** Memory per lane in KiB (`m=` in the PHC string). */
  readonly memoryCost: number;
  /** Passes over memory (`t=`). */
  readonly timeCost: number;
  /** Lanes (`p=`). */
  readonly parallelism: number;
}

/**
 * OWASP Password Storage Cheat Sheet's first Argon2id configuration: 19 MiB, 2 passes, 1 lane.
 * Roughly 20-40 ms per hash on one core of a current server; raise it when hardware allows.
 */
export const DEFAULT_PASSWORD_PARAMS: PasswordParams = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** The outcome of checking a password against a stored hash. */
export interface PasswordVerification {
  readonly ok: boolean;
  /**
   * The stored hash was made with other parameters (or another Argon2 variant or version) than the
   * current policy: store `hashPassword(password, params)` now. Only ever true together with `ok`,
   * because a new hash needs the correct password.
   */
  readonly needsRehash: boolean;
}

/** Minimum length in code points. SP 800-63B-4 asks for at least 15 when a password is the only
 * factor and 8 otherwise; agents always add a second factor, and 12 is our floor. */
export const PASSWORD_MIN_LENGTH = 12;
/** Maximum length in code points. SP 800-63B-4 asks that at least 64 be allowed. */
export const PASSWORD_MAX_LENGTH = 128;

// `Algorithm` is a `const enum` in @node-rs/argon2's typings and an empty object at run time, so
// `Algorithm.Argon2id` cannot be read under isolatedModules: the value is spelled out once here.
const ARGON2ID = 2 as Algorithm;

// Ceilings for parameters read back from storage. A row edited to claim m=4294967295 would
// otherwise make one login try to allocate 4 TiB; such a row is treated as malformed instead.
const MAX_STORED_MEMORY_KIB = 1_048_576; // 1 GiB
const MAX_STORED_TIME_COST = 64;
const MAX_STORED_PARALLELISM = 16;

const PHC = /^\$(argon2id|argon2i|argon2d)\$v=(\d{1,3})\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{16,})$/;

interface ParsedPhc {
  readonly algorithm: string;
  readonly version: number;
  readonly params: PasswordParams;
}

/** Parses a stored Argon2 PHC string strictly; undefined for anything else. */
function parsePhc(phc: unknown): ParsedPhc | undefined {
  if (typeof phc !== 'string' || phc.length > 512) return undefined;
  const m = PHC.exec(phc);
  if (!m) return undefined;
  const [, algorithm, version, memoryCost, timeCost, parallelism] = m;
  const params = { memoryCost: Number(memoryCost), timeCost: Number(timeCost), parallelism: Number(parallelism) };
  if (params.memoryCost < 1 || params.memoryCost > MAX_STORED_MEMORY_KIB) return undefined;
  if (params.timeCost < 1 || params.timeCost > MAX_STORED_TIME_COST) return undefined;
  if (params.parallelism < 1 || params.parallelism > MAX_STORED_PARALLELISM) return undefined;
  return { algorithm: algorithm!, version: Number(version), params };
}

function assertParams(params: PasswordParams): void {
  const { memoryCost, timeCost, parallelism } = params;
  if (!Number.isSafeInteger(memoryCost) || memoryCost < 8 * parallelism || memoryCost > MAX_STORED_MEMORY_KIB) {
    throw new TypeError('memoryCost must be an integer of KiB, at least 8 per lane and at most 1 GiB');
  }
  if (!Number.isSafeInteger(timeCost) || timeCost < 1 || timeCost > MAX_STORED_TIME_COST) throw new TypeError('timeCost must be an integer in 1..64');
  if (!Number.isSafeInteger(parallelism) || parallelism < 1 || parallelism > MAX_STORED_PARALLELISM) throw new TypeError('parallelism must be an integer in 1..16');
}

function sameParams(a: PasswordParams, b: PasswordParams): boolean {
  return a.memoryCost === b.memoryCost && a.timeCost === b.timeCost && a.parallelism === b.parallelism;
}

/**
 * NFKC normalization, applied before hashing and before every rule. SP 800-63B-4 asks for it so a
 * password typed on another keyboard or OS (a composed `é` or `e` + combining accent, full-width
 * digits) is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Hashes a password with Argon2id and a fresh 16-byte salt.
 *
 * @returns the PHC string to store, for example `$argon2id$v=19$m=19456,t=2,p=1$...$...`.
 */
export async function hashPassword(password: string, params: PasswordParams): Promise<string> {
  assertParams(params);
  return hash(normalizePassword(password), { algorithm: ARGON2ID, ...pick(params) });
}

/**
 * Checks a password against a stored PHC string. Never throws because of the stored value: an
 * unreadable hash is `{ ok: false }`, and it still costs one verification so that it cannot be told
 * apart from a wrong password by time.
 */
export async function verifyPassword(phc: string, password: string, params: PasswordParams): Promise<PasswordVerification> {
  assertParams(params);
  const parsed = parsePhc(phc);
  if (!parsed) return dummyVerify(password, params);
  let ok: boolean;
  try {
    ok = await verify(phc, normalizePassword(password));
  } catch {
    // The regex admits only well-formed strings, but the native parser has the last word (for
    // example on base64 of an impossible length). It fails fast, so pay the usual cost anyway.
    return dummyVerify(password, params);
  }
  const outdated = parsed.algorithm !== 'argon2id' || parsed.version !== 19 || !sameParams(parsed.params, params);
  return { ok, needsRehash: ok && outdated };
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * Runs one verification against a hash of a random password made with `params`, and answers
 * `{ ok: false }`. Call it when the account does not exist, so "unknown user" costs what
 * "wrong password" costs. The hash is computed on first use for each parameter set and kept.
 */
export async function dummyVerify(password: string, params: PasswordParams): Promise<{ ok: false; needsRehash: false }> {
  assertParams(params);
  const key = `${params.memoryCost},${params.timeCost},${params.parallelism}`;
  let dummy = dummyHashes.get(key);
  if (!dummy) {
    dummy = hash(randomBytes(32).toString('base64url'), { algorithm: ARGON2ID, ...pick(params) });
    dummyHashes.set(key, dummy);
    // A failed computation must not poison the cache for every later login.
    dummy.catch(() => dummyHashes.delete(key));
  }
  try {
    await verify(await dummy, normalizePassword(password));
  } catch {
    // Nothing to report: the answer is "no" either way.
  }
  return { ok: false, needsRehash: false };
}

function pick(params: PasswordParams): PasswordParams {
  return { memoryCost: params.memoryCost, timeCost: params.timeCost, parallelism: params.parallelism };
}

// ---------------------------------------------------------------------------------------------
// Choosing a password (SP 800-63B-4 section 3.1.1.2)
// ---------------------------------------------------------------------------------------------

export type PasswordProblemCode = 'too_short' | 'too_long' | 'common' | 'context' | 'repetitive';

/** One reason a new password is refused. `message` is client-safe and never repeats the input. */
export interface PasswordProblem {
  readonly code: PasswordProblemCode;
  readonly message: string;
}

/** Words a password must not contain because an attacker who targets this account knows them. */
export interface PasswordContext {
  readonly email?: string;
  readonly displayName?: string;
  readonly tenantName?: string;
}

const MESSAGES: Record<PasswordProblemCode, string> = {
  too_short: `Use at least ${PASSWORD_MIN_LENGTH} characters.`,
  too_long: `Use at most ${PASSWORD_MAX_LENGTH} characters.`,
  common: 'This password is too common: it appears in lists of leaked passwords.',
  context: 'Do not use your name, email address or organization name in your password.',
  repetitive: 'Do not use a repeated character, a repeated short pattern or a simple sequence.',
};

/** src/agents and dist/agents are both two levels below the repository root. */
const COMMON_PASSWORDS_FILE = new URL('../../src/agents/data/common-passwords.txt', import.meta.url);

let commonPasswords: Set<string> | undefined;

/** The shipped block list (see data/README.md), read once on first use. */
function isCommonPassword(lowercased: string): boolean {
  commonPasswords ??= new Set(
    readFileSync(COMMON_PASSWORDS_FILE, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0),
  );
  return commonPasswords.has(lowercased);
}

/** Parts of at least 4 code points: the whole value and its words (split on anything but letters and digits). */
function contextWords(context: PasswordContext): string[] {
  const values: string[] = [];
  if (context.email) {
    const at = context.email.lastIndexOf('@');
    values.push(at >= 0 ? context.email.slice(0, at) : context.email);
  }
  if (context.displayName) values.push(context.displayName);
  if (context.tenantName) values.push(context.tenantName);
  const words = new Set<string>();
  for (const value of values) {
    const normalized = value.normalize('NFKC').toLowerCase();
    for (const part of [normalized, ...normalized.split(/[^\p{L}\p{N}]+/u)]) {
      if ([...part].length >= 4) words.add(part);
    }
  }
  return [...words];
}

/** Position of a character within a cyclic run (digits 0-9, then 0 again; letters a-z), or undefined. */
function sequenceIndex(char: string): { readonly run: 'digit' | 'letter'; readonly index: number } | undefined {
  const code = char.codePointAt(0)!;
  if (code >= 0x30 && code <= 0x39) return { run: 'digit', index: code - 0x30 };
  if (code >= 0x61 && code <= 0x7a) return { run: 'letter', index: code - 0x61 };
  return undefined;
}

function isRepetitive(chars: readonly string[]): boolean {
  // The whole password is one short unit repeated: "aaaaaaaaaaaa", "abababababab", "123123123123".
  for (let unit = 1; unit <= 3 && unit < chars.length; unit++) {
    if (chars.every((char, i) => char === chars[i % unit])) return true;
  }
  // A simple ascending or descending run, wrapping around: "123456789012", "abcdefghijkl", "987654321098".
  const positions = chars.map(sequenceIndex);
  const first = positions[0];
  if (!first || positions.some((p) => p?.run !== first.run)) return false;
  const size = first.run === 'digit' ? 10 : 26;
  for (const direction of [1, -1]) {
    if (positions.every((p, i) => p!.index === (((first.index + direction * i) % size) + size) % size)) return true;
  }
  return false;
}

/**
 * The problems that forbid `password` as a new password; an empty array means it is acceptable.
 * Lengths count Unicode code points after NFKC normalization (an emoji is one character).
 * Matching is case-insensitive. Applied when a password is chosen, never at login.
 *
 * @example
 * ```ts
 * checkPassword('correct horse battery staple'); // []
 * checkPassword('jane.doe2024!', { email: 'jane.doe@example.com' }).map((p) => p.code); // ['context']
 * ```
 */
export function checkPassword(password: string, context: PasswordContext = {}): PasswordProblem[] {
  const normalized = normalizePassword(password);
  const lowercased = normalized.toLowerCase();
  const chars = [...lowercased];
  const length = [...normalized].length;
  const codes: PasswordProblemCode[] = [];
  if (length < PASSWORD_MIN_LENGTH) codes.push('too_short');
  if (length > PASSWORD_MAX_LENGTH) codes.push('too_long');
  if (isCommonPassword(lowercased)) codes.push('common');
  if (contextWords(context).some((word) => lowercased.includes(word))) codes.push('context');
  if (chars.length > 1 && isRepetitive(chars)) codes.push('repetitive');
  return codes.map((code) => ({ code, message: MESSAGES[code] }));
}
