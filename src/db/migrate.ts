/**
 * Numbered SQL migrations (`migrations/NNNN_name.sql`), the same files for PGlite and PostgreSQL.
 * Each runs in its own transaction together with its row in `schema_migrations`, so a migration
 * is applied entirely or not at all. Applied migrations are checksummed: editing one after it ran
 * is refused, as is a database whose schema is newer than this code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import type { Database, RawSession } from './database.js';
import { DbErrors } from './errors.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly sql: string;
}

export interface MigrationStatus {
  readonly current: number;
  readonly latest: number;
  readonly pending: readonly { version: number; name: string }[];
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// An arbitrary constant shared by every Custodia process: serialises concurrent migrators.
const MIGRATION_LOCK_KEY = 727_311_001;

let cached: readonly Migration[] | undefined;

/** The migrations shipped with this code, validated: numbered 1..n without gaps. */
export function loadMigrations(dir = MIGRATIONS_DIR): readonly Migration[] {
  if (dir === MIGRATIONS_DIR && cached !== undefined) return cached;
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations = files.map((file, index) => {
    const match = FILE_NAME.exec(file);
    if (match === null) throw new TypeError(`bad migration file name: ${file} (want NNNN_name.sql)`);
    const version = Number(match[1]);
    if (version !== index + 1) throw new TypeError(`migration ${file} is out of sequence (expected ${index + 1})`);
    const text = readFileSync(`${dir}/${file}`, 'utf8');
    return { version, name: match[2] ?? '', checksum: sha256(text).toString('hex'), sql: text };
  });
  if (dir === MIGRATIONS_DIR) cached = migrations;
  return migrations;
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

async function readApplied(session: RawSession): Promise<AppliedRow[]> {
  const exists = await session.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (exists[0]?.present !== true) return [];
  return session.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
}

/** Compares applied migrations with the code's; throws on a newer or modified schema. */
function compare(applied: readonly AppliedRow[], migrations: readonly Migration[]): MigrationStatus {
  const latest = migrations.length;
  const newest = applied.at(-1)?.version ?? 0;
  if (newest > latest) {
    throw new AppError(DbErrors.schema_newer, {
      detail: `The database schema is at version ${newest} but this Custodia knows migrations up to ${latest}. Upgrade Custodia, or restore a backup made by this version.`,
    });
  }
  for (const row of applied) {
    const known = migrations[row.version - 1];
    if (known === undefined || known.checksum !== row.checksum) {
      throw new AppError(DbErrors.migration_modified, {
        detail: `Migration ${String(row.version).padStart(4, '0')}_${row.name} differs from the one applied to this database.`,
      });
    }
  }
  const pending = migrations.filter((m) => m.version > newest).map(({ version, name }) => ({ version, name }));
  return { current: newest, latest, pending };
}

export async function migrationStatus(db: Database, migrations = loadMigrations()): Promise<MigrationStatus> {
  return db.withRawSession(async (session) => compare(await readApplied(session), migrations));
}

/** Applies every pending migration; safe to run from several processes at once. */
export async function migrate(
  db: Database,
  options: { migrations?: readonly Migration[]; onApplied?: (m: Migration) => void } = {},
): Promise<MigrationStatus> {
  const migrations = options.migrations ?? loadMigrations();
  return db.withRawSession(async (session) => {
    if (db.kind === 'postgres') await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await session.exec(CREATE_TABLE);
      const before = compare(await readApplied(session), migrations);
      for (const { version } of before.pending) {
        const migration = migrations[version - 1];
        if (migration === undefined) continue;
        await session.exec('BEGIN');
        try {
          await session.exec(migration.sql);
          await session.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          await session.exec('COMMIT');
        } catch (error) {
          await session.exec('ROLLBACK').catch(() => undefined);
          throw error;
        }
        options.onApplied?.(migration);
      }
      return compare(await readApplied(session), migrations);
    } finally {
      if (db.kind === 'postgres') await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  });
}
