/**
 * Customer profiles over the service-account API, on the real context: values stored only as
 * vault ciphertext above the internal class, history without values, blind-index search held to
 * its tenant, another tenant's ids answering like unknown ones, card numbers tokenized, every
 * refusal with a clear code, and what the access layer gets from the record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmFields, decryptFieldValue, findCustomers, loadCustomerRecord, staleFields, type CustomerRecord } from '../../src/customers/index.js';
import { luhnValid } from '../../src/vault/card-token.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { call, customerTenant, type CustomerTenant, dumpCustomerTables, ledgerEntries } from './helpers.js';

let t: TestApp;
let acme: CustomerTenant;
let globex: CustomerTenant;

const EXTRA_FIELDS = [
  { key: 'card', label: 'Card on file', type: 'card_token', class: 'payment', purpose: 'recurring_payments', retentionDays: 730 },
  { key: 'notes', label: 'Notes', type: 'free_text', class: 'restricted', purpose: 'service_history', retentionDays: 365 },
  { key: 'balance', label: 'Balance', type: 'number', class: 'confidential', purpose: 'billing', retentionDays: 365 },
  { key: 'loyalty_level', label: 'Loyalty level', type: 'free_text', class: 'public', purpose: 'service_preferences', retentionDays: 365 },
];

async function extendSchema(tenant: CustomerTenant): Promise<void> {
  const current = await call(t, 'GET', '/v1/customers/schema', tenant.admin);
  expect(current.status, current.text).toBe(200);
  const res = await call(t, 'PUT', '/v1/customers/schema', tenant.admin, { fields: [...(current.body.fields as object[]), ...EXTRA_FIELDS] });
  expect(res.status, res.text).toBe(200);
}

async function create(tenant: CustomerTenant, customerNumber: string, fields: Record<string, unknown>, confirmed = false): Promise<string> {
  const res = await call(t, 'POST', '/v1/customers', tenant.writeKey, { customerNumber, fields, confirmed });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

async function search(tenant: CustomerTenant, query: Record<string, string>, key = tenant.readKey): Promise<string[]> {
  const res = await call(t, 'POST', '/v1/customers/search', key, query);
  expect(res.status, res.text).toBe(200);
  return res.body.ids as string[];
}

const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

const MARIA = {
  full_name: 'María José García Pérez',
  phone: '+34 612 345 678',
  email: 'Maria.Garcia@Example.COM',
  document: '12.345.678-Z',
  birth_date: '1984-02-29',
  address: { street: 'Calle Mayor', number: '5', city: 'Madrid', postalCode: '28013', country: 'es' },
  notes: 'Prefers calls after 18h; husband Joaquín handles billing',
  balance: '1234.50',
  preferred_language: 'es',
  loyalty_level: 'gold',
};
/** What the confidential and restricted values above must never be found as, anywhere. */
const SECRETS = ['María', 'Maria', 'García', 'Garcia', 'Pérez', '612345678', '612 345 678', 'maria.garcia', 'Example.COM', '12345678Z', '12.345.678', '1984-02-29', 'Calle Mayor', 'Madrid', '28013', 'after 18h', 'Joaquín', '1234.5'];

let maria: string;

beforeAll(async () => {
  t = await createTestApp();
  acme = await customerTenant(t, 'acme');
  globex = await customerTenant(t, 'globex');
  await extendSchema(acme);
  await extendSchema(globex);
  maria = await create(acme, 'ACME-0001', MARIA);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('storage', () => {
  it('keeps confidential and higher values only as vault ciphertext: no plaintext anywhere in the tables', async () => {
    const dump = await dumpCustomerTables(t, acme.tenantId);
    for (const secret of SECRETS) expect(dump, secret).not.toContain(secret);
    const rows = await t.ctx.db.withTenant(acme.tenantId, (tx) => tx.selectFrom('customer_field_values').selectAll().where('customer_id', '=', maria).orderBy('field_key').execute());
    expect(rows.map((r) => r.field_key)).toEqual(['address', 'balance', 'birth_date', 'document', 'email', 'full_name', 'loyalty_level', 'notes', 'phone', 'preferred_language']);
    for (const row of rows) {
      if (row.field_class === 'public' || row.field_class === 'internal') {
        expect(row.value_cipher, row.field_key).toBeNull();
        expect(row.value_clear, row.field_key).not.toBeNull();
      } else {
        expect(row.value_clear, row.field_key).toBeNull();
        expect(row.value_cipher, row.field_key).toMatch(/^v1\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      }
    }
    // The only clear values are the two the schema declares public or internal.
    expect(rows.filter((r) => r.value_clear !== null).map((r) => [r.field_key, r.value_clear])).toEqual([
      ['loyalty_level', 'gold'],
      ['preferred_language', 'es'],
    ]);
  });

  it('refuses, in the database itself, a clear value for a confidential field and a ciphertext-shaped lie', async () => {
    const insert = (values: { value_clear: string | null; value_cipher: string | null; field_class: 'confidential' }) =>
      t.ctx.db.withTenant(acme.tenantId, (tx) =>
        tx
          .insertInto('customer_field_values')
          .values({ tenant_id: acme.tenantId, customer_id: maria, field_key: 'email', confirmed_at: null, updated_at: new Date(), updated_by_type: 'system', updated_by: 'test', ...values })
          .onConflict((oc) => oc.columns(['tenant_id', 'customer_id', 'field_key']).doUpdateSet(values))
          .execute(),
      );
    await expect(insert({ field_class: 'confidential', value_clear: 'maria@example.com', value_cipher: null })).rejects.toThrow(/check constraint/);
    await expect(insert({ field_class: 'confidential', value_clear: null, value_cipher: 'maria@example.com' })).rejects.toThrow(/check constraint/);
    await expect(
      t.ctx.db.withTenant(acme.tenantId, (tx) => tx.updateTable('customer_field_definitions').set({ field_class: 'internal' }).where('key', '=', 'email').execute()),
    ).rejects.toThrow(/foreign key/);
  });

  it('gives the access layer the stored record without decrypting, and decrypts only the field asked for', async () => {
    const record = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, maria));
    expect(record.customerNumber).toBe('ACME-0001');
    expect(JSON.stringify(record)).not.toContain('maria.garcia');
    const email = record.fields.find((f) => f.definition.key === 'email');
    expect(email?.value).toMatchObject({ protection: 'encrypted', confirmedAt: null, updatedBy: { type: 'service', id: acme.writeKeyId } });
    const read = (key: string) => t.ctx.db.withTenant(acme.tenantId, (tx) => decryptFieldValue(tx, t.ctx.vault, record, key));
    expect(await read('email')).toBe('maria.garcia@example.com');
    expect(await read('phone')).toBe('+34612345678');
    expect(await read('document')).toBe('12345678Z');
    expect(await read('full_name')).toBe('María José García Pérez');
    expect(await read('balance')).toBe('1234.5');
    expect(await read('address')).toEqual({ street: 'Calle Mayor', number: '5', city: 'Madrid', postalCode: '28013', country: 'ES' });
    expect(await read('loyalty_level')).toBe('gold');
    expect(await read('card')).toBeNull();
    await expect(read('shoe_size')).rejects.toMatchObject({ code: 'customers.unknown_field' });
  });

  it('a ciphertext moved to another customer does not open there', async () => {
    const other = await create(acme, 'ACME-0002', { email: 'other@example.com' });
    const mariaRecord = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, maria));
    const stolen = mariaRecord.fields.find((f) => f.definition.key === 'email')?.value?.stored;
    const otherRecord = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, other));
    const forged: CustomerRecord = { ...otherRecord, fields: otherRecord.fields.map((f) => (f.definition.key === 'email' && f.value !== null ? { ...f, value: { ...f.value, stored: stolen ?? '' } } : f)) };
    await expect(t.ctx.db.withTenant(acme.tenantId, (tx) => decryptFieldValue(tx, t.ctx.vault, forged, 'email'))).rejects.toMatchObject({ code: 'vault.decrypt_failed' });
  });

  it('history says who changed which field when, and nothing about values', async () => {
    const history = await t.ctx.db.withTenant(acme.tenantId, (tx) => tx.selectFrom('customer_field_history').selectAll().where('customer_id', '=', maria).execute());
    expect(history).toHaveLength(10);
    for (const row of history) {
      // The exact columns: a column for a value (even masked) would fail here.
      expect(Object.keys(row).sort()).toEqual(['action', 'actor_id', 'actor_type', 'at', 'customer_id', 'field_key', 'id', 'tenant_id']);
      expect(row).toMatchObject({ action: 'create', actor_type: 'service', actor_id: acme.writeKeyId });
    }
    const text = JSON.stringify(history);
    for (const secret of [...SECRETS, 'gold']) expect(text).not.toContain(secret);
  });

  it('records the creation in the ledger with ids and field keys only', async () => {
    const entries = await ledgerEntries(t, acme.tenantId);
    const created = entries.find((e) => e.action === 'customer.create' && e.entry.targets.customer === maria);
    expect(created?.entry.actor).toEqual({ type: 'service', id: acme.writeKeyId });
    expect((created?.entry.details.set as string).split(' ').sort()).toEqual(Object.keys(MARIA).sort());
    for (const secret of [...SECRETS, 'ACME-0001']) expect(entries.map((e) => e.text).join('\n')).not.toContain(secret);
  });
});

describe('search', () => {
  let twin: string;
  beforeAll(async () => {
    // Same number, phone, email and document in another contact center.
    twin = await create(globex, 'ACME-0001', { phone: '+34612345678', email: 'maria.garcia@example.com', document: '12345678Z' });
    await create(acme, 'ACME-0003', { phone: '+57 300 123 4567', email: 'juan@example.co', document: 'X1234567L' });
  });

  it.each([
    ['customerNumber', 'ACME-0001'],
    ['phone', '+34 612-34-56-78'],
    ['email', 'MARIA.garcia@example.com'],
    ['document', '12345678-z'],
  ])('by %s finds the customer, in the caller’s tenant only', async (by, term) => {
    expect(await search(acme, { [by]: term })).toEqual([maria]);
    expect(await search(globex, { [by]: term })).toEqual([twin]);
  });

  it('answers an empty list when nothing matches, and refuses a malformed term with its reason', async () => {
    expect(await search(acme, { phone: '+34 699 999 999' })).toEqual([]);
    expect(await search(acme, { customerNumber: 'NOPE-1' })).toEqual([]);
    const bad = await call(t, 'POST', '/v1/customers/search', acme.readKey, { phone: 'call me maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'customers.invalid_value', field: 'phone', fieldType: 'phone', reason: 'format' });
    expect(bad.text).not.toContain('call me maybe');
    const two = await call(t, 'POST', '/v1/customers/search', acme.readKey, { phone: '+34612345678', email: 'x@example.com' });
    expect(two.status).toBe(400);
    expect(two.body.code).toBe('request.invalid');
  });

  it('needs customers:read; a write key, another scope, a session or nothing is refused', async () => {
    const q = { phone: '+34612345678' };
    expect((await call(t, 'POST', '/v1/customers/search', acme.writeKey, q)).body.code).toBe('agents.forbidden');
    expect((await call(t, 'POST', '/v1/customers/search', acme.otherKey, q)).body.code).toBe('agents.forbidden');
    expect((await call(t, 'POST', '/v1/customers/search', acme.admin, q)).status).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/v1/customers/search', payload: q })).statusCode).toBe(401);
    expect((await call(t, 'POST', '/v1/customers', acme.readKey, { customerNumber: 'X-1', fields: {} })).body.code).toBe('agents.forbidden');
  });

  it('records each search in the ledger by kind and count, never the term', async () => {
    const entries = (await ledgerEntries(t, acme.tenantId)).filter((e) => e.action === 'customer.search');
    expect(entries.length).toBeGreaterThanOrEqual(4);
    expect(entries.map((e) => e.entry.details.by)).toEqual(expect.arrayContaining(['customer_number', 'phone', 'email', 'document']));
    // Ids are random (a request id may hold "612" by chance): the scan leaves UUIDs out.
    const text = entries.map((e) => e.text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')).join('\n');
    for (const term of ['612', 'MARIA', 'garcia', '12345678', 'ACME-0001']) expect(text).not.toContain(term);
  });

  it('stops finding a cleared value (its blind index goes with it)', async () => {
    const id = await create(acme, 'ACME-0004', { phone: '+34 622 000 111' });
    expect(await search(acme, { phone: '+34622000111' })).toEqual([id]);
    const cleared = await call(t, 'PATCH', `/v1/customers/${id}`, acme.writeKey, { fields: { phone: null } });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body).toEqual({ id, set: [], cleared: ['phone'], confirmed: [] });
    expect(await search(acme, { phone: '+34622000111' })).toEqual([]);
  });
});

describe('another tenant’s ids', () => {
  it('answer exactly like unknown ids', async () => {
    const globexId = await search(globex, { customerNumber: 'ACME-0001' });
    const theirs = await call(t, 'PATCH', `/v1/customers/${globexId[0] ?? ''}`, acme.writeKey, { fields: { email: 'taken@example.com' } });
    const unknown = await call(t, 'PATCH', '/v1/customers/00000000-0000-4000-8000-000000000000', acme.writeKey, { fields: { email: 'taken@example.com' } });
    expect(theirs.status).toBe(404);
    expect(withoutRequestId(theirs.body)).toEqual(withoutRequestId(unknown.body));
    expect(theirs.body.code).toBe('customers.not_found');
    const confirm = await call(t, 'PATCH', `/v1/customers/${globexId[0] ?? ''}`, acme.writeKey, { confirm: ['email'] });
    expect(withoutRequestId(confirm.body)).toEqual(withoutRequestId(unknown.body));
    await expect(t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, globexId[0] ?? ''))).rejects.toMatchObject({ code: 'customers.not_found' });
    // Nothing changed on their side.
    const record = await t.ctx.db.withTenant(globex.tenantId, (tx) => loadCustomerRecord(tx, globex.tenantId, globexId[0] ?? ''));
    expect(await t.ctx.db.withTenant(globex.tenantId, (tx) => decryptFieldValue(tx, t.ctx.vault, record, 'email'))).toBe('maria.garcia@example.com');
  });
});

describe('card tokens', () => {
  const PAN = '4111 1111 1111 1111';
  it('a card number given for a card_token field is tokenized; only the token is stored, encrypted', async () => {
    const id = await create(acme, 'ACME-0100', { card: PAN });
    const record = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, id));
    const token = await t.ctx.db.withTenant(acme.tenantId, (tx) => decryptFieldValue(tx, t.ctx.vault, record, 'card'));
    expect(token).toMatch(/^[0-9]{16}$/);
    expect(token).not.toBe('4111111111111111');
    expect((token as string).endsWith('1111')).toBe(true);
    expect(luhnValid(token as string)).toBe(false);
    const tokens = await t.ctx.db.withTenant(acme.tenantId, (tx) => tx.selectFrom('card_tokens').select(['token', 'owner_table', 'owner_id']).where('token', '=', token as string).execute());
    // Owned by the customer: erasing the customer destroys the card number too.
    expect(tokens).toEqual([{ token, owner_table: 'customers', owner_id: id }]);
    const dump = await dumpCustomerTables(t, acme.tenantId);
    expect(dump).not.toContain('4111111111111111');
    expect(dump).not.toContain(PAN);
    // Not even the token is in clear in the values table (class payment).
    const row = await t.ctx.db.withTenant(acme.tenantId, (tx) => tx.selectFrom('customer_field_values').selectAll().where('customer_id', '=', id).where('field_key', '=', 'card').executeTakeFirstOrThrow());
    expect(row.value_clear).toBeNull();
    expect(row.value_cipher).not.toContain(token as string);
  });

  it('an invalid card number is refused without repeating its digits', async () => {
    const res = await call(t, 'POST', '/v1/customers', acme.writeKey, { customerNumber: 'ACME-0101', fields: { card: '4111 1111 1111 1112' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'customers.invalid_value', field: 'card', fieldType: 'card_token', reason: 'checksum' });
    expect(res.text).not.toMatch(/4111|1112/);
  });
});

describe('validation', () => {
  it.each<[string, unknown, string]>([
    ['full_name', 42, 'type'],
    ['full_name', '   ', 'empty'],
    ['phone', '+34 612', 'format'],
    ['email', 'maria.example.com', 'format'],
    ['document', 'AB#1234', 'format'],
    ['birth_date', '1984-02-30', 'range'],
    ['address', { street: 'Calle Luna 3' }, 'empty'],
    ['balance', '12,50', 'format'],
    ['notes', 'card 5500 0000 0000 0004 for refunds', 'card_number'],
    ['card', 'abcd', 'format'],
  ])('%s %j: 400 customers.invalid_value, reason %s, nothing written, value not repeated', async (field, value, reason) => {
    const before = await t.ctx.db.withTenant(acme.tenantId, (tx) => tx.selectFrom('customers').select('id').execute());
    const res = await call(t, 'POST', '/v1/customers', acme.writeKey, { customerNumber: 'ACME-BAD', fields: { full_name: 'Valid Name', [field]: value } });
    expect(res.status, res.text).toBe(400);
    expect(res.body).toMatchObject({ code: 'customers.invalid_value', field, reason });
    if (typeof value === 'string' && value.trim().length > 0) expect(res.text).not.toContain(value);
    const after = await t.ctx.db.withTenant(acme.tenantId, (tx) => tx.selectFrom('customers').select('id').execute());
    expect(after).toHaveLength(before.length);
  });

  it('unknown fields, bad customer numbers and taken numbers have their own codes', async () => {
    const unknown = await call(t, 'POST', '/v1/customers', acme.writeKey, { customerNumber: 'ACME-0200', fields: { shoe_size: '42' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'customers.unknown_field', field: 'shoe_size' });
    const odd = await call(t, 'POST', '/v1/customers', acme.writeKey, { customerNumber: 'ACME-0200', fields: { 'Card Number 4111111111111111': 'x' } });
    expect(odd.body.code).toBe('customers.unknown_field');
    expect(odd.text).not.toContain('4111111111111111');
    const number = await call(t, 'POST', '/v1/customers', acme.writeKey, { customerNumber: 'has space', fields: {} });
    expect(number.body.code).toBe('customers.invalid_customer_number');
    const taken = await call(t, 'POST', '/v1/customers', acme.writeKey, { customerNumber: 'ACME-0001', fields: {} });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('customers.number_taken');
    const strict = await call(t, 'POST', '/v1/customers', acme.writeKey, { customerNumber: 'ACME-0201', fields: {}, extra: true });
    expect(strict.body.code).toBe('request.invalid');
  });
});

describe('updates, confirmations and freshness', () => {
  it('a PATCH sets and clears values, confirms fields, and records history and ledger entries', async () => {
    const id = await create(acme, 'ACME-0300', { full_name: 'Ana Paz', email: 'ana@example.com', phone: '+34 633 111 222' }, true);
    let record = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, id));
    const created = t.clock.now();
    expect(record.fields.find((f) => f.definition.key === 'email')?.value?.confirmedAt).toEqual(created);

    t.clock.advance(86_400_000);
    const res = await call(t, 'PATCH', `/v1/customers/${id}`, acme.writeKey, { fields: { email: 'ana.paz@example.com', full_name: null }, confirm: ['phone'] });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id, set: ['email'], cleared: ['full_name'], confirmed: ['phone'] });
    record = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, id));
    const byKey = (key: string) => record.fields.find((f) => f.definition.key === key)?.value;
    // A changed value not confirmed by the customer loses its confirmation.
    expect(byKey('email')?.confirmedAt).toBeNull();
    expect(byKey('phone')?.confirmedAt).toEqual(t.clock.now());
    expect(byKey('full_name')).toBeNull();

    const history = await t.ctx.db.withTenant(acme.tenantId, (tx) => tx.selectFrom('customer_field_history').select(['field_key', 'action']).where('customer_id', '=', id).orderBy('at').orderBy('field_key').execute());
    expect(history.map((h) => `${h.field_key}:${h.action}`).sort()).toEqual(['email:create', 'email:update', 'full_name:clear', 'full_name:create', 'phone:confirm', 'phone:create']);
    const entries = (await ledgerEntries(t, acme.tenantId)).filter((e) => e.entry.targets.customer === id);
    expect(entries.map((e) => [e.action, e.entry.details.set ?? null, e.entry.details.cleared ?? null, e.entry.details.confirmed ?? null])).toEqual([
      ['customer.create', 'full_name phone email', null, true],
      ['customer.update', 'email', 'full_name', false],
      ['customer.confirm', null, null, 'phone'],
    ]);
    expect(entries.map((e) => e.text).join('')).not.toMatch(/ana@|ana\.paz|633/);
  });

  it('confirming a field without a value is refused, and confirms nothing', async () => {
    const id = await create(acme, 'ACME-0301', { email: 'leo@example.com' });
    const res = await call(t, 'PATCH', `/v1/customers/${id}`, acme.writeKey, { confirm: ['email', 'phone'] });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'customers.field_empty', field: 'phone' });
    const record = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, id));
    expect(record.fields.find((f) => f.definition.key === 'email')?.value?.confirmedAt).toBeNull();
  });

  it('staleFields lists values never confirmed or confirmed before the threshold', async () => {
    const id = await create(acme, 'ACME-0302', { full_name: 'Rui Costa', email: 'rui@example.com', phone: '+351 912 345 678' });
    await t.ctx.db.withTenant(acme.tenantId, (tx) => confirmFields(tx, acme.tenantId, id, ['phone', 'email'], { type: 'agent', id: acme.adminId }, t.clock.now()));
    t.clock.advance(100 * 86_400_000);
    await t.ctx.db.withTenant(acme.tenantId, (tx) => confirmFields(tx, acme.tenantId, id, ['email'], { type: 'agent', id: acme.adminId }, t.clock.now()));
    const record = await t.ctx.db.withTenant(acme.tenantId, (tx) => loadCustomerRecord(tx, acme.tenantId, id));
    const keys = (days: number) => staleFields(record, days, t.clock.now()).map((f) => f.key);
    expect(keys(90)).toEqual(['full_name', 'phone']);
    expect(keys(365)).toEqual(['full_name']);
    expect(staleFields(record, 90, t.clock.now()).find((f) => f.key === 'full_name')).toEqual({ key: 'full_name', label: 'Full name', confirmedAt: null });
    expect(() => staleFields(record, 0, t.clock.now())).toThrow(TypeError);
  });

  it('findCustomers is the same search for the access layer, in its transaction', async () => {
    const ids = await t.ctx.db.withTenant(acme.tenantId, (tx) => findCustomers(tx, { vault: t.ctx.vault }, acme.tenantId, { email: 'Maria.Garcia@example.com' }, { type: 'agent', id: acme.adminId }, t.clock.now()));
    expect(ids).toEqual([maria]);
  });
});
