/**
 * Planner statistics for the embedded database. PostgreSQL's autovacuum daemon keeps them up to
 * date on a server; PGlite has no background workers, so without this the planner never learns a
 * table's size and can pick a scan of a tenant's whole table over the right index (measured: a
 * blind-index lookup at 100k customers took 175 ms before ANALYZE, 2 ms after; bench/vault.ts).
 */
import type { Logger } from '../platform/logger.js';
import type { Database } from './database.js';

/** ANALYZE the whole database; a no-op on PostgreSQL, where autovacuum does it. */
export async function refreshPlannerStatistics(db: Database, logger: Logger): Promise<void> {
  if (db.kind !== 'pglite') return;
  const started = Date.now();
  await db.withRawSession((s) => s.exec('ANALYZE'));
  logger.info({ ms: Date.now() - started }, 'planner statistics refreshed');
}

/** Refreshes now and then every `intervalMs` until stopped (embedded database only). */
export function startStatisticsRefresh(db: Database, logger: Logger, intervalMs: number): { stop(): void } {
  if (db.kind !== 'pglite') return { stop() {} };
  const timer = setInterval(() => {
    refreshPlannerStatistics(db, logger).catch((error: unknown) => logger.warn({ code: (error as { code?: unknown }).code ?? 'internal' }, 'ANALYZE failed'));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
