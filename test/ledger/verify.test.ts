/**
 * The ledger verifier against real tampering. Each attack is done the way an insider with the
 * database owner's credentials would do it: directly in SQL, bypassing the application, with the
 * append-only trigger disabled first (and enabled again after). Every attack runs on a fresh
 * tenant whose ledger is otherwise intact (200 entries, checkpoints every 50), and the verifier
 * must name the first entry touched and the kind of change.
 *
 * Also: the archive file round trip (archive, verify offline, then cut it or edit a line), the
 * witness file, pinned keys, and the entry schema check of `full`.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, RawSession } from '../../src/db/index.js';
import { exportArchive } from '../../src/ledger/archive.js';
import { checkpointNote, decodeEntry, encodeEntry, Ledger, type LedgerEntry, type LedgerSigner, loadSigner, merkle, witnessRecord } from '../../src/ledger/index.js';
import { keyIdOf } from '../../src/ledger/signing.js';
import { type Finding, type VerifyOptions, type VerifyReport, verifyArchive, verifyDatabase } from '../../src/ledger/verify.js';
import { FixedClock } from '../../src/platform/clock.js';
import { newId } from '../../src/platform/ids.js';
import { createEnvKeyProvider } from '../../src/vault/key-providers/env-provider.js';
import { makeTempDir, removeTempDirs } from '../helpers/cli.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTenant, newRootKey, TEST_NOW } from '../helpers/vault.js';

let t: TestDatabase;
let db: Database;
let dir: string;
const clock = new FixedClock(TEST_NOW);
const provider = createEnvKeyProvider(newRootKey().env);
let signerPromise: Promise<LedgerSigner> | undefined;
const sharedSigner = () => (signerPromise ??= loadSigner(db, provider, clock));

const N = 200;
const EVERY = 50;
/** Small pages, so that 200 entries span many of them (and the page-node comparison runs). */
const PAGE = 16;

beforeAll(async () => {
  t = await openTestDatabase();
  db = t.db;
  dir = makeTempDir('custodia-verify-');
});

afterAll(async () => {
  await t?.destroy();
  removeTempDirs();
});

/** A fresh tenant with N entries sequenced, checkpoints at 50, 100, 150 and 200. */
async function buildLedger(slug: string): Promise<{ tenant: string; ledger: Ledger }> {
  const tenant = await createTenant(db, slug);
  const ledger = new Ledger({ db, clock, checkpointEvery: EVERY, checkpointIntervalMs: 86_400_000, batchSize: EVERY, signer: sharedSigner });
  await db.withTenant(tenant, async (tx) => {
    for (let i = 0; i < N; i++) {
      await ledger.record(tx, tenant, { actor: { type: 'agent', id: `agent-${i % 7}` }, action: 'customer.field.reveal', targets: { customer: newId(), field: `f${i}` }, purpose: 'billing_dispute', details: { masked: 'j***@e******.com' } });
    }
  });
  await ledger.sequenceAll(tenant);
  return { tenant, ledger };
}

const verify = (tenant: string, options: VerifyOptions = {}) => verifyDatabase(db, tenant, { pageSize: PAGE, ...options });

/** What the attacker does: as the owner, with the append-only triggers off for the duration. */
async function tamper(fn: (s: RawSession) => Promise<unknown>): Promise<void> {
  await db.withRawSession(async (s) => {
    for (const table of ['ledger_entries', 'ledger_nodes', 'ledger_checkpoints']) await s.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`);
    try {
      await fn(s);
    } finally {
      for (const table of ['ledger_entries', 'ledger_nodes', 'ledger_checkpoints']) await s.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`);
    }
  });
}

async function entryText(tenant: string, seq: number): Promise<string> {
  const row = await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_entries').select('entry').where('seq', '=', seq).executeTakeFirstOrThrow());
  return row.entry;
}

function first(report: VerifyReport): Finding {
  expect(report.ok, JSON.stringify(report.findings)).toBe(false);
  return report.findings[0] as Finding;
}

/** Moves every entry from `from` on by `by` (in two steps, so the primary key never collides). */
async function shiftSeqs(s: RawSession, tenant: string, from: number, by: number): Promise<void> {
  await s.query('UPDATE ledger_entries SET seq = seq + 1000000 WHERE tenant_id = $1 AND seq >= $2', [tenant, from]);
  await s.query('UPDATE ledger_entries SET seq = seq - 1000000 + $2::bigint WHERE tenant_id = $1 AND seq >= 1000000', [tenant, by]);
}

describe(`ledger verify on ${backend}`, () => {
  it('passes an intact ledger: every entry, stored node, checkpoint signature and the tree head', async () => {
    const { tenant, ledger } = await buildLedger('verify-intact');
    const head = await db.withTenant(tenant, (tx) => ledger.treeHead(tx, tenant));
    for (const options of [{}, { pageSize: 8192 }, { full: true }, { pageSize: 2, full: true }] as VerifyOptions[]) {
      const report = await verify(tenant, options);
      expect(report, JSON.stringify(options)).toMatchObject({
        ok: true,
        tenant,
        source: 'database',
        entries: N,
        size: N,
        root: head.root.toString('base64'),
        keys: 'database',
        checkpoints: { checked: 4, valid: 4, latest: { size: N, root: head.root.toString('base64') } },
        queued: 0,
        unsigned: 0,
        findings: [],
        moreFindings: 0,
      });
    }
    // With the key pinned, and with a witness holding every checkpoint.
    const signer = await sharedSigner();
    const witness = path.join(dir, 'intact.witness.jsonl');
    const checkpoints = await db.withTenant(tenant, (tx) => ledger.checkpoints(tx));
    // The witness file is shared by every tenant of the deployment: another tenant's line is skipped.
    writeFileSync(witness, [...checkpoints.map((c) => JSON.stringify(witnessRecord(c))), JSON.stringify({ ...witnessRecord(checkpoints[0] as (typeof checkpoints)[0]), tenant: newId() })].join('\n') + '\n');
    const pinned = await verify(tenant, { trustedKeys: [signer.publicKey], witness });
    expect(pinned).toMatchObject({ ok: true, keys: 'given', witness: { records: 4, checked: 4 } });
  });

  it('reports entries not yet sequenced or signed, which the tree does not protect yet', async () => {
    const { tenant, ledger } = await buildLedger('verify-unsigned');
    await db.withTenant(tenant, (tx) => ledger.record(tx, tenant, { actor: { type: 'system', id: 'x' }, action: 'test.queued' }));
    expect(await verify(tenant)).toMatchObject({ ok: true, queued: 1, unsigned: 0 });
    await ledger.sequenceAll(tenant);
    expect(await verify(tenant)).toMatchObject({ ok: true, queued: 0, entries: N + 1, unsigned: 1, checkpoints: { latest: { size: N } } });
  });

  it('(a) an entry edited in SQL is reported as edited at its sequence number', async () => {
    const { tenant } = await buildLedger('verify-edit');
    await tamper((s) => s.query(`UPDATE ledger_entries SET entry = replace(entry, '"field":"f17"', '"field":"x17"') WHERE tenant_id = $1 AND seq = 17`, [tenant]));
    expect(decodeEntry(await entryText(tenant, 17))).toHaveProperty('entry'); // still a valid, canonical entry
    const report = await verify(tenant);
    expect(first(report)).toMatchObject({ kind: 'edited', seq: 17 });
    expect(report.findings).toHaveLength(1); // the checkpoints that no longer match are explained by it
    expect(first(await verify(tenant, { pageSize: 8192 }))).toMatchObject({ kind: 'edited', seq: 17 });
  });

  it('(a) an entry edited together with its stored leaf hash, every ancestor node and the tree head is localised by the first checkpoint', async () => {
    const { tenant } = await buildLedger('verify-edit-deep');
    await tamper(async (s) => {
      await s.query(`UPDATE ledger_entries SET entry = replace(entry, '"field":"f17"', '"field":"x17"') WHERE tenant_id = $1 AND seq = 17`, [tenant]);
      const rows = await s.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE tenant_id = $1 ORDER BY seq', [tenant]);
      const leaves = rows.map((r) => merkle.leafHash(Buffer.from(r.entry, 'utf8')));
      for (let level = 0; 2 ** level <= N; level++) {
        const idx = Math.floor(17 / 2 ** level);
        const hash = merkle.rootOf(leaves.slice(idx * 2 ** level, (idx + 1) * 2 ** level));
        await s.query('UPDATE ledger_nodes SET hash = $4 WHERE tenant_id = $1 AND level = $2 AND idx = $3', [tenant, level, idx, hash]);
      }
      const frontier = new merkle.MerkleFrontier();
      for (const leaf of leaves) frontier.append(leaf);
      await s.query('UPDATE ledger_heads SET root = $2, frontier = $3 WHERE tenant_id = $1', [tenant, frontier.root(), JSON.stringify(frontier.toJSON())]);
    });
    for (const options of [{}, { full: true }] as VerifyOptions[]) {
      const report = await verify(tenant, options);
      // Only the signed root betrays it: somewhere in entries 0..49, as of checkpoint 50.
      expect(first(report)).toMatchObject({ kind: 'edited', seq: 0, toSeq: EVERY - 1, size: EVERY, where: 'database' });
      expect(report.findings).toHaveLength(1);
      expect(report.checkpoints.latest).toBeNull();
    }
  });

  it('(a) a stored leaf hash rewritten without its parent is pinned to the smallest subtree that no longer adds up', async () => {
    const { tenant } = await buildLedger('verify-node');
    await tamper(async (s) => {
      await s.query(`UPDATE ledger_entries SET entry = replace(entry, '"field":"f17"', '"field":"x17"') WHERE tenant_id = $1 AND seq = 17`, [tenant]);
      const text = await s.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE tenant_id = $1 AND seq = 17', [tenant]);
      await s.query('UPDATE ledger_nodes SET hash = $2 WHERE tenant_id = $1 AND level = 0 AND idx = 17', [tenant, merkle.leafHash(Buffer.from(text[0]?.entry ?? '', 'utf8'))]);
    });
    expect(first(await verify(tenant))).toMatchObject({ kind: 'edited', seq: 16, toSeq: 17 });
  });

  it('stored tree nodes rewritten alone: one above the page level is found by default, one below it with full', async () => {
    const { tenant } = await buildLedger('verify-inner-nodes');
    // Level 2 node 5 covers entries 20..23, inside one page of 16; level 5 node 1 covers 32..63.
    await tamper((s) => s.query('UPDATE ledger_nodes SET hash = $2 WHERE tenant_id = $1 AND ((level = 2 AND idx = 5) OR (level = 5 AND idx = 1))', [tenant, Buffer.alloc(32, 7)]));
    expect((await verify(tenant)).findings).toEqual([expect.objectContaining({ kind: 'edited', seq: 32, toSeq: 63 })]);
    for (const options of [{ full: true }, { full: true, pageSize: 8192 }] as VerifyOptions[]) {
      expect((await verify(tenant, options)).findings).toEqual([expect.objectContaining({ kind: 'edited', seq: 20, toSeq: 23 }), expect.objectContaining({ kind: 'edited', seq: 32, toSeq: 63 })]);
    }
  });

  it('an entry that is no longer canonical JSON is malformed at its sequence number', async () => {
    const { tenant } = await buildLedger('verify-malformed');
    await tamper((s) => s.query(`UPDATE ledger_entries SET entry = replace(entry, '{"action"', '{ "action"') WHERE tenant_id = $1 AND seq = 33`, [tenant]));
    expect(first(await verify(tenant))).toMatchObject({ kind: 'malformed', seq: 33 });
  });

  it('a query column changed without the entry (e.g. to hide an access from a customer report) is an edit', async () => {
    const { tenant } = await buildLedger('verify-columns');
    await tamper((s) => s.query('UPDATE ledger_entries SET customer_id = NULL WHERE tenant_id = $1 AND seq = 12', [tenant]));
    expect(first(await verify(tenant))).toMatchObject({ kind: 'edited', seq: 12 });
  });

  it('the time column moved by one microsecond, or by whole seconds, is an edit', async () => {
    const { tenant } = await buildLedger('verify-column-time');
    await tamper(async (s) => {
      await s.query("UPDATE ledger_entries SET at = at + interval '1 microsecond' WHERE tenant_id = $1 AND seq = 7", [tenant]);
      await s.query("UPDATE ledger_entries SET at = at - interval '3 seconds' WHERE tenant_id = $1 AND seq = 9", [tenant]);
    });
    const report = await verify(tenant);
    expect(report.findings.slice(0, 2)).toEqual([expect.objectContaining({ kind: 'edited', seq: 7 }), expect.objectContaining({ kind: 'edited', seq: 9 })]);
  });

  // Each row is read as one field, its columns then its text split at newlines (10); on PGlite a
  // page of rows is one field, the rows joined by a record separator (30). A row holding either
  // cannot be split for certain: it is read again column by column, or its page a row a field.
  it.each([
    { name: 'a newline', code: 10, slug: 'verify-column-newline' },
    { name: 'a record separator', code: 30, slug: 'verify-record-separator' },
  ])('$name written into a query column or an entry text is still found at its sequence number, as what it is', async ({ code, slug }) => {
    const { tenant } = await buildLedger(slug);
    await tamper(async (s) => {
      await s.query(`UPDATE ledger_entries SET actor_id = actor_id || chr(${code}) || '6' WHERE tenant_id = $1 AND seq = 5`, [tenant]);
      await s.query(`UPDATE ledger_entries SET entry = replace(entry, '{"action"', '{' || chr(${code}) || '"action"') WHERE tenant_id = $1 AND seq = 11`, [tenant]);
    });
    for (const options of [{}, { full: true }, { pageSize: 8192 }, { pageSize: 16384 }] as VerifyOptions[]) {
      const report = await verify(tenant, options);
      expect(report.findings.slice(0, 2)).toEqual([expect.objectContaining({ kind: 'edited', seq: 5 }), expect.objectContaining({ kind: 'malformed', seq: 11 })]);
      expect(report.entries).toBe(N);
    }
  });

  it('a very long query column or entry text is still found at its sequence number, and the entries after it are still checked', async () => {
    // Rows over 16 KB are left out of a joined page (fields and strings have limits) and read alone.
    const { tenant } = await buildLedger('verify-long-row');
    await tamper(async (s) => {
      await s.query("UPDATE ledger_entries SET actor_id = repeat('a', 40000) WHERE tenant_id = $1 AND seq = 3", [tenant]);
      await s.query("UPDATE ledger_entries SET entry = entry || repeat(' ', 40000) WHERE tenant_id = $1 AND seq = 7", [tenant]);
      await s.query("UPDATE ledger_entries SET customer_id = NULL WHERE tenant_id = $1 AND seq = 150", [tenant]);
    });
    for (const options of [{}, { full: true }, { pageSize: 8192 }, { pageSize: 16384 }] as VerifyOptions[]) {
      const report = await verify(tenant, options);
      expect(report.findings.filter((f) => f.seq !== undefined && f.seq < N).slice(0, 3)).toEqual([
        expect.objectContaining({ kind: 'edited', seq: 3 }),
        expect.objectContaining({ kind: 'malformed', seq: 7 }),
        expect.objectContaining({ kind: 'edited', seq: 150 }),
      ]);
      expect(report.entries).toBe(N);
    }
  });

  it('an entry inserted at a sequence number no ledger reaches (2^60) is reported, and verification ends', async () => {
    const { tenant } = await buildLedger('verify-huge-seq');
    await tamper((s) => s.query("INSERT INTO ledger_entries SELECT tenant_id, (2::numeric ^ 60)::bigint, at, action, actor_type, actor_id, customer_id, entry FROM ledger_entries WHERE tenant_id = $1 AND seq = 9", [tenant]));
    for (const options of [{}, { pageSize: 2 }] as VerifyOptions[]) {
      const report = await verify(tenant, options);
      expect(report.findings).toEqual([expect.objectContaining({ kind: 'inserted', message: expect.stringContaining('1152921504606846976') })]);
      expect(report.entries).toBe(N);
    }
  });

  it('(b) an entry deleted in SQL is reported as deleted at its sequence number', async () => {
    const { tenant } = await buildLedger('verify-delete');
    await tamper((s) => s.query('DELETE FROM ledger_entries WHERE tenant_id = $1 AND seq = 120', [tenant]));
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'deleted', seq: 120 })]);
  });

  it('(b) an entry deleted and the later ones renumbered to close the gap is still reported as deleted there', async () => {
    const { tenant } = await buildLedger('verify-delete-renumber');
    await tamper(async (s) => {
      await s.query('DELETE FROM ledger_entries WHERE tenant_id = $1 AND seq = 120', [tenant]);
      await shiftSeqs(s, tenant, 121, -1);
    });
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'deleted', seq: 120 })]);
  });

  it('(b) entries deleted from the end (tree head adjusted) are caught by the signed checkpoint that covered them', async () => {
    const { tenant } = await buildLedger('verify-delete-tail');
    await tamper(async (s) => {
      await s.query('DELETE FROM ledger_entries WHERE tenant_id = $1 AND seq >= 190', [tenant]);
      const rows = await s.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE tenant_id = $1 ORDER BY seq', [tenant]);
      const frontier = new merkle.MerkleFrontier();
      for (const r of rows) frontier.append(merkle.leafHash(Buffer.from(r.entry, 'utf8')));
      await s.query('UPDATE ledger_heads SET size = 190, root = $2, frontier = $3, checkpointed_size = 150 WHERE tenant_id = $1', [tenant, frontier.root(), JSON.stringify(frontier.toJSON())]);
    });
    expect(first(await verify(tenant))).toMatchObject({ kind: 'deleted', seq: 190, toSeq: 199 });
  });

  it('(b) checkpoints deleted, to free the entries they covered, trip the tree head; deleted stored leaf hashes are one finding (full)', async () => {
    const { tenant } = await buildLedger('verify-delete-checkpoints');
    await tamper(async (s) => {
      await s.query('DELETE FROM ledger_checkpoints WHERE tenant_id = $1', [tenant]);
      await s.query('DELETE FROM ledger_nodes WHERE tenant_id = $1 AND level = 0 AND idx BETWEEN 100 AND 139', [tenant]);
    });
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'deleted', size: N, where: 'database' })]);
    expect(report).toMatchObject({ checkpoints: { checked: 0, latest: null }, unsigned: N });
    // The default check compares one stored node per page (they are intact here); `full` compares
    // every stored node, and finds the leaf hashes that inclusion proofs would now miss.
    expect((await verify(tenant, { full: true })).findings).toEqual([
      expect.objectContaining({ kind: 'edited', seq: 100, toSeq: 139 }),
      expect.objectContaining({ kind: 'deleted', size: N, where: 'database' }),
    ]);
  });

  it('(c) an entry inserted in SQL (later entries shifted up by one) is reported as inserted at its sequence number', async () => {
    const { tenant } = await buildLedger('verify-insert');
    const original = decodeEntry(await entryText(tenant, 60));
    if (!('entry' in original)) throw new Error('entry 60 does not decode');
    const forged: LedgerEntry = { ...original.entry, actor: { type: 'agent', id: 'agent-x' }, targets: { customer: newId(), field: 'iban' } };
    await tamper(async (s) => {
      await shiftSeqs(s, tenant, 60, 1);
      await s.query('INSERT INTO ledger_entries (tenant_id, seq, at, action, actor_type, actor_id, customer_id, entry) VALUES ($1, 60, $2, $3, $4, $5, $6, $7)', [
        tenant,
        forged.at,
        forged.action,
        forged.actor.type,
        forged.actor.id,
        forged.targets.customer,
        encodeEntry(forged),
      ]);
    });
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'inserted', seq: 60 })]);
  });

  it('(c) an entry inserted with the later entries re-encoded under their new numbers is reported at the insertion', async () => {
    const { tenant } = await buildLedger('verify-insert-renumber');
    const original = decodeEntry(await entryText(tenant, 60));
    if (!('entry' in original)) throw new Error('entry 60 does not decode');
    const forged: LedgerEntry = { ...original.entry, actor: { type: 'agent', id: 'agent-x' } };
    await tamper(async (s) => {
      await shiftSeqs(s, tenant, 60, 1);
      const later = await s.query<{ seq: number; entry: string }>('SELECT seq, entry FROM ledger_entries WHERE tenant_id = $1 AND seq > 60 ORDER BY seq', [tenant]);
      for (const r of later) await s.query('UPDATE ledger_entries SET entry = $3 WHERE tenant_id = $1 AND seq = $2', [tenant, r.seq, encodeEntry({ ...(JSON.parse(r.entry) as LedgerEntry), seq: Number(r.seq) })]);
      await s.query('INSERT INTO ledger_entries (tenant_id, seq, at, action, actor_type, actor_id, customer_id, entry) VALUES ($1, 60, $2, $3, $4, $5, $6, $7)', [
        tenant,
        forged.at,
        forged.action,
        forged.actor.type,
        forged.actor.id,
        forged.targets.customer,
        encodeEntry(forged),
      ]);
    });
    expect(first(await verify(tenant))).toMatchObject({ kind: 'inserted', seq: 60 });
  });

  it('(d) two entries swapped in SQL are reported as reordered at the first', async () => {
    const { tenant } = await buildLedger('verify-reorder');
    await tamper(async (s) => {
      await s.query('UPDATE ledger_entries SET seq = 1000000 WHERE tenant_id = $1 AND seq = 30', [tenant]);
      await s.query('UPDATE ledger_entries SET seq = 30 WHERE tenant_id = $1 AND seq = 40', [tenant]);
      await s.query('UPDATE ledger_entries SET seq = 40 WHERE tenant_id = $1 AND seq = 1000000', [tenant]);
    });
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'reordered', seq: 30, toSeq: 40 })]);
  });

  it('(d) two neighbouring entries swapped (texts exchanged) are reported as reordered at the first', async () => {
    const { tenant } = await buildLedger('verify-reorder-adjacent');
    await tamper((s) =>
      s.query(
        `UPDATE ledger_entries e SET entry = o.entry, at = o.at, action = o.action, actor_type = o.actor_type, actor_id = o.actor_id, customer_id = o.customer_id
           FROM ledger_entries o WHERE e.tenant_id = $1 AND o.tenant_id = $1 AND ((e.seq = 90 AND o.seq = 91) OR (e.seq = 91 AND o.seq = 90))`,
        [tenant],
      ),
    );
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'reordered', seq: 90 })]);
  });

  it('(e) a checkpoint inserted for another tree, signed with a key that is not the deployment’s, is a bad signature', async () => {
    const { tenant } = await buildLedger('verify-fork-key');
    const attacker = generateKeyPairSync('ed25519');
    const raw = attacker.publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    const fake = { tenantId: tenant, size: 75, root: merkle.leafHash(Buffer.from('another tree')), at: '2026-11-23T09:00:00.000Z' };
    await tamper((s) =>
      s.query('INSERT INTO ledger_checkpoints (tenant_id, size, root, at, key_id, signature) VALUES ($1, 75, $2, $3, $4, $5)', [tenant, fake.root, fake.at, keyIdOf(raw), sign(null, checkpointNote(fake), attacker.privateKey)]),
    );
    expect(first(await verify(tenant))).toMatchObject({ kind: 'bad_signature', size: 75, where: 'database' });
  });

  it('(e) a checkpoint validly signed by the real key over a different tree is a forked checkpoint', async () => {
    const { tenant } = await buildLedger('verify-fork-signed');
    const signer = await sharedSigner();
    const fake = { tenantId: tenant, size: 75, root: merkle.leafHash(Buffer.from('another tree')), at: '2026-11-23T09:00:00.000Z' };
    await tamper((s) =>
      s.query('INSERT INTO ledger_checkpoints (tenant_id, size, root, at, key_id, signature) VALUES ($1, 75, $2, $3, $4, $5)', [tenant, fake.root, fake.at, signer.keyId, signer.sign(fake)]),
    );
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'forked_checkpoint', size: 75 })]);
    // The entries themselves are intact: every other checkpoint matches them.
    expect(report.checkpoints.latest?.size).toBe(N);
  });

  it('(e) a witness whose checkpoint differs from the database’s is a forked checkpoint; one the database lost is reported too', async () => {
    const { tenant, ledger } = await buildLedger('verify-fork-witness');
    const signer = await sharedSigner();
    const checkpoints = await db.withTenant(tenant, (tx) => ledger.checkpoints(tx));
    const other = { tenantId: tenant, size: 100, root: merkle.leafHash(Buffer.from('another tree')), at: '2026-11-23T09:00:00.000Z' };
    const records = checkpoints.map((c) => (c.size === 100 ? witnessRecord({ ...other, keyId: signer.keyId, signature: signer.sign(other) }) : witnessRecord(c)));
    const witness = path.join(dir, 'fork.witness.jsonl');
    writeFileSync(witness, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(first(await verify(tenant, { witness }))).toMatchObject({ kind: 'forked_checkpoint', size: 100 });

    const honest = path.join(dir, 'honest.witness.jsonl');
    writeFileSync(honest, checkpoints.map((c) => JSON.stringify(witnessRecord(c))).join('\n') + '\n');
    expect(await verify(tenant, { witness: honest })).toMatchObject({ ok: true });
    await tamper((s) => s.query('DELETE FROM ledger_checkpoints WHERE tenant_id = $1 AND size = 150', [tenant]));
    expect(first(await verify(tenant, { witness: honest }))).toMatchObject({ kind: 'deleted', size: 150, where: 'witness' });
  });

  it('(f) a checkpoint signature with one byte flipped is a bad signature', async () => {
    const { tenant } = await buildLedger('verify-bad-signature');
    await tamper((s) => s.query('UPDATE ledger_checkpoints SET signature = set_byte(signature, 10, get_byte(signature, 10) # 255) WHERE tenant_id = $1 AND size = 100', [tenant]));
    const report = await verify(tenant);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'bad_signature', size: 100, where: 'database' })]);
    expect(report.checkpoints).toMatchObject({ checked: 4, valid: 3 });
  });

  it('signatures are checked only with the pinned key when one is given', async () => {
    const { tenant } = await buildLedger('verify-pinned');
    const stranger = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    const report = await verify(tenant, { trustedKeys: [stranger] });
    expect(report.findings.map((f) => [f.kind, f.size])).toEqual([
      ['bad_signature', 50],
      ['bad_signature', 100],
      ['bad_signature', 150],
      ['bad_signature', 200],
    ]);
  });

  it('(g) the archive verifies offline; cut short it is truncated; an edited line is edited at its sequence number', async () => {
    const { tenant } = await buildLedger('verify-archive');
    const signer = await sharedSigner();
    const file = path.join(dir, 'archive.jsonl');
    const written = await exportArchive(db, tenant, file, { now: clock.now() });
    expect(written).toMatchObject({ tenant, size: N, entries: N, checkpoints: 4 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect(exportArchive(db, tenant, file)).rejects.toMatchObject({ code: 'EEXIST' });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1 + N + 4 + 1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'header', format: 'custodia-ledger-archive/v1', tenant, size: N, keys: [{ keyId: signer.keyId, publicKey: signer.publicKey.toString('base64') }] });
    expect(JSON.parse(lines.at(-1) as string)).toEqual({ type: 'end', entries: N, checkpoints: 4 });

    const intact = await verifyArchive(file, { trustedKeys: [signer.publicKey] });
    expect(intact).toMatchObject({ ok: true, source: 'archive', tenant, entries: N, keys: 'given', checkpoints: { checked: 4, valid: 4, latest: { size: N } } });
    expect(await verifyArchive(file)).toMatchObject({ ok: true, keys: 'archive' });

    const write = (name: string, content: string[]) => {
      const out = path.join(dir, name);
      writeFileSync(out, `${content.join('\n')}\n`);
      return out;
    };
    const cut = write('cut.jsonl', lines.slice(0, -3));
    expect(first(await verifyArchive(cut, { trustedKeys: [signer.publicKey] }))).toMatchObject({ kind: 'truncated', seq: N - 1 });
    const cutMidLine = path.join(dir, 'cut-mid-line.jsonl');
    writeFileSync(cutMidLine, readFileSync(file, 'utf8').slice(0, 5000));
    expect(first(await verifyArchive(cutMidLine))).toMatchObject({ kind: 'truncated' });

    const edited = write('edited.jsonl', lines.map((l) => l.replace('\\"field\\":\\"f42\\"', '\\"field\\":\\"x42\\"')));
    expect(first(await verifyArchive(edited, { trustedKeys: [signer.publicKey] }))).toMatchObject({ kind: 'edited', seq: 42 });
    // Without the recorded leaf hashes, the signed checkpoint still localises it.
    const bare = write('bare.jsonl', lines.map((l) => l.replace(/"leaf":"[^"]*",/, '').replace('\\"field\\":\\"f42\\"', '\\"field\\":\\"x42\\"')));
    expect(first(await verifyArchive(bare, { trustedKeys: [signer.publicKey] }))).toMatchObject({ kind: 'edited', seq: 0, toSeq: 49, size: 50 });

    const entryLine = (seq: number) => lines.findIndex((l) => l.startsWith(`{"type":"entry","seq":${seq},`));
    const dropped = write('dropped.jsonl', lines.filter((_, i) => i !== entryLine(77)));
    expect(first(await verifyArchive(dropped, { trustedKeys: [signer.publicKey] }))).toMatchObject({ kind: 'deleted', seq: 77 });
    const swapped = [...lines];
    [swapped[entryLine(5)], swapped[entryLine(9)]] = [lines[entryLine(9)] as string, lines[entryLine(5)] as string];
    expect(first(await verifyArchive(write('swapped.jsonl', swapped), { trustedKeys: [signer.publicKey] }))).toMatchObject({ kind: 'reordered', seq: 5 });
    const duplicated = [...lines];
    duplicated.splice(entryLine(120), 0, lines[entryLine(119)] as string);
    expect(first(await verifyArchive(write('duplicated.jsonl', duplicated), { trustedKeys: [signer.publicKey] }))).toMatchObject({ kind: 'inserted', seq: 120 });

    // The checkpoints in the file can be compared with the witness too.
    expect(first(await verifyArchive(file, { tenantId: newId() }))).toMatchObject({ kind: 'malformed' });
  });

  it('(g) an archive of a ledger edited in the database carries the evidence: the stored leaf hash', async () => {
    const { tenant } = await buildLedger('verify-archive-of-edit');
    await tamper((s) => s.query(`UPDATE ledger_entries SET entry = replace(entry, '"field":"f3"', '"field":"x3"') WHERE tenant_id = $1 AND seq = 3`, [tenant]));
    const file = path.join(dir, 'archive-of-edit.jsonl');
    await exportArchive(db, tenant, file);
    expect(first(await verifyArchive(file))).toMatchObject({ kind: 'edited', seq: 3 });
  });

  it('a queued row with personal data written in SQL is replaced by a rejection entry, so even --full finds a clean ledger', async () => {
    const { tenant, ledger } = await buildLedger('verify-schema');
    await db.withRawSession((s) =>
      s.query('INSERT INTO ledger_queue (tenant_id, at, body) VALUES ($1, $2, $3)', [
        tenant,
        new Date(TEST_NOW),
        JSON.stringify({ actor: { type: 'agent', id: 'a1' }, action: 'customer.field.reveal', targets: {}, details: { value: 'maria@example.com' } }),
      ]),
    );
    await ledger.sequenceAll(tenant);
    expect(await verify(tenant)).toMatchObject({ ok: true, entries: N + 1 });
    expect(await verify(tenant, { full: true })).toMatchObject({ ok: true, entries: N + 1 });
    const last = await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).where('seq', '=', N).executeTakeFirstOrThrow());
    expect(last.action).toBe('ledger.queue.rejected');
    expect(last.entry).not.toContain('maria@example.com');
  });
});
