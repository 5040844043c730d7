/**
 * Service-account API keys: shown once, only a hash stored, scoped, expiring, revocable, held to
 * their tenant, and only tenant administrators create them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/platform/crypto.js';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, signIn } from './helpers.js';

let t: TestApp;
let tenantId: string;
let admin: string;
let secret: string;

beforeAll(async () => {
  t = await createTestApp();
  const created = await createTenant(t, 'keys', 'admin@keys.example');
  tenantId = created.tenantId;
  await accept(t, created.invitation);
  const enrolled = await enroll(t, 'keys', 'admin@keys.example');
  admin = enrolled.token;
  secret = enrolled.secret;
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function createKey(payload: Record<string, unknown>): Promise<{ id: string; key: string; expiresAt: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/service-accounts/keys', headers: bearerOf(admin), payload });
  expect(res.statusCode, res.body).toBe(201);
  return JSON.parse(res.body) as { id: string; key: string; expiresAt: string };
}

describe('API keys', () => {
  it('are shown once, stored as their SHA-256 only, and authenticate with their scopes', async () => {
    const created = await createKey({ name: 'telephony', scopes: ['interactions:write', 'customers:read'], expiresInDays: 30 });
    expect(created.key).toMatch(/^cak_[A-Za-z0-9_-]{64}$/);
    const stored = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('api_keys').select(['key_hash']).where('id', '=', created.id).executeTakeFirstOrThrow());
    expect(Buffer.from(stored.key_hash).equals(sha256(created.key))).toBe(true);
    const listed = await t.app.inject({ method: 'GET', url: '/v1/service-accounts/keys', headers: bearerOf(admin) });
    expect(listed.body).not.toContain(created.key.slice(4));
    const me = await t.app.inject({ method: 'GET', url: '/v1/service-accounts/me', headers: bearerOf(created.key) });
    expect(me.statusCode).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ keyId: created.id, tenantId, scopes: ['customers:read', 'interactions:write'] });
  });

  it('refuse unknown scopes, over-long lifetimes, and callers who are not tenant administrators', async () => {
    for (const payload of [{ name: 'x', scopes: ['root'] }, { name: 'x', scopes: ['ledger:read'], expiresInDays: 366 }, { name: 'x', scopes: [] }]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/service-accounts/keys', headers: bearerOf(admin), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const key = await createKey({ name: 'service', scopes: ['ledger:read'] });
    // A service key is not an agent session.
    const res = await t.app.inject({ method: 'POST', url: '/v1/service-accounts/keys', headers: bearerOf(key.key), payload: { name: 'y', scopes: ['ledger:read'] } });
    expect(res.statusCode).toBe(401);
    const unknown = await t.app.inject({ method: 'POST', url: '/v1/service-accounts/keys/00000000-0000-4000-8000-000000000000/revoke', headers: bearerOf(admin) });
    expect(JSON.parse(unknown.body).code).toBe('agents.api_key_not_found');
  });
  it('stop working when revoked or expired; a changed byte matches nothing', async () => {
    const a = await createKey({ name: 'revoked', scopes: ['ledger:read'] });
    const b = await createKey({ name: 'short', scopes: ['ledger:read'], expiresInDays: 1 });
    const flipped = `${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}`;
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-accounts/me', headers: bearerOf(flipped) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: `/v1/service-accounts/keys/${a.id}/revoke`, headers: bearerOf(admin) })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-accounts/me', headers: bearerOf(a.key) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-accounts/me', headers: bearerOf(b.key) })).statusCode).toBe(200);
    t.clock.advance(86_400_000);
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-accounts/me', headers: bearerOf(b.key) })).statusCode).toBe(401);
  });

});

describe('a suspended tenant', () => {
  it('stops its API keys and its sessions', async () => {
    admin = await signIn(t, 'keys', 'admin@keys.example', secret);
    const key = await createKey({ name: 'before-suspension', scopes: ['ledger:read'] });
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-accounts/me', headers: bearerOf(key.key) })).statusCode).toBe(200);
    const platform = await issuePlatformToken(t.ctx.db, { name: 'suspender', now: t.clock.now() });
    const suspended = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${tenantId}`, headers: bearerOf(platform.token), payload: { status: 'suspended' } });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v1/service-accounts/me', headers: bearerOf(key.key) })).statusCode).toBe(401);
    // Sessions stop at their next read from the database (the cache lives 1 s without Redis).
    t.clock.advance(2_000);
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/session', headers: bearerOf(admin) })).statusCode).toBe(401);
  });
});
