/**
 * Small crypto primitives shared by every domain. Only `node:crypto`; nothing hand-rolled.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A random token for humans and machines to carry: `<prefix>_<base64url of 32 CSPRNG bytes>`.
 * The prefix names what the token is for, so a leaked token is recognisable by secret scanners.
 */
export function generateToken(prefix: string, bytes = 32): string {
  if (!/^[a-z]{2,8}$/.test(prefix)) throw new TypeError('token prefix must be 2-8 lowercase letters');
  if (bytes < 16) throw new TypeError('tokens carry at least 128 bits');
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** SHA-256 digest. Used to store high-entropy tokens: their hash is as good as a slow hash. */
export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Constant-time equality for secrets of possibly different lengths. Both sides are hashed first
 * so the comparison time depends on neither length nor content.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
