/**
 * An exclusive lock on the PGlite data directory: a lock file created atomically (O_EXCL) holding
 * the owner's pid. A lock left by a process that no longer exists (killed, crashed) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { AppError } from '../platform/errors.js';
import { DbErrors } from './errors.js';

export interface DataDirLock {
  release(): void;
}

const LOCK_FILE = 'custodia.lock';

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(file);
      if (owner !== undefined && owner.host === hostname() && isAlive(owner.pid)) {
        throw new AppError(DbErrors.data_dir_locked, {
          detail: `The data directory ${dataDir} is in use by process ${owner.pid}. Stop that server first, or run this command against it through its API.`,
        });
      }
      if (owner !== undefined && owner.host !== hostname()) {
        throw new AppError(DbErrors.data_dir_locked, {
          detail: `The data directory ${dataDir} is locked by a process on host ${owner.host}; remove ${file} only if you are sure it is not running.`,
        });
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new AppError(DbErrors.data_dir_locked, { detail: `Could not lock ${dataDir}` });
}

function readOwner(file: string): { pid: number; host: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const { pid, host } = parsed as { pid?: unknown; host?: unknown };
      if (typeof pid === 'number' && Number.isInteger(pid) && typeof host === 'string') return { pid, host };
    }
  } catch {
    // unreadable or half-written: treat as stale
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
