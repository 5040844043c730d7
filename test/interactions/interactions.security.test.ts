/**
 * Attacks on interactions. An interaction is what lets an agent open a customer's record, so
 * whoever can create, take over or relink one reaches customer data: these tests try to do that
 * without the right, from another agent's seat, from another contact center, and around the
 * application, directly in SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerOf } from '../agents/helpers.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, type Body, type ContactCenter, contactCenter, customer, expectProblem, expectStatus, person, type Reply, UNKNOWN_ID, withoutRequestId } from './helpers.js';

let t: TestApp;
let home: ContactCenter;
let other: ContactCenter;

beforeAll(async () => {
  t = await createTestApp();
  home = await contactCenter(t, 'ix-home', { ana: 'agent', bruno: 'senior_agent', sara: 'supervisor', olga: 'security_officer', aldo: 'auditor' });
  other = await contactCenter(t, 'ix-other', { otto: 'agent', sven: 'supervisor' });
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const call = (method: 'GET' | 'POST', url: string, token: string | undefined, payload?: object): Promise<Reply> =>
  api(t, method, url, { ...(token === undefined ? {} : { token }), ...(payload === undefined ? {} : { payload }) });

async function create(token: string, payload: Body): Promise<string> {
  const res = await call('POST', '/v1/interactions', token, payload);
  expectStatus(res, 201);
  return String(res.body.id);
}

const snapshot = (cc: ContactCenter, id: string) =>
  t.ctx.db.withTenant(cc.tenantId, async (tx) => ({
    row: await tx.selectFrom('interactions').selectAll().where('id', '=', id).executeTakeFirst(),
    events: (await tx.selectFrom('interaction_events').select('kind').where('interaction_id', '=', id).execute()).length,
  }));

/** Every operation on one interaction, with a body that would succeed for its assigned agent. */
function operations(id: string, cc: ContactCenter): [string, 'GET' | 'POST', string, object | undefined][] {
  return [
    ['read', 'GET', `/v1/interactions/${id}`, undefined],
    ['state', 'POST', `/v1/interactions/${id}/state`, { state: 'closed' }],
    ['transfer', 'POST', `/v1/interactions/${id}/transfer`, { toChannel: 'email' }],
    ['link', 'POST', `/v1/interactions/${id}/customer`, { customerId: customer(cc, 1) }],
  ];
}

describe('credentials', () => {
  it('an API key without interactions:write is refused everywhere (403), no credentials at all is 401', async () => {
    const id = await create(home.platformKey, { channel: 'call', direction: 'inbound' });
    const before = await snapshot(home, id);
    const attempts: [string, 'GET' | 'POST', string, object | undefined][] = [
      ['create', 'POST', '/v1/interactions', { channel: 'call', direction: 'inbound' }],
      ['list', 'GET', '/v1/interactions', undefined],
      ['assign', 'POST', `/v1/interactions/${id}/assign`, { agentId: person(home, 'ana').agentId }],
      ...operations(id, home),
    ];
    for (const [what, method, url, payload] of attempts) {
      const refused = await call(method, url, home.readerKey, payload);
      expectProblem(refused, 403, 'agents.forbidden');
      expect(refused.body.detail, what).toBe('This API key lacks the interactions:write scope');
      expectProblem(await call(method, url, undefined, payload), 401, 'agents.unauthenticated');
      // A key-shaped token that is no key: the same 401 as none.
      expectProblem(await call(method, url, `cak_${'A'.repeat(64)}`, payload), 401, 'agents.unauthenticated');
    }
    expect(await snapshot(home, id)).toEqual(before);
  });

  it('a revoked key stops at once', async () => {
    const created = await call('POST', '/v1/service-accounts/keys', home.admin.token, { name: 'soon revoked', scopes: ['interactions:write'] });
    const key = String(created.body.key);
    await create(key, { channel: 'chat', direction: 'inbound' });
    expectStatus(await call('POST', `/v1/service-accounts/keys/${String(created.body.id)}/revoke`, home.admin.token), 204);
    expectProblem(await call('POST', '/v1/interactions', key, { channel: 'chat', direction: 'inbound' }), 401, 'agents.unauthenticated');
  });

  it('security officers, tenant administrators and auditors do not handle interactions', async () => {
    const id = await create(home.platformKey, { channel: 'call', direction: 'inbound' });
    for (const token of [person(home, 'olga').token, person(home, 'aldo').token, home.admin.token]) {
      expectProblem(await call('POST', '/v1/interactions', token, { channel: 'call', direction: 'outbound' }), 403, 'agents.forbidden');
      expectProblem(await call('GET', `/v1/interactions/${id}`, token), 403, 'agents.forbidden');
      expectProblem(await call('GET', '/v1/interactions', token), 403, 'agents.forbidden');
    }
  });

  it("a session cookie without the CSRF token cannot change an interaction", async () => {
    const ana = person(home, 'ana');
    const id = await create(ana.token, { channel: 'call', direction: 'inbound', state: 'active' });
    const res = await t.app.inject({ method: 'POST', url: `/v1/interactions/${id}/state`, headers: { cookie: `__Host-custodia_session=${ana.token}` }, payload: { state: 'closed' } });
    expect(res.statusCode).toBe(403);
    expect((JSON.parse(res.body) as Body).code).toBe('agents.csrf_failed');
    expect((await snapshot(home, id)).row?.state).toBe('active');
  });
});

describe("another agent's interaction", () => {
  it('answers exactly like an unknown id, for every operation, and changes nothing', async () => {
    const ana = person(home, 'ana');
    const bruno = person(home, 'bruno');
    const id = await create(ana.token, { channel: 'call', direction: 'inbound', state: 'active', customerId: customer(home, 0) });
    const before = await snapshot(home, id);
    for (const [what, method, url, payload] of operations(id, home)) {
      const theirs = await call(method, url, bruno.token, payload);
      const unknown = await call(method, url.replace(id, UNKNOWN_ID), bruno.token, payload);
      expectProblem(theirs, 404, 'interactions.not_found');
      expect(withoutRequestId(theirs), what).toEqual(withoutRequestId(unknown));
    }
    expect(await snapshot(home, id)).toEqual(before);
    // Nor does Bruno find it by listing, nor list Ana's.
    expect(((await call('GET', '/v1/interactions', bruno.token)).body.interactions as Body[]).map((i) => i.id)).not.toContain(id);
    expectProblem(await call('GET', `/v1/interactions?assignedTo=${ana.agentId}`, bruno.token), 403, 'agents.forbidden');
  });

  it('agents neither assign interactions nor create them for someone else; a supervisor may', async () => {
    const ana = person(home, 'ana');
    const bruno = person(home, 'bruno');
    const sara = person(home, 'sara');
    const queued = await create(home.platformKey, { channel: 'email', direction: 'inbound' });
    // Taking a queued interaction for oneself would be a way to a customer's record: refused.
    expectProblem(await call('POST', `/v1/interactions/${queued}/assign`, ana.token, { agentId: ana.agentId }), 403, 'agents.forbidden');
    expectProblem(await call('POST', `/v1/interactions/${queued}/state`, ana.token, { state: 'active' }), 404, 'interactions.not_found');
    expectProblem(await call('POST', '/v1/interactions', ana.token, { channel: 'call', direction: 'outbound', assignedAgentId: bruno.agentId }), 403, 'agents.forbidden');
    expect((await snapshot(home, queued)).row?.assigned_agent_id).toBeNull();

    const forBruno = await call('POST', '/v1/interactions', sara.token, { channel: 'call', direction: 'outbound', assignedAgentId: bruno.agentId });
    expectStatus(forBruno, 201);
    expect(forBruno.body.assignedAgentId).toBe(bruno.agentId);
    // A supervisor acts on any interaction of the contact center.
    expectStatus(await call('POST', `/v1/interactions/${String(forBruno.body.id)}/state`, sara.token, { state: 'closed' }), 200);
  });
});

describe('another contact center', () => {
  it("its members and keys get exactly the unknown-id answer for this center's interactions, and change nothing", async () => {
    const id = await create(home.platformKey, { channel: 'call', direction: 'inbound', customerId: customer(home, 0) });
    const before = await snapshot(home, id);
    const intruders = [other.platformKey, person(other, 'sven').token, person(other, 'otto').token];
    for (const token of intruders) {
      for (const [what, method, url, payload] of [...operations(id, other), ['assign', 'POST', `/v1/interactions/${id}/assign`, { agentId: person(other, 'otto').agentId }] as const]) {
        const theirs = await call(method, url, token, payload);
        const unknown = await call(method, url.replace(id, UNKNOWN_ID), token, payload);
        // Agents may not assign at all: refused before any lookup, whatever the id.
        if (token === person(other, 'otto').token && what === 'assign') expectProblem(theirs, 403, 'agents.forbidden');
        else expectProblem(theirs, 404, 'interactions.not_found');
        expect(withoutRequestId(theirs), what).toEqual(withoutRequestId(unknown));
      }
      const listed = await call('GET', '/v1/interactions', token);
      expect((listed.body.interactions as Body[]).map((i) => i.id)).not.toContain(id);
      // Paging after a foreign id yields nothing rather than a position in someone else's list.
      expect((await call('GET', `/v1/interactions?after=${id}`, token)).body.interactions).toEqual([]);
    }
    expect(await snapshot(home, id)).toEqual(before);
  });

  it("its customers cannot be linked and its agents cannot be assigned: the same answers as unknown ids", async () => {
    const sara = person(home, 'sara');
    const id = await create(sara.token, { channel: 'chat', direction: 'inbound', state: 'active' });
    const foreignCustomer = await call('POST', `/v1/interactions/${id}/customer`, sara.token, { customerId: customer(other, 0) });
    const unknownCustomer = await call('POST', `/v1/interactions/${id}/customer`, sara.token, { customerId: UNKNOWN_ID });
    expectProblem(foreignCustomer, 404, 'interactions.customer_not_found');
    expect(withoutRequestId(foreignCustomer)).toEqual(withoutRequestId(unknownCustomer));

    const foreignAgent = await call('POST', `/v1/interactions/${id}/transfer`, sara.token, { toAgentId: person(other, 'otto').agentId });
    const unknownAgent = await call('POST', `/v1/interactions/${id}/transfer`, sara.token, { toAgentId: UNKNOWN_ID });
    expectProblem(foreignAgent, 422, 'interactions.invalid_assignee');
    expect(withoutRequestId(foreignAgent)).toEqual(withoutRequestId(unknownAgent));
    expectProblem(await call('POST', '/v1/interactions', home.platformKey, { channel: 'call', direction: 'inbound', customerId: customer(other, 0) }), 404, 'interactions.customer_not_found');
    expectProblem(await call('POST', '/v1/interactions', home.platformKey, { channel: 'call', direction: 'inbound', assignedAgentId: person(other, 'otto').agentId }), 422, 'interactions.invalid_assignee');

    const after = await snapshot(home, id);
    expect(after.row).toMatchObject({ customer_id: null, assigned_agent_id: sara.agentId });
    expect(after.events).toBe(1);
  });

  it('external references are per contact center: the same one creates an interaction in each, without conflict', async () => {
    const payload = { channel: 'call', direction: 'inbound', externalRef: 'CA-shared-ref-1' };
    const mine = await call('POST', '/v1/interactions', home.platformKey, payload);
    const theirs = await call('POST', '/v1/interactions', other.platformKey, payload);
    expectStatus(mine, 201);
    expectStatus(theirs, 201);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });
});

describe('around the application, in SQL', () => {
  it("the database itself refuses another tenant's customer or agent on an interaction", async () => {
    const id = await create(home.platformKey, { channel: 'call', direction: 'inbound' });
    // As the application role in this tenant's scope, bypassing every check of the service.
    const attempt = (set: { customer_id?: string; assigned_agent_id?: string }) =>
      t.ctx.db.withTenant(home.tenantId, (tx) => tx.updateTable('interactions').set(set).where('id', '=', id).execute()).then(
        () => 'accepted',
        (error: unknown) => String((error as { code?: string }).code),
      );
    expect(await attempt({ customer_id: customer(other, 0) })).toBe('23503');
    expect(await attempt({ assigned_agent_id: person(other, 'otto').agentId })).toBe('23503');
    expect(await attempt({ customer_id: customer(home, 0) })).toBe('accepted');
  });

  it('the history is append-only for the application, and an active interaction without an agent cannot exist', async () => {
    const id = await create(person(home, 'ana').token, { channel: 'call', direction: 'inbound', state: 'active' });
    const codeOf = (fn: Parameters<typeof t.ctx.db.withTenant>[1]) =>
      t.ctx.db.withTenant(home.tenantId, fn).then(
        () => 'accepted',
        (error: unknown) => String((error as { code?: string }).code),
      );
    // 42501: insufficient_privilege.
    expect(await codeOf((tx) => tx.updateTable('interaction_events').set({ at: new Date(0) }).where('interaction_id', '=', id).execute())).toBe('42501');
    expect(await codeOf((tx) => tx.deleteFrom('interaction_events').where('interaction_id', '=', id).execute())).toBe('42501');
    expect(await codeOf((tx) => tx.deleteFrom('interactions').where('id', '=', id).execute())).toBe('42501');
    // 23514: check_violation.
    expect(await codeOf((tx) => tx.updateTable('interactions').set({ assigned_agent_id: null }).where('id', '=', id).execute())).toBe('23514');
    expect(await codeOf((tx) => tx.updateTable('interactions').set({ state: 'wrap_up' }).where('id', '=', id).execute())).toBe('23514');
    expect(await codeOf((tx) => tx.updateTable('interactions').set({ verification_level: 4 }).where('id', '=', id).execute())).toBe('23514');
    expect((await snapshot(home, id)).row).toMatchObject({ state: 'active', assigned_agent_id: person(home, 'ana').agentId, verification_level: 0 });
  });

  it('a tenant with interactions can still be deleted whole (suspended first)', async () => {
    const id = await create(person(other, 'otto').token, { channel: 'chat', direction: 'inbound', state: 'active', customerId: customer(other, 0) });
    expectStatus(await call('POST', `/v1/interactions/${id}/transfer`, person(other, 'otto').token, { toAgentId: person(other, 'sven').agentId }), 200);
    const { issuePlatformToken } = await import('../../src/tenants/index.js');
    const platform = await issuePlatformToken(t.ctx.db, { name: 'ix-delete', now: t.clock.now() });
    const suspend = await t.app.inject({ method: 'PATCH', url: `/v1/platform/tenants/${other.tenantId}`, headers: bearerOf(platform.token), payload: { status: 'suspended' } });
    expect(suspend.statusCode, suspend.body).toBe(200);
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/platform/tenants/${other.tenantId}`, headers: bearerOf(platform.token) });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const left = await t.ctx.db.withTenant(other.tenantId, async (tx) => ({
      interactions: (await tx.selectFrom('interactions').select('id').execute()).length,
      events: (await tx.selectFrom('interaction_events').select('seq').execute()).length,
    }));
    expect(left).toEqual({ interactions: 0, events: 0 });
  });
});
