/**
 * The `custodia` command as a user runs it: the real bin/custodia.js in a child process with a
 * clean environment, asserting exit codes, stdout and stderr.
 *
 * Commands that work on data (init, migrate, demo) run on the backend of this run: PGlite in a
 * fresh data directory, or a fresh PostgreSQL database when TEST_DATABASE_URL is set. Fresh PGlite
 * directories are copies of one empty cluster made by `custodia` itself in beforeAll (initdb takes
 * seconds; a copy takes milliseconds), with no migration applied; making it is itself the test that
 * a command starts on a directory that does not exist yet. The data-directory tests (lock,
 * `serve --demo` twice) are PGlite by nature and always run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backend, createEmptyPostgresDatabase } from './helpers/database.js';
import { type CliProcess, copyDataDir, killChildren, makeTempDir, removeTempDirs, runCli, startCli } from './helpers/cli.js';

const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
const migrationCount = readdirSync(path.resolve(import.meta.dirname, '../src/db/migrations')).filter((f) => f.endsWith('.sql')).length;

const TOKEN = /cpa_[A-Za-z0-9_-]{43}/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let template: string;
const drops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // `migrate --status` opens the database without migrating: an empty, initialised cluster.
  const dir = path.join(makeTempDir(), 'data');
  const made = await runCli(['migrate', '--status', '--json'], { CUSTODIA_DATA_DIR: dir });
  expect(made.code, made.stderr).toBe(0);
  expect(JSON.parse(made.stdout)).toMatchObject({ current: 0 });
  template = dir;
}, 120_000);

afterEach(async () => {
  await killChildren();
});

afterAll(async () => {
  await killChildren();
  for (const drop of drops.splice(0)) await drop();
  removeTempDirs();
});

/** Environment for a command on a fresh, empty database of this run's backend. */
async function freshDatabase(): Promise<Record<string, string>> {
  if (backend === 'postgres') {
    const fresh = await createEmptyPostgresDatabase();
    drops.push(fresh.drop);
    return { DATABASE_URL: fresh.url, CUSTODIA_DATA_DIR: path.join(makeTempDir(), 'unused') };
  }
  return { CUSTODIA_DATA_DIR: copyDataDir(template) };
}

/** Every file and directory under `dir` (not `dir` itself). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(entry.parentPath, entry.name);
    return entry.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

function json(stdout: string): Record<string, unknown> {
  // The whole of stdout must be one JSON document: scripts pipe it straight into a parser.
  return JSON.parse(stdout) as Record<string, unknown>;
}

function stderrJson(stderr: string): { error: { code: string; detail?: string; problems?: { setting: string }[] } } {
  return JSON.parse(stderr) as { error: { code: string; detail?: string; problems?: { setting: string }[] } };
}

async function stop(server: CliProcess): Promise<void> {
  server.child.kill('SIGTERM');
  const exit = await server.waitForExit();
  expect(exit, server.describe()).toEqual({ code: 0, signal: null });
}

describe('version and help', () => {
  it('prints the version as text and as JSON', async () => {
    const [text, asJson, flag] = await Promise.all([runCli(['version']), runCli(['version', '--json']), runCli(['--version'])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`custodia ${pkg.version} (schema ${migrationCount}, node ${process.versions.node})\n`);
    expect(asJson.code).toBe(0);
    expect(json(asJson.stdout)).toEqual({ version: pkg.version, schemaVersion: migrationCount, node: process.versions.node });
    expect(flag.code).toBe(0);
    expect(flag.stdout.trim()).toBe(pkg.version);
  });

  const commands: Record<string, string[]> = {
    serve: ['--demo', '--port <port>', '--host <host>'],
    init: ['--slug <slug>', '--name <name>', '--admin-email <email>', '--json'],
    migrate: ['--status', '--json'],
    demo: ['--customers <n>', '--reissue', '--json'],
    version: ['--json'],
    'platform-token': ['create', 'list', 'revoke'],
    'platform-token create': ['--name <name>', '--expires-days <n>', '--json'],
  };

  it('has --help on every command, naming its options, and lists them all at the top level', async () => {
    const names = Object.keys(commands);
    const [top, ...results] = await Promise.all([runCli(['--help']), ...names.map((command) => runCli([...command.split(' '), '--help']))]);
    expect(top?.code).toBe(0);
    for (const command of names.filter((n) => !n.includes(' '))) expect(top?.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    for (const [index, command] of names.entries()) {
      const result = results[index];
      expect(result?.code, `${command} --help`).toBe(0);
      expect(result?.stdout).toContain(`Usage: custodia ${command}`);
      for (const option of commands[command] ?? []) expect(result?.stdout, `${command} --help`).toContain(option);
      // Offline commands say that the embedded database needs the server stopped.
      if (['init', 'migrate', 'demo', 'platform-token create'].includes(command)) expect(result?.stdout, `${command} --help`).toContain('stop the server first');
    }
  });
});

describe('usage errors', () => {
  it('exits 2 on an unknown command, an unknown option and a missing required option', async () => {
    const [command, unknown, missing] = await Promise.all([runCli(['frobnicate']), runCli(['serve', '--bogus']), runCli(['init', '--slug', 'acme'])]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'frobnicate'");
    expect(command.stdout).toBe('');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--name <name>');
  });
});

describe('invalid configuration', () => {
  it('exits 2 naming the bad setting, before touching the data directory', async () => {
    const dir = makeTempDir();
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'custodia.json');
    writeFileSync(file, JSON.stringify({ port: 9000, prot: 9001 }));
    const [port, typo, level, asJson, fromFile, secret] = await Promise.all([
      runCli(['serve'], { PORT: 'abc', CUSTODIA_DATA_DIR: dataDir }),
      runCli(['migrate'], { CUSTODIA_TYPO: '1', CUSTODIA_DATA_DIR: dataDir }),
      runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'a@b.test'], { LOG_LEVEL: 'loud', CUSTODIA_DATA_DIR: dataDir }),
      runCli(['migrate', '--status', '--json'], { PORT: 'abc', CUSTODIA_DATA_DIR: dataDir }),
      runCli(['--config', file, 'migrate', '--status'], { CUSTODIA_DATA_DIR: dataDir }),
      runCli(['serve'], { DATABASE_URL: 'mysql://app:Pa55w0rd-do-not-print@127.0.0.1/x', CUSTODIA_DATA_DIR: dataDir }),
    ]);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/invalid configuration:\n\s+- PORT: /);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('- CUSTODIA_TYPO: unknown setting');
    expect(level.code).toBe(2);
    expect(level.stderr).toContain('- LOG_LEVEL: ');
    // With --json the problems come as one JSON document.
    expect(asJson.code).toBe(2);
    const error = stderrJson(asJson.stderr).error;
    expect(error.code).toBe('config.invalid');
    expect(error.problems?.map((p) => p.setting)).toEqual(['PORT']);
    // An unknown key in the --config file is named file:key.
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(`${file}:prot: unknown setting`);
    // A bad DATABASE_URL is named, its password is not printed.
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('- DATABASE_URL: ');
    expect(secret.stderr).not.toContain('Pa55w0rd');
    for (const result of [port, typo, level, fromFile, secret]) expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('NODE_ENV=production', () => {
  const keys = { CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: '1:c2VjcmV0LWtleS1tYXRlcmlhbA' };

  it('refuses to serve without key material, and refuses the demo seed even with it, before opening the database', async () => {
    const dataDir = path.join(makeTempDir(), 'data');
    const [none, noKeys, serve, demo] = await Promise.all([
      runCli(['serve'], { NODE_ENV: 'production', CUSTODIA_DATA_DIR: dataDir }),
      runCli(['serve'], { NODE_ENV: 'production', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_DATA_DIR: dataDir }),
      runCli(['serve', '--demo'], { NODE_ENV: 'production', ...keys, CUSTODIA_DATA_DIR: dataDir }),
      runCli(['demo', '--json'], { NODE_ENV: 'production', ...keys, CUSTODIA_DATA_DIR: dataDir }),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('CUSTODIA_KEY_PROVIDER: must be set explicitly in production');
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain('CUSTODIA_KEYS: must be set');
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('(demo.refused_in_production)');
    expect(serve.stdout).not.toContain('is running');
    expect(demo.code).toBe(2);
    expect(stderrJson(demo.stderr).error.code).toBe('demo.refused_in_production');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe(`init on ${backend}`, () => {
  it('creates a tenant with a one-time invitation, and a platform token only the first time', async () => {
    const env = await freshDatabase();
    const first = await runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'A@B.test', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const created = json(first.stdout) as {
      tenant: { id: string; slug: string; name: string };
      invitations: { email: string; role: string; url: string; token: string }[];
      platformToken?: string;
    };
    expect(created.tenant).toMatchObject({ slug: 'acme', name: 'Acme' });
    expect(created.tenant.id).toMatch(UUID);
    expect(created.invitations).toHaveLength(1);
    const [invitation] = created.invitations;
    expect(invitation).toMatchObject({ email: 'a@b.test', role: 'tenant_admin' });
    expect(invitation?.url).toContain('/invite#cinv_');
    expect(invitation?.url.endsWith(`#${invitation.token}`)).toBe(true);
    expect(created.platformToken).toMatch(new RegExp(`^${TOKEN.source}$`));

    // The second time (text output this time): the tenant and its invitation, no platform token.
    const second = await runCli(['init', '--slug', 'beta', '--name', 'Beta', '--admin-email', 'admin@beta.test'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^Tenant "beta" \(Beta\) created: [0-9a-f-]{36}$/m);
    expect(second.stdout).toMatch(/admin@beta\.test\s+tenant_admin\s+http:\/\/127\.0\.0\.1:8080\/invite#cinv_[A-Za-z0-9_-]{64}$/m);
    expect(second.stdout).not.toContain('Platform administrator token');
    expect(second.stdout).not.toMatch(/cpa_/);

    const duplicate = await runCli(['init', '--slug', 'acme', '--name', 'Acme again', '--admin-email', 'a@b.test'], env);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('(tenants.slug_taken)');
  }, 120_000);

  it('rejects bad slugs and a bad email with exit 2 and a message naming the option', async () => {
    const dataDir = path.join(makeTempDir(), 'data');
    const slugs: [string, string][] = [
      ['Bad_Slug', '--slug: lowercase letters, digits and inner hyphens, 2-40 characters'],
      ['admin', '--slug: is reserved'],
      ['a--b', '--slug: must not contain consecutive hyphens'],
    ];
    const env = { CUSTODIA_DATA_DIR: dataDir };
    const [email, ...results] = await Promise.all([
      runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'not-an-email', '--json'], env),
      ...slugs.map(([slug]) => runCli(['init', '--slug', slug, '--name', 'X', '--admin-email', 'a@b.test'], env)),
    ]);
    for (const [index, [slug, message]] of slugs.entries()) {
      const result = results[index];
      expect(result?.code, slug).toBe(2);
      expect(result?.stderr).toBe(`custodia: ${message} (request.invalid)\n`);
    }
    expect(email?.code).toBe(2);
    const error = stderrJson(email?.stderr ?? '').error;
    expect(error.code).toBe('request.invalid');
    expect(error.detail).toMatch(/^--admin-email: /);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe(`platform-token on ${backend}`, () => {
  it('replaces a lost token, lists tokens without secrets, and revokes one for good', async () => {
    const env = await freshDatabase();
    const created = await runCli(['platform-token', 'create', '--name', 'ops laptop', '--expires-days', '30', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const issued = json(created.stdout) as { id: string; name: string; token: string; expiresAt: string };
    expect(issued.id).toMatch(UUID);
    expect(issued.token).toMatch(new RegExp(`^${TOKEN.source}$`));
    expect(issued.name).toBe('ops laptop');
    expect(Date.parse(issued.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const listed = await runCli(['platform-token', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(issued.token);
    const tokens = (json(listed.stdout) as { tokens: { id: string; name: string; revokedAt: string | null }[] }).tokens;
    expect(tokens.map((t) => [t.id, t.name, t.revokedAt])).toEqual([[issued.id, 'ops laptop', null]]);

    const revoked = await runCli(['platform-token', 'revoke', issued.id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    const again = await runCli(['platform-token', 'revoke', issued.id, '--json'], env);
    expect(again.code).toBe(2);
    expect(stderrJson(again.stderr).error.code).toBe('request.not_found');
    const after = json((await runCli(['platform-token', 'list', '--json'], env)).stdout) as { tokens: { revokedAt: string | null }[] };
    expect(after.tokens[0]?.revokedAt).not.toBeNull();

    const bad = await runCli(['platform-token', 'create', '--name', 'x', '--expires-days', '0'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expires-days');
    const notAnId = await runCli(['platform-token', 'revoke', 'nope'], env);
    expect(notAnId.code).toBe(2);
  }, 120_000);
});

describe(`keys on ${backend}`, () => {
  it('rotates a tenant KEK, refuses to retire the current version, retires the old one', async () => {
    const env = await freshDatabase();
    expect((await runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'a@b.test'], env)).code).toBe(0);
    const rotated = await runCli(['keys', 'rotate', '--tenant', 'acme', '--json'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const body = json(rotated.stdout) as { version: number; versions: { version: number; state: string }[]; jobs: { state: string }[] };
    expect(body.version).toBe(2);
    expect(body.versions.map((v) => [v.version, v.state])).toEqual([[1, 'active'], [2, 'active']]);
    expect(body.jobs.map((j) => j.state)).toEqual(['done']);
    const current = await runCli(['keys', 'retire', '--tenant', 'acme', '--kek-version', '2', '--json'], env);
    expect(current.code).toBe(2);
    expect(stderrJson(current.stderr).error.code).toBe('vault.key_in_use');
    expect((await runCli(['keys', 'retire', '--tenant', 'acme', '--kek-version', '1'], env)).code).toBe(0);
    const status = json((await runCli(['keys', 'status', '--tenant', 'acme', '--json'], env)).stdout) as { versions: { version: number; state: string }[] };
    expect(status.versions.map((v) => [v.version, v.state])).toEqual([[1, 'retired'], [2, 'active']]);
    const unknown = await runCli(['keys', 'status', '--tenant', 'nobody', '--json'], env);
    expect(unknown.code).toBe(2);
    expect(stderrJson(unknown.stderr).error.code).toBe('tenants.not_found');
  }, 120_000);
});

describe(`migrate on ${backend}`, () => {
  it('reports pending migrations, applies them, then reports none', async () => {
    const env = await freshDatabase();
    const pending = Array.from({ length: migrationCount }, (_, i) => ({ version: i + 1, name: expect.any(String) }));

    const before = await runCli(['migrate', '--status', '--json'], env);
    expect(before.code, before.stderr).toBe(0);
    expect(json(before.stdout)).toEqual({ current: 0, latest: migrationCount, pending });

    const applied = await runCli(['migrate', '--json'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(json(applied.stdout)).toEqual({ current: migrationCount, latest: migrationCount, pending: [] });

    const after = await runCli(['migrate', '--status'], env);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe(`schema version ${migrationCount} of ${migrationCount}\nup to date\n`);
  }, 120_000);
});

describe(`demo on ${backend}`, () => {
  it('creates the demo once, does not reseed, and reissues invitations on request', async () => {
    const env = await freshDatabase();
    const first = await runCli(['demo', '--customers', '25', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const created = json(first.stdout) as { created: boolean; tenantId: string; customers: number; invitations: { role: string; url: string; token: string }[] };
    expect(created).toMatchObject({ created: true, customers: 25 });
    expect(created.invitations.map((i) => i.role).sort()).toEqual(['agent', 'agent', 'auditor', 'security_officer', 'supervisor', 'tenant_admin']);
    for (const invitation of created.invitations) expect(invitation.url).toContain(`/invite#${invitation.token}`);
    expect(new Set(created.invitations.map((i) => i.token)).size).toBe(6);

    // Without --customers the default is 200: an existing demo must not be topped up to it.
    const second = await runCli(['demo', '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(json(second.stdout)).toEqual({ created: false, tenantId: created.tenantId, customers: 25, invitations: [] });

    const reissued = await runCli(['demo', '--reissue', '--json'], env);
    expect(reissued.code, reissued.stderr).toBe(0);
    const fresh = json(reissued.stdout) as typeof created;
    expect(fresh).toMatchObject({ created: false, tenantId: created.tenantId, customers: 25 });
    expect(fresh.invitations).toHaveLength(6);
    const oldTokens = new Set(created.invitations.map((i) => i.token));
    for (const invitation of fresh.invitations) expect(oldTokens.has(invitation.token)).toBe(false);
  }, 120_000);

  it('rejects a bad --customers with exit 2', async () => {
    const dataDir = path.join(makeTempDir(), 'data');
    const result = await runCli(['demo', '--customers', 'many'], { CUSTODIA_DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--customers: must be an integer');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('the embedded data directory', () => {
  it('cannot be opened by a second process while a server runs on it', async () => {
    const dataDir = copyDataDir(template);
    const server = startCli(['serve'], { CUSTODIA_DATA_DIR: dataDir, PORT: '0' });
    const [, url] = await server.waitForStdout(/is running at (http:\/\/\S+)/);

    const second = await runCli(['migrate', '--status', '--json'], { CUSTODIA_DATA_DIR: dataDir });
    expect(second.code).toBe(1);
    const error = stderrJson(second.stderr).error;
    expect(error.code).toBe('db.data_dir_locked');
    expect(error.detail).toContain(`in use by process ${server.pid}`);

    // The refused process left the running server and its lock alone.
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'custodia.lock'), 'utf8'))).toMatchObject({ pid: server.pid });
    await stop(server);
    expect(existsSync(path.join(dataDir, 'custodia.lock'))).toBe(false);
  }, 120_000);

  it('takes over a stale lock whose process is gone', async () => {
    const dataDir = copyDataDir(template);
    const gone = spawnSync(process.execPath, ['-e', '']); // a pid that no longer exists
    expect(gone.status).toBe(0);
    writeFileSync(path.join(dataDir, 'custodia.lock'), JSON.stringify({ pid: gone.pid, host: hostname() }));

    const result = await runCli(['migrate', '--status', '--json'], { CUSTODIA_DATA_DIR: dataDir });
    expect(result.code, result.stderr).toBe(0);
    expect(json(result.stdout)).toMatchObject({ current: 0, latest: migrationCount });
    // Neither the lock nor the takeover lock nor a temporary file is left behind.
    expect(readdirSync(dataDir).filter((name) => name.startsWith('custodia.lock'))).toEqual([]);
  }, 120_000);

  it('is private to its user: after a first write nothing under it is readable or writable by others', async () => {
    // PGlite asks for 0644 files and a 0666 WAL; the CLI's umask 077 is what keeps them private.
    const dataDir = path.join(makeTempDir(), 'data');
    const made = await runCli(['init', '--slug', 'acme', '--name', 'Acme', '--admin-email', 'a@b.test', '--json'], { CUSTODIA_DATA_DIR: dataDir });
    expect(made.code, made.stderr).toBe(0);
    const entries = walk(dataDir);
    expect(entries.length).toBeGreaterThan(100);
    expect(entries.some((p) => p.includes('pg_wal'))).toBe(true);
    const exposed = entries.filter((p) => (lstatSync(p).mode & 0o077) !== 0).map((p) => path.relative(dataDir, p));
    expect(exposed).toEqual([]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('closes a data directory that an earlier version left at 0755', async () => {
    const dataDir = copyDataDir(template);
    chmodSync(dataDir, 0o755);
    const result = await runCli(['migrate', '--status', '--json'], { CUSTODIA_DATA_DIR: dataDir });
    expect(result.code, result.stderr).toBe(0);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('does not take over a lock held by a process on another host', async () => {
    const dataDir = copyDataDir(template);
    writeFileSync(path.join(dataDir, 'custodia.lock'), JSON.stringify({ pid: 1, host: `not-${hostname()}` }));
    const result = await runCli(['migrate', '--status', '--json'], { CUSTODIA_DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(stderrJson(result.stderr).error).toMatchObject({ code: 'db.data_dir_locked', detail: expect.stringContaining(`on host not-${hostname()}`) });
    expect(existsSync(path.join(dataDir, 'custodia.lock'))).toBe(true);
  });
});

describe('database unreachable at start', () => {
  it('exits 1 with db.unavailable, no stack trace and no password', async () => {
    const result = await runCli(['serve'], {
      DATABASE_URL: 'postgres://postgres:Pa55w0rd-do-not-print@127.0.0.1:1/x',
      CUSTODIA_DATA_DIR: path.join(makeTempDir(), 'data'),
      PORT: '0',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^custodia: .*\(db\.unavailable\)\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('Pa55w0rd');
    expect(result.stdout).not.toContain('is running');
  });
});

describe('serve --demo on the embedded database', () => {
  it('seeds on the first start only; a second start keeps the data', async () => {
    const dataDir = copyDataDir(template);
    const first = startCli(['serve', '--demo'], { CUSTODIA_DATA_DIR: dataDir, PORT: '0' });
    await first.waitForStdout(/Stop with Ctrl-C/);
    const [, url] = first.stdout.match(/is running at (http:\/\/\S+)/) ?? [];
    expect(first.stdout).toContain('Demo tenant "demo" created with 6 staff invitations and 200 synthetic customers.');
    expect(first.stdout).toContain(`${url}/invite#cinv_`);
    const [token] = first.stdout.match(TOKEN) ?? [];
    expect(token).toBeDefined();
    const listed = await fetch(`${url}/v1/platform/tenants`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { tenants: { slug: string }[] }).tenants.map((t) => t.slug)).toEqual(['demo']);
    await stop(first);

    const second = startCli(['serve', '--demo'], { CUSTODIA_DATA_DIR: dataDir, PORT: '0' });
    await second.waitForStdout(/Stop with Ctrl-C/);
    const [, url2] = second.stdout.match(/is running at (http:\/\/\S+)/) ?? [];
    expect(second.stdout).toContain('Demo tenant "demo" already exists (200 customers); nothing was reseeded.');
    expect(second.stdout).not.toContain('Demo tenant "demo" created');
    expect(second.stdout).not.toMatch(TOKEN);
    expect(second.stdout).not.toContain('/invite#');
    // The platform token of the first start still works: the data was kept, not recreated.
    const again = await fetch(`${url2}/v1/platform/tenants`, { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { tenants: { slug: string }[] }).tenants.map((t) => t.slug)).toEqual(['demo']);
    await stop(second);

    const counted = await runCli(['demo', '--json'], { CUSTODIA_DATA_DIR: dataDir });
    expect(counted.code, counted.stderr).toBe(0);
    expect(json(counted.stdout)).toMatchObject({ created: false, customers: 200, invitations: [] });
  }, 180_000);
});
