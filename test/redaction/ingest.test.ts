/**
 * Messages posted to interactions (chat, email, transcript segments) are redacted before they are
 * stored, logged or returned: what the tables, the answers, the logs and the ledger hold is
 * scanned for the values posted. Transcript segments of one speaker are one stream, so a card
 * number read across two segments is caught, and the tail held between them rests only as vault
 * ciphertext.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, type Body, expectProblem, expectStatus, person, type Reply, UNKNOWN_ID } from '../interactions/helpers.js';
import { expectNoLeak, ledgerOf, type RedactionCenter, redactionCenter, scanTenant } from './api-helpers.js';

let t: TestApp;
let a: RedactionCenter;
let b: RedactionCenter;

const CARD = '4111 1111 1111 1111';
const CARD2 = '5500 0000 0000 0004';
const EMAIL = 'joao.silva@correio.example';
const CPF = '529.982.247-25';
const SECRETS = [CARD, CARD2, EMAIL, CPF];

beforeAll(async () => {
  t = await createTestApp();
  a = await redactionCenter(t, 'ing-a');
  b = await redactionCenter(t, 'ing-b');
}, 240_000);

afterAll(async () => {
  await t?.close();
});

async function interaction(cc: RedactionCenter, channel: 'call' | 'chat' | 'email', agent = 'ana'): Promise<string> {
  const res = await api(t, 'POST', '/v1/interactions', { token: cc.platformKey, payload: { channel, direction: 'inbound', state: 'active', assignedAgentId: person(cc, agent).agentId } });
  expectStatus(res, 201);
  return String(res.body.id);
}

const postMessage = (token: string, id: string, payload: Body): Promise<Reply> => api(t, 'POST', `/v1/interactions/${id}/messages`, { token, payload });
const list = (token: string, id: string, query = ''): Promise<Reply> => api(t, 'GET', `/v1/interactions/${id}/messages${query}`, { token });

describe('chat and email', () => {
  it('the platform posts a chat message: stored, answered and listed redacted; one ledger entry with the counts', async () => {
    const id = await interaction(a, 'chat');
    const res = await postMessage(a.platformKey, id, { kind: 'chat', sender: 'customer', text: `Olá, meu cartão é ${CARD} e meu CPF ${CPF}. Pedido 4471 de ontem.`, language: 'pt' });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ interactionId: id, kind: 'chat', sender: 'customer', language: 'pt', policyVersion: 1, redactions: { CARD_NUMBER: 1, CPF: 1 }, actor: { type: 'service' } });
    expect(res.body.text).toBe('Olá, meu cartão é <CARD_NUMBER> e meu CPF <CPF>. Pedido 4471 de ontem.');
    const listed = await list(person(a, 'ana').token, id);
    expectStatus(listed, 200);
    expect(listed.body.messages).toEqual([res.body]);

    const entries = (await ledgerOf(t, a.tenantId, 'interaction.message.add')).filter((e) => (e.entry.targets as Record<string, string>).interaction === id);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.entry).toMatchObject({ targets: { interaction: id, message: res.body.id }, details: { kind: 'chat', card_number: 1, cpf: 1, policyVersion: 1 } });
  });

  it('an email: body and subject redacted; the assigned agent may post, and reads back the same', async () => {
    const id = await interaction(a, 'email');
    const res = await postMessage(person(a, 'ana').token, id, { kind: 'email', sender: 'agent', subject: `Your card ${CARD2}`, text: `Dear customer, we wrote to ${EMAIL} about card ${CARD2}.` });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ subject: 'Your card <CARD_NUMBER>', text: 'Dear customer, we wrote to <EMAIL> about card <CARD_NUMBER>.', redactions: { CARD_NUMBER: 2, EMAIL: 1 }, actor: { type: 'agent', id: person(a, 'ana').agentId } });
    expect((await list(a.platformKey, id)).body.messages).toEqual([res.body]);
  });

  it("another agent, a key without interactions:write, another tenant's key and an unknown id: refused, nothing stored", async () => {
    const id = await interaction(a, 'chat');
    const payload = { kind: 'chat', sender: 'customer', text: `card ${CARD}` };
    expectProblem(await postMessage(person(a, 'leo').token, id, payload), 404, 'interactions.not_found');
    expectProblem(await list(person(a, 'leo').token, id), 404, 'interactions.not_found');
    expectProblem(await postMessage(a.readerKey, id, payload), 403, 'agents.forbidden');
    expectProblem(await postMessage(a.redactKey, id, payload), 403, 'agents.forbidden');
    expectProblem(await postMessage(person(a, 'olga').token, id, payload), 403, 'agents.forbidden');
    const foreign = await postMessage(b.platformKey, id, payload);
    expectProblem(foreign, 404, 'interactions.not_found');
    const unknown = await postMessage(b.platformKey, UNKNOWN_ID, payload);
    expect({ ...unknown.body, requestId: null }).toEqual({ ...foreign.body, requestId: null });
    expectProblem(await list(b.platformKey, id), 404, 'interactions.not_found');
    // The supervisor may (every interaction of the contact center).
    expectStatus(await postMessage(person(a, 'sara').token, id, { kind: 'chat', sender: 'agent', text: 'hello' }), 201);
    expect(((await list(a.platformKey, id)).body.messages as unknown[]).length).toBe(1);
  });

  it('bad shapes are problems with stable codes', async () => {
    const id = await interaction(a, 'chat');
    expectProblem(await postMessage(a.platformKey, id, { kind: 'chat', text: 'no sender' }), 400, 'request.invalid');
    expectProblem(await postMessage(a.platformKey, id, { kind: 'transcript', speaker: 'Ana García', text: 'x' }), 400, 'request.invalid');
    expectProblem(await postMessage(a.platformKey, id, { kind: 'chat', sender: 'customer', subject: 'x', text: 'x' }), 400, 'request.invalid');
    expectProblem(await postMessage(a.platformKey, id, { kind: 'chat', sender: 'customer', text: 'x'.repeat(262_145) }), 400, 'request.invalid');
    expectProblem(await postMessage(a.platformKey, 'not-a-uuid', { kind: 'chat', sender: 'customer', text: 'x' }), 400, 'request.invalid');
  });
});

describe('transcript segments', () => {
  it('a card number split across two segments is caught; neither row, nor the held tail, holds it in clear', async () => {
    const id = await interaction(a, 'call');
    const one = await postMessage(a.platformKey, id, { kind: 'transcript', speaker: 'customer', startMs: 0, endMs: 4000, text: 'sure, my card number is 4111 1111', language: 'en' });
    expectStatus(one, 201);
    expect(one.body.text).not.toContain('4111');
    // Between the segments the tail rests only as vault ciphertext.
    const held = await t.ctx.db.withTenant(a.tenantId, (tx) => tx.withTables<{ interaction_message_streams: { interaction_id: string; state_cipher: string } }>().selectFrom('interaction_message_streams').select('state_cipher').where('interaction_id', '=', id).execute());
    expect(held).toHaveLength(1);
    expect(held[0]?.state_cipher).toMatch(/^v1\./);
    expect(await scanTenant(t, a.tenantId, ['4111 1111'])).toEqual([]);

    const two = await postMessage(a.platformKey, id, { kind: 'transcript', speaker: 'customer', startMs: 4000, endMs: 8000, text: ' 1111 1111 and it expires soon, thanks', final: true });
    expectStatus(two, 201);
    const texts = ((await list(a.platformKey, id)).body.messages as Body[]).map((m) => String(m.text));
    const whole = texts.join('');
    expect(whole).toContain('<CARD_NUMBER>');
    expect(whole).toContain('thanks');
    expect(whole.startsWith('sure, my card number is')).toBe(true);
    for (const text of texts) expect(text).not.toMatch(/4111|1111 1111/);
    expect(Number((two.body.redactions as Body).CARD_NUMBER ?? 0) + Number((one.body.redactions as Body).CARD_NUMBER ?? 0)).toBe(1);
    // The final segment deletes the held tail.
    const after = await t.ctx.db.withTenant(a.tenantId, (tx) => tx.withTables<{ interaction_message_streams: { interaction_id: string } }>().selectFrom('interaction_message_streams').select('interaction_id').where('interaction_id', '=', id).execute());
    expect(after).toEqual([]);
    expect(await scanTenant(t, a.tenantId, SECRETS)).toEqual([]);
  });

  it('each speaker is its own stream: the agent speaking between two halves of the customer card changes nothing', async () => {
    const id = await interaction(a, 'call');
    const seg = (speaker: string, text: string, final = false) => postMessage(a.platformKey, id, { kind: 'transcript', speaker, text, final, language: 'es' });
    expectStatus(await seg('customer', 'mi tarjeta es 5500 0000'), 201);
    expectStatus(await seg('agent', 'perfecto, continúe por favor'), 201);
    expectStatus(await seg('customer', ' 0000 0004 gracias', true), 201);
    expectStatus(await seg('agent', ' gracias a usted', true), 201);
    const messages = (await list(a.platformKey, id)).body.messages as Body[];
    const of = (speaker: string) => messages.filter((m) => m.speaker === speaker).map((m) => String(m.text)).join('');
    expect(of('customer')).toBe('mi tarjeta es <CARD_NUMBER> gracias');
    expect(of('agent')).toBe('perfecto, continúe por favor gracias a usted');
    expect(await scanTenant(t, a.tenantId, [CARD2, '5500 0000'])).toEqual([]);
  });

  it('the ledger has one entry per message, counts only; the logs hold none of the values', async () => {
    const entries = await ledgerOf(t, a.tenantId, 'interaction.message.add');
    const stored = await t.ctx.db.withTenant(a.tenantId, (tx) => tx.withTables<{ interaction_messages: { id: string } }>().selectFrom('interaction_messages').select('id').execute());
    expect(entries).toHaveLength(stored.length);
    for (const e of entries) expectNoLeak(e.raw, SECRETS);
    expectNoLeak(t.logs.text(), SECRETS);
  });

  it("row-level security: another contact center's scope sees none of these messages or tails, even without a filter", async () => {
    const count = (tenantId: string) =>
      t.ctx.db.withTenant(tenantId, async (tx) => {
        const m = await tx.withTables<{ interaction_messages: { id: string } }>().selectFrom('interaction_messages').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
        const s = await tx.withTables<{ interaction_message_streams: { id: string } }>().selectFrom('interaction_message_streams').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
        return [Number(m.n), Number(s.n)];
      });
    expect((await count(a.tenantId))[0]).toBeGreaterThan(0);
    expect(await count(b.tenantId)).toEqual([0, 0]);
  });
});

describe('with the encrypt operator', () => {
  it('only vault ciphertext rests; the security officer can open it with a reason, bound to its interaction', async () => {
    const officer = person(a, 'olga').token;
    expectStatus(await api(t, 'PUT', '/v1/redaction/policy', { token: officer, payload: { policy: { operators: { EMAIL: { kind: 'encrypt' }, CARD_NUMBER: { kind: 'tokenize' } }, defaultOperator: { kind: 'tag' } } } }), 200);
    const id = await interaction(a, 'chat');
    const res = await postMessage(a.platformKey, id, { kind: 'chat', sender: 'customer', text: `write to ${EMAIL}, card ${CARD}`, language: 'en' });
    expectStatus(res, 201);
    expect(res.body.policyVersion).toBe(2);
    const sealed = /<EMAIL:enc:[^>]+>/.exec(String(res.body.text))?.[0] ?? '';
    expect(sealed.startsWith(`<EMAIL:enc:${id}.v1.`)).toBe(true);
    expect(String(res.body.text)).toMatch(/card [0-9]{12}1111$/);
    expect(await scanTenant(t, a.tenantId, SECRETS)).toEqual([]);

    const opened = await api(t, 'POST', '/v1/redaction/decrypt', { token: officer, payload: { value: sealed, reason: 'customer_request', justification: 'Customer asked which address we hold' } });
    expectStatus(opened, 200);
    expect(opened.body).toEqual({ type: 'EMAIL', value: EMAIL, interactionId: id });
    const entry = (await ledgerOf(t, a.tenantId, 'redaction.decrypt')).at(-1);
    expect(entry?.entry).toMatchObject({ purpose: 'customer_request', targets: { interaction: id } });
    // Claimed for another interaction: the binding fails.
    const other = await interaction(a, 'chat');
    expectProblem(await api(t, 'POST', '/v1/redaction/decrypt', { token: officer, payload: { value: sealed.replace(id, other), reason: 'customer_request', justification: 'Customer asked which address we hold' } }), 404, 'redaction.not_decryptable');
  });
});
