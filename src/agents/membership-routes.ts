/**
 * A membership's life after the invitation: changing an agent's role, suspending them (the day
 * someone leaves, or while an incident is looked into) and reactivating them; and acknowledging
 * security alerts. Each is recorded in the ledger in its own transaction; a change that affects
 * sessions is announced to every process before the answer.
 *
 * A contact center never loses its last active tenant administrator: nobody could invite,
 * change roles or settings any more without the platform operator.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Database, Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { AgentErrors } from './errors.js';
import type { Authenticate } from './http-auth.js';
import { type Role, roleSchema } from './roles.js';
import type { SessionService } from './sessions.js';

export interface MembershipRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly sessions: SessionService;
  readonly authenticate: Authenticate;
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const agentParams = z.strictObject({ id: z.uuid() });

function refuseSelf(caller: string, target: string): void {
  if (caller === target) throw new AppError(AgentErrors.forbidden, { detail: 'Another administrator must do this for you' });
}

/**
 * The membership, locked for the change; 404 for a non-member (also of another tenant). Changes
 * of one tenant's memberships are serialized first (a transaction-level advisory lock), so that
 * two administrators demoting each other at once can neither both succeed nor deadlock.
 */
async function lockMembership(tx: Tx, tenantId: string, agentId: string): Promise<{ role: Role; status: 'active' | 'suspended' }> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`custodia.memberships.${tenantId}`}, 0))`.execute(tx);
  const row = await tx.selectFrom('agent_memberships').select(['role', 'status']).where('agent_id', '=', agentId).forUpdate().executeTakeFirst();
  if (row === undefined) throw new AppError(AgentErrors.not_found);
  return { role: row.role as Role, status: row.status };
}

/** Refuses a change that would leave the tenant without an active tenant administrator (under lockMembership's lock). */
async function keepOneAdmin(tx: Tx, agentId: string): Promise<void> {
  const others = await tx.selectFrom('agent_memberships').select('agent_id').where('role', '=', 'tenant_admin').where('status', '=', 'active').where('agent_id', '<>', agentId).limit(1).execute();
  if (others.length === 0) throw new AppError(AgentErrors.last_admin);
}

export function registerMembershipRoutes(app: HttpApp, deps: MembershipRouteDeps): void {
  const { db, clock, sessions, authenticate } = deps;

  app.put(
    '/v1/agents/:id/role',
    {
      schema: {
        tags: ['agents'],
        summary: "Change an agent's role in this contact center",
        description: 'Tenant administrators; not their own role. The agent\'s sessions carry the new role at once, on every process.',
        security,
        params: agentParams,
        body: z.strictObject({ role: roleSchema }),
        response: { 200: z.object({ role: roleSchema }), ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['tenant_admin'] });
      refuseSelf(s.agentId, request.params.id);
      const now = clock.now();
      await db.withTenant(s.tenantId, async (tx) => {
        const current = await lockMembership(tx, s.tenantId, request.params.id);
        if (current.role === request.body.role) return;
        if (current.role === 'tenant_admin' && current.status === 'active') await keepOneAdmin(tx, request.params.id);
        await tx.updateTable('agent_memberships').set({ role: request.body.role, updated_at: now }).where('agent_id', '=', request.params.id).execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.role.change', targets: { agent: request.params.id }, details: { from: current.role, to: request.body.role } }, now);
      });
      await sessions.published({ tenantId: s.tenantId, agentId: request.params.id });
      return { role: request.body.role };
    },
  );

  app.post(
    '/v1/agents/:id/suspend',
    {
      schema: {
        tags: ['agents'],
        summary: 'Suspend an agent in this contact center',
        description:
          'Tenant administrators and security officers; not themselves. Every session of the agent here is revoked at once, on every process, and they cannot sign in here until reactivated. Their identity and their memberships elsewhere are untouched.',
        security,
        params: agentParams,
        response: { 200: z.object({ sessionsRevoked: z.number().int() }), ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['tenant_admin', 'security_officer'] });
      refuseSelf(s.agentId, request.params.id);
      const now = clock.now();
      const revoked = await db.withTenant(s.tenantId, async (tx) => {
        const current = await lockMembership(tx, s.tenantId, request.params.id);
        if (current.status === 'suspended') return [];
        if (current.role === 'tenant_admin') await keepOneAdmin(tx, request.params.id);
        await tx.updateTable('agent_memberships').set({ status: 'suspended', updated_at: now }).where('agent_id', '=', request.params.id).execute();
        const ids = await sessions.revoke(tx, s.tenantId, { agentId: request.params.id }, 'agent_disabled');
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.membership.suspend', targets: { agent: request.params.id }, details: { sessions: ids.length } }, now);
        return ids;
      });
      await sessions.published({ tenantId: s.tenantId, agentId: request.params.id, sessionIds: revoked });
      return { sessionsRevoked: revoked.length };
    },
  );

  app.post(
    '/v1/agents/:id/reactivate',
    {
      schema: {
        tags: ['agents'],
        summary: 'Reactivate a suspended agent',
        description: 'Tenant administrators; not themselves. The agent signs in again (suspension revoked their sessions).',
        security,
        params: agentParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['tenant_admin'] });
      refuseSelf(s.agentId, request.params.id);
      const now = clock.now();
      await db.withTenant(s.tenantId, async (tx) => {
        const current = await lockMembership(tx, s.tenantId, request.params.id);
        if (current.status === 'active') return;
        await tx.updateTable('agent_memberships').set({ status: 'active', updated_at: now }).where('agent_id', '=', request.params.id).execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.membership.reactivate', targets: { agent: request.params.id } }, now);
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/security/alerts/:id/acknowledge',
    {
      schema: {
        tags: ['security'],
        summary: 'Acknowledge a security alert',
        description: 'Security officers and tenant administrators. The alert leaves the open list; the ledger keeps who acknowledged it and when. Acknowledging twice changes nothing.',
        security,
        params: agentParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['security_officer', 'tenant_admin'] });
      const now = clock.now();
      await db.withTenant(s.tenantId, async (tx) => {
        const alert = await tx.selectFrom('security_alerts').select(['acknowledged_at', 'agent_id']).where('id', '=', request.params.id).forUpdate().executeTakeFirst();
        if (alert === undefined) throw new AppError(AgentErrors.alert_not_found);
        if (alert.acknowledged_at !== null) return;
        // An alert about oneself is for someone else to close.
        if (alert.agent_id === s.agentId) throw new AppError(AgentErrors.forbidden, { detail: 'Another security officer must acknowledge an alert about you' });
        await tx.updateTable('security_alerts').set({ acknowledged_at: now, acknowledged_by: s.agentId }).where('id', '=', request.params.id).execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'security.alert.acknowledge', targets: { alert: request.params.id } }, now);
      });
      return reply.code(204).send(null);
    },
  );
}
