/**
 * A membership's life over the real API: role changes that sessions see at once, suspension that
 * ends every session and sign-in (the day someone leaves), reactivation, the last-administrator
 * guard, and acknowledging security alerts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/agents/roles.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, PASSWORD, type SignedIn } from './helpers.js';

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
}

async function api(method: 'GET' | 'POST' | 'PUT', url: string, options: { token?: string; payload?: object } = {}): Promise<Reply> {
  const res = await t.app.inject({ method, url, headers: options.token === undefined ? {} : bearerOf(options.token), ...(options.payload === undefined ? {} : { payload: options.payload }) });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Body) : {} };
}

function expectStatus(res: Reply, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

function expectProblem(res: Reply, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.code).toBe(code);
}

const slug = 'members';
let tenantId: string;
let admin: SignedIn;
const people: Record<string, SignedIn> = {};

async function member(name: string, role: Role): Promise<SignedIn> {
  const email = `${name}@${slug}.example`;
  const invited = await api('POST', '/v1/agents/invitations', { token: admin.token, payload: { email, role } });
  expectStatus(invited, 201);
  const url = String(invited.body.url);
  await accept(t, url.slice(url.indexOf('#') + 1), `Pablo ${name}`);
  const signedIn = await enroll(t, slug, email);
  people[name] = signedIn;
  return signedIn;
}

beforeAll(async () => {
  const created = await createTenant(t, slug, `admin@${slug}.example`);
  tenantId = created.tenantId;
  await accept(t, created.invitation, 'Marta Admin');
  admin = await enroll(t, slug, `admin@${slug}.example`);
  await member('agent', 'agent');
  await member('officer', 'security_officer');
  await member('admin2', 'tenant_admin');
});

const signInStatus = async (person: SignedIn) =>
  (await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: person.email, password: PASSWORD, kind: 'bearer' } })).status;

describe('roles', () => {
  it("changes an agent's role; the agent's open session carries the new role at once", async () => {
    const agent = people.agent as SignedIn;
    expect((await api('GET', '/v1/auth/session', { token: agent.token })).body.role).toBe('agent');
    const changed = await api('PUT', `/v1/agents/${agent.agentId}/role`, { token: admin.token, payload: { role: 'supervisor' } });
    expectStatus(changed, 200);
    expect((await api('GET', '/v1/auth/session', { token: agent.token })).body.role).toBe('supervisor');
    // Now a supervisor, the person may list agents (a supervisor's right)...
    expectStatus(await api('GET', '/v1/agents', { token: agent.token }), 200);
    // ...but not change roles: tenant administrators only, and never one's own.
    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/role`, { token: agent.token, payload: { role: 'tenant_admin' } }), 403, 'agents.forbidden');
    expectProblem(await api('PUT', `/v1/agents/${admin.agentId}/role`, { token: admin.token, payload: { role: 'agent' } }), 403, 'agents.forbidden');
    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/role`, { token: admin.token, payload: { role: 'root' } }), 400, 'request.invalid');
    expectStatus(await api('PUT', `/v1/agents/${agent.agentId}/role`, { token: admin.token, payload: { role: 'agent' } }), 200);
    expectProblem(await api('GET', '/v1/agents', { token: agent.token }), 403, 'agents.forbidden');
  });

  it('never leaves the contact center without an active tenant administrator', async () => {
    const admin2 = people.admin2 as SignedIn;
    const officer = people.officer as SignedIn;
    // admin2 demotes the first administrator: allowed, admin2 remains.
    expectStatus(await api('PUT', `/v1/agents/${admin.agentId}/role`, { token: admin2.token, payload: { role: 'supervisor' } }), 200);
    // The security officer cannot suspend the last one...
    expectProblem(await api('POST', `/v1/agents/${admin2.agentId}/suspend`, { token: officer.token }), 409, 'agents.last_admin');
    expectStatus(await api('GET', '/v1/auth/session', { token: admin2.token }), 200);
    // ...and admin2 restores the first one.
    expectStatus(await api('PUT', `/v1/agents/${admin.agentId}/role`, { token: admin2.token, payload: { role: 'tenant_admin' } }), 200);
    expect((await api('GET', '/v1/auth/session', { token: admin.token })).body.role).toBe('tenant_admin');
  });
});

describe('suspension', () => {
  it('the day someone leaves: every session ends at once and sign-in is refused, until reactivated', async () => {
    const agent = people.agent as SignedIn;
    const officer = people.officer as SignedIn;
    expectStatus(await api('GET', '/v1/auth/session', { token: agent.token }), 200);
    expectProblem(await api('POST', `/v1/agents/${agent.agentId}/suspend`, { token: agent.token }), 403, 'agents.forbidden');
    expectProblem(await api('POST', `/v1/agents/${officer.agentId}/suspend`, { token: officer.token }), 403, 'agents.forbidden');

    const suspended = await api('POST', `/v1/agents/${agent.agentId}/suspend`, { token: officer.token });
    expectStatus(suspended, 200);
    expect(suspended.body.sessionsRevoked).toBeGreaterThanOrEqual(1);
    expectProblem(await api('GET', '/v1/auth/session', { token: agent.token }), 401, 'agents.unauthenticated');
    expect(await signInStatus(agent)).toBe(401);
    // Suspending twice changes nothing.
    expect((await api('POST', `/v1/agents/${agent.agentId}/suspend`, { token: officer.token })).body.sessionsRevoked).toBe(0);
    const listed = await api('GET', '/v1/agents', { token: admin.token });
    expect(listed.body.agents).toContainEqual(expect.objectContaining({ id: agent.agentId, status: 'suspended' }));

    // Only a tenant administrator reactivates.
    expectProblem(await api('POST', `/v1/agents/${agent.agentId}/reactivate`, { token: officer.token }), 403, 'agents.forbidden');
    expectStatus(await api('POST', `/v1/agents/${agent.agentId}/reactivate`, { token: admin.token }), 204);
    expect(await signInStatus(agent)).toBe(200);
    // The old session stays revoked.
    expectProblem(await api('GET', '/v1/auth/session', { token: agent.token }), 401, 'agents.unauthenticated');
  });

  it('a member of another contact center is not found', async () => {
    const other = await createTenant(t, 'members-other', 'admin@members-other.example');
    await accept(t, other.invitation, 'Otra Admin');
    const stranger = await enroll(t, 'members-other', 'admin@members-other.example');
    expectProblem(await api('POST', `/v1/agents/${stranger.agentId}/suspend`, { token: admin.token }), 404, 'agents.not_found');
    expectProblem(await api('PUT', `/v1/agents/${stranger.agentId}/role`, { token: admin.token, payload: { role: 'agent' } }), 404, 'agents.not_found');
  });
});

describe('acknowledging alerts', () => {
  it('closes an alert, once, by someone other than its subject; the ledger keeps who', async () => {
    const agent = people.agent as SignedIn;
    const officer = people.officer as SignedIn;
    // A recovery code used to sign in raises an alert.
    const first = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer' } });
    const used = await api('POST', '/v1/auth/second-factor', { token: String(first.body.token), payload: { method: 'recovery', code: (agent as SignedIn & { recoveryCodes: string[] }).recoveryCodes[0] } });
    expectStatus(used, 200);
    const open = await api('GET', '/v1/security/alerts', { token: officer.token });
    const alert = (open.body.alerts as { id: string; kind: string; agentId: string }[]).find((a) => a.kind === 'agent.recovery_code.used' && a.agentId === agent.agentId);
    expect(alert).toBeDefined();

    // Agents do not acknowledge alerts.
    expectProblem(await api('POST', `/v1/security/alerts/${alert!.id}/acknowledge`, { token: String(used.body.token) }), 403, 'agents.forbidden');
    expectProblem(await api('POST', `/v1/security/alerts/${tenantId}/acknowledge`, { token: officer.token }), 404, 'agents.alert_not_found');
    expectStatus(await api('POST', `/v1/security/alerts/${alert!.id}/acknowledge`, { token: officer.token }), 204);
    expectStatus(await api('POST', `/v1/security/alerts/${alert!.id}/acknowledge`, { token: officer.token }), 204);
    const after = await api('GET', '/v1/security/alerts', { token: officer.token });
    expect((after.body.alerts as { id: string }[]).map((a) => a.id)).not.toContain(alert!.id);

    await t.ctx.ledger.sequenceAll(tenantId);
    const entries = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).where('action', '=', 'security.alert.acknowledge').execute());
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.entry)).toMatchObject({ actor: { type: 'agent', id: officer.agentId }, targets: { alert: alert!.id } });

    // An alert about an administrator is for someone else to close.
    const adminFirst = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: admin.email, password: PASSWORD, kind: 'bearer' } });
    const adminUsed = await api('POST', '/v1/auth/second-factor', { token: String(adminFirst.body.token), payload: { method: 'recovery', code: (admin as SignedIn & { recoveryCodes: string[] }).recoveryCodes[0] } });
    expectStatus(adminUsed, 200);
    const aboutAdmin = ((await api('GET', '/v1/security/alerts', { token: officer.token })).body.alerts as { id: string; agentId: string }[]).find((a) => a.agentId === admin.agentId);
    expect(aboutAdmin).toBeDefined();
    expectProblem(await api('POST', `/v1/security/alerts/${aboutAdmin!.id}/acknowledge`, { token: String(adminUsed.body.token) }), 403, 'agents.forbidden');
    expectStatus(await api('POST', `/v1/security/alerts/${aboutAdmin!.id}/acknowledge`, { token: officer.token }), 204);

    const actions = (await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select('action').execute())).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['agent.role.change', 'agent.membership.suspend', 'agent.membership.reactivate']));
  });
});
