/**
 * The ledger sequencer loop the server runs: it finds tenants with queued entries, sequences them
 * batch after batch, signs checkpoints, delivers each signed checkpoint to the witness (a file and
 * a real HTTP endpoint), keeps undelivered ones in order and retries them, and on PGlite vacuums
 * the queue so that its scan does not grow with history.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { Ledger, type LedgerSigner, loadSigner, startLedgerSequencer, verifyCheckpoint } from '../../src/ledger/index.js';
import { FixedClock } from '../../src/platform/clock.js';
import { newId } from '../../src/platform/ids.js';
import { createLogger } from '../../src/platform/logger.js';
import { createEnvKeyProvider } from '../../src/vault/key-providers/env-provider.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTenant, newRootKey, TEST_NOW } from '../helpers/vault.js';

let t: TestDatabase;
let db: Database;
let dir: string;
const clock = new FixedClock(TEST_NOW);
const provider = createEnvKeyProvider(newRootKey().env);
let signer: Promise<LedgerSigner> | undefined;

beforeAll(async () => {
  t = await openTestDatabase();
  db = t.db;
  dir = mkdtempSync(path.join(tmpdir(), 'custodia-witness-'));
});

afterAll(async () => {
  await t?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function ledgerFor(witness: boolean, checkpointEvery = 10): Ledger {
  return new Ledger({ db, clock, checkpointEvery, checkpointIntervalMs: 86_400_000, batchSize: 10, witness, signer: () => (signer ??= loadSigner(db, provider, clock)) });
}

async function record(ledger: Ledger, tenant: string, n: number): Promise<void> {
  await db.withTenant(tenant, async (tx) => {
    for (let i = 0; i < n; i++) await ledger.record(tx, tenant, { actor: { type: 'agent', id: 'a1' }, action: 'customer.field.reveal', targets: { customer: newId(), field: 'email' } });
  });
}

describe(`ledger sequencer on ${backend}`, () => {
  it('sequences every tenant’s backlog batch after batch, signs checkpoints and appends them to the witness file (0600)', async () => {
    const a = await createTenant(db, 'seq-a');
    const b = await createTenant(db, 'seq-b');
    const ledger = ledgerFor(true);
    await record(ledger, a, 60);
    await record(ledger, b, 30);
    const witness = path.join(dir, 'witness.jsonl');
    const sequencer = startLedgerSequencer({ db, ledger, logger: createLogger('silent'), pollIntervalMs: 3_600_000, witness, vacuumEvery: 50 });
    const sizes = () => Promise.all([a, b].map((tenant) => db.withTenant(tenant, async (tx) => (await ledger.treeHead(tx, tenant)).size)));
    try {
      // Several batches (of 10) per tenant per tick, within a time budget; a loaded machine may
      // need another tick.
      for (let tick = 0; tick < 20 && (await sizes()).join() !== '60,30'; tick++) await sequencer.runOnce();
    } finally {
      await sequencer.stop();
    }
    expect(await sizes()).toEqual([60, 30]);
    const lines = readFileSync(witness, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string | number>);
    const byTenant = (tenant: string) => lines.filter((l) => l.tenant === tenant).map((l) => l.size);
    expect(byTenant(a)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(byTenant(b)).toEqual([10, 20, 30]);
    const { publicKey } = await (signer as Promise<LedgerSigner>);
    for (const l of lines) {
      const ok = verifyCheckpoint({ tenantId: String(l.tenant), size: Number(l.size), root: Buffer.from(String(l.root), 'base64'), at: String(l.time) }, Buffer.from(String(l.signature), 'base64'), publicKey);
      expect(ok).toBe(true);
    }
    expect(statSync(witness).mode & 0o777).toBe(0o600);
    expect(await db.withTenant(a, (tx) => tx.selectFrom('ledger_witness_queue').selectAll().execute())).toEqual([]);
  });

  it('keeps checkpoints the HTTP witness refused, in order, and delivers them once it accepts', async () => {
    const tenant = await createTenant(db, 'seq-http');
    const ledger = ledgerFor(true);
    const received: Record<string, unknown>[] = [];
    let accept = false;
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        if (accept) received.push(JSON.parse(body) as Record<string, unknown>);
        response.statusCode = accept ? 204 : 503;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/checkpoints`;
    const sequencer = startLedgerSequencer({ db, ledger, logger: createLogger('silent'), pollIntervalMs: 3_600_000, witness: url });
    try {
      await record(ledger, tenant, 30);
      await sequencer.runOnce();
      const pending = await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_witness_queue').select(['size', 'attempts', 'last_error']).orderBy('size').execute());
      // The first failed; the later ones wait behind it (order is kept).
      expect(pending).toEqual([
        { size: 10, attempts: 1, last_error: 'witness answered 503' },
        { size: 20, attempts: 0, last_error: null },
        { size: 30, attempts: 0, last_error: null },
      ]);
      accept = true;
      await sequencer.runOnce();
    } finally {
      await sequencer.stop();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(received.filter((r) => r.tenant === tenant).map((r) => r.size)).toEqual([10, 20, 30]);
    expect(received.find((r) => r.tenant === tenant)).toMatchObject({ tenant, keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(await db.withTenant(tenant, (tx) => tx.selectFrom('ledger_witness_queue').selectAll().execute())).toEqual([]);
  });

  it.skipIf(backend !== 'pglite')('vacuums the queue on PGlite once enough entries were sequenced', async () => {
    const tenant = await createTenant(db, 'seq-vacuum');
    const ledger = ledgerFor(false, 1000);
    await record(ledger, tenant, 60);
    const lines: string[] = [];
    const sequencer = startLedgerSequencer({ db, ledger, logger: createLogger('info', { write: (l: string) => lines.push(l) }), pollIntervalMs: 3_600_000, vacuumEvery: 50 });
    try {
      await sequencer.runOnce();
    } finally {
      await sequencer.stop();
    }
    expect(lines.some((l) => l.includes('ledger queue vacuumed'))).toBe(true);
    const dead = await db.withRawSession((s) => s.query<{ n: number }>("SELECT coalesce(n_dead_tup, 0)::int AS n FROM pg_stat_user_tables WHERE relname = 'ledger_queue'"));
    expect(dead[0]?.n ?? 0).toBe(0);
  });
});
