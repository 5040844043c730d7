/**
 * Vaults for the integration tests in test/vault: built exactly as the server builds them
 * (`createVault` from a loaded configuration, `env` key provider with a fresh random root key),
 * over a real test database (see database.ts). Several vaults built from one `TestRootKey` on one
 * database behave like several processes of one deployment: same keys, separate key caches.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/index.js';
import { loadConfig } from '../../src/config/index.js';
import { FixedClock } from '../../src/platform/clock.js';
import type { Clock } from '../../src/platform/clock.js';
import { newId } from '../../src/platform/ids.js';
import { createLogger, type Logger } from '../../src/platform/logger.js';
import { createVault, type Vault } from '../../src/vault/index.js';

export const TEST_NOW = '2026-11-23T09:00:00Z';

/** A random root key as the `env` provider reads it (`CUSTODIA_KEYS=1:<base64>`). */
export interface TestRootKey {
  readonly bytes: Buffer;
  /** The value of CUSTODIA_KEYS. */
  readonly env: string;
}

export function newRootKey(version = 1): TestRootKey {
  const bytes = randomBytes(32);
  return { bytes, env: `${version}:${bytes.toString('base64')}` };
}

export interface TestVaultOptions {
  readonly rootKey: TestRootKey;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** CUSTODIA_BLIND_INDEX_BYTES; the configuration default (8) when absent. */
  readonly blindIndexBytes?: number;
  /** CUSTODIA_DEFAULT_PHONE_COUNTRY. */
  readonly defaultPhoneCountry?: string;
  /** CUSTODIA_VAULT_KEY_CACHE_ENTRIES. */
  readonly cacheEntries?: number;
}

/** A vault as the server builds it, from configuration through `createVault`. */
export function newTestVault(options: TestVaultOptions): Vault {
  const env: Record<string, string> = { NODE_ENV: 'test', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: options.rootKey.env };
  if (options.blindIndexBytes !== undefined) env.CUSTODIA_BLIND_INDEX_BYTES = String(options.blindIndexBytes);
  if (options.defaultPhoneCountry !== undefined) env.CUSTODIA_DEFAULT_PHONE_COUNTRY = options.defaultPhoneCountry;
  if (options.cacheEntries !== undefined) env.CUSTODIA_VAULT_KEY_CACHE_ENTRIES = String(options.cacheEntries);
  return createVault(loadConfig({ env }), {
    clock: options.clock ?? new FixedClock(TEST_NOW),
    logger: options.logger ?? createLogger('silent'),
  });
}

/** Creates an active tenant and returns its id. */
export async function createTenant(db: Database, slug: string): Promise<string> {
  const id = newId();
  const now = new Date(TEST_NOW);
  await db.withPlatform((tx) => tx.insertInto('tenants').values({ id, slug, name: slug, status: 'active', created_at: now, updated_at: now }).execute());
  return id;
}

/** Resolves to the rejection of `promise` (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The `code` of whatever `fn` throws (synchronously or not); fails the test if it does not throw. */
export async function errorCodeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
  throw new Error('expected an error');
}

/**
 * A table the tests store field ciphertexts in, as a domain table would (tenant-scoped by
 * row-level security, written by the application role). Created through the raw session, since
 * no migration has a table with encrypted columns yet.
 */
export async function createFieldTable(db: Database): Promise<void> {
  await db.withRawSession((s) =>
    s.exec(`
      CREATE TABLE IF NOT EXISTS vault_test_fields (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        record_id uuid NOT NULL,
        field text NOT NULL,
        ciphertext text NOT NULL,
        PRIMARY KEY (tenant_id, record_id, field)
      );
      ALTER TABLE vault_test_fields ENABLE ROW LEVEL SECURITY;
      ALTER TABLE vault_test_fields FORCE ROW LEVEL SECURITY;
      DROP POLICY IF EXISTS tenant_isolation ON vault_test_fields;
      CREATE POLICY tenant_isolation ON vault_test_fields
        USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
      SELECT custodia_grant('SELECT, INSERT, UPDATE, DELETE', 'vault_test_fields');
    `),
  );
}

/**
 * Every row of every table in the public schema as text (`row::text`), read as the connecting
 * role (superuser: row-level security does not hide anything). For at-rest leak scans.
 */
export async function dumpAllRows(db: Database): Promise<string> {
  return db.withRawSession(async (s) => {
    const tables = await s.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const out: string[] = [];
    for (const { name } of tables) {
      const rows = await s.query<{ row: string }>(`SELECT t::text AS row FROM "${name.replace(/"/g, '""')}" t`);
      for (const r of rows) out.push(`${name}: ${r.row}`);
    }
    return out.join('\n');
  });
}
