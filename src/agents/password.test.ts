/**
 * Password hashing (Argon2id, PHC strings, rehash on policy change) and the NIST SP 800-63B-4
 * section 3.1.1.2 rules for choosing a password. Small Argon2 parameters keep the suite fast; one
 * test runs the defaults. Nothing here measures time: cost parity for unknown users is shown by
 * what runs (the same verify with the same parameters), not by a stopwatch.
 */
import { readFileSync } from 'node:fs';
import * as argon2 from '@node-rs/argon2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkPassword,
  DEFAULT_PASSWORD_PARAMS,
  dummyVerify,
  hashPassword,
  normalizePassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
  type PasswordParams,
} from './password.js';

// The real functions, wrapped so tests can see which hashes are computed and verified.
vi.mock(import('@node-rs/argon2'), async (importOriginal) => {
  const actual = await importOriginal();
  return { ...actual, hash: vi.fn(actual.hash), verify: vi.fn(actual.verify) };
});

const SMALL: PasswordParams = { memoryCost: 256, timeCost: 1, parallelism: 1 };
const PASSWORD = 'violet-harbour-lantern-42';

afterEach(() => {
  vi.mocked(argon2.hash).mockClear();
  vi.mocked(argon2.verify).mockClear();
});

describe('hashPassword / verifyPassword', () => {
  it('hashes with Argon2id into a PHC string carrying the parameters, with a fresh salt each time', async () => {
    const a = await hashPassword(PASSWORD, SMALL);
    const b = await hashPassword(PASSWORD, SMALL);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, PASSWORD, SMALL)).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPassword(b, PASSWORD, SMALL)).toEqual({ ok: true, needsRehash: false });
  });

  it('refuses a wrong password, including one differing only in case or a trailing space', async () => {
    const phc = await hashPassword(PASSWORD, SMALL);
    for (const wrong of ['violet-harbour-lantern-43', PASSWORD.toUpperCase(), `${PASSWORD} `, '']) {
      expect(await verifyPassword(phc, wrong, SMALL)).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('DEFAULT_PASSWORD_PARAMS are OWASP\'s Argon2id values (m=19456 KiB, t=2, p=1) and work end to end', async () => {
    expect(DEFAULT_PASSWORD_PARAMS).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const phc = await hashPassword(PASSWORD, DEFAULT_PASSWORD_PARAMS);
    expect(phc.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await verifyPassword(phc, PASSWORD, DEFAULT_PASSWORD_PARAMS)).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPassword(phc, 'not the password', DEFAULT_PASSWORD_PARAMS)).toEqual({ ok: false, needsRehash: false });
  });

  it.each([
    ['memoryCost', { ...SMALL, memoryCost: 512 }],
    ['timeCost', { ...SMALL, timeCost: 2 }],
    ['parallelism', { ...SMALL, parallelism: 2 }],
  ])('asks for a rehash when the policy\'s %s differs from the stored hash', async (_name, policy) => {
    const phc = await hashPassword(PASSWORD, SMALL);
    expect(await verifyPassword(phc, PASSWORD, policy)).toEqual({ ok: true, needsRehash: true });
    // Never for a wrong password: a new hash can only be made from the right one.
    expect(await verifyPassword(phc, 'wrong-password-here', policy)).toEqual({ ok: false, needsRehash: false });
    // And the rehash under the new policy is current.
    const fresh = await hashPassword(PASSWORD, policy);
    expect(await verifyPassword(fresh, PASSWORD, policy)).toEqual({ ok: true, needsRehash: false });
  });

  it('asks for a rehash of an argon2i or argon2d hash with the same parameters', async () => {
    for (const algorithm of [0, 1] as argon2.Algorithm[]) {
      const phc = await argon2.hash(PASSWORD, { ...SMALL, algorithm });
      expect(phc).toMatch(/^\$argon2(i|d)\$/);
      expect(await verifyPassword(phc, PASSWORD, SMALL)).toEqual({ ok: true, needsRehash: true });
    }
  });

  it('answers ok: false (and never throws) for a malformed stored hash, still running one verification', async () => {
    const good = await hashPassword(PASSWORD, SMALL);
    const malformed = [
      '',
      'garbage',
      good.slice(0, -10),
      good.replace('$argon2id$', '$argon2x$'),
      good.replace('m=256', 'm=abc'),
      good.replace('m=256', 'm=4294967295'), // would allocate 4 TiB
      good.replace('t=1', 't=0'),
      '$argon2id$v=19$m=256,t=1,p=1$$',
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', // bcrypt
      `${good}\n`,
    ];
    for (const phc of malformed) {
      vi.mocked(argon2.verify).mockClear();
      expect(await verifyPassword(phc, PASSWORD, SMALL)).toEqual({ ok: false, needsRehash: false });
      // A full-cost verification ran all the same: the dummy one, with the policy's parameters.
      const dummyCalls = vi.mocked(argon2.verify).mock.calls.filter(([hashed]) => hashed !== phc);
      expect(dummyCalls).toHaveLength(1);
      expect(dummyCalls[0]![0]).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    }
    // Stored data of the wrong type (a corrupted row) is handled the same way.
    expect(await verifyPassword(null as unknown as string, PASSWORD, SMALL)).toEqual({ ok: false, needsRehash: false });
  });

  it('throws a TypeError for parameters that are a programming mistake', async () => {
    await expect(hashPassword(PASSWORD, { ...SMALL, memoryCost: 4 })).rejects.toThrow(TypeError);
    await expect(hashPassword(PASSWORD, { ...SMALL, timeCost: 0 })).rejects.toThrow(TypeError);
    await expect(verifyPassword('x', PASSWORD, { ...SMALL, parallelism: 1.5 })).rejects.toThrow(TypeError);
  });
});

describe('normalizePassword: NFKC before hashing (SP 800-63B-4 section 3.1.1.2)', () => {
  const composed = 'caf\u00e9-au-lait-1999';
  const decomposed = 'cafe\u0301-au-lait-1999';

  it('maps composed and decomposed accents, and full-width forms, to one string', () => {
    expect(composed).not.toBe(decomposed);
    expect(normalizePassword(decomposed)).toBe(composed);
    expect(normalizePassword('\uff50\uff41\uff53\uff53\uff11\uff12')).toBe('pass12');
  });

  it('a password set with a composed é verifies when typed decomposed, and the reverse', async () => {
    const fromComposed = await hashPassword(composed, SMALL);
    const fromDecomposed = await hashPassword(decomposed, SMALL);
    expect(await verifyPassword(fromComposed, decomposed, SMALL)).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPassword(fromDecomposed, composed, SMALL)).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPassword(fromComposed, 'cafe-au-lait-1999', SMALL)).toEqual({ ok: false, needsRehash: false });
  });
});

describe('dummyVerify: an unknown user costs what a wrong password costs', () => {
  it('runs one real verification with the same parameters and answers no', async () => {
    const params: PasswordParams = { memoryCost: 264, timeCost: 1, parallelism: 1 };
    expect(await dummyVerify(PASSWORD, params)).toEqual({ ok: false, needsRehash: false });
    expect(argon2.verify).toHaveBeenCalledTimes(1);
    const [dummyPhc, given] = vi.mocked(argon2.verify).mock.calls[0]!;
    expect(dummyPhc).toMatch(/^\$argon2id\$v=19\$m=264,t=1,p=1\$/);
    expect(given).toBe(PASSWORD);
  });

  it('computes the dummy hash once per parameter set, then only verifies', async () => {
    const params: PasswordParams = { memoryCost: 272, timeCost: 1, parallelism: 1 };
    await dummyVerify('first guess', params);
    await dummyVerify('second guess', params);
    await Promise.all([dummyVerify('third', params), dummyVerify('fourth', params)]);
    expect(argon2.hash).toHaveBeenCalledTimes(1);
    expect(argon2.verify).toHaveBeenCalledTimes(4);
    const hashes = new Set(vi.mocked(argon2.verify).mock.calls.map((call) => call[0]));
    expect(hashes.size).toBe(1);

    await dummyVerify('other params', { ...params, timeCost: 2 });
    expect(argon2.hash).toHaveBeenCalledTimes(2);
    expect(vi.mocked(argon2.verify).mock.calls[4]![0]).toMatch(/\$m=272,t=2,p=1\$/);
  });

  it('never accepts, not even the password that made the dummy hash (it is random and not kept)', async () => {
    const params: PasswordParams = { memoryCost: 280, timeCost: 1, parallelism: 1 };
    await dummyVerify('', params);
    const hashed = vi.mocked(argon2.hash).mock.calls[0]![0];
    expect(typeof hashed).toBe('string');
    expect(await dummyVerify(hashed as string, params)).toEqual({ ok: false, needsRehash: false });
  });
});

describe('checkPassword: SP 800-63B-4 section 3.1.1.2', () => {
  const codes = (password: string, context?: Parameters<typeof checkPassword>[1]) => checkPassword(password, context).map((p) => p.code);

  it('accepts a long passphrase, with no composition rules', () => {
    expect(checkPassword('correct horse battery staple')).toEqual([]);
    expect(checkPassword('all lowercase words only')).toEqual([]);
  });

  it(`length: at least ${PASSWORD_MIN_LENGTH} and at most ${PASSWORD_MAX_LENGTH} code points`, () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
    expect(codes('')).toEqual(['too_short']);
    expect(codes('river-stone')).toEqual(['too_short']); // 11
    expect(codes('river-stones')).toEqual([]); // 12
    const long = Array.from({ length: 129 }, (_, i) => 'kw7qz3xmb9rjdvn'[(i * 7) % 15]).join('');
    expect(codes(long)).toEqual(['too_long']);
    expect(codes(long.slice(0, 128))).toEqual([]);
  });

  it('counts an emoji as one character, not as its UTF-16 length', () => {
    const eleven = '\u{1F431}\u{1F436}\u{1F98A}\u{1F43B}\u{1F43C}\u{1F428}\u{1F42F}\u{1F981}\u{1F42E}\u{1F437}\u{1F438}';
    expect(eleven.length).toBe(22);
    expect(codes(eleven)).toEqual(['too_short']);
    expect(codes(`${eleven}\u{1F419}`)).toEqual([]);
  });

  it('counts after NFKC: 12 code points typed decomposed are 11 characters', () => {
    const decomposed = 'ze\u0301phyr-moon'; // zéphyr-moon
    expect([...decomposed]).toHaveLength(12);
    expect(codes(decomposed)).toEqual(['too_short']);
  });

  it('common: refuses passwords in the shipped list, case-insensitively and after NFKC', () => {
    const list = new Set(readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8').split('\n'));
    expect(list.has('password1234')).toBe(true);
    expect(list.has('qwertyuiop123')).toBe(true);
    expect(codes('password1234')).toEqual(['common']);
    expect(codes('PassWord1234')).toEqual(['common']);
    expect(codes('\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13\uff14')).toEqual(['common']); // full-width
    expect(codes('qwertyuiop123')).toEqual(['common']);
    expect(codes('password')).toEqual(['too_short', 'common']);
    expect(list.has('password1234!?')).toBe(false);
    expect(codes('password1234!?')).toEqual([]);
  });

  it('context: refuses the email local part, display name or tenant name and their words of 4+ characters', () => {
    expect(codes('jane-rocks-2024!', { email: 'jane.doe@example.com' })).toEqual(['context']);
    expect(codes('xx-JANE.DOE-xx-99', { email: 'jane.doe@example.com' })).toEqual(['context']);
    expect(codes('Lopez-the-great!', { displayName: 'Marguerite Lopez' })).toEqual(['context']);
    expect(codes('ACME-blue-sky-42', { tenantName: 'Acme Support' })).toEqual(['context']);
    // Words under four characters are not held against anyone ("doe", "al", "bo").
    expect(codes('doe-and-more-stuff', { email: 'jane.doe@example.com' })).toEqual([]);
    expect(codes('always-calm-waters', { email: 'al@example.com', displayName: 'Al Bo' })).toEqual([]);
    // The email's domain is not the local part.
    expect(codes('example-river-boat', { email: 'jane@example.com' })).toEqual([]);
    expect(codes('jane-rocks-2024!')).toEqual([]);
  });

  it.each(['aaaaaaaaaaaa', '123456789012', 'abcdefghijkl', 'ABCDEFGHIJKL', '210987654321', 'zyxwvutsrqpo', 'abababababab', '123123123123', '\u{1F642}'.repeat(12)])(
    'repetitive: refuses %s',
    (password) => {
      expect(codes(password)).toContain('repetitive');
    },
  );

  it('repetitive: a broken sequence or a mixed run is not a pattern', () => {
    expect(codes('abcdefghijkm')).toEqual([]);
    expect(codes('abcdef123456')).toEqual([]);
    expect(codes('13579bdfhjln')).toEqual([]);
  });

  it('messages are client-safe: they never repeat the password or the context', () => {
    const problems = checkPassword('jane', { email: 'jane@example.com', displayName: 'Jane', tenantName: 'Jane Co' });
    expect(problems.map((p) => p.code)).toEqual(['too_short', 'common', 'context']);
    for (const problem of problems) {
      expect(problem.message.length).toBeGreaterThan(10);
      expect(problem.message.toLowerCase()).not.toContain('jane');
    }
  });
});

describe('the shipped common-password list (src/agents/data/common-passwords.txt)', () => {
  const text = readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8');
  const lines = text.split('\n');

  it('is one lowercase password a line, deduplicated, sorted, at least 10,000 entries, under 1 MB', () => {
    expect(text.endsWith('\n')).toBe(true);
    const entries = lines.slice(0, -1);
    expect(entries.length).toBeGreaterThanOrEqual(10_000);
    expect(Buffer.byteLength(text)).toBeLessThan(1_000_000);
    expect(entries.every((entry) => entry.length > 0 && entry === entry.toLowerCase() && entry === entry.normalize('NFKC'))).toBe(true);
    expect(new Set(entries).size).toBe(entries.length);
    expect(entries).toEqual([...entries].sort());
  });

  it('has the usual suspects', () => {
    for (const common of ['123456', 'password', 'qwerty', 'iloveyou', 'letmein', '1qaz2wsx3edc']) expect(lines).toContain(common);
  });
});
