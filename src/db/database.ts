/**
 * The database: PGlite in the data directory by default, PostgreSQL when `DATABASE_URL` is set.
 * Both speak the same SQL and run the same migrations.
 *
 * Application code never gets an unscoped connection. It runs work in a transaction that is
 * either scoped to one tenant ({@link Database.withTenant}) or to platform administration
 * ({@link Database.withPlatform}); both switch to the database's application role, which row-level
 * security applies to. Only the migration runner uses the connection's own role.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import { secureDataDir } from './data-dir.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { DbErrors, isConnectionError } from './errors.js';
import { Mutex, PGliteDialect } from './pglite-dialect.js';
import { withPreparedStatements } from './prepared-statements.js';
import type { Schema } from './schema.js';

export type Tx = Transaction<Schema>;

/** A raw session with one exclusive connection, for migrations and maintenance only. */
export interface RawSession {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements (simple query protocol, no parameters). */
  exec(script: string): Promise<void>;
}

export interface TenantScopeOptions {
  /** Also open the identity scope: `agents` by email and their credentials (sign-in code only). */
  readonly identity?: boolean;
}

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in a transaction that sees only `tenantId`'s rows. With `identity`, it also sees
   * agents' identities and credentials (sign-in code only; migration 0008).
   */
  withTenant<T>(tenantId: string, fn: (tx: Tx) => Promise<T>, options?: TenantScopeOptions): Promise<T>;
  /** Runs `fn` in a platform-administration transaction: tenants and platform tokens, no tenant data. */
  withPlatform<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs `fn` with one exclusive connection under the connecting role (migrations only). */
  withRawSession<T>(fn: (session: RawSession) => Promise<T>): Promise<T>;
  /** Throws `db.unavailable` unless a round trip to the database succeeds. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The role every application transaction runs as: created by migration 0001 per database
 * (`custodia_app_<database>`, since roles are shared by every database of a server) and named
 * in `custodia_settings`. Read inside each transaction's first statement, so it costs no round trip.
 */
const APP_ROLE_QUERY = sql`select value from custodia_settings where key = 'app_role'`;

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, PGlite in `dataDir` (or in memory for `memory://`). */
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string;
  readonly poolMax?: number;
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
  /** An existing PGlite instance (tests load a pre-migrated snapshot this way). */
  readonly pglite?: PGlite;
}

// bigint columns come back as numbers on both drivers, and refuse to lose precision silently.
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError('int8 value exceeds the safe integer range');
  return n;
}
pg.types.setTypeParser(pg.types.builtins.INT8, parseInt8);

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl !== undefined) return openPostgres(options.databaseUrl, options);
  return openPGlite(options);
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'custodia',
  });
  // An idle client losing its server emits 'error' on the pool; unhandled, it would crash the process.
  pool.on('error', (error) => options.logger?.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, 'database connection lost'));
  // The pool listens for errors only on idle clients. A client that is checked out (a transaction
  // between two queries, or a query whose socket closes) emits 'error' as well as failing its query;
  // with no listener that emit is an uncaught exception that would take the whole server down when
  // the database restarts. The failed query already reports the error, and release drops the client.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }) });

  const database = new ScopedDatabase('postgres', kysely, async (fn) => {
    const client = await pool.connect().catch((error: unknown) => {
      throw unavailable(error);
    });
    let broken = false;
    try {
      return await fn({
        query: async <R>(text: string, params: readonly unknown[] = []) => (await client.query(text, [...params])).rows as R[],
        exec: async (script: string) => {
          await client.query(script);
        },
      });
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      client.release(broken);
    }
  }, async () => {
    await kysely.destroy();
  });
  try {
    await database.ping();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

async function openPGlite(options: OpenDatabaseOptions): Promise<Database> {
  let lock: DataDirLock | undefined;
  let pglite = options.pglite;
  if (pglite === undefined) {
    const dataDir = options.dataDir ?? 'memory://';
    if (!dataDir.startsWith('memory://')) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      secureDataDir(dataDir); // mode 0700, or refused when another user owns it (see data-dir.ts)
      // PGlite has no inter-process locking; two processes on one directory would corrupt it.
      lock = acquireDataDirLock(dataDir);
    }
    try {
      pglite = await PGlite.create(dataDir.startsWith('memory://') ? dataDir : `${dataDir}/pgdata`);
    } catch (error) {
      lock?.release();
      throw error;
    }
  }
  const instance = pglite;
  // Here, not at creation, so that an instance passed in (tests, benchmarks) reads int8 as the
  // server does too: PGlite's own parser gives a BigInt past 2^53, a different type, not an error.
  instance.parsers[20] = parseInt8;
  const mutex = new Mutex();
  const kysely = new Kysely<Schema>({ dialect: new PGliteDialect(instance, mutex) });
  return new ScopedDatabase(
    'pglite',
    kysely,
    async (fn) => {
      const release = await mutex.lock();
      try {
        return await fn({
          query: async <R>(text: string, params: readonly unknown[] = []) =>
            (await instance.query<R>(text, [...params], { rowMode: 'object' })).rows,
          exec: async (script: string) => {
            await instance.exec(script);
          },
        });
      } finally {
        release();
      }
    },
    async () => {
      await kysely.destroy();
      // Waits for the mutex so a query in flight finishes before the backend shuts down.
      const release = await mutex.lock();
      try {
        if (!instance.closed) await instance.close();
      } finally {
        release();
        lock?.release();
      }
    },
  );
}

class ScopedDatabase implements Database {
  #closed = false;

  constructor(
    readonly kind: 'pglite' | 'postgres',
    private readonly kysely: Kysely<Schema>,
    private readonly rawSession: <T>(fn: (session: RawSession) => Promise<T>) => Promise<T>,
    private readonly closeFn: () => Promise<void>,
  ) {}

  withTenant<T>(tenantId: string, fn: (tx: Tx) => Promise<T>, options: TenantScopeOptions = {}): Promise<T> {
    if (!isUuid(tenantId)) throw new TypeError('withTenant needs a tenant id (uuid)');
    const scope = options.identity === true ? 'identity' : '';
    return this.#transaction(async (tx) => {
      await sql`select set_config('role', (${APP_ROLE_QUERY}), true), set_config('app.tenant_id', ${tenantId}, true), set_config('app.scope', ${scope}, true)`.execute(tx);
      return fn(tx);
    });
  }

  withPlatform<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#transaction(async (tx) => {
      await sql`select set_config('role', (${APP_ROLE_QUERY}), true), set_config('app.scope', 'platform', true), set_config('app.tenant_id', '', true)`.execute(tx);
      return fn(tx);
    });
  }

  withRawSession<T>(fn: (session: RawSession) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.rawSession(fn).catch((error: unknown) => {
      throw isConnectionError(error) ? unavailable(error) : error;
    });
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    try {
      await sql`select 1`.execute(this.kysely);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closeFn();
  }

  async #transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.#assertOpen();
    try {
      return await this.kysely.transaction().execute(fn);
    } catch (error) {
      throw isConnectionError(error) ? unavailable(error) : error;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new AppError(DbErrors.unavailable, { detail: 'The database connection is closed' });
  }
}

function unavailable(cause: unknown): AppError {
  if (cause instanceof AppError) return cause;
  return new AppError(DbErrors.unavailable, { cause, headers: { 'retry-after': '5' } });
}

/**
 * Inside a platform transaction, also opens `tenantId`'s rows, so that creating a tenant and its
 * first rows (an invitation, demo data) commits or fails as one.
 */
export async function openTenantScope(tx: Tx, tenantId: string): Promise<void> {
  if (!isUuid(tenantId)) throw new TypeError('openTenantScope needs a tenant id (uuid)');
  await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(tx);
}
