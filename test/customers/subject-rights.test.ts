/**
 * Data-subject rights over the real API: the export (security officers only, decrypted values
 * and the access report, an escaped HTML page), erasure by crypto-shredding (typed confirmation,
 * nothing readable afterwards, ledger entries without values), and the retention purge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFieldValue, erasedCustomerNumber, loadCustomerRecord, purgeExpiredFields, startRetentionJob } from '../../src/customers/index.js';
import { pdfSafe } from '../../src/customers/subject-rights-pdf.js';
import { createLogger } from '../../src/platform/logger.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, type SignedIn } from '../agents/helpers.js';
import { apiKey, call, dumpCustomerTables, ledgerEntries } from './helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SCRIPT = '<script>alert("x")</script>';
const PAN = '4111111111111111';
const PLAIN = {
  full_name: 'Lucía Fernández Ortega',
  phone: '+34612345678',
  email: 'lucia.fernandez@example.es',
  document: '12345678Z',
  preferred_language: SCRIPT,
};

let t: TestApp;
const slug = 'rights';
let tenantId: string;
let admin: SignedIn;
let officer: SignedIn;
let supervisor: SignedIn;
let writeKey: string;
let customerId: string;
let otherTenantCustomerId: string;

async function member(email: string, role: string): Promise<SignedIn> {
  const invited = await call(t, 'POST', '/v1/agents/invitations', admin.token, { email, role });
  expect(invited.status, invited.text).toBe(201);
  const url = String(invited.body.url);
  await accept(t, url.slice(url.indexOf('#') + 1), `Person ${role}`);
  return enroll(t, slug, email);
}

async function createCustomer(key: string, customerNumber: string, fields: Record<string, unknown>): Promise<string> {
  const res = await call(t, 'POST', '/v1/customers', key, { customerNumber, fields });
  expect(res.status, res.text).toBe(201);
  return String(res.body.id);
}

const exportOf = (token: string, id: string, format = 'json') => t.app.inject({ method: 'GET', url: `/v1/customers/${id}/export?format=${format}`, headers: bearerOf(token) });
const erase = (token: string, id: string, confirmCustomerNumber: string) => call(t, 'POST', `/v1/customers/${id}/erase`, token, { confirmCustomerNumber });

beforeAll(async () => {
  t = await createTestApp();
  const created = await createTenant(t, slug, `admin@${slug}.example`);
  tenantId = created.tenantId;
  await accept(t, created.invitation, 'Marta Admin');
  admin = await enroll(t, slug, `admin@${slug}.example`);
  officer = await member(`officer@${slug}.example`, 'security_officer');
  supervisor = await member(`sup@${slug}.example`, 'supervisor');
  writeKey = (await apiKey(t, admin.token, ['customers:write'])).key;

  const schema = await call(t, 'GET', '/v1/customers/schema', admin.token);
  expect(schema.status, schema.text).toBe(200);
  const fields = [
    ...(schema.body.fields as Record<string, unknown>[]),
    { key: 'card', label: 'Card on file', type: 'card_token', class: 'payment', purpose: 'billing', retentionDays: 365, searchable: false },
    { key: 'call_note', label: 'Call note', type: 'free_text', class: 'confidential', purpose: 'service_quality', retentionDays: 1, searchable: false },
  ];
  const replaced = await call(t, 'PUT', '/v1/customers/schema', admin.token, { fields });
  expect(replaced.status, replaced.text).toBe(200);

  customerId = await createCustomer(writeKey, 'C-1001', { ...PLAIN, card: PAN, address: { street: 'Calle Mayor', number: '5', city: 'Madrid', country: 'ES' } });

  const other = await createTenant(t, 'rights-other', 'admin@rights-other.example');
  await accept(t, other.invitation, 'Otto Admin');
  const otherAdmin = await enroll(t, 'rights-other', 'admin@rights-other.example');
  const otherKey = (await apiKey(t, otherAdmin.token, ['customers:write'])).key;
  otherTenantCustomerId = await createCustomer(otherKey, 'C-9999', { full_name: 'Otra Persona' });
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('export', () => {
  it('is for security officers only', async () => {
    for (const token of [admin.token, supervisor.token]) {
      const res = await exportOf(token, customerId);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.body).not.toContain(PLAIN.email);
    }
    expect((await t.app.inject({ method: 'GET', url: `/v1/customers/${customerId}/export` })).statusCode).toBe(401);
  });

  it('gives every field decrypted, a card as its token, and the access report', async () => {
    // The report lists sequenced entries (the sequencer runs in the background in a server).
    await t.ctx.ledger.sequenceAll(tenantId);
    const res = await exportOf(officer.token, customerId);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="customer-export-[0-9a-f-]{36}\.json"$/);
    const body = JSON.parse(res.body) as { customerNumber: string; erased: boolean; createdAt: string; fields: Record<string, unknown>[]; accessReport: { customer: string; rows: { action: string }[] } };
    expect(body.customerNumber).toBe('C-1001');
    expect(body.erased).toBe(false);
    expect(body.createdAt).toBe(t.clock.now().toISOString());
    const byKey = new Map(body.fields.map((f) => [f.key, f]));
    expect(byKey.get('full_name')).toMatchObject({ label: 'Full name', type: 'name', class: 'confidential', purpose: 'identification', retentionDays: 1825, value: PLAIN.full_name, confirmedAt: null });
    expect(byKey.get('email')?.value).toBe(PLAIN.email);
    expect(byKey.get('document')?.value).toBe(PLAIN.document);
    expect(byKey.get('preferred_language')?.value).toBe(SCRIPT);
    expect(byKey.get('address')?.value).toMatchObject({ city: 'Madrid', street: 'Calle Mayor' });
    expect(byKey.get('birth_date')).toMatchObject({ value: null, updatedAt: null });
    const card = String(byKey.get('card')?.value);
    expect(card).toMatch(/^\d{16}$/);
    expect(card).not.toBe(PAN);
    expect(card.endsWith('1111')).toBe(true);
    expect(res.body).not.toContain(PAN);
    expect(body.accessReport.customer).toBe(customerId);
    expect(body.accessReport.rows.map((r) => r.action)).toContain('customer.create');
  });

  it('escapes everything in the HTML page and sends it as a locked-down attachment', async () => {
    await t.ctx.ledger.sequenceAll(tenantId);
    const res = await exportOf(officer.token, customerId, 'html');
    expect(res.statusCode, res.body).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
    expect(String(res.headers['content-security-policy'])).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="customer-export-[0-9a-f-]{36}\.html"$/);
    expect(res.body).not.toContain('<script');
    expect(res.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(res.body).toContain(PLAIN.full_name);
    expect(res.body).toContain('exported your data');
    expect(res.body).not.toContain(PAN);
  });

  it('gives the same content as a PDF document, with accents kept and other characters shown as "?"', async () => {
    await t.ctx.ledger.sequenceAll(tenantId);
    const res = await t.app.inject({ method: 'GET', url: `/v1/customers/${customerId}/export?format=pdf`, headers: bearerOf(officer.token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="customer-export-[0-9a-f-]{36}\.pdf"$/);
    const raw = res.rawPayload;
    expect(raw.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(raw.subarray(-6).toString('latin1')).toMatch(/%%EOF\s*$/);
    // The text the document shows: pdfkit writes the standard fonts' strings as hex (WinAnsi codes).
    const shown = [...raw.toString('latin1').matchAll(/<([0-9a-f]+)>/gi)].map((m) => Buffer.from(m[1] as string, 'hex').toString('latin1')).join('');
    expect(shown).toContain('Fern\u00e1ndez');
    expect(shown).toContain(PLAIN.email);
    expect(shown).toContain('created your record');
    expect(shown).toContain(SCRIPT);
    expect(shown).not.toContain(PAN);
    expect(raw.toString('latin1')).not.toMatch(/\/(JavaScript|JS|OpenAction|Launch|URI)\b/);
    // What the standard fonts cannot show becomes "?" (never dropped); control characters spaces.
    expect(pdfSafe('Zo\u00eb \u738b \u20ac\u0007x\nok')).toBe('Zo\u00eb ? \u20ac x\nok');
  });

  it('answers another tenant\'s customer exactly like an unknown one', async () => {
    const foreign = await exportOf(officer.token, otherTenantCustomerId);
    const unknown = await exportOf(officer.token, '0b7e6a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    const strip = (body: string) => ({ ...(JSON.parse(body) as Record<string, unknown>), instance: undefined, requestId: undefined });
    expect(strip(foreign.body)).toEqual(strip(unknown.body));
    expect(JSON.parse(foreign.body)).toMatchObject({ code: 'customers.not_found' });
    expect(foreign.body).not.toContain('Otra');
  });

  it('is recorded in the ledger with ids only', async () => {
    const entries = (await ledgerEntries(t, tenantId)).filter((e) => e.action === 'customer.export');
    expect(entries.length).toBe(3); // JSON, HTML and PDF
    for (const e of entries) {
      expect(e.entry.targets).toEqual({ customer: customerId });
      expect(e.entry.actor).toEqual({ type: 'agent', id: officer.agentId });
      for (const value of [...Object.values(PLAIN), 'Madrid', 'C-1001']) expect(e.text).not.toContain(value);
    }
  });
});

describe('erasure', () => {
  let erasedId: string;
  let cipherBefore: string;

  beforeAll(async () => {
    erasedId = await createCustomer(writeKey, 'C-2002', { full_name: 'Borrar Persona', email: 'borrar@example.es', phone: '+34699887766', preferred_language: 'ca-ES', card: '5555555555554444' });
    const row = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('customer_field_values').select('value_cipher').where('customer_id', '=', erasedId).where('field_key', '=', 'email').executeTakeFirstOrThrow());
    cipherBefore = String(row.value_cipher);
  });

  it('is for security officers only, and needs the customer number typed', async () => {
    const denied = await erase(admin.token, erasedId, 'C-2002');
    expect(denied.status, denied.text).toBe(403);
    const wrong = await erase(officer.token, erasedId, 'C-2003');
    expect(wrong.status, wrong.text).toBe(400);
    expect(wrong.body).toMatchObject({ code: 'customers.erase_confirmation_mismatch' });
    expect(wrong.text).not.toContain('C-2002');
    const foreign = await erase(officer.token, otherTenantCustomerId, 'C-9999');
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: 'customers.not_found' });
    // Nothing happened: the values still open.
    const record = await t.ctx.db.withTenant(tenantId, (tx) => loadCustomerRecord(tx, tenantId, erasedId));
    expect(await t.ctx.db.withTenant(tenantId, (tx) => decryptFieldValue(tx, t.ctx.vault, record, 'email'))).toBe('borrar@example.es');
  });

  it('shreds the data key, deletes the values, and leaves a tombstone without the number', async () => {
    const res = await erase(officer.token, erasedId, 'C-2002');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: erasedId, erased: true, values: 5, dataKey: true, blindIndexes: 2, cardTokens: 1 });

    const again = await erase(officer.token, erasedId, `erased:${erasedId}`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'customers.already_erased' });

    // The old ciphertext no longer opens: its data key is gone.
    await expect(t.ctx.db.withTenant(tenantId, (tx) => t.ctx.vault.decryptField(tx, tenantId, { table: 'customer_field_values', recordId: erasedId, field: 'email' }, cipherBefore))).rejects.toMatchObject({
      code: 'vault.key_shredded',
    });
    const record = await t.ctx.db.withTenant(tenantId, (tx) => loadCustomerRecord(tx, tenantId, erasedId));
    expect(record.customerNumber).toBe(`erased:${erasedId}`);
    expect(record.fields.every((f) => f.value === null)).toBe(true);

    const dump = await dumpCustomerTables(t, tenantId);
    for (const value of ['Borrar', 'borrar@example.es', '699887766', 'C-2002', '5555555555554444', cipherBefore]) expect(dump).not.toContain(value);
    // The other customer is untouched.
    expect(dump).toContain('C-1001');
  });

  it('leaves nothing to export', async () => {
    const res = await exportOf(officer.token, erasedId);
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(res.body) as { customerNumber: string; erased: boolean; fields: { value: unknown }[] };
    expect(body.erased).toBe(true);
    expect(body.customerNumber).toBe(`erased:${erasedId}`);
    expect(body.fields.every((f) => f.value === null)).toBe(true);
    // Ids are random UUIDs: one may hold "4444" by chance, so they are left out of the scan.
    const scanned = res.body.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>');
    for (const value of ['Borrar', 'borrar@example.es', '699887766', 'C-2002', 'ca-ES', '4444']) expect(scanned).not.toContain(value);
    const html = await exportOf(officer.token, erasedId, 'html');
    expect(html.body).toContain('Your data was erased');
    expect(html.body).not.toContain('Borrar');
  });

  it('is recorded in the ledger with counts and field keys, no values', async () => {
    const entries = await ledgerEntries(t, tenantId);
    const erased = entries.filter((e) => e.action === 'customer.erase');
    expect(erased).toHaveLength(1);
    expect(erased[0]?.entry.targets).toEqual({ customer: erasedId });
    expect(erased[0]?.entry.details).toMatchObject({ values: 5, dataKey: true, blindIndexes: 2, cardTokens: 1, cleared: 'card email full_name phone preferred_language' });
    for (const value of ['Borrar', 'borrar@example.es', '699887766', 'C-2002', 'ca-ES']) expect(erased[0]?.text).not.toContain(value);
    // A refused erasure rolled back: no entry for it, and the history has one clear row per value.
    const history = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('customer_field_history').select(['field_key', 'action']).where('customer_id', '=', erasedId).where('action', '=', 'clear').execute());
    expect(history.map((h) => h.field_key).sort()).toEqual(['card', 'email', 'full_name', 'phone', 'preferred_language']);
  });
});

describe('retention purge', () => {
  it('removes only values older than their field allows, and records one entry per field', async () => {
    const start = t.clock.now();
    const early = await createCustomer(writeKey, 'C-3001', { full_name: 'Temprana Persona', call_note: 'called about invoice 17', email: 'temprana@example.es' });
    t.clock.advance(12 * HOUR);
    const late = await createCustomer(writeKey, 'C-3002', { full_name: 'Tardía Persona', call_note: 'asked for a callback' });

    const purge = (at: Date) => t.ctx.db.withTenant(tenantId, (tx) => purgeExpiredFields(tx, t.ctx.vault, tenantId, at));
    // One millisecond before a day has passed: nothing.
    expect(await purge(new Date(start.getTime() + DAY - 1))).toEqual({ fields: [], total: 0, erasedCustomers: 0 });

    const result = await purge(new Date(start.getTime() + DAY));
    expect(result).toEqual({ fields: [{ key: 'call_note', purged: 1 }], total: 1, erasedCustomers: 0 });
    const remaining = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('customer_field_values').select(['customer_id', 'field_key']).where('customer_id', 'in', [early, late]).execute());
    const keysOf = (id: string) => remaining.filter((r) => r.customer_id === id).map((r) => r.field_key).sort();
    expect(keysOf(early)).toEqual(['email', 'full_name']);
    expect(keysOf(late)).toEqual(['call_note', 'full_name']);

    // Another half day: the later note goes too; values with a 1825-day retention stay.
    const second = await purge(new Date(start.getTime() + DAY + 12 * HOUR));
    expect(second.total).toBe(1);

    const entries = (await ledgerEntries(t, tenantId)).filter((e) => e.action === 'customer.retention_purge');
    expect(entries).toHaveLength(2);
    expect(entries[0]?.entry).toMatchObject({ actor: { type: 'system', id: 'retention' }, targets: { field: 'call_note' }, details: { purged: 1, retentionDays: 1 } });
    for (const e of entries) expect(e.text).not.toMatch(/invoice|callback|Persona/);

    // A value purged from a card field takes the card token (and its encrypted PAN) with it.
    const cards = async () => t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('card_tokens').select('id').where('owner_id', '=', customerId).execute());
    expect(await cards()).toHaveLength(1);
    const purgedCards = await purge(new Date(start.getTime() + 366 * DAY));
    expect(purgedCards.fields.find((f) => f.key === 'card')).toEqual({ key: 'card', purged: 1 });
    expect(await cards()).toHaveLength(0);
  });
});

describe('retention job', () => {
  it('purges every tenant on each run, and erases the records a purge leaves empty (not those created empty)', async () => {
    const job = startRetentionJob({ db: t.ctx.db, vault: t.ctx.vault, clock: t.clock, logger: createLogger('silent'), intervalMs: 3_600_000 });
    try {
      const onlyNote = await createCustomer(writeKey, 'C-4001', { call_note: 'left a voicemail' });
      const noValues = await createCustomer(writeKey, 'C-4002', {});
      const kept = await createCustomer(writeKey, 'C-4003', { full_name: 'Sigue Aquí', call_note: 'wants paper bills' });
      // Nothing has expired yet: the run goes over the tenants and changes nothing.
      const quiet = await job.runOnce();
      expect(quiet.failed).toBe(0);
      expect(quiet.tenants).toBeGreaterThanOrEqual(2);

      t.clock.advance(DAY + 1);
      const run = await job.runOnce();
      expect(run).toMatchObject({ failed: 0, erasedCustomers: 1 });
      expect(run.values).toBeGreaterThanOrEqual(2);

      const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('customers').select(['id', 'customer_number']).where('id', 'in', [onlyNote, noValues, kept]).execute());
      const numberOf = (id: string) => rows.find((r) => r.id === id)?.customer_number;
      expect(numberOf(onlyNote)).toBe(erasedCustomerNumber(onlyNote));
      expect(numberOf(noValues)).toBe('C-4002');
      expect(numberOf(kept)).toBe('C-4003');
      // The emptied record was crypto-shredded, by the retention actor, with no value in the ledger.
      const erasures = (await ledgerEntries(t, tenantId)).filter((e) => e.action === 'customer.erase' && e.entry.targets.customer === onlyNote);
      expect(erasures).toHaveLength(1);
      expect(erasures[0]?.entry.actor).toEqual({ type: 'system', id: 'retention' });
      expect(erasures[0]?.text).not.toContain('voicemail');
      const keys = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('data_keys').select('id').where('owner_id', '=', onlyNote).execute());
      expect(keys).toHaveLength(0);

      // Runs are idempotent: nothing left to purge or erase.
      expect(await job.runOnce()).toMatchObject({ values: 0, erasedCustomers: 0, failed: 0 });
    } finally {
      await job.stop();
    }
  });
});
