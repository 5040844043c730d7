/** HKDF-SHA256 (RFC 5869) and HMAC-SHA256 (RFC 2104), through node:crypto. */
import { createHmac, hkdfSync } from 'node:crypto';

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (length < 1 || length > 255 * 32) throw new RangeError('HKDF-SHA256 output is 1..8160 bytes');
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
