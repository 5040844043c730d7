/**
 * A contact center for the interaction suites, built over the real API: a tenant administrator,
 * handlers (agents, a senior agent, a supervisor), people who do not handle interactions, API
 * keys with and without `interactions:write`, and customers.
 */
import { expect } from 'vitest';
import type { Role } from '../../src/agents/roles.js';
import { countCustomers, insertCustomerNumbers } from '../../src/customers/index.js';
import type { TestApp } from '../helpers/context.js';
import { accept, bearerOf, createTenant, enroll, type SignedIn } from '../agents/helpers.js';

export type Body = Record<string, unknown>;

export interface Reply {
  readonly status: number;
  readonly body: Body;
  readonly headers: Readonly<Record<string, unknown>>;
}

export async function api(t: TestApp, method: 'GET' | 'POST' | 'PUT', url: string, options: { token?: string; payload?: object } = {}): Promise<Reply> {
  const res = await t.app.inject({ method, url, headers: options.token === undefined ? {} : bearerOf(options.token), ...(options.payload === undefined ? {} : { payload: options.payload }) });
  return { status: res.statusCode, body: res.body.length > 0 ? (JSON.parse(res.body) as Body) : {}, headers: res.headers };
}

export function expectStatus(res: Reply, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

export function expectProblem(res: Reply, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.code).toBe(code);
}

/** A problem without its request id: what must be identical between two answers. */
export function withoutRequestId(res: Reply): { status: number; body: Body } {
  const { requestId, ...rest } = res.body;
  expect(typeof requestId).toBe('string');
  return { status: res.status, body: rest };
}

export interface ContactCenter {
  readonly slug: string;
  readonly tenantId: string;
  readonly admin: SignedIn;
  readonly people: Readonly<Record<string, SignedIn>>;
  /** An API key with `interactions:write` (the telephony platform). */
  readonly platformKey: string;
  /** An API key without it. */
  readonly readerKey: string;
  readonly customers: readonly string[];
}

/** A contact center with members `members` (name -> role) and `customerCount` customers. */
export async function contactCenter(t: TestApp, slug: string, members: Readonly<Record<string, Role>>, customerCount = 3): Promise<ContactCenter> {
  const created = await createTenant(t, slug, `admin@${slug}.example`);
  await accept(t, created.invitation, 'Marta Admin');
  const admin = await enroll(t, slug, `admin@${slug}.example`);
  const people: Record<string, SignedIn> = {};
  for (const [name, role] of Object.entries(members)) {
    const email = `${name}@${slug}.example`;
    const invited = await api(t, 'POST', '/v1/agents/invitations', { token: admin.token, payload: { email, role } });
    expectStatus(invited, 201);
    const url = String(invited.body.url);
    await accept(t, url.slice(url.indexOf('#') + 1), `Pablo ${name}`);
    people[name] = await enroll(t, slug, email);
  }
  const key = async (scopes: string[]) => {
    const res = await api(t, 'POST', '/v1/service-accounts/keys', { token: admin.token, payload: { name: scopes.join(' '), scopes } });
    expectStatus(res, 201);
    return String(res.body.key);
  };
  const platformKey = await key(['interactions:write']);
  const readerKey = await key(['customers:read', 'ledger:read']);
  const numbers = Array.from({ length: customerCount }, (_, i) => `${slug.toUpperCase()}-C${i + 1}`);
  const customers = await t.ctx.db.withTenant(created.tenantId, async (tx) => {
    await insertCustomerNumbers(tx, created.tenantId, numbers, t.clock.now());
    expect(await countCustomers(tx)).toBe(customerCount);
    const rows = await tx.selectFrom('customers').select(['id', 'customer_number']).execute();
    return numbers.map((n) => rows.find((r) => r.customer_number === n)?.id ?? '');
  });
  return { slug, tenantId: created.tenantId, admin, people, platformKey, readerKey, customers };
}

export function person(cc: ContactCenter, name: string): SignedIn {
  const p = cc.people[name];
  if (p === undefined) throw new Error(`no member ${name}`);
  return p;
}

export function customer(cc: ContactCenter, index: number): string {
  const c = cc.customers[index];
  if (c === undefined || c === '') throw new Error(`no customer ${index}`);
  return c;
}

export interface LedgerRow {
  readonly action: string;
  readonly entry: { actor: { type: string; id: string }; targets: Record<string, string>; purpose?: string; details: Record<string, unknown> };
  readonly raw: string;
}

/** The tenant's ledger entries with `interaction.` actions, sequenced first. */
export async function interactionLedger(t: TestApp, tenantId: string): Promise<LedgerRow[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).where('action', 'like', 'interaction.%').orderBy('seq').execute());
  return rows.map((r) => ({ action: r.action, entry: JSON.parse(r.entry) as LedgerRow['entry'], raw: r.entry }));
}

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
