/**
 * Tenant administration over the API with a platform token: create (with and without the first
 * administrator's invitation), list page by page, read, rename, suspend, and delete (only once
 * suspended, taking the tenant's rows with it). Slugs are validated and unique.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCustomerNumbers } from '../../src/customers/index.js';
import { sha256 } from '../../src/platform/crypto.js';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { bearer, countTenants, expectProblem } from '../helpers/http.js';

const PUBLIC_URL = 'https://custodia.example.test';

interface TenantView {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: string;
  updatedAt: string;
}
interface CreatedView {
  tenant: TenantView;
  invitation?: { url: string; token: string; role: string; expiresAt: string };
}

let t: TestApp;
let auth: { authorization: string };

beforeAll(async () => {
  t = await createTestApp({ env: { CUSTODIA_PUBLIC_URL: `${PUBLIC_URL}/` } });
  auth = bearer((await issuePlatformToken(t.ctx.db, { name: 'tenant-tests', now: t.clock.now() })).token);
});

afterAll(async () => {
  await t?.close();
});

async function create(payload: Record<string, unknown>): Promise<CreatedView> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/platform/tenants', headers: auth, payload });
  expect(res.statusCode, res.body).toBe(201);
  return JSON.parse(res.body) as CreatedView;
}

/** Invitations and customers of one tenant, read in that tenant's row-level-security scope. */
async function tenantRows(tenantId: string): Promise<{ invitations: number; customers: number }> {
  return t.ctx.db.withTenant(tenantId, async (tx) => {
    const r = await sql<{ invitations: number; customers: number }>`
      select (select count(*)::int from invitations) as invitations, (select count(*)::int from customers) as customers`.execute(tx);
    return r.rows[0] ?? { invitations: -1, customers: -1 };
  });
}

describe('creating a tenant', () => {
  it('without adminEmail returns 201 with the tenant and no invitation', async () => {
    const body = await create({ slug: 'no-admin', name: '  No Admin Ltd  ' });
    expect(body).toEqual({
      tenant: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        slug: 'no-admin',
        name: 'No Admin Ltd',
        status: 'active',
        createdAt: t.clock.now().toISOString(),
        updatedAt: t.clock.now().toISOString(),
      },
    });
    expect(await tenantRows(body.tenant.id)).toEqual({ invitations: 0, customers: 0 });
  });

  it('with adminEmail issues a one-time invitation link under the public URL, storing the lowercased email and only the token hash', async () => {
    const body = await create({ slug: 'with-admin', name: 'With Admin', adminEmail: 'Jane.Doe@Example.COM' });
    const invitation = body.invitation;
    if (invitation === undefined) throw new Error('no invitation in the response');
    expect(invitation.token).toMatch(/^cinv_[A-Za-z0-9_-]{64}$/);
    expect(invitation.url).toBe(`${PUBLIC_URL}/invite#${invitation.token}`);
    expect(invitation.role).toBe('tenant_admin');
    expect(invitation.expiresAt).toBe(new Date(t.clock.now().getTime() + 72 * 3_600_000).toISOString());

    const rows = await t.ctx.db.withTenant(body.tenant.id, (tx) => tx.selectFrom('invitations').selectAll().execute());
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row?.email).toBe('jane.doe@example.com');
    expect(row?.role).toBe('tenant_admin');
    expect(Buffer.from(row?.token_hash ?? []).equals(sha256(invitation.token))).toBe(true);
    expect(JSON.stringify(row)).not.toContain(invitation.token.slice(5));
  });

  it('with a taken slug is 409 tenants.slug_taken and creates neither a tenant nor an invitation', async () => {
    const first = await create({ slug: 'taken', name: 'First', adminEmail: 'first@example.com' });
    const before = await countTenants(t.ctx.db);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/platform/tenants',
      headers: auth,
      payload: { slug: 'taken', name: 'Second', adminEmail: 'second@example.com' },
    });
    expectProblem(res, 409, 'tenants.slug_taken');
    expect(await countTenants(t.ctx.db)).toBe(before);
    expect(await tenantRows(first.tenant.id)).toEqual({ invitations: 1, customers: 0 });
    expect((await t.ctx.tenants.getTenant(first.tenant.id)).name).toBe('First');
  });

  it.each([
    ['uppercase', 'Acme'],
    ['an underscore', 'acme_corp'],
    ['a leading hyphen', '-acme'],
    ['a trailing hyphen', 'acme-'],
    ['consecutive hyphens', 'ac--me'],
    ['one character', 'a'],
    ['41 characters', 'a'.repeat(41)],
    ['the reserved word admin', 'admin'],
    ['the reserved word platform', 'platform'],
    ['a space', 'ac me'],
    ['a non-ASCII letter', 'acmé'],
    ['an empty string', ''],
  ])('with a slug containing %s is 400 request.invalid at body.slug', async (_what, slug) => {
    const before = await countTenants(t.ctx.db);
    const res = await t.app.inject({ method: 'POST', url: '/v1/platform/tenants', headers: auth, payload: { slug, name: 'Bad Slug' } });
    expect(expectProblem(res, 400, 'request.invalid').errors?.map((e) => e.path)).toContain('body.slug');
    expect(await countTenants(t.ctx.db)).toBe(before);
  });

  it('accepts the shortest and longest valid slugs', async () => {
    for (const [slug, length] of [
      ['x1', 2],
      [`a${'-b'.repeat(19)}c`, 40],
    ] as const) {
      expect(slug).toHaveLength(length);
      expect((await create({ slug, name: 'Edge' })).tenant.slug).toBe(slug);
    }
  });
});

describe('listing tenants', () => {
  it('pages through every tenant in slug order with limit, after and next', async () => {
    for (const slug of ['page-c', 'page-a', 'page-e', 'page-b', 'page-d']) await create({ slug, name: slug });
    const all = (await t.ctx.db.withPlatform((tx) => tx.selectFrom('tenants').select('slug').execute())).map((r) => r.slug).sort();
    expect(all.length).toBeGreaterThanOrEqual(5);

    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const url = `/v1/platform/tenants?limit=2${after === undefined ? '' : `&after=${after}`}`;
      const res = await t.app.inject({ method: 'GET', url, headers: auth });
      expect(res.statusCode).toBe(200);
      const page = JSON.parse(res.body) as { tenants: TenantView[]; next?: string };
      pages += 1;
      seen.push(...page.tenants.map((x) => x.slug));
      if (page.next === undefined) {
        expect(page.tenants.length).toBeLessThanOrEqual(2);
        break;
      }
      expect(page.tenants).toHaveLength(2);
      expect(page.next).toBe(page.tenants[1]?.slug);
      after = page.next;
      expect(pages).toBeLessThan(100);
    }
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it('gives no next on a page that holds the last tenant exactly', async () => {
    const total = await countTenants(t.ctx.db);
    const res = await t.app.inject({ method: 'GET', url: `/v1/platform/tenants?limit=${total}`, headers: auth });
    const page = JSON.parse(res.body) as { tenants: TenantView[]; next?: string };
    expect(page.tenants).toHaveLength(total);
    expect(page.next).toBeUndefined();
  });

  it('defaults to 50 per page', async () => {
    const missing = 51 - (await countTenants(t.ctx.db));
    for (let i = 0; i < missing; i += 1) await t.ctx.tenants.createTenant({ slug: `bulk-${i}`, name: `Bulk ${i}`, actor: 'test' });
    const res = await t.app.inject({ method: 'GET', url: '/v1/platform/tenants', headers: auth });
    const page = JSON.parse(res.body) as { tenants: TenantView[]; next?: string };
    expect(page.tenants).toHaveLength(50);
    expect(page.next).toBe(page.tenants[49]?.slug);
  });
});

describe('reading and changing a tenant', () => {
  it('GET returns the tenant; an unknown id is 404 tenants.not_found', async () => {
    const { tenant } = await create({ slug: 'readable', name: 'Readable' });
    const res = await t.app.inject({ method: 'GET', url: `/v1/platform/tenants/${tenant.id}`, headers: auth });
    expect({ status: res.statusCode, body: JSON.parse(res.body) as unknown }).toEqual({ status: 200, body: tenant });
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/v1/platform/tenants/0d9c3f5e-2b7a-4c1e-8f6d-5a4b3c2d1e0f', headers: auth }),
      404,
      'tenants.not_found',
    );
  });

  it('PATCH renames and suspends, moving updatedAt but not createdAt or slug', async () => {
    const { tenant } = await create({ slug: 'patchable', name: 'Before' });
    t.clock.advance(60_000);
    const renamed = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${tenant.id}`, headers: auth, payload: { name: 'After' } });
    expect(JSON.parse(renamed.body)).toEqual({ ...tenant, name: 'After', updatedAt: t.clock.now().toISOString() });

    t.clock.advance(60_000);
    const suspended = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${tenant.id}`, headers: auth, payload: { status: 'suspended' } });
    expect(JSON.parse(suspended.body)).toEqual({ ...tenant, name: 'After', status: 'suspended', updatedAt: t.clock.now().toISOString() });
    expect((await t.ctx.tenants.getTenant(tenant.id)).status).toBe('suspended');

    const both = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${tenant.id}`, headers: auth, payload: { name: 'Again', status: 'active' } });
    expect(JSON.parse(both.body)).toMatchObject({ name: 'Again', status: 'active' });
  });

  it('PATCH of an unknown id is 404 tenants.not_found', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/platform/tenants/0d9c3f5e-2b7a-4c1e-8f6d-5a4b3c2d1e0f',
      headers: auth,
      payload: { name: 'Ghost' },
    });
    expectProblem(res, 404, 'tenants.not_found');
  });
});

describe('deleting a tenant', () => {
  it('is refused with 409 tenants.not_suspended while the tenant is active, and nothing is removed', async () => {
    const { tenant } = await create({ slug: 'still-active', name: 'Active', adminEmail: 'admin@active.example' });
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/platform/tenants/${tenant.id}`, headers: auth });
    expectProblem(res, 409, 'tenants.not_suspended');
    expect((await t.ctx.tenants.getTenant(tenant.id)).status).toBe('active');
    expect(await tenantRows(tenant.id)).toEqual({ invitations: 1, customers: 0 });
  });

  it('after suspension is 204 and removes the tenant with its invitations and customers, and no other tenant rows', async () => {
    const doomed = (await create({ slug: 'doomed', name: 'Doomed', adminEmail: 'admin@doomed.example' })).tenant;
    const bystander = (await create({ slug: 'bystander', name: 'Bystander', adminEmail: 'admin@bystander.example' })).tenant;
    for (const tenant of [doomed, bystander]) {
      await t.ctx.db.withTenant(tenant.id, (tx) => insertCustomerNumbers(tx, tenant.id, ['C-1', 'C-2', 'C-3'], t.clock.now()));
    }
    expect(await tenantRows(doomed.id)).toEqual({ invitations: 1, customers: 3 });

    const suspend = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${doomed.id}`, headers: auth, payload: { status: 'suspended' } });
    expect(suspend.statusCode).toBe(200);
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/platform/tenants/${doomed.id}`, headers: auth });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');

    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/platform/tenants/${doomed.id}`, headers: auth }), 404, 'tenants.not_found');
    expect(await t.ctx.tenants.findTenantBySlug('doomed')).toBeUndefined();
    expect(await tenantRows(doomed.id)).toEqual({ invitations: 0, customers: 0 });
    // Counted without row-level security, as the database owner: nothing of the tenant is left anywhere.
    const orphans = await t.ctx.db.withRawSession((s) =>
      s.query<{ n: number }>(
        'select (select count(*) from invitations where tenant_id = $1)::int + (select count(*) from customers where tenant_id = $1)::int as n',
        [doomed.id],
      ),
    );
    expect(orphans[0]?.n).toBe(0);
    expect(await tenantRows(bystander.id)).toEqual({ invitations: 1, customers: 3 });

    expectProblem(await t.app.inject({ method: 'DELETE', url: `/v1/platform/tenants/${doomed.id}`, headers: auth }), 404, 'tenants.not_found');
  });
});
