#!/usr/bin/env node
// Runs a command (`node scripts/with-services.mjs vitest run`) against the machine's PostgreSQL
// and Redis: sets TEST_DATABASE_URL and TEST_REDIS_URL (defaults below unless already set),
// checks that both servers answer, then runs the command with those variables and exits with
// its exit code. Used by `npm run test:pg`.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import pg from 'pg';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 5_000;

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function checkPostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url) {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket error (ECONNREFUSED...) says more than the "Connection is closed" that follows it.
  let socketError;
  redis.on('error', (error) => (socketError ??= error));
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`unexpected answer to PING: ${pong}`);
  } catch (error) {
    throw socketError ?? error;
  } finally {
    redis.disconnect();
  }
}

const command = process.argv.slice(2);
if (command.length === 0) {
  console.error('usage: node scripts/with-services.mjs <command> [args...]   (e.g. vitest run)');
  process.exit(2);
}

const env = { ...process.env };
env.TEST_DATABASE_URL ||= DEFAULT_DATABASE_URL;
env.TEST_REDIS_URL ||= DEFAULT_REDIS_URL;

const problems = [];
await checkPostgres(env.TEST_DATABASE_URL).catch((error) =>
  problems.push(
    `PostgreSQL at ${redact(env.TEST_DATABASE_URL)} does not answer: ${error.message}\n` +
      '  start it (e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL',
  ),
);
await checkRedis(env.TEST_REDIS_URL).catch((error) =>
  problems.push(
    `Redis at ${redact(env.TEST_REDIS_URL)} does not answer: ${error.message}\n` +
      '  start it (e.g. redis-server --daemonize yes --port 6379) or set TEST_REDIS_URL',
  ),
);
if (problems.length > 0) {
  console.error(`with-services: the test servers are not reachable:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
console.error(`with-services: PostgreSQL ${redact(env.TEST_DATABASE_URL)}, Redis ${redact(env.TEST_REDIS_URL)}`);

// `npx` finds the project's local binaries (vitest) as npm scripts do, and anything else on PATH.
const child = spawn('npx', ['--no-install', ...command], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  console.error(`with-services: cannot run ${command.join(' ')}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
