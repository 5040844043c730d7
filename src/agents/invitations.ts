/**
 * One-time invitation links: how every person gets into a tenant (no administrator ever sets a
 * password for someone else). The link carries a token; only its SHA-256 is stored.
 *
 * Token format: `cinv_` + base64url(tenant id (16 bytes) || 32 random bytes). The tenant id
 * inside lets the lookup run in that tenant's row-level-security scope; the random part is the
 * secret. The whole token is hashed, so changing the tenant part yields no match.
 */
import type { Database, Tx } from '../db/index.js';
import { sha256 } from '../platform/crypto.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { AgentErrors } from './errors.js';
import type { Role } from './roles.js';
import { makeTenantToken, tenantOfToken } from './tenant-tokens.js';

export interface IssuedInvitation {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  /** The secret: shown once, never stored. */
  readonly token: string;
  readonly expiresAt: Date;
}

export interface InvitationSummary {
  readonly id: string;
  readonly tenant: { readonly id: string; readonly slug: string; readonly name: string };
  readonly role: Role;
  readonly emailHint: string;
  readonly expiresAt: Date;
}

export function makeInvitationToken(tenantId: string): string {
  return makeTenantToken('cinv', tenantId);
}

/** The tenant id a token claims, or undefined when the token is malformed. */
export function tenantOfInvitationToken(token: string): string | undefined {
  return tenantOfToken('cinv', token);
}

/** Creates an invitation inside the caller's transaction (which must be scoped to the tenant). */
export async function insertInvitation(
  tx: Tx,
  input: { tenantId: string; email: string; role: Role; createdBy: string; now: Date; ttlHours: number },
): Promise<IssuedInvitation> {
  const id = newId();
  const token = makeInvitationToken(input.tenantId);
  const expiresAt = new Date(input.now.getTime() + input.ttlHours * 3_600_000);
  await tx
    .insertInto('invitations')
    .values({
      id,
      tenant_id: input.tenantId,
      email: input.email,
      role: input.role,
      token_hash: sha256(token),
      created_by: input.createdBy,
      created_at: input.now,
      expires_at: expiresAt,
      accepted_at: null,
      revoked_at: null,
    })
    .execute();
  return { id, email: input.email, role: input.role, token, expiresAt };
}

/** Revokes every open invitation of the tenant; returns how many. */
export async function revokeOpenInvitations(tx: Tx, now: Date): Promise<number> {
  const result = await tx
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * What an invitation is for, without consuming it. Unknown, expired, revoked and accepted
 * invitations all give the same error.
 */
export async function lookupInvitation(db: Database, token: string, now: Date): Promise<InvitationSummary> {
  const tenantId = tenantOfInvitationToken(token);
  if (tenantId === undefined) throw new AppError(AgentErrors.invitation_invalid);
  const row = await db.withTenant(tenantId, (tx) =>
    tx
      .selectFrom('invitations')
      .innerJoin('tenants', 'tenants.id', 'invitations.tenant_id')
      .select([
        'invitations.id',
        'invitations.role',
        'invitations.email',
        'invitations.expires_at',
        'invitations.accepted_at',
        'invitations.revoked_at',
        'tenants.id as tenant_id',
        'tenants.slug',
        'tenants.name',
        'tenants.status',
      ])
      .where('invitations.token_hash', '=', sha256(token))
      .executeTakeFirst(),
  );
  if (
    row === undefined ||
    row.accepted_at !== null ||
    row.revoked_at !== null ||
    row.expires_at.getTime() <= now.getTime() ||
    row.status !== 'active'
  ) {
    throw new AppError(AgentErrors.invitation_invalid);
  }
  return {
    id: row.id,
    tenant: { id: row.tenant_id, slug: row.slug, name: row.name },
    role: row.role as Role,
    emailHint: maskEmail(row.email),
    expiresAt: row.expires_at,
  };
}

/** `jane@example.com` -> `j***@e******.com`: enough to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local[0]}***@${host[0] ?? ''}${'*'.repeat(Math.max(host.length - 1, 1))}${tld}`;
}
