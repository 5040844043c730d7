/**
 * The per-process session cache against changes made elsewhere: a session load that raced a
 * revocation must not be cached, and suspending a tenant drops its sessions at once. The clock
 * is fixed, so a cache entry never expires by itself here: only the events can make these pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionService } from '../../src/agents/sessions.js';
import type { Database } from '../../src/db/index.js';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, type SignedIn } from './helpers.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function status(token: string): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: '/v1/auth/session', headers: bearerOf(token) });
  return res.statusCode;
}

describe('session cache and concurrent changes', () => {
  let tenantId: string;
  let admin: SignedIn;

  beforeAll(async () => {
    const created = await createTenant(t, 'cache', 'admin@cache.example');
    tenantId = created.tenantId;
    await accept(t, created.invitation, 'Marta Admin');
    admin = await enroll(t, 'cache', 'admin@cache.example');
  });

  it('does not cache a session whose load raced its revocation', async () => {
    // A second "process": its own cache, on the same database and event bus.
    const other = new SessionService({ db: t.ctx.db, clock: t.clock, bus: t.ctx.bus, logger: t.ctx.logger, cacheTtlMs: 60_000 });
    const signIn = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { tenant: 'cache', email: admin.email, password: 'correct horse battery staple 42', kind: 'bearer' } });
    const token = (JSON.parse(signIn.body) as { token: string }).token;

    // Hold the other process's load after it read the row, until the revocation is committed
    // and announced.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let loads = 0;
    const db = t.ctx.db;
    const original = db.withTenant.bind(db);
    (db as { withTenant: Database['withTenant'] }).withTenant = async (id, fn, options) => {
      const result = await original(id, fn, options);
      loads += 1;
      if (loads === 1) await gate;
      return result;
    };
    try {
      const racing = other.resolve(token);
      await expect.poll(() => loads).toBe(1);
      const session = await t.ctx.sessions.resolve(token);
      expect(session).toBeDefined();
      await original(tenantId, (tx) => t.ctx.sessions.revoke(tx, tenantId, { sessionIds: [session!.id] }, 'security_officer'));
      await t.ctx.sessions.published({ tenantId, sessionIds: [session!.id] });
      release();
      // The racing load read the row before the revocation: it answers its own request...
      expect(await racing).toBeDefined();
      // ...but was not cached: the next request reads the row again and finds it revoked.
      expect(await other.resolve(token)).toBeUndefined();
    } finally {
      (db as { withTenant: Database['withTenant'] }).withTenant = original;
      other.close();
    }
  });

  it('suspending a tenant stops its sessions at once, cached or not', async () => {
    expect(await status(admin.token)).toBe(200);
    // Cached now; with the fixed clock it would stay so without the event.
    expect(await status(admin.token)).toBe(200);
    const platform = await issuePlatformToken(t.ctx.db, { name: 'cache-test', now: t.clock.now() });
    const suspend = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${tenantId}`, headers: bearerOf(platform.token), payload: { status: 'suspended' } });
    expect(suspend.statusCode, suspend.body).toBe(200);
    expect(await status(admin.token)).toBe(401);
    const reactivate = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${tenantId}`, headers: bearerOf(platform.token), payload: { status: 'active' } });
    expect(reactivate.statusCode, reactivate.body).toBe(200);
    // Sessions were not revoked by the suspension: they work again with the tenant.
    expect(await status(admin.token)).toBe(200);
  });
});
