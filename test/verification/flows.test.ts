/**
 * Verification across the contact center: the IVR verifies before an agent picks up; the level
 * survives a transfer from chat to a voice agent; lockout with an alert and a ledger entry;
 * other tenants' ids answer like unknown ones; a crash after commit still sends (once); and no
 * code or contact appears in any agent-facing answer, log line or ledger entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerification } from '../../src/verification/index.js';
import { startSmsc, type TestSmsc } from '../channels/smsc.js';
import { signIn } from '../agents/helpers.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, expectProblem, expectStatus, person, type Reply, UNKNOWN_ID, withoutRequestId } from '../interactions/helpers.js';
import { actorOfApiKey } from '../../src/interactions/index.js';
import { EMAIL, lastSmsCode, openInteraction, PHONE, verificationCenter } from './helpers.js';

let smsc: TestSmsc;
let t: TestApp;
let cc: Awaited<ReturnType<typeof verificationCenter>>;
let other: Awaited<ReturnType<typeof verificationCenter>>;
/** Every body an agent or the IVR received, for the leak scan. */
const answers: string[] = [];
/** Every code the SMSC delivered. */
const codes: string[] = [];

beforeAll(async () => {
  smsc = await startSmsc({ systemId: 'custodia', password: 'smpp-pass' });
  t = await createTestApp({ env: { CUSTODIA_SMPP_URL: `smpp://custodia:smpp-pass@127.0.0.1:${smsc.port}?source=Custodia`, CUSTODIA_JOB_POLL_INTERVAL_MS: '0' } });
  cc = await verificationCenter(t, 'flows');
  other = await verificationCenter(t, 'othercc');
  for (const center of [cc, other]) expectStatus(await api(t, 'PUT', '/v1/verification/settings', { token: center.admin.token, payload: { sendsPerHour: 50, lockout: { failures: 6, windowMinutes: 60, lockMinutes: 30 } } }), 200);
}, 180_000);

afterAll(async () => {
  await t?.close();
  await smsc?.close();
});

async function call(method: 'GET' | 'POST', url: string, token: string, payload?: object): Promise<Reply> {
  const res = await api(t, method, url, { token, ...(payload === undefined ? {} : { payload }) });
  answers.push(JSON.stringify(res.body));
  return res;
}

async function smsCode(): Promise<string> {
  const { code } = lastSmsCode(smsc);
  codes.push(code);
  return code;
}

describe('the IVR and transfers', () => {
  it('lets the IVR verify a queued call before an agent picks up: the agent receives it verified', async () => {
    const interaction = await openInteraction(t, cc, cc.customerId);
    const started = await call('POST', '/v1/verifications', cc.verifierKey, { interactionId: interaction, targetLevel: 1 });
    expectStatus(started, 201);
    const id = String(started.body.id);
    expectStatus(await call('POST', `/v1/verifications/${id}/codes`, cc.verifierKey, { method: 'otp_sms' }), 202);
    const checked = await call('POST', `/v1/verifications/${id}/codes/check`, cc.verifierKey, { code: await smsCode() });
    expect(checked.body.passed).toBe(true);
    const ana = person(cc, 'ana');
    expectStatus(await api(t, 'POST', `/v1/interactions/${interaction}/assign`, { token: cc.platformKey, payload: { agentId: ana.agentId } }), 200);
    const picked = await api(t, 'POST', `/v1/interactions/${interaction}/state`, { token: ana.token, payload: { state: 'active' } });
    expectStatus(picked, 200);
    expect(picked.body.verificationLevel).toBe(1);
    // A session the agent starts at that level is verified at once: the caller is not asked again.
    const again = await call('POST', '/v1/verifications', ana.token, { interactionId: interaction, targetLevel: 1 });
    expect(again.body).toMatchObject({ state: 'verified', level: 1, next: [] });
  });

  it('keeps the level of a caller verified on a chat when the chat is transferred to a voice agent', async () => {
    const ana = person(cc, 'ana');
    const bea = person(cc, 'bea');
    const chat = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId, channel: 'chat' });
    const started = await call('POST', '/v1/verifications', ana.token, { interactionId: chat, targetLevel: 1 });
    const id = String(started.body.id);
    expectStatus(await call('POST', `/v1/verifications/${id}/codes`, ana.token, { method: 'otp_sms' }), 202);
    expect((await call('POST', `/v1/verifications/${id}/codes/check`, ana.token, { code: await smsCode() })).body.passed).toBe(true);
    const moved = await api(t, 'POST', `/v1/interactions/${chat}/transfer`, { token: ana.token, payload: { toAgentId: bea.agentId, toChannel: 'call' } });
    expectStatus(moved, 200);
    expect(moved.body).toMatchObject({ channel: 'call', assignedAgentId: bea.agentId, verificationLevel: 1 });
    // The voice agent sees the session (now theirs); the chat agent no longer does.
    const seen = await call('GET', `/v1/verifications/${id}`, bea.token);
    expect(seen.body).toMatchObject({ level: 1, state: 'verified' });
    expectProblem(await api(t, 'GET', `/v1/verifications/${id}`, { token: ana.token }), 404, 'verification.not_found');
  });

  it('resets nothing but stops the session when the interaction is linked to another customer', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const id = String((await call('POST', '/v1/verifications', ana.token, { interactionId: interaction })).body.id);
    const second = await t.ctx.db.withTenant(cc.tenantId, async (tx) => {
      const { createCustomer } = await import('../../src/customers/index.js');
      return (await createCustomer(tx, { vault: t.ctx.vault }, cc.tenantId, { customerNumber: 'FLOWS-2', fields: { phone: '+34699111222' } }, { type: 'system', id: 'test' }, t.clock.now())).id;
    });
    expectStatus(await api(t, 'POST', `/v1/interactions/${interaction}/customer`, { token: cc.platformKey, payload: { customerId: second } }), 200);
    expectProblem(await call('POST', `/v1/verifications/${id}/codes`, ana.token, { method: 'otp_sms' }), 409, 'verification.session_closed');
  });
});

describe('tenant isolation', () => {
  it("answers another tenant's session and interaction ids exactly like unknown ones", async () => {
    const ana = person(other, 'ana');
    const interaction = await openInteraction(t, other, other.customerId, { agentId: ana.agentId });
    const theirs = String((await call('POST', '/v1/verifications', ana.token, { interactionId: interaction })).body.id);
    const mine = person(cc, 'sup');
    for (const path of [`/v1/verifications/${theirs}`, `/v1/verifications/${theirs}/next`]) {
      const foreign = await api(t, 'GET', path, { token: mine.token });
      const unknown = await api(t, 'GET', path.replace(theirs, UNKNOWN_ID), { token: mine.token });
      expectProblem(foreign, 404, 'verification.not_found');
      expect(withoutRequestId(foreign)).toEqual(withoutRequestId(unknown));
    }
    const foreignSend = await api(t, 'POST', `/v1/verifications/${theirs}/codes`, { token: cc.verifierKey, payload: { method: 'otp_sms' } });
    expectProblem(foreignSend, 404, 'verification.not_found');
    const foreignStart = await api(t, 'POST', '/v1/verifications', { token: cc.verifierKey, payload: { interactionId: interaction } });
    const unknownStart = await api(t, 'POST', '/v1/verifications', { token: cc.verifierKey, payload: { interactionId: UNKNOWN_ID } });
    expect(withoutRequestId(foreignStart)).toEqual(withoutRequestId(unknownStart));
    expect(foreignStart.status).toBe(404);
  });

  it('refuses an API key without the verification:write scope', async () => {
    const interaction = await openInteraction(t, cc, cc.customerId);
    expectProblem(await api(t, 'POST', '/v1/verifications', { token: cc.platformKey, payload: { interactionId: interaction } }), 403, 'agents.forbidden');
  });
});

describe('sending through the job table', () => {
  it('still sends a code whose request committed when the process died before sending, and only once', async () => {
    // "Process A": commits the request but dies before its send (no dispatch on request).
    const a = createVerification({ config: t.ctx.config, db: t.ctx.db, clock: t.clock, vault: t.ctx.vault, logger: t.ctx.logger, bus: t.ctx.bus, dispatchOnRequest: false });
    const interaction = await openInteraction(t, cc, cc.customerId);
    const principal = { tenantId: cc.tenantId, keyId: '00000000-0000-4000-8000-000000000001', scopes: ['verification:write' as const] };
    const actor = actorOfApiKey(principal);
    const started = await a.service.start(actor, { interactionId: interaction, targetLevel: 1 });
    t.clock.advance(61_000);
    const before = smsc.submits().length;
    const queued = await a.service.sendCode(actor, started.id, 'otp_sms');
    expect(queued.code?.delivery).toBe('queued');
    expect(smsc.submits().length).toBe(before);
    await a.close();
    // "Process B" finds the job in the table and sends it; a second pass sends nothing more.
    const b = createVerification({ config: t.ctx.config, db: t.ctx.db, clock: t.clock, vault: t.ctx.vault, logger: t.ctx.logger, bus: t.ctx.bus });
    try {
      expect(await b.dispatcher.runPending()).toBe(1);
      expect(await b.dispatcher.runPending()).toBe(0);
      expect(smsc.submits().length).toBe(before + 1);
      const checked = await b.service.checkCode(actor, started.id, await smsCode());
      expect(checked.passed).toBe(true);
      // The sealed code left the job's payload once it was sent.
      const payloads = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('jobs').select('payload').where('kind', '=', 'verification.otp.send').execute());
      expect(payloads.every((p) => !('sealed' in p.payload))).toBe(true);
    } finally {
      await b.close();
    }
  });

  it('never sends again a code whose sender died mid-send (claim expired): delivery unknown', async () => {
    const a = createVerification({ config: t.ctx.config, db: t.ctx.db, clock: t.clock, vault: t.ctx.vault, logger: t.ctx.logger, bus: t.ctx.bus, dispatchOnRequest: false });
    const interaction = await openInteraction(t, cc, cc.customerId);
    const actor = actorOfApiKey({ tenantId: cc.tenantId, keyId: '00000000-0000-4000-8000-000000000001', scopes: ['verification:write'] });
    const started = await a.service.start(actor, { interactionId: interaction, targetLevel: 1 });
    t.clock.advance(61_000);
    await a.service.sendCode(actor, started.id, 'otp_sms');
    // The claim of a process that died between its claim and its outcome, two minutes ago.
    await t.ctx.db.withTenant(cc.tenantId, (tx) =>
      tx
        .updateTable('jobs')
        .set({ state: 'running', progress: JSON.stringify({ phase: 'sending', claim: '00000000-0000-4000-8000-0000000000aa', at: new Date(t.clock.now().getTime() - 1_000).toISOString() }) })
        .where('kind', '=', 'verification.otp.send')
        .where('state', '=', 'queued')
        .execute(),
    );
    const before = smsc.submits().length;
    // Within the lease: left to its claimant.
    await a.dispatcher.runPending();
    t.clock.advance(3 * 60_000);
    await a.dispatcher.runPending();
    expect(smsc.submits().length).toBe(before);
    const status = await a.service.status(actor, started.id);
    expect(status.code?.delivery).toBe('unknown');
    await a.close();
  });
});

/** Wrong codes in session `id`, `perCode` answers on each new code; the last answer. */
async function failCodes(id: string, perCode: readonly number[], token = person(cc, 'ana').token): Promise<Reply> {
  let last: Reply | undefined;
  for (const wrongAnswers of perCode) {
    t.clock.advance(61_000);
    expectStatus(await call('POST', `/v1/verifications/${id}/codes`, token, { method: 'otp_sms' }), 202);
    const code = await smsCode();
    const bad = code.split('').map((d) => String((Number(d) + 3) % 10)).join('');
    for (let i = 0; i < wrongAnswers; i += 1) {
      last = await call('POST', `/v1/verifications/${id}/codes/check`, token, { code: bad });
      expectStatus(last, 200);
    }
  }
  if (last === undefined) throw new Error('no answer');
  return last;
}

describe('lockout', () => {
  it('locks verification of the customer after too many failures, with an alert and ledger entries', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const id = String((await call('POST', '/v1/verifications', ana.token, { interactionId: interaction })).body.id);
    // Six failures lock (this suite's setting): five wrong answers exhaust a first code, one more
    // on a second code is the sixth.
    const last = await failCodes(id, [5, 1]);
    expect(last.body.passed).toBe(false);
    const status = last.body.status as { state: string; lockedUntil: string | null };
    expect(status.state).toBe('locked');
    expect(status.lockedUntil).not.toBeNull();
    // A new session for the same customer, even on another interaction, is refused until the lock ends.
    const again = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const refused = await call('POST', '/v1/verifications', ana.token, { interactionId: again });
    expectProblem(refused, 423, 'verification.customer_locked');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const alerts = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('security_alerts').select(['kind', 'details']).where('kind', '=', 'verification.lockout').execute());
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.details).toMatchObject({ failures: 6, customer: cc.customerId });
    await t.ctx.ledger.sequenceAll(cc.tenantId);
    const actions = (await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('ledger_entries').select('action').where('action', 'in', ['verification.lockout', 'security.alert.raise']).execute())).map((r) => r.action);
    expect(actions).toContain('verification.lockout');
    expect(actions).toContain('security.alert.raise');

    // The lock ends by itself (the IVR's key: agent sessions idle-lock over half an hour).
    t.clock.advance(31 * 60_000);
    expectStatus(await call('POST', '/v1/verifications', cc.verifierKey, { interactionId: again }), 201);
  });

  it('a security officer releases a lock early, with a reason; the failures before it no longer count', async () => {
    // Past the window of the test above: its failures count no more. Everyone signs in again
    // (sessions idle-lock after half an hour).
    t.clock.advance(61 * 60_000);
    const again = async (name: string) => ({ ...person(cc, name), token: await signIn(t, cc.slug, person(cc, name).email, person(cc, name).secret) });
    const ana = await again('ana');
    const sec = await again('sec');
    const sup = await again('sup');
    const release = (token: string, payload: object, customerId = cc.customerId) => call('POST', `/v1/verification/locks/${customerId}/release`, token, payload);
    const session = async () => {
      const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
      return call('POST', '/v1/verifications', ana.token, { interactionId: interaction });
    };
    expectProblem(await release(sec.token, { reason: 'false_positive' }), 409, 'verification.not_locked');
    const first = await session();
    expectStatus(first, 201);
    expect((await failCodes(String(first.body.id), [5, 1], ana.token)).body.status).toMatchObject({ state: 'locked' });
    expectProblem(await session(), 423, 'verification.customer_locked');

    // Only security officers; a reason, with words for "other"; one answer for unknown and foreign customers.
    expectProblem(await release(ana.token, { reason: 'false_positive' }), 403, 'agents.forbidden');
    expectProblem(await release(sup.token, { reason: 'false_positive' }), 403, 'agents.forbidden');
    expectProblem(await release(sec.token, { reason: 'because' }), 400, 'request.invalid');
    expectProblem(await release(sec.token, { reason: 'other', text: 'short' }), 400, 'verification.invalid_release');
    const unknown = await release(sec.token, { reason: 'false_positive' }, UNKNOWN_ID);
    expectProblem(unknown, 404, 'customers.not_found');
    const foreign = await release(sec.token, { reason: 'false_positive' }, other.customerId);
    expect(withoutRequestId(foreign)).toEqual(withoutRequestId(unknown));

    const released = await release(sec.token, { reason: 'identity_confirmed_by_call_back' });
    expectStatus(released, 200);
    expect(released.body).toMatchObject({ customerId: cc.customerId, releasedAt: t.clock.now().toISOString() });
    expect(new Date(String(released.body.lockedUntil)).getTime()).toBeGreaterThan(t.clock.now().getTime());
    expectProblem(await release(sec.token, { reason: 'identity_confirmed_by_call_back' }), 409, 'verification.not_locked');

    // A new session opens, and one failure (the seventh in the window) does not lock again...
    const second = await session();
    expectStatus(second, 201);
    expect((await failCodes(String(second.body.id), [1], ana.token)).body.status).toMatchObject({ state: 'open', lockedUntil: null });
    // ...but six after the release do.
    expect((await failCodes(String(second.body.id), [4, 1], ana.token)).body.status).toMatchObject({ state: 'locked' });
    expectProblem(await session(), 423, 'verification.customer_locked');

    await t.ctx.ledger.sequenceAll(cc.tenantId);
    const entries = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('ledger_entries').select('entry').where('action', '=', 'verification.lockout.release').execute());
    expect(entries.map((e) => JSON.parse(e.entry) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ actor: { type: 'agent', id: sec.agentId }, targets: { customer: cc.customerId }, purpose: 'identity_confirmed_by_call_back' }),
    ]);
    // Released for the rest of this suite.
    expectStatus(await release(sec.token, { reason: 'other', text: 'end of the lockout test' }), 200);
  });
});

describe('nothing secret reaches the agent, the logs or the ledger', () => {
  it('finds no code, phone or email in any answer, log line or ledger entry', async () => {
    expect(codes.length).toBeGreaterThan(3);
    await t.ctx.ledger.sequenceAll(cc.tenantId);
    const ledger = (await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('ledger_entries').select('entry').execute())).map((r) => r.entry).join('\n');
    const logs = t.logs.text();
    const digits = PHONE.slice(1);
    for (const [where, text] of [['answers', answers.join('\n')], ['logs', logs], ['ledger', ledger]] as const) {
      expect(text.length, where).toBeGreaterThan(0);
      for (const code of codes) expect(text.includes(`"${code}"`) || new RegExp(`(^|[^0-9])${code}([^0-9]|$)`).test(text), `${where} holds a code`).toBe(false);
      expect(text.includes(digits), `${where} holds the phone`).toBe(false);
      expect(text.includes(EMAIL), `${where} holds the email`).toBe(false);
    }
    expect(ledger).toContain('verification.code.send');
  });
});
