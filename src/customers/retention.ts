/**
 * The retention job every server process runs: once per `intervalMs`, for each tenant (active or
 * suspended: a suspended contact center's customers still have their retention periods), purge
 * the values whose field's retention has passed and erase the records that purge empties
 * (`purgeExpiredFields`). Each tenant is one transaction, so a failure leaves that tenant as it
 * was and the next tick retries it.
 *
 * Several processes may run it against one PostgreSQL database: a transaction-level advisory lock
 * per tenant lets one purge at a time and the others skip that tenant (the purge is idempotent,
 * but two at once would record it twice in the ledger).
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { startPollLoop } from '../platform/poll-loop.js';
import type { Vault } from '../vault/index.js';
import { purgeExpiredFields } from './subject-rights.js';

export interface RetentionJobOptions {
  readonly db: Database;
  readonly vault: Vault;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
}

export interface RetentionRun {
  /** Tenants purged by this run (those another process was purging are not counted). */
  readonly tenants: number;
  readonly values: number;
  readonly erasedCustomers: number;
  /** Tenants whose purge failed (rolled back; retried next time). */
  readonly failed: number;
}

export interface RetentionJob {
  /** One run now (tests, operators); shares a run already in flight. */
  runOnce(): Promise<RetentionRun>;
  stop(): Promise<void>;
}

/** Purges one tenant unless another transaction holds its retention lock; null when skipped. */
async function purgeTenant(options: RetentionJobOptions, tenantId: string): Promise<{ values: number; erasedCustomers: number } | null> {
  return options.db.withTenant(tenantId, async (tx) => {
    const lock = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${`custodia.retention.${tenantId}`}, 0)) as locked`.execute(tx);
    if (lock.rows[0]?.locked !== true) return null;
    const result = await purgeExpiredFields(tx, options.vault, tenantId, options.clock.now());
    return { values: result.total, erasedCustomers: result.erasedCustomers };
  });
}

export function startRetentionJob(options: RetentionJobOptions): RetentionJob {
  const { logger } = options;

  async function tick(): Promise<RetentionRun> {
    const tenants = await options.db.withPlatform((tx) => tx.selectFrom('tenants').select('id').orderBy('id').execute());
    const run = { tenants: 0, values: 0, erasedCustomers: 0, failed: 0 };
    for (const { id } of tenants) {
      if (loop.stopped) break;
      try {
        const purged = await purgeTenant(options, id);
        if (purged === null) continue;
        run.tenants += 1;
        run.values += purged.values;
        run.erasedCustomers += purged.erasedCustomers;
        if (purged.values > 0) logger.info({ tenantId: id, values: purged.values, erasedCustomers: purged.erasedCustomers }, 'retention purge');
      } catch (error) {
        run.failed += 1;
        // One tenant's failure must not stop the others' purge. Codes only: messages can carry data.
        logger.error({ tenantId: id, code: (error as { code?: unknown }).code ?? 'internal' }, 'retention purge failed for a tenant; retried on the next run');
      }
    }
    return run;
  }

  const loop = startPollLoop(tick, options.intervalMs, (error) => logger.error({ code: (error as { code?: unknown }).code ?? 'internal' }, 'retention run failed'));
  return { runOnce: () => loop.runOnce(), stop: () => loop.stop() };
}
