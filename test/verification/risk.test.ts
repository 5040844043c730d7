/**
 * The risk engine over the real API: signals collected from the database (failures of the
 * customer and of the calling number, velocity across customers, the caller ID against the phone
 * on file by blind index, the fraud list, business hours in the tenant's time zone), the step-up
 * of each action's level, the decision in the ledger, the fraud list managed by security officers
 * only, no personal data in any answer or entry, and other tenants' ids answering like unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer } from '../../src/customers/index.js';
import { createRiskEngine } from '../../src/verification/risk/index.js';
import { bearerOf } from '../agents/helpers.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, type ContactCenter, contactCenter, expectProblem, expectStatus, person, type Reply, UNKNOWN_ID } from '../interactions/helpers.js';
import { openInteraction } from './helpers.js';

const PHONE = '+34612345678';
/** A number that is not on file: the caller ID of an impostor. */
const OTHER_NUMBER = '+34699887766';

type Center = ContactCenter & { ivrKey: string; phones: string[] };

let t: TestApp;
let cc: Center;
let other: Center;
/** Every answer an agent, the IVR or an officer received, for the personal-data scan. */
const answers: string[] = [];

async function center(slug: string): Promise<Center> {
  const base = await contactCenter(t, slug, { ana: 'agent', sec: 'security_officer' }, 0);
  const phones = [PHONE, '+34611111111', '+34622222222'];
  const customers = await t.ctx.db.withTenant(base.tenantId, async (tx) => {
    const ids: string[] = [];
    for (const [i, phone] of phones.entries()) {
      const created = await createCustomer(tx, { vault: t.ctx.vault }, base.tenantId, { customerNumber: `${slug.toUpperCase()}-${i + 1}`, fields: { full_name: `Cliente ${i + 1}`, phone } }, { type: 'system', id: 'test' }, t.clock.now());
      ids.push(created.id);
    }
    return ids;
  });
  const key = await api(t, 'POST', '/v1/service-accounts/keys', { token: base.admin.token, payload: { name: 'ivr', scopes: ['verification:write', 'interactions:write'] } });
  expectStatus(key, 201);
  return { ...base, customers, ivrKey: String(key.body.key), phones };
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token: string, payload?: object): Promise<Reply> {
  const res = await t.app.inject({ method, url, headers: bearerOf(token), ...(payload === undefined ? {} : { payload }) });
  const reply = { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Record<string, unknown>) : {}, headers: res.headers };
  answers.push(res.body);
  return reply;
}

/** A verification session of a new interaction of customer `index`, started by the IVR from `callerNumber`. */
async function session(c: Center, index: number, callerNumber?: string): Promise<{ id: string; interaction: string }> {
  const interaction = await openInteraction(t, c, c.customers[index] as string, { agentId: person(c, 'ana').agentId });
  const res = await call('POST', '/v1/verifications', c.ivrKey, { interactionId: interaction, ...(callerNumber === undefined ? {} : { callerNumber }) });
  expectStatus(res, 201);
  return { id: String(res.body.id), interaction };
}

async function requirement(c: Center, sessionId: string, action: string, token = c.ivrKey): Promise<Reply> {
  return call('GET', `/v1/verifications/${sessionId}/requirements?action=${action}`, token);
}

async function setRisk(c: Center, risk: object): Promise<void> {
  expectStatus(await call('PUT', '/v1/verification/settings', c.admin.token, { risk }), 200);
}

async function ledger(tenantId: string, prefix: string): Promise<{ action: string; raw: string; entry: { targets: Record<string, string>; details: Record<string, unknown> } }[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).where('action', 'like', `${prefix}%`).orderBy('seq').execute());
  return rows.map((r) => ({ action: r.action, raw: r.entry, entry: JSON.parse(r.entry) as { targets: Record<string, string>; details: Record<string, unknown> } }));
}

/** Failed biometric attempts in a session: the reference engine with an impostor's vector. */
async function fail(c: Center, s: { id: string; interaction: string }, customerIndex: number, times: number): Promise<void> {
  const genuine = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 1 : 0.5));
  const impostor = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? -1 : 0.5));
  const consent = await call('POST', '/v1/verification/biometrics/consents', c.ivrKey, { interactionId: s.interaction, modality: 'voice', purpose: 'caller_verification', textVersion: 'v1' });
  expectStatus(consent, 201);
  expectStatus(await call('POST', '/v1/verification/biometrics/enrollments', c.ivrKey, { interactionId: s.interaction, consentId: consent.body.id, modality: 'voice', embedding: genuine }), 201);
  for (let i = 0; i < times; i += 1) {
    const res = await call('POST', `/v1/verifications/${s.id}/biometrics`, c.ivrKey, { modality: 'voice', embedding: impostor });
    expectStatus(res, 200);
    expect(res.body.passed).toBe(false);
  }
  expect(customerIndex).toBeGreaterThanOrEqual(0);
}

beforeAll(async () => {
  t = await createTestApp({ env: { CUSTODIA_JOB_POLL_INTERVAL_MS: '0' } });
  cc = await center('risk');
  other = await center('riskother');
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('requirements of actions (step-up)', () => {
  it('a caller from the phone on file (written another way), in business hours, no history: low risk, each action its own level', async () => {
    const s = await session(cc, 0, '+34 612 34 56 78');
    const balance = await requirement(cc, s.id, 'view_balance', person(cc, 'ana').token);
    expectStatus(balance, 200);
    expect(balance.body).toEqual({
      action: 'view_balance',
      baseLevel: 1,
      requiredLevel: 1,
      currentLevel: 0,
      satisfied: false,
      risk: { score: 0, band: 'low', signals: [], explanation: 'Risk 0 of 100 (low): no risk signal.' },
    });
    expect((await requirement(cc, s.id, 'change_phone')).body).toMatchObject({ baseLevel: 2, requiredLevel: 2 });
    expect((await requirement(cc, s.id, 'export_data')).body).toMatchObject({ baseLevel: 3, requiredLevel: 3 });
    expect((await requirement(cc, s.id, 'reveal')).body).toMatchObject({ baseLevel: 1, requiredLevel: 1 });
  });

  it('another number, outside business hours in the tenant\'s time zone: elevated, one level more', async () => {
    // 09:00 UTC is 04:00 in Bogotá.
    await setRisk(cc, { businessHours: { timeZone: 'America/Bogota' } });
    try {
      const s = await session(cc, 0, OTHER_NUMBER);
      const res = await requirement(cc, s.id, 'change_phone');
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ baseLevel: 2, requiredLevel: 3, risk: { score: 30, band: 'elevated' } });
      expect((res.body.risk as { explanation: string }).explanation).toBe('Risk 30 of 100 (elevated): the calling number is not the phone on file (+20); the call is outside business hours (+10).');
      expect((await requirement(cc, s.id, 'view_balance')).body).toMatchObject({ baseLevel: 1, requiredLevel: 2 });
    } finally {
      await setRisk(cc, {});
    }
  });

  it('tenant weights and action levels apply', async () => {
    await setRisk(cc, { weights: { caller_id_mismatch: { points: 70, max: 70 } }, actions: { view_balance: 2 } });
    try {
      const s = await session(cc, 0, OTHER_NUMBER);
      expect((await requirement(cc, s.id, 'view_balance')).body).toMatchObject({ baseLevel: 2, requiredLevel: 3, risk: { score: 70, band: 'high' } });
    } finally {
      await setRisk(cc, {});
    }
  });

  it('failures of the customer and from the number, and one number trying several customers, raise the risk to high', async () => {
    const number = '+34655000111';
    const first = await session(cc, 1, number);
    await fail(cc, first, 1, 2);
    const after = await requirement(cc, first.id, 'take_payment');
    // 2 failures of the customer this hour (16) and from this number (16), and the mismatch (20).
    expect(after.body).toMatchObject({ risk: { score: 52, band: 'elevated' }, baseLevel: 2, requiredLevel: 3 });
    expect((after.body.risk as { signals: { signal: string; points: number }[] }).signals.map((x) => [x.signal, x.points])).toEqual([
      ['caller_id_mismatch', 20],
      ['customer_failures_hour', 16],
      ['caller_failures_hour', 16],
    ]);
    // The same number now calls as two other customers: velocity (2 others, 15 each).
    await session(cc, 2, number);
    const third = await session(cc, 0, number);
    const res = await requirement(cc, third.id, 'view_balance');
    // For customer 0: no failures of its own; 2 from the number (16), 3 customers (30), mismatch (20).
    expect(res.body).toMatchObject({ risk: { score: 66, band: 'high' }, baseLevel: 1, requiredLevel: 3 });
  });

  it('a chat (no calling number) has no calling-number signals', async () => {
    const s = await session(cc, 1);
    const res = await requirement(cc, s.id, 'view_balance');
    // Customer 1's own failures from the test above still count (2 this hour).
    expect(res.body).toMatchObject({ risk: { score: 16, band: 'low' }, requiredLevel: 1 });
  });

  it('the engine itself: an interaction of another tenant is not found, one without a customer is not ready, and neither leaves a ledger entry', async () => {
    const engine = createRiskEngine({ vault: t.ctx.vault });
    const foreign = await session(other, 0, PHONE);
    const unlinked = await api(t, 'POST', '/v1/interactions', { token: cc.ivrKey, payload: { channel: 'chat', direction: 'inbound' } });
    expectStatus(unlinked, 201);
    const before = (await ledger(cc.tenantId, 'verification.risk.')).length;
    const ask = (interactionId: string) =>
      t.ctx.db.withTenant(cc.tenantId, (tx) => engine.requiredLevel(tx, { tenantId: cc.tenantId, interactionId, action: 'view_balance', now: t.clock.now() }));
    await expect(ask(foreign.interaction)).rejects.toMatchObject({ code: 'interactions.not_found' });
    await expect(ask(UNKNOWN_ID)).rejects.toMatchObject({ code: 'interactions.not_found' });
    await expect(ask(String(unlinked.body.id))).rejects.toMatchObject({ code: 'verification.interaction_not_ready' });
    expect((await ledger(cc.tenantId, 'verification.risk.')).length).toBe(before);
    // The same engine answers for the tenant's own linked interaction, from the same statement.
    const own = await session(cc, 0, PHONE);
    await expect(ask(own.interaction)).resolves.toMatchObject({ action: 'view_balance', baseLevel: 1, requiredLevel: 1, risk: { band: 'low' } });
  });

  it('records each decision in the ledger: action, score, band, levels and signal names, no values', async () => {
    const s = await session(cc, 0, OTHER_NUMBER);
    expectStatus(await requirement(cc, s.id, 'change_address'), 200);
    const entries = await ledger(cc.tenantId, 'verification.risk.');
    const last = entries.at(-1);
    expect(last?.action).toBe('verification.risk.decision');
    expect(last?.entry.targets).toEqual({ interaction: s.interaction, customer: cc.customers[0] });
    expect(last?.entry.details).toEqual({ action: 'change_address', score: 20, band: 'low', baseLevel: 2, requiredLevel: 2, currentLevel: 0, signals: 'caller_id_mismatch' });
    const start = (await ledger(cc.tenantId, 'verification.start')).at(-1);
    expect(start?.entry.details).toMatchObject({ callerNumber: true });
  });

  it('refuses a calling number that is not a phone number, and an unknown action', async () => {
    const interaction = await openInteraction(t, cc, cc.customers[0] as string);
    expectProblem(await call('POST', '/v1/verifications', cc.ivrKey, { interactionId: interaction, callerNumber: 'anonymous' }), 400, 'vault.invalid_value');
    const s = await session(cc, 0);
    expect((await requirement(cc, s.id, 'launch_rockets')).status).toBe(400);
  });
});

describe('known fraud numbers', () => {
  it('security officers list a number (kept as a blind index and two digits); a caller from it is high risk', async () => {
    const sec = person(cc, 'sec').token;
    const added = await call('POST', '/v1/verification/fraud-numbers', sec, { number: '+34 600 112 233', reason: 'confirmed_fraud' });
    expectStatus(added, 201);
    expect(added.body).toMatchObject({ hint: '33', reason: 'confirmed_fraud', addedBy: person(cc, 'sec').agentId });
    // The same number written another way is the same entry.
    expectProblem(await call('POST', '/v1/verification/fraud-numbers', sec, { number: '+34-600-11-22-33', reason: 'spoofing' }), 409, 'verification.fraud_number_exists');
    const listed = await call('GET', '/v1/verification/fraud-numbers', sec);
    expect(listed.body.items).toEqual([added.body]);
    const s = await session(cc, 0, '+34600112233');
    const res = await requirement(cc, s.id, 'view_balance');
    expect(res.body).toMatchObject({ baseLevel: 1, requiredLevel: 3, risk: { score: 80, band: 'high' } });
    expect((res.body.risk as { signals: { signal: string }[] }).signals.map((x) => x.signal)).toEqual(['known_fraud_number', 'caller_id_mismatch']);
    expect((await call('DELETE', `/v1/verification/fraud-numbers/${String(added.body.id)}`, sec)).status).toBe(204);
    expect((await requirement(cc, s.id, 'view_balance')).body).toMatchObject({ risk: { score: 20, band: 'low' } });
    expectProblem(await call('DELETE', `/v1/verification/fraud-numbers/${String(added.body.id)}`, sec), 404, 'verification.fraud_number_not_found');
    const entries = await ledger(cc.tenantId, 'verification.fraud_number.');
    expect(entries.map((e) => [e.action, e.entry.targets, e.entry.details])).toEqual([
      ['verification.fraud_number.add', { fraudNumber: added.body.id }, { reason: 'confirmed_fraud' }],
      ['verification.fraud_number.remove', { fraudNumber: added.body.id }, { reason: 'confirmed_fraud' }],
    ]);
  });

  it('only security officers manage the list', async () => {
    for (const token of [person(cc, 'ana').token, cc.admin.token]) {
      expectProblem(await call('POST', '/v1/verification/fraud-numbers', token, { number: '+34600999888', reason: 'other' }), 403, 'agents.forbidden');
      expectProblem(await call('GET', '/v1/verification/fraud-numbers', token), 403, 'agents.forbidden');
      expectProblem(await call('DELETE', `/v1/verification/fraud-numbers/${UNKNOWN_ID}`, token), 403, 'agents.forbidden');
    }
    expect((await call('POST', '/v1/verification/fraud-numbers', cc.ivrKey, { number: '+34600999888', reason: 'other' })).status).toBe(401);
  });

  it("another tenant's entries are invisible, and its ids answer like unknown ones", async () => {
    const theirs = await call('POST', '/v1/verification/fraud-numbers', person(other, 'sec').token, { number: '+34600777666', reason: 'suspected_fraud' });
    expectStatus(theirs, 201);
    const sec = person(cc, 'sec').token;
    expect(((await call('GET', '/v1/verification/fraud-numbers', sec)).body.items as { id: string }[]).map((x) => x.id)).not.toContain(theirs.body.id);
    const foreign = await call('DELETE', `/v1/verification/fraud-numbers/${String(theirs.body.id)}`, sec);
    const unknown = await call('DELETE', `/v1/verification/fraud-numbers/${UNKNOWN_ID}`, sec);
    expectProblem(foreign, 404, 'verification.fraud_number_not_found');
    expect(foreign.body.detail).toBe(unknown.body.detail);
    // Their list does not make our caller a fraud number.
    const s = await session(cc, 0, '+34600777666');
    expect((await requirement(cc, s.id, 'view_balance')).body).toMatchObject({ risk: { score: 20 } });
  });
});

describe('reveals (the access policy\'s level, raised by risk)', () => {
  it('a caller from a known fraud number needs two levels more to have a field revealed; the ledger keeps the band', async () => {
    const sec = person(cc, 'sec').token;
    const ana = person(cc, 'ana').token;
    const number = '+34600445566';
    // The data-access gate wants the agent's security training on record.
    const trained = await call('POST', `/v1/agents/${person(cc, 'ana').agentId}/training`, cc.admin.token, {
      course: 'security_awareness',
      completedAt: new Date(t.clock.now().getTime() - 60_000).toISOString(),
      expiresAt: new Date(t.clock.now().getTime() + 365 * 86_400_000).toISOString(),
    });
    expectStatus(trained, 201);
    const s = await session(cc, 2, number);
    // What passing verification writes: the caller is at substantial assurance (the policy's level for confidential data).
    await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.updateTable('interactions').set({ verification_level: 2 }).where('id', '=', s.interaction).execute());
    // Not through `call`: a reveal's answer is the phone itself, which the personal-data scan below must not meet.
    const reveal = () => api(t, 'POST', `/v1/customers/${cc.customers[2] as string}/fields/phone/reveal`, { token: ana, payload: { reason: 'customer_request', interactionId: s.interaction } });
    // Low risk (only the caller ID differs from the phone on file): the policy's level is enough.
    const before = await reveal();
    expectStatus(before, 200);
    expect(before.body.value).toBe(cc.phones[2]);
    const added = await call('POST', '/v1/verification/fraud-numbers', sec, { number, reason: 'suspected_fraud' });
    expectStatus(added, 201);
    try {
      const refused = await reveal();
      expectProblem(refused, 403, 'access.verification_required');
      expect(refused.body).toMatchObject({ requiredLevel: 3, currentLevel: 2, riskBand: 'high' });
      expect(JSON.stringify(refused.body)).not.toContain('445566');
      // Verified to high assurance, the same caller may have it.
      await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.updateTable('interactions').set({ verification_level: 3 }).where('id', '=', s.interaction).execute());
      expectStatus(await reveal(), 200);
    } finally {
      expectStatus(await call('DELETE', `/v1/verification/fraud-numbers/${String(added.body.id)}`, sec), 204);
    }
    const reveals = (await ledger(cc.tenantId, 'customer.field.reveal')).slice(-2);
    expect(reveals.map((r) => r.entry.details)).toEqual([
      expect.objectContaining({ ruleId: 'agent-confidential-reveal', verificationLevel: 2, riskBand: 'low', riskScore: 20, requiredLevel: 2 }),
      expect.objectContaining({ ruleId: 'agent-confidential-reveal', verificationLevel: 3, riskBand: 'high', riskScore: 80, requiredLevel: 3 }),
    ]);
  });
});

describe('other contact centers and personal data', () => {
  it("answers another tenant's session like an unknown one", async () => {
    const theirs = await session(other, 0, PHONE);
    const foreign = await requirement(cc, theirs.id, 'view_balance');
    const unknown = await requirement(cc, UNKNOWN_ID, 'view_balance');
    expectProblem(foreign, 404, 'verification.not_found');
    expect(foreign.body.detail).toBe(unknown.body.detail);
  });

  it('no answer and no ledger entry holds a phone number, a calling number or a name', async () => {
    const entries = [...(await ledger(cc.tenantId, 'verification.')), ...(await ledger(other.tenantId, 'verification.'))];
    const everything = [...answers, ...entries.map((e) => e.raw)].join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    for (const number of [...cc.phones, OTHER_NUMBER, '+34655000111', '+34600112233', '+34600777666']) {
      expect(everything).not.toContain(number.slice(3));
      expect(everything).not.toContain(number.slice(-7));
    }
    expect(everything).not.toContain('Cliente');
  });
});
