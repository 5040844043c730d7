/**
 * The ledger against a real database: entries recorded in the writer's transaction (and gone if
 * it rolls back), sequenced gaplessly into an RFC 9162 tree whose root, inclusion and consistency
 * proofs an independent verifier (merkle.ts's verify functions, themselves checked against the
 * transparency-dev vectors) accepts; Ed25519-signed checkpoints; append-only storage; no personal
 * data accepted; and many concurrent writers and sequencers without gaps, duplicates or forks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { checkpointNote, decodeEntry, Ledger, type LedgerEntryInput, LedgerErrors, type LedgerSigner, loadSigner, merkle, verifyCheckpoint } from '../../src/ledger/index.js';
import { FixedClock } from '../../src/platform/clock.js';
import { newId } from '../../src/platform/ids.js';
import { createEnvKeyProvider } from '../../src/vault/key-providers/env-provider.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTenant, newRootKey, rejectionOf, TEST_NOW } from '../helpers/vault.js';

let t: TestDatabase;
let db: Database;
const clock = new FixedClock(TEST_NOW);
const provider = createEnvKeyProvider(newRootKey().env);

let signer: Promise<LedgerSigner> | undefined;
const sharedSigner = () => (signer ??= loadSigner(db, provider, clock));

function newLedger(options: { checkpointEvery?: number; checkpointIntervalMs?: number; batchSize?: number } = {}): Ledger {
  return new Ledger({
    db,
    clock,
    checkpointEvery: options.checkpointEvery ?? 1_000_000,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 86_400_000,
    batchSize: options.batchSize ?? 1000,
    signer: sharedSigner,
  });
}

beforeAll(async () => {
  t = await openTestDatabase();
  db = t.db;
});

afterAll(async () => {
  await t?.destroy();
});

const reveal = (customer: string, field: string, agent = 'a1'): LedgerEntryInput => ({
  actor: { type: 'agent', id: agent },
  action: 'customer.field.reveal',
  targets: { customer, field },
  purpose: 'billing_dispute',
  details: { masked: 'j***@e******.com' },
});

async function leafHashesOf(tenantId: string): Promise<Buffer[]> {
  const rows = await db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['seq', 'entry']).orderBy('seq').execute());
  rows.forEach((r, i) => expect(r.seq).toBe(i));
  return rows.map((r) => merkle.leafHash(Buffer.from(r.entry, 'utf8')));
}

describe(`ledger on ${backend}`, () => {
  it('records in the writer’s transaction: committed entries are sequenced 0, 1, 2…; rolled-back ones never exist', async () => {
    const tenant = await createTenant(db, 'ledger-basic');
    const ledger = newLedger();
    const customer = newId();
    await db.withTenant(tenant, async (tx) => {
      await ledger.record(tx, tenant, reveal(customer, 'email'));
      await ledger.record(tx, tenant, reveal(customer, 'phone'));
    });
    await rejectionOf(
      db.withTenant(tenant, async (tx) => {
        await ledger.record(tx, tenant, reveal(customer, 'document'));
        throw new Error('the change failed');
      }),
    );
    await db.withTenant(tenant, (tx) => ledger.record(tx, tenant, reveal(customer, 'address')));
    const result = await ledger.sequenceAll(tenant);
    expect(result.size).toBe(3);

    const rows = await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_entries').selectAll().orderBy('seq').execute());
    expect(rows.map((r) => [r.seq, JSON.parse(r.entry).targets.field])).toEqual([
      [0, 'email'],
      [1, 'phone'],
      [2, 'address'],
    ]);
    const first = decodeEntry(rows[0]?.entry ?? '');
    expect(first).toEqual({
      entry: {
        v: 1,
        tenant,
        seq: 0,
        at: '2026-11-23T09:00:00.000Z',
        actor: { type: 'agent', id: 'a1' },
        action: 'customer.field.reveal',
        targets: { customer, field: 'email' },
        purpose: 'billing_dispute',
        details: { masked: 'j***@e******.com' },
      },
    });
    // Canonical: sorted keys, no whitespace; the query columns agree with it.
    expect(rows[0]?.entry.startsWith('{"action":"customer.field.reveal","actor":{"id":"a1","type":"agent"},"at":"2026-11-23T09:00:00.000Z","details":')).toBe(true);
    expect(rows[0]).toMatchObject({ action: 'customer.field.reveal', actor_type: 'agent', actor_id: 'a1', customer_id: customer });
    // Nothing stays queued.
    expect(await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_queue').selectAll().execute())).toEqual([]);
  });

  it('keeps a tree whose root and proofs an independent RFC 9162 verifier accepts, at every size', async () => {
    const tenant = await createTenant(db, 'ledger-proofs');
    const ledger = newLedger({ batchSize: 7 }); // many small batches: the frontier is saved and reloaded
    const customer = newId();
    const N = 37;
    await db.withTenant(tenant, async (tx) => {
      for (let i = 0; i < N; i++) await ledger.record(tx, tenant, reveal(customer, `f${i}`));
    });
    await ledger.sequenceAll(tenant);
    const leaves = await leafHashesOf(tenant);
    expect(leaves).toHaveLength(N);

    await db.withTenant(tenant, async (tx) => {
      const head = await ledger.treeHead(tx, tenant);
      expect(head.root.equals(merkle.rootOf(leaves))).toBe(true);
      for (let size = 1; size <= N; size++) {
        const root = merkle.rootOf(leaves.slice(0, size));
        expect((await ledger.rootAt(tx, size)).equals(root), `root at ${size}`).toBe(true);
        for (const index of [0, Math.floor(size / 2), size - 1]) {
          const p = await ledger.inclusionProof(tx, index, size);
          expect(p.leafHash.equals(leaves[index] as Buffer)).toBe(true);
          expect(merkle.verifyInclusion(p.leafHash, index, size, p.proof, root), `inclusion ${index}/${size}`).toBe(true);
          // A proof for another leaf does not pass for this one.
          if (size > 1) expect(merkle.verifyInclusion(leaves[(index + 1) % size] as Buffer, index, size, p.proof, root)).toBe(false);
        }
        for (const m of [1, Math.ceil(size / 2), size]) {
          const c = await ledger.consistencyProof(tx, m, size);
          expect(c.oldRoot.equals(merkle.rootOf(leaves.slice(0, m)))).toBe(true);
          expect(merkle.verifyConsistency(m, size, c.proof, c.oldRoot, root), `consistency ${m}->${size}`).toBe(true);
        }
      }
      expect(((await rejectionOf(ledger.inclusionProof(tx, 0, N + 1))) as { code: string }).code).toBe(LedgerErrors.beyond_tree.code);
      expect(((await rejectionOf(ledger.inclusionProof(tx, 5, 5))) as { code: string }).code).toBe(LedgerErrors.invalid_range.code);
      expect(((await rejectionOf(ledger.consistencyProof(tx, 6, 5))) as { code: string }).code).toBe(LedgerErrors.invalid_range.code);
    });
  });

  it('signs checkpoints every N entries with Ed25519 over the documented note, verifiable with the published key', async () => {
    const tenant = await createTenant(db, 'ledger-checkpoints');
    const ledger = newLedger({ checkpointEvery: 5, batchSize: 5 });
    await db.withTenant(tenant, async (tx) => {
      for (let i = 0; i < 12; i++) await ledger.record(tx, tenant, reveal(newId(), 'email'));
    });
    await ledger.sequenceAll(tenant);
    const signer = await sharedSigner();
    const leaves = await leafHashesOf(tenant);
    const checkpoints = await db.withTenant(tenant, (tx) => ledger.checkpoints(tx));
    expect(checkpoints.map((c) => c.size)).toEqual([5, 10]);
    for (const c of checkpoints) {
      expect(c.root.equals(merkle.rootOf(leaves.slice(0, c.size)))).toBe(true);
      expect(c.keyId).toBe(signer.keyId);
      expect(verifyCheckpoint(c, c.signature, signer.publicKey)).toBe(true);
      // Bound to tenant, size, root and time: change any one and the signature fails.
      expect(verifyCheckpoint({ ...c, tenantId: newId() }, c.signature, signer.publicKey)).toBe(false);
      expect(verifyCheckpoint({ ...c, size: c.size + 1 }, c.signature, signer.publicKey)).toBe(false);
      expect(verifyCheckpoint({ ...c, root: merkle.emptyRoot() }, c.signature, signer.publicKey)).toBe(false);
      expect(verifyCheckpoint({ ...c, at: '2030-01-01T00:00:00.000Z' }, c.signature, signer.publicKey)).toBe(false);
      // Another key does not verify it.
      const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
      expect(verifyCheckpoint(c, c.signature, other)).toBe(false);
    }
    // The note's exact form (docs/ledger.md).
    const note = checkpointNote(checkpoints[0] as (typeof checkpoints)[0]).toString('utf8');
    expect(note).toBe(`custodia-ledger-checkpoint/v1\ntenant ${tenant}\nsize 5\nroot ${checkpoints[0]?.root.toString('base64')}\ntime 2026-11-23T09:00:00.000Z\n`);
    // The private key is stored only wrapped.
    const stored = await db.withPlatform((tx) => tx.selectFrom('ledger_signing_keys').selectAll().execute());
    expect(stored).toHaveLength(1);
    expect(stored[0]?.wrapped_private_key).not.toContain('MC4CAQAwBQYDK2Vw'); // PKCS#8 Ed25519 prefix in base64
  });

  it('signs a time-based checkpoint once the interval has passed, if the tree grew', async () => {
    const tenant = await createTenant(db, 'ledger-interval');
    const localClock = new FixedClock(TEST_NOW);
    const ledger = new Ledger({ db, clock: localClock, checkpointEvery: 1000, checkpointIntervalMs: 60_000, signer: sharedSigner });
    await db.withTenant(tenant, (tx) => ledger.record(tx, tenant, reveal(newId(), 'email')));
    expect((await ledger.sequence(tenant)).checkpoint).toBeUndefined();
    localClock.advance(59_000);
    expect((await ledger.sequence(tenant)).checkpoint).toBeUndefined();
    localClock.advance(1_000);
    expect((await ledger.sequence(tenant)).checkpoint?.size).toBe(1);
    localClock.advance(120_000);
    expect((await ledger.sequence(tenant)).checkpoint).toBeUndefined(); // nothing new
  });

  it('is append-only: the application role cannot update or delete entries, nodes or checkpoints, and neither can the owner', async () => {
    const tenant = await createTenant(db, 'ledger-append-only');
    const ledger = newLedger({ checkpointEvery: 1 });
    await db.withTenant(tenant, (tx) => ledger.record(tx, tenant, reveal(newId(), 'email')));
    await ledger.sequenceAll(tenant);
    for (const table of ['ledger_entries', 'ledger_nodes', 'ledger_checkpoints'] as const) {
      const update = await rejectionOf(db.withTenant(tenant, (tx) => tx.updateTable(table).set({ tenant_id: tenant }).execute()));
      expect(String((update as Error).message), table).toMatch(/permission denied/);
      const del = await rejectionOf(db.withTenant(tenant, (tx) => tx.deleteFrom(table).execute()));
      expect(String((del as Error).message), table).toMatch(/permission denied/);
      const owner = await rejectionOf(db.withRawSession((s) => s.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenant])));
      expect(String((owner as Error).message), table).toMatch(/append-only/);
      const ownerUpdate = await rejectionOf(db.withRawSession((s) => s.query(`UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id = $1`, [tenant])));
      expect(String((ownerUpdate as Error).message), table).toMatch(/append-only/);
    }
    for (const table of ['ledger_entries', 'ledger_nodes', 'ledger_checkpoints']) {
      const truncate = await rejectionOf(db.withRawSession((s) => s.exec(`TRUNCATE ${table} CASCADE`)));
      expect(String((truncate as Error).message), table).toMatch(/append-only/);
    }
    // Deleting the whole tenant is the one way rows go (suspended first, as the service requires).
    await db.withPlatform((tx) => tx.deleteFrom('tenants').where('id', '=', tenant).execute());
    const left = await db.withRawSession((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_entries WHERE tenant_id = $1', [tenant]));
    expect(left[0]?.n).toBe(0);
  });

  it('refuses entries that carry personal data in clear, naming the field but never the value, and records nothing', async () => {
    const tenant = await createTenant(db, 'ledger-no-pii');
    const ledger = newLedger();
    const bad: [string, LedgerEntryInput][] = [
      ['an email in details', { ...reveal(newId(), 'email'), details: { value: 'maria@example.com' } }],
      ['a card number in details', { ...reveal(newId(), 'card'), details: { value: '4111 1111 1111 1111' } }],
      ['a phone number as a target', { ...reveal(newId(), 'phone'), targets: { phone: '+34612345678' } }],
      ['a document number in the reason', { ...reveal(newId(), 'document'), reason: 'caller gave DNI 12345678Z' }],
      ['an email as actor id', { ...reveal(newId(), 'email'), actor: { type: 'agent', id: 'ana@bpo.example' } }],
      ['a bad action', { ...reveal(newId(), 'email'), action: 'Reveal' }],
      ['an unknown member', { ...reveal(newId(), 'email'), extra: 1 } as unknown as LedgerEntryInput],
    ];
    for (const [name, input] of bad) {
      const error = (await rejectionOf(db.withTenant(tenant, (tx) => ledger.record(tx, tenant, input)))) as { code: string; detail: string };
      expect(error.code, name).toBe('ledger.invalid_entry');
      for (const secret of ['maria@example.com', '4111', '612345678', '12345678Z', 'ana@bpo']) expect(error.detail, name).not.toContain(secret);
    }
    expect(await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_queue').selectAll().execute())).toEqual([]);
  });

  it('a queued row written around the application is not sequenced as it is: a rejection entry takes its place, and sequencing goes on', async () => {
    const tenant = await createTenant(db, 'ledger-forged-queue');
    const ledger = newLedger();
    await db.withTenant(tenant, (tx) => ledger.record(tx, tenant, reveal(newId(), 'email')));
    await db.withRawSession((s) => s.query('INSERT INTO ledger_queue (tenant_id, at, body) VALUES ($1, now(), $2)', [tenant, JSON.stringify({ details: { email: 'maria@example.com' } })]));
    await db.withTenant(tenant, (tx) => ledger.record(tx, tenant, reveal(newId(), 'phone')));
    expect((await ledger.sequenceAll(tenant)).size).toBe(3);
    const rows = await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_entries').select(['seq', 'action', 'actor_type', 'entry']).orderBy('seq').execute());
    expect(rows.map((r) => [r.seq, r.action, r.actor_type])).toEqual([
      [0, 'customer.field.reveal', 'agent'],
      [1, 'ledger.queue.rejected', 'system'],
      [2, 'customer.field.reveal', 'agent'],
    ]);
    expect(JSON.stringify(rows)).not.toContain('maria@example.com');
  });

  it('many concurrent writers and sequencers: no gaps, no duplicates, one tree', async () => {
    const tenant = await createTenant(db, 'ledger-concurrent');
    const sequencers = [newLedger({ batchSize: 13, checkpointEvery: 50 }), newLedger({ batchSize: 13, checkpointEvery: 50 }), newLedger({ batchSize: 13, checkpointEvery: 50 })];
    const WRITERS = 16;
    const EACH = 25;
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < EACH; i++) await db.withTenant(tenant, (tx) => (sequencers[0] as Ledger).record(tx, tenant, reveal(newId(), `w${w}_${i}`, `agent${w}`)));
    });
    const sequencing = sequencers.map(async (s) => {
      while (writing) {
        await s.sequence(tenant);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    });
    await Promise.all(writers);
    writing = false;
    await Promise.all(sequencing);
    await (sequencers[1] as Ledger).sequenceAll(tenant);

    const rows = await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_entries').select(['seq', 'entry']).orderBy('seq').execute());
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: WRITERS * EACH }, (_, i) => i));
    const fields = rows.map((r) => JSON.parse(r.entry).targets.field as string);
    expect(new Set(fields).size).toBe(WRITERS * EACH);
    // Each writer's own entries keep their order.
    for (let w = 0; w < WRITERS; w++) {
      const own = fields.filter((f) => f.startsWith(`w${w}_`)).map((f) => Number(f.split('_')[1]));
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }
    // One tree: every checkpoint is a prefix root of the same leaves.
    const leaves = rows.map((r) => merkle.leafHash(Buffer.from(r.entry, 'utf8')));
    const checkpoints = await db.withTenant(tenant, (tx) => (sequencers[2] as Ledger).checkpoints(tx));
    expect(checkpoints.length).toBeGreaterThanOrEqual(WRITERS * EACH / 50 - 1);
    for (const c of checkpoints) expect(c.root.equals(merkle.rootOf(leaves.slice(0, c.size))), `checkpoint ${c.size}`).toBe(true);
  });
});
