/**
 * One-time codes end to end over the real API: the code leaves through the real SMPP sender to a
 * real SMSC, or through nodemailer (STARTTLS) to a real SMTP server, and the code read from the
 * message the server received is what the agent types in. The agent's answers never hold it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmsc, type TestSmsc } from '../channels/smsc.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, expectProblem, expectStatus, person, type Reply } from '../interactions/helpers.js';
import { EMAIL, lastMailCode, lastSmsCode, makeCert, openInteraction, PHONE, startSmtp, type TestCert, type TestSmtp, verificationCenter } from './helpers.js';

let smsc: TestSmsc;
let smtp: TestSmtp;
let cert: TestCert;
let t: TestApp;
let cc: Awaited<ReturnType<typeof verificationCenter>>;
const MINUTE = 60_000;

beforeAll(async () => {
  cert = makeCert();
  smsc = await startSmsc({ systemId: 'custodia', password: 'smpp-pass' });
  smtp = await startSmtp({ key: cert.key, cert: cert.cert });
  t = await createTestApp({
    env: {
      CUSTODIA_SMPP_URL: `smpp://custodia:smpp-pass@127.0.0.1:${smsc.port}?source=Custodia`,
      CUSTODIA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      CUSTODIA_SMTP_CA_FILE: cert.certFile,
      CUSTODIA_SMTP_FROM: 'Banco Ejemplo <no-reply@banco.example>',
      CUSTODIA_JOB_POLL_INTERVAL_MS: '0',
    },
  });
  cc = await verificationCenter(t, 'verify');
  // Every test here sends to the same customer: room for all of them within the hourly budget.
  const settings = await api(t, 'PUT', '/v1/verification/settings', { token: cc.admin.token, payload: { sendsPerHour: 50 } });
  expectStatus(settings, 200);
  expect(settings.body).toMatchObject({ sendsPerHour: 50, maxAttempts: 5, codeTtlSeconds: 300 });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await smsc?.close();
  await smtp?.close();
  cert?.remove();
});

async function start(token: string, interactionId: string, payload: object = {}): Promise<string> {
  const res = await api(t, 'POST', '/v1/verifications', { token, payload: { interactionId, ...payload } });
  expectStatus(res, 201);
  return String(res.body.id);
}

async function send(token: string, id: string, method: 'otp_sms' | 'otp_email'): Promise<Reply> {
  return api(t, 'POST', `/v1/verifications/${id}/codes`, { token, payload: { method } });
}

async function check(token: string, id: string, code: string): Promise<Reply> {
  return api(t, 'POST', `/v1/verifications/${id}/codes/check`, { token, payload: { code } });
}

async function interactionLevel(id: string, token = cc.platformKey): Promise<number> {
  const res = await api(t, 'GET', `/v1/interactions/${id}`, { token });
  expectStatus(res, 200);
  return Number(res.body.verificationLevel);
}

/** A code that is not `code` (same length). */
function wrong(code: string): string {
  return code.split('').map((d) => String((Number(d) + 1) % 10)).join('');
}

describe('one-time codes by SMS over SMPP', () => {
  it('sends a code the SMSC receives, and the code in that SMS verifies the caller (level 1, written on the interaction)', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const id = await start(ana.token, interaction, { targetLevel: 1 });
    const before = smsc.submits().length;
    const sent = await send(ana.token, id, 'otp_sms');
    expectStatus(sent, 202);
    expect(sent.body.code).toMatchObject({ method: 'otp_sms', delivery: 'sent', attemptsLeft: 5 });
    expect(smsc.submits().length).toBe(before + 1);
    const sms = lastSmsCode(smsc);
    expect(sms.to).toBe(PHONE.slice(1));
    expect(sms.code).toMatch(/^\d{6}$/);
    // Spanish by default (the tenant's default language), naming the brand and the lifetime.
    expect(sms.text).toContain('Caduca en 5 min');

    const ok = await check(ana.token, id, sms.code);
    expectStatus(ok, 200);
    expect(ok.body.passed).toBe(true);
    const status = ok.body.status as Record<string, unknown>;
    expect(status).toMatchObject({ state: 'verified', level: 1, targetLevel: 1, next: [] });
    expect(await interactionLevel(interaction)).toBe(1);
  });

  it('refuses a code used once already (single use)', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const id = await start(ana.token, interaction);
    expectStatus(await send(ana.token, id, 'otp_sms'), 202);
    const { code } = lastSmsCode(smsc);
    expect((await check(ana.token, id, code)).body.passed).toBe(true);
    expectProblem(await check(ana.token, id, code), 409, 'verification.no_active_code');
  });

  it('refuses an expired code, and does not count it as a guess', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const id = await start(ana.token, interaction);
    expectStatus(await send(ana.token, id, 'otp_sms'), 202);
    const { code } = lastSmsCode(smsc);
    t.clock.advance(5 * MINUTE + 1_000);
    expectProblem(await check(ana.token, id, code), 409, 'verification.otp_expired');
    // Expired means gone: the same code again finds nothing to check.
    expectProblem(await check(ana.token, id, code), 409, 'verification.no_active_code');
    const status = await api(t, 'GET', `/v1/verifications/${id}`, { token: ana.token });
    expect((status.body.methods as { method: string; failures: number }[]).find((m) => m.method === 'otp_sms')?.failures).toBe(0);
    expect(await interactionLevel(interaction)).toBe(0);
  });

  it('locks the code at the fifth wrong attempt: the right code is refused after it', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const id = await start(ana.token, interaction);
    expectStatus(await send(ana.token, id, 'otp_sms'), 202);
    const { code } = lastSmsCode(smsc);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const res = await check(ana.token, id, wrong(code));
      expectStatus(res, 200);
      expect(res.body.passed).toBe(false);
      const left = (res.body.status as { code: { attemptsLeft: number } | null }).code?.attemptsLeft ?? 0;
      expect(left).toBe(5 - attempt);
    }
    expectProblem(await check(ana.token, id, code), 409, 'verification.no_active_code');
    expect(await interactionLevel(interaction)).toBe(0);
  });

  it('makes the agent wait before a resend, and a new code voids the old one', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    const id = await start(ana.token, interaction);
    expectStatus(await send(ana.token, id, 'otp_sms'), 202);
    const first = lastSmsCode(smsc).code;
    const early = await send(ana.token, id, 'otp_sms');
    expectProblem(early, 429, 'verification.resend_cooldown');
    expect(Number(early.headers['retry-after'])).toBeGreaterThan(0);
    t.clock.advance(61_000);
    expectStatus(await send(ana.token, id, 'otp_sms'), 202);
    const second = lastSmsCode(smsc).code;
    if (first !== second) {
      const res = await check(ana.token, id, first);
      expect(res.body.passed).toBe(false);
    }
    expect((await check(ana.token, id, second)).body.passed).toBe(true);
  });
});

describe('one-time codes by email over SMTP (STARTTLS)', () => {
  it('sends a code the SMTP server receives over TLS, and that code verifies; SMS then email reach level 2', async () => {
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId, channel: 'chat' });
    const id = await start(ana.token, interaction, { targetLevel: 2, language: 'en' });
    expectStatus(await send(ana.token, id, 'otp_sms'), 202);
    expect((await check(ana.token, id, lastSmsCode(smsc).code)).body.passed).toBe(true);
    // Both possession channels are independent evidence: the email code is offered next.
    const next = await api(t, 'GET', `/v1/verifications/${id}/next`, { token: ana.token });
    expectStatus(next, 200);
    expect(next.body).toMatchObject({ level: 1, targetLevel: 2 });
    expect(next.body.remaining).toContain('otp_email');
    expect(next.body.remaining).not.toContain('otp_sms');

    const before = smtp.mails.length;
    const sent = await send(ana.token, id, 'otp_email');
    expectStatus(sent, 202);
    expect(smtp.mails.length).toBe(before + 1);
    const mail = lastMailCode(smtp);
    expect(mail.to).toEqual([EMAIL]);
    expect(mail.mail.secure).toBe(true);
    expect(mail.mail.raw).toContain('Subject: Your Custodia verification code');
    const ok = await check(ana.token, id, mail.code);
    expect(ok.body.passed).toBe(true);
    expect(ok.body.status).toMatchObject({ level: 2, state: 'verified' });
    expect(await interactionLevel(interaction)).toBe(2);
  });
});
