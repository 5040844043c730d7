import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../platform/errors.js';
import { secureDataDir } from './data-dir.js';
import { DbErrors } from './errors.js';

const modeOf = (p: string) => statSync(p).mode & 0o777;

function fresh(mode: number): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'custodia-datadir-')), 'data');
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}

describe('secureDataDir', () => {
  it('closes a pre-existing 0755 directory to 0700', () => {
    const dir = fresh(0o755);
    secureDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it('takes group and other permissions off every file and directory under it, keeping the owner\'s', () => {
    const dir = fresh(0o755);
    mkdirSync(path.join(dir, 'pgdata', 'base'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), '17', { mode: 0o666 });
    writeFileSync(path.join(dir, 'pgdata', 'base', '1'), '', { mode: 0o644 });
    chmodSync(path.join(dir, 'pgdata', 'PG_VERSION'), 0o666);
    const outside = path.join(path.dirname(dir), 'outside');
    writeFileSync(outside, '');
    chmodSync(outside, 0o644);
    symlinkSync(outside, path.join(dir, 'link'));
    secureDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(path.join(dir, 'pgdata'))).toBe(0o700);
    expect(modeOf(path.join(dir, 'pgdata', 'base'))).toBe(0o700);
    expect(modeOf(path.join(dir, 'pgdata', 'PG_VERSION'))).toBe(0o600);
    expect(modeOf(path.join(dir, 'pgdata', 'base', '1'))).toBe(0o600);
    // A symbolic link is not followed: its target is not ours to change.
    expect(modeOf(outside)).toBe(0o644);
  });

  it('leaves a 0700 directory as it is', () => {
    const dir = fresh(0o700);
    secureDataDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it("refuses a directory owned by another user, naming it, and does not change its mode", () => {
    const dir = fresh(0o755);
    const owner = statSync(dir).uid;
    let refused: unknown;
    try {
      secureDataDir(dir, { uid: owner + 1 });
    } catch (error) {
      refused = error;
    }
    expect(isAppError(refused, DbErrors.data_dir_not_owned)).toBe(true);
    expect((refused as Error).message).toBe(
      `The data directory ${dir} belongs to another user (uid ${owner}); this process runs as uid ${owner + 1}. Run Custodia as the directory's owner, or give it a directory of its own.`,
    );
    expect(modeOf(dir)).toBe(0o755);
  });

  it.runIf(process.getuid?.() === 0)('refuses, even as root, a directory that really belongs to another user', () => {
    const dir = fresh(0o755);
    chownSync(dir, 65534, 65534);
    expect(() => secureDataDir(dir)).toThrow(/belongs to another user \(uid 65534\)/);
    expect(modeOf(dir)).toBe(0o755);
  });
});
