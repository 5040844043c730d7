/**
 * A live transcript whose last segment never comes (the call dropped, the platform crashed): the
 * interaction leaving `active` ends it. What the stream still held back is redacted and stored as
 * a final segment per speaker, and the sealed tail is deleted, so no customer words stay behind in
 * `interaction_message_streams` and the stored transcript has its end. An invalid move stores and
 * deletes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { ledgerOf, type RedactionCenter, redactionCenter, scanTenant } from '../redaction/api-helpers.js';
import { api, type Body, expectProblem, expectStatus, person, type Reply } from './helpers.js';

let t: TestApp;
let cc: RedactionCenter;

beforeAll(async () => {
  t = await createTestApp();
  cc = await redactionCenter(t, 'flush');
}, 240_000);

afterAll(async () => {
  await t?.close();
});

async function call(): Promise<string> {
  const res = await api(t, 'POST', '/v1/interactions', { token: cc.platformKey, payload: { channel: 'call', direction: 'inbound', state: 'active', assignedAgentId: person(cc, 'ana').agentId } });
  expectStatus(res, 201);
  return String(res.body.id);
}

const segment = (id: string, payload: Body): Promise<Reply> => api(t, 'POST', `/v1/interactions/${id}/messages`, { token: cc.platformKey, payload: { kind: 'transcript', ...payload } });
const move = (id: string, state: string, token = cc.platformKey): Promise<Reply> => api(t, 'POST', `/v1/interactions/${id}/state`, { token, payload: { state } });

async function heldStreams(id: string): Promise<string[]> {
  const rows = await t.ctx.db.withTenant(cc.tenantId, (tx) =>
    tx.withTables<{ interaction_message_streams: { interaction_id: string; speaker: string } }>().selectFrom('interaction_message_streams').select('speaker').where('interaction_id', '=', id).orderBy('speaker').execute(),
  );
  return rows.map((r) => r.speaker);
}

async function transcript(id: string): Promise<Body[]> {
  const listed = await api(t, 'GET', `/v1/interactions/${id}/messages`, { token: cc.platformKey });
  expectStatus(listed, 200);
  return listed.body.messages as Body[];
}

describe('live transcripts end with the interaction', () => {
  it('wrap-up releases each speaker\'s held tail, redacted, and deletes it', async () => {
    const id = await call();
    expectStatus(await segment(id, { speaker: 'customer', text: 'mi tarjeta es la 4111 1111 1111 1111', language: 'es' }), 201);
    expectStatus(await segment(id, { speaker: 'agent', text: 'perfecto, un momento por favor', language: 'es' }), 201);
    expect(await heldStreams(id)).toEqual(['agent', 'customer']);

    // The agent ends the call; the platform never sent a final segment.
    expectStatus(await move(id, 'wrap_up', person(cc, 'ana').token), 200);
    expect(await heldStreams(id)).toEqual([]);
    const messages = await transcript(id);
    const finals = messages.filter((m) => m.final === true);
    expect(finals.map((m) => m.speaker).sort()).toEqual(['agent', 'customer']);
    const customer = messages.filter((m) => m.speaker === 'customer').map((m) => String(m.text)).join('');
    // The whole card was held back (it could have gone on): it is released now, as a tag.
    expect(customer).toBe('mi tarjeta es la <CARD_NUMBER>');
    expect(messages.filter((m) => m.speaker === 'agent').map((m) => String(m.text)).join('')).toBe('perfecto, un momento por favor');
    expect(finals.find((m) => m.speaker === 'customer')?.redactions).toEqual({ CARD_NUMBER: 1 });
    expect(await scanTenant(t, cc.tenantId, ['4111 1111 1111 1111'])).toEqual([]);
    // Each released segment is a message like any other in the ledger, with the counts only.
    const entries = (await ledgerOf(t, cc.tenantId, 'interaction.message.add')).filter((e) => (e.entry.targets as Record<string, string>).interaction === id);
    expect(entries.length).toBe(messages.length);
    // Closing afterwards finds nothing more to release.
    expectStatus(await move(id, 'closed'), 200);
    expect(await transcript(id)).toHaveLength(messages.length);
  });

  it('closing an active call directly does the same; a transcript that ended normally is left alone', async () => {
    const id = await call();
    expectStatus(await segment(id, { speaker: 'customer', text: 'my number is 4111 1111', language: 'en' }), 201);
    expectStatus(await segment(id, { speaker: 'agent', text: 'thank you, goodbye', final: true, language: 'en' }), 201);
    expect(await heldStreams(id)).toEqual(['customer']);
    const before = (await transcript(id)).length;
    expectStatus(await move(id, 'closed'), 200);
    const after = await transcript(id);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ speaker: 'customer', final: true });
    expect(await heldStreams(id)).toEqual([]);
  });

  it('an invalid move keeps the stream as it was', async () => {
    // A call still in the queue (the IVR talking to the caller), transcribed already.
    const queued = await api(t, 'POST', '/v1/interactions', { token: cc.platformKey, payload: { channel: 'call', direction: 'inbound' } });
    expectStatus(queued, 201);
    const id = String(queued.body.id);
    expectStatus(await segment(id, { speaker: 'customer', text: 'hola, quería consultar mi tarjeta 4111 1111', language: 'es' }), 201);
    const before = await transcript(id);
    // queued -> wrap_up is not a move the state machine allows: the release made first rolls back with it.
    expectProblem(await move(id, 'wrap_up'), 409, 'interactions.invalid_transition');
    expect(await heldStreams(id)).toEqual(['customer']);
    expect(await transcript(id)).toEqual(before);
  });
});
