/**
 * POST /v1/redact, the tenant's redaction policy (GET/PUT /v1/redaction/policy, versioned) and
 * POST /v1/redaction/decrypt, over the real API: who may call them, what comes back (never a
 * value where a tag belongs, never a value in an explanation), what the ledger keeps (counts, no
 * text), and that one contact center's policy, keys and ciphertexts mean nothing in another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, expectProblem, expectStatus, person, type Reply } from '../interactions/helpers.js';
import { expectNoLeak, ledgerOf, type RedactionCenter, redactionCenter, scanTenant } from './api-helpers.js';

let t: TestApp;
let a: RedactionCenter;
let b: RedactionCenter;

const CARD = '4111 1111 1111 1111';
const EMAIL = 'lucia.fernandez@correo.example';
const DNI = '12345678Z';
const TEXT = `Hola, me llamo Lucía. Mi tarjeta es ${CARD} y mi correo ${EMAIL}, DNI ${DNI}. El pedido 12345 llega el martes.`;
const SECRETS = [CARD, EMAIL, DNI];

beforeAll(async () => {
  t = await createTestApp();
  a = await redactionCenter(t, 'red-a');
  b = await redactionCenter(t, 'red-b');
}, 240_000);

afterAll(async () => {
  await t?.close();
});

const post = (token: string | undefined, payload: object): Promise<Reply> => api(t, 'POST', '/v1/redact', { ...(token === undefined ? {} : { token }), payload });
const putPolicy = (token: string, payload: object): Promise<Reply> => api(t, 'PUT', '/v1/redaction/policy', { token, payload });

describe('POST /v1/redact', () => {
  it('an agent gets the text with every value tagged (the built-in policy), order numbers untouched', async () => {
    const res = await post(person(a, 'ana').token, { text: TEXT, language: 'es' });
    expectStatus(res, 200);
    expect(res.body.text).toContain('<CARD_NUMBER>');
    expect(res.body.text).toContain('<EMAIL>');
    expect(res.body.text).toContain('<DNI>');
    expect(res.body.text).toContain('El pedido 12345 llega el martes.');
    expect(res.body).toMatchObject({ language: 'es', policyVersion: 1, counts: { CARD_NUMBER: 1, EMAIL: 1, DNI: 1 } });
    expect(res.body.spans).toBeUndefined();
    expectNoLeak(JSON.stringify(res.body), SECRETS);
  });

  it('explain: the spans with type, operator, offsets, rule and confidence, never the values', async () => {
    const res = await post(a.redactKey, { text: TEXT, explain: true });
    expectStatus(res, 200);
    const spans = res.body.spans as Record<string, unknown>[];
    const card = spans.find((s) => s.type === 'CARD_NUMBER');
    expect(card).toMatchObject({ operator: 'tag', start: TEXT.indexOf(CARD), end: TEXT.indexOf(CARD) + CARD.length });
    expect(typeof card?.rule).toBe('string');
    expect(Number(card?.confidence)).toBeGreaterThan(0.9);
    for (const s of spans) expect(Object.keys(s).sort()).toEqual(['confidence', 'end', 'operator', 'outputEnd', 'outputStart', 'rule', 'start', 'type']);
    expect(String(res.body.text).slice(Number(card?.outputStart), Number(card?.outputEnd))).toBe('<CARD_NUMBER>');
    expectNoLeak(JSON.stringify(res.body), SECRETS);
  });

  it('the ledger gets one entry per request with the counts per type, and neither it nor the logs hold the text', async () => {
    const before = (await ledgerOf(t, a.tenantId, 'redaction.redact')).length;
    expectStatus(await post(a.redactKey, { text: TEXT, language: 'es' }), 200);
    const entries = await ledgerOf(t, a.tenantId, 'redaction.redact');
    expect(entries).toHaveLength(before + 1);
    const last = entries.at(-1);
    expect(last?.entry).toMatchObject({ actor: { type: 'service' }, details: { card_number: 1, email: 1, dni: 1, policyVersion: 1, overridden: false, language: 'es', chars: TEXT.length } });
    for (const e of entries) expectNoLeak(e.raw, SECRETS);
    expectNoLeak(t.logs.text(), SECRETS);
    expect(t.logs.text()).not.toContain('Lucía');
  });

  it('needs a session or a key with redaction:use; a key without it is refused', async () => {
    expectProblem(await post(undefined, { text: TEXT }), 401, 'agents.unauthenticated');
    const refused = await post(a.platformKey, { text: TEXT });
    expectProblem(refused, 403, 'agents.forbidden');
    expect(String(refused.body.detail)).toContain('redaction:use');
    expectStatus(await post(person(a, 'aud').token, { text: 'nothing here' }), 200);
  });

  it('bad input is a problem with a stable code: more than 1 MiB, an unknown language, an unknown member', async () => {
    const big = await post(a.redactKey, { text: 'a'.repeat(1_048_577) });
    expectProblem(big, 413, 'redaction.text_too_large');
    expect(big.body.maxBytes).toBe(1_048_576);
    // Multi-byte characters count in bytes: 600,000 "ñ" are 1.2 MB of UTF-8.
    expectProblem(await post(a.redactKey, { text: 'ñ'.repeat(600_000) }), 413, 'redaction.text_too_large');
    expectStatus(await post(a.redactKey, { text: `${'a '.repeat(500_000)}${CARD}` }), 200);
    expectProblem(await post(a.redactKey, { text: 'x', language: 'fr' }), 400, 'request.invalid');
    expectProblem(await post(a.redactKey, { text: 'x', values: true }), 400, 'request.invalid');
    expectProblem(await post(a.redactKey, { text: 'x', policy: { defaultOperator: { kind: 'shout' } } }), 400, 'request.invalid');
  });

  it('an override may use only what the tenant allows (redact and tag by default), and may only lower minConfidence', async () => {
    const removed = await post(a.redactKey, { text: `card ${CARD} ok`, language: 'en', policy: { operators: { CARD_NUMBER: { kind: 'redact' } } } });
    expectStatus(removed, 200);
    expect(removed.body.text).toBe('card  ok');
    const masked = await post(a.redactKey, { text: `card ${CARD}`, policy: { operators: { CARD_NUMBER: { kind: 'mask', keepLast: 4 } } } });
    expectProblem(masked, 403, 'redaction.override_not_allowed');
    expect(masked.body.operator).toBe('mask');
    expectProblem(await post(a.redactKey, { text: 'x', policy: { defaultOperator: { kind: 'hash' } } }), 403, 'redaction.override_not_allowed');
    expectProblem(await post(a.redactKey, { text: 'x', policy: { minConfidence: 0.95 } }), 403, 'redaction.override_not_allowed');
    expectStatus(await post(a.redactKey, { text: 'x', policy: { minConfidence: 0.3 } }), 200);
    const entries = await ledgerOf(t, a.tenantId, 'redaction.redact');
    expect(entries.some((e) => (e.entry.details as Record<string, unknown>).overridden === true)).toBe(true);
  });
});

describe('the tenant redaction policy', () => {
  it('version 1 is the built-in default; only security officers and tenant administrators read or change it', async () => {
    const read = await api(t, 'GET', '/v1/redaction/policy', { token: person(a, 'olga').token });
    expectStatus(read, 200);
    expect(read.body).toMatchObject({ version: 1, policy: { defaultOperator: { kind: 'tag' } }, allowedOverrides: ['redact', 'tag'] });
    expectStatus(await api(t, 'GET', '/v1/redaction/policy', { token: a.admin.token }), 200);
    for (const name of ['ana', 'sara', 'aud']) {
      expectProblem(await api(t, 'GET', '/v1/redaction/policy', { token: person(a, name).token }), 403, 'agents.forbidden');
      expectProblem(await putPolicy(person(a, name).token, { policy: { operators: {}, defaultOperator: { kind: 'redact' } } }), 403, 'agents.forbidden');
    }
    expectProblem(await api(t, 'GET', '/v1/redaction/policy', { token: a.redactKey }), 401, 'agents.unauthenticated');
  });

  it('an invalid policy is refused with every problem and its path; CVV is never encrypted; a card keeps at most 4 digits', async () => {
    const officer = person(a, 'olga').token;
    const schema = await putPolicy(officer, { policy: { operators: { EMAIL: { kind: 'tokenize' }, NOPE: { kind: 'tag' } }, defaultOperator: { kind: 'tag' } } });
    expectProblem(schema, 400, 'redaction.invalid_policy');
    expect((schema.body.errors as unknown[]).length).toBeGreaterThanOrEqual(1);
    const cvv = await putPolicy(officer, { policy: { operators: {}, defaultOperator: { kind: 'encrypt' } } });
    expectProblem(cvv, 400, 'redaction.invalid_policy');
    expect(cvv.body.errors).toEqual([{ path: 'defaultOperator', message: expect.stringContaining('security code') }]);
    const card = await putPolicy(officer, { policy: { operators: { CARD_NUMBER: { kind: 'mask', keepLast: 6 } }, defaultOperator: { kind: 'tag' } } });
    expectProblem(card, 400, 'redaction.invalid_policy');
    expect(card.body.errors).toEqual([{ path: 'operators.CARD_NUMBER', message: expect.stringContaining('4') }]);
    expect((await api(t, 'GET', '/v1/redaction/policy', { token: officer })).body.version).toBe(1);
  });

  it('each save is a new version (2, 3, ...), in the ledger with its digest; the newest applies at once; other tenants keep theirs', async () => {
    const saved = await putPolicy(person(a, 'olga').token, { policy: { operators: { CARD_NUMBER: { kind: 'mask', keepLast: 4 } }, defaultOperator: { kind: 'tag' } }, allowedOverrides: ['tag', 'redact', 'mask'] });
    expectStatus(saved, 200);
    expect(saved.body).toMatchObject({ version: 2, allowedOverrides: ['mask', 'redact', 'tag'] });
    const masked = await post(a.redactKey, { text: `card ${CARD}`, language: 'en' });
    expect(masked.body).toMatchObject({ text: 'card **** **** **** 1111', policyVersion: 2 });
    // Now a caller may ask for mask (allowed from version 2 on).
    expectStatus(await post(a.redactKey, { text: 'x', policy: { defaultOperator: { kind: 'mask', keepLast: 2 } } }), 200);

    const again = await putPolicy(a.admin.token, { policy: { operators: {}, defaultOperator: { kind: 'tag' } } });
    expect(again.body).toMatchObject({ version: 3, allowedOverrides: ['redact', 'tag'] });
    expect((await api(t, 'GET', '/v1/redaction/policy', { token: person(a, 'olga').token })).body.version).toBe(3);
    const entries = await ledgerOf(t, a.tenantId, 'redaction.policy.update');
    expect(entries.map((e) => (e.entry.details as Record<string, unknown>).version)).toEqual([2, 3]);
    for (const e of entries) expect((e.entry.targets as Record<string, string>).policyDigest).toMatch(/^[0-9a-f]{64}$/);

    expect((await api(t, 'GET', '/v1/redaction/policy', { token: person(b, 'olga').token })).body.version).toBe(1);
    expect((await post(b.redactKey, { text: `card ${CARD}`, language: 'en' })).body).toMatchObject({ text: 'card <CARD_NUMBER>', policyVersion: 1 });
  });
});

describe('vault-backed operators', () => {
  it('hash: a keyed HMAC per tenant, stable across requests and formats, different in another tenant', async () => {
    const policy = { policy: { operators: { EMAIL: { kind: 'hash' }, CARD_NUMBER: { kind: 'hash' } }, defaultOperator: { kind: 'tag' } } };
    expectStatus(await putPolicy(person(a, 'olga').token, policy), 200);
    expectStatus(await putPolicy(person(b, 'olga').token, policy), 200);
    const one = String((await post(a.redactKey, { text: `mail ${EMAIL} card ${CARD}`, language: 'en' })).body.text);
    const two = String((await post(a.redactKey, { text: `mail ${EMAIL.toUpperCase()} card ${CARD.replace(/ /g, '-')}`, language: 'en' })).body.text);
    const other = String((await post(b.redactKey, { text: `mail ${EMAIL} card ${CARD}`, language: 'en' })).body.text);
    expect(one).toMatch(/^mail <EMAIL:hmac:[0-9a-f]{32}> card <CARD_NUMBER:hmac:[0-9a-f]{32}>$/);
    expect(two).toBe(one);
    expect(other).toMatch(/^mail <EMAIL:hmac:[0-9a-f]{32}> card <CARD_NUMBER:hmac:[0-9a-f]{32}>$/);
    expect(other).not.toBe(one);
  });

  it('tokenize: the vault card token in place of the number (same length, last four kept, fails Luhn)', async () => {
    expectStatus(await putPolicy(person(a, 'olga').token, { policy: { operators: { CARD_NUMBER: { kind: 'tokenize' } }, defaultOperator: { kind: 'tag' } } }), 200);
    const res = await post(a.redactKey, { text: `card ${CARD} thanks`, language: 'en' });
    const match = /^card ([0-9]{16}) thanks$/.exec(String(res.body.text));
    expect(match).not.toBeNull();
    const token = match?.[1] ?? '';
    expect(token.endsWith('1111')).toBe(true);
    expect(token).not.toBe(CARD.replace(/ /g, ''));
    const luhn = token.split('').reverse().map(Number).reduce((sum, d, i) => sum + (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
    expect(luhn % 10).not.toBe(0);
    expect(await scanTenant(t, a.tenantId, [CARD])).toEqual([]);
  });

  it('encrypt: vault ciphertext, opened only by a security officer with a reason, each use recorded', async () => {
    expectStatus(await putPolicy(person(a, 'olga').token, { policy: { operators: { EMAIL: { kind: 'encrypt' } }, defaultOperator: { kind: 'tag' } } }), 200);
    const res = await post(a.redactKey, { text: `mail ${EMAIL} please`, language: 'en' });
    const sealed = /<EMAIL:enc:[^>]+>/.exec(String(res.body.text))?.[0] ?? '';
    expect(sealed).toMatch(/^<EMAIL:enc:v1\./);
    expectNoLeak(String(res.body.text), [EMAIL]);

    const ask = (token: string, value = sealed, reason = 'fraud_investigation') => api(t, 'POST', '/v1/redaction/decrypt', { token, payload: { value, reason, justification: 'Case 77: chargeback dispute review' } });
    const opened = await ask(person(a, 'olga').token);
    expectStatus(opened, 200);
    expect(opened.body).toEqual({ type: 'EMAIL', value: EMAIL.toLowerCase(), interactionId: null });
    for (const name of ['ana', 'sara', 'aud']) expectProblem(await ask(person(a, name).token), 403, 'agents.forbidden');
    expectProblem(await ask(a.admin.token), 403, 'agents.forbidden');
    // Another contact center's officer, an edited ciphertext, garbage: the same answer.
    const foreign = await ask(person(b, 'olga').token);
    expectProblem(foreign, 404, 'redaction.not_decryptable');
    const edited = sealed.replace(/\.([A-Za-z0-9_-])([A-Za-z0-9_-]*)>$/, (_m, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}>`);
    expectProblem(await ask(person(a, 'olga').token, edited), 404, 'redaction.not_decryptable');
    expectProblem(await ask(person(a, 'olga').token, '<EMAIL:enc:nonsense>'), 404, 'redaction.not_decryptable');
    expectProblem(await ask(person(a, 'olga').token, sealed, 'curiosity'), 400, 'request.invalid');

    const entries = (await ledgerOf(t, a.tenantId, 'redaction.decrypt')).filter((e) => e.action === 'redaction.decrypt');
    expect(entries).toHaveLength(1);
    // Each value that did not open is recorded too (the edited one and the garbage here; the
    // foreign one in the other contact center's ledger, whose officer tried it): who, why, no value.
    const refusals = await ledgerOf(t, a.tenantId, 'redaction.decrypt.refused');
    expect(refusals.map((r) => r.entry)).toEqual([0, 1].map(() => expect.objectContaining({ actor: { type: 'agent', id: person(a, 'olga').agentId }, targets: {}, purpose: 'fraud_investigation', details: { cause: 'not_decryptable' } })));
    expect((await ledgerOf(t, b.tenantId, 'redaction.decrypt.refused')).map((r) => r.entry.actor)).toEqual([{ type: 'agent', id: person(b, 'olga').agentId }]);
    for (const r of refusals) expectNoLeak(r.raw, [EMAIL, 'nonsense', sealed.slice(12, 40)]);
    expect(entries[0]?.entry).toMatchObject({ actor: { type: 'agent', id: person(a, 'olga').agentId }, purpose: 'fraud_investigation', details: { entityType: 'email' } });
    expectNoLeak(entries[0]?.raw ?? '', [EMAIL]);
    expect(entries[0]?.raw).not.toContain('chargeback');
    expect(await scanTenant(t, a.tenantId, SECRETS)).toEqual([]);
    // The scan does see stored text: the officer's justification is kept (outside the ledger).
    expect(await scanTenant(t, a.tenantId, ['chargeback dispute'])).toEqual(['redaction_decryptions: chargeback dispute']);
    expectNoLeak(t.logs.text(), SECRETS);
  });
});
