/**
 * A security officer revokes an agent's sessions through one server process; another server
 * process, sharing PostgreSQL and Redis and holding the session in its cache, refuses it at once.
 *
 * Each process caches resolved sessions for 10 s when Redis is configured, so only the Redis
 * pub/sub invalidation can make the second process refuse within the one second the issue asks.
 * Runs with TEST_DATABASE_URL and TEST_REDIS_URL (CI sets both; test/global-setup.ts fails a CI
 * run without them).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { killChildren, runCli, startCli } from '../helpers/cli.js';
import { createEmptyPostgresDatabase, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/database.js';
import { oathtool, PASSWORD } from './helpers.js';

const drops: (() => Promise<void>)[] = [];

afterAll(async () => {
  await killChildren();
  for (const drop of drops.splice(0)) await drop();
});

async function call(base: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Accepts an invitation, signs in with the password, enrolls TOTP (oathtool): a full session. */
async function join(base: string, invitation: string, email: string): Promise<string> {
  expect((await call(base, 'POST', '/v1/invitations/accept', { body: { token: invitation, displayName: email.split('@')[0], password: PASSWORD } })).status).toBe(201);
  const first = await call(base, 'POST', '/v1/auth/sign-in', { body: { tenant: 'revoking', email, password: PASSWORD, kind: 'bearer' } });
  expect(first.status).toBe(200);
  const token = first.body.token as string;
  const start = await call(base, 'POST', '/v1/auth/totp/enrollment', { token });
  const secret = start.body.secret as string;
  const done = await call(base, 'POST', '/v1/auth/totp/enrollment/confirm', { token, body: { code: oathtool(secret, new Date()) } });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return done.body.token as string;
}

describe.runIf(TEST_DATABASE_URL !== undefined && TEST_REDIS_URL !== undefined)('revocation across server processes (PostgreSQL + Redis)', { timeout: 120_000 }, () => {
  it('a revocation made through one process is refused by the other at once', async () => {
    const { url, drop } = await createEmptyPostgresDatabase();
    drops.push(drop);
    const env = { DATABASE_URL: url, REDIS_URL: TEST_REDIS_URL ?? '', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: `1:${randomBytes(32).toString('base64')}`, PORT: '0', CUSTODIA_JOB_POLL_INTERVAL_MS: '0' };
    const init = await runCli(['init', '--slug', 'revoking', '--name', 'Revoking', '--admin-email', 'officer@revoking.test', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const adminInvitation = (JSON.parse(init.stdout) as { invitations: { token: string }[] }).invitations[0]?.token as string;

    const first = startCli(['serve'], env);
    const second = startCli(['serve'], env);
    const [, a = ''] = await first.waitForStdout(/is running at (http:\/\/\S+)/);
    const [, b = ''] = await second.waitForStdout(/is running at (http:\/\/\S+)/);
    expect(a).not.toBe(b);

    const officer = await join(a, adminInvitation, 'officer@revoking.test');
    const invited = await call(a, 'POST', '/v1/agents/invitations', { token: officer, body: { email: 'agent@revoking.test', role: 'agent' } });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    const agent = await join(a, (invited.body.url as string).split('#')[1] as string, 'agent@revoking.test');

    // The second process resolves (and caches) the agent's session.
    const before = await call(b, 'GET', '/v1/auth/session', { token: agent });
    expect(before.status).toBe(200);
    const agentId = before.body.agentId as string;

    const revoked = await call(a, 'POST', `/v1/agents/${agentId}/sessions/revoke`, { token: officer });
    expect(revoked).toEqual({ status: 200, body: { revoked: 1 } });

    // Pub/sub delivery is asynchronous: poll the second process, for at most one second.
    const deadline = Date.now() + 1_000;
    let status = 0;
    do {
      status = (await call(b, 'GET', '/v1/auth/session', { token: agent })).status;
    } while (status === 200 && Date.now() < deadline);
    expect(status).toBe(401);
    // The officer's own session is untouched on both processes.
    expect((await call(b, 'GET', '/v1/auth/session', { token: officer })).status).toBe(200);
  });
});
