/**
 * An exclusive lock on the PGlite data directory, between processes of one host.
 *
 * The lock is the file `custodia.lock`, holding `{"pid":...,"host":...,"id":...}`. It is created
 * atomically and whole: the content goes to a private temporary file, which is then hard-linked
 * to the lock's name; link(2) fails when the name exists (as O_EXCL does), and no reader ever
 * sees a half-written lock. A lock whose process no longer exists (killed, crashed) is taken over.
 *
 * Taking over is where lock files usually break: "the lock is stale: delete it, create mine" lets
 * a slow process delete the lock that a fast one has just created in place of the same stale
 * lock, and both go on to open the database. So a takeover happens only while holding a second
 * lock, `custodia.lock.takeover` (created the same way): under it the process reads the lock
 * again and deletes it only if it is still stale. Nothing else ever deletes a lock that is not
 * one's own, so what it read stays true until it deletes it.
 *
 * Why not mtime-based staleness (proper-lockfile and the like): its stale reclaim is the same
 * delete-then-create race (moxystudio/node-proper-lockfile#121), and its staleness needs periodic
 * mtime updates from the event loop, which a long PGlite transaction blocks (PGlite runs on the
 * main thread): a busy server would look dead and have its database opened by a second process.
 * A pid cannot look dead while its process lives. Its limits: it is checked only on the same host
 * (a lock from another host is never taken over; its owner cannot be checked from here), and a
 * pid reused by an unrelated process keeps a stale lock held until that process ends.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { AppError } from '../platform/errors.js';
import { DbErrors } from './errors.js';

export interface DataDirLock {
  release(): void;
}

const LOCK_FILE = 'custodia.lock';
const TAKEOVER_FILE = 'custodia.lock.takeover';
/** A takeover holds its lock for a few file operations; waiting longer than this means trouble. */
const TAKEOVER_WAIT_MS = 2_000;
const POLL_MS = 10;

interface Owner {
  readonly pid: number;
  readonly host: string;
  /** Random, per lock: tells a lock apart from a later one of the same process. */
  readonly id?: string;
}

/** The lock file's owner; `undefined` when it is missing, `'unreadable'` when it is not a lock of ours. */
type LockState = Owner | 'unreadable' | undefined;

/**
 * Takes the lock of `dataDir` or throws `db.data_dir_locked` naming who holds it.
 *
 * @example
 * ```ts
 * const lock = acquireDataDirLock('/var/lib/custodia');
 * try { ... } finally { lock.release(); }
 * ```
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: hostname(), id: randomBytes(8).toString('hex') };
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (createExclusive(file, me)) return ownLock(file, me);

    const owner = readLock(file);
    if (owner === undefined) continue; // released in the meantime: try again
    refuseIfHeld(dataDir, file, owner);

    // Stale: take it over, under the takeover lock.
    const takeover = path.join(dataDir, TAKEOVER_FILE);
    if (!createExclusive(takeover, me)) {
      const taker = readLock(takeover);
      if (taker === undefined) continue; // finished in the meantime: judge the lock again
      if (taker === 'unreadable' || !isAlive(taker)) {
        // Left by a process that died in the middle of a takeover. Removing it here would be the
        // same race one level up, and it cannot happen by itself: a person decides.
        throw new AppError(DbErrors.data_dir_locked, {
          detail: `A takeover of the lock of ${dataDir} was interrupted; remove ${takeover} if no Custodia process is starting on it.`,
        });
      }
      if (Date.now() >= deadline) {
        throw new AppError(DbErrors.data_dir_locked, { detail: `The data directory ${dataDir} is being taken over by process ${taker.pid}; try again.` });
      }
      sleep(POLL_MS);
      continue;
    }
    try {
      // Only a takeover deletes another process's lock, and we hold the only takeover: the lock
      // read here cannot change before the delete below (its owner is gone).
      const current = readLock(file);
      if (current !== undefined) {
        refuseIfHeld(dataDir, file, current);
        unlinkSync(file);
      }
      // Another process may create the lock between the delete and our link (through the plain
      // path above): it holds the lock then, and the next turn of the loop refuses with its pid.
      if (createExclusive(file, me)) return ownLock(file, me);
    } finally {
      removeIfOwn(takeover, me);
    }
  }
}

function refuseIfHeld(dataDir: string, file: string, owner: LockState): void {
  if (owner === undefined || owner === 'unreadable') return;
  if (owner.host !== hostname()) {
    throw new AppError(DbErrors.data_dir_locked, {
      detail: `The data directory ${dataDir} is locked by a process on host ${owner.host}; remove ${file} only if you are sure it is not running.`,
    });
  }
  if (isAlive(owner)) {
    throw new AppError(DbErrors.data_dir_locked, {
      detail: `The data directory ${dataDir} is in use by process ${owner.pid}. Stop that server first, or run this command against it through its API.`,
    });
  }
}

function ownLock(file: string, me: Owner): DataDirLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      removeIfOwn(file, me);
    },
  };
}

/** Creates `file` holding `owner`, atomically and whole; false when the file exists. */
function createExclusive(file: string, owner: Owner): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(owner), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
}

/** Deletes `file` if it is still the one `me` created (an operator may have replaced it). */
function removeIfOwn(file: string, me: Owner): void {
  const current = readLock(file);
  if (current !== undefined && current !== 'unreadable' && current.id === me.id && current.pid === me.pid) unlinkSync(file);
}

function readLock(file: string): LockState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) {
      const { pid, host, id } = parsed as { pid?: unknown; host?: unknown; id?: unknown };
      if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && typeof host === 'string') {
        return { pid, host, ...(typeof id === 'string' ? { id } : {}) };
      }
    }
  } catch {
    // not JSON: not a lock this version wrote (they are never half-written)
  }
  return 'unreadable';
}

function isAlive(owner: Owner): boolean {
  if (owner.host !== hostname()) return true; // cannot be checked from here
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread: acquiring the lock is synchronous, and the wait is a few milliseconds. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
