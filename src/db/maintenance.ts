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

/**
 * The application's tables that have grown by more than a fifth, and by at least 8 pages, since
 * their statistics were taken (`relpages` is what the last ANALYZE saw; 0 before the first).
 * Autovacuum analyzes after about a tenth of a table's rows changed; pages are what the embedded
 * database can tell without the statistics collector, whose counters it flushes only now and then.
 */
const GROWN_TABLES_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname = 'public'
    AND pg_relation_size(c.oid) / current_setting('block_size')::int > greatest(c.relpages * 1.2, c.relpages + 8)
  ORDER BY 1`;

/**
 * ANALYZE the tables that grew (see GROWN_TABLES_SQL) and returns their names: a server that loads
 * data right after it starts (an import) gets plans for the data it has within a minute, not at
 * the next hourly refresh. A no-op on PostgreSQL.
 */
export async function refreshGrownTables(db: Database, logger: Logger): Promise<string[]> {
  if (db.kind !== 'pglite') return [];
  return db.withRawSession(async (s) => {
    const grown = (await s.query<{ name: string }>(GROWN_TABLES_SQL)).map((r) => r.name);
    if (grown.length === 0) return grown;
    const started = Date.now();
    // The names come from the catalog, quoted by format('%I'); ANALYZE takes no parameters.
    await s.exec(`ANALYZE ${grown.join(', ')}`);
    logger.info({ ms: Date.now() - started, tables: grown.length }, 'planner statistics refreshed for grown tables');
    return grown;
  });
}

/**
 * Refreshes the whole database every `intervalMs`, and the tables that grew every `growthCheckMs`,
 * until stopped (embedded database only).
 */
export function startStatisticsRefresh(db: Database, logger: Logger, intervalMs: number, growthCheckMs = 60_000): { stop(): void } {
  if (db.kind !== 'pglite') return { stop() {} };
  const warn = (error: unknown) => logger.warn({ code: (error as { code?: unknown }).code ?? 'internal' }, 'ANALYZE failed');
  const full = setInterval(() => {
    refreshPlannerStatistics(db, logger).catch(warn);
  }, intervalMs);
  const growth = setInterval(() => {
    refreshGrownTables(db, logger).catch(warn);
  }, growthCheckMs);
  full.unref();
  growth.unref();
  return {
    stop: () => {
      clearInterval(full);
      clearInterval(growth);
    },
  };
}
