/**
 * Attacks on the error model.
 *
 * - Amplification: a request with thousands of unknown fields got one `errors` entry per field,
 *   each repeating the field's name, so a 1 MiB request bought an answer larger than itself. The
 *   list is capped at 20 entries (`truncated: true` says there were more) and a field name the
 *   client chose is cut to 64 characters.
 * - Reflection: a problem never repeats a value the client sent (a taken slug, a bad id, a name
 *   that is too long), so an answer cannot be used to carry the client's content back, into a
 *   log viewer, an error page or a screen that trusts the server's words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { bearer, expectProblem } from '../helpers/http.js';

let t: TestApp;
let auth: { authorization: string };

beforeAll(async () => {
  t = await createTestApp();
  auth = bearer((await issuePlatformToken(t.ctx.db, { name: 'problem-security', now: t.clock.now() })).token);
});

afterAll(async () => {
  await t?.close();
});

function createTenant(payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/v1/platform/tenants', headers: auth, payload });
}

function unknownFields(count: number, name = (i: number) => `bogus${i}`): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [name(i), 1]));
}

describe('validation errors are bounded', () => {
  it('20 problems are all listed, without truncated', async () => {
    const body = expectProblem(await createTenant({ slug: 'twenty', name: 'Twenty', ...unknownFields(20) }), 400, 'request.invalid');
    expect(body.errors).toHaveLength(20);
    expect(body).not.toHaveProperty('truncated');
  });

  it('a body with 20 000 unknown fields gets 20 entries and truncated: true, not an answer as large as itself', async () => {
    const payload = { slug: 'many', name: 'Many', ...unknownFields(20_000) };
    const res = await createTenant(payload);
    const body = expectProblem(res, 400, 'request.invalid');
    expect(body.errors).toHaveLength(20);
    expect(body.errors?.[0]).toEqual({ path: 'body.bogus0', message: 'Unknown field' });
    expect(body.truncated).toBe(true);
    expect(res.body.length).toBeLessThan(3_000);
    expect(JSON.stringify(payload).length).toBeGreaterThan(200_000);
  });

  it('a field name longer than 64 characters is cut in the path', async () => {
    const long = `x${'y'.repeat(9_999)}`;
    const body = expectProblem(await createTenant({ slug: 'long-key', name: 'Long', [long]: 1 }), 400, 'request.invalid');
    expect(body.errors).toEqual([{ path: `body.${long.slice(0, 64)}`, message: 'Unknown field' }]);
  });
});

describe('problems never repeat values the client sent', () => {
  const canary = 'canary-7f3a9c';

  it('a taken slug is not named in the 409', async () => {
    expect((await createTenant({ slug: canary, name: 'First' })).statusCode).toBe(201);
    const res = await createTenant({ slug: canary, name: 'Second' });
    const body = expectProblem(res, 409, 'tenants.slug_taken');
    expect(body.detail).toBe('Another tenant already has this slug; choose another one');
    expect(res.body).not.toContain(canary);
  });

  it.each([
    ['a name that is too long', { method: 'POST' as const, url: '/v1/platform/tenants', payload: { slug: 'ok-slug', name: `${canary}${'n'.repeat(300)}` } }],
    ['a slug of the wrong shape', { method: 'POST' as const, url: '/v1/platform/tenants', payload: { slug: `${canary}_UPPER`, name: 'x' } }],
    ['an email that is not one', { method: 'POST' as const, url: '/v1/platform/tenants', payload: { slug: 'ok-slug', name: 'x', adminEmail: canary } }],
    ['a wrong type', { method: 'POST' as const, url: '/v1/platform/tenants', payload: { slug: 'ok-slug', name: { [canary]: canary } } }],
    ['an id that is no uuid', { method: 'GET' as const, url: `/v1/platform/tenants/${canary}` }],
    ['a limit that is no number', { method: 'GET' as const, url: `/v1/platform/tenants?limit=${canary}` }],
    ['an `after` that is no slug', { method: 'GET' as const, url: `/v1/platform/tenants?after=${canary}_X` }],
  ])('%s', async (_what, request) => {
    const res = await t.app.inject({ ...request, headers: auth });
    expectProblem(res, 400, 'request.invalid');
    expect(res.body).not.toContain(canary);
  });
});
