/**
 * A contact center for customer tests: its tenant administrator (signed in with TOTP, through
 * the real API), a supervisor and an agent, and API keys with the customer scopes.
 */
import { expect } from 'vitest';
import type { TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll } from '../agents/helpers.js';

export interface CustomerTenant {
  readonly slug: string;
  readonly tenantId: string;
  /** Tenant administrator's bearer token. */
  readonly admin: string;
  readonly adminId: string;
  /** API keys: customers:write, customers:read, and one with neither. */
  readonly writeKey: string;
  readonly writeKeyId: string;
  readonly readKey: string;
  readonly otherKey: string;
}

export async function apiKey(t: TestApp, admin: string, scopes: string[]): Promise<{ id: string; key: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/service-accounts/keys', headers: bearerOf(admin), payload: { name: scopes.join(' '), scopes } });
  expect(res.statusCode, res.body).toBe(201);
  return JSON.parse(res.body) as { id: string; key: string };
}

export async function customerTenant(t: TestApp, slug: string): Promise<CustomerTenant> {
  const email = `admin@${slug}.example`;
  const created = await createTenant(t, slug, email);
  await accept(t, created.invitation);
  const admin = await enroll(t, slug, email);
  const write = await apiKey(t, admin.token, ['customers:write']);
  const read = await apiKey(t, admin.token, ['customers:read']);
  const other = await apiKey(t, admin.token, ['interactions:write']);
  return { slug, tenantId: created.tenantId, admin: admin.token, adminId: admin.agentId, writeKey: write.key, writeKeyId: write.id, readKey: read.key, otherKey: other.key };
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export async function call(t: TestApp, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, token: string, payload?: unknown): Promise<Answer> {
  const res = await t.app.inject({ method, url, headers: bearerOf(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Record<string, unknown>) : {}, text: res.body };
}

/** Sequenced ledger entries of the tenant, parsed. */
export async function ledgerEntries(t: TestApp, tenantId: string): Promise<{ action: string; entry: { actor: { type: string; id: string }; targets: Record<string, string>; details: Record<string, unknown> }; text: string }[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).orderBy('seq').execute());
  return rows.map((r) => ({ action: r.action, entry: JSON.parse(r.entry) as never, text: r.entry }));
}

/** Every row of the customer tables and the vault's tables of the tenant, as one JSON text. */
export async function dumpCustomerTables(t: TestApp, tenantId: string): Promise<string> {
  return t.ctx.db.withTenant(tenantId, async (tx) => {
    const tables = await Promise.all([
      tx.selectFrom('customers').selectAll().execute(),
      tx.selectFrom('customer_field_values').selectAll().execute(),
      tx.selectFrom('customer_field_history').selectAll().execute(),
      tx.selectFrom('customer_field_definitions').selectAll().execute(),
      tx.selectFrom('blind_indexes').selectAll().execute(),
      tx.selectFrom('card_tokens').selectAll().execute(),
      tx.selectFrom('ledger_queue').selectAll().execute(),
      tx.selectFrom('ledger_entries').selectAll().execute(),
    ]);
    return JSON.stringify(tables, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value));
  });
}
