import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../platform/errors.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { DbErrors } from './errors.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'custodia-lock-'));

describe('data directory lock', () => {
  it('is exclusive while held and free after release', () => {
    const dir = fresh();
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'custodia.lock'), 'utf8'))).toEqual({ pid: process.pid, host: hostname() });
    let refused: unknown;
    try {
      acquireDataDirLock(dir);
    } catch (error) {
      refused = error;
    }
    expect(isAppError(refused, DbErrors.data_dir_locked)).toBe(true);
    lock.release();
    expect(existsSync(path.join(dir, 'custodia.lock'))).toBe(false);
    acquireDataDirLock(dir).release();
  });

  it('takes over a lock whose process no longer exists', () => {
    const dir = fresh();
    // A pid that is certainly dead: a child that has already exited.
    const child = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
    writeFileSync(path.join(dir, 'custodia.lock'), JSON.stringify({ pid: child.pid, host: hostname() }));
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'custodia.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('does not take over a lock held by another host', () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'custodia.lock'), JSON.stringify({ pid: 1, host: 'some-other-host' }));
    expect(() => acquireDataDirLock(dir)).toThrow(/some-other-host/);
  });
});
