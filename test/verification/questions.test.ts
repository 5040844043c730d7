/**
 * Security questions, static and dynamic, through the HTTP API: enrollment with Argon2id (no
 * answer in the database or the ledger), N of M, attempts per session, lockout, the level reached
 * with a code, tolerant matching, and that no expected answer reaches the agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer } from '../../src/customers/index.js';
import { editDistanceWithin, normalizeAnswer, parseNumberAnswer } from '../../src/verification/questions/normalize.js';
import { matchesExpected } from '../../src/verification/questions/dynamic.js';
import { pickRandom } from '../../src/verification/questions/service.js';
import { startSmsc, type TestSmsc } from '../channels/smsc.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, expectProblem, expectStatus, person, type Reply, UNKNOWN_ID } from '../interactions/helpers.js';
import { lastSmsCode, openInteraction, verificationCenter } from './helpers.js';

let smsc: TestSmsc;
let t: TestApp;
let cc: Awaited<ReturnType<typeof verificationCenter>>;
let other: Awaited<ReturnType<typeof verificationCenter>>;
let enrollKey: string;
let dynamicCustomer: string;
const answers: string[] = [];

const ENROLLED = [
  { questionId: 'first_pet', answer: 'Señor Bigotes' },
  { questionId: 'first_school', answer: 'Colegio San José' },
  { questionId: 'first_street', answer: 'Calle de Alcalá' },
];
const SAID: Record<string, string> = { first_pet: 'senor  bigotes!', first_school: 'COLEGIO SAN JOSE', first_street: 'calle de alcala' };
const CITY = 'Logroño';
const BIRTH = '1983-07-19';

beforeAll(async () => {
  smsc = await startSmsc({ systemId: 'custodia', password: 'smpp-pass' });
  t = await createTestApp({ env: { CUSTODIA_SMPP_URL: `smpp://custodia:smpp-pass@127.0.0.1:${smsc.port}?source=Custodia`, CUSTODIA_JOB_POLL_INTERVAL_MS: '0' } });
  cc = await verificationCenter(t, 'questions');
  other = await verificationCenter(t, 'otherq');
  dynamicCustomer = await t.ctx.db.withTenant(cc.tenantId, (tx) =>
    createCustomer(tx, { vault: t.ctx.vault }, cc.tenantId, { customerNumber: 'Q-2', fields: { full_name: 'Ana Dinámica', phone: '+34622334455', address: { city: CITY, street: 'Calle Mayor', country: 'ES' }, birth_date: BIRTH } }, { type: 'system', id: 'test' }, t.clock.now()),
  ).then((c) => c.id);
  expectStatus(await api(t, 'PUT', '/v1/verification/settings', { token: cc.admin.token, payload: { sendsPerHour: 50, lockout: { failures: 4, windowMinutes: 60, lockMinutes: 30 } } }), 200);
  const key = await api(t, 'POST', '/v1/service-accounts/keys', { token: cc.admin.token, payload: { name: 'self-service', scopes: ['customers:write'] } });
  expectStatus(key, 201);
  enrollKey = String(key.body.key);
}, 180_000);

afterAll(async () => {
  await t?.close();
  await smsc?.close();
});

async function call(method: 'GET' | 'POST' | 'PUT', url: string, token: string, payload?: object): Promise<Reply> {
  const res = await api(t, method, url, { token, ...(payload === undefined ? {} : { payload }) });
  answers.push(JSON.stringify(res.body));
  return res;
}

async function session(customerId: string, targetLevel = 2): Promise<{ id: string; interaction: string; token: string }> {
  const ana = person(cc, 'ana');
  const interaction = await openInteraction(t, cc, customerId, { agentId: ana.agentId });
  const started = await call('POST', '/v1/verifications', ana.token, { interactionId: interaction, targetLevel });
  expectStatus(started, 201);
  return { id: String(started.body.id), interaction, token: ana.token };
}

async function ask(s: { id: string; token: string }, method: 'questions_static' | 'questions_dynamic'): Promise<{ challengeId: string; questions: { id: string; text: string }[]; keys: string[] }> {
  const res = await call('POST', `/v1/verifications/${s.id}/questions`, s.token, { method });
  expectStatus(res, 201);
  const questions = res.body.questions as { id: string; text: string }[];
  // Which catalogue question each text is, by its English or Spanish text.
  const catalogue = (await call('GET', '/v1/verification/questions/catalogue', s.token)).body.questions as { id: string; text: { es: string } }[];
  const keys = questions.map((q) => catalogue.find((c) => c.text.es === q.text)?.id ?? '');
  return { challengeId: String(res.body.challengeId), questions, keys };
}

describe('normalization', () => {
  it('folds case, accents, punctuation and spaces, and nothing else', () => {
    expect(normalizeAnswer('  São   Paulo! ')).toBe('sao paulo');
    expect(normalizeAnswer("O'Brien-Núñez")).toBe('o brien nunez');
    expect(normalizeAnswer('ＦＵＬＬ\u00a0width')).toBe('full width');
    expect(normalizeAnswer('Señor Bigotes')).toBe(normalizeAnswer('senor  bigotes!'));
    expect(normalizeAnswer('Bigotes')).not.toBe(normalizeAnswer('Bigote'));
  });

  it('reads numbers as people say them, and matches places with one typo on long names only', () => {
    expect(parseNumberAnswer('unos 3 años')).toBe(3);
    expect(parseNumberAnswer('1.250,50')).toBe(1250.5);
    expect(parseNumberAnswer('1,250')).toBe(1250);
    expect(parseNumberAnswer('2019')).toBe(2019);
    expect(parseNumberAnswer('no lo sé')).toBeUndefined();
    expect(editDistanceWithin('logrono', 'logrnoo', 2)).toBe(true);
    expect(editDistanceWithin('logrono', 'madrid', 1)).toBe(false);
    expect(matchesExpected({ kind: 'place', value: 'logrono' }, 'Logroño')).toBe(true);
    expect(matchesExpected({ kind: 'place', value: 'logrono' }, 'logrono ')).toBe(true);
    expect(matchesExpected({ kind: 'place', value: 'logrono' }, 'lgrono')).toBe(true);
    expect(matchesExpected({ kind: 'place', value: 'leon' }, 'lean')).toBe(false);
    expect(matchesExpected({ kind: 'number', ranges: [[2.5, 4.5], [2020, 2022]] }, 'desde 2021')).toBe(true);
    expect(matchesExpected({ kind: 'number', ranges: [[2.5, 4.5], [2020, 2022]] }, '6 años')).toBe(false);
  });

  it('picks distinct questions', () => {
    const picked = pickRandom(['a', 'b', 'c', 'd'], 3);
    expect(new Set(picked).size).toBe(3);
    expect(pickRandom(['a'], 3)).toEqual(['a']);
  });
});

describe('enrollment', () => {
  it('is refused to agents and to keys without customers:write', async () => {
    expect((await call('PUT', `/v1/customers/${cc.customerId}/security-questions`, person(cc, 'ana').token, { answers: ENROLLED })).status).toBe(401);
    expectProblem(await call('PUT', `/v1/customers/${cc.customerId}/security-questions`, cc.verifierKey, { answers: ENROLLED }), 403, 'agents.forbidden');
  });

  it('refuses too few answers, unknown questions, repeated and too short answers', async () => {
    const url = `/v1/customers/${cc.customerId}/security-questions`;
    expectProblem(await call('PUT', url, enrollKey, { answers: ENROLLED.slice(0, 2) }), 400, 'verification.invalid_answers');
    expectProblem(await call('PUT', url, enrollKey, { answers: [...ENROLLED.slice(0, 2), { questionId: 'mother_maiden_name', answer: 'x y z' }] }), 400, 'verification.invalid_answers');
    expectProblem(await call('PUT', url, enrollKey, { answers: ENROLLED.map((a) => ({ ...a, answer: 'same' })) }), 400, 'verification.invalid_answers');
    expectProblem(await call('PUT', url, enrollKey, { answers: [...ENROLLED.slice(0, 2), { questionId: 'first_concert', answer: '!' }] }), 400, 'verification.invalid_answers');
  });

  it('stores Argon2id hashes only, with a salt each, and records the questions, not the answers', async () => {
    const res = await call('PUT', `/v1/customers/${cc.customerId}/security-questions`, enrollKey, { answers: ENROLLED });
    expectStatus(res, 200);
    expect(res.body.questionIds).toEqual(['first_pet', 'first_school', 'first_street']);
    const rows = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.withTables<{ verification_question_answers: { customer_id: string; answer_hash: string } }>().selectFrom('verification_question_answers').select('answer_hash').where('customer_id', '=', cc.customerId).execute());
    expect(rows).toHaveLength(3);
    const salts = new Set<string>();
    for (const r of rows) {
      expect(r.answer_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      salts.add(r.answer_hash.split('$')[4]!);
      for (const a of ENROLLED) {
        expect(r.answer_hash.toLowerCase()).not.toContain(normalizeAnswer(a.answer).split(' ')[0]);
      }
    }
    expect(salts.size).toBe(3);
    await t.ctx.ledger.sequenceAll(cc.tenantId);
    const ledger = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).execute());
    const text = JSON.stringify(ledger);
    expect(text).toContain('verification.questions.enroll');
    for (const a of ENROLLED) expect(text.toLowerCase()).not.toContain(normalizeAnswer(a.answer));
  });

  it('answers another tenant\'s customer like an unknown one', async () => {
    const theirs = await call('PUT', `/v1/customers/${other.customerId}/security-questions`, enrollKey, { answers: ENROLLED });
    const unknown = await call('PUT', `/v1/customers/${UNKNOWN_ID}/security-questions`, enrollKey, { answers: ENROLLED });
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe(unknown.body.code);
  });
});

describe('static questions', () => {
  it('pass with the right answers however they are typed, and with a code reach level 2', async () => {
    const s = await session(cc.customerId);
    expectStatus(await call('POST', `/v1/verifications/${s.id}/codes`, s.token, { method: 'otp_sms' }), 202);
    const coded = await call('POST', `/v1/verifications/${s.id}/codes/check`, s.token, { code: lastSmsCode(smsc).code });
    expect(coded.body).toMatchObject({ passed: true, status: { level: 1 } });
    const c = await ask(s, 'questions_static');
    expect(c.questions).toHaveLength(2);
    expect(c.keys.every((k) => k in SAID)).toBe(true);
    const res = await call('POST', `/v1/verifications/${s.id}/questions/answers`, s.token, { challengeId: c.challengeId, answers: c.questions.map((q, i) => ({ id: q.id, answer: SAID[c.keys[i]!]! })) });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ passed: true, status: { level: 2, state: 'verified' } });
    // A challenge is answered once.
    expectProblem(await call('POST', `/v1/verifications/${s.id}/questions/answers`, s.token, { challengeId: c.challengeId, answers: [] }), 409, 'verification.no_open_questions');
  });

  it('fail when fewer than N are right, say nothing of which, and stop after the attempts a session has', async () => {
    const s = await session(cc.customerId);
    const c = await ask(s, 'questions_static');
    const res = await call('POST', `/v1/verifications/${s.id}/questions/answers`, s.token, { challengeId: c.challengeId, answers: [{ id: c.questions[0]!.id, answer: SAID[c.keys[0]!]! }, { id: c.questions[1]!.id, answer: 'no me acuerdo' }] });
    expect(res.body).toMatchObject({ passed: false, status: { level: 0 } });
    expect(Object.keys(res.body).sort()).toEqual(['passed', 'status']);
    const second = await ask(s, 'questions_static');
    expect(second.challengeId).not.toBe(c.challengeId);
    expectProblem(await call('POST', `/v1/verifications/${s.id}/questions`, s.token, { method: 'questions_static' }), 409, 'verification.questions_exhausted');
  });

  it('count failures toward the customer lockout', async () => {
    let last: Reply | undefined;
    for (let i = 0; i < 3; i += 1) {
      const s = await session(cc.customerId);
      const c = await ask(s, 'questions_static');
      last = await call('POST', `/v1/verifications/${s.id}/questions/answers`, s.token, { challengeId: c.challengeId, answers: c.questions.map((q) => ({ id: q.id, answer: 'wrong' })) });
      if (last.body.status && (last.body.status as { state: string }).state === 'locked') break;
    }
    expect(last?.body).toMatchObject({ passed: false, status: { state: 'locked' } });
    const ana = person(cc, 'ana');
    const interaction = await openInteraction(t, cc, cc.customerId, { agentId: ana.agentId });
    expectProblem(await call('POST', '/v1/verifications', ana.token, { interactionId: interaction }), 423, 'verification.customer_locked');
  });
});

describe('dynamic questions', () => {
  it('pass with tolerant answers; the expected answers never appear in any response', async () => {
    const customerId = dynamicCustomer;
    const s = await session(customerId, 1);
    const status = await call('GET', `/v1/verifications/${s.id}`, s.token);
    expect((status.body.methods as { method: string }[]).map((m) => m.method)).toContain('questions_dynamic');
    const res = await call('POST', `/v1/verifications/${s.id}/questions`, s.token, { method: 'questions_dynamic' });
    expectStatus(res, 201);
    const questions = res.body.questions as { id: string; text: string }[];
    expect(questions).toHaveLength(2);
    const reply = (text: string): string => (/ciudad/.test(text) ? 'logrono' : /año nació/.test(text) ? 'nací en 1983' : '0');
    const checked = await call('POST', `/v1/verifications/${s.id}/questions/answers`, s.token, { challengeId: res.body.challengeId, answers: questions.map((q) => ({ id: q.id, answer: reply(q.text) })) });
    expect(checked.body).toMatchObject({ passed: true, status: { level: 1 } });
    // The challenge row no longer holds what it expected, and held it only sealed.
    const rows = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.withTables<{ verification_question_challenges: { session_id: string; sealed_expected: string | null } }>().selectFrom('verification_question_challenges').select('sealed_expected').where('session_id', '=', s.id).execute());
    expect(rows.map((r) => r.sealed_expected)).toEqual([null]);
  });

  it('fail with wrong answers', async () => {
    const customerId = dynamicCustomer;
    const s = await session(customerId, 1);
    const res = await call('POST', `/v1/verifications/${s.id}/questions`, s.token, { method: 'questions_dynamic' });
    const questions = res.body.questions as { id: string }[];
    const checked = await call('POST', `/v1/verifications/${s.id}/questions/answers`, s.token, { challengeId: res.body.challengeId, answers: questions.map((q) => ({ id: q.id, answer: 'Sevilla 1990 12' })) });
    expect(checked.body).toMatchObject({ passed: false, status: { level: 0 } });
  });

  it('other tenants\' sessions answer like unknown ones', async () => {
    const s = await session(dynamicCustomer, 1);
    const otherAgent = person(other, 'ana');
    const theirs = await call('POST', `/v1/verifications/${s.id}/questions`, otherAgent.token, { method: 'questions_dynamic' });
    const unknown = await call('POST', `/v1/verifications/${UNKNOWN_ID}/questions`, otherAgent.token, { method: 'questions_dynamic' });
    expectProblem(theirs, 404, 'verification.not_found');
    expect(unknown.body.code).toBe(theirs.body.code);
  });

  it('no response to the agent ever held an enrolled or expected answer', () => {
    const all = answers.join('\n').toLowerCase();
    for (const needle of ['bigotes', 'san jose', 'alcala', 'logroño', 'logrono', '1983', BIRTH]) expect(all).not.toContain(needle);
  });
});
