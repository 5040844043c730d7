import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../platform/errors.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { DbErrors } from './errors.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'custodia-lock-'));
const lockFile = (dir: string) => path.join(dir, 'custodia.lock');
const takeoverFile = (dir: string) => path.join(dir, 'custodia.lock.takeover');

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
  if (child.pid === undefined) throw new Error('could not start a child process');
  return child.pid;
}

function refusal(dir: string): AppErrorLike {
  try {
    acquireDataDirLock(dir).release();
  } catch (error) {
    if (isAppError(error, DbErrors.data_dir_locked)) return error;
    throw error;
  }
  throw new Error('the lock was acquired');
}
type AppErrorLike = { code: string; detail: string };

/**
 * Starts a process that holds the takeover lock of `dir` for `ms`; resolves once it holds it, with
 * a promise of its exit.
 */
async function holdTakeoverLock(dir: string, ms: number): Promise<{ exited: Promise<void> }> {
  const script = `
    const fs = require('node:fs');
    fs.writeFileSync(process.argv[1], JSON.stringify({ pid: process.pid, host: require('node:os').hostname() }));
    process.stdout.write('ready');
    setTimeout(() => fs.unlinkSync(process.argv[1]), ${ms});`;
  const child = spawn(process.execPath, ['-e', script, takeoverFile(dir)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', () => reject(new Error('the takeover holder exited early')));
  });
  return { exited };
}

describe('data directory lock', () => {
  it('is exclusive while held and free after release', () => {
    const dir = fresh();
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toEqual({ pid: process.pid, host: hostname(), id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(refusal(dir).detail).toBe(`The data directory ${dir} is in use by process ${process.pid}. Stop that server first, or run this command against it through its API.`);
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    acquireDataDirLock(dir).release();
    // Nothing else is left behind: no temporary file, no takeover lock.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock whose process no longer exists', () => {
    const dir = fresh();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over an unreadable lock (not written by this version)', () => {
    const dir = fresh();
    writeFileSync(lockFile(dir), 'garbage');
    acquireDataDirLock(dir).release();
  });

  it('does not take over a lock held by another host', () => {
    const dir = fresh();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: 1, host: 'some-other-host' }));
    expect(refusal(dir).detail).toBe(
      `The data directory ${dir} is locked by a process on host some-other-host; remove ${lockFile(dir)} only if you are sure it is not running.`,
    );
    expect(existsSync(lockFile(dir))).toBe(true);
  });

  it('release() removes only its own lock file', () => {
    const dir = fresh();
    const lock = acquireDataDirLock(dir);
    // Simulate an operator who removed the lock by hand and a second process that then locked.
    unlinkSync(lockFile(dir));
    const other = acquireDataDirLock(dir);
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(true);
    other.release();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('refuses, naming the file, when a takeover was interrupted by a process that died', () => {
    const dir = fresh();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: deadPid(), host: hostname() }));
    writeFileSync(takeoverFile(dir), JSON.stringify({ pid: deadPid(), host: hostname() }));
    expect(refusal(dir).detail).toBe(
      `A takeover of the lock of ${dir} was interrupted; remove ${takeoverFile(dir)} if no Custodia process is starting on it.`,
    );
    unlinkSync(takeoverFile(dir));
    acquireDataDirLock(dir).release();
  });

  it('waits for a takeover in progress by a live process, then judges the lock again', async () => {
    const dir = fresh();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: deadPid(), host: hostname() }));
    // Another live process holds the takeover lock for 300 ms, then lets go without taking the lock.
    const holder = await holdTakeoverLock(dir, 300);
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
    await holder.exited;
  });

  it('refuses when a live process keeps the takeover lock too long', async () => {
    const dir = fresh();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const holder = await holdTakeoverLock(dir, 3_000);
    expect(refusal(dir).detail).toMatch(new RegExp(`^The data directory ${dir} is being taken over by process \\d+; try again\\.$`));
    await holder.exited;
  }, 20_000);
});

/**
 * The attack: several processes start at once on a data directory whose lock was left by a
 * killed server. Each sees the stale lock; with "delete it, then create mine" a slow one deletes
 * the lock a fast one has just created, and both open the database (reproduced before the fix:
 * 3 of 12 processes acquired). Exactly one may win.
 *
 * Twelve processes race for 40 rounds. In each round the test leaves a stale lock, and every
 * process spins until the same instant and then tries to lock once; the winner holds the lock
 * until all have answered (so every loser meets a live owner), then releases it.
 */
describe('data directory lock under concurrent takeover', () => {
  const MODULE = fileURLToPath(new URL('./data-dir-lock.ts', import.meta.url));
  const SCRIPT = `
    const { acquireDataDirLock } = await import(${JSON.stringify(MODULE)});
    const { createInterface } = await import('node:readline');
    let lock;
    process.stdout.write('ready\\n');
    for await (const line of createInterface({ input: process.stdin })) {
      const [command, startAt] = line.split(' ');
      if (command === 'go') {
        while (Date.now() < Number(startAt));
        try {
          lock = acquireDataDirLock(process.env.LOCK_DIR);
          process.stdout.write('acquired\\n');
        } catch (error) {
          process.stdout.write((error.code ?? String(error)) + '\\n');
        }
      } else {
        lock?.release();
        lock = undefined;
        process.stdout.write('released\\n');
      }
    }`;

  class Racer {
    readonly child: ChildProcess;
    #lines: string[] = [];
    #partial = '';
    #waiters: (() => void)[] = [];
    constructor(dir: string) {
      this.child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
        env: { ...process.env, LOCK_DIR: dir },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (this.#partial + chunk).split('\n');
        this.#partial = parts.pop() ?? '';
        this.#lines.push(...parts);
        for (const w of this.#waiters.splice(0)) w();
      });
      this.child.once('exit', () => {
        for (const w of this.#waiters.splice(0)) w();
      });
    }
    send(line: string): void {
      this.child.stdin?.write(`${line}\n`);
    }
    next(): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = this.#lines.shift();
          if (line !== undefined) resolve(line);
          else if (this.child.exitCode !== null) reject(new Error('a racing process exited early'));
          else this.#waiters.push(check);
        };
        check();
      });
    }
    stop(): Promise<void> {
      return new Promise((resolve) => {
        if (this.child.exitCode !== null) return resolve();
        this.child.once('exit', () => resolve());
        this.child.stdin?.end();
      });
    }
  }

  it('exactly one of 12 processes takes over a stale lock, 40 times in a row', async () => {
    const dir = fresh();
    const stale = JSON.stringify({ pid: deadPid(), host: hostname() });
    const racers = Array.from({ length: 12 }, () => new Racer(dir));
    try {
      for (const r of racers) expect(await r.next()).toBe('ready');
      for (let round = 0; round < 40; round += 1) {
        writeFileSync(lockFile(dir), stale);
        const startAt = Date.now() + 20;
        for (const r of racers) r.send(`go ${startAt}`);
        const results = await Promise.all(racers.map((r) => r.next()));
        expect(results.filter((r) => r === 'acquired'), `round ${round}`).toHaveLength(1);
        expect(results.filter((r) => r !== 'acquired')).toEqual(Array(11).fill('db.data_dir_locked'));
        // The lock on disk is the winner's, not the stale one.
        const winner = racers[results.indexOf('acquired')]?.child.pid;
        expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: winner, host: hostname() });
        for (const r of racers) r.send('release');
        for (const r of racers) expect(await r.next()).toBe('released');
        // The winner released its lock; nothing else is left in the directory.
        expect(readdirSync(dir)).toEqual([]);
      }
    } finally {
      await Promise.all(racers.map((r) => r.stop()));
    }
  }, 120_000);
});
