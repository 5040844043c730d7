/**
 * Authenticator-app codes: TOTP (RFC 6238) with the parameters every app understands, HMAC-SHA-1,
 * 6 digits, 30-second steps from the Unix epoch. otplib computes the codes; this module decides
 * which time steps are acceptable and refuses replays.
 *
 * The caller keeps, per agent, the last time step that was accepted and passes it back in: a code
 * is single-use because a step at or before that one is refused (RFC 6238 section 5.2: "the
 * verifier MUST NOT accept the second attempt of the OTP after the successful validation").
 * Storing the new step must be atomic with the check (compare-and-set on the row), or two
 * concurrent logins with one code could both succeed.
 *
 * @example
 * ```ts
 * const secret = newTotpSecret();
 * const uri = totpUri({ issuer: 'Custodia (acme)', account: 'jane@acme.example', secret });
 * const svg = await totpQrSvg(uri);
 *
 * const result = verifyTotp({ secret, code: '123 456', now: clock.now(), lastUsedStep: row.totpLastStep });
 * if (result.ok) row.totpLastStep = result.step;
 * ```
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { generateSync, ScureBase32Plugin } from 'otplib';
import QRCode from 'qrcode';

/** The only parameters we issue: what Google Authenticator and every other app assume. */
export const TOTP_PARAMS = Object.freeze({ algorithm: 'sha1', digits: 6, period: 30 } as const);

/** Steps accepted either side of the current one, for clock drift and typing time (RFC 6238 section 5.2). */
export const TOTP_DRIFT_STEPS = 1;

/** 160 bits: RFC 4226 section 4 requires at least 128 and recommends 160. */
const SECRET_BYTES = 20;

const base32 = new ScureBase32Plugin();

/** Unpadded RFC 4648 base32 of at least 16 bytes (26 characters), the otplib minimum. */
const BASE32_SECRET = /^[A-Z2-7]{26,}$/;

export type TotpVerification = { readonly ok: true; readonly step: number } | { readonly ok: false; readonly reason: 'invalid' | 'replayed' | 'malformed' };

export interface VerifyTotpInput {
  /** The agent's secret, base32 as issued by {@link newTotpSecret}. */
  readonly secret: string;
  /** What the person typed. Whitespace is ignored; otherwise exactly 6 ASCII digits. */
  readonly code: string;
  /** The current time, from the injected clock. */
  readonly now: Date;
  /** The step of the last accepted code, or null if none was ever accepted. */
  readonly lastUsedStep: number | null;
}

/**
 * A new TOTP secret: 20 bytes from the operating system's CSPRNG, base32 without padding
 * (32 characters), the form authenticator apps and `oathtool -b` take.
 */
export function newTotpSecret(): string {
  return base32.encode(randomBytes(SECRET_BYTES), { padding: false });
}

/** The RFC 6238 time step that contains `now`: whole 30-second periods since the Unix epoch. */
export function totpStep(now: Date): number {
  const ms = now.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new TypeError('now must be a valid date after 1970');
  return Math.floor(ms / 1000 / TOTP_PARAMS.period);
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || !BASE32_SECRET.test(secret)) throw new TypeError('a TOTP secret is unpadded base32 of at least 16 bytes');
}

/**
 * The `otpauth://` URI an authenticator app reads from the QR code (Google's Key Uri Format).
 * The label is `issuer:account` and the issuer is repeated as a parameter, as the format asks.
 * Algorithm, digits and period are written out even though they are the defaults, so no app has
 * to guess (otplib's own generateURI leaves defaults out).
 *
 * @example
 * ```ts
 * totpUri({ issuer: 'Custodia', account: 'jane@acme.example', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
 * // 'otpauth://totp/Custodia:jane%40acme.example?secret=JBSW...&issuer=Custodia&algorithm=SHA1&digits=6&period=30'
 * ```
 */
export function totpUri(input: { issuer: string; account: string; secret: string }): string {
  const { issuer, account, secret } = input;
  assertSecret(secret);
  for (const [name, value] of [['issuer', issuer], ['account', account]] as const) {
    // A colon would move the issuer/account boundary in the label; apps disagree on what follows.
    if (typeof value !== 'string' || value.length === 0 || value.length > 200 || value.includes(':')) {
      throw new TypeError(`${name} must be 1-200 characters without a colon`);
    }
  }
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    `secret=${secret}`,
    `issuer=${encodeURIComponent(issuer)}`,
    'algorithm=SHA1',
    `digits=${TOTP_PARAMS.digits}`,
    `period=${TOTP_PARAMS.period}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}

/**
 * The QR code of `uri` as a standalone SVG document (no script, no external references), for an
 * `<img>` or inline. Error correction M, and the 4-module quiet zone the QR standard requires.
 */
export async function totpQrSvg(uri: string): Promise<string> {
  if (!uri.startsWith('otpauth://totp/')) throw new TypeError('expected an otpauth://totp/ URI');
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}

/** The 6-digit code for one time step. */
function codeAt(secret: string, step: number): string {
  return generateSync({ secret, epoch: step * TOTP_PARAMS.period, ...TOTP_PARAMS });
}

const CODE = /^[0-9]{6}$/;

/**
 * Checks a code typed by a person at `now`. Accepts the codes of the current step and of one step
 * either side; refuses a step at or before `lastUsedStep`, which includes both the same code again
 * and an older code still inside the window after a newer one was used.
 *
 * All three candidate steps are computed and compared in constant time, with no early exit, so
 * the time taken does not say which step (if any) matched.
 *
 * @returns `{ ok: true, step }` (store `step` as the new `lastUsedStep`), or the reason for
 *   refusal: `malformed` (not 6 digits), `replayed`, or `invalid`.
 */
export function verifyTotp(input: VerifyTotpInput): TotpVerification {
  const { secret, code, now, lastUsedStep } = input;
  assertSecret(secret);
  if (lastUsedStep !== null && (!Number.isSafeInteger(lastUsedStep) || lastUsedStep < 0)) {
    throw new TypeError('lastUsedStep must be a non-negative integer or null');
  }
  const current = totpStep(now);
  if (typeof code !== 'string' || code.length > 64) return { ok: false, reason: 'malformed' };
  const digits = code.replace(/\s+/g, '');
  if (!CODE.test(digits)) return { ok: false, reason: 'malformed' };

  const given = Buffer.from(digits, 'ascii');
  let fresh = -1;
  let replayed = false;
  for (let step = current - TOTP_DRIFT_STEPS; step <= current + TOTP_DRIFT_STEPS; step++) {
    if (step < 0) continue;
    const matches = timingSafeEqual(Buffer.from(codeAt(secret, step), 'ascii'), given);
    const used = lastUsedStep !== null && step <= lastUsedStep;
    // Two steps can share a code (one chance in a million); the latest unused one wins.
    if (matches && !used) fresh = step;
    if (matches && used) replayed = true;
  }
  if (fresh >= 0) return { ok: true, step: fresh };
  return { ok: false, reason: replayed ? 'replayed' : 'invalid' };
}
