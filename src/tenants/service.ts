/**
 * Tenant administration. A tenant is one client company of the contact center: its own data,
 * keys, policies and agents. Creating one also issues the one-time invitation of its first
 * administrator, in the same transaction.
 */
import { type IssuedInvitation, insertInvitation, revokeOpenInvitations } from '../agents/index.js';
import { type Database, isUniqueViolation, openTenantScope } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { TenantErrors } from './errors.js';
import * as store from './store.js';

export interface Tenant {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly status: 'active' | 'suspended';
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface TenantServiceDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly invitationTtlHours: number;
}

export interface CreateTenantInput {
  readonly slug: string;
  readonly name: string;
  /** When given, a one-time invitation for the tenant's first administrator is issued. */
  readonly adminEmail?: string | undefined;
  /** Who asked: a platform token id, `cli`, `demo`. Kept with the invitation. */
  readonly actor: string;
}

function toTenant(row: store.TenantRow): Tenant {
  return { id: row.id, slug: row.slug, name: row.name, status: row.status, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function createTenantService(deps: TenantServiceDeps) {
  const { db, clock } = deps;

  async function createTenant(input: CreateTenantInput): Promise<{ tenant: Tenant; invitation?: IssuedInvitation }> {
    const now = clock.now();
    const row: store.TenantRow = { id: newId(), slug: input.slug, name: input.name, status: 'active', created_at: now, updated_at: now };
    try {
      return await db.withPlatform(async (tx) => {
        await store.insertTenant(tx, row);
        if (input.adminEmail === undefined) return { tenant: toTenant(row) };
        await openTenantScope(tx, row.id);
        const invitation = await insertInvitation(tx, {
          tenantId: row.id,
          email: input.adminEmail,
          role: 'tenant_admin',
          createdBy: input.actor,
          now,
          ttlHours: deps.invitationTtlHours,
        });
        return { tenant: toTenant(row), invitation };
      });
    } catch (error) {
      // The detail does not repeat the slug: problems never echo what the client sent.
      if (isUniqueViolation(error, 'tenants_slug_key')) throw new AppError(TenantErrors.slug_taken, { detail: 'Another tenant already has this slug; choose another one' });
      throw error;
    }
  }

  async function getTenant(id: string): Promise<Tenant> {
    const row = await db.withPlatform((tx) => store.findTenantById(tx, id));
    if (row === undefined) throw new AppError(TenantErrors.not_found);
    return toTenant(row);
  }

  async function findTenantBySlug(slug: string): Promise<Tenant | undefined> {
    const row = await db.withPlatform((tx) => store.findTenantBySlug(tx, slug));
    return row === undefined ? undefined : toTenant(row);
  }

  async function listTenants(options: { limit: number; after?: string | undefined }): Promise<{ tenants: Tenant[]; next: string | undefined }> {
    const rows = await db.withPlatform((tx) => store.findTenants(tx, { limit: options.limit + 1, after: options.after }));
    const page = rows.slice(0, options.limit).map(toTenant);
    return { tenants: page, next: rows.length > options.limit ? page.at(-1)?.slug : undefined };
  }

  /**
   * Renames, suspends or reactivates a tenant. Suspending also revokes its open invitations, in the
   * same transaction, so that reactivating it later does not bring back links that may have leaked
   * meanwhile: new ones must be issued.
   */
  async function updateTenant(id: string, changes: { name?: string | undefined; status?: 'active' | 'suspended' | undefined }): Promise<Tenant> {
    const now = clock.now();
    const row = await db.withPlatform(async (tx) => {
      const updated = await store.updateTenant(tx, id, {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.status === undefined ? {} : { status: changes.status }),
        updated_at: now,
      });
      if (updated !== undefined && changes.status === 'suspended') {
        await openTenantScope(tx, id);
        await revokeOpenInvitations(tx, now);
      }
      return updated;
    });
    if (row === undefined) throw new AppError(TenantErrors.not_found);
    return toTenant(row);
  }

  /** Deletes a tenant and all its rows. Refused unless it was suspended first: two deliberate steps. */
  async function deleteTenant(id: string): Promise<void> {
    await db.withPlatform(async (tx) => {
      const row = await store.findTenantById(tx, id);
      if (row === undefined) throw new AppError(TenantErrors.not_found);
      if (row.status !== 'suspended') throw new AppError(TenantErrors.not_suspended, { detail: 'Suspend the tenant (PATCH status=suspended) before deleting it' });
      await store.deleteTenant(tx, id);
    });
  }

  return { createTenant, getTenant, findTenantBySlug, listTenants, updateTenant, deleteTenant };
}

export type TenantService = ReturnType<typeof createTenantService>;
