/**
 * Signing agents in over the real API, computing TOTP codes with Debian's `oathtool` (the
 * reference client the issue names), never with our own code.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { issuePlatformToken } from '../../src/tenants/index.js';
import type { TestApp } from '../helpers/context.js';

export const PASSWORD = 'correct horse battery staple 42';

/** The TOTP code oathtool computes for `secret` (base32) at `at`. */
export function oathtool(secret: string, at: Date): string {
  const when = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-b', secret, '--now', when], { encoding: 'utf8' }).trim();
}

export interface SignedIn {
  readonly token: string;
  readonly agentId: string;
  readonly secret: string;
  readonly email: string;
}

export function bearerOf(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

export async function createTenant(t: TestApp, slug: string, adminEmail: string): Promise<{ tenantId: string; invitation: string }> {
  const platform = await issuePlatformToken(t.ctx.db, { name: `agents-${slug}`, now: t.clock.now() });
  const res = await t.app.inject({ method: 'POST', url: '/v1/platform/tenants', headers: bearerOf(platform.token), payload: { slug, name: `${slug} contact center`, adminEmail } });
  expect(res.statusCode, res.body).toBe(201);
  const body = JSON.parse(res.body) as { tenant: { id: string }; invitation: { token: string } };
  return { tenantId: body.tenant.id, invitation: body.invitation.token };
}

export async function accept(t: TestApp, token: string, displayName = 'Ana Operadora', password = PASSWORD): Promise<{ agentId: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token, displayName, password } });
  expect(res.statusCode, res.body).toBe(201);
  return JSON.parse(res.body) as { agentId: string };
}

export async function signInPassword(t: TestApp, tenant: string, email: string, password = PASSWORD): Promise<{ token: string; next: string; factors: string[] }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { tenant, email, password, kind: 'bearer' } });
  expect(res.statusCode, res.body).toBe(200);
  return JSON.parse(res.body) as { token: string; next: string; factors: string[] };
}

/** Signs a new agent in for the first time: password, TOTP enrollment confirmed with oathtool. */
export async function enroll(t: TestApp, tenant: string, email: string): Promise<SignedIn & { recoveryCodes: string[] }> {
  const first = await signInPassword(t, tenant, email);
  expect(first.next).toBe('enroll');
  const start = await t.app.inject({ method: 'POST', url: '/v1/auth/totp/enrollment', headers: bearerOf(first.token) });
  expect(start.statusCode, start.body).toBe(200);
  const { secret } = JSON.parse(start.body) as { secret: string };
  const confirm = await t.app.inject({ method: 'POST', url: '/v1/auth/totp/enrollment/confirm', headers: bearerOf(first.token), payload: { code: oathtool(secret, t.clock.now()) } });
  expect(confirm.statusCode, confirm.body).toBe(200);
  const body = JSON.parse(confirm.body) as { token: string; recoveryCodes: string[] };
  const session = await t.app.inject({ method: 'GET', url: '/v1/auth/session', headers: bearerOf(body.token) });
  const agentId = (JSON.parse(session.body) as { agentId: string }).agentId;
  return { token: body.token, agentId, secret, email, recoveryCodes: body.recoveryCodes };
}

/** A later sign-in with password and TOTP (the clock is moved to the next step first). */
export async function signIn(t: TestApp, tenant: string, email: string, secret: string): Promise<string> {
  t.clock.advance(30_000);
  const first = await signInPassword(t, tenant, email);
  expect(first.next).toBe('second_factor');
  const res = await t.app.inject({ method: 'POST', url: '/v1/auth/second-factor', headers: bearerOf(first.token), payload: { method: 'totp', code: oathtool(secret, t.clock.now()) } });
  expect(res.statusCode, res.body).toBe(200);
  return (JSON.parse(res.body) as { token: string }).token;
}
