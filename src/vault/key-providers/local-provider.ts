/**
 * The `local` key provider: root keys in a file that only its owner may read (mode 0600 or
 * stricter; a file readable by group or others is refused, as ssh does with private keys).
 *
 * File format (JSON): `{"format":"custodia.keys.v1","keys":{"1":"<base64 of 32 bytes>"}}`.
 * `custodia init` creates it; in development `serve` creates it on first start.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../platform/errors.js';
import { VaultErrors } from '../errors.js';
import { parseKeyEntries } from './env-provider.js';
import { InProcessRootKeys } from './root-keys.js';

const FORMAT = 'custodia.keys.v1';

export function loadLocalKeyProvider(file: string): InProcessRootKeys {
  let fd: number;
  try {
    // Non-blocking, so a FIFO at the path is refused below instead of hanging the start-up.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw invalid(`Cannot open the key file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let text: string;
  try {
    // Checked on the open descriptor, so the file cannot be swapped between the check and the read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw invalid(`The key file ${file} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw invalid(`The key file ${file} is readable or writable by others (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw invalid(`The key file ${file} belongs to another user`);
    }
    // A key file is a few hundred bytes; refuse to read something huge placed at its path.
    if (stat.size > 65_536) throw invalid(`The key file ${file} is larger than 64 KiB`);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`The key file ${file} is not valid JSON`);
  }
  const body = parsed as { format?: unknown; keys?: unknown };
  if (typeof parsed !== 'object' || parsed === null || body.format !== FORMAT || typeof body.keys !== 'object' || body.keys === null) {
    throw invalid(`The key file ${file} is not a ${FORMAT} file`);
  }
  const entries = Object.entries(body.keys as Record<string, unknown>);
  if (entries.some(([, v]) => typeof v !== 'string')) throw invalid(`The key file ${file} has a key that is not a string`);
  // Entry by entry, never joined into one comma-separated string: a value such as "<key>,2:<key>"
  // or a name such as " 1" must be refused, not parsed as something the file does not say.
  return new InProcessRootKeys('local', parseKeyEntries(entries.map(([version, key]) => `${version}:${String(key)}`), file));
}

/** Creates a key file with one fresh root key, atomically and 0600; refuses to overwrite. */
export function createLocalKeyFile(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const content = JSON.stringify({ format: FORMAT, keys: { '1': randomBytes(32).toString('base64') } }, null, 2);
  // Written in full to a temporary file, then linked into place: a crash leaves either no key
  // file or a complete one, and link() refuses to replace a file that appeared meanwhile.
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${content}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

function invalid(detail: string): AppError {
  return new AppError(VaultErrors.invalid_key_material, { detail });
}
