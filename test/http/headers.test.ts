/**
 * What every response carries regardless of its route: security headers, HSTS only over TLS,
 * request ids that are safe to log; and the operational surface: the OpenAPI document covering
 * every API route, the docs page under its own CSP, metrics by route template, health checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePlatformToken } from '../../src/tenants/index.js';
import type { HttpApp } from '../../src/platform/http.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { bearer, expectProblem } from '../helpers/http.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
let auth: { authorization: string };
let tenantId: string;

beforeAll(async () => {
  t = await createTestApp();
  auth = bearer((await issuePlatformToken(t.ctx.db, { name: 'headers-tests', now: t.clock.now() })).token);
  const created = await t.app.inject({ method: 'POST', url: '/v1/platform/tenants', headers: auth, payload: { slug: 'acme', name: 'Acme' } });
  tenantId = (JSON.parse(created.body) as { tenant: { id: string } }).tenant.id;
});

afterAll(async () => {
  await t?.close();
});

/** CSP directives by name, e.g. `{ 'script-src': ["'self'"] }`. */
function cspDirectives(header: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of String(header).split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') out.set(name.toLowerCase(), values);
  }
  return out;
}

/**
 * Every route the router knows, as `METHOD /path` (HEAD omitted), read from Fastify's route tree
 * so that a route added later is covered without editing this test.
 */
function registeredRoutes(app: HttpApp): Set<string> {
  const routes = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2] ?? '');
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD')) routes.add(`${method} ${stack.join('')}`);
  }
  return routes;
}

interface OpenApiOperation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  requestBody?: unknown;
  parameters?: unknown[];
  security?: unknown[];
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
}

async function openApi(): Promise<OpenApiDocument> {
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body) as OpenApiDocument;
}

describe('security headers on API responses', () => {
  const requests = [
    { what: 'a 200 from /healthz', method: 'GET' as const, url: '/healthz', status: 200, withAuth: false },
    { what: 'a 200 from the tenant API', method: 'GET' as const, url: '/v1/platform/tenants', status: 200, withAuth: true },
    { what: 'a 401 problem', method: 'GET' as const, url: '/v1/platform/tenants', status: 401, withAuth: false },
    { what: 'a 404 problem', method: 'GET' as const, url: '/no/such/thing', status: 404, withAuth: false },
    { what: 'a 405 problem', method: 'PUT' as const, url: '/healthz', status: 405, withAuth: false },
    { what: 'the OpenAPI document', method: 'GET' as const, url: '/openapi.json', status: 200, withAuth: false },
  ];

  it.each(requests)('$what carries CSP, nosniff, DENY, no-referrer and no-store, and no HSTS over plain http', async ({ method, url, status, withAuth }) => {
    const res = await t.app.inject({ method, url, headers: withAuth ? auth : {} });
    expect(res.statusCode).toBe(status);
    const csp = cspDirectives(res.headers['content-security-policy']);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('HSTS is absent when a client claims X-Forwarded-Proto: https and the proxy is not trusted', async () => {
    // Without CUSTODIA_TRUST_PROXY anyone can send the header; it says nothing about the transport.
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  describe('behind a trusted TLS-terminating proxy', () => {
    let proxied: TestApp;
    beforeAll(async () => {
      proxied = await createTestApp({ env: { CUSTODIA_TRUST_PROXY: 'true' } });
    });
    afterAll(async () => {
      await proxied?.close();
    });

    it('sends HSTS of at least a year on success and on errors when X-Forwarded-Proto is https', async () => {
      for (const url of ['/healthz', '/no/such/thing']) {
        const res = await proxied.app.inject({ method: 'GET', url, headers: { 'x-forwarded-proto': 'https' } });
        const hsts = String(res.headers['strict-transport-security']);
        expect(hsts).toMatch(/^max-age=\d+; includeSubDomains$/);
        expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000);
      }
    });

    it('sends no HSTS when the proxy forwarded plain http', async () => {
      for (const headers of [{ 'x-forwarded-proto': 'http' }, {}]) {
        const res = await proxied.app.inject({ method: 'GET', url: '/healthz', headers });
        expect(res.statusCode).toBe(200);
        expect(res.headers['strict-transport-security']).toBeUndefined();
      }
    });
  });

  it('trusts X-Forwarded-Proto only from the listed proxy addresses', async () => {
    // inject() connects from 127.0.0.1: listed, the header counts; not listed, it is ignored.
    const listed = await createTestApp({ env: { CUSTODIA_TRUST_PROXY: '10.1.2.3,127.0.0.0/8' } });
    const other = await createTestApp({ env: { CUSTODIA_TRUST_PROXY: '10.1.2.3' } });
    try {
      const headers = { 'x-forwarded-proto': 'https' };
      const fromListed = await listed.app.inject({ method: 'GET', url: '/healthz', headers });
      expect(fromListed.headers['strict-transport-security']).toMatch(/^max-age=/);
      const fromOther = await other.app.inject({ method: 'GET', url: '/healthz', headers });
      expect(fromOther.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await listed.close();
      await other.close();
    }
  });
});

describe('request ids', () => {
  it.each(['req-123', 'a'.repeat(128), 'trace:abc.DEF_9-x', '6b1f7ad4-7c87-4e2e-9a1c-3b1c2f7d8e90'])('a safe X-Request-Id %s is echoed in the header and the problem', async (id) => {
    const res = await t.app.inject({ method: 'GET', url: '/no/such/thing', headers: { 'x-request-id': id } });
    expect(res.headers['x-request-id']).toBe(id);
    expect(expectProblem(res, 404, 'request.not_found').requestId).toBe(id);
  });

  it.each([
    ['with spaces', 'abc def'],
    ['of 129 characters', 'a'.repeat(129)],
    ['of 300 characters', 'b'.repeat(300)],
    ['with markup', '<script>alert(1)</script>'],
    ['with quotes and braces', '"},{"level":60,"msg":"forged'],
    ['empty', ''],
  ])('an unsafe X-Request-Id (%s) is replaced by a fresh UUID and never logged', async (_what, id) => {
    const res = await t.app.inject({ method: 'GET', url: '/no/such/thing', headers: { 'x-request-id': id } });
    const given = res.headers['x-request-id'];
    expect(given).toMatch(UUID);
    expect(expectProblem(res, 404, 'request.not_found').requestId).toBe(given);
    if (id !== '') expect(t.logs.text()).not.toContain(id);
  });

  it('requests without an id get distinct ids', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 5; i += 1) ids.add((await t.app.inject({ method: 'GET', url: '/healthz' })).headers['x-request-id']);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(UUID);
  });
});

describe('API documentation', () => {
  it('/docs serves the Swagger UI under its own CSP: same-origin scripts only, no inline script, no framing', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('swagger-ui');

    const csp = cspDirectives(res.headers['content-security-policy']);
    const scriptSrc = csp.get('script-src') ?? csp.get('default-src') ?? [];
    expect(scriptSrc).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
    // Same-origin only, as docs/api.md says: no style, font, image or connection from elsewhere
    // (Swagger UI's own policy allows styles and fonts from any https: origin).
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('font-src')).toEqual(["'self'"]);
    expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
    for (const [directive, sources] of csp) {
      expect(sources.filter((s) => !["'self'", "'none'", 'data:'].includes(s)), directive).toEqual([]);
    }
    expect(res.headers['x-frame-options']).toBe('DENY');

    // The page must work under that CSP: every script is an external same-origin file that is served.
    const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(inline?.trim()).toBe('');
      const src = /\bsrc="([^"]+)"/.exec(attributes ?? '')?.[1];
      expect(src).toMatch(/^\/docs\//);
      const asset = await t.app.inject({ method: 'GET', url: src ?? '' });
      expect(asset.statusCode).toBe(200);
    }
    expect(res.body).not.toMatch(/\son[a-z]+=/i);
  });

  it('/openapi.json is OpenAPI 3.1.0 and lists every /v1 route the router serves, with its methods', async () => {
    const doc = await openApi();
    expect(doc.openapi).toBe('3.1.0');

    const routed = [...registeredRoutes(t.app)].filter((r) => r.split(' ')[1]?.startsWith('/v1/')).sort();
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    // Guard against a parser that finds nothing: these routes exist today.
    expect(routed).toEqual(expect.arrayContaining(['POST /v1/platform/tenants', 'DELETE /v1/platform/tenants/:id', 'POST /v1/invitations/lookup']));
    expect(documented).toEqual(routed);
  });

  it('every documented /v1 operation lists its client errors: 400 for input, 401 when it needs a token', async () => {
    const doc = await openApi();
    for (const [path, ops] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/'))) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(op.responses);
        expect(statuses.filter((s) => s.startsWith('4')), where).not.toEqual([]);
        if (op.requestBody !== undefined || (op.parameters?.length ?? 0) > 0) expect(statuses, where).toContain('400');
        if ((op.security?.length ?? 0) > 0) expect(statuses, where).toContain('401');
        for (const status of statuses.filter((s) => s.startsWith('4'))) {
          expect(op.responses[status]?.content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        }
      }
    }
  });

  it('every documented operation has a 2xx response with a schema (204 has no body)', async () => {
    const doc = await openApi();
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ where: `${method} ${path}`, op })));
    expect(operations.length).toBeGreaterThan(3);
    for (const { where, op } of operations) {
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success, where).toHaveLength(1);
      const status = success[0] ?? '';
      if (status === '204') expect(op.responses[status]?.content, where).toBeUndefined();
      else expect(op.responses[status]?.content?.['application/json']?.schema, where).toBeDefined();
    }
  });

  it('hidden endpoints (metrics, the document itself) are not in the document', async () => {
    const doc = await openApi();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
    expect(Object.keys(doc.paths)).not.toContain('/openapi.json');
  });
});

describe('metrics', () => {
  it('label request durations with the route template, never a concrete id', async () => {
    const unknownId = '0d9c3f5e-2b7a-4c1e-8f6d-5a4b3c2d1e0f';
    expect((await t.app.inject({ method: 'GET', url: `/v1/platform/tenants/${tenantId}`, headers: auth })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/v1/platform/tenants/${unknownId}`, headers: auth })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/no/such/${unknownId}` })).statusCode).toBe(404);

    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = res.body.split('\n');
    const count = (status: string) =>
      lines.find(
        (l) =>
          l.startsWith('custodia_http_request_duration_seconds_count{') &&
          l.includes('route="/v1/platform/tenants/:id"') &&
          l.includes('method="GET"') &&
          l.includes(`status_code="${status}"`),
      );
    expect(count('200')).toMatch(/ 1$/);
    expect(count('404')).toMatch(/ 1$/);
    expect(lines.some((l) => l.startsWith('custodia_http_request_duration_seconds_count{') && l.includes('route="unmatched"'))).toBe(true);
    expect(res.body).not.toContain(tenantId);
    expect(res.body).not.toContain(unknownId);
    expect(res.body).not.toContain('/no/such');
  });
});

describe('health', () => {
  it('/healthz is 200 {status: ok}', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect({ status: res.statusCode, body: JSON.parse(res.body) as unknown }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz is 200 with the database and migrations ok and Redis not configured', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect({ status: res.statusCode, body: JSON.parse(res.body) as unknown }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', redis: 'not_configured' } },
    });
  });
});
