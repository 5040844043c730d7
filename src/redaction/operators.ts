/**
 * Operators: what a detected value becomes in the output.
 *
 * | operator | output | needs |
 * |---|---|---|
 * | `redact` | nothing (the value is removed) | - |
 * | `mask` | letters and digits replaced by `*` (or `char`) except the last `keepLast`; separators kept | - |
 * | `tag` | `<CARD_NUMBER>` | - |
 * | `hash` | `<EMAIL:hmac:…>`, keyed HMAC of the canonical value, stable per tenant key | backend.hmac |
 * | `encrypt` | `<EMAIL:enc:…>`, reversible by the vault | backend.encrypt |
 * | `tokenize` | the vault's format-preserving card token, in place of the digits | backend.tokenizeCard |
 *
 * The canonical value fed to `hash`, `encrypt` and `tokenize` ignores formatting (`4111 1111…` and
 * `4111-1111…` hash alike; a card read aloud hashes like its digits), so analytics joins work.
 */
import { createHmac } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { spokenToDigits } from './detectors/spoken.js';
import { RedactionErrors } from './errors.js';
import type { Operator } from './policy.js';
import { ENTITY_TYPES, type EntityType } from './types.js';

/** What the keyed and vault-backed operators call. The lead's server wires vault-backed ones. */
export interface OperatorBackend {
  hmac(type: EntityType, value: string): string;
  encrypt(type: EntityType, value: string): Promise<string>;
  tokenizeCard(pan: string): Promise<string>;
}

const DIGIT_TYPES = new Set<EntityType>(['CARD_NUMBER', 'CARD_CVV', 'CPF', 'CNPJ', 'CUIT', 'SSN', 'CEDULA', 'PHONE']);
const TEXT_TYPES = new Set<EntityType>(['PERSON_NAME', 'ADDRESS', 'DATE_OF_BIRTH']);

/** The value with its formatting removed; see the module comment. */
export function canonicalValue(type: EntityType, raw: string): string {
  const v = raw.normalize('NFKC');
  if (type === 'EMAIL') return v.toLowerCase();
  if (TEXT_TYPES.has(type)) return v.toLowerCase().replace(/\s+/gu, ' ').trim();
  if (DIGIT_TYPES.has(type)) {
    const digits = v.replace(/[^0-9]/g, '');
    if (/\p{L}/u.test(v) && type !== 'PHONE') return spokenToDigits(v) ?? digits;
    return type === 'PHONE' && v.trimStart().startsWith('+') ? `+${digits}` : digits;
  }
  return v.toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/** Built once: `tag` is the default operator, and a template string per value was garbage. */
const TAGS: ReadonlyMap<EntityType, string> = new Map(ENTITY_TYPES.map((t) => [t, `<${t}>`]));

export function tagFor(type: EntityType): string {
  return TAGS.get(type) ?? `<${type}>`;
}

function isAlnum(ch: string): boolean {
  return /[\p{L}\p{N}]/u.test(ch);
}

/**
 * Keeps at most `keepLast` letters or digits, and never more than half of them, so a short value
 * is never shown whole.
 */
export function maskText(value: string, keepLast: number, char = '*'): string {
  const chars = Array.from(value);
  let alnum = 0;
  for (const c of chars) if (isAlnum(c)) alnum++;
  let keep = Math.min(keepLast, Math.floor(alnum / 2));
  const out: string[] = new Array(chars.length);
  for (let i = chars.length - 1; i >= 0; i--) {
    const c = chars[i] as string;
    if (!isAlnum(c)) out[i] = c === '\u00a0' ? ' ' : c;
    else if (keep > 0) {
      out[i] = c;
      keep--;
    } else out[i] = char;
  }
  return out.join('');
}

/** The replacement for one value with a synchronous operator. */
export function applySync(op: Operator, type: EntityType, value: string, backend: OperatorBackend | undefined): string {
  switch (op.kind) {
    case 'redact':
      return '';
    case 'tag':
      return tagFor(type);
    case 'mask':
      return maskText(value, op.keepLast, op.char);
    case 'hash':
      if (backend === undefined) throw new AppError(RedactionErrors.backend_unavailable, { details: { operator: 'hash' } });
      return `<${type}:hmac:${backend.hmac(type, canonicalValue(type, value))}>`;
    default:
      throw new AppError(RedactionErrors.async_operator, { details: { operator: op.kind } });
  }
}

export async function applyAsync(op: Operator, type: EntityType, value: string, backend: OperatorBackend | undefined): Promise<string> {
  if (op.kind === 'encrypt') {
    if (backend === undefined) throw new AppError(RedactionErrors.backend_unavailable, { details: { operator: 'encrypt' } });
    return `<${type}:enc:${await backend.encrypt(type, canonicalValue(type, value))}>`;
  }
  if (op.kind === 'tokenize') {
    // Only card numbers have format-preserving tokens (the policy schema enforces it); anything
    // else reaching here is tagged rather than left in clear.
    if (type !== 'CARD_NUMBER') return tagFor(type);
    if (backend === undefined) throw new AppError(RedactionErrors.backend_unavailable, { details: { operator: 'tokenize' } });
    return backend.tokenizeCard(canonicalValue(type, value));
  }
  return applySync(op, type, value, backend);
}

/**
 * An in-memory backend for tests and the CLI: HMAC-SHA-256 under `key` (the type is part of the
 * message, so the same digits as a CPF and as a phone hash apart), truncated to 128 bits of hex.
 * `encrypt` and `tokenizeCard` need the vault and reject with `redaction.backend_unavailable`.
 */
export function createHmacBackend(key: Uint8Array | string): OperatorBackend {
  const material = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (material.length < 16) throw new TypeError('createHmacBackend: the key must have at least 16 bytes');
  return {
    hmac(type, value) {
      return createHmac('sha256', material).update(`${type}\u0000${value}`).digest('hex').slice(0, 32);
    },
    encrypt() {
      return Promise.reject(new AppError(RedactionErrors.backend_unavailable, { details: { operator: 'encrypt' } }));
    },
    tokenizeCard() {
      return Promise.reject(new AppError(RedactionErrors.backend_unavailable, { details: { operator: 'tokenize' } }));
    },
  };
}
