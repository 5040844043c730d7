/**
 * What supervisors, security officers and tenant administrators do about agents: invite them,
 * revoke their sessions, set shifts and overtime, record training, and set the tenant's
 * security rules. Every change is recorded in the ledger in its own transaction.
 */
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { newId } from '../platform/ids.js';
import { AgentErrors } from './errors.js';
import type { Authenticate } from './http-auth.js';
import { insertInvitation } from './invitations.js';
import { type Role, roleSchema } from './roles.js';
import type { SessionService } from './sessions.js';
import { loadSecuritySettings, saveSecuritySettings, securitySettingsSchema } from './settings.js';
import { shiftScheduleSchema } from './shifts.js';

export interface AdminRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly sessions: SessionService;
  readonly authenticate: Authenticate;
  readonly invitationTtlHours: number;
  readonly invitationUrl: (token: string) => string;
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const agentParams = z.strictObject({ id: z.uuid() });

const MANAGERS: readonly Role[] = ['supervisor', 'security_officer', 'tenant_admin'];
const READERS: readonly Role[] = ['supervisor', 'security_officer', 'tenant_admin', 'auditor'];

/** Separation of duties: nobody lifts their own data-access gates (shift, overtime, training). */
function refuseSelf(caller: string, target: string): void {
  if (caller === target) throw new AppError(AgentErrors.forbidden, { detail: 'Another supervisor or manager must do this for you' });
}

export function registerAgentAdminRoutes(app: HttpApp, deps: AdminRouteDeps): void {
  const { db, clock, sessions, authenticate } = deps;

  /** The member `id` of the caller's tenant, or 404 (also for another tenant's agents). */
  async function requireMember(tx: Parameters<Parameters<Database['withTenant']>[1]>[0], id: string): Promise<void> {
    const m = await tx.selectFrom('agent_memberships').select('agent_id').where('agent_id', '=', id).executeTakeFirst();
    if (m === undefined) throw new AppError(AgentErrors.not_found);
  }

  app.get(
    '/v1/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'Members of this contact center',
        security,
        response: { 200: z.object({ agents: z.array(z.object({ id: z.uuid(), displayName: z.string(), email: z.string(), role: roleSchema, status: z.enum(['active', 'suspended']) })) }), ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: READERS, activity: false });
      const rows = await db.withTenant(s.tenantId, (tx) =>
        tx.selectFrom('agent_memberships as m').innerJoin('agents as a', 'a.id', 'm.agent_id').select(['a.id', 'a.display_name', 'a.email', 'm.role', 'm.status']).orderBy('a.display_name').limit(10_000).execute(),
      );
      return { agents: rows.map((r) => ({ id: r.id, displayName: r.display_name, email: r.email, role: r.role as Role, status: r.status })) };
    },
  );

  app.post(
    '/v1/agents/invitations',
    {
      schema: {
        tags: ['agents'],
        summary: 'Invite a person (one-time link)',
        description: 'Tenant administrators only. The link is shown once; nobody ever sets a password for someone else.',
        security,
        body: z.strictObject({ email: z.email().max(254), role: roleSchema }),
        response: { 201: z.object({ id: z.uuid(), url: z.string(), expiresAt: z.iso.datetime() }), ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['tenant_admin'] });
      const now = clock.now();
      const issued = await db.withTenant(s.tenantId, async (tx) => {
        const invitation = await insertInvitation(tx, { tenantId: s.tenantId, email: request.body.email.toLowerCase(), role: request.body.role, createdBy: s.agentId, now, ttlHours: deps.invitationTtlHours });
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.invitation.create', targets: { invitation: invitation.id }, details: { role: invitation.role } }, now);
        return invitation;
      });
      return reply.code(201).send({ id: issued.id, url: deps.invitationUrl(issued.token), expiresAt: issued.expiresAt.toISOString() });
    },
  );

  app.post(
    '/v1/agents/:id/sessions/revoke',
    {
      schema: {
        tags: ['agents'],
        summary: "Revoke all of an agent's sessions",
        description: 'Security officers and tenant administrators. Takes effect on every server process at once (Redis pub/sub when configured; otherwise within one second).',
        security,
        params: agentParams,
        response: { 200: z.object({ revoked: z.number().int() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer', 'tenant_admin'] });
      const ids = await db.withTenant(s.tenantId, async (tx) => {
        await requireMember(tx, request.params.id);
        const revoked = await sessions.revoke(tx, s.tenantId, { agentId: request.params.id }, 'security_officer');
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.session.revoke', targets: { agent: request.params.id }, details: { reason: 'security_officer', count: revoked.length } }, clock.now());
        return revoked;
      });
      await sessions.published({ tenantId: s.tenantId, agentId: request.params.id, sessionIds: ids });
      return { revoked: ids.length };
    },
  );

  app.put(
    '/v1/agents/:id/shift',
    {
      schema: {
        tags: ['agents'],
        summary: "Set an agent's shift schedule (time zone, weekly intervals, breaks)",
        security,
        params: agentParams,
        body: z.strictObject({ schedule: z.unknown() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['supervisor', 'tenant_admin'] });
      refuseSelf(s.agentId, request.params.id);
      const parsed = shiftScheduleSchema.safeParse(request.body.schedule);
      if (!parsed.success) {
        throw new AppError(AgentErrors.invalid_shift_schedule, { details: { errors: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) } });
      }
      const now = clock.now();
      await db.withTenant(s.tenantId, async (tx) => {
        await requireMember(tx, request.params.id);
        const json = JSON.stringify(parsed.data);
        await tx
          .insertInto('agent_shifts')
          .values({ tenant_id: s.tenantId, agent_id: request.params.id, schedule: json, updated_at: now, updated_by: s.agentId })
          .onConflict((oc) => oc.columns(['tenant_id', 'agent_id']).doUpdateSet({ schedule: json, updated_at: now, updated_by: s.agentId }))
          .execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.shift.update', targets: { agent: request.params.id }, details: { timeZone: parsed.data.timeZone } }, now);
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/agents/:id/overtime',
    {
      schema: {
        tags: ['agents'],
        summary: 'Grant a timed overtime exception (from now)',
        security,
        params: agentParams,
        body: z.strictObject({ minutes: z.number().int().min(1).max(720) }),
        response: { 201: z.object({ id: z.uuid(), until: z.iso.datetime() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['supervisor'] });
      refuseSelf(s.agentId, request.params.id);
      const now = clock.now();
      const until = new Date(now.getTime() + request.body.minutes * 60_000);
      const id = newId();
      await db.withTenant(s.tenantId, async (tx) => {
        await requireMember(tx, request.params.id);
        await tx.insertInto('agent_shift_exceptions').values({ id, tenant_id: s.tenantId, agent_id: request.params.id, kind: 'overtime', starts_at: now, ends_at: until, granted_by: s.agentId, created_at: now }).execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.overtime.grant', targets: { agent: request.params.id, exception: id }, details: { minutes: request.body.minutes } }, now);
      });
      return reply.code(201).send({ id, until: until.toISOString() });
    },
  );

  app.post(
    '/v1/agents/:id/training',
    {
      schema: {
        tags: ['agents'],
        summary: 'Record a completed security training course',
        security,
        params: agentParams,
        body: z
          .strictObject({ course: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/), completedAt: z.iso.datetime(), expiresAt: z.iso.datetime() })
          .refine((b) => Date.parse(b.expiresAt) > Date.parse(b.completedAt), { message: 'expiresAt must be after completedAt', path: ['expiresAt'] }),
        response: { 201: z.object({ id: z.uuid() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: MANAGERS });
      refuseSelf(s.agentId, request.params.id);
      const now = clock.now();
      const id = newId();
      await db.withTenant(s.tenantId, async (tx) => {
        await requireMember(tx, request.params.id);
        await tx
          .insertInto('agent_training')
          .values({ id, tenant_id: s.tenantId, agent_id: request.params.id, course: request.body.course, completed_at: new Date(request.body.completedAt), expires_at: new Date(request.body.expiresAt), recorded_by: s.agentId, created_at: now })
          .execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.training.record', targets: { agent: request.params.id, training: id }, details: { course: request.body.course, expiresAt: request.body.expiresAt.slice(0, 10) } }, now);
      });
      return reply.code(201).send({ id });
    },
  );

  app.post(
    '/v1/auth/conduct',
    {
      schema: {
        tags: ['auth'],
        summary: 'Acknowledge the code of conduct',
        security,
        body: z.strictObject({ version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/) }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request);
      const now = clock.now();
      await db.withTenant(s.tenantId, async (tx) => {
        const inserted = await tx
          .insertInto('agent_conduct_acks')
          .values({ tenant_id: s.tenantId, agent_id: s.agentId, version: request.body.version, acknowledged_at: now })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
          await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.conduct.acknowledge', targets: { agent: s.agentId }, details: { version: request.body.version } }, now);
        }
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/security/settings',
    { schema: { tags: ['security'], summary: "This contact center's sign-in and session rules", security, response: { 200: securitySettingsSchema, ...problemResponses(401, 403, 423) } } },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer', 'tenant_admin', 'auditor'], activity: false });
      return db.withTenant(s.tenantId, (tx) => loadSecuritySettings(tx, s.tenantId));
    },
  );

  app.put(
    '/v1/security/settings',
    {
      schema: {
        tags: ['security'],
        summary: "Set this contact center's sign-in and session rules",
        description: 'Members left out take their secure defaults. The idle lock cannot exceed 15 minutes (PCI DSS 8.2.8).',
        security,
        body: securitySettingsSchema,
        response: { 200: securitySettingsSchema, ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer', 'tenant_admin'] });
      const now = clock.now();
      await db.withTenant(s.tenantId, async (tx) => {
        await saveSecuritySettings(tx, s.tenantId, request.body, s.agentId, now);
        await recordEntry(
          tx,
          s.tenantId,
          {
            actor: { type: 'agent', id: s.agentId },
            action: 'security.settings.update',
            // Every rule, so that quietly weakening one shows in the ledger (networks by count).
            details: {
              idleLockMinutes: request.body.idleLockMinutes,
              sessionMaxHours: request.body.sessionMaxHours,
              presenceRequired: request.body.presence.required,
              presenceAbsenceSeconds: request.body.presence.absenceSeconds,
              forbidMultipleFaces: request.body.presence.forbidMultipleFaces,
              lockoutThreshold: request.body.lockout.threshold,
              lockoutAlertAfter: request.body.lockout.alertAfter,
              requireShiftSchedule: request.body.requireShiftSchedule,
              requiredCourses: request.body.requiredCourses.join(' ') || 'none',
              conductVersion: request.body.conductVersion,
              networks: request.body.allowedNetworks.length,
              devicesRequired: request.body.devices.required,
              devicesApproval: request.body.devices.approval,
              networkApproval: request.body.networkApproval,
              smsFallback: request.body.smsFallback,
              wrapUpMinutes: request.body.access.wrapUpMinutes,
              revealMinutes: request.body.access.revealMinutes,
              breakGlassMaxMinutes: request.body.access.breakGlassMaxMinutes,
              freshnessDays: request.body.access.freshnessDays,
            },
          },
          now,
        );
      });
      await sessions.published({ tenantId: s.tenantId, settings: true });
      return request.body;
    },
  );

  app.get(
    '/v1/security/alerts',
    {
      schema: {
        tags: ['security'],
        summary: 'Open security alerts',
        security,
        response: { 200: z.object({ alerts: z.array(z.object({ id: z.uuid(), kind: z.string(), agentId: z.uuid().nullable(), details: z.record(z.string(), z.unknown()), createdAt: z.iso.datetime() })) }), ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer', 'tenant_admin', 'auditor'], activity: false });
      const rows = await db.withTenant(s.tenantId, (tx) =>
        tx.selectFrom('security_alerts').select(['id', 'kind', 'agent_id', 'details', 'created_at']).where('acknowledged_at', 'is', null).orderBy('created_at', 'desc').limit(500).execute(),
      );
      return { alerts: rows.map((r) => ({ id: r.id, kind: r.kind, agentId: r.agent_id, details: r.details, createdAt: r.created_at.toISOString() })) };
    },
  );
}
