/**
 * Signing in over the real API on the real database: invitation, password, TOTP computed by
 * oathtool, recovery codes, session replacement, cookies and CSRF, and the ledger entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, oathtool, PASSWORD, signIn, signInPassword } from './helpers.js';

let t: TestApp;
let tenantId: string;
const EMAIL = 'ana@acme.example';

beforeAll(async () => {
  t = await createTestApp();
  const created = await createTenant(t, 'acme', EMAIL);
  tenantId = created.tenantId;
  // A weak password is refused, with the rules it broke, and the invitation stays usable.
  const weak = await t.app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: created.invitation, displayName: 'Ana', password: 'password1234' } });
  expect(weak.statusCode, weak.body).toBe(422);
  expect(JSON.parse(weak.body)).toMatchObject({ code: 'agents.weak_password', problems: expect.arrayContaining(['common']) });
  expect(weak.body).not.toContain('password1234');
  await accept(t, created.invitation);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function actions(): Promise<string[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select('action').orderBy('seq').execute());
  return rows.map((r) => r.action);
}

describe('accepting an invitation', () => {
  it('uses the link once', async () => {
    const again = await createTenant(t, 'acme-two', 'someone@acme.example');
    await accept(t, again.invitation, 'Someone');
    const second = await t.app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: again.invitation, displayName: 'Someone', password: PASSWORD } });
    expect(second.statusCode).toBe(404);
    expect(JSON.parse(second.body).code).toBe('agents.invitation_invalid');
  });
});

describe('signing in', () => {
  let secret: string;
  let recoveryCodes: string[];

  it('requires a second factor: the password alone opens only enrollment', async () => {
    const first = await signInPassword(t, 'acme', EMAIL);
    expect(first).toMatchObject({ next: 'enroll', factors: [] });
    const data = await t.app.inject({ method: 'GET', url: '/v1/auth/data-access', headers: bearerOf(first.token) });
    expect(data.statusCode).toBe(403);
    expect(JSON.parse(data.body).code).toBe('agents.second_factor_required');
    const agents = await t.app.inject({ method: 'GET', url: '/v1/agents', headers: bearerOf(first.token) });
    expect(JSON.parse(agents.body).code).toBe('agents.second_factor_required');
  });

  it('enrolls TOTP with a code computed by oathtool, issues recovery codes and replaces the session', async () => {
    const first = await signInPassword(t, 'acme', EMAIL);
    const start = await t.app.inject({ method: 'POST', url: '/v1/auth/totp/enrollment', headers: bearerOf(first.token) });
    const body = JSON.parse(start.body) as { secret: string; uri: string; qrSvg: string };
    expect(body.uri).toBe(`otpauth://totp/Custodia:${encodeURIComponent(EMAIL)}?secret=${body.secret}&issuer=Custodia&algorithm=SHA1&digits=6&period=30`);
    expect(body.qrSvg).toMatch(/^<svg/);
    const wrong = await t.app.inject({ method: 'POST', url: '/v1/auth/totp/enrollment/confirm', headers: bearerOf(first.token), payload: { code: oathtool(body.secret, new Date(t.clock.now().getTime() + 120_000)) } });
    expect(wrong.statusCode).toBe(401);
    const confirm = await t.app.inject({ method: 'POST', url: '/v1/auth/totp/enrollment/confirm', headers: bearerOf(first.token), payload: { code: oathtool(body.secret, t.clock.now()) } });
    expect(confirm.statusCode, confirm.body).toBe(200);
    const done = JSON.parse(confirm.body) as { next: string; token: string; recoveryCodes: string[] };
    expect(done.next).toBe('done');
    expect(done.recoveryCodes).toHaveLength(10);
    expect(done.token).not.toBe(first.token);
    // The password-only token is dead: a token planted before sign-in is worth nothing after it.
    const old = await t.app.inject({ method: 'GET', url: '/v1/auth/session', headers: bearerOf(first.token) });
    expect(old.statusCode).toBe(401);
    const now = await t.app.inject({ method: 'GET', url: '/v1/auth/session', headers: bearerOf(done.token) });
    expect(JSON.parse(now.body)).toMatchObject({ signedIn: true, factor: 'totp', role: 'tenant_admin', locked: false });
    secret = body.secret;
    recoveryCodes = done.recoveryCodes;
    // The TOTP secret is stored wrapped, never in clear.
    const stored = await t.database.db.withTenant(tenantId, (tx) => tx.selectFrom('agent_totp').select('secret').execute(), { identity: true });
    expect(stored).toHaveLength(1);
    expect(stored[0]?.secret).not.toContain(secret);
  });

  it('refuses a TOTP code replayed in the same time step, and accepts the next step', async () => {
    t.clock.advance(30_000);
    const a = await signInPassword(t, 'acme', EMAIL);
    const code = oathtool(secret, t.clock.now());
    const ok = await t.app.inject({ method: 'POST', url: '/v1/auth/second-factor', headers: bearerOf(a.token), payload: { method: 'totp', code } });
    expect(ok.statusCode, ok.body).toBe(200);
    const b = await signInPassword(t, 'acme', EMAIL);
    const replay = await t.app.inject({ method: 'POST', url: '/v1/auth/second-factor', headers: bearerOf(b.token), payload: { method: 'totp', code } });
    expect(replay.statusCode).toBe(401);
    expect(JSON.parse(replay.body).code).toBe('agents.second_factor_replayed');
    t.clock.advance(30_000);
    const next = await t.app.inject({ method: 'POST', url: '/v1/auth/second-factor', headers: bearerOf(b.token), payload: { method: 'totp', code: oathtool(secret, t.clock.now()) } });
    expect(next.statusCode, next.body).toBe(200);
  });

  it('accepts a recovery code once', async () => {
    const a = await signInPassword(t, 'acme', EMAIL);
    const code = recoveryCodes[3] as string;
    const ok = await t.app.inject({ method: 'POST', url: '/v1/auth/second-factor', headers: bearerOf(a.token), payload: { method: 'recovery', code: code.toLowerCase() } });
    expect(ok.statusCode, ok.body).toBe(200);
    const b = await signInPassword(t, 'acme', EMAIL);
    const again = await t.app.inject({ method: 'POST', url: '/v1/auth/second-factor', headers: bearerOf(b.token), payload: { method: 'recovery', code } });
    expect(again.statusCode).toBe(401);
    // Using a recovery code alerts the security officers.
    const token = await signIn(t, 'acme', EMAIL, secret);
    const alerts = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/security/alerts', headers: bearerOf(token) })).body) as { alerts: { kind: string; details: { remaining: number } }[] };
    expect(alerts.alerts).toContainEqual(expect.objectContaining({ kind: 'agent.recovery_code.used', details: { remaining: 9 } }));
  });

  it('answers an unknown tenant, an unknown address and a wrong password alike', async () => {
    const tries = [
      { tenant: 'nope', email: EMAIL, password: PASSWORD },
      { tenant: 'acme', email: 'nobody@acme.example', password: PASSWORD },
      { tenant: 'acme', email: EMAIL, password: `${PASSWORD}!` },
    ];
    const bodies = [];
    for (const payload of tries) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload });
      expect(res.statusCode).toBe(401);
      const { requestId: _requestId, ...rest } = JSON.parse(res.body) as Record<string, unknown>;
      bodies.push(rest);
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(bodies[0]).toMatchObject({ code: 'agents.invalid_credentials' });
  });

  it('records sign-ins, factor enrollment, failures and alerts in the ledger, without personal data', async () => {
    const list = await actions();
    for (const action of ['agent.invitation.accept', 'agent.login.password', 'agent.factor.enroll', 'agent.login.second_factor', 'agent.login.failed', 'security.alert.raise']) expect(list).toContain(action);
    const text = (await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select('entry').execute())).map((r) => r.entry).join('\n');
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(PASSWORD);
  });
});

describe('console sessions (cookie)', () => {
  it('sets a Secure HttpOnly SameSite=Strict __Host- cookie and requires the CSRF token on state changes', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { tenant: 'acme', email: EMAIL, password: PASSWORD } });
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(res.body) as { csrfToken: string; token?: string };
    expect(body.token).toBeUndefined();
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-custodia_session=cses_[A-Za-z0-9_-]{64}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const jar = cookie.split(';')[0] as string;
    const read = await t.app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie: jar } });
    expect(read.statusCode).toBe(200);
    const noCsrf = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { cookie: jar } });
    expect(noCsrf.statusCode).toBe(403);
    expect(JSON.parse(noCsrf.body).code).toBe('agents.csrf_failed');
    const wrongCsrf = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { cookie: jar, 'x-csrf-token': `${body.csrfToken.slice(0, -1)}x` } });
    expect(wrongCsrf.statusCode).toBe(403);
    const out = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { cookie: jar, 'x-csrf-token': body.csrfToken } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie: jar } })).statusCode).toBe(401);
  });
});
