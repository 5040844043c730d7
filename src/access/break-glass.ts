/**
 * Break-glass: an emergency grant to one customer's record without an interaction (a caller in
 * danger, a fraud in progress), time-limited, with a written justification. It is loud on
 * purpose: an alert to the security officers at once, a ledger entry, and a review afterwards in
 * which another person (a security officer) judges it justified or not.
 *
 * What a break-glass grant shows is still the policy's decision (rules can name `breakGlass`);
 * it does not lift the data-access gate (second factor, lock, shift, training, device).
 */
import { sql } from 'kysely';
import { assertDataAccess, type Role, type Session } from '../agents/index.js';
import { announceAlert, raiseAlert } from '../agents/alerts.js';
import { loadSecuritySettings } from '../agents/settings.js';
import { CustomerErrors } from '../customers/index.js';
import type { Database } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import { AccessErrors } from './errors.js';

/** Who may break the glass: people who serve customers and their supervisors and officers. */
export const BREAK_GLASS_ROLES: readonly Role[] = ['agent', 'senior_agent', 'supervisor', 'security_officer'];

export interface BreakGlassDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly logger: Logger;
}

export interface BreakGlassGrant {
  readonly id: string;
  readonly agentId: string;
  readonly customerId: string;
  readonly justification: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
  readonly reviewState: 'open' | 'justified' | 'unjustified';
  readonly reviewedBy: string | null;
  readonly reviewedAt: Date | null;
}

export function createBreakGlass(deps: BreakGlassDeps) {
  const { db, clock } = deps;

  return {
    async open(session: Session, input: { customerId: string; justification: string; minutes: number; ip: string | undefined }): Promise<BreakGlassGrant> {
      if (!BREAK_GLASS_ROLES.includes(session.role)) throw new AppError(AccessErrors.no_interaction, { detail: 'Your role cannot open emergency access' });
      const now = clock.now();
      const justification = input.justification.trim();
      const outcome = await db.withTenant(session.tenantId, async (tx) => {
        await assertDataAccess(tx, session, now, input.ip);
        const settings = await loadSecuritySettings(tx, session.tenantId);
        const minutes = Math.min(input.minutes, settings.access.breakGlassMaxMinutes);
        const customer = await tx.selectFrom('customers').select('id').where('id', '=', input.customerId).executeTakeFirst();
        if (customer === undefined) throw new AppError(CustomerErrors.not_found);
        const id = newId();
        const expiresAt = new Date(now.getTime() + minutes * 60_000);
        await tx
          .insertInto('access_break_glass')
          .values({ id, tenant_id: session.tenantId, agent_id: session.agentId, customer_id: input.customerId, justification, created_at: now, expires_at: expiresAt, ended_at: null, review_state: 'open', reviewed_by: null, reviewed_at: null, review_note: null })
          .execute();
        // The justification is the agent's own words and may describe the customer's situation:
        // it stays in the grant for the reviewer, the ledger records that one was given.
        await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'access.break_glass.open', targets: { customer: input.customerId, breakGlass: id, session: session.id }, details: { minutes, justificationLength: justification.length } }, now);
        const alert = await raiseAlert(tx, { tenantId: session.tenantId, kind: 'access.break_glass', agentId: session.agentId, details: { minutes }, targets: { breakGlass: id, customer: input.customerId }, now });
        return { id, expiresAt, alert };
      });
      await announceAlert(deps.bus, deps.logger, { tenantId: session.tenantId, id: outcome.alert.id, kind: outcome.alert.kind });
      return { id: outcome.id, agentId: session.agentId, customerId: input.customerId, justification, createdAt: now, expiresAt: outcome.expiresAt, endedAt: null, reviewState: 'open', reviewedBy: null, reviewedAt: null };
    },

    /** Ends one's own grant before it expires (the emergency is over). */
    async end(session: Session, id: string): Promise<void> {
      const now = clock.now();
      await db.withTenant(session.tenantId, async (tx) => {
        const updated = await tx
          .updateTable('access_break_glass')
          .set({ ended_at: now })
          .where('id', '=', id)
          .where('agent_id', '=', session.agentId)
          .where('ended_at', 'is', null)
          .where('expires_at', '>', now)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw new AppError(AccessErrors.break_glass_not_found);
        await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'access.break_glass.end', targets: { breakGlass: id } }, now);
      });
    },

    /** Grants, newest first: those awaiting review, or all. */
    async list(session: Session, state: 'open' | 'all'): Promise<BreakGlassGrant[]> {
      const rows = await db.withTenant(session.tenantId, (tx) => {
        let query = tx.selectFrom('access_break_glass').selectAll().orderBy('created_at', 'desc').limit(500);
        if (state === 'open') query = query.where('review_state', '=', 'open');
        return query.execute();
      });
      return rows.map((r) => ({
        id: r.id,
        agentId: r.agent_id,
        customerId: r.customer_id,
        justification: r.justification,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        endedAt: r.ended_at,
        reviewState: r.review_state,
        reviewedBy: r.reviewed_by,
        reviewedAt: r.reviewed_at,
      }));
    },

    /** A security officer's judgement, once, never on their own grant. */
    async review(session: Session, id: string, input: { outcome: 'justified' | 'unjustified'; note?: string | undefined }): Promise<void> {
      const now = clock.now();
      await db.withTenant(session.tenantId, async (tx) => {
        const grant = await tx.selectFrom('access_break_glass').select(['agent_id', 'review_state']).where('id', '=', id).forUpdate().executeTakeFirst();
        if (grant === undefined) throw new AppError(AccessErrors.break_glass_not_found);
        if (grant.agent_id === session.agentId) throw new AppError(AccessErrors.review_conflict, { detail: 'Another security officer must review your own emergency access' });
        if (grant.review_state !== 'open') throw new AppError(AccessErrors.review_conflict);
        // Reviewing closes the grant too, if it is still open: what was judged is over.
        await tx
          .updateTable('access_break_glass')
          .set({ review_state: input.outcome, reviewed_by: session.agentId, reviewed_at: now, review_note: input.note?.trim() || null, ended_at: sql<Date>`coalesce(ended_at, ${now})` })
          .where('id', '=', id)
          .execute();
        await recordEntry(tx, session.tenantId, { actor: { type: 'agent', id: session.agentId }, action: 'access.break_glass.review', targets: { breakGlass: id, agent: grant.agent_id }, details: { outcome: input.outcome } }, now);
      });
    },
  };
}

export type BreakGlass = ReturnType<typeof createBreakGlass>;
