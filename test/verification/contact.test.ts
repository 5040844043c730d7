/**
 * Contact checks: email syntax, the shipped disposable list, MX lookups against a real DNS server
 * on UDP started here (node:dgram answering crafted responses), phone types, and the "contact
 * changed recently" signal from the customer's field history.
 */
import { createSocket, type Socket } from 'node:dgram';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCustomer, updateCustomerFields } from '../../src/customers/index.js';
import { checkPhone, createContactSignals, disposableDomains, isDisposableDomain, isValidEmailSyntax, MxChecker } from '../../src/verification/contact/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { contactCenter } from '../interactions/helpers.js';

let dns: Socket;
let port = 0;
const queries: string[] = [];

function qname(msg: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let i = 12;
  while (msg[i] !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += len + 1;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 5 };
}

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

/** A response to `query`: rcode, and MX answers (preference, exchange). */
function respond(query: Buffer, rcode: number, mx: [number, string][]): Buffer {
  const { end } = qname(query);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8180 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(mx.length, 6);
  const answers = mx.map(([pref, exchange]) => {
    const rdata = Buffer.concat([Buffer.from([pref >> 8, pref & 0xff]), encodeName(exchange)]);
    const rr = Buffer.alloc(10);
    rr.writeUInt16BE(15, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt32BE(300, 4);
    rr.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([Buffer.from([0xc0, 0x0c]), rr, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, end), ...answers]);
}

beforeAll(async () => {
  dns = createSocket('udp4');
  dns.on('message', (msg, rinfo) => {
    const { name, end } = qname(msg);
    const type = msg.readUInt16BE(end - 4);
    queries.push(`${name}/${type}`);
    if (name.startsWith('slow.')) return; // never answers: a timeout
    let reply: Buffer;
    if (name === 'mail.test' && type === 15) reply = respond(msg, 0, [[10, 'mx1.mail.test']]);
    else if (name === 'nomail.test') reply = respond(msg, 3, []);
    else reply = respond(msg, 0, []);
    dns.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => dns.bind(0, '127.0.0.1', () => resolve()));
  port = dns.address().port;
});

afterAll(() => {
  dns?.close();
});

describe('email', () => {
  it('accepts the practical subset and refuses the rest', () => {
    for (const ok of ['jane.doe@example.com', 'o\'brien+tag@mail.example.co.uk', 'josé@correo.es', 'a@b.io']) expect(isValidEmailSyntax(ok)).toBe(true);
    for (const bad of ['', 'plain', '@example.com', 'a@', 'a..b@example.com', '.a@example.com', 'a@example', 'a@-example.com', 'a@example.123', 'a@[192.0.2.1]', '"quoted"@example.com', `${'x'.repeat(65)}@example.com`]) {
      expect(isValidEmailSyntax(bad)).toBe(false);
    }
  });

  it('ships a list of a few hundred disposable domains, subdomains included', () => {
    expect(disposableDomains().size).toBeGreaterThan(300);
    expect(isDisposableDomain('mailinator.com')).toBe(true);
    expect(isDisposableDomain('eu.mailinator.com')).toBe(true);
    expect(isDisposableDomain('gmail.com')).toBe(false);
    expect(isDisposableDomain('notmailinator.com.example')).toBe(false);
  });

  it('looks up MX records on the configured server, caches them, and calls a timeout unknown', async () => {
    const mx = new MxChecker({ servers: [`127.0.0.1:${port}`], timeoutMs: 300, tries: 1 });
    expect(await mx.hasMx('mail.test')).toBe(true);
    expect(await mx.hasMx('nomail.test')).toBe(false);
    expect(await mx.hasMx('slow.test')).toBe('unknown');
    const before = queries.filter((q) => q.startsWith('mail.test')).length;
    expect(await mx.hasMx('MAIL.test')).toBe(true);
    expect(queries.filter((q) => q.startsWith('mail.test')).length).toBe(before);
  });
});

describe('phone', () => {
  it('tells valid numbers and their type', () => {
    expect(checkPhone('+34612345678')).toMatchObject({ valid: true, type: 'MOBILE', country: 'ES' });
    expect(checkPhone('+34912345678')).toMatchObject({ valid: true, type: 'FIXED_LINE' });
    expect(checkPhone('+34123')).toEqual({ valid: false, type: null, country: null });
  });
});

describe('contact signals', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('reports a phone changed days ago, a disposable email with its MX, and the phone type', async () => {
    const { tenantId } = await contactCenter(t, 'contactsig', { ana: 'agent' }, 0);
    const mx = new MxChecker({ servers: [`127.0.0.1:${port}`], timeoutMs: 300 });
    const signals = createContactSignals({ vault: t.ctx.vault, mx });
    const created = await t.ctx.db.withTenant(tenantId, (tx) => createCustomer(tx, { vault: t.ctx.vault }, tenantId, { customerNumber: 'C-1', fields: { full_name: 'Eva', phone: '+34612345678', email: 'eva@slow.mailinator.com' } }, { type: 'system', id: 'test' }, t.clock.now()));
    const first = await t.ctx.db.withTenant(tenantId, (tx) => signals(tx, { tenantId: tenantId, customerId: created.id, now: t.clock.now() }));
    expect(first).toEqual({ phoneChangedWithinDays: null, emailChangedWithinDays: null, emailDisposable: true, emailHasMx: 'unknown', phoneType: 'MOBILE' });
    t.clock.advance(10 * 86_400_000);
    await t.ctx.db.withTenant(tenantId, (tx) => updateCustomerFields(tx, { vault: t.ctx.vault }, tenantId, created.id, { phone: '+34912345678', email: 'eva@mail.test' }, { type: 'system', id: 'test' }, t.clock.now()));
    t.clock.advance(3 * 86_400_000);
    const read = () => t.ctx.db.withTenant(tenantId, (tx) => signals(tx, { tenantId: tenantId, customerId: created.id, now: t.clock.now() }));
    // A domain seen for the first time: no DNS wait in the transaction, 'unknown' while it is looked up...
    expect(await read()).toEqual({ phoneChangedWithinDays: 3, emailChangedWithinDays: 3, emailDisposable: false, emailHasMx: 'unknown', phoneType: 'FIXED_LINE' });
    // ...and the answer from the cache once the lookup that call started has finished (hasMx joins it).
    expect(await mx.hasMx('mail.test')).toBe(true);
    expect(await read()).toEqual({ phoneChangedWithinDays: 3, emailChangedWithinDays: 3, emailDisposable: false, emailHasMx: true, phoneType: 'FIXED_LINE' });
  });

  it('decrypts the phone only for a caller that wants its type (the risk engine does not)', async () => {
    const { tenantId } = await contactCenter(t, 'contactwant', { ana: 'agent' }, 0);
    const signals = createContactSignals({ vault: t.ctx.vault, mx: { answerNow: () => 'unknown' } });
    const created = await t.ctx.db.withTenant(tenantId, (tx) => createCustomer(tx, { vault: t.ctx.vault }, tenantId, { customerNumber: 'C-2', fields: { full_name: 'Leo', phone: '+34612345678', email: 'leo@mail.test' } }, { type: 'system', id: 'test' }, t.clock.now()));
    const query = { tenantId, customerId: created.id, now: t.clock.now() };
    const opened: string[][] = [];
    const decryptFields = t.ctx.vault.decryptFields.bind(t.ctx.vault);
    const spy = vi.spyOn(t.ctx.vault, 'decryptFields').mockImplementation((tx, tenant, fields, keys) => {
      opened.push(fields.map((f) => f.location.field));
      return decryptFields(tx, tenant, fields, keys);
    });
    try {
      const [all, risk] = await t.ctx.db.withTenant(tenantId, async (tx) => {
        const row = (await sql<{ contact: unknown }>`SELECT ${signals.select(query)} AS contact`.execute(tx)).rows[0]?.contact;
        return [await signals.fromRow(tx, row, query), await signals.fromRow(tx, row, query, { phoneType: false })];
      });
      expect(all.phoneType).toBe('MOBILE');
      expect(risk).toEqual({ ...all, phoneType: null });
      expect(opened).toHaveLength(2);
      expect(opened[0]?.sort()).toEqual(['email', 'phone']);
      expect(opened[1]).toEqual(['email']);
    } finally {
      spy.mockRestore();
    }
  });
});
