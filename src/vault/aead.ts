/**
 * AES-256-GCM through node:crypto, with a fresh 96-bit CSPRNG nonce per encryption and a full
 * 128-bit tag. Any failure to authenticate is one typed error; never partial plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { VaultErrors } from './errors.js';
import type { SecretKey } from './secret-key.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export interface Sealed {
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** Encrypts with a random nonce (or a given one: only the NIST vector tests pass it). */
export function seal(key: SecretKey, plaintext: Uint8Array, aad: Uint8Array, nonce: Buffer = randomBytes(NONCE_BYTES)): Sealed {
  if (nonce.length !== NONCE_BYTES) throw new TypeError('AES-GCM nonces here are 96 bits');
  const cipher = createCipheriv('aes-256-gcm', key.bytes(), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

/** Decrypts and authenticates; throws `vault.decrypt_failed` on any mismatch. */
export function open(key: SecretKey, sealed: Sealed, aad: Uint8Array): Buffer {
  if (sealed.nonce.length !== NONCE_BYTES || sealed.tag.length !== TAG_BYTES) throw new AppError(VaultErrors.malformed_ciphertext);
  // Outside the try: a destroyed key is the caller's bug (a TypeError), not a bad ciphertext.
  const raw = key.bytes();
  try {
    const decipher = createDecipheriv('aes-256-gcm', raw, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch (cause) {
    throw new AppError(VaultErrors.decrypt_failed, { cause: cause instanceof Error ? new Error(cause.message) : undefined });
  }
}
