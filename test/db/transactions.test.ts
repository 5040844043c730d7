/**
 * The transaction helpers: all or nothing, and the tenant scope of one transaction never leaks
 * into another, whether they run concurrently (PGlite's single session, PostgreSQL's pool) or one
 * after the other on a reused connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTenantScope } from '../../src/db/index.js';
import { newId } from '../../src/platform/ids.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const now = new Date('2026-11-23T09:00:00Z');
let t: TestDatabase;
const tenants = Array.from({ length: 6 }, () => newId());

beforeAll(async () => {
  t = await openTestDatabase();
  await t.db.withPlatform(async (tx) => {
    for (const [i, id] of tenants.entries()) {
      await tx.insertInto('tenants').values({ id, slug: `t-${i}-x`, name: `T${i}`, status: 'active', created_at: now, updated_at: now }).execute();
    }
  });
});

afterAll(async () => {
  await t?.destroy();
});

const count = (tenantId: string) =>
  t.db.withTenant(tenantId, async (tx) => Number((await tx.selectFrom('customers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n));

describe(`transactions on ${backend}`, () => {
  it('roll back every write when the work throws', async () => {
    const tenantId = tenants[0] as string;
    await expect(
      t.db.withTenant(tenantId, async (tx) => {
        await tx.insertInto('customers').values({ id: newId(), tenant_id: tenantId, customer_number: 'C-1', created_at: now }).execute();
        throw new Error('boom after the first insert');
      }),
    ).rejects.toThrow('boom');
    expect(await count(tenantId)).toBe(0);
  });

  it('roll back a tenant created together with its rows when a later statement fails', async () => {
    const id = newId();
    await expect(
      t.db.withPlatform(async (tx) => {
        await tx.insertInto('tenants').values({ id, slug: 'half-made', name: 'Half', status: 'active', created_at: now, updated_at: now }).execute();
        await openTenantScope(tx, id);
        await tx.insertInto('customers').values({ id: newId(), tenant_id: id, customer_number: 'dup', created_at: now }).execute();
        await tx.insertInto('customers').values({ id: newId(), tenant_id: id, customer_number: 'dup', created_at: now }).execute();
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const left = await t.db.withPlatform((tx) => tx.selectFrom('tenants').select('id').where('slug', '=', 'half-made').execute());
    expect(left).toHaveLength(0);
  });

  it('keep concurrent transactions of different tenants apart', async () => {
    await Promise.all(
      tenants.slice(1).flatMap((tenantId, i) =>
        Array.from({ length: 5 }, (_, j) =>
          t.db.withTenant(tenantId, async (tx) => {
            await tx.insertInto('customers').values({ id: newId(), tenant_id: tenantId, customer_number: `N-${j}`, created_at: now }).execute();
            const seen = await tx.selectFrom('customers').select('tenant_id').execute();
            // Every row this transaction can see belongs to its own tenant.
            expect(new Set(seen.map((r) => r.tenant_id))).toEqual(new Set([tenantId]));
            return i;
          }),
        ),
      ),
    );
    for (const tenantId of tenants.slice(1)) expect(await count(tenantId)).toBe(5);
  });

  it('do not carry a tenant scope over to the next transaction on a reused connection', async () => {
    for (let i = 0; i < 20; i += 1) {
      await count(tenants[1] as string);
      const leaked = await t.db.withPlatform((tx) => tx.selectFrom('customers').select('id').execute());
      expect(leaked).toHaveLength(0);
    }
  });
});
