/**
 * The self-describing text form of every ciphertext the vault produces:
 *
 *     v1.<keyRef>.<nonce>.<ciphertext>.<tag>
 *
 * `v1` is the format version; `keyRef` names the key that sealed it (a data key id, or `k<n>` for
 * a key-encryption key version); the last three parts are unpadded base64url. The version and the
 * key reference are also bound into the associated data (see {@link associatedData}), so editing
 * either makes decryption fail rather than pick another key.
 */
import { AppError } from '../platform/errors.js';
import type { Sealed } from './aead.js';
import { NONCE_BYTES, TAG_BYTES } from './aead.js';
import { VaultErrors } from './errors.js';

export const FORMAT_VERSION = 'v1';
const KEY_REF = /^[A-Za-z0-9-]{1,64}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;
/** Bounds a parsed value (1 MiB of ciphertext), so garbage input cannot allocate without limit. */
const MAX_LENGTH = 1_500_000;

export interface Envelope extends Sealed {
  readonly keyRef: string;
}

export function formatCiphertext(envelope: Envelope): string {
  if (!KEY_REF.test(envelope.keyRef)) throw new TypeError('invalid key reference');
  return [FORMAT_VERSION, envelope.keyRef, envelope.nonce.toString('base64url'), envelope.ciphertext.toString('base64url'), envelope.tag.toString('base64url')].join('.');
}

/** Parses the text form; any deviation is `vault.malformed_ciphertext` (never a partial parse). */
export function parseCiphertext(text: string): Envelope {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_LENGTH) throw malformed();
  const parts = text.split('.');
  if (parts.length !== 5) throw malformed();
  const [version, keyRef, nonce, ciphertext, tag] = parts as [string, string, string, string, string];
  if (version !== FORMAT_VERSION || !KEY_REF.test(keyRef)) throw malformed();
  if (![nonce, ciphertext, tag].every((p) => B64URL.test(p))) throw malformed();
  const envelope = {
    keyRef,
    nonce: Buffer.from(nonce, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  // Non-canonical base64url (trailing bits set) would let two strings decode to one value.
  if (envelope.nonce.toString('base64url') !== nonce || envelope.ciphertext.toString('base64url') !== ciphertext || envelope.tag.toString('base64url') !== tag) {
    throw malformed();
  }
  if (envelope.nonce.length !== NONCE_BYTES || envelope.tag.length !== TAG_BYTES) throw malformed();
  return envelope;
}

/**
 * Associated data binding a ciphertext to where it belongs. JSON of an array of strings is an
 * unambiguous encoding (no two different lists give the same bytes).
 */
export function associatedData(purpose: string, keyRef: string, context: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify([`custodia.${purpose}.${FORMAT_VERSION}`, keyRef, ...context]), 'utf8');
}

function malformed(): AppError {
  return new AppError(VaultErrors.malformed_ciphertext);
}
