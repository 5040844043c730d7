/**
 * Biometric verification over the real API with the reference engine: consent before enrollment,
 * the template at rest only as vault ciphertext (the whole database scanned for it), genuine and
 * impostor samples passing and failing, withdrawal and deletion crypto-shredding the template,
 * the ledger, and other contact centers' ids answering like unknown ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer } from '../../src/customers/index.js';
import { bearerOf } from '../agents/helpers.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { api, type ContactCenter, contactCenter, expectProblem, expectStatus, person, type Reply, UNKNOWN_ID } from '../interactions/helpers.js';
import { openInteraction } from './helpers.js';
import { seededGaussian } from '../../src/platform/seeded-random.js';

const gaussian = seededGaussian;

const DIM = 192;
const draw = gaussian(2026);
/** A person: a random direction. A capture of them: that direction plus noise of norm `noise`. */
const person_ = () => Array.from({ length: DIM }, draw);
const capture = (identity: number[], noise = 0.8) => {
  const n = Math.hypot(...identity);
  return identity.map((v) => v / n + (draw() * noise) / Math.sqrt(DIM));
};

let t: TestApp;
let cc: ContactCenter & { customerId: string; ivrKey: string };
let other: ContactCenter & { customerId: string; ivrKey: string };
const lucia = person_();
const impostor = person_();

async function center(slug: string): Promise<ContactCenter & { customerId: string; ivrKey: string }> {
  const base = await contactCenter(t, slug, { ana: 'agent', sec: 'security_officer' }, 0);
  const customerId = await t.ctx.db.withTenant(base.tenantId, async (tx) => {
    const created = await createCustomer(tx, { vault: t.ctx.vault }, base.tenantId, { customerNumber: `${slug.toUpperCase()}-1`, fields: { full_name: 'Lucía Cliente', phone: '+34612345678' } }, { type: 'system', id: 'test' }, t.clock.now());
    return created.id;
  });
  const key = await api(t, 'POST', '/v1/service-accounts/keys', { token: base.admin.token, payload: { name: 'ivr', scopes: ['verification:write', 'interactions:write'] } });
  expectStatus(key, 201);
  return { ...base, customers: [customerId], customerId, ivrKey: String(key.body.key) };
}

async function del(url: string, token: string): Promise<Reply> {
  const res = await t.app.inject({ method: 'DELETE', url, headers: bearerOf(token) });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Record<string, unknown>) : {}, headers: res.headers };
}

async function consent(c: typeof cc, interactionId: string, modality: 'face' | 'voice' = 'voice'): Promise<string> {
  const res = await api(t, 'POST', '/v1/verification/biometrics/consents', { token: c.ivrKey, payload: { interactionId, modality, purpose: 'caller_verification', textVersion: 'v3' } });
  expectStatus(res, 201);
  return String(res.body.id);
}

async function enroll(c: typeof cc, interactionId: string, consentId: string, embedding: number[], modality: 'face' | 'voice' = 'voice'): Promise<Reply> {
  return api(t, 'POST', '/v1/verification/biometrics/enrollments', { token: c.ivrKey, payload: { interactionId, consentId, modality, embedding } });
}

async function session(c: typeof cc, interactionId: string, token = c.ivrKey): Promise<string> {
  const res = await api(t, 'POST', '/v1/verifications', { token, payload: { interactionId, targetLevel: 3 } });
  expectStatus(res, 201);
  return String(res.body.id);
}

async function verify(c: typeof cc, sessionId: string, embedding: number[], modality: 'face' | 'voice' = 'voice', token = c.ivrKey): Promise<Reply> {
  return api(t, 'POST', `/v1/verifications/${sessionId}/biometrics`, { token, payload: { modality, embedding } });
}

async function ledger(tenantId: string): Promise<{ action: string; raw: string; entry: { targets: Record<string, string>; details: Record<string, unknown>; purpose?: string } }[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).where('action', 'like', 'verification.%').orderBy('seq').execute());
  return rows.map((r) => ({ action: r.action, raw: r.entry, entry: JSON.parse(r.entry) as { targets: Record<string, string>; details: Record<string, unknown>; purpose?: string } }));
}

beforeAll(async () => {
  t = await createTestApp({ env: { CUSTODIA_JOB_POLL_INTERVAL_MS: '0' } });
  cc = await center('bio');
  other = await center('bioother');
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('consent before enrollment', () => {
  it('refuses to enroll without a consent on record, then enrolls under it (ledger: who, when, purpose, text version)', async () => {
    const interaction = await openInteraction(t, cc, cc.customerId);
    expectProblem(await enroll(cc, interaction, UNKNOWN_ID, capture(lucia), 'face'), 409, 'verification.biometric_consent_required');
    const consentId = await consent(cc, interaction, 'face');
    // Consent to face does not cover voice.
    expectProblem(await enroll(cc, interaction, consentId, capture(lucia), 'voice'), 409, 'verification.biometric_consent_required');
    const enrolled = await enroll(cc, interaction, consentId, capture(lucia), 'face');
    expectStatus(enrolled, 201);
    expect(enrolled.body).toMatchObject({ customerId: cc.customerId, modality: 'face', consentId, provider: 'reference-cosine' });
    const entries = await ledger(cc.tenantId);
    const given = entries.find((e) => e.action === 'verification.biometric.consent' && e.entry.targets.consent === consentId);
    expect(given?.entry).toMatchObject({ purpose: 'caller_verification', details: { modality: 'face', textVersion: 'v3' }, targets: { customer: cc.customerId, interaction } });
    expect(entries.some((e) => e.action === 'verification.biometric.enroll' && e.entry.targets.enrollment === enrolled.body.id)).toBe(true);
  });

  it('refuses an unusable sample (too short, not finite, all zeros) as biometric_invalid_sample or a validation error', async () => {
    const interaction = await openInteraction(t, cc, cc.customerId);
    const consentId = await consent(cc, interaction, 'voice');
    expectStatus(await enroll(cc, interaction, consentId, [1, 2, 3]), 400);
    expectProblem(await enroll(cc, interaction, consentId, new Array<number>(DIM).fill(0)), 400, 'verification.biometric_invalid_sample');
  });
});

describe('templates at rest', () => {
  it('stores the template only as vault ciphertext: no table holds its floats, in any encoding', async () => {
    const interaction = await openInteraction(t, cc, cc.customerId);
    const consentId = await consent(cc, interaction, 'voice');
    const sample = capture(lucia);
    const res = await enroll(cc, interaction, consentId, sample);
    expectStatus(res, 201);
    // What the engine would store: the unit vector as float32 bytes; in base64, hex, and as text.
    const n = Math.hypot(...sample);
    const floats = Float32Array.from(sample.map((v) => v / n));
    const bytes = Buffer.from(floats.buffer);
    const needles = [bytes.toString('base64').slice(0, 24), bytes.toString('hex').slice(0, 24), String(sample[0]).slice(0, 10), String(floats[0]).slice(0, 10)];
    const dump = await t.database.db.withRawSession(async (s) => {
      const tables = await s.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'");
      const parts: string[] = [];
      for (const { t: table } of tables) {
        const rows = await s.query<{ r: string }>(`SELECT ${'t'}::text AS r FROM "${table}" t`);
        for (const row of rows) parts.push(row.r);
      }
      return parts.join('\n');
    });
    expect(dump).toContain(String(res.body.id));
    for (const needle of needles) expect(dump).not.toContain(needle);
    const row = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('biometric_enrollments' as never).select('template' as never).where('id' as never, '=', res.body.id as never).executeTakeFirstOrThrow());
    // The vault's self-describing ciphertext format (version.keyId.nonce.ciphertext).
    expect(String((row as { template: string }).template)).toMatch(/^v\d+\./);
  });
});

describe('verification', () => {
  it('a genuine sample passes (inherence: with the phone code level 2 would follow) and an impostor fails', async () => {
    const interaction = await openInteraction(t, cc, cc.customerId);
    const consentId = await consent(cc, interaction, 'voice');
    expectStatus(await enroll(cc, interaction, consentId, capture(lucia)), 201);
    const id = await session(cc, interaction);
    const status = await api(t, 'GET', `/v1/verifications/${id}`, { token: cc.ivrKey });
    expect((status.body.methods as { method: string; available: boolean }[]).find((m) => m.method === 'biometric_voice')).toMatchObject({ available: true });
    const wrong = await verify(cc, id, capture(impostor));
    expectStatus(wrong, 200);
    expect(wrong.body.passed).toBe(false);
    const right = await verify(cc, id, capture(lucia));
    expectStatus(right, 200);
    expect(right.body.passed).toBe(true);
    expect(right.body.status).toMatchObject({ level: 1 });
    // Pass or fail only: no score, no template in the answer.
    expect(JSON.stringify(right.body)).not.toMatch(/score|template|embedding/);
    const results = (await ledger(cc.tenantId)).filter((e) => e.action === 'verification.result' && e.entry.targets.session === id).map((e) => e.entry.details);
    expect(results).toEqual([{ method: 'biometric_voice', passed: false }, { method: 'biometric_voice', passed: true }]);
  });

  it('a customer without an enrollment of the modality is told so', async () => {
    const interaction = await openInteraction(t, other, other.customerId);
    const id = await session(other, interaction);
    expectProblem(await verify(other, id, capture(lucia), 'face'), 409, 'verification.biometric_not_enrolled');
  });
});

describe('withdrawal and deletion', () => {
  it('withdrawing consent deletes the enrollment and shreds its key; verification is then refused', async () => {
    const interaction = await openInteraction(t, cc, cc.customerId);
    const consentId = await consent(cc, interaction, 'face');
    const enrolled = await enroll(cc, interaction, consentId, capture(lucia), 'face');
    expectStatus(enrolled, 201);
    const withdrawn = await api(t, 'POST', `/v1/verification/biometrics/consents/${consentId}/withdraw`, { token: cc.ivrKey, payload: { interactionId: interaction } });
    expectStatus(withdrawn, 200);
    expect(withdrawn.body.enrollmentsDeleted).toBe(1);
    const keys = await t.ctx.db.withTenant(cc.tenantId, (tx) => tx.selectFrom('data_keys').select('id').where('owner_table', '=', 'biometric_enrollments').where('owner_id', '=', String(enrolled.body.id)).execute());
    expect(keys).toEqual([]);
    const id = await session(cc, interaction);
    expectProblem(await verify(cc, id, capture(lucia), 'face'), 409, 'verification.biometric_not_enrolled');
    expectProblem(await enroll(cc, interaction, consentId, capture(lucia), 'face'), 409, 'verification.biometric_consent_required');
    const entry = (await ledger(cc.tenantId)).find((e) => e.action === 'verification.biometric.consent_withdraw' && e.entry.targets.consent === consentId);
    expect(entry?.entry.details).toEqual({ modality: 'face', enrollmentsDeleted: 1 });
  });

  it('a security officer deletes an enrollment (crypto-shred); an agent may not', async () => {
    const interaction = await openInteraction(t, other, other.customerId);
    const consentId = await consent(other, interaction, 'voice');
    const enrolled = await enroll(other, interaction, consentId, capture(lucia));
    expectStatus(enrolled, 201);
    const url = `/v1/verification/biometrics/enrollments/${String(enrolled.body.id)}`;
    expectProblem(await del(url, person(other, 'ana').token), 403, 'agents.forbidden');
    expect((await del(url, person(other, 'sec').token)).status).toBe(204);
    expectProblem(await del(url, person(other, 'sec').token), 404, 'verification.biometric_not_found');
    const entry = (await ledger(other.tenantId)).find((e) => e.action === 'verification.biometric.delete');
    expect(entry?.entry).toMatchObject({ targets: { enrollment: enrolled.body.id, customer: other.customerId }, details: { modality: 'voice', dataKeyShredded: true } });
  });
});

describe('other contact centers', () => {
  it("answers another tenant's enrollment, consent and session ids like unknown ones", async () => {
    const interaction = await openInteraction(t, other, other.customerId);
    const consentId = await consent(other, interaction, 'face');
    const enrolled = await enroll(other, interaction, consentId, capture(lucia), 'face');
    expectStatus(enrolled, 201);
    const otherSession = await session(other, interaction);
    const sec = person(cc, 'sec').token;
    const foreign = await del(`/v1/verification/biometrics/enrollments/${String(enrolled.body.id)}`, sec);
    const unknown = await del(`/v1/verification/biometrics/enrollments/${UNKNOWN_ID}`, sec);
    expectProblem(foreign, 404, 'verification.biometric_not_found');
    expect(foreign.body.detail).toBe(unknown.body.detail);
    const mine = await openInteraction(t, cc, cc.customerId);
    expectProblem(await api(t, 'POST', `/v1/verification/biometrics/consents/${consentId}/withdraw`, { token: cc.ivrKey, payload: { interactionId: mine } }), 404, 'verification.biometric_not_found');
    expectProblem(await verify(cc, otherSession, capture(lucia), 'face'), 404, 'verification.not_found');
    expectProblem(await verify(cc, UNKNOWN_ID, capture(lucia), 'face'), 404, 'verification.not_found');
    // Another tenant's consent cannot be enrolled under.
    expectProblem(await enroll(cc, mine, consentId, capture(lucia), 'face'), 409, 'verification.biometric_consent_required');
  });
});
