/**
 * Databases for benchmarks. On PostgreSQL each run creates a fresh database (so figures never
 * depend on what an earlier run left) and drops it, with the application role its migration
 * creates, at the end or when the process is interrupted.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, migrate, openDatabase } from '../../src/db/index.js';

/** Runs `fn` as the connecting (super)user, on `database` or the URL's own database. */
export async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(adminUrl);
  if (database !== undefined) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The application role migration 0001 creates for a database (as test/helpers/database.ts). */
export function appRoleOf(database: string): string {
  return `custodia_app_${database.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

/** Cleanups still to run if the process is interrupted. */
const pendingCleanups = new Set<() => Promise<void>>();
let signalsInstalled = false;

function installSignalHandlers(progress: (message: string) => void): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: cleaning up`);
      void Promise.allSettled([...pendingCleanups].map((c) => c())).finally(() => process.exit(130));
    });
  }
}

export interface ScratchDatabase {
  readonly name: string;
  /** `adminUrl` pointing at the new database. */
  readonly url: string;
  /** Drops the database and its application role; safe to call more than once. */
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random>` on the server of `adminUrl`; it is dropped on SIGINT/SIGTERM too. */
export async function createScratchDatabase(adminUrl: string, prefix: string, progress: (message: string) => void): Promise<ScratchDatabase> {
  installSignalHandlers(progress);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    pendingCleanups.delete(drop);
    await withAdmin(adminUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${appRoleOf(name)}`);
    });
  };
  pendingCleanups.add(drop);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop };
}

export interface BenchDatabase {
  readonly db: Database;
  /** The scratch database's name (PostgreSQL only). */
  readonly name: string | undefined;
  readonly description: string;
  /** Closes the database and, on PostgreSQL, drops it. */
  close(): Promise<void>;
}

async function serverVersion(db: Database): Promise<string> {
  const rows = await db.withRawSession((s) => s.query<{ v: string }>("select current_setting('server_version') as v"));
  return rows[0]?.v ?? '?';
}

/**
 * A migrated database for one benchmark run: PGlite in memory, or a scratch PostgreSQL database
 * on `pgUrl` opened with the server's own driver and a pool of `poolMax`. Emits a `setup` line.
 */
export async function openBenchDatabase(options: {
  readonly backend: 'pglite' | 'postgres';
  readonly pgUrl: string;
  readonly prefix: string;
  readonly poolMax: number;
  readonly emit: (record: Record<string, unknown>) => void;
  readonly progress: (message: string) => void;
}): Promise<BenchDatabase> {
  const started = performance.now();
  const { backend, emit } = options;
  if (backend === 'postgres') {
    const scratch = await createScratchDatabase(options.pgUrl, options.prefix, options.progress);
    let db: Database | undefined;
    try {
      db = await openDatabase({ databaseUrl: scratch.url, poolMax: options.poolMax });
      await migrate(db);
    } catch (error) {
      await db?.close();
      await scratch.drop();
      throw error;
    }
    const opened = db;
    emit({ kind: 'setup', phase: 'database', backend, database: scratch.name, pool_max: options.poolMax, ms: Math.round(performance.now() - started) });
    return {
      db: opened,
      name: scratch.name,
      description: `PostgreSQL ${await serverVersion(opened)} at ${new URL(scratch.url).host}, fresh database, pool of ${options.poolMax}`,
      async close() {
        await opened.close();
        await scratch.drop();
      },
    };
  }
  // openDatabase's own PGlite (not a bare PGlite.create): it installs the int8 parser the server uses.
  const db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  emit({ kind: 'setup', phase: 'database', backend, storage: 'memory', ms: Math.round(performance.now() - started) });
  return { db, name: undefined, description: `PGlite ${await serverVersion(db)} (memory), in this process, one session`, close: () => db.close() };
}

/** Counts transactions opened through the application's database handle. */
export interface TxCounter {
  count: number;
}

export function countingDatabase(inner: Database, counter: TxCounter): Database {
  return {
    kind: inner.kind,
    withTenant(tenantId, fn, options) {
      counter.count += 1;
      return inner.withTenant(tenantId, fn, options);
    },
    withPlatform(fn) {
      counter.count += 1;
      return inner.withPlatform(fn);
    },
    withRawSession: (fn) => inner.withRawSession(fn),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}
