/**
 * TOTP (RFC 6238 / RFC 4226) for benchmarks that sign agents in: written here from the RFCs, not
 * imported from src/agents, so a benchmark checks the service rather than agreeing with itself.
 * Checked against the RFCs' own test vectors when the module loads.
 */
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, as TOTP secrets are given in otpauth:// URIs. */
export function base32Decode(text: string): Buffer {
  const out: number[] = [];
  let value = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error('not base32');
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP with HMAC-SHA-1 (TOTP is HOTP of the time step). */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

// RFC 6238 appendix B (SHA-1, T = 59 s, 8 digits: 94287082) and RFC 4648 section 10.
if (hotp(Buffer.from('12345678901234567890'), 1, 8) !== '94287082' || base32Decode('MZXW6YTBOI======').toString() !== 'foobar') {
  throw new Error('the bench TOTP implementation does not match the RFC test vectors');
}
