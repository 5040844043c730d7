/**
 * A tenant's access policy as stored: every version kept (`access_policies`), the highest in
 * force, the built-in default until a tenant saves one. Parsing a policy checks every rule's
 * reachability, which can take a noticeable fraction of a second for a large one, so parsed
 * policies are cached by tenant and version: a version never changes, so the cache is never stale
 * for a version, and a new version is a new key.
 */
import { sql } from 'kysely';
import type { Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import { sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import { AccessErrors } from './errors.js';
import { DEFAULT_POLICY, parsePolicy, type Policy, type PolicyWarning } from './policy/index.js';

const MAX_CACHED = 1_000;
const cache = new Map<string, Policy>();

/**
 * The policy in force for the tenant, and its version. Version 1 is Custodia's built-in default
 * (the document's own version), in force until a tenant saves one; a tenant's versions are 2 and up.
 */
export async function activePolicy(tx: Tx, tenantId: string): Promise<{ version: number; policy: Policy }> {
  const row = await tx.selectFrom('access_policies').select(['version', 'document']).where('tenant_id', '=', tenantId).orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (row === undefined) return { version: DEFAULT_POLICY.version, policy: DEFAULT_POLICY };
  return { version: row.version, policy: cachedPolicy(tenantId, row.version) ?? parseStored(tenantId, row.version, row.document) };
}

/**
 * The policy of a version the caller read as the one in force (null: the tenant never saved
 * one), from the cache when it is there: for a caller that folds the version read into a
 * statement of its own, so a request pays for the document only the first time.
 */
export async function policyOfVersion(tx: Tx, tenantId: string, version: number | null): Promise<{ version: number; policy: Policy }> {
  if (version === null) return { version: DEFAULT_POLICY.version, policy: DEFAULT_POLICY };
  const cached = cachedPolicy(tenantId, version);
  if (cached !== undefined) return { version, policy: cached };
  const row = await tx.selectFrom('access_policies').select('document').where('tenant_id', '=', tenantId).where('version', '=', version).executeTakeFirstOrThrow();
  return { version, policy: parseStored(tenantId, version, row.document) };
}

function cachedPolicy(tenantId: string, version: number): Policy | undefined {
  return cache.get(`${tenantId}:${version}`);
}

function parseStored(tenantId: string, version: number, document: unknown): Policy {
  const parsed = parsePolicy(document);
  // A stored version that no longer parses (written by a newer Custodia, or by hand) decides
  // nothing: everything is hidden rather than decided by something unvalidated.
  if (!parsed.ok) throw new AppError(AccessErrors.invalid_policy, { detail: `The stored access policy version ${version} is not valid; save a valid one`, details: { version } });
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(`${tenantId}:${version}`, parsed.policy);
  return parsed.policy;
}

/**
 * Saves a new version of the tenant's policy (the document's `version` is set to the next
 * number), recorded in the ledger with its digest in the same transaction. Invalid documents are
 * refused with every error and its path.
 */
export async function savePolicy(tx: Tx, input: { tenantId: string; rules: unknown; by: string; now: Date }): Promise<{ version: number; warnings: readonly PolicyWarning[] }> {
  // Versions are numbered in turn: two saves at once wait for each other (rows of this table are
  // never updated, so there is no row to lock; the application role cannot lock the table).
  await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.access_policy.${input.tenantId}`}, 0))`.execute(tx);
  const latest = await tx.selectFrom('access_policies').select('version').where('tenant_id', '=', input.tenantId).orderBy('version', 'desc').limit(1).executeTakeFirst();
  const version = (latest?.version ?? DEFAULT_POLICY.version) + 1;
  const parsed = parsePolicy({ version, rules: input.rules });
  if (!parsed.ok) {
    throw new AppError(AccessErrors.invalid_policy, { details: { errors: parsed.errors.slice(0, 50).map((e) => ({ code: e.code, path: e.pointer, message: e.message })) } });
  }
  const canonical = JSON.stringify(parsed.policy);
  const digest = sha256(canonical);
  await tx.insertInto('access_policies').values({ tenant_id: input.tenantId, version, document: canonical, digest, created_at: input.now, created_by: input.by }).execute();
  await recordEntry(
    tx,
    input.tenantId,
    // The digest as a target: hex ids are what targets hold (a hex string in details could pass for a number).
    { actor: { type: 'agent', id: input.by }, action: 'access.policy.update', targets: { policyDigest: digest.toString('hex') }, details: { version, rules: parsed.policy.rules.length } },
    input.now,
  );
  return { version, warnings: parsed.warnings };
}
