/**
 * Graceful shutdown of a real `custodia serve` process on SIGTERM.
 *
 * What the code promises (src/server/listen.ts, src/server/app.ts and Fastify's close()):
 * - on SIGTERM Fastify runs our preClose hook (from then on every request that reaches the app is
 *   answered 503 `server.shutting_down` with `Connection: close`) and closes the listening socket
 *   in the same turn of the event loop, before in-flight requests finish. So a request on a *new*
 *   connection is refused at the TCP level; the 503 is what a request gets when it arrives on a
 *   connection that was already open;
 * - requests in flight finish normally, and their connection is closed with the response;
 * - then the database is closed (PGlite releases the data-directory lock) and the process exits 0.
 *
 * Runs on PGlite, and on PostgreSQL (with Redis when TEST_REDIS_URL is set) when TEST_DATABASE_URL
 * is set.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { killChildren, makeTempDir, removeTempDirs, runCli, startCli } from './helpers/cli.js';
import { RawConnection } from './helpers/raw-http.js';
import { createEmptyPostgresDatabase, TEST_DATABASE_URL, TEST_REDIS_URL } from './helpers/database.js';

const drops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await killChildren();
});

afterAll(async () => {
  await killChildren();
  for (const drop of drops.splice(0)) await drop();
  removeTempDirs();
});

/**
 * Tries a request on a new connection. Returns the socket error code, or 'answered' if the server
 * sent anything back.
 */
function tryFreshConnection(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answered = false;
    socket.on('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.on('data', () => {
      answered = true;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(answered ? 'answered' : (error.code ?? 'error')));
    socket.on('close', () => resolve(answered ? 'answered' : 'closed'));
  });
}

interface Target {
  name: string;
  env: () => Promise<Record<string, string>>;
  /** Reads back the tenant the in-flight request created, after the server has stopped. */
  tenantSlugs: (env: Record<string, string>) => Promise<string[]>;
  pglite: boolean;
}

const targets: Target[] = [
  {
    name: 'PGlite',
    pglite: true,
    env: async () => ({ CUSTODIA_DATA_DIR: path.join(makeTempDir(), 'data') }),
    tenantSlugs: async (env) => slugsIn(await openDatabase({ dataDir: env.CUSTODIA_DATA_DIR ?? '' })),
  },
];
if (TEST_DATABASE_URL !== undefined) {
  targets.push({
    name: TEST_REDIS_URL === undefined ? 'PostgreSQL' : 'PostgreSQL and Redis',
    pglite: false,
    env: async () => {
      const fresh = await createEmptyPostgresDatabase();
      drops.push(fresh.drop);
      return { DATABASE_URL: fresh.url, CUSTODIA_DATA_DIR: path.join(makeTempDir(), 'unused'), ...(TEST_REDIS_URL === undefined ? {} : { REDIS_URL: TEST_REDIS_URL }) };
    },
    tenantSlugs: async (env) => slugsIn(await openDatabase({ databaseUrl: env.DATABASE_URL, poolMax: 1 })),
  });
}

async function slugsIn(db: Awaited<ReturnType<typeof openDatabase>>): Promise<string[]> {
  try {
    const rows = await db.withPlatform((tx) => tx.selectFrom('tenants').select('slug').orderBy('slug').execute());
    return rows.map((r) => r.slug);
  } finally {
    await db.close();
  }
}

describe.each(targets)('graceful shutdown on $name', (target) => {
  it('finishes the in-flight request, refuses new ones, closes the database and exits 0', async () => {
    const env = await target.env();
    // PGlite is single-process: the platform token is made before the server starts.
    const init = await runCli(['init', '--slug', 'first', '--name', 'First', '--admin-email', 'a@b.test', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const { platformToken } = JSON.parse(init.stdout) as { platformToken: string };

    // PORT=0: the kernel picks a free port, and the server prints the URL it listens on.
    const server = startCli(['serve'], { ...env, PORT: '0', LOG_LEVEL: 'info' });
    const [, url = ''] = await server.waitForStdout(/is running at (http:\/\/\S+)/);
    const port = Number(new URL(url).port);
    const probe = await RawConnection.open(port);
    await probe.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect((await probe.response()).status).toBe(200);
    await probe.closed();

    // A connection opened before SIGTERM whose request is not complete yet. It is written before the
    // in-flight request starts, so the server has read these bytes by the time it logs that request:
    // the connection is then busy, not idle, and Node's server.close() leaves it open.
    const early = await RawConnection.open(port);
    await early.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');

    // The in-flight request: headers and half of the body, then nothing until after SIGTERM.
    const body = JSON.stringify({ slug: 'late-tenant', name: 'Created during shutdown' });
    const half = Math.floor(body.length / 2);
    const inFlight = await RawConnection.open(port);
    await inFlight.write(
      `POST /v1/platform/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${platformToken}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
    );
    // Fastify logs "incoming request" once it has the headers and is routing the request.
    await server.waitForStdout(/"method":"POST"[^\n]*"msg":"incoming request"/);

    server.child.kill('SIGTERM');
    await server.waitForStdout(/"msg":"shutting down: finishing in-flight requests"/);

    // New connections are not served. One made in the instant before the listener closed may sit in
    // the kernel's accept queue and be reset when it closes; once it is closed they are refused. Either
    // way no new connection gets an answer, and all this happens while the in-flight request waits.
    const attempts: string[] = [];
    while (attempts.at(-1) !== 'ECONNREFUSED' && attempts.length < 200) attempts.push(await tryFreshConnection(port));
    expect(attempts.at(-1)).toBe('ECONNREFUSED');
    for (const attempt of attempts) expect(['ECONNREFUSED', 'ECONNRESET']).toContain(attempt);
    expect(server.child.exitCode).toBeNull();

    // The request that reaches the app now, on the connection that was already open, gets the 503.
    await early.write('\r\n');
    const refused = await early.response();
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers.connection).toBe('close');
    expect(refused.headers['retry-after']).toBe('5');
    expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'server.shutting_down' });

    // The in-flight request completes, and its connection is closed with the response even though
    // the client would keep it alive (this socket is never closed by the test).
    await inFlight.write(body.slice(half));
    const created = await inFlight.response();
    expect(created.status, created.body).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ tenant: { slug: 'late-tenant', name: 'Created during shutdown' } });
    expect(created.headers.connection).toBe('close');
    await inFlight.closed();

    // A clean stop exits 0 (the shutdown timeout exits 1).
    const exit = await server.waitForExit();
    expect(exit, server.describe()).toEqual({ code: 0, signal: null });
    expect(server.stdout).toContain('"msg":"stopped"');
    expect(server.stdout).not.toContain('shutdown timed out');

    if (target.pglite) expect(existsSync(path.join(env.CUSTODIA_DATA_DIR ?? '', 'custodia.lock'))).toBe(false);
    // The in-flight write was committed before the database was closed.
    expect(await target.tenantSlugs(env)).toEqual(['first', 'late-tenant']);
  }, 180_000);
});

describe('shutdown with a client that never finishes its request', () => {
  it('cuts the connection at the shutdown timeout, closes the database, removes the lock and exits 1', async () => {
    const dataDir = path.join(makeTempDir(), 'data');
    // The request timeout (30 s by default) is far away: it is the shutdown timeout that must act.
    const server = startCli(['serve'], { CUSTODIA_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', CUSTODIA_SHUTDOWN_TIMEOUT_MS: '1000' });
    const [, url = ''] = await server.waitForStdout(/is running at (http:\/\/\S+)/);
    expect(existsSync(path.join(dataDir, 'custodia.lock'))).toBe(true);

    // A slow-loris client: a body announced as 10 kB, trickled one byte every 100 ms.
    const slow = await RawConnection.open(Number(new URL(url).port));
    await slow.write('POST /v1/invitations/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{');
    const trickle = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(' ');
    }, 100);
    try {
      await server.waitForStdout(/"method":"POST"[^\n]*"msg":"incoming request"/);
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await slow.closed();
      const exit = await server.waitForExit();
      expect(exit, server.describe()).toEqual({ code: 1, signal: null });
      // Shutdown timeout (1 s), plus closing the database: well under the hang guard.
      expect(Date.now() - signalledAt).toBeLessThan(15_000);
    } finally {
      clearInterval(trickle);
    }
    expect(server.stdout).toContain('"msg":"shutdown timed out; closing the remaining connections"');
    expect(server.stdout).toContain('"msg":"stopped"');
    expect(existsSync(path.join(dataDir, 'custodia.lock'))).toBe(false);
    // The next start finds a clean directory, without having to judge a stale lock.
    const next = await runCli(['migrate', '--status', '--json'], { CUSTODIA_DATA_DIR: dataDir });
    expect(next.code, next.stderr).toBe(0);
  }, 120_000);
});
