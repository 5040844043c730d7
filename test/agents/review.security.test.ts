/**
 * Regressions for what a hostile review of sign-in found: each test names the attack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, oathtool, PASSWORD, signIn } from './helpers.js';

let t: TestApp;
const EMAIL = 'lead@review.example';
let admin: { token: string; secret: string; agentId: string };

beforeAll(async () => {
  t = await createTestApp();
  const created = await createTenant(t, 'review', EMAIL);
  await accept(t, created.invitation);
  admin = await enroll(t, 'review', EMAIL);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const inject = (method: 'GET' | 'POST' | 'PUT', url: string, token?: string, payload?: unknown, remoteAddress?: string) =>
  t.app.inject({ method, url, ...(token === undefined ? {} : { headers: bearerOf(token) }), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }), ...(remoteAddress === undefined ? {} : { remoteAddress }) });

describe('throttling under concurrency', () => {
  // Attack: 40 wrong passwords for one account at once, from several addresses. A check made
  // before any failure is counted would let all 40 be verified; attempts are reserved first.
  it('verifies at most threshold + 1 of many concurrent guesses; the rest get 429 unverified', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => inject('POST', '/v1/auth/sign-in', undefined, { tenant: 'review', email: 'victim@review.example', password: `guess number ${i} ...` }, `192.0.2.${i % 4}`)),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(6);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(34);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });
});

describe('changing second factors', () => {
  // Attack: a stolen (or unattended) open session swaps the person's authenticator app or
  // recovery codes, which serve every tenant they work for. A recent proof is required.
  it('needs a second-factor proof from the last 5 minutes, which an unlock renews', async () => {
    t.clock.advance(6 * 60_000);
    const stale = await inject('POST', '/v1/auth/recovery-codes', admin.token);
    expect(stale.statusCode).toBe(403);
    expect(JSON.parse(stale.body).code).toBe('agents.step_up_required');
    expect((await inject('POST', '/v1/auth/totp/enrollment', admin.token)).statusCode).toBe(403);
    expect((await inject('POST', '/v1/auth/lock', admin.token)).statusCode).toBe(204);
    t.clock.advance(30_000);
    const unlocked = await inject('POST', '/v1/auth/second-factor', admin.token, { method: 'totp', code: oathtool(admin.secret, t.clock.now()) });
    expect(JSON.parse(unlocked.body)).toEqual({ unlocked: true });
    const fresh = await inject('POST', '/v1/auth/recovery-codes', admin.token);
    expect(fresh.statusCode, fresh.body).toBe(200);
    expect((JSON.parse(fresh.body) as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);
  });
});

describe('separation of duties', () => {
  // Attack: a supervisor lifts their own shift and training gates.
  it('nobody grants themselves overtime or records their own training', async () => {
    const supervisorInvite = await inject('POST', '/v1/agents/invitations', admin.token, { email: 'sup@review.example', role: 'supervisor' });
    expect(supervisorInvite.statusCode, supervisorInvite.body).toBe(201);
    await accept(t, (JSON.parse(supervisorInvite.body) as { url: string }).url.split('#')[1] as string, 'Supervisor');
    const sup = await enroll(t, 'review', 'sup@review.example');
    const overtime = await inject('POST', `/v1/agents/${sup.agentId}/overtime`, sup.token, { minutes: 720 });
    expect(overtime.statusCode).toBe(403);
    expect(JSON.parse(overtime.body).code).toBe('agents.forbidden');
    const training = await inject('POST', `/v1/agents/${sup.agentId}/training`, sup.token, { course: 'security_awareness', completedAt: t.clock.now().toISOString(), expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(training.statusCode).toBe(403);
    // Someone else may.
    admin = { ...admin, token: await signIn(t, 'review', EMAIL, admin.secret) };
    const byAdmin = await inject('POST', `/v1/agents/${sup.agentId}/training`, admin.token, { course: 'security_awareness', completedAt: t.clock.now().toISOString(), expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(byAdmin.statusCode, byAdmin.body).toBe(201);
  });
});

describe('allowed networks', () => {
  // Attack: from outside the allowed networks, use the answer to learn whether a guessed
  // password is right; or use a session token stolen from inside.
  it('refuse a sign-in from outside with the answer of a wrong password, and every request of a session from outside', async () => {
    const current = await inject('GET', '/v1/security/settings', admin.token);
    const settings = { ...(JSON.parse(current.body) as Record<string, unknown>), allowedNetworks: ['10.0.0.0/8', '127.0.0.0/8'] };
    expect((await inject('PUT', '/v1/security/settings', admin.token, settings)).statusCode).toBe(200);
    const right = await inject('POST', '/v1/auth/sign-in', undefined, { tenant: 'review', email: EMAIL, password: PASSWORD }, '203.0.113.9');
    const wrong = await inject('POST', '/v1/auth/sign-in', undefined, { tenant: 'review', email: EMAIL, password: `${PASSWORD}?` }, '203.0.113.9');
    expect([right.statusCode, wrong.statusCode]).toEqual([401, 401]);
    expect(JSON.parse(right.body).code).toBe(JSON.parse(wrong.body).code);
    const outside = await inject('GET', '/v1/auth/session', admin.token, undefined, '203.0.113.9');
    expect(outside.statusCode).toBe(403);
    expect(JSON.parse(outside.body).code).toBe('agents.network_not_allowed');
    expect((await inject('GET', '/v1/auth/session', admin.token, undefined, '10.1.2.3')).statusCode).toBe(200);
  });
});
