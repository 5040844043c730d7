/**
 * Runs the real `custodia` command (bin/custodia.js, which runs the build in dist/) as a child
 * process, for the process-level tests: CLI, crash safety, graceful shutdown.
 *
 * Children get a clean environment (PATH and HOME plus what the test passes), so nothing from the
 * test runner leaks in: a stray `CUSTODIA_*` variable would be rejected as an unknown
 * setting, and a developer's `DATABASE_URL` would point the child at the wrong database. Every
 * child is tracked, and {@link killChildren} (called from `afterEach`) kills whatever is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CLI = path.resolve(import.meta.dirname, '../../bin/custodia.js');

/** A hang guard, not a measurement: long enough for a loaded 2-core machine. */
const DEFAULT_DEADLINE_MS = 90_000;

const children = new Set<ChildProcess>();

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface CliResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

export function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

/** A running `custodia` process whose output the test can wait on. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  #listeners = new Set<() => void>();

  constructor(args: readonly string[], env: Record<string, string | undefined>) {
    this.child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.child);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      for (const listener of [...this.#listeners]) listener();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        children.delete(this.child);
        this.#exit = { code, signal };
        for (const listener of [...this.#listeners]) listener();
        resolve(this.#exit);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the process did not start');
    return this.child.pid;
  }

  /**
   * Resolves with the first match of `pattern` in stdout (as soon as the chunk carrying it
   * arrives, so the caller can act on it before the child does anything else observable).
   * Rejects if the process exits first or the hang guard expires.
   */
  waitForStdout(pattern: RegExp, deadlineMs = DEFAULT_DEADLINE_MS): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.stdout.match(pattern);
        if (match !== null) {
          done();
          resolve(match);
        } else if (this.#exit !== undefined) {
          done();
          reject(new Error(`process exited (${JSON.stringify(this.#exit)}) before printing ${pattern}\n${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} on stdout after ${deadlineMs} ms\n${this.describe()}`));
      }, deadlineMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits for the exit, failing (with the output) if it does not come before the hang guard. */
  async waitForExit(deadlineMs = DEFAULT_DEADLINE_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process still running after ${deadlineMs} ms\n${this.describe()}`)), deadlineMs);
    });
    try {
      return await Promise.race([this.exited, guard]);
    } finally {
      clearTimeout(timer);
    }
  }

  describe(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }
}

export function startCli(args: readonly string[], env: Record<string, string | undefined> = {}): CliProcess {
  return new CliProcess(args, env);
}

/** Runs a command to completion. */
export async function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const proc = startCli(args, env);
  const exit = await proc.waitForExit();
  return { ...exit, stdout: proc.stdout, stderr: proc.stderr };
}

/** Kills every child still running (SIGKILL) and waits for them to be gone. */
export async function killChildren(): Promise<void> {
  const running = [...children];
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            children.delete(child);
            resolve();
            return;
          }
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Temporary directories made by a test file; {@link removeTempDirs} deletes them. */
const tempDirs: string[] = [];

export function makeTempDir(prefix = 'custodia-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A copy of `template` in a new temporary directory (a PGlite cluster copies as plain files). */
export function copyDataDir(template: string): string {
  const dir = path.join(makeTempDir(), 'data');
  cpSync(template, dir, { recursive: true });
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The JSON lines (pino logs) printed on stdout, skipping anything that is not a JSON object. */
export function logLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) out.push(parsed as Record<string, unknown>);
    } catch {
      // a line of a pretty-printed document, not a log line
    }
  }
  return out;
}
