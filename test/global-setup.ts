/**
 * Runs once before the suites: builds a migrated PGlite snapshot (named by the migrations'
 * checksums, so it is rebuilt whenever a migration changes) and, under CI, insists that the
 * real-server suites have their servers.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sha256 } from '../src/platform/crypto.js';
import { loadMigrations, migrate, openDatabase } from '../src/db/index.js';

export default async function setup(): Promise<void> {
  const migrations = loadMigrations();
  const key = sha256(migrations.map((m) => m.checksum).join(',')).toString('hex').slice(0, 16);
  const dir = path.resolve('node_modules/.cache/custodia-test');
  const file = path.join(dir, `pglite-${key}.tar`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const pglite = await PGlite.create('memory://');
    const db = await openDatabase({ pglite });
    await migrate(db);
    const blob = await pglite.dumpDataDir('none');
    writeFileSync(`${file}.tmp`, Buffer.from(await blob.arrayBuffer()));
    const { renameSync } = await import('node:fs');
    renameSync(`${file}.tmp`, file);
    await db.close();

  }
  process.env.TEST_PGLITE_SNAPSHOT = file;

  if (process.env.CI === 'true' && process.env.TEST_REQUIRE_SERVERS === 'true') {
    if (!process.env.TEST_DATABASE_URL) throw new Error('CI run without TEST_DATABASE_URL: the PostgreSQL suites would not run');
    if (!process.env.TEST_REDIS_URL) throw new Error('CI run without TEST_REDIS_URL: the Redis suites would not run');
  }
}
