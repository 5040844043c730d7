/**
 * Interactions over the real API: their life through the state machine, transfers that keep the
 * interaction (and so the caller's verification), assignment, the customer link, idempotent
 * creation by the platform, listing, the history and the ledger entries every change leaves; and
 * the query the access layer asks ("which interaction lets this agent open this customer now").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeInteractionFor, listInteractionEvents } from '../../src/interactions/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, type Body, type ContactCenter, contactCenter, customer, expectProblem, expectStatus, interactionLedger, person, type Reply } from './helpers.js';

let t: TestApp;
let cc: ContactCenter;

const MINUTE = 60_000;

beforeAll(async () => {
  t = await createTestApp();
  cc = await contactCenter(t, 'ix-life', { ana: 'agent', bruno: 'senior_agent', sara: 'supervisor', olga: 'security_officer', leo: 'agent' });
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const call = (method: 'GET' | 'POST', url: string, token: string, payload?: object): Promise<Reply> => api(t, method, url, { token, ...(payload === undefined ? {} : { payload }) });

async function create(token: string, payload: Body): Promise<Body> {
  const res = await call('POST', '/v1/interactions', token, payload);
  expectStatus(res, 201);
  return res.body;
}

const events = (id: string) => t.ctx.db.withTenant(cc.tenantId, (tx) => listInteractionEvents(tx, id));
const row = (id: string) => t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('interactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow());

describe('the state machine', () => {
  it('a call from the platform: queued, assigned, active, wrap-up, closed, each with its time, event and ledger entry', async () => {
    const ana = person(cc, 'ana');
    const created = await create(cc.platformKey, { channel: 'call', direction: 'inbound', purpose: 'billing', externalRef: 'CA-life-1' });
    expect(created).toMatchObject({
      channel: 'call',
      direction: 'inbound',
      state: 'queued',
      customerId: null,
      assignedAgentId: null,
      purpose: 'billing',
      externalRef: 'CA-life-1',
      verificationLevel: 0,
      createdAt: t.clock.now().toISOString(),
      startedAt: null,
      wrapUpAt: null,
      closedAt: null,
    });
    const id = String(created.id);

    expectStatus(await call('POST', `/v1/interactions/${id}/assign`, cc.platformKey, { agentId: ana.agentId }), 200);
    t.clock.advance(MINUTE);
    const started = t.clock.now().toISOString();
    const active = await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'active' });
    expectStatus(active, 200);
    expect(active.body).toMatchObject({ state: 'active', assignedAgentId: ana.agentId, startedAt: started, updatedAt: started });
    t.clock.advance(MINUTE);
    const wrapUp = await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'wrap_up' });
    expect(wrapUp.body).toMatchObject({ state: 'wrap_up', startedAt: started, wrapUpAt: t.clock.now().toISOString(), closedAt: null });
    t.clock.advance(MINUTE);
    const closed = await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'closed' });
    expect(closed.body).toMatchObject({ state: 'closed', closedAt: t.clock.now().toISOString() });
    expect(closed.body.id).toBe(id);
    // What the owner of the interaction reads back is what the change answered.
    expect((await call('GET', `/v1/interactions/${id}`, cc.platformKey)).body).toEqual(closed.body);

    expect((await events(id)).map((e) => [e.kind, e.actor.type, e.fromState, e.toState, e.toAgentId])).toEqual([
      ['create', 'service', null, 'queued', null],
      ['assign', 'service', null, null, ana.agentId],
      ['state', 'agent', 'queued', 'active', null],
      ['state', 'agent', 'active', 'wrap_up', null],
      ['state', 'agent', 'wrap_up', 'closed', null],
    ]);
    const entries = (await interactionLedger(t, cc.tenantId)).filter((e) => e.entry.targets.interaction === id);
    expect(entries.map((e) => [e.action, e.entry.actor.type, e.entry.details])).toEqual([
      ['interaction.create', 'service', { channel: 'call', direction: 'inbound', state: 'queued' }],
      ['interaction.assign', 'service', {}],
      ['interaction.state', 'agent', { from: 'queued', to: 'active' }],
      ['interaction.state', 'agent', { from: 'active', to: 'wrap_up' }],
      ['interaction.state', 'agent', { from: 'wrap_up', to: 'closed' }],
    ]);
    expect(entries[0]?.entry.purpose).toBe('billing');
    expect(entries[1]?.entry.targets).toEqual({ interaction: id, toAgent: ana.agentId });
    // The platform's reference is not an id of ours: it stays out of the ledger.
    for (const e of entries) expect(e.raw).not.toContain('CA-life-1');
  });

  it('an abandoned call goes from the queue to closed, and an active one may close without wrap-up', async () => {
    const abandoned = await create(cc.platformKey, { channel: 'call', direction: 'inbound' });
    const closed = await call('POST', `/v1/interactions/${String(abandoned.id)}/state`, cc.platformKey, { state: 'closed' });
    expectStatus(closed, 200);
    expect(closed.body).toMatchObject({ state: 'closed', startedAt: null, wrapUpAt: null, closedAt: t.clock.now().toISOString() });

    const ana = person(cc, 'ana');
    const chat = await create(ana.token, { channel: 'chat', direction: 'outbound', state: 'active' });
    expect(chat).toMatchObject({ state: 'active', assignedAgentId: ana.agentId, startedAt: t.clock.now().toISOString() });
    const done = await call('POST', `/v1/interactions/${String(chat.id)}/state`, ana.token, { state: 'closed' });
    expect(done.body).toMatchObject({ state: 'closed', wrapUpAt: null, closedAt: t.clock.now().toISOString() });
  });

  it.each([
    ['queued', 'wrap_up'],
    ['active', 'queued'],
    ['wrap_up', 'active'],
    ['wrap_up', 'queued'],
    ['closed', 'active'],
    ['closed', 'queued'],
    ['closed', 'wrap_up'],
  ] as const)('refuses %s -> %s with interactions.invalid_transition and changes nothing', async (from, to) => {
    const ana = person(cc, 'ana');
    const created = await create(ana.token, { channel: 'email', direction: 'inbound' });
    const id = String(created.id);
    const path = { queued: [], active: ['active'], wrap_up: ['active', 'wrap_up'], closed: ['closed'] }[from];
    for (const state of path) expectStatus(await call('POST', `/v1/interactions/${id}/state`, ana.token, { state }), 200);
    const before = await row(id);
    const before_events = (await events(id)).length;

    const refused = await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: to });
    expectProblem(refused, 409, 'interactions.invalid_transition');
    expect(refused.body).toMatchObject({ from, to, detail: `An interaction cannot move from ${from} to ${to}` });
    expect(await row(id)).toEqual(before);
    expect(await events(id)).toHaveLength(before_events);
  });

  it('asking for the state it is in changes nothing and records nothing (a retried request)', async () => {
    const ana = person(cc, 'ana');
    const created = await create(ana.token, { channel: 'call', direction: 'outbound', state: 'active' });
    const id = String(created.id);
    const ledgerBefore = (await interactionLedger(t, cc.tenantId)).length;
    t.clock.advance(1_000);
    const again = await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'active' });
    expectStatus(again, 200);
    expect(again.body).toEqual(created);
    expect(await events(id)).toHaveLength(1);
    expect(await interactionLedger(t, cc.tenantId)).toHaveLength(ledgerBefore);
    // The platform reporting the hang-up twice: closed stays closed, at its first time.
    const closed = await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'closed' });
    t.clock.advance(1_000);
    const twice = await call('POST', `/v1/interactions/${id}/state`, cc.platformKey, { state: 'closed' });
    expectStatus(twice, 200);
    expect(twice.body).toEqual(closed.body);
    expect(await events(id)).toHaveLength(2);
  });

  it('an interaction nobody is assigned cannot become active', async () => {
    expectProblem(await call('POST', '/v1/interactions', cc.platformKey, { channel: 'call', direction: 'inbound', state: 'active' }), 409, 'interactions.unassigned');
    const queued = await create(cc.platformKey, { channel: 'call', direction: 'inbound' });
    expectProblem(await call('POST', `/v1/interactions/${String(queued.id)}/state`, cc.platformKey, { state: 'active' }), 409, 'interactions.unassigned');
    expect((await row(String(queued.id))).state).toBe('queued');
  });
});

describe('assignment and transfers', () => {
  it('a transfer to another agent and channel keeps the id, the customer and the verification level, and records who moved it where', async () => {
    const ana = person(cc, 'ana');
    const bruno = person(cc, 'bruno');
    const chat = await create(ana.token, { channel: 'chat', direction: 'inbound', state: 'active', customerId: customer(cc, 0), purpose: 'service' });
    const id = String(chat.id);
    // What caller verification will write (issue 7); stored here, carried by transfers.
    await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.updateTable('interactions').set({ verification_level: 2 }).where('id', '=', id).execute());

    t.clock.advance(1_000);
    const moved = await call('POST', `/v1/interactions/${id}/transfer`, ana.token, { toAgentId: bruno.agentId, toChannel: 'call' });
    expectStatus(moved, 200);
    expect(moved.body).toMatchObject({ id, channel: 'call', assignedAgentId: bruno.agentId, customerId: customer(cc, 0), verificationLevel: 2, state: 'active', startedAt: chat.startedAt });

    // The interaction left Ana: she no longer sees it; Bruno does, and can move it on by channel only.
    expectProblem(await call('GET', `/v1/interactions/${id}`, ana.token), 404, 'interactions.not_found');
    expectStatus(await call('GET', `/v1/interactions/${id}`, bruno.token), 200);
    const back = await call('POST', `/v1/interactions/${id}/transfer`, bruno.token, { toChannel: 'chat' });
    expect(back.body).toMatchObject({ id, channel: 'chat', assignedAgentId: bruno.agentId, verificationLevel: 2 });

    const transfers = (await events(id)).filter((e) => e.kind === 'transfer');
    expect(transfers.map((e) => [e.actor.id, e.fromAgentId, e.toAgentId, e.fromChannel, e.toChannel])).toEqual([
      [ana.agentId, ana.agentId, bruno.agentId, 'chat', 'call'],
      [bruno.agentId, bruno.agentId, bruno.agentId, 'call', 'chat'],
    ]);
    const entries = (await interactionLedger(t, cc.tenantId)).filter((e) => e.action === 'interaction.transfer' && e.entry.targets.interaction === id);
    expect(entries.map((e) => [e.entry.actor.id, e.entry.targets, e.entry.details])).toEqual([
      [ana.agentId, { interaction: id, fromAgent: ana.agentId, toAgent: bruno.agentId }, { fromChannel: 'chat', toChannel: 'call' }],
      [bruno.agentId, { interaction: id, fromAgent: bruno.agentId, toAgent: bruno.agentId }, { fromChannel: 'call', toChannel: 'chat' }],
    ]);

    // A transfer to where it already is changes nothing.
    const same = await call('POST', `/v1/interactions/${id}/transfer`, bruno.token, { toAgentId: bruno.agentId, toChannel: 'chat' });
    expect(same.body).toEqual(back.body);
    expect((await events(id)).filter((e) => e.kind === 'transfer')).toHaveLength(2);
  });

  it('assigns only to active members who handle interactions, and only while queued or active', async () => {
    const sara = person(cc, 'sara');
    const leo = person(cc, 'leo');
    const queued = await create(cc.platformKey, { channel: 'email', direction: 'inbound' });
    const id = String(queued.id);
    const officer = person(cc, 'olga');
    const refusedOfficer = await call('POST', `/v1/interactions/${id}/assign`, sara.token, { agentId: officer.agentId });
    expectProblem(refusedOfficer, 422, 'interactions.invalid_assignee');
    expectProblem(await call('POST', `/v1/interactions/${id}/assign`, sara.token, { agentId: cc.admin.agentId }), 422, 'interactions.invalid_assignee');
    expectProblem(await call('POST', `/v1/interactions/${id}/transfer`, cc.platformKey, { toAgentId: officer.agentId }), 422, 'interactions.invalid_assignee');

    const assigned = await call('POST', `/v1/interactions/${id}/assign`, sara.token, { agentId: leo.agentId });
    expectStatus(assigned, 200);
    expect(assigned.body).toMatchObject({ assignedAgentId: leo.agentId, state: 'queued' });
    // Reassigned to Sara, then Leo is suspended: he cannot be given it back.
    expect((await call('POST', `/v1/interactions/${id}/assign`, sara.token, { agentId: sara.agentId })).body).toMatchObject({ assignedAgentId: sara.agentId });
    expectStatus(await call('POST', `/v1/agents/${leo.agentId}/suspend`, cc.admin.token), 200);
    expectProblem(await call('POST', `/v1/interactions/${id}/assign`, sara.token, { agentId: leo.agentId }), 422, 'interactions.invalid_assignee');
    expect((await row(id)).assigned_agent_id).toBe(sara.agentId);

    const assigns = (await events(id)).filter((e) => e.kind === 'assign');
    expect(assigns.map((e) => [e.actor.id, e.fromAgentId, e.toAgentId])).toEqual([
      [sara.agentId, null, leo.agentId],
      [sara.agentId, leo.agentId, sara.agentId],
    ]);

    // Once over, an interaction is no longer routed.
    expectStatus(await call('POST', `/v1/interactions/${id}/state`, sara.token, { state: 'closed' }), 200);
    const late = await call('POST', `/v1/interactions/${id}/assign`, cc.platformKey, { agentId: person(cc, 'ana').agentId });
    expectProblem(late, 409, 'interactions.not_open');
    expect(late.body.state).toBe('closed');
    expectProblem(await call('POST', `/v1/interactions/${id}/transfer`, cc.platformKey, { toChannel: 'chat' }), 409, 'interactions.not_open');
  });

  it('a transfer must name an agent or a channel', async () => {
    const created = await create(cc.platformKey, { channel: 'chat', direction: 'inbound' });
    expectProblem(await call('POST', `/v1/interactions/${String(created.id)}/transfer`, cc.platformKey, {}), 400, 'request.invalid');
  });
});

describe('idempotent creation by external reference', () => {
  it('the platform retrying a creation gets the same interaction back, marked as a replay, and nothing is recorded twice', async () => {
    const payload = { channel: 'call', direction: 'inbound', purpose: 'fraud', customerId: customer(cc, 1), externalRef: 'sip:a84b4c76e66710@pbx.example' };
    const first = await call('POST', '/v1/interactions', cc.platformKey, payload);
    expectStatus(first, 201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const id = String(first.body.id);
    // Meanwhile the call was answered.
    expectStatus(await call('POST', `/v1/interactions/${id}/assign`, cc.platformKey, { agentId: person(cc, 'ana').agentId }), 200);
    t.clock.advance(1_000);
    const retry = await call('POST', '/v1/interactions', cc.platformKey, payload);
    expectStatus(retry, 201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toMatchObject({ id, assignedAgentId: person(cc, 'ana').agentId, createdAt: first.body.createdAt });

    const rows = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('interactions').select('id').where('external_ref', '=', payload.externalRef).execute());
    expect(rows).toEqual([{ id }]);
    expect((await events(id)).filter((e) => e.kind === 'create')).toHaveLength(1);
    expect((await interactionLedger(t, cc.tenantId)).filter((e) => e.action === 'interaction.create' && e.entry.targets.interaction === id)).toHaveLength(1);
  });

  it('concurrent creations with one reference make one interaction (the platform fires its retry before the answer)', async () => {
    const payload = { channel: 'call', direction: 'inbound', externalRef: 'CA-race-1' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => call('POST', '/v1/interactions', cc.platformKey, payload)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(answers.map((a) => a.headers['idempotent-replayed']).sort()).toEqual(['true', 'true', 'true', 'true', 'true', undefined]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const id = String(answers[0]?.body.id);
    expect(await events(id)).toHaveLength(1);
  });

  it('the same reference with another request is a conflict, not a second interaction', async () => {
    const payload = { channel: 'chat', direction: 'inbound', externalRef: 'chat-7781' };
    expectStatus(await call('POST', '/v1/interactions', cc.platformKey, payload), 201);
    for (const changed of [{ channel: 'email' }, { direction: 'outbound' }, { purpose: 'sales' }, { customerId: customer(cc, 2) }, { state: 'active', assignedAgentId: person(cc, 'bruno').agentId }]) {
      expectProblem(await call('POST', '/v1/interactions', cc.platformKey, { ...payload, ...changed }), 409, 'interactions.external_ref_conflict');
    }
    // Another service account of the contact center (the chat platform, say) with the same
    // request and reference: not its interaction, so a conflict, not this interaction.
    const second = await call('POST', '/v1/service-accounts/keys', cc.admin.token, { name: 'chat platform', scopes: ['interactions:write'] });
    expectProblem(await call('POST', '/v1/interactions', String(second.body.key), payload), 409, 'interactions.external_ref_conflict');
    // References are the platform's: agents and supervisors cannot set one (nor take one first).
    for (const token of [person(cc, 'ana').token, person(cc, 'sara').token]) {
      const refused = await call('POST', '/v1/interactions', token, { channel: 'chat', direction: 'inbound', externalRef: 'chat-7782' });
      expectProblem(refused, 403, 'agents.forbidden');
      expect(refused.body.detail).toBe('Only the platform (an API key) sets externalRef');
    }
    const count = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('interactions').select('id').where('external_ref', '=', 'chat-7781').execute());
    expect(count).toHaveLength(1);
  });

  it('refuses references with spaces or control characters, and over 128 characters', async () => {
    for (const externalRef of ['has space', 'tab\there', '', 'x'.repeat(129), 'ñandú']) {
      expectProblem(await call('POST', '/v1/interactions', cc.platformKey, { channel: 'call', direction: 'inbound', externalRef }), 400, 'request.invalid');
    }
  });
});

describe('the customer link', () => {
  it('links a customer of the contact center; another customer resets the verification level; the ledger names the customer', async () => {
    const ana = person(cc, 'ana');
    const created = await create(ana.token, { channel: 'call', direction: 'inbound', state: 'active', purpose: 'collections' });
    const id = String(created.id);
    const linked = await call('POST', `/v1/interactions/${id}/customer`, ana.token, { customerId: customer(cc, 0) });
    expectStatus(linked, 200);
    expect(linked.body).toMatchObject({ customerId: customer(cc, 0), verificationLevel: 0 });
    await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.updateTable('interactions').set({ verification_level: 3 }).where('id', '=', id).execute());

    // The same customer again: nothing changes, the verification stands.
    expect((await call('POST', `/v1/interactions/${id}/customer`, ana.token, { customerId: customer(cc, 0) })).body).toMatchObject({ customerId: customer(cc, 0), verificationLevel: 3 });
    // Another customer: what was verified was the first one.
    const relinked = await call('POST', `/v1/interactions/${id}/customer`, ana.token, { customerId: customer(cc, 1) });
    expect(relinked.body).toMatchObject({ customerId: customer(cc, 1), verificationLevel: 0 });

    expect((await events(id)).filter((e) => e.kind === 'link_customer').map((e) => [e.fromCustomerId, e.toCustomerId])).toEqual([
      [null, customer(cc, 0)],
      [customer(cc, 0), customer(cc, 1)],
    ]);
    const entries = (await interactionLedger(t, cc.tenantId)).filter((e) => e.action === 'interaction.link_customer' && e.entry.targets.interaction === id);
    expect(entries.map((e) => [e.entry.targets, e.entry.purpose, e.entry.details])).toEqual([
      [{ interaction: id, customer: customer(cc, 0) }, 'collections', { verificationReset: false }],
      [{ interaction: id, customer: customer(cc, 1), previousCustomer: customer(cc, 0) }, 'collections', { verificationReset: true }],
    ]);
    // The link is in the customer's access report (the ledger indexes targets.customer).
    const reported = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('ledger_entries').select('action').where('customer_id', '=', customer(cc, 1)).execute());
    expect(reported.map((r) => r.action)).toContain('interaction.link_customer');
  });

  it('an unknown customer is refused; once in wrap-up the link is fixed', async () => {
    const ana = person(cc, 'ana');
    const created = await create(ana.token, { channel: 'call', direction: 'inbound', state: 'active' });
    const id = String(created.id);
    expectProblem(await call('POST', `/v1/interactions/${id}/customer`, ana.token, { customerId: '00000000-0000-4000-8000-000000000001' }), 404, 'interactions.customer_not_found');
    expectStatus(await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'wrap_up' }), 200);
    const late = await call('POST', `/v1/interactions/${id}/customer`, ana.token, { customerId: customer(cc, 0) });
    expectProblem(late, 409, 'interactions.not_open');
    expect(late.body.state).toBe('wrap_up');
    expect((await row(id)).customer_id).toBeNull();
  });
});

describe('listing', () => {
  it("an agent's own interactions, by state, in pages; a supervisor's view of anyone's", async () => {
    const bruno = person(cc, 'bruno');
    const sara = person(cc, 'sara');
    const mine: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      t.clock.advance(1_000);
      mine.push(String((await create(bruno.token, { channel: 'email', direction: 'inbound' })).id));
    }
    const ids = (res: Reply) => (res.body.interactions as Body[]).map((i) => String(i.id));

    const all = await call('GET', '/v1/interactions?assignedTo=me&state=queued', bruno.token);
    expectStatus(all, 200);
    expect(ids(all).slice(0, 5)).toEqual([...mine].reverse());
    expect((all.body.interactions as Body[]).every((i) => i.assignedAgentId === bruno.agentId && i.state === 'queued')).toBe(true);
    // No filter, for an agent, is still only theirs.
    expect(((await call('GET', '/v1/interactions', bruno.token)).body.interactions as Body[]).every((i) => i.assignedAgentId === bruno.agentId)).toBe(true);

    const page1 = await call('GET', '/v1/interactions?assignedTo=me&state=queued&limit=2', bruno.token);
    expect(ids(page1)).toEqual([mine[4], mine[3]]);
    expect(page1.body.next).toBe(mine[3]);
    const page2 = await call('GET', `/v1/interactions?assignedTo=me&state=queued&limit=2&after=${String(page1.body.next)}`, bruno.token);
    expect(ids(page2)).toEqual([mine[2], mine[1]]);

    const bySupervisor = await call('GET', `/v1/interactions?assignedTo=${bruno.agentId}&state=queued&limit=3`, sara.token);
    expect(ids(bySupervisor)).toEqual([mine[4], mine[3], mine[2]]);
    const byPlatform = await call('GET', `/v1/interactions?assignedTo=${bruno.agentId}&state=queued&limit=1`, cc.platformKey);
    expect(ids(byPlatform)).toEqual([mine[4]]);
    expectProblem(await call('GET', '/v1/interactions?assignedTo=me', cc.platformKey), 403, 'agents.forbidden');
    expectProblem(await call('GET', '/v1/interactions?state=open', bruno.token), 400, 'request.invalid');
  });
});

describe('what the access layer asks', () => {
  /** What a link by the platform (or by a supervisor for someone else) leaves on the row. */
  const trustLink = (id: string) => t.ctx.db.withTenant(cc.tenantId, (tx) => tx.updateTable('interactions').set({ customer_link_trusted: true }).where('id', '=', id).execute());

  it('an active or recent wrap-up interaction assigned to the agent and linked to the customer, with when access ends', async () => {
    const ana = person(cc, 'ana');
    const bruno = person(cc, 'bruno');
    const customerId = customer(cc, 2);
    const grace = 10 * MINUTE;
    const anchor = (agentId: string, now: Date, interactionId?: string) =>
      t.ctx.db.withTenant(cc.tenantId, (tx) => activeInteractionFor(tx, { agentId, customerId, interactionId, wrapUpGraceMs: grace, now }));

    const queued = await create(ana.token, { channel: 'call', direction: 'inbound', customerId });
    expect(await anchor(ana.agentId, t.clock.now())).toBeUndefined();

    const id = String(queued.id);
    // An agent's own link anchors nothing (test/access/records.test.ts); here the platform's would.
    await trustLink(id);
    expectStatus(await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'active' }), 200);
    const active = await anchor(ana.agentId, t.clock.now());
    expect(active?.interaction.id).toBe(id);
    expect(active?.accessEndsAt).toBeNull();
    // Someone else's, or another customer's: nothing.
    expect(await anchor(bruno.agentId, t.clock.now())).toBeUndefined();
    expect(await t.ctx.db.withTenant(cc.tenantId, (tx) => activeInteractionFor(tx, { agentId: ana.agentId, customerId: customer(cc, 0), wrapUpGraceMs: grace, now: t.clock.now() }))).toBeUndefined();

    expectStatus(await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'wrap_up' }), 200);
    const wrapUpAt = t.clock.now();
    const inWrapUp = await anchor(ana.agentId, new Date(wrapUpAt.getTime() + grace - 1));
    expect(inWrapUp?.accessEndsAt).toEqual(new Date(wrapUpAt.getTime() + grace));
    expect(inWrapUp?.interaction.wrapUpAt).toEqual(wrapUpAt);
    expect(await anchor(ana.agentId, new Date(wrapUpAt.getTime() + grace))).toBeUndefined();

    // Closing ends it at once, grace or not.
    expectStatus(await call('POST', `/v1/interactions/${id}/state`, ana.token, { state: 'closed' }), 200);
    expect(await anchor(ana.agentId, t.clock.now())).toBeUndefined();
  });

  it('with two open interactions for one customer, never lends the better-verified one; a named one is checked as named', async () => {
    const ana = person(cc, 'ana');
    const bruno = person(cc, 'bruno');
    const customerId = customer(cc, 1);
    const chat = String((await create(ana.token, { channel: 'chat', direction: 'inbound', state: 'active', customerId })).id);
    t.clock.advance(1_000);
    const callId = String((await create(ana.token, { channel: 'call', direction: 'inbound', state: 'active', customerId })).id);
    await trustLink(chat);
    await trustLink(callId);
    await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.updateTable('interactions').set({ verification_level: 2 }).where('id', '=', chat).execute());
    const anchor = (interactionId?: string) =>
      t.ctx.db.withTenant(cc.tenantId, (tx) => activeInteractionFor(tx, { agentId: ana.agentId, customerId, interactionId, wrapUpGraceMs: 0, now: t.clock.now() }));

    expect((await anchor())?.interaction).toMatchObject({ id: callId, verificationLevel: 0 });
    expect((await anchor(chat))?.interaction).toMatchObject({ id: chat, verificationLevel: 2 });

    // Transferred away, the chat anchors nothing for Ana any more.
    expectStatus(await call('POST', `/v1/interactions/${chat}/transfer`, ana.token, { toAgentId: bruno.agentId }), 200);
    expect(await anchor(chat)).toBeUndefined();
    expect((await anchor())?.interaction.id).toBe(callId);
  });
});
