/**
 * The two shipped root-key providers. `env` parses `CUSTODIA_KEYS` strictly; `local` loads a key
 * file that only its owner can read. Both wrap with the context bound as associated data, keep
 * older versions usable after a rotation, and never put key material in an error.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../../platform/errors.js';
import { VaultErrors } from '../errors.js';
import { SecretKey } from '../secret-key.js';
import { createEnvKeyProvider, parseVersionedKeys } from './env-provider.js';
import type { KeyProvider } from './key-provider.js';
import { createLocalKeyFile, loadLocalKeyProvider } from './local-provider.js';
import { InProcessRootKeys } from './root-keys.js';

/** Key material and every spelling of it an error could leak. */
interface Material {
  readonly base64: string;
  readonly spellings: readonly string[];
}

function material(length = 32): Material {
  const bytes = randomBytes(length);
  const base64 = bytes.toString('base64');
  return { base64, spellings: [base64, base64.replace(/=+$/, ''), bytes.toString('base64url'), bytes.toString('hex')] };
}

async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

async function expectAppError(fn: () => unknown, code: ErrorCode, message?: string | RegExp): Promise<AppError> {
  const error = await caught(fn);
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: code.code, status: code.status });
  if (typeof message === 'string') expect((error as AppError).message).toBe(message);
  else if (message !== undefined) expect((error as AppError).message).toMatch(message);
  return error as AppError;
}

/** Everything about an error that could reach a log line or a client. */
function errorText(error: unknown): string {
  const e = error as AppError;
  return [e.message, e.detail, e.title, JSON.stringify(e), inspect(e, { depth: 5 }), String(e.cause ?? '')].join('\n');
}

function expectNoMaterial(error: unknown, ...materials: Material[]): void {
  const text = errorText(error);
  for (const m of materials) for (const spelling of m.spellings) expect(text).not.toContain(spelling);
}

const tenantContext = ['tenant-1', 'kek', '1'];

describe('env provider: parsing CUSTODIA_KEYS', () => {
  const a = material();
  const b = material();
  const c = material();

  it('accepts "2:<b64>,1:<b64>" with spaces around the commas and picks the highest version as current', () => {
    const provider = createEnvKeyProvider(` 2:${a.base64} ,  1:${b.base64} `);
    expect(provider.kind).toBe('env');
    expect(provider.currentVersion()).toBe(2);
    expect(provider.versions()).toEqual([2, 1]);
  });

  it('picks the highest version whatever the order', () => {
    const provider = createEnvKeyProvider(`1:${a.base64},3:${b.base64},2:${c.base64}`);
    expect(provider.currentVersion()).toBe(3);
    expect(provider.versions()).toEqual([3, 2, 1]);
  });

  it('accepts a single version, and large versions up to nine digits', () => {
    expect(createEnvKeyProvider(`1:${a.base64}`).versions()).toEqual([1]);
    expect(createEnvKeyProvider(`999999999:${a.base64}`).currentVersion()).toBe(999999999);
  });

  it('parseVersionedKeys yields SecretKeys of the decoded bytes', () => {
    const keys = parseVersionedKeys(`7:${a.base64}`, 'TEST');
    expect([...keys.keys()]).toEqual([7]);
    const key = keys.get(7) as SecretKey;
    expect(key).toBeInstanceOf(SecretKey);
    expect(key.bytes().toString('base64')).toBe(a.base64);
  });

  const short16 = material(16);
  const short31 = material(31);
  const long33 = material(33);
  const long64 = material(64);
  // 32 bytes -> 43 characters + "="; the last character carries 4 bits, the 2 lowest are unused.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lastChar = a.base64.at(-2) as string;
  const trailingBits = `${a.base64.slice(0, -2)}${alphabet[alphabet.indexOf(lastChar) | 1]}=`;

  const rejected: [string, string, RegExp, Material[]][] = [
    ['version 0', `0:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['version 01 (leading zero)', `01:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['version -1', `-1:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['version +1', `+1:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['version a', `a:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['version 1e3', `1e3:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['version 1.5', `1.5:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['an empty version', `:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['a ten-digit version', `1000000000:${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['a bad version in the second entry', `2:${a.base64},0:${b.base64}`, /entry 2 is not "version:base64"/, [a, b]],
    ['a duplicate version', `1:${a.base64},1:${b.base64}`, /key version 1 appears twice/, [a, b]],
    ['a duplicate version, same key', `3:${a.base64},2:${b.base64},3:${a.base64}`, /key version 3 appears twice/, [a, b]],
    ['a 16-byte key', `1:${short16.base64}`, /key version 1 is 16 bytes; 32 are required/, [short16]],
    ['a 31-byte key', `1:${short31.base64}`, /key version 1 is 31 bytes; 32 are required/, [short31]],
    ['a 33-byte key', `1:${long33.base64}`, /key version 1 is 33 bytes; 32 are required/, [long33]],
    ['a 64-byte key', `1:${long64.base64}`, /key version 1 is 64 bytes; 32 are required/, [long64]],
    ['base64 without its padding', `1:${a.base64.replace(/=+$/, '')}`, /entry 1 is not canonical base64/, [a]],
    ['base64 with extra padding', `1:${a.base64}=`, /entry 1 is not canonical base64/, [a]],
    ['base64 with trailing bits set (non-canonical)', `1:${trailingBits}`, /entry 1 is not canonical base64/, [a]],
    ['base64url characters', `1:${a.base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/^./, '-')}`, /entry 1 is not "version:base64"/, [a]],
    ['whitespace inside the key', `1:${a.base64.slice(0, 10)} ${a.base64.slice(10)}`, /entry 1 is not "version:base64"/, [a]],
    ['spaces around the colon', `1 : ${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['a missing colon', `1${a.base64}`, /entry 1 is not "version:base64"/, [a]],
    ['a missing version and colon', a.base64, /entry 1 is not "version:base64"/, [a]],
    ['an empty key', '1:', /entry 1 is not "version:base64"/, []],
    ['a trailing comma', `1:${a.base64},`, /entry 2 is not "version:base64"/, [a]],
    ['an empty entry between commas', `2:${a.base64},,1:${b.base64}`, /entry 2 is not "version:base64"/, [a, b]],
    ['a semicolon separator', `2:${a.base64};1:${b.base64}`, /entry 1 is not "version:base64"/, [a, b]],
    ['an empty value', '', /^CUSTODIA_KEYS is empty$/, []],
    ['only spaces', '   ', /^CUSTODIA_KEYS is empty$/, []],
    ['only a comma', ',', /entry 1 is not "version:base64"/, []],
  ];

  it.each(rejected)('rejects %s with vault.invalid_key_material, without echoing key material', async (_name, value, message, materials) => {
    const error = await expectAppError(() => createEnvKeyProvider(value), VaultErrors.invalid_key_material, message);
    expect(error.message).toMatch(/^CUSTODIA_KEYS/);
    expectNoMaterial(error, ...materials);
  });

  it('rejects an unset variable', async () => {
    await expectAppError(() => createEnvKeyProvider(undefined), VaultErrors.invalid_key_material, 'CUSTODIA_KEYS is empty');
  });
});

describe('env provider: wrapping', () => {
  const v1 = material();
  const v2 = material();
  const dataKey = randomBytes(32);

  it('wraps and unwraps with a context, recording the root version in a self-describing value', async () => {
    const provider = createEnvKeyProvider(`1:${v1.base64}`);
    const wrapped = await provider.wrap(dataKey, tenantContext);
    expect(wrapped).toMatch(/^v1\.r1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(wrapped).not.toContain(dataKey.toString('base64url'));
    expect((await provider.unwrap(wrapped, tenantContext)).equals(dataKey)).toBe(true);
  });

  it('two wraps of the same key differ (fresh nonce) and both unwrap', async () => {
    const provider = createEnvKeyProvider(`1:${v1.base64}`);
    const [first, second] = [await provider.wrap(dataKey, tenantContext), await provider.wrap(dataKey, tenantContext)];
    expect(first).not.toBe(second);
    expect((await provider.unwrap(first, tenantContext)).equals(dataKey)).toBe(true);
    expect((await provider.unwrap(second, tenantContext)).equals(dataKey)).toBe(true);
  });

  it.each([
    ['another tenant', ['tenant-2', 'kek', '1']],
    ['another purpose', ['tenant-1', 'index', '1']],
    ['another version', ['tenant-1', 'kek', '2']],
    ['a prefix of the context', ['tenant-1', 'kek']],
    ['a longer context', ['tenant-1', 'kek', '1', '']],
    ['the parts joined', ['tenant-1.kek.1']],
    ['no context', []],
  ])('unwrapping with %s fails with vault.decrypt_failed', async (_name, context) => {
    const provider = createEnvKeyProvider(`1:${v1.base64}`);
    const wrapped = await provider.wrap(dataKey, tenantContext);
    await expectAppError(() => provider.unwrap(wrapped, context), VaultErrors.decrypt_failed, VaultErrors.decrypt_failed.title);
  });

  it('a value wrapped by version 1 still unwraps after version 2 is added; new wraps use version 2', async () => {
    const before = createEnvKeyProvider(`1:${v1.base64}`);
    const wrappedByV1 = await before.wrap(dataKey, tenantContext);
    const after = createEnvKeyProvider(`2:${v2.base64},1:${v1.base64}`);
    expect((await after.unwrap(wrappedByV1, tenantContext)).equals(dataKey)).toBe(true);
    const wrappedByV2 = await after.wrap(dataKey, tenantContext);
    expect(wrappedByV2).toMatch(/^v1\.r2\./);
    expect((await after.unwrap(wrappedByV2, tenantContext)).equals(dataKey)).toBe(true);
  });

  it('a value whose root version is not present fails with vault.unknown_key_version', async () => {
    const rotated = createEnvKeyProvider(`2:${v2.base64},1:${v1.base64}`);
    const wrappedByV2 = await rotated.wrap(dataKey, tenantContext);
    const old = createEnvKeyProvider(`1:${v1.base64}`);
    const error = await expectAppError(() => old.unwrap(wrappedByV2, tenantContext), VaultErrors.unknown_key_version, 'Root key version 2 is not available from the env key provider');
    expectNoMaterial(error, v1, v2);
  });

  it('editing the root version in a wrapped value fails with vault.decrypt_failed (the version is bound)', async () => {
    const provider = createEnvKeyProvider(`2:${v2.base64},1:${v1.base64}`);
    const wrapped = await provider.wrap(dataKey, tenantContext);
    const edited = wrapped.replace(/^v1\.r2\./, 'v1.r1.');
    await expectAppError(() => provider.unwrap(edited, tenantContext), VaultErrors.decrypt_failed);
  });

  it('the same version number with another key fails with vault.decrypt_failed', async () => {
    const wrapped = await createEnvKeyProvider(`1:${v1.base64}`).wrap(dataKey, tenantContext);
    await expectAppError(() => createEnvKeyProvider(`1:${v2.base64}`).unwrap(wrapped, tenantContext), VaultErrors.decrypt_failed);
  });

  it.each([
    ['a data-key reference', (w: string) => w.replace(/^v1\.r1\./, 'v1.k1.')],
    ['version r0', (w: string) => w.replace(/^v1\.r1\./, 'v1.r0.')],
    ['version r01', (w: string) => w.replace(/^v1\.r1\./, 'v1.r01.')],
    ['a truncated value', (w: string) => w.slice(0, -3)],
    ['an empty value', () => ''],
    ['garbage', () => 'not a wrapped key'],
  ])('a wrapped value with %s fails with vault.malformed_ciphertext', async (_name, edit) => {
    const provider = createEnvKeyProvider(`1:${v1.base64}`);
    const wrapped = await provider.wrap(dataKey, tenantContext);
    await expectAppError(() => provider.unwrap(edit(wrapped), tenantContext), VaultErrors.malformed_ciphertext);
  });

  it('a provider without keys cannot be created', async () => {
    await expectAppError(() => new InProcessRootKeys('empty', new Map()), VaultErrors.invalid_key_material, 'The key provider holds no keys');
  });

  it('the provider itself serializes without key material', () => {
    const provider: KeyProvider = createEnvKeyProvider(`2:${v2.base64},1:${v1.base64}`);
    const text = [JSON.stringify(provider), inspect(provider, { showHidden: true, depth: Infinity }), String(provider)].join('\n');
    for (const m of [v1, v2]) for (const spelling of m.spellings) expect(text).not.toContain(spelling);
  });
});

describe('local provider', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'custodia-keys-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a key file with exactly `mode`, whatever the umask. */
  function writeKeyFile(content: string, mode = 0o600, name = 'keys.json'): string {
    const file = path.join(dir, name);
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, mode);
    return file;
  }

  const fileFor = (keys: Record<string, unknown>) => JSON.stringify({ format: 'custodia.keys.v1', keys });

  it('createLocalKeyFile makes a 0600 file (in a new 0700 directory) that loads', async () => {
    const file = path.join(dir, 'nested', 'data', 'keys.json');
    createLocalKeyFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o077).toBe(0);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { format: string; keys: Record<string, string> };
    expect(parsed.format).toBe('custodia.keys.v1');
    expect(Object.keys(parsed.keys)).toEqual(['1']);
    expect(Buffer.from(parsed.keys['1'] as string, 'base64')).toHaveLength(32);

    const provider = loadLocalKeyProvider(file);
    expect(provider.kind).toBe('local');
    expect(provider.currentVersion()).toBe(1);
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrap(dataKey, tenantContext);
    expect((await loadLocalKeyProvider(file).unwrap(wrapped, tenantContext)).equals(dataKey)).toBe(true);
    await expectAppError(() => provider.unwrap(wrapped, ['tenant-2', 'kek', '1']), VaultErrors.decrypt_failed);
  });

  it('two created files hold different keys', () => {
    createLocalKeyFile(path.join(dir, 'a.json'));
    createLocalKeyFile(path.join(dir, 'b.json'));
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).not.toBe(readFileSync(path.join(dir, 'b.json'), 'utf8'));
  });

  it('createLocalKeyFile refuses to overwrite an existing file, which stays as it was', async () => {
    const file = path.join(dir, 'keys.json');
    createLocalKeyFile(file);
    const before = readFileSync(file, 'utf8');
    const error = await caught(() => createLocalKeyFile(file));
    expect(error).toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('loads several versions and picks the highest as current', () => {
    const [one, two] = [material(), material()];
    const provider = loadLocalKeyProvider(writeKeyFile(fileFor({ '1': one.base64, '2': two.base64 })));
    expect(provider.versions()).toEqual([2, 1]);
  });

  it('accepts mode 0400 (stricter than 0600)', () => {
    expect(loadLocalKeyProvider(writeKeyFile(fileFor({ '1': material().base64 }), 0o400)).kind).toBe('local');
  });

  it.each([0o640, 0o604, 0o660, 0o644, 0o602, 0o620, 0o666, 0o700 | 0o001])(
    'refuses a file with mode %o, suggesting chmod 600, without echoing the key',
    async (mode) => {
      const key = material();
      const file = writeKeyFile(fileFor({ '1': key.base64 }), mode);
      const error = await expectAppError(() => loadLocalKeyProvider(file), VaultErrors.invalid_key_material, /readable or writable by others/);
      expect(error.message).toContain(`chmod 600 ${file}`);
      expect(error.message).toContain(`mode ${mode.toString(8)}`);
      expectNoMaterial(error, key);
    },
  );

  it('refuses a directory', async () => {
    const sub = path.join(dir, 'keys.json');
    mkdirSync(sub, { mode: 0o700 });
    await expectAppError(() => loadLocalKeyProvider(sub), VaultErrors.invalid_key_material, `The key file ${sub} is not a regular file`);
  });

  it('refuses a missing file, naming the reason', async () => {
    const file = path.join(dir, 'absent.json');
    await expectAppError(() => loadLocalKeyProvider(file), VaultErrors.invalid_key_material, `Cannot open the key file ${file}: ENOENT`);
  });

  it('refuses a FIFO at once instead of blocking on it', async () => {
    const fifo = path.join(dir, 'keys.fifo');
    try {
      execFileSync('mkfifo', ['-m', '600', fifo]);
    } catch {
      return; // no mkfifo here: nothing to test
    }
    expect(existsSync(fifo)).toBe(true);
    await expectAppError(() => loadLocalKeyProvider(fifo), VaultErrors.invalid_key_material, `The key file ${fifo} is not a regular file`);
  });

  it('refuses invalid JSON without quoting it (it may hold key material)', async () => {
    const key = material();
    const file = writeKeyFile(`{"format":"custodia.keys.v1","keys":{"1":"${key.base64}"`);
    const error = await expectAppError(() => loadLocalKeyProvider(file), VaultErrors.invalid_key_material, `The key file ${file} is not valid JSON`);
    expectNoMaterial(error, key);
  });

  it.each([
    ['a wrong format field', (k: string) => JSON.stringify({ format: 'custodia.keys.v2', keys: { '1': k } })],
    ['no format field', (k: string) => JSON.stringify({ keys: { '1': k } })],
    ['no keys', () => JSON.stringify({ format: 'custodia.keys.v1' })],
    ['null keys', () => JSON.stringify({ format: 'custodia.keys.v1', keys: null })],
    ['keys as a string', (k: string) => JSON.stringify({ format: 'custodia.keys.v1', keys: `1:${k}` })],
    ['a JSON array', (k: string) => JSON.stringify([k])],
    ['a JSON string', (k: string) => JSON.stringify(k)],
    ['JSON null', () => 'null'],
  ])('refuses %s as not a custodia.keys.v1 file, without echoing the key', async (_name, content) => {
    const key = material();
    const file = writeKeyFile(content(key.base64));
    const error = await expectAppError(() => loadLocalKeyProvider(file), VaultErrors.invalid_key_material, `The key file ${file} is not a custodia.keys.v1 file`);
    expectNoMaterial(error, key);
  });

  it.each([
    ['a number', 1234],
    ['null', null],
    ['an object', { base64: 'x' }],
    ['an array', ['x']],
    ['a boolean', true],
  ])('refuses a key that is %s', async (_name, value) => {
    const good = material();
    const file = writeKeyFile(fileFor({ '1': good.base64, '2': value }));
    const error = await expectAppError(() => loadLocalKeyProvider(file), VaultErrors.invalid_key_material, `The key file ${file} has a key that is not a string`);
    expectNoMaterial(error, good);
  });

  it.each([
    ['a value smuggling a second entry after a comma', (a: string, b: string) => ({ '1': `${a},2:${b}` })],
    ['a name smuggling an entry before a comma', (a: string, b: string) => ({ [`2:${b},1`]: a })],
    ['a name with spaces', (a: string) => ({ ' 1': a })],
    ['a value with a trailing space', (a: string) => ({ '1': `${a} ` })],
    ['a value with a trailing newline', (a: string) => ({ '1': `${a}\n` })],
    ['a version with a leading zero', (a: string) => ({ '01': a })],
    ['version 0', (a: string) => ({ '0': a })],
    ['a non-numeric version', (a: string) => ({ current: a })],
    ['a short key', () => ({ '1': randomBytes(16).toString('base64') })],
    ['non-canonical base64', (a: string) => ({ '1': a.replace(/=$/, '') })],
    ['base64url', (a: string) => ({ '1': Buffer.from(a, 'base64').toString('base64url') })],
    ['no keys at all', () => ({})],
  ])('refuses %s, without echoing key material', async (_name, keys) => {
    const [a, b] = [material(), material()];
    const file = writeKeyFile(fileFor(keys(a.base64, b.base64)));
    const error = await expectAppError(() => loadLocalKeyProvider(file), VaultErrors.invalid_key_material);
    expectNoMaterial(error, a, b);
  });
});
