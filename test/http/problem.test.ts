/**
 * Every error leaves the server as RFC 9457 problem details (`application/problem+json`) with a
 * tag-URI `type`, a stable `code` and the request id of the `x-request-id` header; a rejected
 * write changes nothing; and an unexpected failure tells the client nothing about its cause.
 */
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAppError } from '../../src/server/problem.js';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { bearer, countTenants, expectProblem, STACK_FRAME } from '../helpers/http.js';

const BODY_LIMIT = 300;

let t: TestApp;
let auth: { authorization: string };

beforeAll(async () => {
  t = await createTestApp({ env: { CUSTODIA_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
  auth = bearer((await issuePlatformToken(t.ctx.db, { name: 'problem-tests', now: t.clock.now() })).token);
  const created = await t.app.inject({ method: 'POST', url: '/v1/platform/tenants', headers: auth, payload: { slug: 'existing', name: 'Existing' } });
  expect(created.statusCode).toBe(201);
});

afterAll(async () => {
  await t?.close();
});

function postTenant(payload: string, contentType: string | undefined) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/platform/tenants',
    headers: { ...auth, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
    payload,
  });
}

describe('bad request bodies are problem+json and change nothing', () => {
  const cases: readonly { what: string; payload: string; contentType: string | undefined; status: number; code: string }[] = [
    { what: 'malformed JSON', payload: '{"slug":"malformed","name":', contentType: 'application/json', status: 400, code: 'request.malformed_json' },
    { what: 'an empty JSON body', payload: '', contentType: 'application/json', status: 400, code: 'request.empty_body' },
    { what: 'a text/plain body', payload: 'slug=plain&name=Plain', contentType: 'text/plain', status: 415, code: 'request.unsupported_media_type' },
    { what: 'an application/xml body', payload: '<tenant><slug>xml</slug></tenant>', contentType: 'application/xml', status: 415, code: 'request.unsupported_media_type' },
    { what: 'a body without a content type', payload: '{"slug":"untyped","name":"U"}', contentType: undefined, status: 415, code: 'request.unsupported_media_type' },
    // secure-json-parse refuses keys that would reach Object.prototype (prototype poisoning).
    { what: 'a __proto__ key', payload: '{"slug":"proto","name":"P","__proto__":{"x":1}}', contentType: 'application/json', status: 400, code: 'request.malformed_json' },
    { what: 'a constructor.prototype key', payload: '{"slug":"ctor","name":"C","constructor":{"prototype":{"x":1}}}', contentType: 'application/json', status: 400, code: 'request.malformed_json' },
  ];

  it.each(cases)('$what -> $status $code', async ({ payload, contentType, status, code }) => {
    const before = await countTenants(t.ctx.db);
    const res = await postTenant(payload, contentType);
    expectProblem(res, status, code);
    expect(await countTenants(t.ctx.db)).toBe(before);
  });

  it('a body of exactly CUSTODIA_BODY_LIMIT_BYTES is accepted and one byte more is 413 request.body_too_large', async () => {
    const body = (slug: string, extra: number) => {
      const base = JSON.stringify({ slug, name: 'n'.repeat(150), adminEmail: '@example.com' });
      const localPart = 'a'.repeat(BODY_LIMIT - base.length + extra);
      return JSON.stringify({ slug, name: 'n'.repeat(150), adminEmail: `${localPart}@example.com` });
    };
    const atLimit = body('limit-fits', 0);
    const overLimit = body('limit-over', 1);
    expect([Buffer.byteLength(atLimit), Buffer.byteLength(overLimit)]).toEqual([BODY_LIMIT, BODY_LIMIT + 1]);

    const before = await countTenants(t.ctx.db);
    expect((await postTenant(atLimit, 'application/json')).statusCode).toBe(201);
    expectProblem(await postTenant(overLimit, 'application/json'), 413, 'request.body_too_large');
    expect(await countTenants(t.ctx.db)).toBe(before + 1);
    expect(await t.ctx.tenants.findTenantBySlug('limit-over')).toBeUndefined();
  });

  it('an unknown field is 400 request.invalid naming the field path', async () => {
    const before = await countTenants(t.ctx.db);
    const res = await postTenant(JSON.stringify({ slug: 'unknown-field', name: 'U', isAdmin: true }), 'application/json');
    const body = expectProblem(res, 400, 'request.invalid');
    expect(body.errors?.map((e) => e.path)).toEqual(['body.isAdmin']);
    expect(await countTenants(t.ctx.db)).toBe(before);
  });

  it.each([
    { what: 'a name of 201 characters', payload: { slug: 'long-name', name: 'n'.repeat(201) }, path: 'body.name' },
    { what: 'a blank name', payload: { slug: 'blank-name', name: '   ' }, path: 'body.name' },
    { what: 'a missing name', payload: { slug: 'no-name' }, path: 'body.name' },
    { what: 'a number as slug', payload: { slug: 42, name: 'N' }, path: 'body.slug' },
    { what: 'an invalid email', payload: { slug: 'bad-email', name: 'B', adminEmail: 'not-an-email' }, path: 'body.adminEmail' },
  ])('$what is 400 request.invalid at $path', async ({ payload, path }) => {
    const before = await countTenants(t.ctx.db);
    const body = expectProblem(await postTenant(JSON.stringify(payload), 'application/json'), 400, 'request.invalid');
    expect(body.errors?.map((e) => e.path)).toContain(path);
    for (const error of body.errors ?? []) expect(typeof error.message).toBe('string');
    expect(await countTenants(t.ctx.db)).toBe(before);
  });

  it('an invalid PATCH leaves the tenant as it was', async () => {
    const existing = await t.ctx.tenants.findTenantBySlug('existing');
    if (existing === undefined) throw new Error('fixture tenant missing');
    const url = `/v1/platform/tenants/${existing.id}`;
    for (const payload of [{}, { status: 'deleted' }, { name: 'x'.repeat(201) }, { name: 'Renamed', slug: 'renamed' }]) {
      expectProblem(await t.app.inject({ method: 'PATCH', url, headers: auth, payload }), 400, 'request.invalid');
    }
    expect(await t.ctx.tenants.getTenant(existing.id)).toEqual(existing);
  });
});

describe('out-of-range query and path values are 400 request.invalid', () => {
  it.each([
    ['limit=0', 'querystring.limit'],
    ['limit=1000', 'querystring.limit'],
    ['limit=201', 'querystring.limit'],
    ['limit=1.5', 'querystring.limit'],
    ['limit=ten', 'querystring.limit'],
    ['after=NOT_A_SLUG', 'querystring.after'],
    ['page=2', 'querystring.page'],
  ])('GET /v1/platform/tenants?%s names %s', async (query, path) => {
    const body = expectProblem(await t.app.inject({ method: 'GET', url: `/v1/platform/tenants?${query}`, headers: auth }), 400, 'request.invalid');
    expect(body.errors?.map((e) => e.path)).toEqual([path]);
  });

  it('limit=1 and limit=200 are the accepted bounds', async () => {
    for (const limit of [1, 200]) {
      expect((await t.app.inject({ method: 'GET', url: `/v1/platform/tenants?limit=${limit}`, headers: auth })).statusCode).toBe(200);
    }
  });

  it('a tenant id that is not a uuid is 400 at params.id', async () => {
    const body = expectProblem(await t.app.inject({ method: 'GET', url: '/v1/platform/tenants/42', headers: auth }), 400, 'request.invalid');
    expect(body.errors?.map((e) => e.path)).toEqual(['params.id']);
  });
});

describe('unknown paths and wrong methods', () => {
  it.each(['/nope', '/v1', '/v1/platform', '/v1/platform/tenants/6b1f7ad4-7c87-4e2e-9a1c-3b1c2f7d8e90/extra', '/healthz/extra'])(
    'GET %s is 404 request.not_found',
    async (url) => {
      const res = await t.app.inject({ method: 'GET', url, headers: auth });
      expectProblem(res, 404, 'request.not_found');
      expect(res.headers.allow).toBeUndefined();
    },
  );

  it.each([
    { method: 'PUT' as const, url: '/healthz', allow: ['GET', 'HEAD'] },
    { method: 'POST' as const, url: '/readyz', allow: ['GET', 'HEAD'] },
    { method: 'DELETE' as const, url: '/v1/platform/tenants', allow: ['GET', 'HEAD', 'POST'] },
    { method: 'PUT' as const, url: '/v1/platform/tenants/6b1f7ad4-7c87-4e2e-9a1c-3b1c2f7d8e90', allow: ['DELETE', 'GET', 'HEAD', 'PATCH'] },
    { method: 'GET' as const, url: '/v1/invitations/lookup', allow: ['POST'] },
  ])('$method $url is 405 with Allow listing the real methods', async ({ method, url, allow }) => {
    const before = await countTenants(t.ctx.db);
    const res = await t.app.inject({ method, url, headers: auth, ...(method === 'GET' ? {} : { payload: { slug: 'via-405', name: 'X' } }) });
    expectProblem(res, 405, 'request.method_not_allowed');
    expect(String(res.headers.allow).split(', ').sort()).toEqual(allow);
    expect(await countTenants(t.ctx.db)).toBe(before);
  });
});

describe('unexpected failures reveal nothing internal', () => {
  it('a database error that is not an outage is 500 server.internal, with the cause only in the log', async () => {
    const broken = await createTestApp();
    try {
      const headers = bearer((await issuePlatformToken(broken.ctx.db, { name: 'broken', now: broken.clock.now() })).token);
      // A fault the code does not expect: the application role loses its read grant on tenants.
      await broken.ctx.db.withRawSession((s) => s.exec(`DO $$ BEGIN EXECUTE format('REVOKE SELECT ON tenants FROM %I', custodia_app_role()); END $$`));

      const res = await broken.app.inject({ method: 'GET', url: '/v1/platform/tenants', headers });
      const body = expectProblem(res, 500, 'server.internal');
      expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'requestId', 'status', 'title', 'type']);
      expect(res.body).not.toMatch(/permission|denied|tenants|42501|select|relation|kysely|pg/i);
      expect(res.body).not.toMatch(STACK_FRAME);

      // The operator still learns what happened, under the same request id.
      const logged = broken.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request failed');
      expect(logged).toMatchObject({ level: 50, code: 'server.internal', reqId: body.requestId, err: { code: '42501' } });
    } finally {
      await broken.close();
    }
  });

  it('a closed database is 503 db.unavailable on the API and server.not_ready on /readyz, never 500', async () => {
    const closed = await createTestApp();
    try {
      const headers = bearer((await issuePlatformToken(closed.ctx.db, { name: 'closed', now: closed.clock.now() })).token);
      await closed.ctx.db.close();

      const api = await closed.app.inject({ method: 'GET', url: '/v1/platform/tenants', headers });
      expectProblem(api, 503, 'db.unavailable');
      const ready = await closed.app.inject({ method: 'GET', url: '/readyz' });
      const readyBody = expectProblem(ready, 503, 'server.not_ready');
      expect(readyBody.checks).toEqual({ database: 'failing', migrations: 'failing', redis: 'not_configured' });
      for (const res of [api, ready]) {
        expect(res.body).not.toMatch(STACK_FRAME);
        expect(res.body).not.toMatch(/PGlite|pg-pool|ECONN|kysely/i);
      }
      // Liveness does not depend on the database: a restart would not help.
      expect((await closed.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await closed.close();
    }
  });

  it('toAppError turns any unknown error into server.internal without its message', () => {
    const request = {} as FastifyRequest;
    const secret = 'connect ECONNREFUSED 10.1.2.3:5432 password=hunter2';
    const thrown: unknown[] = [
      new Error(secret),
      new TypeError(secret),
      Object.assign(new Error(secret), { statusCode: 503 }),
      Object.assign(new Error(secret), { code: 'ERR_SOMETHING', statusCode: 500 }),
      secret,
      { message: secret },
      undefined,
    ];
    for (const error of thrown) {
      const mapped = toAppError(error, request);
      expect({ code: mapped.code, status: mapped.status, detail: mapped.detail, details: mapped.details }).toEqual({
        code: 'server.internal',
        status: 500,
        detail: 'Internal server error',
        details: undefined,
      });
    }
  });

  it("toAppError keeps a client error's status class but not its message", () => {
    const mapped = toAppError(Object.assign(new Error('Cannot parse /etc/secret'), { statusCode: 400, code: 'FST_ERR_UNKNOWN' }), {} as FastifyRequest);
    expect({ code: mapped.code, status: mapped.status }).toEqual({ code: 'request.bad_request', status: 400 });
    expect(mapped.detail).not.toContain('/etc/secret');
  });
});
