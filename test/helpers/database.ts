/**
 * Test databases. On PGlite (default) every test file gets its own in-memory database, loaded from
 * a migrated snapshot that test/global-setup.ts builds once per run (initdb takes seconds; loading
 * takes under one). With TEST_DATABASE_URL every test file gets a fresh PostgreSQL database on
 * that server, created here and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type Database, migrate, openDatabase } from '../../src/db/index.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;
export const backend: 'postgres' | 'pglite' = TEST_DATABASE_URL === undefined ? 'pglite' : 'postgres';

export interface TestDatabase {
  readonly db: Database;
  /** Connection URL of the fresh PostgreSQL database (undefined on PGlite). */
  readonly url: string | undefined;
  /** Closes the database and drops it (PostgreSQL). */
  destroy(): Promise<void>;
}

/** Runs `fn` as the server's superuser on the maintenance database. */
async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The application role migration 0001 creates for a database (see 0001_foundation.sql). */
export function appRoleOf(database: string): string {
  return `custodia_app_${database.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

/** A fresh, empty PostgreSQL database on the test server; returns its URL. */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (TEST_DATABASE_URL === undefined) throw new Error('TEST_DATABASE_URL is not set');
  const name = `custodia_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // The database's application role is cluster-wide: drop it with the database.
    drop: () =>
      withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${appRoleOf(name)}`);
      }),
  };
}

/** Loads the migrated snapshot into a new in-memory PGlite. */
export async function loadPGliteSnapshot(): Promise<PGlite> {
  const file = process.env.TEST_PGLITE_SNAPSHOT;
  if (file === undefined) throw new Error('test/global-setup.ts did not run (TEST_PGLITE_SNAPSHOT unset)');
  return PGlite.create('memory://', { loadDataDir: new Blob([readFileSync(file)]) });
}

/** A migrated database for one test file, on the backend this run targets. */
export async function openTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  if (TEST_DATABASE_URL !== undefined) {
    const fresh = await createEmptyPostgresDatabase();
    const db = await openDatabase({ databaseUrl: fresh.url, poolMax: 8 });
    if (migrated) await migrate(db);
    return {
      db,
      url: fresh.url,
      async destroy() {
        await db.close();
        await fresh.drop();
      },
    };
  }
  const pglite = migrated ? await loadPGliteSnapshot() : await PGlite.create('memory://');
  const db = await openDatabase({ pglite });
  return {
    db,
    url: undefined,
    async destroy() {
      await db.close();
      if (!pglite.closed) await pglite.close();
    },
  };
}
