/**
 * HTTP surface of devices and networks (devices.ts): an agent lists their own devices and
 * registers a device-bound passkey; supervisors and security officers list, approve and revoke
 * an agent's devices and approve or deny the networks they sign in from. Nobody approves their
 * own device or network (separation of duties).
 */
import { z } from 'zod';
import type { Database, Tx } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import { announceAlert } from './alerts.js';
import { deviceNameSchema, registerWebAuthnDevice } from './devices.js';
import { AgentErrors } from './errors.js';
import type { Authenticate } from './http-auth.js';
import { requireOpenIfSignedIn } from './http-auth.js';
import { cidrSchema, networkOf } from './networks.js';
import type { Role } from './roles.js';
import type { SessionService } from './sessions.js';

export interface DeviceRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly sessions: SessionService;
  readonly authenticate: Authenticate;
  readonly bus: EventBus;
  readonly logger: Logger;
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const DECIDERS: readonly Role[] = ['supervisor', 'security_officer', 'tenant_admin'];
const READERS: readonly Role[] = ['supervisor', 'security_officer', 'tenant_admin', 'auditor'];
const PRIVILEGED: readonly Role[] = ['security_officer', 'tenant_admin'];

const deviceView = z.object({
  id: z.uuid(),
  kind: z.enum(['browser_key', 'webauthn']),
  name: z.string(),
  status: z.enum(['pending', 'approved', 'revoked']),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
});
const networkView = z.object({
  network: z.string().describe('An IPv4 /24 or IPv6 /56.'),
  status: z.enum(['pending', 'approved', 'denied']),
  firstSeenAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
});

async function listDevices(tx: Tx, agentId: string): Promise<z.input<typeof deviceView>[]> {
  const rows = await tx
    .selectFrom('agent_devices')
    .select(['id', 'kind', 'name', 'status', 'created_at', 'last_seen_at', 'decided_at'])
    .where('agent_id', '=', agentId)
    .orderBy('created_at')
    .limit(1_000)
    .execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, status: r.status, createdAt: r.created_at.toISOString(), lastSeenAt: r.last_seen_at.toISOString(), decidedAt: r.decided_at?.toISOString() ?? null }));
}

export function registerDeviceRoutes(app: HttpApp, deps: DeviceRouteDeps): void {
  const { db, clock, sessions, authenticate } = deps;

  function refuseSelf(caller: string, target: string): void {
    if (caller === target) throw new AppError(AgentErrors.forbidden, { detail: 'Another supervisor or security officer must decide on your own devices and networks' });
  }

  async function requireMember(tx: Tx, id: string): Promise<void> {
    const m = await tx.selectFrom('agent_memberships').select('agent_id').where('agent_id', '=', id).executeTakeFirst();
    if (m === undefined) throw new AppError(AgentErrors.not_found);
  }

  /**
   * Decisions about a privileged member's devices and networks (a tenant administrator's or a
   * security officer's) are for a security officer or tenant administrator, not a supervisor.
   */
  async function requireMayDecide(tx: Tx, callerRole: Role, id: string): Promise<void> {
    const m = await tx.selectFrom('agent_memberships').select('role').where('agent_id', '=', id).executeTakeFirst();
    if (m === undefined) throw new AppError(AgentErrors.not_found);
    if (PRIVILEGED.includes(m.role as Role) && !PRIVILEGED.includes(callerRole)) {
      throw new AppError(AgentErrors.forbidden, { detail: "A security officer or tenant administrator decides on a privileged member's devices and networks" });
    }
  }

  async function publishAlert(alert: { id: string; tenantId: string; kind: string } | undefined): Promise<void> {
    if (alert === undefined) return;
    await announceAlert(deps.bus, deps.logger, alert);
  }

  app.get(
    '/v1/auth/devices',
    { schema: { tags: ['auth'], summary: 'Your devices in this contact center', security, response: { 200: z.object({ devices: z.array(deviceView.extend({ current: z.boolean() })) }), ...problemResponses(401, 403, 423) } } },
    async (request) => {
      const s = await authenticate(request, { stage: 'session', activity: false });
      const devices = await db.withTenant(s.tenantId, (tx) => listDevices(tx, s.agentId));
      return { devices: devices.map((d) => ({ ...d, current: d.id === s.deviceId })) };
    },
  );

  app.post(
    '/v1/auth/devices',
    {
      schema: {
        tags: ['auth'],
        summary: 'Register one of your device-bound passkeys as this device',
        description:
          'The passkey must be bound to one device (a platform authenticator or security key, not a synced passkey) and must be the one you last confirmed your session with, in the last minutes: a device is registered from itself. Browser-key devices need no call: the console registers them with its sign-in proof.',
        security,
        body: z.strictObject({ credentialId: z.uuid().describe('The id of the passkey, as listed by GET /v1/auth/factors.'), name: deviceNameSchema }),
        response: { 201: z.object({ id: z.uuid(), status: z.enum(['pending', 'approved', 'revoked']) }), ...problemResponses(400, 401, 403, 404, 409, 422, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request);
      await requireOpenIfSignedIn(sessions, s, clock.now());
      const settings = await sessions.settings(s.tenantId);
      const registered = await db.withTenant(s.tenantId, (tx) => registerWebAuthnDevice(tx, { session: s, credentialId: request.body.credentialId, name: request.body.name, settings, now: clock.now() }), { identity: true });
      await sessions.published({ tenantId: s.tenantId, sessionIds: [s.id] });
      await publishAlert(registered.alert);
      return reply.code(201).send({ id: registered.id, status: registered.status });
    },
  );

  const agentParams = z.strictObject({ id: z.uuid() });
  const deviceParams = z.strictObject({ id: z.uuid(), deviceId: z.uuid() });

  app.get(
    '/v1/agents/:id/devices',
    { schema: { tags: ['agents'], summary: "An agent's devices", security, params: agentParams, response: { 200: z.object({ devices: z.array(deviceView) }), ...problemResponses(400, 401, 403, 404, 423) } } },
    async (request) => {
      const s = await authenticate(request, { roles: READERS, activity: false });
      const devices = await db.withTenant(s.tenantId, async (tx) => {
        await requireMember(tx, request.params.id);
        return listDevices(tx, request.params.id);
      });
      return { devices };
    },
  );

  app.post(
    '/v1/agents/:id/devices/:deviceId/approve',
    {
      schema: {
        tags: ['agents'],
        summary: "Approve an agent's new device",
        description: 'Supervisors, security officers and tenant administrators; not for their own devices. A revoked device cannot be approved again: the agent registers it anew.',
        security,
        params: deviceParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: DECIDERS });
      refuseSelf(s.agentId, request.params.id);
      const now = clock.now();
      await db.withTenant(s.tenantId, async (tx) => {
        await requireMayDecide(tx, s.role, request.params.id);
        const device = await tx.selectFrom('agent_devices').select('status').where('id', '=', request.params.deviceId).where('agent_id', '=', request.params.id).forUpdate().executeTakeFirst();
        if (device === undefined) throw new AppError(AgentErrors.device_not_found);
        if (device.status === 'revoked') throw new AppError(AgentErrors.device_conflict, { detail: 'This device was revoked' });
        if (device.status === 'approved') return;
        await tx.updateTable('agent_devices').set({ status: 'approved', decided_at: now, decided_by: s.agentId }).where('id', '=', request.params.deviceId).execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.device.approve', targets: { agent: request.params.id, device: request.params.deviceId } }, now);
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/agents/:id/devices/:deviceId/revoke',
    {
      schema: {
        tags: ['agents'],
        summary: "Revoke an agent's device (a lost or stolen laptop)",
        description:
          'Ends every session that proved this device, on every server process. For a device-bound passkey, the passkey itself is removed too (it was on the lost machine), in every contact center. The agent may revoke their own devices too.',
        security,
        params: deviceParams,
        response: { 200: z.object({ sessionsRevoked: z.number().int() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request);
      const self = s.agentId === request.params.id;
      if (!self && !DECIDERS.includes(s.role)) throw new AppError(AgentErrors.forbidden);
      const now = clock.now();
      const revoked = await db.withTenant(
        s.tenantId,
        async (tx) => {
          const device = await tx.selectFrom('agent_devices').select(['status', 'kind', 'webauthn_credential_id']).where('id', '=', request.params.deviceId).where('agent_id', '=', request.params.id).forUpdate().executeTakeFirst();
          if (device === undefined) throw new AppError(AgentErrors.device_not_found);
          // A passkey bound to a lost machine must stop being a second factor too, not only a device.
          let credentialRemoved = false;
          if (device.kind === 'webauthn' && device.webauthn_credential_id !== null) {
            const deleted = await tx.deleteFrom('agent_webauthn_credentials').where('id', '=', device.webauthn_credential_id).where('agent_id', '=', request.params.id).executeTakeFirst();
            credentialRemoved = Number(deleted.numDeletedRows) > 0;
          }
          if (device.status !== 'revoked') {
            await tx.updateTable('agent_devices').set({ status: 'revoked', decided_at: now, decided_by: s.agentId }).where('id', '=', request.params.deviceId).execute();
          }
          const ended = await tx
            .updateTable('agent_sessions')
            .set({ revoked_at: now, revoked_reason: 'device_revoked' })
            .where('device_id', '=', request.params.deviceId)
            .where('revoked_at', 'is', null)
            .returning('id')
            .execute();
          await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.device.revoke', targets: { agent: request.params.id, device: request.params.deviceId }, details: { sessions: ended.length, self, credentialRemoved } }, now);
          return ended.map((r) => r.id);
        },
        { identity: true },
      );
      await sessions.published({ tenantId: s.tenantId, sessionIds: revoked });
      return { sessionsRevoked: revoked.length };
    },
  );

  app.get(
    '/v1/agents/:id/networks',
    { schema: { tags: ['agents'], summary: 'Networks an agent signed in from', security, params: agentParams, response: { 200: z.object({ networks: z.array(networkView) }), ...problemResponses(400, 401, 403, 404, 423) } } },
    async (request) => {
      const s = await authenticate(request, { roles: READERS, activity: false });
      const rows = await db.withTenant(s.tenantId, async (tx) => {
        await requireMember(tx, request.params.id);
        return tx.selectFrom('agent_networks').selectAll().where('agent_id', '=', request.params.id).orderBy('first_seen_at').limit(1_000).execute();
      });
      return { networks: rows.map((r) => ({ network: r.network, status: r.status, firstSeenAt: r.first_seen_at.toISOString(), lastSeenAt: r.last_seen_at.toISOString(), decidedAt: r.decided_at?.toISOString() ?? null })) };
    },
  );

  app.put(
    '/v1/agents/:id/networks',
    {
      schema: {
        tags: ['agents'],
        summary: "Approve or deny a network for an agent (also before they first use it)",
        description: 'The address may be any address of the network, or the network itself; it is widened to the IPv4 /24 or IPv6 /56 that Custodia calls a network.',
        security,
        params: agentParams,
        body: z.strictObject({ address: cidrSchema, decision: z.enum(['approved', 'denied']) }),
        response: { 200: z.object({ network: z.string(), status: z.enum(['approved', 'denied']) }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: DECIDERS });
      refuseSelf(s.agentId, request.params.id);
      const network = networkOf(request.body.address.slice(0, request.body.address.indexOf('/')));
      // cidrSchema's output always starts with a valid address.
      if (network === undefined) throw new Error('cidrSchema produced an unparsable address');
      const now = clock.now();
      const status = request.body.decision;
      await db.withTenant(s.tenantId, async (tx) => {
        await requireMayDecide(tx, s.role, request.params.id);
        await tx
          .insertInto('agent_networks')
          .values({ tenant_id: s.tenantId, agent_id: request.params.id, network, status, first_seen_at: now, last_seen_at: now, decided_at: now, decided_by: s.agentId })
          .onConflict((oc) => oc.columns(['tenant_id', 'agent_id', 'network']).doUpdateSet({ status, decided_at: now, decided_by: s.agentId }))
          .execute();
        await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.network.decide', targets: { agent: request.params.id }, details: { decision: status } }, now);
      });
      return { network, status };
    },
  );
}
