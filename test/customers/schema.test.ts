/**
 * The customer field schema: the default one, who may read and change it, the rules a schema
 * must follow, what cannot change under stored values, optimistic concurrency, and the ledger
 * entry of every change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS } from '../../src/customers/index.js';
import { accept, bearerOf, enroll } from '../agents/helpers.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { call, customerTenant, type CustomerTenant, ledgerEntries } from './helpers.js';

let t: TestApp;
let tenant: CustomerTenant;
let supervisor: string;
let agent: string;

async function member(role: string, email: string): Promise<string> {
  const invited = await call(t, 'POST', '/v1/agents/invitations', tenant.admin, { email, role });
  expect(invited.status, invited.text).toBe(201);
  await accept(t, (invited.body.url as string).split('#')[1] ?? '', 'Test Person');
  return (await enroll(t, tenant.slug, email)).token;
}

type Field = { key: string; label: string; type: string; class: string; purpose: string; retentionDays: number; searchable?: boolean };

async function schema(): Promise<{ version: number; fields: Field[] }> {
  const res = await call(t, 'GET', '/v1/customers/schema', tenant.admin);
  expect(res.status, res.text).toBe(200);
  return res.body as { version: number; fields: Field[] };
}

async function put(fields: Field[], expectedVersion?: number) {
  return call(t, 'PUT', '/v1/customers/schema', tenant.admin, { fields, ...(expectedVersion === undefined ? {} : { expectedVersion }) });
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await customerTenant(t, 'schema-co');
  supervisor = await member('supervisor', 'sup@schema-co.example');
  agent = await member('agent', 'agent@schema-co.example');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('the default schema', () => {
  it('is created on first use, once, at version 1, and recorded in the ledger', async () => {
    const first = await call(t, 'GET', '/v1/customers/schema', supervisor);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ version: 1, fields: DEFAULT_FIELDS.map((f) => ({ ...f })) });
    expect((await schema()).version).toBe(1);
    const entries = (await ledgerEntries(t, tenant.tenantId)).filter((e) => e.action.startsWith('customer.schema'));
    expect(entries.map((e) => e.action)).toEqual(['customer.schema.default']);
    expect(entries[0]?.entry.details.fields).toBe(DEFAULT_FIELDS.map((f) => f.key).join(' '));
  });

  it('is readable by supervisors, security officers and tenant admins only, and changed by tenant admins only', async () => {
    expect((await call(t, 'GET', '/v1/customers/schema', agent)).body.code).toBe('agents.forbidden');
    expect((await call(t, 'GET', '/v1/customers/schema', tenant.writeKey)).status).toBe(401);
    const current = await schema();
    const bySupervisor = await call(t, 'PUT', '/v1/customers/schema', supervisor, { fields: current.fields });
    expect(bySupervisor.body.code).toBe('agents.forbidden');
  });
});

describe('changes', () => {
  it('adds, changes and removes fields, one ledger entry each, with the new version', async () => {
    const current = await schema();
    const fields = current.fields
      .filter((f) => f.key !== 'preferred_language')
      .map((f) => (f.key === 'address' ? { ...f, label: 'Home address', retentionDays: 3650 } : f));
    fields.push({ key: 'card', label: 'Card on file', type: 'card_token', class: 'payment', purpose: 'recurring_payments', retentionDays: 730 });
    const res = await put(fields, current.version);
    expect(res.status, res.text).toBe(200);
    expect(res.body.changes).toEqual({ added: ['card'], changed: ['address'], removed: ['preferred_language'] });
    expect(res.body.version).toBe(current.version + 1);
    expect((res.body.fields as Field[]).map((f) => f.key)).toEqual(fields.map((f) => f.key));

    const entries = (await ledgerEntries(t, tenant.tenantId)).filter((e) => e.action.startsWith('customer.schema.field'));
    expect(entries.map((e) => [e.action, e.entry.targets.field, e.entry.actor])).toEqual([
      ['customer.schema.field_change', 'address', { type: 'agent', id: tenant.adminId }],
      ['customer.schema.field_add', 'card', { type: 'agent', id: tenant.adminId }],
      ['customer.schema.field_remove', 'preferred_language', { type: 'agent', id: tenant.adminId }],
    ]);
    expect(entries[0]?.entry.details).toMatchObject({ changed: 'label retentionDays', retentionDays: 3650, schemaVersion: current.version + 1 });
    expect(entries[1]?.entry.details).toMatchObject({ type: 'card_token', class: 'payment', purpose: 'recurring_payments', searchable: false });
    // Labels are an administrator's free text: not in the ledger.
    expect(entries.map((e) => e.text).join('')).not.toContain('Home address');
  });

  it('the same schema again changes nothing: same version, no ledger entry', async () => {
    const current = await schema();
    const before = (await ledgerEntries(t, tenant.tenantId)).length;
    const res = await put(current.fields);
    expect(res.body).toMatchObject({ version: current.version, changes: { added: [], changed: [], removed: [] } });
    expect((await ledgerEntries(t, tenant.tenantId)).length).toBe(before);
  });

  it('refuses a stale expectedVersion with customers.schema_conflict', async () => {
    const current = await schema();
    const res = await put(current.fields.slice(1), current.version - 1);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'customers.schema_conflict', version: current.version });
    expect((await schema()).fields).toEqual(current.fields);
  });

  it.each<[string, (fields: Field[]) => Field[], string]>([
    ['a card_token field outside the payment class', (f) => [...f, { key: 'card2', label: 'Card', type: 'card_token', class: 'restricted', purpose: 'payments', retentionDays: 30 }], 'card_token_class'],
    ['a searchable name', (f) => [...f, { key: 'nick', label: 'Nickname', type: 'name', class: 'internal', purpose: 'contact', retentionDays: 30, searchable: true }], 'not_searchable_type'],
    ['a field for a card security code', (f) => [...f, { key: 'card_cvv', label: 'Security', type: 'number', class: 'payment', purpose: 'payments', retentionDays: 1 }], 'card_security_code'],
    ['a label naming a card security code', (f) => [...f, { key: 'extra', label: 'Código de seguridad', type: 'number', class: 'payment', purpose: 'payments', retentionDays: 1 }], 'card_security_code'],
    ['the key customer_number', (f) => [...f, { key: 'customer_number', label: 'Number', type: 'free_text', class: 'public', purpose: 'contact', retentionDays: 30 }], 'reserved_key'],
    ['a key twice', (f) => [...f, { ...(f[0] as Field) }], 'duplicate_key'],
  ])('refuses %s: 400 customers.invalid_schema', async (_what, change, reason) => {
    const current = await schema();
    const res = await put(change(current.fields));
    expect(res.status, res.text).toBe(400);
    expect(res.body).toMatchObject({ code: 'customers.invalid_schema', reason });
    expect((await schema()).version).toBe(current.version);
  });

  it('refuses malformed keys and unknown types at the door (request.invalid)', async () => {
    const current = await schema();
    for (const bad of [{ key: 'Phone' }, { key: 'x12345678' }, { type: 'iban' }, { class: 'secret' }, { retentionDays: 0 }]) {
      const res = await put([...current.fields, { key: 'ok_key', label: 'L', type: 'free_text', class: 'public', purpose: 'contact', retentionDays: 30, ...bad } as Field]);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.code).toBe('request.invalid');
    }
  });
});

describe('fields with values', () => {
  let id: string;
  beforeAll(async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: bearerOf(tenant.writeKey), payload: { customerNumber: 'S-1', fields: { phone: '+34612345678' } } });
    expect(res.statusCode, res.body).toBe(201);
    id = (JSON.parse(res.body) as { id: string }).id;
  });

  it.each<[string, (f: Field) => Field | undefined, string]>([
    ['removed', () => undefined, 'removed'],
    ['re-classed', (f) => ({ ...f, class: 'restricted' }), 'class'],
    ['re-typed', (f) => ({ ...f, type: 'document' }), 'type'],
    ['made unsearchable', (f) => ({ ...f, searchable: false }), 'searchable'],
  ])('cannot be %s (409 customers.field_in_use)', async (_what, change, what) => {
    const current = await schema();
    const fields = current.fields.flatMap((f) => (f.key === 'phone' ? [change(f)].filter((x): x is Field => x !== undefined) : [f]));
    const res = await put(fields);
    expect(res.status, res.text).toBe(409);
    expect(res.body).toMatchObject({ code: 'customers.field_in_use', field: 'phone', change: what });
    expect((await schema()).version).toBe(current.version);
  });

  it('can be relabelled, and removed once cleared; a removed field can be added again', async () => {
    let current = await schema();
    const relabelled = await put(current.fields.map((f) => (f.key === 'phone' ? { ...f, label: 'Mobile' } : f)));
    expect(relabelled.body.changes).toEqual({ added: [], changed: ['phone'], removed: [] });
    const cleared = await t.app.inject({ method: 'PATCH', url: `/v1/customers/${id}`, headers: bearerOf(tenant.writeKey), payload: { fields: { phone: null } } });
    expect(cleared.statusCode, cleared.body).toBe(200);
    current = await schema();
    const phone = current.fields.find((f) => f.key === 'phone') as Field;
    const removed = await put(current.fields.filter((f) => f.key !== 'phone'));
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.changes).toEqual({ added: [], changed: [], removed: ['phone'] });
    // A removed field takes no values.
    const write = await call(t, 'PATCH', `/v1/customers/${id}`, tenant.writeKey, { fields: { phone: '+34612345678' } });
    expect(write.body).toMatchObject({ code: 'customers.unknown_field', field: 'phone' });
    const again = await put([...(removed.body.fields as Field[]), { ...phone, class: 'restricted' }]);
    expect(again.body.changes).toEqual({ added: ['phone'], changed: [], removed: [] });
    expect((await call(t, 'PATCH', `/v1/customers/${id}`, tenant.writeKey, { fields: { phone: '+34612345678' } })).status).toBe(200);
  });

  it('a schema with no searchable phone answers a phone search with customers.not_searchable', async () => {
    const current = await schema();
    const res = await put(current.fields.map((f) => (f.key === 'email' ? { ...f, searchable: false } : f)));
    expect(res.status, res.text).toBe(200);
    const search = await call(t, 'POST', '/v1/customers/search', tenant.readKey, { email: 'a@example.com' });
    expect(search.status).toBe(400);
    expect(search.body).toMatchObject({ code: 'customers.not_searchable', fieldType: 'email' });
  });
});
