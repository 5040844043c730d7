/**
 * The document method: a number or an MRZ must be valid (check digits, dates, expiry) and match
 * the customer's document by blind index; pass or fail only, and a document with a code reaches 2.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer } from '../../src/customers/index.js';
import { documentNumberOf } from '../../src/verification/document-method.js';
import { startSmsc, type TestSmsc } from '../channels/smsc.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, expectProblem, expectStatus, person, type Reply, UNKNOWN_ID } from '../interactions/helpers.js';
import { lastSmsCode, openInteraction, verificationCenter } from './helpers.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/icao9303-mrz.json', import.meta.url), 'utf8')) as { vectors: { format: string; lines: string[]; documentNumber: string }[] };
const td3 = vectors.vectors.find((v) => v.format === 'TD3')!;
const td1 = vectors.vectors.find((v) => v.format === 'TD1')!;

let smsc: TestSmsc;
let t: TestApp;
let cc: Awaited<ReturnType<typeof verificationCenter>>;
let other: Awaited<ReturnType<typeof verificationCenter>>;
let dniCustomer: string;
let passportCustomer: string;
const answers: string[] = [];

beforeAll(async () => {
  smsc = await startSmsc({ systemId: 'custodia', password: 'smpp-pass' });
  t = await createTestApp({ env: { CUSTODIA_SMPP_URL: `smpp://custodia:smpp-pass@127.0.0.1:${smsc.port}?source=Custodia`, CUSTODIA_JOB_POLL_INTERVAL_MS: '0' } });
  cc = await verificationCenter(t, 'doccheck');
  other = await verificationCenter(t, 'otherdocs');
  expectStatus(await api(t, 'PUT', '/v1/verification/settings', { token: cc.admin.token, payload: { sendsPerHour: 50, lockout: { failures: 20, windowMinutes: 60, lockMinutes: 30 } } }), 200);
  const make = (number: string, document: string) =>
    t.ctx.db.withTenant(cc.tenantId, (tx) => createCustomer(tx, { vault: t.ctx.vault }, cc.tenantId, { customerNumber: number, fields: { full_name: 'Doc Cliente', phone: '+34633445566', document } }, { type: 'system', id: 'test' }, t.clock.now()));
  dniCustomer = (await make('D-1', '00000000-T')).id;
  passportCustomer = (await make('D-2', td3.documentNumber)).id;
}, 180_000);

afterAll(async () => {
  await t?.close();
  await smsc?.close();
});

async function call(url: string, token: string, payload: object): Promise<Reply> {
  const res = await api(t, 'POST', url, { token, payload });
  answers.push(JSON.stringify(res.body));
  return res;
}

async function session(customerId: string, targetLevel = 2): Promise<{ id: string; token: string }> {
  const ana = person(cc, 'ana');
  const interaction = await openInteraction(t, cc, customerId, { agentId: ana.agentId });
  const started = await call('/v1/verifications', ana.token, { interactionId: interaction, targetLevel });
  expectStatus(started, 201);
  return { id: String(started.body.id), token: ana.token };
}

describe('what counts as a document', () => {
  it('a valid number of the type given, on file or any; an MRZ only when valid and unexpired', () => {
    const now = new Date('2026-11-23T00:00:00Z');
    expect(documentNumberOf({ number: '00000000-T', type: 'dni' }, undefined, now)).toBe('00000000T');
    expect(documentNumberOf({ number: '00000000T' }, undefined, now)).toBe('00000000T');
    expect(documentNumberOf({ number: '00000000A', type: 'dni' }, undefined, now)).toBeUndefined();
    expect(documentNumberOf({ number: '00000000T', type: 'cpf' }, undefined, now)).toBeUndefined();
    expect(documentNumberOf({ mrz: td3.lines.join('\n') }, undefined, now)).toBeUndefined();
    expect(documentNumberOf({ mrz: td3.lines.join('\n') }, undefined, new Date('2011-01-01T00:00:00Z'))).toBe(td3.documentNumber);
    expect(documentNumberOf({ mrz: td1.lines.join('\n') }, undefined, new Date('2011-01-01T00:00:00Z'))).toBe(td1.documentNumber);
  });
});

describe('the document method', () => {
  it('passes the document on file, and with a code reaches level 2', async () => {
    const s = await session(dniCustomer);
    expectStatus(await call(`/v1/verifications/${s.id}/codes`, s.token, { method: 'otp_sms' }), 202);
    expect((await call(`/v1/verifications/${s.id}/codes/check`, s.token, { code: lastSmsCode(smsc).code })).body.passed).toBe(true);
    const res = await call(`/v1/verifications/${s.id}/document`, s.token, { number: '00000000 t', type: 'dni' });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ passed: true, status: { level: 2, state: 'verified' } });
    expect(Object.keys(res.body).sort()).toEqual(['passed', 'status']);
  });

  it('fails another valid number, a bad check digit, and the passport number typed for the DNI customer', async () => {
    const s = await session(dniCustomer);
    for (const body of [{ number: '11111111H', type: 'dni' }, { number: '00000000A', type: 'dni' }, { number: td3.documentNumber }]) {
      const res = await call(`/v1/verifications/${s.id}/document`, s.token, body);
      expect(res.body).toMatchObject({ passed: false, status: { level: 0 } });
    }
    const status = await api(t, 'GET', `/v1/verifications/${s.id}`, { token: s.token });
    expect((status.body.methods as { method: string; failures: number }[]).find((m) => m.method === 'document')?.failures).toBe(3);
  });

  it('fails an expired MRZ (the ICAO specimen expired in 2012) and passes it while it was valid', async () => {
    const s = await session(passportCustomer);
    expect((await call(`/v1/verifications/${s.id}/document`, s.token, { mrz: td3.lines.join('\n') })).body.passed).toBe(false);
    const back = new Date('2011-06-01T09:00:00Z').getTime() - t.clock.now().getTime();
    t.clock.advance(back);
    try {
      const then = await session(passportCustomer);
      const res = await call(`/v1/verifications/${then.id}/document`, then.token, { mrz: td3.lines.join('\n') });
      expect(res.body).toMatchObject({ passed: true, status: { level: 1 } });
      // A valid MRZ of another document does not match.
      const again = await session(passportCustomer);
      expect((await call(`/v1/verifications/${again.id}/document`, again.token, { mrz: td1.lines.join('\n') })).body.passed).toBe(false);
    } finally {
      t.clock.advance(-back);
    }
  });

  it('answers other tenants\' sessions like unknown ones', async () => {
    const s = await session(dniCustomer);
    const theirs = await call(`/v1/verifications/${s.id}/document`, person(other, 'ana').token, { number: '00000000T' });
    const unknown = await call(`/v1/verifications/${UNKNOWN_ID}/document`, person(other, 'ana').token, { number: '00000000T' });
    expectProblem(theirs, 404, 'verification.not_found');
    expect(unknown.body.code).toBe(theirs.body.code);
  });

  it('never puts the document in a response', () => {
    const all = answers.join('\n');
    for (const needle of ['00000000T', '00000000-T', td3.documentNumber]) expect(all).not.toContain(needle);
  });
});
