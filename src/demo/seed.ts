/**
 * The demo tenant: created once, on the first `serve --demo` (or `custodia demo`), in one
 * transaction, so an interrupted seed leaves nothing behind and a later start seeds again.
 * Refused in production. Everything in it is synthetic.
 */
import { type IssuedInvitation, insertInvitation, type Role, revokeOpenInvitations } from '../agents/index.js';
import { countCustomers, insertCustomerNumbers } from '../customers/index.js';
import { type Database, openTenantScope } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { DemoErrors } from './errors.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';

export const DEMO_SLUG = 'demo';
export const DEMO_CUSTOMERS = 200;

/** The demo staff: one person per role that the console will show a different view to. */
export const DEMO_STAFF: readonly { email: string; role: Role }[] = [
  { email: 'admin@demo.custodia.test', role: 'tenant_admin' },
  { email: 'security@demo.custodia.test', role: 'security_officer' },
  { email: 'supervisor@demo.custodia.test', role: 'supervisor' },
  { email: 'ana.agent@demo.custodia.test', role: 'agent' },
  { email: 'bruno.agent@demo.custodia.test', role: 'agent' },
  { email: 'auditor@demo.custodia.test', role: 'auditor' },
];

export interface DemoSeedResult {
  readonly created: boolean;
  readonly tenantId: string;
  readonly customers: number;
  /** Present when invitations were issued by this call (first seed or reissue). */
  readonly invitations: readonly IssuedInvitation[];
}

export interface DemoDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly production: boolean;
  readonly invitationTtlHours: number;
}

/** Synthetic customer numbers: `DEMO-000001`... No personal data exists for them. */
function demoCustomerNumbers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `DEMO-${String(i + 1).padStart(6, '0')}`);
}

export async function seedDemo(deps: DemoDeps, options: { customers?: number } = {}): Promise<DemoSeedResult> {
  if (deps.production) throw new AppError(DemoErrors.refused_in_production);
  const now = deps.clock.now();
  const customerCount = options.customers ?? DEMO_CUSTOMERS;
  return deps.db.withPlatform(async (tx) => {
    const existing = await tx.selectFrom('tenants').select('id').where('slug', '=', DEMO_SLUG).executeTakeFirst();
    if (existing !== undefined) {
      await openTenantScope(tx, existing.id);
      return { created: false, tenantId: existing.id, customers: await countCustomers(tx), invitations: [] };
    }
    const tenantId = newId();
    await tx
      .insertInto('tenants')
      .values({ id: tenantId, slug: DEMO_SLUG, name: 'Demo Contact Center', status: 'active', created_at: now, updated_at: now })
      .execute();
    await openTenantScope(tx, tenantId);
    // Written inside the transaction on purpose: the crash-safety test kills the process on it.
    deps.logger.info({ tenantId, customers: customerCount }, 'seeding demo tenant');
    const invitations = await issueStaffInvitations(tx, tenantId, now, deps.invitationTtlHours);
    const customers = await insertCustomerNumbers(tx, tenantId, demoCustomerNumbers(customerCount), now);
    return { created: true, tenantId, customers, invitations };
  });
}

/** Revokes the demo's open invitations and issues new ones (the links are shown only once). */
export async function reissueDemoInvitations(deps: DemoDeps): Promise<DemoSeedResult> {
  if (deps.production) throw new AppError(DemoErrors.refused_in_production);
  const now = deps.clock.now();
  return deps.db.withPlatform(async (tx) => {
    const existing = await tx.selectFrom('tenants').select('id').where('slug', '=', DEMO_SLUG).executeTakeFirst();
    if (existing === undefined) throw new AppError(DemoErrors.not_seeded);
    await openTenantScope(tx, existing.id);
    await revokeOpenInvitations(tx, now);
    const invitations = await issueStaffInvitations(tx, existing.id, now, deps.invitationTtlHours);
    return { created: false, tenantId: existing.id, customers: await countCustomers(tx), invitations };
  });
}

async function issueStaffInvitations(tx: Parameters<typeof insertInvitation>[0], tenantId: string, now: Date, ttlHours: number): Promise<IssuedInvitation[]> {
  const out: IssuedInvitation[] = [];
  for (const person of DEMO_STAFF) {
    out.push(await insertInvitation(tx, { tenantId, email: person.email, role: person.role, createdBy: 'demo', now, ttlHours }));
  }
  return out;
}
