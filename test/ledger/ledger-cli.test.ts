/**
 * `custodia ledger` as an operator runs it: the real bin/custodia.js in child processes, checking
 * exit codes and JSON output. Entries are recorded in this process through the library (as a
 * domain would, in the writer's transaction), then `ledger sequence` puts them in the tree, as the
 * server would; on PGlite only one process may hold the data directory, so the two take turns.
 *
 * The proofs printed are checked with merkle.ts's RFC 9162 verifiers and the published key; the
 * archive is verified offline, cut and edited; and an entry deleted in SQL makes `verify` exit 1.
 * Always on PGlite; on PostgreSQL too when TEST_DATABASE_URL is set.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { type Database, migrate, openDatabase } from '../../src/db/index.js';
import { merkle, recordEntry, verifyCheckpoint } from '../../src/ledger/index.js';
import { newId } from '../../src/platform/ids.js';
import { createLogger } from '../../src/platform/logger.js';
import { killChildren, makeTempDir, removeTempDirs, runCli } from '../helpers/cli.js';
import { createEmptyPostgresDatabase, TEST_DATABASE_URL } from '../helpers/database.js';

const drops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await killChildren();
});

afterAll(async () => {
  await killChildren();
  for (const drop of drops.splice(0)) await drop();
  removeTempDirs();
});

interface Target {
  readonly name: string;
  env(): Promise<Record<string, string>>;
}

// Checkpoints by count only: on a busy machine the steps below can take longer than the default
// interval (60 s), and `sequence` would then sign one of its own before `--checkpoint` asks for it.
const settings = { CUSTODIA_LEDGER_CHECKPOINT_EVERY: '50', CUSTODIA_LEDGER_CHECKPOINT_INTERVAL_MS: '86400000' };
const targets: Target[] = [{ name: 'pglite', env: async () => ({ ...settings, CUSTODIA_DATA_DIR: makeTempDir() }) }];
if (TEST_DATABASE_URL !== undefined) {
  targets.push({
    name: 'postgres',
    async env() {
      const { url, drop } = await createEmptyPostgresDatabase();
      drops.push(drop);
      return { ...settings, CUSTODIA_DATA_DIR: makeTempDir(), DATABASE_URL: url };
    },
  });
}

/** Opens the target's database in this process (as the child processes do). */
async function withDatabase<T>(env: Record<string, string>, fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: { ...env, NODE_ENV: 'test' } });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger: createLogger('silent') });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function record(env: Record<string, string>, tenantId: string, from: number, count: number): Promise<void> {
  await withDatabase(env, (db) =>
    db.withTenant(tenantId, async (tx) => {
      for (let i = from; i < from + count; i++) {
        await recordEntry(tx, tenantId, { actor: { type: 'agent', id: `agent-${i % 5}` }, action: 'customer.field.reveal', targets: { customer: newId(), field: `f${i}` }, purpose: 'billing_dispute' }, new Date());
      }
    }),
  );
}

async function cli(args: string[], env: Record<string, string>, expectedCode = 0): Promise<{ stdout: string; stderr: string }> {
  const result = await runCli(args, env);
  expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(expectedCode);
  return result;
}

const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

// One test runs some twenty CLI processes, each opening the database: about two minutes on a busy
// 2-core machine, so the limit is a hang guard with room, not a measurement.
describe.each(targets)('custodia ledger on $name', { timeout: 480_000 }, (target) => {
  it('sequences, signs, publishes its key, proves, archives and verifies; catches a deleted entry and an edited archive', async () => {
    const env = await target.env();
    const init = json<{ tenant: { id: string } }>((await cli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'a@b.test', '--json'], env)).stdout);
    const tenantId = init.tenant.id;

    // Recorded, then sequenced by the CLI (the server is not running): one batch, one checkpoint.
    await record(env, tenantId, 0, 120);
    const sequenced = json<{ appended: number; size: number; queued: number; checkpoint: { size: number } | null }>((await cli(['ledger', 'sequence', '--tenant', 'acme', '--json'], env)).stdout);
    expect(sequenced).toMatchObject({ appended: 120, size: 120, queued: 0, checkpoint: { size: 120 } });
    await record(env, tenantId, 120, 10);
    expect(json<{ appended: number; checkpoint: { size: number } }>((await cli(['ledger', 'sequence', '--tenant', 'acme', '--json'], env)).stdout)).toMatchObject({ appended: 10, checkpoint: { size: 120 } });

    let report = json<{ ok: boolean; entries: number; unsigned: number; checkpoints: { valid: number } }>((await cli(['ledger', 'verify', '--tenant', 'acme', '--json'], env)).stdout);
    expect(report).toMatchObject({ ok: true, entries: 130, unsigned: 10, checkpoints: { valid: 1 } });
    expect(json<{ signed: boolean; checkpoint: { size: number } }>((await cli(['ledger', 'sequence', '--tenant', 'acme', '--checkpoint', '--json'], env)).stdout)).toMatchObject({ signed: true, checkpoint: { size: 130 } });
    const text = await cli(['ledger', 'verify', '--tenant', 'acme'], env);
    expect(text.stdout).toContain('Intact');

    // The public key, as raw base64 and PEM.
    const pub = json<{ algorithm: string; current: string; keys: { keyId: string; publicKey: string; pem: string; current: boolean }[] }>((await cli(['ledger', 'pubkey', '--json'], env)).stdout);
    expect(pub.algorithm).toBe('Ed25519');
    expect(pub.keys).toHaveLength(1);
    const key = pub.keys[0] as (typeof pub.keys)[0];
    expect(key).toMatchObject({ keyId: pub.current, current: true });
    expect(key.pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const raw = Buffer.from(key.publicKey, 'base64');
    expect(createHash('sha256').update(raw).digest('hex').slice(0, 16)).toBe(key.keyId);
    expect((await cli(['ledger', 'pubkey'], env)).stdout).toContain(key.publicKey);

    // An inclusion proof that an independent RFC 9162 verifier accepts against the signed checkpoint.
    const inclusion = json<{ seq: number; size: number; entry: string; leafHash: string; proof: string[]; root: string; checkpoint: { size: number; root: string; time: string; keyId: string; signature: string } }>(
      (await cli(['ledger', 'prove', 'inclusion', '--tenant', 'acme', '--seq', '7', '--json'], env)).stdout,
    );
    expect(inclusion).toMatchObject({ seq: 7, size: 130, checkpoint: { size: 130, keyId: key.keyId } });
    const leaf = merkle.leafHash(Buffer.from(inclusion.entry, 'utf8'));
    expect(leaf.toString('base64')).toBe(inclusion.leafHash);
    expect(JSON.parse(inclusion.entry)).toMatchObject({ seq: 7, tenant: tenantId, targets: { field: 'f7' } });
    const proof = inclusion.proof.map((p) => Buffer.from(p, 'base64'));
    const root = Buffer.from(inclusion.checkpoint.root, 'base64');
    expect(merkle.verifyInclusion(leaf, 7, 130, proof, root)).toBe(true);
    expect(merkle.verifyInclusion(leaf, 8, 130, proof, root)).toBe(false);
    const checkpoint = { tenantId, size: 130, root, at: inclusion.checkpoint.time };
    expect(verifyCheckpoint(checkpoint, Buffer.from(inclusion.checkpoint.signature, 'base64'), raw)).toBe(true);
    const older = json<{ size: number; root: string; proof: string[] }>((await cli(['ledger', 'prove', 'inclusion', '--tenant', 'acme', '--seq', '7', '--size', '120', '--json'], env)).stdout);
    expect(older.size).toBe(120);
    expect(merkle.verifyInclusion(leaf, 7, 120, older.proof.map((p) => Buffer.from(p, 'base64')), Buffer.from(older.root, 'base64'))).toBe(true);

    // A consistency proof between the two signed checkpoints.
    const consistency = json<{ from: number; to: number; proof: string[]; oldRoot: string; newRoot: string; checkpoints: { from: { root: string }; to: { root: string } } }>(
      (await cli(['ledger', 'prove', 'consistency', '--tenant', 'acme', '--from', '120', '--json'], env)).stdout,
    );
    expect(consistency).toMatchObject({ from: 120, to: 130 });
    expect(consistency.checkpoints.from.root).toBe(consistency.oldRoot);
    expect(consistency.checkpoints.to.root).toBe(consistency.newRoot);
    expect(merkle.verifyConsistency(120, 130, consistency.proof.map((p) => Buffer.from(p, 'base64')), Buffer.from(consistency.oldRoot, 'base64'), Buffer.from(consistency.newRoot, 'base64'))).toBe(true);
    expect((await cli(['ledger', 'prove', 'inclusion', '--tenant', 'acme', '--seq', '7'], env)).stdout).toContain('Inclusion of entry 7 in the tree of 130 entries');

    // The archive: 0600, not overwritten without --force, verified offline with the pinned key.
    const dir = makeTempDir();
    const file = path.join(dir, 'acme.ledger.jsonl');
    const archived = json<{ entries: number; checkpoints: number }>((await cli(['ledger', 'archive', '--tenant', 'acme', '--out', file, '--json'], env)).stdout);
    expect(archived).toMatchObject({ entries: 130, checkpoints: 2 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const refused = await cli(['ledger', 'archive', '--tenant', 'acme', '--out', file, '--json'], env, 2);
    expect(json<{ error: { code: string } }>(refused.stderr).error.code).toBe('request.invalid');
    await cli(['ledger', 'archive', '--tenant', 'acme', '--out', file, '--force'], env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const offline = json<{ ok: boolean; source: string; keys: string; entries: number }>((await cli(['ledger', 'verify', '--file', file, '--key', key.publicKey, '--json'], {})).stdout);
    expect(offline).toMatchObject({ ok: true, source: 'archive', keys: 'given', entries: 130 });
    await cli(['ledger', 'verify', '--file', file, '--tenant', 'acme'], env);
    const lines = readFileSync(file, 'utf8').split('\n');
    const edited = path.join(dir, 'edited.jsonl');
    writeFileSync(edited, lines.map((l) => l.replace('\\"field\\":\\"f42\\"', '\\"field\\":\\"x42\\"')).join('\n'));
    const caught = await cli(['ledger', 'verify', '--file', edited, '--key', key.publicKey, '--json'], {}, 1);
    expect(json<{ ok: boolean; findings: { kind: string; seq: number }[] }>(caught.stdout).findings[0]).toMatchObject({ kind: 'edited', seq: 42 });
    const cut = path.join(dir, 'cut.jsonl');
    writeFileSync(cut, lines.slice(0, 60).join('\n'));
    expect(json<{ findings: { kind: string }[] }>((await cli(['ledger', 'verify', '--file', cut, '--key', key.publicKey, '--json'], {}, 1)).stdout).findings[0]?.kind).toBe('truncated');
    // A key that is not the deployment's: every signature is refused.
    const stranger = Buffer.alloc(32, 7).toString('base64');
    expect(json<{ findings: { kind: string }[] }>((await cli(['ledger', 'verify', '--file', file, '--key', stranger, '--json'], {}, 1)).stdout).findings[0]?.kind).toBe('bad_signature');

    // Usage errors exit 2.
    await cli(['ledger', 'verify'], env, 2);
    await cli(['ledger', 'verify', '--tenant', 'nobody'], env, 2);
    await cli(['ledger', 'verify', '--file', path.join(dir, 'missing.jsonl')], env, 2);
    await cli(['ledger', 'verify', '--file', file, '--key', 'not-a-key'], env, 2);
    await cli(['ledger', 'prove', 'inclusion', '--tenant', 'acme', '--seq', '-1'], env, 2);
    const beyond = await cli(['ledger', 'prove', 'inclusion', '--tenant', 'acme', '--seq', '500', '--json'], env, 2);
    expect(json<{ error: { code: string } }>(beyond.stderr).error.code).toBe('ledger.beyond_tree');
    const range = await cli(['ledger', 'prove', 'consistency', '--tenant', 'acme', '--from', '100', '--to', '50', '--json'], env, 2);
    expect(json<{ error: { code: string } }>(range.stderr).error.code).toBe('ledger.invalid_range');

    // An insider deletes an entry in SQL: verify says where, and exits 1.
    await withDatabase(env, (db) =>
      db.withRawSession(async (s) => {
        await s.query('ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only');
        await s.query('DELETE FROM ledger_entries WHERE tenant_id = $1 AND seq = 64', [tenantId]);
        await s.query('ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only');
      }),
    );
    const tampered = await cli(['ledger', 'verify', '--tenant', 'acme'], env, 1);
    expect(tampered.stdout).toContain('TAMPERED: deleted at entry 64');
    report = json<{ ok: boolean; entries: number; unsigned: number; checkpoints: { valid: number } }>((await cli(['ledger', 'verify', '--tenant', 'acme', '--json'], env, 1)).stdout);
    expect(report.ok).toBe(false);
  });
});
