/**
 * The ledger's background loop, run by every server process: sequences queued entries into each
 * tenant's tree (one process at a time per tenant, see Ledger.sequence), signs time-based
 * checkpoints of trees that grew, and delivers signed checkpoints to the external witness.
 *
 * The witness is what keeps an insider with database access from rewriting history unseen: a
 * copy of every checkpoint outside the database (an append-only file on other storage, or an
 * HTTP endpoint of another system). Delivery is at least once; a failure is recorded (by kind
 * only) and retried on the next tick.
 */
import { appendFile } from 'node:fs/promises';
import type { Database } from '../db/index.js';
import type { Logger } from '../platform/logger.js';
import { startPollLoop } from '../platform/poll-loop.js';
import type { Ledger, StoredCheckpoint } from './ledger.js';

export interface LedgerSequencerOptions {
  readonly db: Database;
  readonly ledger: Ledger;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
  /** File path (JSON lines appended) or http(s) URL (one POST per checkpoint); none when absent. */
  readonly witness?: string | undefined;
  /** On PGlite, VACUUM the queue after this many entries were sequenced (default 10,000). */
  readonly vacuumEvery?: number;
}

export interface LedgerSequencer {
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/** One checkpoint as the witness receives it (docs/ledger.md). */
export function witnessRecord(c: StoredCheckpoint): Record<string, unknown> {
  return { tenant: c.tenantId, size: c.size, root: c.root.toString('base64'), time: c.at, keyId: c.keyId, signature: c.signature.toString('base64') };
}

export async function deliverToWitness(witness: string, c: StoredCheckpoint): Promise<void> {
  const body = JSON.stringify(witnessRecord(c));
  if (/^https?:\/\//.test(witness)) {
    const response = await fetch(witness, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`witness answered ${response.status}`);
    return;
  }
  await appendFile(witness, `${body}\n`, { mode: 0o600 });
}

async function tenantsWithWork(db: Database): Promise<{ queued: string[]; grown: string[]; unwitnessed: string[] }> {
  return db.withPlatform(async (tx) => {
    const queued = await tx.selectFrom('ledger_queue').select('tenant_id').distinct().execute();
    const grown = await tx.selectFrom('ledger_heads').select('tenant_id').whereRef('size', '>', 'checkpointed_size').execute();
    const unwitnessed = await tx.selectFrom('ledger_witness_queue').select('tenant_id').distinct().execute();
    return { queued: queued.map((r) => r.tenant_id), grown: grown.map((r) => r.tenant_id), unwitnessed: unwitnessed.map((r) => r.tenant_id) };
  });
}

async function deliverPending(options: LedgerSequencerOptions, tenantId: string): Promise<void> {
  const { db, ledger, witness } = options;
  await db.withTenant(tenantId, async (tx) => {
    const pending = await tx.selectFrom('ledger_witness_queue').select(['size']).orderBy('size').limit(100).forUpdate().skipLocked().execute();
    if (pending.length === 0) return;
    if (witness === undefined) return; // queued while one was configured; kept until it is again
    const first = pending[0]?.size ?? 0;
    const checkpoints = await ledger.checkpoints(tx, { afterSize: first - 1, limit: 100 });
    const bySize = new Map(checkpoints.map((c) => [c.size, c]));
    for (const { size } of pending) {
      const checkpoint = bySize.get(size);
      if (checkpoint === undefined) continue;
      try {
        await deliverToWitness(witness, checkpoint);
        await tx.deleteFrom('ledger_witness_queue').where('size', '=', size).execute();
      } catch (error) {
        const kind = error instanceof Error ? error.message.slice(0, 200) : 'failed';
        await tx.updateTable('ledger_witness_queue').set({ attempts: (eb) => eb('attempts', '+', 1), last_error: kind }).where('size', '=', size).execute();
        options.logger.warn({ tenantId, size, error: kind }, 'ledger checkpoint not delivered to the witness; will retry');
        return; // keep order: later checkpoints wait for this one
      }
    }
  });
}

const VACUUM_EVERY = 10_000;

export function startLedgerSequencer(options: LedgerSequencerOptions): LedgerSequencer {
  const { ledger, logger } = options;
  let sequencedSinceVacuum = 0;

  async function tick(): Promise<void> {
    const work = await tenantsWithWork(options.db);
    for (const tenantId of new Set([...work.queued, ...work.grown])) {
      // Batch after batch while there is a backlog (up to a second per tenant per tick), so that
      // the sequencer is not capped at one batch per poll interval.
      const started = Date.now();
      let result: Awaited<ReturnType<Ledger['sequence']>> | undefined;
      do {
        if (loop.stopped) return;
        try {
          result = await ledger.sequence(tenantId);
        } catch (error) {
          // One tenant's failure must not stop the others' sequencing (nor witness delivery).
          logger.error({ tenantId, code: (error as { code?: unknown }).code ?? 'internal' }, 'ledger sequencing failed for a tenant');
          break;
        }
        sequencedSinceVacuum += result.appended;
        if (result.checkpoint !== undefined) logger.info({ tenantId, size: result.checkpoint.size }, 'ledger checkpoint signed');
      } while (result.ran && result.appended > 0 && Date.now() - started < 1_000);
    }
    // PGlite runs no autovacuum: the queue's deleted rows would pile up, and every tick's scan of
    // the queue would grow with them (435 ms at 1M sequenced entries, bench/ledger.ts).
    if (options.db.kind === 'pglite' && sequencedSinceVacuum >= (options.vacuumEvery ?? VACUUM_EVERY) && work.queued.length > 0) {
      sequencedSinceVacuum = 0;
      await options.db.withRawSession((s) => s.exec('VACUUM ledger_queue'));
      logger.info({}, 'ledger queue vacuumed');
    }
    // Asked again: this tick's checkpoints are delivered in this tick.
    const { unwitnessed } = await tenantsWithWork(options.db);
    for (const tenantId of unwitnessed) {
      if (loop.stopped) return;
      await deliverPending(options, tenantId).catch((error: unknown) => logger.error({ tenantId, code: (error as { code?: unknown }).code ?? 'internal' }, 'ledger witness delivery failed for a tenant'));
    }
  }

  const loop = startPollLoop(tick, options.pollIntervalMs, (error: unknown) => logger.error({ code: (error as { code?: unknown }).code ?? 'internal' }, 'ledger sequencer tick failed'));
  return loop;
}
