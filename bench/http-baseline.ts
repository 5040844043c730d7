import { randomBytes } from 'node:crypto';
/**
 * http-baseline: what the full Custodia app costs per request, and how long it takes to become
 * ready, each against a baseline measured in the same run on the same machine.
 *
 * (a) Throughput of GET /healthz through the full app (buildApp on a real context with an
 *     in-memory PGlite, every hook, plugin and security header) versus a bare Fastify
 *     hello-world route. Both servers listen in this process on 127.0.0.1:0; the load comes from
 *     autocannon in a child process (its own core). The two are measured alternately, each run
 *     preceded by a warm-up, and the median of the runs is reported.
 * (b) Start-up to ready on PGlite: `node bin/custodia.js serve` on a fresh data directory (first
 *     start: initdb and migrations), then again on the same directory (second start), timed from
 *     spawn until /readyz answers 200; baseline: a `node -e` Fastify hello-world process, timed
 *     the same way until it answers.
 *
 * Output: one JSON object per line on stdout. Usage:
 *   npm run bench -- http-baseline [--connections 10] [--duration 5] [--warmup 1] [--rounds 3] [--startups 3]
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config/index.js';
import { openDatabase } from '../src/db/index.js';
import { createLogger } from '../src/platform/logger.js';
import { buildApp } from '../src/server/app.js';
import { createContext } from '../src/server/context.js';
import { emitter, median, round2 } from './lib/stats.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const AUTOCANNON = path.join(ROOT, 'node_modules/autocannon/autocannon.js');
const BENCH = 'http-baseline';
const emit = emitter(BENCH);

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    startups: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const CONNECTIONS = Number(args.connections);
const DURATION_S = Number(args.duration);
const WARMUP_S = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const STARTUPS = Number(args.startups);


// ---------------------------------------------------------------------------------------------
// (a) throughput

interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Runs autocannon in its own process (so the load generator does not share this event loop). */
function autocannon(url: string, durationS: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [AUTOCANNON, '--json', '--no-progress', '-c', String(CONNECTIONS), '-d', String(durationS), url],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) return reject(new Error(`autocannon failed: ${error.message}\n${stderr}`));
        const r = JSON.parse(stdout) as {
          requests: { average: number; total: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
          timeouts: number;
        };
        return resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts });
      },
    );
  });
}

const discard = new Writable({
  write(_chunk, _encoding, callback) {
    callback();
  },
});

async function startFullApp(): Promise<{ url: string; close: () => Promise<void> }> {
  const pglite = await PGlite.create('memory://');
  const db = await openDatabase({ pglite });
  // Production-like settings (log level info; /healthz itself logs only at warn), logs discarded.
  const config = loadConfig({ env: { NODE_ENV: 'development', LOG_LEVEL: 'info', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: `1:${randomBytes(32).toString('base64')}` } });
  const ctx = await createContext(config, { db, logger: createLogger('info', discard) });
  const app = await buildApp(ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/healthz`,
    async close() {
      await app.close();
      await ctx.close();
      await db.close();
    },
  };
}

async function startBareFastify(): Promise<{ url: string; close: () => Promise<void> }> {
  const app: FastifyInstance = Fastify();
  app.get('/', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => app.close() };
}

async function throughput(): Promise<void> {
  const targets = { full: await startFullApp(), bare: await startBareFastify() };
  const runs: Record<'full' | 'bare', LoadResult[]> = { full: [], bare: [] };
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Alternate which goes first, so neither always benefits from a cooler machine.
      const order: ('full' | 'bare')[] = round % 2 === 1 ? ['full', 'bare'] : ['bare', 'full'];
      for (const name of order) {
        if (WARMUP_S > 0) await autocannon(targets[name].url, WARMUP_S);
        const result = await autocannon(targets[name].url, DURATION_S);
        if (result.non2xx > 0 || result.errors > 0) {
          throw new Error(`${name}: ${result.non2xx} non-2xx answers and ${result.errors} errors; the numbers would be meaningless`);
        }
        runs[name].push(result);
        emit({ kind: 'run', target: name, round, rps: round2(result.rps), latency_p50_ms: result.p50, latency_p99_ms: result.p99, requests: result.requests });
      }
    }
  } finally {
    await targets.full.close();
    await targets.bare.close();
  }
  const summary = (name: 'full' | 'bare') => ({
    rps: round2(median(runs[name].map((r) => r.rps))),
    latency_p50_ms: median(runs[name].map((r) => r.p50)),
    latency_p99_ms: median(runs[name].map((r) => r.p99)),
  });
  const full = summary('full');
  const bare = summary('bare');
  const load = { connections: CONNECTIONS, duration_s: DURATION_S, warmup_s: WARMUP_S, rounds: ROUNDS };
  emit({ kind: 'result', metric: 'throughput', target: 'full', route: 'GET /healthz (full app, PGlite in memory)', ...full, ...load });
  emit({ kind: 'result', metric: 'throughput', target: 'bare', route: 'GET / (bare Fastify hello-world)', ...bare, ...load });
  emit({
    kind: 'ratio',
    metric: 'throughput',
    full_over_bare_rps: round2(full.rps / bare.rps),
    full_over_bare_latency_p50: bare.latency_p50_ms > 0 ? round2(full.latency_p50_ms / bare.latency_p50_ms) : null,
    full_over_bare_latency_p99: bare.latency_p99_ms > 0 ? round2(full.latency_p99_ms / bare.latency_p99_ms) : null,
  });
}

// ---------------------------------------------------------------------------------------------
// (b) start-up to ready

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One GET; resolves to the status code, or undefined when nothing answers yet. */
function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** The environment without anything that would point the server elsewhere than its embedded default. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('CUSTODIA_') && name !== 'DATABASE_URL' && name !== 'REDIS_URL' && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return { ...env, ...extra };
}

/** Spawns a process and measures milliseconds until `url` answers 200. Leaves it running. */
async function timeToReady(command: string[], url: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; child: ChildProcess }> {
  const started = performance.now();
  const child = spawn(command[0] as string, command.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const deadline = started + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode} before it was ready\n${stderr}`);
    const status = await probe(url);
    if (status === 200) return { ms: performance.now() - started, child };
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command.join(' ')}: not ready within 120 s\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

const HELLO_WORLD = [
  "const app = require('fastify')();",
  "app.get('/', async () => ({ hello: 'world' }));",
  "app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });",
].join(' ');

async function startup(): Promise<void> {
  const first: number[] = [];
  const second: number[] = [];
  const baseline: number[] = [];
  for (let i = 1; i <= STARTUPS; i += 1) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'custodia-bench-'));
    try {
      const port = await freePort();
      const env = cleanEnv({ CUSTODIA_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'warn' });
      const readyz = `http://127.0.0.1:${port}/readyz`;
      const serve = [process.execPath, path.join(ROOT, 'bin/custodia.js'), 'serve'];

      const a = await timeToReady(serve, readyz, env);
      await stop(a.child);
      first.push(a.ms);
      const b = await timeToReady(serve, readyz, env);
      await stop(b.child);
      second.push(b.ms);

      const basePort = await freePort();
      const c = await timeToReady([process.execPath, '-e', HELLO_WORLD], `http://127.0.0.1:${basePort}/`, cleanEnv({ PORT: String(basePort) }));
      await stop(c.child);
      baseline.push(c.ms);
      emit({ kind: 'run', metric: 'startup', round: i, first_start_ms: Math.round(a.ms), second_start_ms: Math.round(b.ms), baseline_ms: Math.round(c.ms) });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const firstMs = median(first);
  const secondMs = median(second);
  const baseMs = median(baseline);
  emit({ kind: 'result', metric: 'startup', target: 'first_start', description: 'custodia serve on a fresh PGlite data dir (initdb + migrations) until /readyz is 200', ms: Math.round(firstMs), runs: STARTUPS });
  emit({ kind: 'result', metric: 'startup', target: 'second_start', description: 'custodia serve on the same data dir until /readyz is 200', ms: Math.round(secondMs), runs: STARTUPS });
  emit({ kind: 'result', metric: 'startup', target: 'baseline', description: 'node -e Fastify hello-world until it answers 200', ms: Math.round(baseMs), runs: STARTUPS });
  emit({ kind: 'ratio', metric: 'startup', first_over_baseline: round2(firstMs / baseMs), second_over_baseline: round2(secondMs / baseMs) });
}

// ---------------------------------------------------------------------------------------------

emit({
  kind: 'environment',
  node: process.version,
  cpus: availableParallelism(),
  cpu_model: cpus()[0]?.model ?? 'unknown',
  date: new Date().toISOString(),
  // Other work on the machine skews every number; the load average says how much there was.
  loadavg_1m_start: round2(loadavg()[0] ?? 0),
});
if (args.only === undefined || args.only === 'throughput') await throughput();
if (args.only === undefined || args.only === 'startup') await startup();
emit({ kind: 'environment', loadavg_1m_end: round2(loadavg()[0] ?? 0) });
