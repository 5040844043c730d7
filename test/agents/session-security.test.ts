/**
 * Attacks on agent sessions, over the real API on the real database, with a fixed clock that the
 * tests move instead of waiting: idle, manual and presence locks, shifts and overtime, training
 * and code of conduct, password and TOTP guessing, revocation, tenant isolation and session
 * fixation. TOTP codes come from `oathtool` (see helpers.ts), never from our own code.
 *
 * One application for the whole file; each block sets up its own contact center (tenant), so
 * the settings one block changes cannot leak into another. The clock starts on Monday
 * 2026-11-23 at 09:00Z (04:00 in Bogotá), and the shift block runs first, while it is still
 * night in Bogotá.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/agents/roles.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, oathtool, PASSWORD, signIn, signInPassword, type SignedIn } from './helpers.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

// ---------------------------------------------------------------------------------------------
// Helpers

type Body = Record<string, unknown>;

interface Reply {
  readonly status: number;
  readonly body: Body;
  readonly headers: Record<string, string | string[] | number | undefined>;
}

interface CallOptions {
  readonly token?: string;
  readonly payload?: object;
  readonly headers?: Record<string, string>;
  readonly remoteAddress?: string;
}

async function api(method: 'GET' | 'POST' | 'PUT', url: string, options: CallOptions = {}): Promise<Reply> {
  const res = await t.app.inject({
    method,
    url,
    headers: { ...(options.token === undefined ? {} : bearerOf(options.token)), ...options.headers },
    ...(options.payload === undefined ? {} : { payload: options.payload }),
    ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
  });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Body) : {}, headers: res.headers };
}

function expectProblem(res: Reply, status: number, code: string, extra: Body = {}): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ code, ...extra });
}

function expectStatus(res: Reply, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

const dataAccess = (token: string) => api('GET', '/v1/auth/data-access', { token });
const currentSession = (token: string) => api('GET', '/v1/auth/session', { token });
const heartbeat = (token: string, present: boolean, faces: number) => api('POST', '/v1/auth/presence', { token, payload: { present, faces } });
const presentTotp = (token: string, code: string) => api('POST', '/v1/auth/second-factor', { token, payload: { method: 'totp', code } });
const putSettings = (token: string, settings: Body) => api('PUT', '/v1/security/settings', { token, payload: settings });

async function sessionIdOf(token: string): Promise<string> {
  const res = await currentSession(token);
  expectStatus(res, 200);
  return String(res.body.id);
}

/** A six-digit code that is none of the codes valid at `at` (the step before, at and after). */
function wrongCode(secret: string, at: Date): string {
  const valid = new Set([-30 * SECOND, 0, 30 * SECOND].map((d) => oathtool(secret, new Date(at.getTime() + d))));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

function isoIn(ms: number): string {
  return new Date(t.clock.now().getTime() + ms).toISOString();
}

/** The `name=value` part of the session cookie a response sets. */
function cookieOf(res: Reply): string {
  const header = String(res.headers['set-cookie']);
  expect(header).toMatch(/^__Host-custodia_session=cses_[A-Za-z0-9_-]{64};/);
  return header.split(';')[0] as string;
}

interface Tenant {
  readonly id: string;
  readonly slug: string;
  readonly admin: SignedIn;
  readonly members: Record<string, SignedIn>;
}

/** Invites a person through the API (tenant admin) and returns the token after `#` in the link. */
async function invite(adminToken: string, email: string, role: Role): Promise<string> {
  const res = await api('POST', '/v1/agents/invitations', { token: adminToken, payload: { email, role } });
  expectStatus(res, 201);
  const url = String(res.body.url);
  expect(url).toContain('#');
  return url.slice(url.indexOf('#') + 1);
}

/** A contact center with its first member (tenant admin) and the members given, all with TOTP. */
async function setUpTenant(slug: string, members: Record<string, Role> = {}): Promise<Tenant> {
  const adminEmail = `admin@${slug}.example`;
  const created = await createTenant(t, slug, adminEmail);
  await accept(t, created.invitation, 'Marta Admin');
  const admin = await enroll(t, slug, adminEmail);
  const signedIn: Record<string, SignedIn> = {};
  for (const [name, role] of Object.entries(members)) {
    const email = `${name}@${slug}.example`;
    await accept(t, await invite(admin.token, email, role), `Pablo ${name}`);
    signedIn[name] = await enroll(t, slug, email);
  }
  return { id: created.tenantId, slug, admin, members: signedIn };
}

function member(tenant: Tenant, name: string): SignedIn {
  const found = tenant.members[name];
  if (found === undefined) throw new Error(`no member ${name}`);
  return found;
}

async function recordTraining(managerToken: string, agentId: string, body: { course?: string; completedAt: string; expiresAt: string }): Promise<void> {
  const res = await api('POST', `/v1/agents/${agentId}/training`, { token: managerToken, payload: { course: 'security_awareness', ...body } });
  expectStatus(res, 201);
}

async function ledger(tenantId: string): Promise<{ action: string; entry: { targets?: Record<string, string>; details?: Record<string, unknown> } }[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).orderBy('seq').execute());
  return rows.map((r) => ({ action: r.action, entry: JSON.parse(r.entry) as { targets?: Record<string, string>; details?: Record<string, unknown> } }));
}

async function alertsOf(token: string): Promise<{ kind: string; agentId: string | null; details: Body }[]> {
  const res = await api('GET', '/v1/security/alerts', { token });
  expectStatus(res, 200);
  return res.body.alerts as { kind: string; agentId: string | null; details: Body }[];
}

// ---------------------------------------------------------------------------------------------
// Shifts (first: the clock must still be at night in Bogotá)

describe('shifts: no customer data outside the shift', () => {
  let tenant: Tenant;
  let agent: SignedIn;
  let supervisor: SignedIn;
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
  const schedule = { timeZone: 'America/Bogota', weekly: Object.fromEntries(weekdays.map((day) => [day, [{ start: '08:00', end: '17:00' }]])) };

  beforeAll(async () => {
    tenant = await setUpTenant('shifts', { sup: 'supervisor', agent: 'agent' });
    agent = member(tenant, 'agent');
    supervisor = member(tenant, 'sup');
    // Valid training, so that only the shift decides here.
    await recordTraining(tenant.admin.token, agent.agentId, { completedAt: '2026-11-01T00:00:00.000Z', expiresAt: '2027-11-01T00:00:00.000Z' });
  });

  // Attack: an agent (or a stolen session) reading customer data at night, outside their shift.
  it('refuses data access outside the schedule (Monday 04:00 in Bogotá)', async () => {
    expect(t.clock.now().getTime()).toBeLessThan(Date.parse('2026-11-23T13:00:00Z'));
    const before = await dataAccess(agent.token);
    expectStatus(before, 200);
    expect(before.body).toMatchObject({ allowed: true, shift: 'no_schedule' });

    const put = await api('PUT', `/v1/agents/${agent.agentId}/shift`, { token: tenant.admin.token, payload: { schedule } });
    expectStatus(put, 204);
    // 08:00 in Bogotá (UTC-5) is 13:00Z: that is when the refusal ends.
    expectProblem(await dataAccess(agent.token), 403, 'agents.off_shift', { reason: 'off_shift', until: '2026-11-23T13:00:00.000Z' });
  });

  // Attack: an agent granting themselves overtime, or widening their own shift.
  it('an agent cannot grant overtime nor set a shift', async () => {
    expectProblem(await api('POST', `/v1/agents/${agent.agentId}/overtime`, { token: agent.token, payload: { minutes: 60 } }), 403, 'agents.forbidden');
    const allDay = { timeZone: 'America/Bogota', weekly: { mon: [{ start: '00:00', end: '24:00' }] } };
    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/shift`, { token: agent.token, payload: { schedule: allDay } }), 403, 'agents.forbidden');
    expectProblem(await dataAccess(agent.token), 403, 'agents.off_shift');
  });

  it("a supervisor's overtime opens access for exactly the minutes granted", async () => {
    const granted = await api('POST', `/v1/agents/${agent.agentId}/overtime`, { token: supervisor.token, payload: { minutes: 60 } });
    expectStatus(granted, 201);
    const until = isoIn(60 * MINUTE);
    expect(granted.body.until).toBe(until);

    const open = await dataAccess(agent.token);
    expectStatus(open, 200);
    expect(open.body).toMatchObject({ allowed: true, shift: 'overtime', shiftUntil: until });
    // Working through the hour (a request every 10 minutes keeps the idle lock away).
    for (let i = 0; i < 5; i++) {
      t.clock.advance(10 * MINUTE);
      const during = await dataAccess(agent.token);
      expectStatus(during, 200);
      expect(during.body.shift).toBe('overtime');
    }
    t.clock.advance(11 * MINUTE);
    expectProblem(await dataAccess(agent.token), 403, 'agents.off_shift', { reason: 'off_shift' });
  });

  it('the same schedule allows access inside the shift (08:00 in Bogotá)', async () => {
    // signIn moves the clock 30 s forward first: this lands exactly on 13:00:00Z.
    t.clock.advance(Date.parse('2026-11-23T13:00:00Z') - 30 * SECOND - t.clock.now().getTime());
    const token = await signIn(t, tenant.slug, agent.email, agent.secret);
    expect(t.clock.now().toISOString()).toBe('2026-11-23T13:00:00.000Z');
    const open = await dataAccess(token);
    expectStatus(open, 200);
    expect(open.body).toMatchObject({ allowed: true, shift: 'on_shift', shiftUntil: '2026-11-23T22:00:00.000Z' });
  });

  it('refuses an invalid schedule (400 agents.invalid_shift_schedule) and keeps the stored one', async () => {
    const admin = await signIn(t, tenant.slug, tenant.admin.email, tenant.admin.secret);
    const overlapping = { timeZone: 'America/Bogota', weekly: { mon: [{ start: '08:00', end: '17:00' }, { start: '12:00', end: '20:00' }] } };
    const a = await api('PUT', `/v1/agents/${agent.agentId}/shift`, { token: admin, payload: { schedule: overlapping } });
    expectProblem(a, 400, 'agents.invalid_shift_schedule');
    expect(a.body.errors).toContainEqual(expect.objectContaining({ path: 'weekly.mon.1' }));
    const unknownZone = { timeZone: 'Mars/Olympus_Mons', weekly: { mon: [{ start: '08:00', end: '17:00' }] } };
    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/shift`, { token: admin, payload: { schedule: unknownZone } }), 400, 'agents.invalid_shift_schedule');
    const offset = { timeZone: '+01:00', weekly: {} };
    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/shift`, { token: admin, payload: { schedule: offset } }), 400, 'agents.invalid_shift_schedule');
    const badTime = { timeZone: 'America/Bogota', weekly: { tue: [{ start: '8:00', end: '25:00' }] } };
    expectProblem(await api('PUT', `/v1/agents/${agent.agentId}/shift`, { token: admin, payload: { schedule: badTime } }), 400, 'agents.invalid_shift_schedule');

    const token = await signIn(t, tenant.slug, agent.email, agent.secret);
    const still = await dataAccess(token);
    expectStatus(still, 200);
    expect(still.body.shift).toBe('on_shift');
  });
});

// ---------------------------------------------------------------------------------------------
// Training and code of conduct

describe('training and code of conduct', () => {
  let tenant: Tenant;
  let agent: SignedIn;

  beforeAll(async () => {
    tenant = await setUpTenant('training', { agent: 'agent' });
    agent = member(tenant, 'agent');
  });

  // Attack: an untrained agent (or one whose training lapsed) reaching customer data.
  it('refuses an agent without the security training, until a manager records it, and again once it expires', async () => {
    // Default settings require security_awareness.
    expectProblem(await dataAccess(agent.token), 403, 'agents.training_required', { course: 'security_awareness' });
    // Attack: the agent certifying themselves.
    expectProblem(
      await api('POST', `/v1/agents/${agent.agentId}/training`, { token: agent.token, payload: { course: 'security_awareness', completedAt: isoIn(-MINUTE), expiresAt: isoIn(365 * 24 * 60 * MINUTE) } }),
      403,
      'agents.forbidden',
    );
    // Another course, or one "completed" tomorrow, does not count.
    await recordTraining(tenant.admin.token, agent.agentId, { course: 'first_aid', completedAt: isoIn(-MINUTE), expiresAt: isoIn(365 * 24 * 60 * MINUTE) });
    await recordTraining(tenant.admin.token, agent.agentId, { completedAt: isoIn(24 * 60 * MINUTE), expiresAt: isoIn(365 * 24 * 60 * MINUTE) });
    expectProblem(await dataAccess(agent.token), 403, 'agents.training_required', { course: 'security_awareness' });

    const expiresAt = isoIn(10 * MINUTE);
    await recordTraining(tenant.admin.token, agent.agentId, { completedAt: isoIn(-30 * 24 * 60 * MINUTE), expiresAt });
    const open = await dataAccess(agent.token);
    expectStatus(open, 200);
    expect(open.body).toMatchObject({ allowed: true, trainingValidUntil: expiresAt });

    t.clock.advance(10 * MINUTE - SECOND);
    expectStatus(await dataAccess(agent.token), 200);
    t.clock.advance(2 * SECOND);
    expectProblem(await dataAccess(agent.token), 403, 'agents.training_required', { course: 'security_awareness' });

    // Renewed: access again.
    await recordTraining(tenant.admin.token, agent.agentId, { completedAt: isoIn(-MINUTE), expiresAt: '2027-06-30T00:00:00.000Z' });
    const renewed = await dataAccess(agent.token);
    expectStatus(renewed, 200);
    expect(renewed.body.trainingValidUntil).toBe('2027-06-30T00:00:00.000Z');
  });

  it('refuses until the agent acknowledges the current code-of-conduct version', async () => {
    const set = await putSettings(tenant.admin.token, { conductVersion: 'v1' });
    expectStatus(set, 200);
    expect(set.body).toMatchObject({ conductVersion: 'v1', requiredCourses: ['security_awareness'] });
    expectProblem(await dataAccess(agent.token), 403, 'agents.training_required', { conductVersion: 'v1' });
    // Acknowledging another version does not count.
    expectStatus(await api('POST', '/v1/auth/conduct', { token: agent.token, payload: { version: 'v0' } }), 204);
    expectProblem(await dataAccess(agent.token), 403, 'agents.training_required', { conductVersion: 'v1' });
    expectStatus(await api('POST', '/v1/auth/conduct', { token: agent.token, payload: { version: 'v1' } }), 204);
    expectStatus(await dataAccess(agent.token), 200);
    // A new version must be acknowledged again.
    expectStatus(await putSettings(tenant.admin.token, { conductVersion: 'v2' }), 200);
    expectProblem(await dataAccess(agent.token), 403, 'agents.training_required', { conductVersion: 'v2' });
    const actions = (await ledger(tenant.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['agent.training.record', 'agent.conduct.acknowledge', 'security.settings.update']));
  });
});

// ---------------------------------------------------------------------------------------------
// Locks: idle, manual, presence

describe('session locks', () => {
  let tenant: Tenant;
  let agent: SignedIn;

  beforeAll(async () => {
    tenant = await setUpTenant('locks', { agent: 'agent' });
    agent = member(tenant, 'agent');
    await recordTraining(tenant.admin.token, agent.agentId, { completedAt: '2026-11-01T00:00:00.000Z', expiresAt: '2027-11-01T00:00:00.000Z' });
  });

  const agentSignIn = () => signIn(t, tenant.slug, agent.email, agent.secret);
  const adminSignIn = () => signIn(t, tenant.slug, tenant.admin.email, tenant.admin.secret);

  // Attack: someone sitting down at a console its agent left unattended (PCI DSS 8.2.8).
  it('idle lock: 15 minutes without a request lock the session; 14:59 does not', async () => {
    const token = await agentSignIn();
    expectStatus(await dataAccess(token), 200);
    t.clock.advance(15 * MINUTE - SECOND);
    expectStatus(await dataAccess(token), 200);
    // That request was activity: the 15 minutes start again from it.
    t.clock.advance(15 * MINUTE - SECOND);
    expectStatus(await dataAccess(token), 200);
    t.clock.advance(15 * MINUTE);
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'idle' });
    const state = await currentSession(token);
    expectStatus(state, 200);
    expect(state.body).toMatchObject({ locked: true, lockReason: 'idle' });
    // Nothing else is served either.
    expectProblem(await api('POST', '/v1/auth/recovery-codes', { token }), 423, 'agents.session_locked');
  });

  it('unlocking needs a fresh TOTP code, and keeps the session token', async () => {
    const token = await agentSignIn();
    const signInCode = oathtool(agent.secret, t.clock.now());
    const id = await sessionIdOf(token);
    t.clock.advance(15 * MINUTE);
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'idle' });

    // Attack: the intruder tries a guessed code, then the code they watched the agent type at sign-in.
    expectProblem(await presentTotp(token, wrongCode(agent.secret, t.clock.now())), 401, 'agents.invalid_second_factor');
    expectProblem(await presentTotp(token, signInCode), 401, 'agents.invalid_second_factor');
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'idle' });

    const code = oathtool(agent.secret, t.clock.now());
    const unlocked = await presentTotp(token, code);
    expectStatus(unlocked, 200);
    expect(unlocked.body).toEqual({ unlocked: true });
    expect(unlocked.headers['set-cookie']).toBeUndefined();
    // The unlock code cannot be replayed once the session locks again. (On an open session a
    // code is not even checked: there is nothing to prove, and nothing is consumed.)
    expectStatus(await dataAccess(token), 200);
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/lock', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(204);
    expectProblem(await presentTotp(token, code), 401, 'agents.second_factor_replayed');
    t.clock.advance(30 * SECOND);
    expect((await presentTotp(token, oathtool(agent.secret, t.clock.now()))).body).toEqual({ unlocked: true });

    expectStatus(await dataAccess(token), 200);
    const state = await currentSession(token);
    expect(state.body).toMatchObject({ id, locked: false, lockReason: null });
  });

  // Attack: a webcam daemon (or a script) keeping the session open while nobody works.
  it('presence heartbeats are not activity: they do not hold off the idle lock', async () => {
    const token = await agentSignIn();
    expectStatus(await dataAccess(token), 200);
    for (const step of [5 * MINUTE, 5 * MINUTE, 5 * MINUTE - SECOND]) {
      t.clock.advance(step);
      const beat = await heartbeat(token, true, 1);
      expectStatus(beat, 200);
      expect(beat.body).toEqual({ locked: false, lockReason: null });
    }
    t.clock.advance(SECOND);
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'idle' });
  });

  it('a tenant cannot set the idle lock above 15 minutes, but may lower it', async () => {
    const admin = await adminSignIn();
    const tooLong = await putSettings(admin, { idleLockMinutes: 16 });
    expectProblem(tooLong, 400, 'request.invalid');
    expect(tooLong.body.errors).toContainEqual(expect.objectContaining({ path: 'body.idleLockMinutes' }));
    const kept = await api('GET', '/v1/security/settings', { token: admin });
    expectStatus(kept, 200);
    expect(kept.body.idleLockMinutes).toBe(15);

    const lowered = await putSettings(admin, { idleLockMinutes: 5 });
    expectStatus(lowered, 200);
    expect(lowered.body.idleLockMinutes).toBe(5);

    const token = await agentSignIn();
    expectStatus(await dataAccess(token), 200);
    t.clock.advance(5 * MINUTE - SECOND);
    expectStatus(await dataAccess(token), 200);
    t.clock.advance(5 * MINUTE);
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'idle' });

    expectStatus(await putSettings(await adminSignIn(), {}), 200);
  });

  it('lock now: the agent locks the session by hand', async () => {
    const token = await agentSignIn();
    expectStatus(await dataAccess(token), 200);
    expectStatus(await api('POST', '/v1/auth/lock', { token }), 204);
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'manual' });
    const state = await currentSession(token);
    expectStatus(state, 200);
    expect(state.body).toMatchObject({ signedIn: true, locked: true, lockReason: 'manual' });
    // Stored, not only in this process's cache.
    t.clock.advance(2 * SECOND);
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'manual' });
  });

  // Attack: the agent walks away (or someone else sits down, or looks over their shoulder).
  it('presence: present heartbeats keep the session open, 31 s without one locks it, and a second face locks it at once', async () => {
    expectStatus(await putSettings(await adminSignIn(), { presence: { required: true, absenceSeconds: 30, forbidMultipleFaces: true } }), 200);
    const token = await agentSignIn();
    expect((await heartbeat(token, true, 1)).body).toEqual({ locked: false, lockReason: null });
    t.clock.advance(20 * SECOND);
    expect((await heartbeat(token, true, 1)).body).toEqual({ locked: false, lockReason: null });
    t.clock.advance(20 * SECOND);
    // 40 s after sign-in, 20 s after the last present heartbeat.
    expectStatus(await dataAccess(token), 200);
    // The camera sees nobody: not presence.
    expect((await heartbeat(token, false, 0)).body).toEqual({ locked: false, lockReason: null });
    t.clock.advance(11 * SECOND);
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'presence' });

    const unlocked = await presentTotp(token, oathtool(agent.secret, t.clock.now()));
    expect(unlocked.body).toEqual({ unlocked: true });
    expectStatus(await dataAccess(token), 200);

    const twoFaces = await heartbeat(token, true, 2);
    expectStatus(twoFaces, 200);
    expect(twoFaces.body).toEqual({ locked: true, lockReason: 'multiple_faces' });
    expectProblem(await dataAccess(token), 423, 'agents.session_locked', { reason: 'multiple_faces' });

    expectStatus(await putSettings(await adminSignIn(), {}), 200);
  });

  it('records every lock (with its reason) and unlock in the ledger', async () => {
    const entries = await ledger(tenant.id);
    const reasons = entries.filter((e) => e.action === 'agent.session.lock').map((e) => e.entry.details?.reason);
    expect(new Set(reasons)).toEqual(new Set(['idle', 'manual', 'presence', 'multiple_faces']));
    expect(entries.filter((e) => e.action === 'agent.session.unlock').length).toBeGreaterThanOrEqual(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Brute force

describe('guessing passwords and codes', () => {
  let tenant: Tenant;
  let victim: SignedIn;
  const VICTIM_ADDRESS = '192.0.2.10';
  let next = 0;
  /** The attacker rotates source addresses: the per-account back-off must bite regardless. */
  const attackerAddress = () => `198.51.100.${++next}`;

  beforeAll(async () => {
    tenant = await setUpTenant('brute', { victim: 'agent' });
    victim = member(tenant, 'victim');
  });

  const attempt = (password: string, remoteAddress: string) =>
    api('POST', '/v1/auth/sign-in', { payload: { tenant: tenant.slug, email: victim.email, password, kind: 'bearer' }, remoteAddress });

  function expectTooMany(res: Reply, retryAfter: string): void {
    expectProblem(res, 429, 'agents.too_many_attempts');
    expect(res.headers['retry-after']).toBe(retryAfter);
  }

  // Attack: online password guessing against one account, from many addresses.
  it('backs off after 5 wrong passwords (even the right password waits), alerts after 10', async () => {
    for (let i = 1; i <= 5; i++) expectProblem(await attempt(`guess number ${i} of many`, attackerAddress()), 401, 'agents.invalid_credentials');
    // Threshold reached: 1 s back-off, for everyone, the right password included.
    expectTooMany(await attempt(PASSWORD, VICTIM_ADDRESS), '1');
    expectTooMany(await attempt('guess number 6 of many', attackerAddress()), '1');
    t.clock.advance(SECOND);
    // The back-off doubles with every further failure: 2, 4, 8, 16 s.
    let failures = 5;
    for (const backoff of [2, 4, 8, 16]) {
      expectProblem(await attempt(`guess number ${++failures} of many`, attackerAddress()), 401, 'agents.invalid_credentials');
      expectTooMany(await attempt(PASSWORD, VICTIM_ADDRESS), String(backoff));
      t.clock.advance(backoff * SECOND - 1);
      expectTooMany(await attempt(PASSWORD, VICTIM_ADDRESS), '1');
      t.clock.advance(1);
    }
    expect(failures).toBe(9);
    expect((await alertsOf(tenant.admin.token)).map((a) => a.kind)).not.toContain('agent.login.failures');

    expectProblem(await attempt('guess number 10 of many', attackerAddress()), 401, 'agents.invalid_credentials');
    expectTooMany(await attempt(PASSWORD, VICTIM_ADDRESS), '32');
    const alerts = await alertsOf(tenant.admin.token);
    expect(alerts).toContainEqual(expect.objectContaining({ kind: 'agent.login.failures', agentId: victim.agentId, details: { failures: 10 } }));
    // The victim (an agent) does not see security alerts.
    expectProblem(await api('GET', '/v1/security/alerts', { token: victim.token }), 403, 'agents.forbidden');
    const entries = await ledger(tenant.id);
    const raised = entries.filter((e) => e.action === 'security.alert.raise' && e.entry.details?.kind === 'agent.login.failures');
    expect(raised).toHaveLength(1);
    expect(raised[0]?.entry).toMatchObject({ targets: { agent: victim.agentId }, details: { kind: 'agent.login.failures', failures: 10 } });
    expect(JSON.stringify(entries)).not.toContain(victim.email);
    expect(JSON.stringify(entries)).not.toContain('guess number');

    t.clock.advance(32 * SECOND);
    const ok = await attempt(PASSWORD, VICTIM_ADDRESS);
    expectStatus(ok, 200);
    expect(ok.body.next).toBe('second_factor');
    // A success forgets the failures: one more wrong password is a plain 401 again.
    expectProblem(await attempt('guess number 11 of many', attackerAddress()), 401, 'agents.invalid_credentials');
    expectStatus(await attempt(PASSWORD, VICTIM_ADDRESS), 200);
  });

  // Attack: someone who has the password guessing the six-digit code.
  it('backs off after 5 wrong TOTP codes (the right code and unlocking wait too), alerts after 10', async () => {
    const fullSession = await signIn(t, tenant.slug, victim.email, victim.secret);
    expectStatus(await api('POST', '/v1/auth/lock', { token: fullSession }), 204);
    const first = await signInPassword(t, tenant.slug, victim.email);
    expect(first.next).toBe('second_factor');
    for (let i = 0; i < 5; i++) expectProblem(await presentTotp(first.token, wrongCode(victim.secret, t.clock.now())), 401, 'agents.invalid_second_factor');
    expectTooMany(await presentTotp(first.token, oathtool(victim.secret, t.clock.now())), '1');
    // The same counter guards unlocking a locked session of the same agent.
    expectTooMany(await presentTotp(fullSession, oathtool(victim.secret, t.clock.now())), '1');
    t.clock.advance(SECOND);
    for (const backoff of [2, 4, 8, 16]) {
      expectProblem(await presentTotp(first.token, wrongCode(victim.secret, t.clock.now())), 401, 'agents.invalid_second_factor');
      expectTooMany(await presentTotp(first.token, oathtool(victim.secret, t.clock.now())), String(backoff));
      t.clock.advance(backoff * SECOND);
    }
    expect((await alertsOf(tenant.admin.token)).map((a) => a.kind)).not.toContain('agent.second_factor.failures');
    expectProblem(await presentTotp(first.token, wrongCode(victim.secret, t.clock.now())), 401, 'agents.invalid_second_factor');
    expectTooMany(await presentTotp(first.token, oathtool(victim.secret, t.clock.now())), '32');
    expect(await alertsOf(tenant.admin.token)).toContainEqual(expect.objectContaining({ kind: 'agent.second_factor.failures', agentId: victim.agentId, details: { failures: 10 } }));

    t.clock.advance(32 * SECOND);
    const done = await presentTotp(first.token, oathtool(victim.secret, t.clock.now()));
    expectStatus(done, 200);
    expect((await currentSession(String(done.body.token))).body).toMatchObject({ signedIn: true, factor: 'totp' });
  });
});

// ---------------------------------------------------------------------------------------------
// Revocation

describe('revoking sessions', () => {
  let tenant: Tenant;
  let agent: SignedIn;
  let other: SignedIn;

  beforeAll(async () => {
    tenant = await setUpTenant('revoke', { agent: 'agent', other: 'agent' });
    agent = member(tenant, 'agent');
    other = member(tenant, 'other');
  });

  // Attack: a stolen or abandoned session; the security officer pulls the plug.
  it("a security officer (here the tenant admin) revokes every session of an agent, refused at once", async () => {
    const second = await signIn(t, tenant.slug, agent.email, agent.secret);
    const passwordOnly = (await signInPassword(t, tenant.slug, agent.email)).token;
    const tokens = [agent.token, second, passwordOnly];
    // Each session is now in this process's cache.
    for (const token of tokens) expectStatus(await currentSession(token), 200);

    // Attack: an agent signing a colleague out.
    expectProblem(await api('POST', `/v1/agents/${agent.agentId}/sessions/revoke`, { token: other.token }), 403, 'agents.forbidden');

    const res = await api('POST', `/v1/agents/${agent.agentId}/sessions/revoke`, { token: tenant.admin.token });
    expectStatus(res, 200);
    expect(res.body).toEqual({ revoked: 3 });
    // Without moving the clock: the cache entries were dropped, not left to expire.
    for (const token of tokens) expectProblem(await currentSession(token), 401, 'agents.unauthenticated');
    expectProblem(await dataAccess(second), 401, 'agents.unauthenticated');
    expectStatus(await currentSession(other.token), 200);
    const revocation = (await ledger(tenant.id)).find((e) => e.action === 'agent.session.revoke' && e.entry.details?.reason === 'security_officer');
    expect(revocation?.entry).toMatchObject({ targets: { agent: agent.agentId }, details: { count: 3 } });

    // Revoking sessions is not suspending the agent: signing in again works.
    expectStatus(await currentSession(await signIn(t, tenant.slug, agent.email, agent.secret)), 200);
  });

  it("an agent lists own sessions and revokes one by id, but not another agent's", async () => {
    const a = await signIn(t, tenant.slug, agent.email, agent.secret);
    const b = await signIn(t, tenant.slug, agent.email, agent.secret);
    const p = (await signInPassword(t, tenant.slug, agent.email)).token;
    const [aId, bId, pId, otherId] = [await sessionIdOf(a), await sessionIdOf(b), await sessionIdOf(p), await sessionIdOf(other.token)];

    const listOf = async (token: string) => {
      const res = await api('GET', '/v1/auth/sessions', { token });
      expectStatus(res, 200);
      return res.body.sessions as { id: string; current: boolean }[];
    };
    const list = await listOf(a);
    const ids = list.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining([aId, bId]));
    expect(ids).not.toContain(pId); // unfinished sign-ins are not sessions yet
    expect(ids).not.toContain(otherId);
    expect(list.find((s) => s.id === aId)?.current).toBe(true);
    expect(list.find((s) => s.id === bId)?.current).toBe(false);

    // Attack: revoking a colleague's session by its id.
    expectProblem(await api('POST', `/v1/auth/sessions/${otherId}/revoke`, { token: a }), 404, 'agents.session_not_found');
    expectStatus(await currentSession(other.token), 200);
    expectProblem(await api('POST', `/v1/auth/sessions/${randomUUID()}/revoke`, { token: a }), 404, 'agents.session_not_found');

    expectStatus(await api('POST', `/v1/auth/sessions/${bId}/revoke`, { token: a }), 204);
    expectProblem(await currentSession(b), 401, 'agents.unauthenticated');
    expectStatus(await currentSession(a), 200);
    expect((await listOf(a)).map((s) => s.id)).not.toContain(bId);
  });
});

// ---------------------------------------------------------------------------------------------
// Tenant isolation

describe('tenant isolation', () => {
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    a = await setUpTenant('iso-a');
    b = await setUpTenant('iso-b', { agent: 'agent' });
  });

  // Attack: an administrator of one contact center acting on another's agents by id.
  it("a session of tenant A cannot act on an agent of tenant B (404 agents.not_found)", async () => {
    const target = member(b, 'agent');
    const token = a.admin.token;
    expectProblem(await api('POST', `/v1/agents/${target.agentId}/sessions/revoke`, { token }), 404, 'agents.not_found');
    const schedule = { timeZone: 'America/Bogota', weekly: { mon: [{ start: '08:00', end: '09:00' }] } };
    expectProblem(await api('PUT', `/v1/agents/${target.agentId}/shift`, { token, payload: { schedule } }), 404, 'agents.not_found');
    expectProblem(
      await api('POST', `/v1/agents/${target.agentId}/training`, { token, payload: { course: 'security_awareness', completedAt: isoIn(-MINUTE), expiresAt: isoIn(60 * MINUTE) } }),
      404,
      'agents.not_found',
    );
    const listed = await api('GET', '/v1/agents', { token });
    expectStatus(listed, 200);
    expect((listed.body.agents as { id: string }[]).map((x) => x.id)).not.toContain(target.agentId);
    expectProblem(await api('POST', `/v1/auth/sessions/${await sessionIdOf(target.token)}/revoke`, { token }), 404, 'agents.session_not_found');

    // Nothing happened in B: the session lives, no training was recorded.
    expectStatus(await currentSession(target.token), 200);
    expectProblem(await dataAccess(target.token), 403, 'agents.training_required');
  });

  // Attack: taking one's own session token and pointing its tenant part at another tenant.
  it('refuses a session token whose tenant bytes were changed (401)', async () => {
    const retarget = (token: string, tenantId: string): string => {
      const raw = Buffer.from(token.slice('cses_'.length), 'base64url');
      Buffer.from(tenantId.replace(/-/g, ''), 'hex').copy(raw, 0);
      return `cses_${raw.toString('base64url')}`;
    };
    // The rewriting itself is right: with A's own id it gives back the same, working token.
    expect(retarget(a.admin.token, a.id)).toBe(a.admin.token);
    expectStatus(await currentSession(retarget(a.admin.token, a.id)), 200);

    for (const forged of [retarget(a.admin.token, b.id), retarget(a.admin.token, randomUUID())]) {
      expect(forged).not.toBe(a.admin.token);
      expectProblem(await currentSession(forged), 401, 'agents.unauthenticated');
      expectProblem(await dataAccess(forged), 401, 'agents.unauthenticated');
      expectProblem(await api('GET', '/v1/agents', { token: forged }), 401, 'agents.unauthenticated');
    }
    // B's admin token with A's tenant bytes: refused as well.
    expectProblem(await currentSession(retarget(b.admin.token, a.id)), 401, 'agents.unauthenticated');
  });
});

// ---------------------------------------------------------------------------------------------
// Session fixation (cookies)

describe('session fixation', () => {
  let tenant: Tenant;

  beforeAll(async () => {
    tenant = await setUpTenant('fixation');
  });

  // Attack: a session cookie planted in the victim's browser before sign-in (session fixation)
  // must be worth nothing once the victim completes the sign-in.
  it('replaces the sign-in cookie after the second factor; the old cookie answers 401', async () => {
    t.clock.advance(30 * SECOND);
    const first = await api('POST', '/v1/auth/sign-in', { payload: { tenant: tenant.slug, email: tenant.admin.email, password: PASSWORD } });
    expectStatus(first, 200);
    expect(first.body.next).toBe('second_factor');
    const before = cookieOf(first);
    const csrfBefore = String(first.body.csrfToken);
    const code = oathtool(tenant.admin.secret, t.clock.now());

    // Cross-site request: the cookie travels, the CSRF token does not.
    expectProblem(await api('POST', '/v1/auth/second-factor', { headers: { cookie: before }, payload: { method: 'totp', code } }), 403, 'agents.csrf_failed');

    const done = await api('POST', '/v1/auth/second-factor', { headers: { cookie: before, 'x-csrf-token': csrfBefore }, payload: { method: 'totp', code } });
    expectStatus(done, 200);
    expect(done.body.token).toBeUndefined();
    const after = cookieOf(done);
    const csrfAfter = String(done.body.csrfToken);
    expect(after).not.toBe(before);
    expect(csrfAfter).not.toBe(csrfBefore);

    expectProblem(await api('GET', '/v1/auth/session', { headers: { cookie: before } }), 401, 'agents.unauthenticated');
    const now = await api('GET', '/v1/auth/session', { headers: { cookie: after } });
    expectStatus(now, 200);
    expect(now.body).toMatchObject({ signedIn: true, factor: 'totp', kind: 'console' });
    // The old CSRF token does not go with the new cookie either.
    expectProblem(await api('POST', '/v1/auth/sign-out', { headers: { cookie: after, 'x-csrf-token': csrfBefore } }), 403, 'agents.csrf_failed');
    expectStatus(await api('POST', '/v1/auth/sign-out', { headers: { cookie: after, 'x-csrf-token': csrfAfter } }), 204);
  });

  it('replaces the sign-in cookie after the first TOTP enrollment; the old cookie answers 401', async () => {
    const email = 'newbie@fixation.example';
    await accept(t, await invite(tenant.admin.token, email, 'agent'), 'Lucia Nueva');
    const first = await api('POST', '/v1/auth/sign-in', { payload: { tenant: tenant.slug, email, password: PASSWORD } });
    expectStatus(first, 200);
    expect(first.body.next).toBe('enroll');
    const before = cookieOf(first);
    const headers = { cookie: before, 'x-csrf-token': String(first.body.csrfToken) };
    const start = await api('POST', '/v1/auth/totp/enrollment', { headers });
    expectStatus(start, 200);
    const confirm = await api('POST', '/v1/auth/totp/enrollment/confirm', { headers, payload: { code: oathtool(String(start.body.secret), t.clock.now()) } });
    expectStatus(confirm, 200);
    const after = cookieOf(confirm);
    expect(after).not.toBe(before);
    expectProblem(await api('GET', '/v1/auth/session', { headers: { cookie: before } }), 401, 'agents.unauthenticated');
    expect((await api('GET', '/v1/auth/session', { headers: { cookie: after } })).body).toMatchObject({ signedIn: true, factor: 'totp' });
  });
});
