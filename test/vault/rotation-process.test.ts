/**
 * Key rotation through the real processes an operator uses:
 *
 * - `custodia keys rotate` SIGKILLed in the middle of re-wrapping (after its first progress line),
 *   then `custodia keys rewrap` resumes: no data key is lost or left behind, the job ends done,
 *   the old version can be retired and every ciphertext still decrypts.
 * - `custodia serve` rotating through the API while it keeps answering: the server's own job
 *   worker re-wraps, so rotation needs no downtime even on the embedded database.
 *
 * Data keys are made in this process through the library (with the key file `custodia init`
 * wrote), before the child processes run: on PGlite only one process may hold the data directory.
 * Always on PGlite; on PostgreSQL too when TEST_DATABASE_URL is set.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { migrate, openDatabase } from '../../src/db/index.js';
import { systemClock } from '../../src/platform/clock.js';
import { newId } from '../../src/platform/ids.js';
import { createLogger } from '../../src/platform/logger.js';
import { createVault } from '../../src/vault/index.js';
import { killChildren, makeTempDir, removeTempDirs, runCli, startCli } from '../helpers/cli.js';
import { createEmptyPostgresDatabase, TEST_DATABASE_URL } from '../helpers/database.js';

const drops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await killChildren();
});

afterAll(async () => {
  await killChildren();
  for (const drop of drops.splice(0)) await drop();
  removeTempDirs();
});

interface Target {
  readonly name: string;
  env(): Promise<Record<string, string>>;
}

const targets: Target[] = [{ name: 'pglite', env: async () => ({ CUSTODIA_DATA_DIR: makeTempDir() }) }];
if (TEST_DATABASE_URL !== undefined) {
  targets.push({
    name: 'postgres',
    async env() {
      const { url, drop } = await createEmptyPostgresDatabase();
      drops.push(drop);
      // The data directory still holds the local key file.
      return { CUSTODIA_DATA_DIR: makeTempDir(), DATABASE_URL: url };
    },
  });
}

interface Sealed {
  readonly recordId: string;
  readonly plaintext: string;
  readonly ciphertext: string;
}

/** Opens the target's database and vault in this process (as the child processes do). */
async function withLibrary<T>(env: Record<string, string>, fn: (parts: { db: Awaited<ReturnType<typeof openDatabase>>; vault: ReturnType<typeof createVault> }) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: { ...env, NODE_ENV: 'test' } });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger: createLogger('silent') });
  try {
    await migrate(db);
    return await fn({ db, vault: createVault(config, { clock: systemClock, logger: createLogger('silent') }) });
  } finally {
    await db.close();
  }
}

/** `custodia init`, then `count` customers' emails encrypted, one data key each. */
async function prepare(env: Record<string, string>, count: number): Promise<{ tenantId: string; platformToken: string; sealed: Sealed[] }> {
  const init = await runCli(['init', '--slug', 'rotating', '--name', 'Rotating', '--admin-email', 'admin@rotating.test', '--json'], env);
  expect(init.code, init.stderr).toBe(0);
  const { tenant, platformToken } = JSON.parse(init.stdout) as { tenant: { id: string }; platformToken: string };
  const sealed = await withLibrary(env, ({ db, vault }) =>
    db.withTenant(tenant.id, async (tx) => {
      const out: Sealed[] = [];
      for (let i = 0; i < count; i++) {
        const recordId = newId();
        const plaintext = `cliente.${i}.${recordId.slice(0, 8)}@example.com`;
        const ciphertext = await vault.encryptField(tx, tenant.id, { table: 'customers', id: recordId }, { table: 'customers', recordId, field: 'email' }, plaintext);
        out.push({ recordId, plaintext, ciphertext });
      }
      return out;
    }),
  );
  return { tenantId: tenant.id, platformToken, sealed };
}

/** Every ciphertext decrypts, in a fresh process-like vault (nothing cached). */
async function expectAllDecrypt(env: Record<string, string>, tenantId: string, sealed: readonly Sealed[]): Promise<void> {
  const opened = await withLibrary(env, ({ db, vault }) =>
    db.withTenant(tenantId, async (tx) => {
      let ok = 0;
      for (const s of sealed) if ((await vault.decryptField(tx, tenantId, { table: 'customers', recordId: s.recordId, field: 'email' }, s.ciphertext)) === s.plaintext) ok += 1;
      return ok;
    }),
  );
  expect(opened).toBe(sealed.length);
}

interface KeyStatus {
  versions: { version: number; state: string; dataKeys: number }[];
  jobs: { state: string; progress: { rewrapped?: number; remaining?: number } }[];
}

async function keysStatus(env: Record<string, string>): Promise<KeyStatus> {
  const result = await runCli(['keys', 'status', '--tenant', 'rotating', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as KeyStatus;
}

const versionsOf = (s: KeyStatus) => s.versions.map((v) => ({ version: v.version, state: v.state, dataKeys: v.dataKeys }));

// Each test starts several processes (init, the rotation, status, rewrap, a server), each opening
// the database; a hang guard, not a measurement.
describe.each(targets)('key rotation across processes on $name', { timeout: 180_000 }, (target) => {
  it('a rotation killed in the middle of re-wrapping resumes with `keys rewrap` and loses nothing', async () => {
    const env = await target.env();
    const N = 1200;
    const { tenantId, sealed } = await prepare(env, N);

    const rotating = startCli(['keys', 'rotate', '--tenant', 'rotating', '--batch-size', '10'], env);
    await rotating.waitForStdout(/re-wrapped \d+, remaining \d+/);
    rotating.child.kill('SIGKILL');
    expect(await rotating.waitForExit(), rotating.describe()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(rotating.stdout).not.toContain('Done');

    // Killed midway: some data keys moved to version 2, the rest still on 1, none lost; the job
    // is still pending with the progress of its last committed batch.
    const midway = await keysStatus(env);
    const [v1, v2] = versionsOf(midway);
    expect(v1?.dataKeys).toBeGreaterThan(0);
    expect(v2?.dataKeys).toBeGreaterThan(0);
    expect((v1?.dataKeys ?? 0) + (v2?.dataKeys ?? 0)).toBe(N);
    expect(midway.jobs).toHaveLength(1);
    expect(midway.jobs[0]?.state).toMatch(/^(queued|running)$/);
    expect(midway.jobs[0]?.progress.rewrapped).toBe(v2?.dataKeys);

    const resumed = await runCli(['keys', 'rewrap', '--tenant', 'rotating', '--batch-size', '100', '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = JSON.parse(resumed.stdout) as KeyStatus & { steps: number };
    expect(after.steps).toBeGreaterThan(0);
    expect(versionsOf(after)).toEqual([
      { version: 1, state: 'active', dataKeys: 0 },
      { version: 2, state: 'active', dataKeys: N },
    ]);
    expect(after.jobs).toMatchObject([{ state: 'done', progress: { rewrapped: N, remaining: 0 } }]);

    const retired = await runCli(['keys', 'retire', '--tenant', 'rotating', '--kek-version', '1', '--json'], env);
    expect(retired.code, retired.stderr).toBe(0);
    await expectAllDecrypt(env, tenantId, sealed);
  });

  it('the server rotates through the API while it keeps answering, its job worker re-wrapping in the background', async () => {
    const env = await target.env();
    const N = 600;
    const { tenantId, platformToken, sealed } = await prepare(env, N);
    const server = startCli(['serve'], { ...env, PORT: '0', CUSTODIA_JOB_POLL_INTERVAL_MS: '20' });
    const [, url = ''] = await server.waitForStdout(/is running at (http:\/\/\S+)/);
    const auth = { authorization: `Bearer ${platformToken}` };
    // The ledger's checkpoint key is published from the first start (no checkpoint yet).
    const published = (await (await fetch(`${url}/v1/ledger/public-key`)).json()) as { keys: { keyId: string }[] };
    expect(published.keys).toHaveLength(1);
    const keys = `${url}/v1/platform/tenants/${tenantId}/keys`;

    const started = await fetch(`${keys}/rotate`, { method: 'POST', headers: auth });
    expect(started.status).toBe(202);
    const body = (await started.json()) as { version: number; jobId: string };
    expect(body.version).toBe(2);

    // Until the job is done, every request is answered; the counts always add up to N.
    const seen: number[] = [];
    let status: KeyStatus | undefined;
    for (let i = 0; i < 2000; i++) {
      const health = await fetch(`${url}/readyz`);
      expect(health.status).toBe(200);
      const response = await fetch(keys, { headers: auth });
      expect(response.status).toBe(200);
      status = (await response.json()) as KeyStatus;
      const [v1, v2] = versionsOf(status);
      expect((v1?.dataKeys ?? 0) + (v2?.dataKeys ?? 0)).toBe(N);
      seen.push(v1?.dataKeys ?? -1);
      if (status.jobs[0]?.state === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status?.jobs).toMatchObject([{ state: 'done', progress: { rewrapped: N, remaining: 0 } }]);
    expect(versionsOf(status as KeyStatus)).toEqual([
      { version: 1, state: 'active', dataKeys: 0 },
      { version: 2, state: 'active', dataKeys: N },
    ]);

    // Retiring: the current version is refused, the old one goes, and then it is gone.
    const current = await fetch(`${keys}/2/retire`, { method: 'POST', headers: auth });
    expect(current.status).toBe(409);
    expect(((await current.json()) as { code: string }).code).toBe('vault.key_in_use');
    const retired = await fetch(`${keys}/1/retire`, { method: 'POST', headers: auth });
    expect(retired.status).toBe(200);
    expect(versionsOf((await retired.json()) as KeyStatus)[0]).toEqual({ version: 1, state: 'retired', dataKeys: 0 });
    const again = await fetch(`${keys}/1/retire`, { method: 'POST', headers: auth });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { code: string }).code).toBe('tenants.key_version_not_found');
    const unauthenticated = await fetch(`${keys}/rotate`, { method: 'POST' });
    expect(unauthenticated.status).toBe(401);
    const unknownTenant = await fetch(`${url}/v1/platform/tenants/${newId()}/keys/rotate`, { method: 'POST', headers: auth });
    expect(unknownTenant.status).toBe(404);

    server.child.kill('SIGTERM');
    expect((await server.waitForExit()).code).toBe(0);
    await expectAllDecrypt(env, tenantId, sealed);
  });
});
