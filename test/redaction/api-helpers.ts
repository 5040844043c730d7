/**
 * Shared by the redaction API and ingest suites: a contact center with the people and keys they
 * need, and a scan of every table a tenant can read for values that must never rest in clear.
 */
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/context.js';
import { api, type ContactCenter, contactCenter, expectStatus } from '../interactions/helpers.js';

export interface RedactionCenter extends ContactCenter {
  /** An API key with `redaction:use` only. */
  readonly redactKey: string;
}

export async function redactionCenter(t: TestApp, slug: string): Promise<RedactionCenter> {
  const cc = await contactCenter(t, slug, { ana: 'agent', leo: 'agent', sara: 'supervisor', olga: 'security_officer', aud: 'auditor' }, 1);
  const res = await api(t, 'POST', '/v1/service-accounts/keys', { token: cc.admin.token, payload: { name: 'redactor', scopes: ['redaction:use'] } });
  expectStatus(res, 201);
  return { ...cc, redactKey: String(res.body.key) };
}

/**
 * Every row of every table the application role can read in the tenant's scope, as text, searched
 * for each needle (and for its digits alone, so that a card number stored without its spaces is
 * found too). Returns `table: needle` for each hit.
 */
export async function scanTenant(t: TestApp, tenantId: string, needles: readonly string[]): Promise<string[]> {
  return t.ctx.db.withTenant(tenantId, async (tx) => {
    const tables = await sql<{ name: string }>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and has_table_privilege(current_user, c.oid, 'SELECT')
      order by 1`.execute(tx);
    const hits: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(tx);
      const text = rows.rows.map((r) => r.row).join('\n');
      const digitsOnly = text.replace(/[^0-9]/g, '');
      for (const needle of needles) {
        const digits = needle.replace(/[^0-9]/g, '');
        if (text.includes(needle) || (digits.length >= 8 && digitsOnly.includes(digits) && new RegExp(digits.split('').join('[^0-9]{0,3}')).test(text))) hits.push(`${name}: ${needle}`);
      }
    }
    return hits;
  });
}

/** The tenant's ledger entries with an action starting with `prefix`, sequenced first. */
export async function ledgerOf(t: TestApp, tenantId: string, prefix: string): Promise<{ action: string; entry: Record<string, unknown>; raw: string }[]> {
  await t.ctx.ledger.sequenceAll(tenantId);
  const rows = await t.ctx.db.withTenant(tenantId, (tx) => tx.selectFrom('ledger_entries').select(['action', 'entry']).where('action', 'like', `${prefix}%`).orderBy('seq').execute());
  return rows.map((r) => ({ action: r.action, entry: JSON.parse(r.entry) as Record<string, unknown>, raw: r.entry }));
}

export function expectNoLeak(haystack: string, needles: readonly string[]): void {
  for (const needle of needles) {
    expect(haystack.includes(needle), `found ${needle.slice(0, 4)}… in clear`).toBe(false);
    const digits = needle.replace(/[^0-9]/g, '');
    if (digits.length >= 8) expect(new RegExp(digits.split('').join('[^0-9]{0,3}')).test(haystack), 'digits found in clear').toBe(false);
  }
}
