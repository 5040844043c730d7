/**
 * The ledger over HTTP: the public key (no credentials), and with a platform token a tenant's
 * tree head, checkpoints, entries and proofs. The proofs are checked with merkle.ts's RFC 9162
 * verifiers against checkpoints whose signatures verify with the published key; bad input is a
 * problem+json with a stable code; one tenant's ledger never shows in another's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merkle, verifyCheckpoint } from '../../src/ledger/index.js';
import { newId } from '../../src/platform/ids.js';
import { issuePlatformToken } from '../../src/tenants/index.js';
import { createTestApp, type TestApp } from '../helpers/context.js';
import { bearer, expectProblem } from '../helpers/http.js';
import { createTenant } from '../helpers/vault.js';

interface CheckpointBody {
  size: number;
  root: string;
  time: string;
  keyId: string;
  signature: string;
}

let t: TestApp;
let auth: { authorization: string };
let tenant: string;
let empty: string;
const N = 25;

beforeAll(async () => {
  t = await createTestApp({ env: { CUSTODIA_LEDGER_CHECKPOINT_EVERY: '10' } });
  auth = bearer((await issuePlatformToken(t.ctx.db, { name: 'ledger-tests', now: t.clock.now() })).token);
  tenant = await createTenant(t.ctx.db, 'ledger-http');
  empty = await createTenant(t.ctx.db, 'ledger-http-empty');
});

afterAll(async () => {
  await t?.close();
});

async function get<T>(url: string, headers: Record<string, string> = auth): Promise<T> {
  const res = await t.app.inject({ url, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
}

const base = () => `/v1/platform/tenants/${tenant}/ledger`;
const b64 = (s: string) => Buffer.from(s, 'base64');

describe('ledger routes', () => {
  it('publishes the signing key without credentials (none before the first checkpoint)', async () => {
    expect(await get('/v1/ledger/public-key', {})).toEqual({ algorithm: 'Ed25519', current: null, keys: [] });
  });

  it('answers the tree head, checkpoints, entries and proofs of a tenant', async () => {
    const { ledger, db } = t.ctx;
    await db.withTenant(tenant, async (tx) => {
      for (let i = 0; i < N; i++) await ledger.record(tx, tenant, { actor: { type: 'agent', id: 'a1' }, action: 'customer.field.reveal', targets: { customer: newId(), field: `f${i}` } });
    });
    await ledger.sequenceAll(tenant);
    await db.withTenant(tenant, (tx) => ledger.record(tx, tenant, { actor: { type: 'agent', id: 'a1' }, action: 'customer.field.reveal' }));

    const keys = await get<{ current: string; keys: { keyId: string; publicKey: string; pem: string }[] }>('/v1/ledger/public-key', {});
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]?.keyId).toBe(keys.current);
    expect(keys.keys[0]?.pem).toContain('BEGIN PUBLIC KEY');
    const publicKey = b64(keys.keys[0]?.publicKey ?? '');
    const signed = (c: CheckpointBody) => verifyCheckpoint({ tenantId: tenant, size: c.size, root: b64(c.root), at: c.time }, b64(c.signature), publicKey);

    // One checkpoint per batch that reached 10 new entries: the whole 25 in one batch.
    const head = await get<{ size: number; root: string; queued: number; checkpoint: CheckpointBody }>(base());
    expect(head).toMatchObject({ size: N, queued: 1, checkpoint: { size: N, root: head.root, keyId: keys.current } });
    expect(signed(head.checkpoint)).toBe(true);

    const checkpoints = await get<{ checkpoints: CheckpointBody[]; next?: number }>(`${base()}/checkpoints`);
    expect(checkpoints).toEqual({ checkpoints: [head.checkpoint] });
    expect(await get(`${base()}/checkpoints?after=${N}`)).toEqual({ checkpoints: [] });

    const page1 = await get<{ entries: { seq: number; entry: string }[]; next?: number }>(`${base()}/entries?limit=10`);
    expect(page1.entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(page1.next).toBe(10);
    const last = await get<{ entries: { seq: number; entry: string }[]; next?: number }>(`${base()}/entries?from=20&limit=10`);
    expect(last.entries.map((e) => e.seq)).toEqual([20, 21, 22, 23, 24]);
    expect(last.next).toBeUndefined();
    const leaves = [...page1.entries, ...(await get<{ entries: { entry: string }[] }>(`${base()}/entries?from=10&limit=10`)).entries, ...last.entries].map((e) => merkle.leafHash(Buffer.from(e.entry, 'utf8')));
    expect(merkle.rootOf(leaves).toString('base64')).toBe(head.root);

    // Inclusion: by default against the latest checkpoint that covers the entry.
    const inclusion = await get<{ seq: number; size: number; entry: string; leafHash: string; proof: string[]; root: string; checkpoint: CheckpointBody }>(`${base()}/proofs/inclusion?seq=13`);
    expect(inclusion).toMatchObject({ seq: 13, size: N, root: head.root, checkpoint: head.checkpoint });
    expect(JSON.parse(inclusion.entry)).toMatchObject({ seq: 13, targets: { field: 'f13' } });
    expect(merkle.leafHash(Buffer.from(inclusion.entry, 'utf8')).toString('base64')).toBe(inclusion.leafHash);
    expect(merkle.verifyInclusion(b64(inclusion.leafHash), 13, N, inclusion.proof.map(b64), b64(inclusion.checkpoint.root))).toBe(true);
    const smaller = await get<{ size: number; proof: string[]; root: string; leafHash: string; checkpoint: null }>(`${base()}/proofs/inclusion?seq=13&size=14`);
    expect(smaller).toMatchObject({ size: 14, checkpoint: null });
    expect(merkle.verifyInclusion(b64(smaller.leafHash), 13, 14, smaller.proof.map(b64), merkle.rootOf(leaves.slice(0, 14)))).toBe(true);

    // Consistency: from an older size to the latest checkpoint.
    const consistency = await get<{ from: number; to: number; proof: string[]; oldRoot: string; newRoot: string; checkpoints: { from: null; to: CheckpointBody } }>(`${base()}/proofs/consistency?from=7`);
    expect(consistency).toMatchObject({ from: 7, to: N, newRoot: head.root, checkpoints: { from: null, to: head.checkpoint } });
    expect(consistency.oldRoot).toBe(merkle.rootOf(leaves.slice(0, 7)).toString('base64'));
    expect(merkle.verifyConsistency(7, N, consistency.proof.map(b64), b64(consistency.oldRoot), b64(consistency.newRoot))).toBe(true);
    expect(await get(`${base()}/proofs/consistency?from=${N}`)).toMatchObject({ from: N, to: N, proof: [] });
  });

  it('keeps each tenant’s ledger to itself', async () => {
    expect(await get(`/v1/platform/tenants/${empty}/ledger`)).toEqual({ size: 0, root: merkle.emptyRoot().toString('base64'), queued: 0, checkpoint: null });
    expect(await get(`/v1/platform/tenants/${empty}/ledger/entries`)).toEqual({ entries: [] });
    expect(await get(`/v1/platform/tenants/${empty}/ledger/checkpoints`)).toEqual({ checkpoints: [] });
    expectProblem(await t.app.inject({ url: `/v1/platform/tenants/${empty}/ledger/proofs/inclusion?seq=0`, headers: auth }), 404, 'ledger.beyond_tree');
  });

  it('needs a platform token for a tenant’s ledger', async () => {
    for (const url of [base(), `${base()}/checkpoints`, `${base()}/entries`, `${base()}/proofs/inclusion?seq=0`, `${base()}/proofs/consistency?from=1`]) {
      const res = await t.app.inject({ url });
      expectProblem(res, 401, 'platform.token_invalid');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="custodia"');
    }
  });

  it('answers bad input with problem details and stable codes', async () => {
    const cases: [string, number, string][] = [
      ['/v1/ledger/public-key?format=pem', 400, 'request.invalid'],
      [`/v1/platform/tenants/${newId()}/ledger`, 404, 'tenants.not_found'],
      [`/v1/platform/tenants/${newId()}/ledger/proofs/inclusion?seq=0`, 404, 'tenants.not_found'],
      ['/v1/platform/tenants/not-a-uuid/ledger', 400, 'request.invalid'],
      [`${base()}/proofs/inclusion?seq=-1`, 400, 'request.invalid'],
      [`${base()}/proofs/inclusion`, 400, 'request.invalid'],
      [`${base()}/proofs/inclusion?seq=1&extra=1`, 400, 'request.invalid'],
      [`${base()}/proofs/inclusion?seq=1.5`, 400, 'request.invalid'],
      [`${base()}/proofs/inclusion?seq=${N}`, 404, 'ledger.beyond_tree'],
      [`${base()}/proofs/inclusion?seq=3&size=${N + 1}`, 404, 'ledger.beyond_tree'],
      [`${base()}/proofs/inclusion?seq=5&size=5`, 400, 'ledger.invalid_range'],
      [`${base()}/proofs/consistency?from=0`, 400, 'request.invalid'],
      [`${base()}/proofs/consistency?from=10&to=5`, 400, 'ledger.invalid_range'],
      [`${base()}/proofs/consistency?from=${N + 1}`, 404, 'ledger.beyond_tree'],
      [`${base()}/proofs/consistency?from=1&to=${N + 1}`, 404, 'ledger.beyond_tree'],
      [`${base()}/entries?limit=0`, 400, 'request.invalid'],
      [`${base()}/entries?limit=1001`, 400, 'request.invalid'],
      [`${base()}/checkpoints?after=-1`, 400, 'request.invalid'],
    ];
    for (const [url, status, code] of cases) expectProblem(await t.app.inject({ url, headers: auth }), status, code);
  });
});
