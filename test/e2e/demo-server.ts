/**
 * The real server for browser tests: `custodia serve --demo` on a fresh data directory and an
 * OS-chosen port, its embedded database whatever the calling shell points at, and what its banner
 * prints (URL, platform token, invitation links) parsed for the tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface DemoServer {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly platformToken: string;
  readonly invitations: readonly { email: string; role: string; url: string; token: string }[];
  readonly output: () => string;
}

export async function startDemoServer(dataDir: string): Promise<DemoServer> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The server must use its embedded default, whatever the calling shell points at.
    if (!name.startsWith('CUSTODIA_') && name !== 'DATABASE_URL' && name !== 'REDIS_URL') env[name] = value;
  }
  Object.assign(env, { CUSTODIA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'warn' });
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/custodia.js'), 'serve', '--demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const output = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its banner within 60 s\n${output()}`)), 60_000);
    const check = () => {
      if (stdout.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal})\n${output()}`));
    });
  });

  const url = /is running at (http:\/\/\S+)/.exec(stdout)?.[1];
  if (url === undefined) throw new Error(`no URL in the server's banner\n${output()}`);
  const platformToken = /Platform administrator token[^\n]*\n\s+(\S+)/.exec(stdout)?.[1];
  if (platformToken === undefined) throw new Error(`no platform token in the server's banner\n${output()}`);
  const invitations = [...stdout.matchAll(/^\s+(\S+@\S+)\s+(\S+)\s+(http:\/\/\S+\/invite#(cinv_[A-Za-z0-9_-]+))\s*$/gm)].map((m) => ({
    email: m[1] as string,
    role: m[2] as string,
    url: m[3] as string,
    token: m[4] as string,
  }));
  if (invitations.length === 0) throw new Error(`no invitation links in the server's banner\n${output()}`);
  return { child, url, port: Number(new URL(url).port), platformToken, invitations, output };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
