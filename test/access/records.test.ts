/**
 * Least-privilege access to customer records over the real API: no interaction, no record;
 * masked by default; just-in-time reveals with reasons, verification and expiry; the record
 * closing with its interaction; card data never revealable; break-glass with its alert and
 * review; policies as versioned data; explain. The clock is fixed and moved by the tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, signIn, type SignedIn } from '../agents/helpers.js';

const MINUTE = 60_000;
const PLAIN = {
  full_name: 'Lucía Fernández Ortega',
  phone: '+34 612 345 678',
  email: 'lucia.fernandez@example.es',
  document: '12345678Z',
  preferred_language: 'es-ES',
  card: '4111 1111 1111 1111',
};

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

type Body = Record<string, unknown>;
interface Reply {
  readonly status: number;
  readonly body: Body;
  readonly text: string;
}

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, options: { token?: string; payload?: object } = {}): Promise<Reply> {
  const res = await t.app.inject({ method, url, headers: options.token === undefined ? {} : bearerOf(options.token), ...(options.payload === undefined ? {} : { payload: options.payload }) });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Body) : {}, text: res.body };
}

function expectStatus(res: Reply, status: number): void {
  expect(res.status, res.text).toBe(status);
}

function expectProblem(res: Reply, status: number, code: string, extra: Body = {}): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ code, ...extra });
}

/** No seeded plaintext anywhere in an answer (digits compared without separators). */
function expectNoPlaintext(res: Reply, except: readonly (keyof typeof PLAIN)[] = []): void {
  const flat = res.text.replace(/[\s-]/g, '');
  for (const [key, value] of Object.entries(PLAIN)) {
    if (except.includes(key as keyof typeof PLAIN)) continue;
    expect(res.text, key).not.toContain(value);
    if (/\d{6,}/.test(value.replace(/\s/g, ''))) expect(flat, key).not.toContain(value.replace(/\s/g, ''));
  }
}

const slug = 'access';
let tenantId: string;
let admin: SignedIn;
let agent: SignedIn;
let supervisor: SignedIn;
let officer: SignedIn;
let serviceKey: string;
let customerId: string;
let otherCustomerId: string;

async function member(email: string, role: string): Promise<SignedIn> {
  const invited = await api('POST', '/v1/agents/invitations', { token: admin.token, payload: { email, role } });
  expectStatus(invited, 201);
  const url = String(invited.body.url);
  await accept(t, url.slice(url.indexOf('#') + 1), `Person ${role}`);
  const person = await enroll(t, slug, email);
  const trained = await api('POST', `/v1/agents/${person.agentId}/training`, {
    token: admin.token,
    payload: { course: 'security_awareness', completedAt: new Date(t.clock.now().getTime() - MINUTE).toISOString(), expiresAt: '2027-11-01T00:00:00.000Z' },
  });
  expectStatus(trained, 201);
  return person;
}

async function interaction(payload: Body): Promise<string> {
  const res = await api('POST', '/v1/interactions', { token: serviceKey, payload: { channel: 'call', direction: 'inbound', ...payload } });
  expectStatus(res, 201);
  return String(res.body.id);
}

async function setVerificationLevel(interactionId: string, level: number): Promise<void> {
  // What caller verification (issue 7) will write; no endpoint sets it yet.
  await t.ctx.db.withTenant(tenantId, (tx) => tx.updateTable('interactions').set({ verification_level: level }).where('id', '=', interactionId).execute());
}

const openRecord = (token: string, id = customerId) => api('GET', `/v1/customers/${id}/record`, { token });
const reveal = (token: string, key: string, payload: Body, id = customerId) => api('POST', `/v1/customers/${id}/fields/${key}/reveal`, { token, payload });

function field(res: Reply, key: string): Body | undefined {
  return (res.body.fields as Body[]).find((f) => f.key === key);
}

beforeAll(async () => {
  const created = await createTenant(t, slug, `admin@${slug}.example`);
  tenantId = created.tenantId;
  await accept(t, created.invitation, 'Marta Admin');
  admin = await enroll(t, slug, `admin@${slug}.example`);
  agent = await member(`agent@${slug}.example`, 'agent');
  supervisor = await member(`sup@${slug}.example`, 'supervisor');
  officer = await member(`officer@${slug}.example`, 'security_officer');

  const key = await api('POST', '/v1/service-accounts/keys', { token: admin.token, payload: { name: 'telephony', scopes: ['customers:write', 'interactions:write'] } });
  expectStatus(key, 201);
  serviceKey = String(key.body.key);

  const schema = await api('GET', '/v1/customers/schema', { token: admin.token });
  expectStatus(schema, 200);
  const fields = [...(schema.body.fields as Body[]), { key: 'card', label: 'Card on file', type: 'card_token', class: 'payment', purpose: 'billing', retentionDays: 365, searchable: false }];
  expectStatus(await api('PUT', '/v1/customers/schema', { token: admin.token, payload: { fields } }), 200);

  const customer = await api('POST', '/v1/customers', { token: serviceKey, payload: { customerNumber: 'C-1001', fields: PLAIN } });
  expectStatus(customer, 201);
  customerId = String(customer.body.id);
  const other = await api('POST', '/v1/customers', { token: serviceKey, payload: { customerNumber: 'C-1002', fields: { full_name: 'Otro Cliente' } } });
  expectStatus(other, 201);
  otherCustomerId = String(other.body.id);
}, 120_000);

describe('no interaction, no record', () => {
  it('refuses with one answer for no interaction, an unknown customer and another tenant’s customer', async () => {
    const none = await openRecord(agent.token);
    expectProblem(none, 403, 'access.no_interaction');
    const unknown = await openRecord(agent.token, '00000000-0000-4000-8000-000000000000');
    expectProblem(unknown, 403, 'access.no_interaction');
    expect(unknown.body.title).toBe(none.body.title);
    expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(none.body).sort());
    expectNoPlaintext(none);
  });
});

describe('interactions an agent makes for themselves', () => {
  // Attack: an agent creating (or relinking) their own interaction to open any customer's record.
  it('open nothing: only the platform’s links, or a supervisor’s for someone else, open a record', async () => {
    const own = await api('POST', '/v1/interactions', { token: agent.token, payload: { channel: 'call', direction: 'outbound', state: 'active', customerId, purpose: 'fraud' } });
    expectStatus(own, 201);
    expect(own.body.customerLinkTrusted).toBe(false);
    expectProblem(await openRecord(agent.token), 403, 'access.no_interaction');
    expectProblem(await api('GET', `/v1/customers/${customerId}/record?interactionId=${String(own.body.id)}`, { token: agent.token }), 403, 'access.no_interaction');
    // A supervisor creating one for themselves gets nothing either (break-glass is their way, and it is loud).
    const mine = await api('POST', '/v1/interactions', { token: supervisor.token, payload: { channel: 'call', direction: 'outbound', state: 'active', customerId } });
    expectStatus(mine, 201);
    expect(mine.body.customerLinkTrusted).toBe(false);
    expectProblem(await openRecord(supervisor.token), 403, 'access.no_interaction');
    // A supervisor's link for the agent does open it.
    const given = await api('POST', '/v1/interactions', { token: supervisor.token, payload: { channel: 'call', direction: 'outbound', state: 'active', customerId, assignedAgentId: agent.agentId } });
    expectStatus(given, 201);
    expect(given.body.customerLinkTrusted).toBe(true);
    expectStatus(await openRecord(agent.token), 200);
    // The agent relinking it to another customer: that link opens nothing.
    expectStatus(await api('POST', `/v1/interactions/${String(given.body.id)}/customer`, { token: agent.token, payload: { customerId: otherCustomerId } }), 200);
    expectProblem(await openRecord(agent.token, otherCustomerId), 403, 'access.no_interaction');
    for (const id of [own.body.id, mine.body.id, given.body.id]) {
      expectStatus(await api('POST', `/v1/interactions/${String(id)}/state`, { token: serviceKey, payload: { state: 'closed' } }), 200);
    }
  });
});

describe('through an interaction', () => {
  let interactionId: string;

  beforeAll(async () => {
    interactionId = await interaction({ state: 'active', assignedAgentId: agent.agentId, customerId, purpose: 'service' });
  });

  it('opens the record masked: no plaintext in the answer, restricted fields left out, card masked', async () => {
    const res = await openRecord(agent.token);
    expectStatus(res, 200);
    expectNoPlaintext(res);
    expect(res.body.grant).toMatchObject({ kind: 'interaction', interactionId, verificationLevel: 0 });
    // Restricted (document, birth date): not even named for an agent.
    expect(field(res, 'document')).toBeUndefined();
    expect(field(res, 'email')).toMatchObject({ shown: 'masked', class: 'confidential', reveal: { available: false, verificationLevel: 2 } });
    expect(String(field(res, 'email')?.value)).toMatch(/\*/);
    expect(field(res, 'card')).toMatchObject({ shown: 'masked', class: 'payment', reveal: null });
    expect(String(field(res, 'card')?.value)).toContain('1111');
    // Every value was just given by the service, unconfirmed: the agent should confirm them.
    expect((res.body.confirm as Body[]).map((c) => c.key)).toContain('email');
    // Through the interaction the agent works in (what the console sends), and not through another.
    expectStatus(await api('GET', `/v1/customers/${customerId}/record?interactionId=${interactionId}`, { token: agent.token }), 200);
    expectProblem(await api('GET', `/v1/customers/${customerId}/record?interactionId=${otherCustomerId}`, { token: agent.token }), 403, 'access.no_interaction');
    // Another customer of the same tenant is not reachable through this interaction.
    expectProblem(await openRecord(agent.token, otherCustomerId), 403, 'access.no_interaction');
    // Nor is this record through someone else's interaction.
    expectProblem(await openRecord(supervisor.token), 403, 'access.no_interaction');
  });

  it('reveals one field with a reason once the caller is verified; the reveal expires', async () => {
    expectProblem(await reveal(agent.token, 'email', { reason: 'customer_request' }), 403, 'access.verification_required', { requiredLevel: 2, currentLevel: 0 });
    await setVerificationLevel(interactionId, 2);
    expectProblem(await reveal(agent.token, 'email', { reason: 'other' }), 400, 'access.reason_required');
    expectProblem(await reveal(agent.token, 'email', { reason: 'other', text: 'short' }), 400, 'access.reason_required');
    expectProblem(await reveal(agent.token, 'email', { reason: 'nonsense' }), 400, 'request.invalid');
    const shown = await reveal(agent.token, 'email', { reason: 'customer_request' });
    expectStatus(shown, 200);
    expect(shown.body.value).toBe(PLAIN.email);
    const opened = await openRecord(agent.token);
    expect(field(opened, 'email')).toMatchObject({ shown: 'revealed', value: PLAIN.email });
    expectNoPlaintext(opened, ['email']);
    // Five minutes later the reveal is over.
    t.clock.advance(5 * MINUTE + 1_000);
    expect(field(await openRecord(agent.token), 'email')).toMatchObject({ shown: 'masked' });
  });

  it('never reveals card data, whatever the verification level', async () => {
    await setVerificationLevel(interactionId, 3);
    expectProblem(await reveal(agent.token, 'card', { reason: 'billing_dispute' }), 403, 'access.not_revealable');
    // Restricted fields are hidden from agents: not even revealable.
    expectProblem(await reveal(agent.token, 'document', { reason: 'identity_check' }), 404, 'access.field_not_found');
  });

  it('records opens and reveals in the ledger with the reason, never a value', async () => {
    await t.ctx.ledger.sequenceAll(tenantId);
    const entries = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).orderBy('seq').execute());
    const reveals = entries.filter((e) => e.action === 'customer.field.reveal').map((e) => JSON.parse(e.entry) as Body);
    expect(reveals).toHaveLength(1);
    expect(reveals[0]).toMatchObject({ purpose: 'customer_request', targets: { customer: customerId, field: 'email', interaction: interactionId } });
    expect(entries.filter((e) => e.action === 'customer.record.open').length).toBeGreaterThanOrEqual(3);
    const text = entries.map((e) => e.entry).join('\n');
    for (const value of Object.values(PLAIN)) expect(text).not.toContain(value);
  });

  it('closes by itself: masked only in wrap-up, and nothing once the wrap-up window or the interaction ended', async () => {
    expectStatus(await api('POST', `/v1/interactions/${interactionId}/state`, { token: serviceKey, payload: { state: 'wrap_up' } }), 200);
    const wrapUp = await openRecord(agent.token);
    expectStatus(wrapUp, 200);
    expect(field(wrapUp, 'email')).toMatchObject({ shown: 'masked' });
    expectProblem(await reveal(agent.token, 'email', { reason: 'customer_request' }), 403, 'access.not_revealable');
    t.clock.advance(10 * MINUTE + 1_000);
    expectProblem(await openRecord(agent.token), 403, 'access.no_interaction');
    expectStatus(await api('POST', `/v1/interactions/${interactionId}/state`, { token: serviceKey, payload: { state: 'closed' } }), 200);
    expectProblem(await openRecord(agent.token), 403, 'access.no_interaction');
  });
});

describe('break-glass', () => {
  it('opens a time-limited grant with a justification, alerts at once, and waits for another officer’s review', async () => {
    supervisor = { ...supervisor, token: await signIn(t, slug, supervisor.email, supervisor.secret) };
    officer = { ...officer, token: await signIn(t, slug, officer.email, officer.secret) };
    admin = { ...admin, token: await signIn(t, slug, admin.email, admin.secret) };
    expectProblem(await openRecord(supervisor.token), 403, 'access.no_interaction');
    expectProblem(await api('POST', '/v1/access/break-glass', { token: supervisor.token, payload: { customerId, justification: 'short' } }), 400, 'request.invalid');
    const opened = await api('POST', '/v1/access/break-glass', { token: supervisor.token, payload: { customerId, justification: 'Caller reports account takeover in progress, bank on the line', minutes: 15 } });
    expectStatus(opened, 201);
    const grantId = String(opened.body.id);
    const alerts = await api('GET', '/v1/security/alerts', { token: officer.token });
    expect(alerts.body.alerts).toContainEqual(expect.objectContaining({ kind: 'access.break_glass', agentId: supervisor.agentId }));

    const record = await openRecord(supervisor.token);
    expectStatus(record, 200);
    expect(record.body.grant).toMatchObject({ kind: 'break_glass', breakGlassId: grantId });
    expectNoPlaintext(record);

    const pending = await api('GET', '/v1/access/break-glass', { token: officer.token });
    expect(pending.body.grants).toContainEqual(expect.objectContaining({ id: grantId, reviewState: 'open', agentId: supervisor.agentId }));
    expectProblem(await api('POST', `/v1/access/break-glass/${grantId}/review`, { token: supervisor.token, payload: { outcome: 'justified' } }), 403, 'agents.forbidden');
    expectStatus(await api('POST', `/v1/access/break-glass/${grantId}/review`, { token: officer.token, payload: { outcome: 'justified', note: 'Confirmed with the fraud team' } }), 204);
    expectProblem(await api('POST', `/v1/access/break-glass/${grantId}/review`, { token: officer.token, payload: { outcome: 'unjustified' } }), 409, 'access.review_conflict');
    // The review ended the grant.
    expectProblem(await openRecord(supervisor.token), 403, 'access.no_interaction');

    // A second grant simply expires.
    const again = await api('POST', '/v1/access/break-glass', { token: supervisor.token, payload: { customerId, justification: 'Second emergency: suspected SIM swap on this account', minutes: 5 } });
    expectStatus(again, 201);
    expectStatus(await openRecord(supervisor.token), 200);
    t.clock.advance(5 * MINUTE + 1_000);
    supervisor = { ...supervisor, token: await signIn(t, slug, supervisor.email, supervisor.secret) };
    expectProblem(await openRecord(supervisor.token), 403, 'access.no_interaction');
  });
});

describe('policies as data', () => {
  it('only a security officer changes the policy; invalid ones are refused with paths; every change is a new version in the ledger', async () => {
    officer = { ...officer, token: await signIn(t, slug, officer.email, officer.secret) };
    admin = { ...admin, token: await signIn(t, slug, admin.email, admin.secret) };
    agent = { ...agent, token: await signIn(t, slug, agent.email, agent.secret) };
    const before = await api('GET', '/v1/access/policy', { token: officer.token });
    expect(before.body.version).toBe(1);

    const rules = [{ id: 'agents-public-only', description: 'Agents see only public fields.', when: { roles: ['agent'], classes: ['public'] }, decision: 'masked' }];
    expectProblem(await api('PUT', '/v1/access/policy', { token: admin.token, payload: { rules } }), 403, 'agents.forbidden');
    const bad = await api('PUT', '/v1/access/policy', { token: officer.token, payload: { rules: [{ ...rules[0], when: { roles: ['janitor'] } }] } });
    expectProblem(bad, 400, 'access.invalid_policy');
    expect(JSON.stringify(bad.body.errors)).toContain('/rules/0/when/roles');

    const saved = await api('PUT', '/v1/access/policy', { token: officer.token, payload: { rules } });
    expectStatus(saved, 200);
    expect(saved.body.version).toBe(2);
    expect((await api('GET', '/v1/access/policy', { token: officer.token })).body).toMatchObject({ version: 2, rules: [expect.objectContaining({ id: 'agents-public-only' })] });

    // Under it, an agent's record shows nothing of this customer (no public fields).
    await interaction({ state: 'active', assignedAgentId: agent.agentId, customerId, purpose: 'service' });
    const opened = await openRecord(agent.token);
    expectStatus(opened, 200);
    expect(opened.body).toMatchObject({ policyVersion: 2, fields: [] });

    const explained = await api('GET', `/v1/access/explain?agentId=${agent.agentId}&customerId=${customerId}&field=email`, { token: officer.token });
    expectStatus(explained, 200);
    expect(explained.body).toMatchObject({ decision: 'hidden', ruleId: 'default.deny', policyVersion: 2 });
    expect(String(explained.body.text)).toContain('agents-public-only');

    await t.ctx.ledger.sequenceAll(tenantId);
    const updates = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select('entry').where('action', '=', 'access.policy.update').execute());
    expect(updates).toHaveLength(1);
    expect(JSON.parse(updates[0]!.entry)).toMatchObject({ actor: { id: officer.agentId }, details: { version: 2, rules: 1 } });
  });
});
