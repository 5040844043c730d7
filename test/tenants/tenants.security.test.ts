/**
 * Attacks on tenant administration and on invitation links.
 *
 * - Platform tokens: an attacker without a valid token (none, garbage, another scheme, a guessed
 *   well-formed token, a revoked or an expired one) gets one and the same 401, before any input is
 *   parsed, and changes nothing; the answers do not tell them which of those cases they hit.
 * - Invitation links: an attacker who holds or guesses a token (tampered, spliced with another
 *   tenant's id, expired, revoked, used, of a suspended tenant) gets one and the same 404, so
 *   links cannot be probed; a valid link reveals only a masked email. Suspending a tenant revokes
 *   its open links for good, so that a leaked link does not come back with a reactivation.
 *   Neither tokens nor invited addresses reach the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken } from '../../src/platform/crypto.js';
import { newId } from '../../src/platform/ids.js';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { bearer, countTenants, expectProblem, withoutRequestId } from '../helpers/http.js';

const HOUR = 3_600_000;

let t: TestApp;
let token: string;
let auth: { authorization: string };
/** Every secret and address handed out in this file: none may appear in the logs. */
const secrets: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  token = (await issuePlatformToken(t.ctx.db, { name: 'security-tests', now: t.clock.now() })).token;
  auth = bearer(token);
  secrets.push(token);
});

afterAll(async () => {
  await t?.close();
});

async function createTenant(slug: string, adminEmail?: string): Promise<{ id: string; invitationToken: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/platform/tenants',
    headers: auth,
    payload: { slug, name: `Tenant ${slug}`, ...(adminEmail === undefined ? {} : { adminEmail }) },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = JSON.parse(res.body) as { tenant: { id: string }; invitation?: { token: string } };
  const invitationToken = body.invitation?.token ?? '';
  if (adminEmail !== undefined) secrets.push(invitationToken, adminEmail, adminEmail.split('@')[0] ?? adminEmail);
  return { id: body.tenant.id, invitationToken };
}

function lookup(invitationToken: string) {
  return t.app.inject({ method: 'POST', url: '/v1/invitations/lookup', payload: { token: invitationToken } });
}

describe('platform tokens', () => {
  it('missing, garbage, wrong-scheme, unknown, revoked and expired tokens all get the same 401 platform.token_invalid', async () => {
    const revoked = await issuePlatformToken(t.ctx.db, { name: 'to-revoke', now: t.clock.now() });
    await t.ctx.db.withPlatform((tx) => tx.updateTable('platform_tokens').set({ revoked_at: t.clock.now() }).where('id', '=', revoked.id).execute());
    const expiring = await issuePlatformToken(t.ctx.db, { name: 'to-expire', now: t.clock.now(), expiresAt: new Date(t.clock.now().getTime() + HOUR) });
    secrets.push(revoked.token, expiring.token);

    // The expiring token works until its expiry instant, and not from then on.
    t.clock.advance(HOUR - 1);
    expect((await t.app.inject({ method: 'GET', url: '/v1/platform/tenants', headers: bearer(expiring.token) })).statusCode).toBe(200);
    t.clock.advance(1);

    // RFC 6750 §3: every 401 carries the Bearer challenge; `error="invalid_token"` is added when a
    // bearer token was presented, which the caller knows anyway. Why it failed is never said.
    const challenge = 'Bearer realm="custodia"';
    const invalidToken = 'Bearer realm="custodia", error="invalid_token"';
    const attempts: Record<string, [Record<string, string>, string]> = {
      'no header': [{}, challenge],
      'garbage bearer': [{ authorization: 'Bearer garbage' }, invalidToken],
      'empty bearer': [{ authorization: 'Bearer ' }, challenge],
      'basic scheme with the real token': [{ authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` }, challenge],
      'real token without scheme': [{ authorization: token }, challenge],
      'real token twice': [{ authorization: `Bearer ${token} ${token}` }, challenge],
      'well-formed unknown token': [bearer(generateToken('cpa')), invalidToken],
      'real token with one character changed': [bearer(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), invalidToken],
      'revoked token': [bearer(revoked.token), invalidToken],
      'expired token': [bearer(expiring.token), invalidToken],
    };
    const bodies = new Map<string, Record<string, unknown>>();
    for (const [what, [headers, expectedChallenge]] of Object.entries(attempts)) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/platform/tenants', headers });
      expectProblem(res, 401, 'platform.token_invalid');
      expect(res.headers['www-authenticate'], what).toBe(expectedChallenge);
      bodies.set(what, withoutRequestId(res));
    }
    const reference = bodies.get('no header');
    for (const [what, body] of bodies) expect(body, what).toEqual(reference);
  });

  it('a token in the query string is not accepted (it would end up in access logs)', async () => {
    for (const name of ['access_token', 'token']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/platform/tenants?${name}=${token}` });
      expectProblem(res, 401, 'platform.token_invalid');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="custodia"');
    }
  });

  it('authentication runs before the body is parsed: a malformed or invalid body without a token is still 401', async () => {
    for (const [payload, contentType] of [
      ['{"slug":', 'application/json'],
      ['{"slug":"Bad_Slug"}', 'application/json'],
      ['<xml/>', 'application/xml'],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/platform/tenants', headers: { 'content-type': contentType }, payload });
      expectProblem(res, 401, 'platform.token_invalid');
    }
  });

  it('without a valid token no write goes through: create, rename, suspend and delete change nothing', async () => {
    const victim = await createTenant('victim');
    await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${victim.id}`, headers: auth, payload: { status: 'suspended' } });
    const before = { count: await countTenants(t.ctx.db), victim: await t.ctx.tenants.getTenant(victim.id) };
    const forged = bearer(generateToken('cpa'));
    const writes = [
      { method: 'POST' as const, url: '/v1/platform/tenants', payload: { slug: 'intruder', name: 'Intruder' } },
      { method: 'PATCH' as const, url: `/v1/platform/tenants/${victim.id}`, payload: { name: 'Owned', status: 'active' } },
      { method: 'DELETE' as const, url: `/v1/platform/tenants/${victim.id}` },
    ];
    for (const write of writes) {
      for (const headers of [{}, forged]) expectProblem(await t.app.inject({ ...write, headers }), 401, 'platform.token_invalid');
    }
    expect({ count: await countTenants(t.ctx.db), victim: await t.ctx.tenants.getTenant(victim.id) }).toEqual(before);
  });
});

describe('invitation lookup', () => {
  it('a valid token describes the invitation with a masked email hint, never the address', async () => {
    const { invitationToken } = await createTenant('lookup-ok', 'jane.doe@example.com');
    const res = await lookup(invitationToken);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      tenant: { slug: 'lookup-ok', name: 'Tenant lookup-ok' },
      role: 'tenant_admin',
      emailHint: 'j***@e******.com',
      expiresAt: new Date(t.clock.now().getTime() + 72 * HOUR).toISOString(),
    });
    expect(res.body).not.toContain('jane');
    expect(res.body).not.toContain('example');
    // Looking an invitation up does not use it up.
    expect((await lookup(invitationToken)).statusCode).toBe(200);
  });

  it('tampered, spliced, unknown, used, revoked, suspended-tenant and expired tokens all get the same 404 agents.invitation_invalid', async () => {
    const bodies = new Map<string, Record<string, unknown>>();
    const expectInvalid = async (what: string, tok: string) => {
      const res = await lookup(tok);
      expectProblem(res, 404, 'agents.invitation_invalid');
      bodies.set(what, withoutRequestId(res));
    };
    const bytesOf = (tok: string) => Buffer.from(tok.slice('cinv_'.length), 'base64url');
    const tokenOf = (bytes: Buffer) => `cinv_${bytes.toString('base64url')}`;

    const a = await createTenant('invite-a', 'alice@tenant-a.example');
    const b = await createTenant('invite-b', 'bobby@tenant-b.example');
    // Both genuine tokens work right now, so each failure below is due to its own alteration.
    for (const genuine of [a, b]) expect((await lookup(genuine.invitationToken)).statusCode).toBe(200);

    // One character of the random part changed: the hash matches nothing.
    const flipAt = 'cinv_'.length + 40;
    const flipped = a.invitationToken[flipAt] === 'A' ? 'B' : 'A';
    await expectInvalid('tampered', `${a.invitationToken.slice(0, flipAt)}${flipped}${a.invitationToken.slice(flipAt + 1)}`);
    // Tenant B's id with tenant A's secret: the lookup runs in B's scope, where A's invitation is invisible.
    await expectInvalid('spliced', tokenOf(Buffer.concat([bytesOf(b.invitationToken).subarray(0, 16), bytesOf(a.invitationToken).subarray(16)])));
    // A well-formed token naming a tenant that does not exist.
    const nobody = Buffer.from(newId().replace(/-/g, ''), 'hex');
    await expectInvalid('unknown tenant', tokenOf(Buffer.concat([nobody, bytesOf(a.invitationToken).subarray(16)])));
    // Regression: 16 bytes that are not a uuid we could have issued made withTenant throw, a 500.
    await expectInvalid('tenant id that is no uuid', tokenOf(Buffer.concat([Buffer.alloc(16, 7), bytesOf(a.invitationToken).subarray(16)])));
    await expectInvalid('malformed', 'cinv_not-a-real-token');
    await expectInvalid('a platform token', token);

    const used = await createTenant('invite-used', 'erin@used.example');
    expect((await lookup(used.invitationToken)).statusCode).toBe(200);
    await t.ctx.db.withTenant(used.id, (tx) => tx.updateTable('invitations').set({ accepted_at: t.clock.now() }).execute());
    await expectInvalid('used', used.invitationToken);

    const revoked = await createTenant('invite-revoked', 'dave@revoked.example');
    expect((await lookup(revoked.invitationToken)).statusCode).toBe(200);
    await t.ctx.db.withTenant(revoked.id, (tx) => tx.updateTable('invitations').set({ revoked_at: t.clock.now() }).execute());
    await expectInvalid('revoked', revoked.invitationToken);

    const suspended = await createTenant('invite-suspended', 'frank@suspended.example');
    expect((await lookup(suspended.invitationToken)).statusCode).toBe(200);
    const patch = (status: string) =>
      t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${suspended.id}`, headers: auth, payload: { status } });
    expect((await patch('suspended')).statusCode).toBe(200);
    await expectInvalid('suspended tenant', suspended.invitationToken);
    // Suspending revoked the invitation: reactivating the tenant does not bring it back. A link
    // that leaked while the tenant was suspended (the reason to suspend it, often) stays dead.
    expect((await patch('active')).statusCode).toBe(200);
    await expectInvalid('suspended, then reactivated tenant', suspended.invitationToken);

    // Valid one millisecond before its expiry (72 h by default), invalid from the expiry on.
    const expiring = await createTenant('invite-expiring', 'carol@expiring.example');
    t.clock.advance(72 * HOUR - 1);
    expect((await lookup(expiring.invitationToken)).statusCode).toBe(200);
    t.clock.advance(1);
    await expectInvalid('expired', expiring.invitationToken);

    expect(bodies.size).toBe(11);
    const reference = bodies.get('unknown tenant');
    for (const [what, body] of bodies) expect(body, what).toEqual(reference);
  });

  it('suspending a tenant revokes its open invitations, in the database, and no other tenant\'s', async () => {
    const target = await createTenant('suspend-target', 'gina@target.example');
    const bystander = await createTenant('suspend-bystander', 'hank@bystander.example');
    const patch = (status: string) => t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${target.id}`, headers: auth, payload: { status } });
    const revokedAt = (tenantId: string) =>
      t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('invitations').select('revoked_at').execute()).then((rows) => rows.map((r) => r.revoked_at));

    // Renaming is not suspending: the invitation stays open.
    expect((await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${target.id}`, headers: auth, payload: { name: 'Renamed' } })).statusCode).toBe(200);
    expect(await revokedAt(target.id)).toEqual([null]);

    expect((await patch('suspended')).statusCode).toBe(200);
    expect(await revokedAt(target.id)).toEqual([t.clock.now()]);
    expect(await revokedAt(bystander.id)).toEqual([null]);
    expect((await lookup(bystander.invitationToken)).statusCode).toBe(200);

    expect((await patch('active')).statusCode).toBe(200);
    expect(await revokedAt(target.id)).toEqual([t.clock.now()]);
    expectProblem(await lookup(target.invitationToken), 404, 'agents.invitation_invalid');
  });

  it('a mangled link, its fragment escaped into the path, is a 404 whose log line carries no token', async () => {
    const { invitationToken } = await createTenant('mangled-link', 'ivan@mangled.example');
    const before = t.logs.lines.length;
    for (const url of [`/invite%23${invitationToken}`, `/invite%23${encodeURIComponent(invitationToken)}`, `/x/y/${invitationToken}`, `/${invitationToken}`]) {
      expectProblem(await t.app.inject({ method: 'GET', url }), 404, 'request.not_found');
    }
    const lines = t.logs.lines.slice(before).map((l) => JSON.parse(l) as { req?: { path?: string; route?: string } });
    // Logged all the same: by the first segment only, with anything token-like cut out.
    expect(lines.flatMap((l) => (l.req?.path === undefined ? [] : [l.req.path]))).toEqual(['/invite[redacted]', '/invite[redacted]', '/x/[redacted]', '/[redacted]']);
    const text = t.logs.lines.slice(before).join('\n');
    expect(text).not.toContain(invitationToken.slice(5, 25));
    expect(text).not.toContain(invitationToken.slice(-20));
  });

  it('an oversized token is rejected by the schema before any database work', async () => {
    const res = await lookup(`cinv_${'A'.repeat(300)}`);
    expect(expectProblem(res, 400, 'request.invalid').errors?.map((e) => e.path)).toEqual(['body.token']);
  });
});

describe('logs', () => {
  it('never contain a platform token, an invitation token or an invited email address', () => {
    // Guard against a vacuous pass: the requests of this file were logged.
    expect(t.logs.lines.some((l) => l.includes('/v1/invitations/lookup'))).toBe(true);
    expect(t.logs.lines.some((l) => l.includes('/v1/platform/tenants'))).toBe(true);
    expect(secrets.length).toBeGreaterThan(10);
    // Forged tokens are the client's fault: nothing in this file is an error on the server's side.
    expect(t.logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
    const text = t.logs.text();
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(3);
      expect(text).not.toContain(secret);
    }
    // Not even the random part of a token, in any encoding.
    for (const secret of secrets.filter((s) => s.startsWith('cinv_') || s.startsWith('cpa_'))) {
      expect(text).not.toContain(secret.slice(-20));
    }
  });
});
