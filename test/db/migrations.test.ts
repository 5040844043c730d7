/**
 * The migration runner: applies the numbered files once each and records them; refuses a database
 * newer than the code or a migration edited after it ran; refuses badly named or missing files;
 * applies each migration all or nothing; serialises concurrent runners. And what the migrations
 * must leave behind: the application role's exact grants, and row-level security on every table
 * that holds tenant data (found from the catalog, so tables added later are checked too).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, loadMigrations, migrate, migrationStatus, openDatabase } from '../../src/db/index.js';
import { loadConfig } from '../../src/config/index.js';
import { sha256 } from '../../src/platform/crypto.js';
import { createContext } from '../../src/server/context.js';
import { AppError } from '../../src/platform/errors.js';
import { appRoleOf, backend, createEmptyPostgresDatabase, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const shipped = loadMigrations();

async function expectAppError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
}

async function appliedRows(db: Database): Promise<{ version: number; name: string; checksum: string; applied_at: unknown }[]> {
  return db.withRawSession((s) => s.query('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version'));
}

const tempDirs: string[] = [];
/** A directory of migration files with the given names and contents. */
function migrationDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custodia-migrations-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe(`migrating a fresh database on ${backend}`, () => {
  let fresh: TestDatabase;
  beforeAll(async () => {
    fresh = await openTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await fresh?.destroy();
  });

  it('reports every shipped migration as pending before the first run', async () => {
    expect(shipped.length).toBeGreaterThan(0);
    expect(await migrationStatus(fresh.db)).toEqual({
      current: 0,
      latest: shipped.length,
      pending: shipped.map(({ version, name }) => ({ version, name })),
    });
  });

  it('applies every migration in order and records its version, name and checksum', async () => {
    const applied: number[] = [];
    const status = await migrate(fresh.db, { onApplied: (m) => applied.push(m.version) });
    expect(applied).toEqual(shipped.map((m) => m.version));
    expect(status).toEqual({ current: shipped.length, latest: shipped.length, pending: [] });
    const rows = await appliedRows(fresh.db);
    expect(rows.map(({ version, name, checksum }) => ({ version, name, checksum }))).toEqual(
      shipped.map(({ version, name, checksum }) => ({ version, name, checksum })),
    );
    for (const m of shipped) expect(m.checksum).toBe(sha256(m.sql).toString('hex'));
    expect(await migrationStatus(fresh.db)).toEqual(status);
  });

  it('a second run applies nothing and leaves the records untouched', async () => {
    const before = await appliedRows(fresh.db);
    const applied: number[] = [];
    const status = await migrate(fresh.db, { onApplied: (m) => applied.push(m.version) });
    expect(applied).toEqual([]);
    expect(status.pending).toEqual([]);
    expect(await appliedRows(fresh.db)).toEqual(before);
  });

  describe('refusals', () => {
    afterEach(async () => {
      // Undo whatever a test did to the records, so each starts from the real state.
      await fresh.db.withRawSession(async (s) => {
        await s.query('DELETE FROM schema_migrations WHERE version > $1', [shipped.length]);
        for (const m of shipped) await s.query('UPDATE schema_migrations SET checksum = $1 WHERE version = $2', [m.checksum, m.version]);
      });
    });

    it('a database with a migration newer than the code: migrate and migrationStatus throw db.schema_newer', async () => {
      await fresh.db.withRawSession((s) =>
        s.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [shipped.length + 1, 'from_the_future', '0'.repeat(64)]),
      );
      await expectAppError(migrate(fresh.db), 'db.schema_newer');
      await expectAppError(migrationStatus(fresh.db), 'db.schema_newer');
    });

    it('an applied migration whose recorded checksum differs: db.migration_modified', async () => {
      await fresh.db.withRawSession((s) => s.query('UPDATE schema_migrations SET checksum = $1 WHERE version = 1', ['f'.repeat(64)]));
      await expectAppError(migrate(fresh.db), 'db.migration_modified');
      await expectAppError(migrationStatus(fresh.db), 'db.migration_modified');
    });

    it('a migration file edited after it was applied: db.migration_modified, and nothing runs', async () => {
      const files = Object.fromEntries(
        shipped.map((m) => [`${String(m.version).padStart(4, '0')}_${m.name}.sql`, m.version === 1 ? `${m.sql}\n-- edited afterwards\n` : m.sql]),
      );
      const edited = loadMigrations(migrationDir(files));
      expect(edited[0]?.checksum).not.toBe(shipped[0]?.checksum);
      const applied: number[] = [];
      await expectAppError(migrate(fresh.db, { migrations: edited, onApplied: (m) => applied.push(m.version) }), 'db.migration_modified');
      await expectAppError(migrationStatus(fresh.db, edited), 'db.migration_modified');
      expect(applied).toEqual([]);
    });
  });
});

describe('loading migration files', () => {
  it('reads NNNN_name.sql files in order with the SHA-256 of their text', () => {
    const dir = migrationDir({ '0002_second.sql': 'SELECT 2;', '0001_first.sql': 'SELECT 1;', 'README.md': 'not a migration' });
    expect(loadMigrations(dir)).toEqual([
      { version: 1, name: 'first', checksum: sha256('SELECT 1;').toString('hex'), sql: 'SELECT 1;' },
      { version: 2, name: 'second', checksum: sha256('SELECT 2;').toString('hex'), sql: 'SELECT 2;' },
    ]);
    expect(readFileSync(path.join(dir, '0001_first.sql'), 'utf8')).toBe('SELECT 1;');
  });

  it.each([
    ['a gap', { '0001_a.sql': '', '0003_c.sql': '' }, /out of sequence/],
    ['a duplicate number', { '0001_a.sql': '', '0001_b.sql': '' }, /out of sequence/],
    ['no 0001', { '0002_b.sql': '' }, /out of sequence/],
  ])('rejects %s', (_what, files, message) => {
    expect(() => loadMigrations(migrationDir(files))).toThrow(message);
  });

  it.each(['0001-foundation.sql', '1_foundation.sql', '0001_Foundation.sql', '0001_.sql', '00001_foundation.sql', '0001_found ation.sql'])(
    'rejects the file name %s',
    (name) => {
      expect(() => loadMigrations(migrationDir({ [name]: 'SELECT 1;' }))).toThrow(/bad migration file name/);
    },
  );
});

describe(`a failing migration on ${backend}`, () => {
  let fresh: TestDatabase;
  beforeAll(async () => {
    fresh = await openTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await fresh?.destroy();
  });

  it('leaves nothing of itself behind: no table, no row, earlier migrations kept; fixed, it applies', async () => {
    const ok = 'CREATE TABLE ok_table (id integer PRIMARY KEY);';
    const broken = migrationDir({
      '0001_ok.sql': ok,
      '0002_bad.sql': 'CREATE TABLE half_table (id integer);\nINSERT INTO ok_table VALUES (1);\nSELECT * FROM no_such_table;\n',
    });
    await expect(migrate(fresh.db, { migrations: loadMigrations(broken) })).rejects.toThrow(/no_such_table/);

    const state = () =>
      fresh.db.withRawSession(async (s) => ({
        half: (await s.query<{ t: string | null }>(`SELECT to_regclass('half_table')::text AS t`))[0]?.t ?? null,
        ok: (await s.query<{ t: string | null }>(`SELECT to_regclass('ok_table')::text AS t`))[0]?.t ?? null,
        okRows: (await s.query<{ n: number }>('SELECT count(*)::int AS n FROM ok_table'))[0]?.n,
        versions: (await s.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version),
      }));
    expect(await state()).toEqual({ half: null, ok: 'ok_table', okRows: 0, versions: [1] });

    // The session is usable afterwards (the failed transaction was rolled back, not left open).
    const fixed = migrationDir({ '0001_ok.sql': ok, '0002_bad.sql': 'CREATE TABLE half_table (id integer);\nINSERT INTO ok_table VALUES (1);\n' });
    expect((await migrate(fresh.db, { migrations: loadMigrations(fixed) })).current).toBe(2);
    expect(await state()).toEqual({ half: 'half_table', ok: 'ok_table', okRows: 1, versions: [1, 2] });
  });
});

describe.runIf(backend === 'postgres')('concurrent migrators on PostgreSQL', () => {
  it('several processes migrating one fresh database at once all succeed and each migration is applied once', async () => {
    const empty = await createEmptyPostgresDatabase();
    const handles: Database[] = [];
    try {
      for (let i = 0; i < 4; i += 1) handles.push(await openDatabase({ databaseUrl: empty.url, poolMax: 2 }));
      const applied: number[] = [];
      const results = await Promise.all(handles.map((db) => migrate(db, { onApplied: (m) => applied.push(m.version) })));
      for (const status of results) expect(status).toEqual({ current: shipped.length, latest: shipped.length, pending: [] });
      expect(applied.sort((a, b) => a - b)).toEqual(shipped.map((m) => m.version));
      expect((await appliedRows(handles[0] as Database)).map((r) => r.version)).toEqual(shipped.map((m) => m.version));
    } finally {
      for (const db of handles) await db.close();
      await empty.drop();
    }
  });
});

describe.runIf(backend === 'postgres')('least-privilege logins on PostgreSQL', () => {
  // docs/operations.md: an administrator pre-creates the application role; a migration login owns
  // the database (no superuser, no CREATEROLE); the server runs as a separate login that owns
  // nothing and only holds the application role.
  it('migrate as the owner, run as a login that cannot disable RLS or reach another database', async () => {
    const one = await createEmptyPostgresDatabase();
    const other = await createEmptyPostgresDatabase();
    const suffix = Math.random().toString(36).slice(2, 10);
    const owner = `custodia_owner_${suffix}`;
    const runtime = `custodia_run_${suffix}`;
    const dbName = new URL(one.url).pathname.slice(1);
    const appRole = appRoleOf(dbName);
    const admin = await openDatabase({ databaseUrl: process.env.TEST_DATABASE_URL as string, poolMax: 1 });
    const as = (login: string, url: string) => {
      const u = new URL(url);
      u.username = login;
      u.password = '';
      return u.toString();
    };
    let migrator: Database | undefined;
    let app: Database | undefined;
    try {
      await admin.withRawSession(async (s) => {
        await s.exec(`CREATE ROLE ${appRole} NOLOGIN NOINHERIT NOBYPASSRLS`);
        await s.exec(`CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB`);
        await s.exec(`CREATE ROLE ${runtime} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB`);
        await s.exec(`GRANT ${appRole} TO ${owner}, ${runtime}`);
        await s.exec(`ALTER DATABASE ${dbName} OWNER TO ${owner}`);
      });
      migrator = await openDatabase({ databaseUrl: as(owner, one.url), poolMax: 1 });
      expect((await migrate(migrator)).pending).toEqual([]);
      await migrator.close();
      migrator = undefined;

      app = await openDatabase({ databaseUrl: as(runtime, one.url), poolMax: 2 });
      const tenantId = '6f1c7f0e-8d8a-4d6b-9a57-3f1e2b7c9d10';
      const now = new Date();
      await app.withPlatform((tx) => tx.insertInto('tenants').values({ id: tenantId, slug: 'least-priv', name: 'L', status: 'active', created_at: now, updated_at: now }).execute());
      const seen = await app.withTenant(tenantId, (tx) => tx.selectFrom('tenants').select('slug').execute());
      expect(seen.map((r) => r.slug)).toEqual(['least-priv']);

      // Injected SQL running as this login cannot switch row-level security off or change the schema.
      await expect(app.withRawSession((s) => s.exec('ALTER TABLE customers DISABLE ROW LEVEL SECURITY'))).rejects.toThrow(/must be owner/);
      await expect(app.withRawSession((s) => s.exec('SET ROLE postgres'))).rejects.toThrow(/permission denied/);
      // Even with the role reset, RLS still applies to the login: no rows without a tenant scope.
      const bare = await app.withRawSession((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants'));
      expect(bare[0]?.n).toBe(0);

      // Production accepts this login (migrating as the owner), and refuses the owner as the runtime login.
      const production = (databaseUrl: string, migrationUrl?: string) =>
        loadConfig({
          env: {
            NODE_ENV: 'production',
            DATABASE_URL: databaseUrl,
            ...(migrationUrl === undefined ? {} : { CUSTODIA_MIGRATION_DATABASE_URL: migrationUrl }),
            CUSTODIA_KEY_PROVIDER: 'env',
            CUSTODIA_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}`,
            LOG_LEVEL: 'silent',
          },
        });
      const accepted = await createContext(production(as(runtime, one.url), as(owner, one.url)));
      await accepted.close();
      await expect(createContext(production(as(owner, one.url)))).rejects.toMatchObject({ code: 'db.privileged_connection' });

      // Nor can it reach another Custodia database on the same server (CONNECT revoked from PUBLIC).
      const otherDb = await openDatabase({ databaseUrl: other.url, poolMax: 1 });
      await migrate(otherDb);
      await otherDb.close();
      await expect(openDatabase({ databaseUrl: as(runtime, other.url), poolMax: 1 })).rejects.toMatchObject({ code: 'db.unavailable' });
    } finally {
      await migrator?.close();
      await app?.close();
      await one.drop();
      await other.drop();
      await admin.withRawSession(async (s) => {
        await s.exec(`DROP ROLE IF EXISTS ${runtime}`);
        await s.exec(`DROP ROLE IF EXISTS ${owner}`);
      });
      await admin.close();
    }
  });

  it('refuses a pre-created application role that could bypass row-level security', async () => {
    const fresh = await createEmptyPostgresDatabase();
    const appRole = appRoleOf(new URL(fresh.url).pathname.slice(1));
    const admin = await openDatabase({ databaseUrl: process.env.TEST_DATABASE_URL as string, poolMax: 1 });
    const db = await openDatabase({ databaseUrl: fresh.url, poolMax: 1 });
    try {
      await admin.withRawSession((s) => s.exec(`CREATE ROLE ${appRole} NOLOGIN BYPASSRLS`));
      await expect(migrate(db)).rejects.toThrow(/BYPASSRLS/);
      expect((await migrationStatus(db)).current).toBe(0);
    } finally {
      await db.close();
      await fresh.drop();
      await admin.close();
    }
  });
});

describe(`what the migrations leave behind on ${backend}`, () => {
  let migrated: TestDatabase;
  let appRole: string;
  beforeAll(async () => {
    migrated = await openTestDatabase();
    appRole = (await query<{ value: string }>(`SELECT value FROM custodia_settings WHERE key = 'app_role'`))[0]?.value ?? '';
  });
  afterAll(async () => {
    await migrated?.destroy();
  });

  const query = <R>(text: string) => migrated.db.withRawSession((s) => s.query<R>(text));

  it('names a per-database application role, so logins of other databases on the server get nothing here', async () => {
    const [{ db } = { db: '' }] = await query<{ db: string }>('SELECT current_database() AS db');
    expect(appRole).toBe(`custodia_app_${db.replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63));
    const [connect] = await query<{ public_connect: boolean; app_connect: boolean }>(`
      SELECT has_database_privilege('public', current_database(), 'CONNECT') AS public_connect,
             has_database_privilege('${appRole}', current_database(), 'CONNECT') AS app_connect`);
    expect(connect).toEqual({ public_connect: false, app_connect: true });
  });

  it('the application role holds exactly the table privileges the migrations grant, on every table', async () => {
    const rows = await query<{ table: string; privilege: string }>(`
      SELECT c.relname AS table, p.privilege
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p(privilege)
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND has_table_privilege('${appRole}', c.oid, p.privilege)
      ORDER BY 1, 2`);
    const grants: Record<string, string[]> = {};
    for (const { table, privilege } of rows) (grants[table] ??= []).push(privilege);
    // A new table must be added here deliberately, with the least privileges it needs.
    expect(grants).toEqual({
      // Agents (0008): identities and credentials are never deleted by the application (an
      // agent is disabled); second factors can be removed, sessions only revoked.
      // Access (0012): policy versions and reveals are never changed; break-glass grants are
      // ended and reviewed.
      access_break_glass: ['INSERT', 'SELECT', 'UPDATE'],
      access_policies: ['INSERT', 'SELECT'],
      access_reveals: ['INSERT', 'SELECT'],
      agent_conduct_acks: ['INSERT', 'SELECT'],
      // Devices and networks (0009) are revoked or denied, never deleted: they are evidence.
      agent_devices: ['INSERT', 'SELECT', 'UPDATE'],
      agent_memberships: ['INSERT', 'SELECT', 'UPDATE'],
      agent_networks: ['INSERT', 'SELECT', 'UPDATE'],
      agent_passwords: ['INSERT', 'SELECT', 'UPDATE'],
      agent_recovery_codes: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      agent_sessions: ['INSERT', 'SELECT', 'UPDATE'],
      agent_shift_exceptions: ['INSERT', 'SELECT'],
      agent_shifts: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      agent_sms_phones: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      agent_totp: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      agent_training: ['INSERT', 'SELECT'],
      agent_webauthn_credentials: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      agents: ['INSERT', 'SELECT', 'UPDATE'],
      api_keys: ['INSERT', 'SELECT', 'UPDATE'],
      blind_indexes: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      card_tokens: ['DELETE', 'INSERT', 'SELECT'],
      // Customer profiles (0010): definitions are retired, never deleted; values are cleared by
      // deleting their row; history is append-only.
      customer_field_definitions: ['INSERT', 'SELECT', 'UPDATE'],
      customer_field_history: ['INSERT', 'SELECT'],
      customer_field_values: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      customers: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      data_keys: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      // Interactions (0011) are closed, never deleted; their history is append-only.
      interaction_events: ['INSERT', 'SELECT'],
      // Messages and redaction (0016): messages and policy versions are never changed; a held-back
      // transcript tail is replaced and deleted; each decryption is a record.
      interaction_message_streams: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      interaction_messages: ['INSERT', 'SELECT'],
      redaction_decryptions: ['INSERT', 'SELECT'],
      redaction_policies: ['INSERT', 'SELECT'],
      interactions: ['INSERT', 'SELECT', 'UPDATE'],
      invitations: ['INSERT', 'SELECT', 'UPDATE'],
      jobs: ['INSERT', 'SELECT', 'UPDATE'],
      // The ledger is append-only: no UPDATE or DELETE on entries, nodes or checkpoints.
      ledger_checkpoints: ['INSERT', 'SELECT'],
      ledger_entries: ['INSERT', 'SELECT'],
      ledger_heads: ['INSERT', 'SELECT', 'UPDATE'],
      ledger_nodes: ['INSERT', 'SELECT'],
      ledger_queue: ['DELETE', 'INSERT', 'SELECT'],
      ledger_signing_keys: ['INSERT', 'SELECT'],
      ledger_witness_queue: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      platform_tokens: ['INSERT', 'SELECT', 'UPDATE'],
      custodia_settings: ['SELECT'],
      schema_migrations: ['SELECT'],
      security_alerts: ['INSERT', 'SELECT', 'UPDATE'],
      shredded_data_keys: ['INSERT', 'SELECT'],
      // Tenant keys are never deleted: a retired key keeps its row with the wrapped bytes erased.
      tenant_keys: ['INSERT', 'SELECT', 'UPDATE'],
      tenant_security_settings: ['INSERT', 'SELECT', 'UPDATE'],
      tenants: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      // Verification (0013): results are a history; customer locks end by deletion (or expire).
      verification_codes: ['INSERT', 'SELECT', 'UPDATE'],
      verification_locks: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      verification_results: ['INSERT', 'SELECT'],
      verification_sessions: ['INSERT', 'SELECT', 'UPDATE'],
      verification_settings: ['INSERT', 'SELECT', 'UPDATE'],
      // Verification questions (0014): answers are replaced as a set; challenges are answered once.
      verification_question_answers: ['DELETE', 'INSERT', 'SELECT'],
      verification_question_challenges: ['INSERT', 'SELECT', 'UPDATE'],
      // Verification risk and biometrics (0015): calling numbers are a history; consents are
      // withdrawn, never deleted; an enrollment is replaced or removed, never edited.
      verification_session_callers: ['INSERT', 'SELECT'],
      verification_fraud_numbers: ['DELETE', 'INSERT', 'SELECT'],
      biometric_consents: ['INSERT', 'SELECT', 'UPDATE'],
      biometric_enrollments: ['DELETE', 'INSERT', 'SELECT'],
    });
  });

  it('the application role cannot log in, bypass RLS, create roles or databases', async () => {
    const [role] = await query<Record<string, boolean>>(
      `SELECT rolcanlogin, rolbypassrls, rolsuper, rolcreaterole, rolcreatedb, rolinherit FROM pg_roles WHERE rolname = '${appRole}'`,
    );
    expect(role).toEqual({ rolcanlogin: false, rolbypassrls: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolinherit: false });
  });

  it('every table with a tenant_id column has RLS enabled and forced, tenant policies only, and cascades from tenants', async () => {
    const tables = await query<{ table: string; enabled: boolean; forced: boolean }>(`
      SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      ORDER BY 1`);
    const policies = await query<{ table: string; name: string; roles: string; cmd: string; permissive: string; qual: string | null; check: string | null }>(`
      SELECT tablename AS table, policyname AS name, array_to_string(roles, ',') AS roles, cmd, permissive, qual, with_check AS check
      FROM pg_policies WHERE schemaname = 'public'`);
    const cascades = await query<{ table: string }>(`
      SELECT c.relname AS table
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ALL (k.conkey) AND a.attname = 'tenant_id'
      WHERE k.contype = 'f' AND k.confrelid = 'public.tenants'::regclass AND k.confdeltype = 'c' AND cardinality(k.conkey) = 1`);

    // Policies on tenant tables that are not keyed on the tenant, each with its reason:
    // jobs.jobs_worker_scan lets the job worker find which tenants have pending jobs (0003).
    // ledger_*_scan let the ledger sequencer find tenants with queued entries, grown trees and
    // undelivered checkpoints (0004).
    const platformReadPolicies = new Set(['jobs.jobs_worker_scan', 'ledger_queue.ledger_queue_scan', 'ledger_heads.ledger_heads_scan', 'ledger_witness_queue.ledger_witness_scan']);
    // Not vacuous: today's tenant tables are found.
    expect(tables.map((r) => r.table)).toEqual(expect.arrayContaining(['customers', 'invitations']));
    const scoped = /\btenant_id = app_current_tenant\(\)/;
    for (const { table, enabled, forced } of tables) {
      expect({ table, enabled, forced }).toEqual({ table, enabled: true, forced: true });
      const own = policies.filter((p) => p.table === table);
      expect(own.length, `${table} has no policy`).toBeGreaterThan(0);
      for (const p of own) {
        if (platformReadPolicies.has(`${table}.${p.name}`)) {
          // The listed exceptions: read-only, and only from platform scope, never a tenant's.
          expect({ cmd: p.cmd, qual: p.qual, check: p.check }).toEqual({ cmd: 'SELECT', qual: expect.stringMatching(/^\(app_platform_scope\(\) AND /), check: null });
          continue;
        }
        // A permissive policy that is not keyed on the tenant would open the table to every tenant.
        // Policies apply to every role (PUBLIC): with FORCE, even the owner is held to them.
        expect(p.roles, `${table}.${p.name}`).toBe('public');
        if (p.cmd !== 'INSERT') expect(p.qual, `${table}.${p.name} USING`).toMatch(scoped);
        if (p.check !== null || p.cmd === 'INSERT') expect(p.check, `${table}.${p.name} WITH CHECK`).toMatch(scoped);
      }
      expect(cascades.map((c) => c.table), `${table}.tenant_id must reference tenants ON DELETE CASCADE`).toContain(table);
    }
  });

  it('every table the application role can write to has RLS enabled and forced', async () => {
    const rows = await query<{ table: string; enabled: boolean; forced: boolean }>(`
      SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND (has_table_privilege('${appRole}', c.oid, 'INSERT') OR has_table_privilege('${appRole}', c.oid, 'UPDATE')
             OR has_table_privilege('${appRole}', c.oid, 'DELETE'))
      ORDER BY 1`);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) expect(row).toEqual({ table: row.table, enabled: true, forced: true });
  });
});
