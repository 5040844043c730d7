/**
 * Service accounts: API keys for the telephony platform, the chat platform and other programs.
 * A key is `cak_` + base64url(tenant id || 32 random bytes) (tenant-tokens.ts); only its SHA-256
 * is stored, it is shown once, it carries scopes, it expires (at most a year), and it can be
 * revoked. Every creation and revocation is in the ledger.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Database, Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { AgentErrors } from './errors.js';
import { makeTenantToken, tenantOfToken } from './tenant-tokens.js';

/** What a key may be used for. Closed: a scope nobody checks grants nothing. */
export const API_KEY_SCOPES = ['interactions:write', 'customers:read', 'customers:write', 'verification:write', 'payments:write', 'ledger:read', 'events:read', 'redaction:use'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES);

export const MAX_API_KEY_DAYS = 365;

export interface ServicePrincipal {
  readonly keyId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly expiresAt: Date;
}

export async function createApiKey(
  tx: Tx,
  input: { tenantId: string; name: string; scopes: readonly ApiKeyScope[]; expiresInDays: number; createdBy: string; now: Date },
): Promise<{ id: string; key: string; expiresAt: Date }> {
  if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > MAX_API_KEY_DAYS) throw new TypeError('expiresInDays must be 1..365');
  const id = newId();
  const key = makeTenantToken('cak', input.tenantId);
  const expiresAt = new Date(input.now.getTime() + input.expiresInDays * 86_400_000);
  const scopes = [...new Set(input.scopes)].sort();
  await tx
    .insertInto('api_keys')
    .values({ id, tenant_id: input.tenantId, name: input.name, key_hash: sha256(key), scopes, created_by: input.createdBy, created_at: input.now, expires_at: expiresAt, revoked_at: null, last_used_at: null })
    .execute();
  await recordEntry(tx, input.tenantId, { actor: { type: 'agent', id: input.createdBy }, action: 'agent.api_key.create', targets: { apiKey: id }, details: { scopes: scopes.join(' '), days: input.expiresInDays } }, input.now);
  return { id, key, expiresAt };
}

export async function revokeApiKey(tx: Tx, tenantId: string, id: string, by: string, now: Date): Promise<void> {
  const result = await tx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    const exists = await tx.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst();
    if (exists === undefined) throw new AppError(AgentErrors.api_key_not_found);
    return;
  }
  await recordEntry(tx, tenantId, { actor: { type: 'agent', id: by }, action: 'agent.api_key.revoke', targets: { apiKey: id } }, now);
}

/** The live key a bearer token designates, or undefined (malformed, unknown, revoked, expired). */
export async function resolveApiKey(db: Database, key: string, now: Date): Promise<ServicePrincipal | undefined> {
  const tenantId = tenantOfToken('cak', key);
  if (tenantId === undefined) return undefined;
  return db.withTenant(tenantId, async (tx) => {
    const row = await tx
      .selectFrom('api_keys')
      .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
      .select(['api_keys.id', 'api_keys.name', 'api_keys.scopes', 'api_keys.expires_at', 'api_keys.last_used_at'])
      .where('api_keys.key_hash', '=', sha256(key))
      .where('api_keys.revoked_at', 'is', null)
      // A suspended tenant's keys stop with it.
      .where('tenants.status', '=', 'active')
      .executeTakeFirst();
    if (row === undefined || row.expires_at <= now) return undefined;
    // Last use to the minute: enough to find unused keys, without a write per request.
    if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= 60_000) {
      await tx.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
    }
    return { keyId: row.id, tenantId, name: row.name, scopes: row.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s)), expiresAt: row.expires_at };
  });
}

/** Authenticates a service request (`Authorization: Bearer cak_...`) holding `scope`. */
export function createServiceAuthenticator(deps: { db: Database; clock: Clock }) {
  return async function authenticateService(request: FastifyRequest, scope?: ApiKeyScope): Promise<ServicePrincipal> {
    const match = /^Bearer (cak_[A-Za-z0-9_-]{64})$/.exec(request.headers.authorization ?? '');
    const principal = match?.[1] === undefined ? undefined : await resolveApiKey(deps.db, match[1], deps.clock.now());
    if (principal === undefined) throw new AppError(AgentErrors.unauthenticated);
    if (scope !== undefined && !principal.scopes.includes(scope)) throw new AppError(AgentErrors.forbidden, { detail: `This API key lacks the ${scope} scope` });
    return principal;
  };
}

export type AuthenticateService = ReturnType<typeof createServiceAuthenticator>;
