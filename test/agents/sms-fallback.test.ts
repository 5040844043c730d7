/**
 * The SMS fallback second factor over the real API, with the real SMPP sender talking to a real
 * SMSC (the `smpp` package's server, test/channels/smsc.ts) that receives the submit_sm. The code
 * is read from the PDU the SMSC received, as the agent would read it from their phone.
 */
import type { DecodedMessage, PDU } from 'smpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmsc, type TestSmsc } from '../channels/smsc.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, oathtool, PASSWORD, signIn, type SignedIn } from './helpers.js';

const SYSTEM_ID = 'custodia';
const SMPP_PASSWORD = 'smpp-pass';
const PHONE = '+34 612 345 678';
const PHONE_DIGITS = '34612345678';
const MINUTE = 60_000;

let smsc: TestSmsc;
let t: TestApp;

beforeAll(async () => {
  smsc = await startSmsc({ systemId: SYSTEM_ID, password: SMPP_PASSWORD });
  t = await createTestApp({ env: { CUSTODIA_SMPP_URL: `smpp://${SYSTEM_ID}:${SMPP_PASSWORD}@127.0.0.1:${smsc.port}?source=Custodia` } });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await smsc?.close();
});

type Body = Record<string, unknown>;
interface Reply {
  readonly status: number;
  readonly body: Body;
  readonly headers: Record<string, unknown>;
}

async function api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, options: { token?: string; payload?: object } = {}): Promise<Reply> {
  const res = await t.app.inject({ method, url, headers: options.token === undefined ? {} : bearerOf(options.token), ...(options.payload === undefined ? {} : { payload: options.payload }) });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Body) : {}, headers: res.headers };
}

function expectStatus(res: Reply, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

function expectProblem(res: Reply, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.code).toBe(code);
}

function textOf(pdu: PDU): string {
  const body = (pdu.message_payload ?? pdu.short_message) as DecodedMessage;
  return typeof body.message === 'string' ? body.message : body.message.toString();
}

/** The code in the last SMS the SMSC received (and that SMS's destination). */
function lastSms(): { to: string; code: string; text: string } {
  const submit = smsc.submits().at(-1);
  if (submit === undefined) throw new Error('the SMSC received no SMS');
  const text = textOf(submit);
  const code = /^(\d{6}) /.exec(text)?.[1];
  if (code === undefined) throw new Error(`no code at the start of the SMS: ${text}`);
  return { to: String(submit.destination_addr), code, text };
}

describe('SMS codes as a fallback second factor', () => {
  const slug = 'smsfb';
  let admin: SignedIn;
  let agent: SignedIn;
  let tenantId: string;

  beforeAll(async () => {
    const created = await createTenant(t, slug, `admin@${slug}.example`);
    tenantId = created.tenantId;
    await accept(t, created.invitation, 'Marta Admin');
    admin = await enroll(t, slug, `admin@${slug}.example`);
    const invited = await api('POST', '/v1/agents/invitations', { token: admin.token, payload: { email: `agent@${slug}.example`, role: 'agent' } });
    const url = String(invited.body.url);
    await accept(t, url.slice(url.indexOf('#') + 1), 'Pablo Agent');
    agent = await enroll(t, slug, `agent@${slug}.example`);
  });

  it('is off unless the contact center allows it', async () => {
    expectProblem(await api('POST', '/v1/auth/sms/enrollment', { token: agent.token, payload: { phone: PHONE } }), 409, 'agents.sms_unavailable');
    expect(smsc.submits()).toHaveLength(0);
    expectStatus(await api('PUT', '/v1/security/settings', { token: admin.token, payload: { smsFallback: true } }), 200);
  });

  it('registers a mobile phone with a code sent to it; refuses landlines and non-numbers', async () => {
    expectProblem(await api('POST', '/v1/auth/sms/enrollment', { token: agent.token, payload: { phone: '+34 912 345 678' } }), 400, 'agents.invalid_phone');
    expectProblem(await api('POST', '/v1/auth/sms/enrollment', { token: agent.token, payload: { phone: 'call me maybe' } }), 400, 'agents.invalid_phone');
    expect(smsc.submits()).toHaveLength(0);

    // A first number, then a second one at once: refused (one SMS a minute), and the pending
    // phone stays the first, the one that received a code.
    const other = await api('POST', '/v1/auth/sms/enrollment', { token: agent.token, payload: { phone: '+34 698 765 432' } });
    expectStatus(other, 200);
    expect(other.body.sentTo).toBe('32');
    const otherCode = lastSms().code;
    expectProblem(await api('POST', '/v1/auth/sms/enrollment', { token: agent.token, payload: { phone: PHONE } }), 429, 'agents.too_many_attempts');
    const factors = await api('GET', '/v1/auth/factors', { token: agent.token });
    expect(factors.body.sms).toEqual({ phoneEndsWith: '32', state: 'pending', confirmedAt: null });

    t.clock.advance(MINUTE + 1_000);
    const started = await api('POST', '/v1/auth/sms/enrollment', { token: agent.token, payload: { phone: PHONE } });
    expectStatus(started, 200);
    expect(started.body.sentTo).toBe('78');
    const sms = lastSms();
    expect(sms.to).toBe(PHONE_DIGITS);
    expect(smsc.submits().at(-1)?.source_addr).toBe('Custodia');
    // The code sent to the other phone confirms nothing now.
    expectProblem(await api('POST', '/v1/auth/sms/enrollment/confirm', { token: agent.token, payload: { code: otherCode } }), 401, 'agents.invalid_second_factor');

    // A wrong code does not confirm; the right one does, once.
    const wrong = sms.code === '000000' ? '000001' : '000000';
    expectProblem(await api('POST', '/v1/auth/sms/enrollment/confirm', { token: agent.token, payload: { code: wrong } }), 401, 'agents.invalid_second_factor');
    expectStatus(await api('POST', '/v1/auth/sms/enrollment/confirm', { token: agent.token, payload: { code: sms.code } }), 204);
    expectProblem(await api('POST', '/v1/auth/sms/enrollment/confirm', { token: agent.token, payload: { code: sms.code } }), 401, 'agents.invalid_second_factor');
    const confirmed = await api('GET', '/v1/auth/factors', { token: agent.token });
    expect(confirmed.body.sms).toMatchObject({ phoneEndsWith: '78', state: 'active' });
  });

  it('signs in with a code sent by SMS; the code works once, only for its session, and only for 5 minutes', async () => {
    t.clock.advance(2 * MINUTE);
    const first = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer' } });
    expectStatus(first, 200);
    expect(first.body.factors).toEqual(['totp', 'recovery', 'sms']);
    const token = String(first.body.token);
    const before = smsc.submits().length;
    const sent = await api('POST', '/v1/auth/sms/send', { token });
    expectStatus(sent, 200);
    expect(sent.body.sentTo).toBe('78');
    expect(smsc.submits()).toHaveLength(before + 1);
    const { code, to } = lastSms();
    expect(to).toBe(PHONE_DIGITS);

    // Another sign-in's session cannot use this code (codes belong to their session).
    const other = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer' } });
    expectProblem(await api('POST', '/v1/auth/second-factor', { token: String(other.body.token), payload: { method: 'sms', code } }), 401, 'agents.invalid_second_factor');

    // A second request within the minute is refused (cooldown), without sending.
    const again = await api('POST', '/v1/auth/sms/send', { token });
    expectProblem(again, 429, 'agents.too_many_attempts');
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
    expect(smsc.submits()).toHaveLength(before + 1);

    const done = await api('POST', '/v1/auth/second-factor', { token, payload: { method: 'sms', code } });
    expectStatus(done, 200);
    expect(done.body.next).toBe('done');
    const smsToken = String(done.body.token);
    const session = await api('GET', '/v1/auth/session', { token: smsToken });
    expect(session.body).toMatchObject({ signedIn: true, factor: 'sms' });
    // Every SMS sign-in is visible to the security officer.
    const alerts = await api('GET', '/v1/security/alerts', { token: admin.token });
    expect(alerts.body.alerts).toContainEqual(expect.objectContaining({ kind: 'agent.sms.used', agentId: agent.agentId }));
    // Attack (SIM swap): a code by SMS opens a session, but is not proof enough to replace the
    // person's authenticator app or recovery codes, which serve every tenant.
    expectProblem(await api('POST', '/v1/auth/totp/enrollment', { token: smsToken }), 403, 'agents.step_up_required');
    expectProblem(await api('POST', '/v1/auth/recovery-codes', { token: smsToken }), 403, 'agents.step_up_required');
    expectProblem(await api('DELETE', '/v1/auth/sms', { token: smsToken }), 403, 'agents.step_up_required');

    // Expired: a code presented after 5 minutes is refused.
    t.clock.advance(2 * MINUTE);
    const late = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer' } });
    expectStatus(await api('POST', '/v1/auth/sms/send', { token: String(late.body.token) }), 200);
    t.clock.advance(5 * MINUTE + 1_000);
    expectProblem(await api('POST', '/v1/auth/second-factor', { token: String(late.body.token), payload: { method: 'sms', code: lastSms().code } }), 401, 'agents.invalid_second_factor');
  });

  it('unlocks a locked session with an SMS code; an open session has nothing to confirm', async () => {
    t.clock.advance(2 * MINUTE);
    const { token } = { token: agent.token };
    expectProblem(await api('POST', '/v1/auth/sms/send', { token }), 409, 'agents.sms_unavailable');
    expectStatus(await api('POST', '/v1/auth/lock', { token }), 204);
    expectStatus(await api('POST', '/v1/auth/sms/send', { token }), 200);
    const unlocked = await api('POST', '/v1/auth/second-factor', { token, payload: { method: 'sms', code: lastSms().code } });
    expectStatus(unlocked, 200);
    expect(unlocked.body).toEqual({ unlocked: true });
  });

  it('sends at most five SMS an hour per agent', async () => {
    t.clock.advance(2 * MINUTE);
    // Five went out in this hour (two registrations, two sign-ins, one unlock).
    const first = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer' } });
    const before = smsc.submits().length;
    const refused = await api('POST', '/v1/auth/sms/send', { token: String(first.body.token) });
    expectProblem(refused, 429, 'agents.too_many_attempts');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    expect(smsc.submits()).toHaveLength(before);
    t.clock.advance(60 * MINUTE);
    // The administrator's session locked meanwhile (idle): a new one.
    admin = { ...admin, token: await signIn(t, slug, admin.email, admin.secret) };
  });

  it('stops when the contact center switches the fallback off, even with a code already sent', async () => {
    t.clock.advance(2 * MINUTE);
    const first = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer' } });
    const token = String(first.body.token);
    expectStatus(await api('POST', '/v1/auth/sms/send', { token }), 200);
    expectStatus(await api('PUT', '/v1/security/settings', { token: admin.token, payload: { smsFallback: false } }), 200);
    // The settings cache of this process was told (the change publishes an event).
    expectProblem(await api('POST', '/v1/auth/second-factor', { token, payload: { method: 'sms', code: lastSms().code } }), 401, 'agents.invalid_second_factor');
    const next = await api('POST', '/v1/auth/sign-in', { payload: { tenant: slug, email: agent.email, password: PASSWORD, kind: 'bearer' } });
    expect(next.body.factors).toEqual(['totp', 'recovery']);
    // TOTP still works, of course.
    t.clock.advance(30_000);
    expectStatus(await api('POST', '/v1/auth/second-factor', { token: String(next.body.token), payload: { method: 'totp', code: oathtool(agent.secret, t.clock.now()) } }), 200);
  });

  it('keeps the phone and the codes out of the ledger and the logs; the phone is wrapped at rest', async () => {
    await t.ctx.ledger.sequenceAll(tenantId);
    const entries = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).orderBy('seq').execute());
    expect(entries.filter((e) => e.action === 'agent.sms.send').length).toBeGreaterThanOrEqual(4);
    expect(entries.some((e) => e.action === 'agent.factor.enroll' && e.entry.includes('"sms"'))).toBe(true);
    const codes = smsc.submits().map((pdu) => /^(\d{6}) /.exec(textOf(pdu))?.[1] ?? 'none');
    const haystacks = [entries.map((e) => e.entry).join('\n'), t.logs.text()];
    for (const haystack of haystacks) {
      expect(haystack).not.toContain(PHONE_DIGITS);
      expect(haystack).not.toContain('612 345');
      expect(haystack).not.toContain(SMPP_PASSWORD);
      for (const code of codes) expect(haystack).not.toContain(`${code} is your`);
    }
    const stored = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('agent_sms_phones').selectAll().execute(), { identity: true });
    expect(stored).toHaveLength(1);
    expect(stored[0]?.phone).not.toContain(PHONE_DIGITS);
    expect(stored[0]?.hint).toBe('78');
    const sessions = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('agent_sessions').select('sms_code').where('sms_code', 'is not', null).execute());
    for (const row of sessions) for (const code of codes) expect(row.sms_code).not.toContain(code);
  });
});
