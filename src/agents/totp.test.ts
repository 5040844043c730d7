/**
 * TOTP (RFC 6238) through our wrapper and otplib, driven by the RFCs' own vectors
 * (test/vectors/totp.rfc6238.json, RFC 6238 Appendix B; test/vectors/hotp.rfc4226.json, RFC 4226
 * Appendix D), and against a real external client: `oathtool` from Debian's oathtool package
 * (OATH Toolkit). Time always comes from the `now` argument (a fixed clock), never the system.
 */
import * as nodeCrypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { generateSync, ScureBase32Plugin, type HashAlgorithm } from 'otplib';
import QRCode from 'qrcode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FixedClock } from '../platform/clock.js';
import { newTotpSecret, totpQrSvg, totpStep, totpUri, TOTP_PARAMS, verifyTotp } from './totp.js';

// The real timingSafeEqual, wrapped so a test can count the comparisons.
vi.mock(import('node:crypto'), async (importOriginal) => {
  const actual = await importOriginal();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

interface TotpCase {
  time: number;
  utc: string;
  T: string;
  totp: string;
  mode: 'SHA1' | 'SHA256' | 'SHA512';
}

interface TotpVectors {
  source: string;
  t0: number;
  period: number;
  digits: 8;
  seeds: Record<TotpCase['mode'], { ascii: string; hex: string }>;
  cases: TotpCase[];
}

interface HotpVectors {
  source: string;
  secret: { ascii: string; hex: string };
  digits: 6;
  cases: { counter: number; hmacSha1: string; hotp: string }[];
}

function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../test/vectors/${name}`, import.meta.url), 'utf8')) as T;
}

const totpVectors = loadVectors<TotpVectors>('totp.rfc6238.json');
const hotpVectors = loadVectors<HotpVectors>('hotp.rfc4226.json');
const base32 = new ScureBase32Plugin();
const toBase32 = (ascii: string) => base32.encode(Buffer.from(ascii, 'ascii'), { padding: false });

/** The 6-digit code of `secret` at `date`, from otplib directly (not from the code under test). */
const codeAt = (secret: string, date: Date) => generateSync({ secret, epoch: Math.floor(date.getTime() / 1000), ...TOTP_PARAMS });

// A fixed secret and instant keep the window tests deterministic (no chance collision between
// neighbouring steps' codes, which a random secret would have once in a few hundred thousand runs).
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const INSTANT = '2024-02-29T12:34:56Z';

afterEach(() => {
  vi.restoreAllMocks();
  vi.mocked(nodeCrypto.timingSafeEqual).mockClear();
});

describe('RFC 6238 Appendix B test vectors', () => {
  it('the vector file names its source and holds all 18 rows: 6 times x SHA1, SHA256, SHA512', () => {
    expect(totpVectors.source).toMatch(/^RFC 6238 Appendix B/);
    expect(totpVectors.cases).toHaveLength(18);
    expect(new Set(totpVectors.cases.map((c) => c.time))).toEqual(new Set([59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000]));
    for (const mode of ['SHA1', 'SHA256', 'SHA512'] as const) expect(totpVectors.cases.filter((c) => c.mode === mode)).toHaveLength(6);
    expect(Buffer.from(totpVectors.seeds.SHA1.ascii).toString('hex')).toBe(totpVectors.seeds.SHA1.hex);
    expect(totpVectors.seeds.SHA256.hex).toHaveLength(64);
    expect(totpVectors.seeds.SHA512.hex).toHaveLength(128);
  });

  it.each(totpVectors.cases.map((c) => [c.utc, c.mode, c] as const))('RFC 6238 Appendix B, %s UTC, %s: otplib computes the 8-digit TOTP', (_utc, mode, c) => {
    const code = generateSync({
      secret: Buffer.from(totpVectors.seeds[mode].hex, 'hex'),
      algorithm: mode.toLowerCase() as HashAlgorithm,
      digits: totpVectors.digits,
      period: totpVectors.period,
      t0: totpVectors.t0,
      epoch: c.time,
    });
    expect(code).toBe(c.totp);
  });

  it.each(totpVectors.cases.filter((c) => c.mode === 'SHA1').map((c) => [c.utc, c] as const))(
    'RFC 6238 Appendix B, %s UTC, SHA1: verifyTotp accepts the last 6 digits at step T',
    (utc, c) => {
      // A d-digit HOTP value is the truncated number mod 10^d, so the 6-digit code is the last 6 digits.
      const now = new Date(`${utc.replace(' ', 'T')}Z`);
      expect(now.getTime()).toBe(c.time * 1000);
      expect(totpStep(now)).toBe(Number.parseInt(c.T, 16));
      const result = verifyTotp({ secret: toBase32(totpVectors.seeds.SHA1.ascii), code: c.totp.slice(-6), now, lastUsedStep: null });
      expect(result).toEqual({ ok: true, step: Number.parseInt(c.T, 16) });
    },
  );
});

describe('RFC 4226 Appendix D test values', () => {
  it('the vector file names its source and holds counters 0-9', () => {
    expect(hotpVectors.source).toMatch(/^RFC 4226 Appendix D/);
    expect(hotpVectors.cases.map((c) => c.counter)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(hotpVectors.cases.map((c) => c.hotp)).toEqual(['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']);
  });

  it.each(hotpVectors.cases.map((c) => [c.counter, c] as const))('RFC 4226 Appendix D, count %i: HOTP value', (counter, c) => {
    const secret = Buffer.from(hotpVectors.secret.hex, 'hex');
    expect(secret.toString('ascii')).toBe(hotpVectors.secret.ascii);
    // Table 1: the intermediate HMAC-SHA-1(secret, counter).
    const counterBytes = Buffer.alloc(8);
    counterBytes.writeBigUInt64BE(BigInt(counter));
    expect(nodeCrypto.createHmac('sha1', secret).update(counterBytes).digest('hex')).toBe(c.hmacSha1);
    // Table 2, through otplib's HOTP...
    expect(generateSync({ strategy: 'hotp', secret, counter, digits: 6 })).toBe(c.hotp);
    // ...and through verifyTotp: TOTP at step T is HOTP with counter T (RFC 6238 section 4.2).
    const now = new Date(counter * 30_000 + 15_000);
    expect(verifyTotp({ secret: toBase32(hotpVectors.secret.ascii), code: c.hotp, now, lastUsedStep: null })).toEqual({ ok: true, step: counter });
  });
});

describe('verifyTotp', () => {
  const clock = new FixedClock(INSTANT);
  const step = totpStep(clock.now());
  const at = (offsetSeconds: number) => new Date(clock.now().getTime() + offsetSeconds * 1000);

  it('takes the step from the now argument, never from the system clock', () => {
    vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('Date.now() must not be used');
    });
    expect(verifyTotp({ secret: SECRET, code: codeAt(SECRET, at(0)), now: at(0), lastUsedStep: null })).toEqual({ ok: true, step });
  });

  it('RFC 6238 section 5.2: accepts the current step and one step of drift either way, refuses two', () => {
    const code = codeAt(SECRET, at(0));
    expect(step).toBe(Math.floor(Date.parse(INSTANT) / 30_000));
    expect(verifyTotp({ secret: SECRET, code, now: at(0), lastUsedStep: null })).toEqual({ ok: true, step });
    expect(verifyTotp({ secret: SECRET, code, now: at(30), lastUsedStep: null })).toEqual({ ok: true, step }); // client clock behind
    expect(verifyTotp({ secret: SECRET, code, now: at(-30), lastUsedStep: null })).toEqual({ ok: true, step }); // client clock ahead
    expect(verifyTotp({ secret: SECRET, code, now: at(60), lastUsedStep: null })).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyTotp({ secret: SECRET, code, now: at(-60), lastUsedStep: null })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('RFC 6238 section 5.2: a code is accepted once; the same step again is a replay', () => {
    const code = codeAt(SECRET, at(0));
    const first = verifyTotp({ secret: SECRET, code, now: at(0), lastUsedStep: step - 5 });
    expect(first).toEqual({ ok: true, step });
    expect(verifyTotp({ secret: SECRET, code, now: at(0), lastUsedStep: step })).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp({ secret: SECRET, code, now: at(20), lastUsedStep: step })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('after a newer step was used, an older code still inside the window is a replay', () => {
    const older = codeAt(SECRET, at(-30));
    const newer = codeAt(SECRET, at(30));
    expect(verifyTotp({ secret: SECRET, code: newer, now: at(0), lastUsedStep: null })).toEqual({ ok: true, step: step + 1 });
    expect(verifyTotp({ secret: SECRET, code: codeAt(SECRET, at(0)), now: at(0), lastUsedStep: step + 1 })).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp({ secret: SECRET, code: older, now: at(0), lastUsedStep: step + 1 })).toEqual({ ok: false, reason: 'replayed' });
    // A newer step than the last used one is fine.
    expect(verifyTotp({ secret: SECRET, code: newer, now: at(0), lastUsedStep: step })).toEqual({ ok: true, step: step + 1 });
  });

  it('refuses a wrong 6-digit code as invalid, not as malformed', () => {
    const window = new Set([-30, 0, 30].map((s) => codeAt(SECRET, at(s))));
    const wrong = ['000000', '111111', '123456', '999999'].find((c) => !window.has(c))!;
    expect(verifyTotp({ secret: SECRET, code: wrong, now: at(0), lastUsedStep: null })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('ignores whitespace around and inside the code', () => {
    const code = codeAt(SECRET, at(0));
    for (const typed of [`${code.slice(0, 3)} ${code.slice(3)}`, ` ${code} `, `${code}\n`, `${code.slice(0, 3)}\t${code.slice(3)}`]) {
      expect(verifyTotp({ secret: SECRET, code: typed, now: at(0), lastUsedStep: null })).toEqual({ ok: true, step });
    }
  });

  it('refuses anything but exactly 6 ASCII digits as malformed', () => {
    const code = codeAt(SECRET, at(0));
    const fullWidth = [...code].map((d) => String.fromCodePoint(0xff10 + Number(d))).join('');
    const arabicIndic = [...code].map((d) => String.fromCodePoint(0x0660 + Number(d))).join('');
    for (const typed of ['', code.slice(0, 5), `${code}0`, `${code.slice(0, 5)}a`, 'abcdef', `-${code.slice(1)}`, `${code.slice(0, 3)}-${code.slice(3)}`, fullWidth, arabicIndic, '1'.repeat(10_000)]) {
      expect(verifyTotp({ secret: SECRET, code: typed, now: at(0), lastUsedStep: null })).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('compares against all three candidate steps in constant time, with no early exit', () => {
    const timingSafeEqual = vi.mocked(nodeCrypto.timingSafeEqual);
    timingSafeEqual.mockClear();
    // The match is the first candidate (step - 1), and the loop still goes on.
    expect(verifyTotp({ secret: SECRET, code: codeAt(SECRET, at(-30)), now: at(0), lastUsedStep: null })).toEqual({ ok: true, step: step - 1 });
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
    timingSafeEqual.mockClear();
    verifyTotp({ secret: SECRET, code: codeAt(SECRET, at(0)), now: at(0), lastUsedStep: step });
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
  });

  it('throws a TypeError for caller mistakes: a bad secret, lastUsedStep or date', () => {
    const code = codeAt(SECRET, at(0));
    expect(() => verifyTotp({ secret: 'not base32!', code, now: at(0), lastUsedStep: null })).toThrow(TypeError);
    expect(() => verifyTotp({ secret: 'JBSWY3DPEHPK3PXP', code, now: at(0), lastUsedStep: null })).toThrow(TypeError); // 10 bytes
    expect(() => verifyTotp({ secret: SECRET, code, now: at(0), lastUsedStep: -1 })).toThrow(TypeError);
    expect(() => verifyTotp({ secret: SECRET, code, now: at(0), lastUsedStep: 1.5 })).toThrow(TypeError);
    expect(() => verifyTotp({ secret: SECRET, code, now: new Date('nope'), lastUsedStep: null })).toThrow(TypeError);
  });
});

describe('newTotpSecret', () => {
  it('is 20 CSPRNG bytes in unpadded base32 (32 characters), different every time', () => {
    const secrets = Array.from({ length: 50 }, () => newTotpSecret());
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(base32.decode(secret)).toHaveLength(20);
    }
    expect(new Set(secrets).size).toBe(50);
  });

  it('works with verifyTotp', () => {
    const secret = newTotpSecret();
    const now = new Date(INSTANT);
    expect(verifyTotp({ secret, code: codeAt(secret, now), now, lastUsedStep: null })).toEqual({ ok: true, step: totpStep(now) });
  });
});

describe('totpUri', () => {
  it('writes the Key Uri Format with issuer, SHA1, 6 digits and a 30 s period spelled out', () => {
    expect(totpUri({ issuer: 'Custodia', account: 'jane@acme.example', secret: SECRET })).toBe(
      `otpauth://totp/Custodia:jane%40acme.example?secret=${SECRET}&issuer=Custodia&algorithm=SHA1&digits=6&period=30`,
    );
  });

  it('percent-encodes the label and issuer (spaces as %20, not +)', () => {
    const uri = totpUri({ issuer: 'Custodia (Acme & Co)', account: 'jane doe+1@acme.example', secret: SECRET });
    expect(uri).not.toContain('+');
    expect(uri).not.toContain(' ');
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Custodia (Acme & Co):jane doe+1@acme.example');
    expect(url.searchParams.get('issuer')).toBe('Custodia (Acme & Co)');
    expect(url.searchParams.get('secret')).toBe(SECRET);
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });

  it('refuses a colon in the issuer or account, an empty one, or a bad secret', () => {
    expect(() => totpUri({ issuer: 'A:B', account: 'jane', secret: SECRET })).toThrow(TypeError);
    expect(() => totpUri({ issuer: 'Custodia', account: 'x:jane', secret: SECRET })).toThrow(TypeError);
    expect(() => totpUri({ issuer: '', account: 'jane', secret: SECRET })).toThrow(TypeError);
    expect(() => totpUri({ issuer: 'Custodia', account: 'jane', secret: 'abc' })).toThrow(TypeError);
  });
});

describe('totpQrSvg', () => {
  /** The dark modules an SVG from qrcode's renderer draws: `M x y.5 h n` and `m dx dy` path commands. */
  function darkModules(svg: string, margin: number): Set<string> {
    const d = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1];
    if (!d) throw new Error('no module path in the SVG');
    const dark = new Set<string>();
    let x = 0;
    let y = 0;
    for (const [, command, a, b] of d.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
      if (command === 'M') [x, y] = [Number(a), Number(b) - 0.5];
      else if (command === 'm') [x, y] = [x + Number(a), y + Number(b)];
      else {
        for (let i = 0; i < Number(a); i++) dark.add(`${y - margin},${x + i - margin}`);
        x += Number(a);
      }
    }
    return dark;
  }

  it('draws exactly the QR code of the URI (error correction M, 4-module quiet zone), as inert SVG', async () => {
    const uri = totpUri({ issuer: 'Custodia', account: 'jane@acme.example', secret: newTotpSecret() });
    const svg = await totpQrSvg(uri);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/<script|href=|on\w+=/i);

    const qr = QRCode.create(uri, { errorCorrectionLevel: 'M' });
    const size = qr.modules.size;
    expect(svg).toContain(`viewBox="0 0 ${size + 8} ${size + 8}"`);
    const expected = new Set<string>();
    for (let row = 0; row < size; row++) for (let col = 0; col < size; col++) if (qr.modules.get(row, col)) expected.add(`${row},${col}`);
    expect(darkModules(svg, 4)).toEqual(expected);
    // The QR code carries the URI itself, byte for byte.
    const carried = qr.segments.map((s) => (typeof s.data === 'string' ? s.data : Buffer.from(s.data).toString('utf8'))).join('');
    expect(carried).toBe(uri);
  });

  it('differs for another secret and refuses a string that is not an otpauth://totp/ URI', async () => {
    const a = await totpQrSvg(totpUri({ issuer: 'Custodia', account: 'jane', secret: newTotpSecret() }));
    const b = await totpQrSvg(totpUri({ issuer: 'Custodia', account: 'jane', secret: newTotpSecret() }));
    expect(a).not.toBe(b);
    await expect(totpQrSvg('https://example.com/')).rejects.toThrow(TypeError);
  });
});

/**
 * A real external client: oathtool from the OATH Toolkit (Debian package `oathtool`). It is
 * required, not optional: a missing binary fails this suite, in CI (CI=true) and everywhere else.
 */
describe('interoperability with oathtool (OATH Toolkit)', () => {
  /** Runs oathtool; a missing binary fails the calling test (each one, so none shows as skipped). */
  function run(args: string[]): string {
    try {
      return execFileSync('oathtool', args, { encoding: 'utf8' });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause;
      throw new Error(`oathtool is required for this test (apt-get install -y oathtool)${process.env.CI === 'true' ? '; CI must install it' : ''}`, { cause });
    }
  }

  /** `oathtool --totp -b <secret> --now "<date>"`: SHA1, 6 digits, 30 s steps are its defaults. */
  const oathtool = (secret: string, date: Date) => run(['--totp', '-b', secret, '--now', `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`]).trim();

  it('is installed', () => {
    expect(run(['--version']).split('\n')[0]).toMatch(/^oathtool \(OATH Toolkit\) \d+\.\d+/);
  });

  it('the code oathtool computes for a fixed date is accepted at that date, one step either side, and not two', () => {
    const date = new Date(INSTANT);
    const code = oathtool(SECRET, date);
    expect(code).toMatch(/^[0-9]{6}$/);
    const step = totpStep(date);
    const at = (seconds: number) => new Date(date.getTime() + seconds * 1000);
    expect(verifyTotp({ secret: SECRET, code, now: date, lastUsedStep: null })).toEqual({ ok: true, step });
    expect(verifyTotp({ secret: SECRET, code, now: at(-30), lastUsedStep: null })).toEqual({ ok: true, step });
    expect(verifyTotp({ secret: SECRET, code, now: at(30), lastUsedStep: null })).toEqual({ ok: true, step });
    expect(verifyTotp({ secret: SECRET, code, now: at(-60), lastUsedStep: null })).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyTotp({ secret: SECRET, code, now: at(60), lastUsedStep: null })).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyTotp({ secret: SECRET, code, now: date, lastUsedStep: step })).toEqual({ ok: false, reason: 'replayed' });
  });

  it("accepts oathtool's codes for the previous and next steps, and refuses each once used", () => {
    const date = new Date(INSTANT);
    const step = totpStep(date);
    const previous = oathtool(SECRET, new Date(date.getTime() - 30_000));
    const next = oathtool(SECRET, new Date(date.getTime() + 30_000));
    expect(verifyTotp({ secret: SECRET, code: previous, now: date, lastUsedStep: null })).toEqual({ ok: true, step: step - 1 });
    expect(verifyTotp({ secret: SECRET, code: previous, now: date, lastUsedStep: step - 1 })).toEqual({ ok: false, reason: 'replayed' });
    expect(verifyTotp({ secret: SECRET, code: next, now: date, lastUsedStep: step - 1 })).toEqual({ ok: true, step: step + 1 });
    expect(verifyTotp({ secret: SECRET, code: next, now: date, lastUsedStep: step + 1 })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('agrees with oathtool on a freshly issued secret (the form the app receives)', () => {
    const secret = newTotpSecret();
    const date = new Date(INSTANT);
    const code = oathtool(secret, date);
    expect(verifyTotp({ secret, code, now: date, lastUsedStep: null }), `secret ${secret}`).toEqual({ ok: true, step: totpStep(date) });
    expect(codeAt(secret, date)).toBe(code);
  });
});
