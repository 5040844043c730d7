/**
 * HTTP surface of signing in and of an agent's own sessions (`/v1/auth/...`) and of accepting
 * an invitation. Schemas and handlers only: the rules are in auth-service.ts and sessions.ts.
 */
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { assertDataAccess } from './access-gate.js';
import type { AuthService } from './auth-service.js';
import { deviceProofSchema } from './devices.js';
import { AgentErrors } from './errors.js';
import { type Authenticate, clearSessionCookie, requireOpenIfSignedIn, sendSessionCookie } from './http-auth.js';
import { roleSchema } from './roles.js';
import type { IssuedSession, SessionService } from './sessions.js';

export interface AuthRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly auth: AuthService;
  readonly sessions: SessionService;
  readonly authenticate: Authenticate;
}

const TAG = ['auth'];
const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const code = z.string().min(1).max(64);
const kind = z.enum(['console', 'bearer']).default('console').describe('`console`: a Secure HttpOnly cookie and a CSRF token; `bearer`: the token in the body, for programs.');

const issuedView = z.object({
  next: z.enum(['second_factor', 'enroll', 'done']).describe('What the client must do next.'),
  factors: z.array(z.enum(['totp', 'webauthn', 'recovery', 'sms'])).describe('Second factors the agent can use now (`sms` only where the contact center allows the SMS fallback).'),
  expiresAt: z.iso.datetime(),
  token: z.string().optional().describe('Bearer sessions only: the session token, shown once.'),
  csrfToken: z.string().optional().describe('Console sessions only: send it in `x-csrf-token` with every state-changing request.'),
  recoveryCodes: z.array(z.string()).optional().describe('Shown once, when the first second factor was registered.'),
  device: z.object({ id: z.uuid(), status: z.enum(['pending', 'approved', 'revoked']) }).optional().describe('In the answer that completes a sign-in: the device it proved, and whether a supervisor approved it.'),
  networkStatus: z.enum(['pending', 'approved', 'denied']).optional().describe('In the answer that completes a sign-in: whether a supervisor approved the network it came from.'),
});

function issuedBody(issued: IssuedSession, sessionKind: 'console' | 'bearer', rest: Omit<z.input<typeof issuedView>, 'expiresAt' | 'token' | 'csrfToken' | 'device' | 'networkStatus'>): z.input<typeof issuedView> {
  return {
    ...rest,
    ...(issued.device === undefined ? {} : { device: issued.device }),
    ...(issued.networkStatus === undefined ? {} : { networkStatus: issued.networkStatus }),
    expiresAt: issued.expiresAt.toISOString(),
    ...(sessionKind === 'bearer' ? { token: issued.token } : {}),
    ...(issued.csrfToken === null ? {} : { csrfToken: issued.csrfToken }),
  };
}

const sessionView = z.object({
  id: z.uuid(),
  tenantId: z.uuid(),
  agentId: z.uuid(),
  role: roleSchema,
  kind: z.enum(['console', 'bearer']),
  signedIn: z.boolean().describe('False until a second factor was presented.'),
  factor: z.enum(['password', 'totp', 'webauthn', 'recovery', 'sms']),
  locked: z.boolean(),
  lockReason: z.enum(['idle', 'presence', 'multiple_faces', 'manual']).nullable(),
  expiresAt: z.iso.datetime(),
});

export function registerAuthRoutes(app: HttpApp, deps: AuthRouteDeps): void {
  const { auth, authenticate, clock, sessions, db } = deps;

  app.post(
    '/v1/invitations/accept',
    {
      schema: {
        tags: ['agents'],
        summary: 'Accept an invitation',
        description:
          'Creates your Custodia identity with a password you choose (NIST SP 800-63B: at least 12 characters, not a common or breached password, not your name or address), or, when your address already has one, joins with its password. Then sign in and register a second factor.',
        body: z.strictObject({ token: z.string().min(1).max(200), displayName: z.string().trim().min(1).max(200), password: z.string().min(1).max(1024) }),
        response: { 201: z.object({ tenantId: z.uuid(), agentId: z.uuid(), role: roleSchema }), ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request, reply) => {
      const accepted = await auth.acceptInvitation(request.body);
      return reply.code(201).send(accepted);
    },
  );

  app.post(
    '/v1/auth/sign-in',
    {
      schema: {
        tags: TAG,
        summary: 'Sign in with a password (first factor)',
        description:
          'Answers the same 401 for an unknown contact center, an unknown address and a wrong password. The session it opens can only present or register a second factor; presenting it replaces the session (new token). `device` is the proof of the browser\'s device key (see docs/agents.md, "Devices and networks"); a device or network seen for the first time is recorded and may wait for a supervisor\'s approval before customer data is available.',
        body: z.strictObject({ tenant: z.string().min(1).max(40), email: z.string().min(3).max(254), password: z.string().min(1).max(1024), kind, device: deviceProofSchema.optional() }),
        response: { 200: issuedView, ...problemResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const result = await auth.signIn({ ...request.body, ip: request.ip, userAgent: request.headers['user-agent'] });
      sendSessionCookie(reply, result.session, request.body.kind, clock.now());
      return issuedBody(result.session, request.body.kind, { next: result.next, factors: [...result.factors] });
    },
  );

  app.post(
    '/v1/auth/second-factor',
    {
      schema: {
        tags: TAG,
        summary: 'Present a second factor: completes a sign-in, or unlocks a locked session',
        security,
        body: z.strictObject({ method: z.enum(['totp', 'recovery', 'sms']), code }),
        response: { 200: z.union([issuedView, z.object({ unlocked: z.boolean() })]), ...problemResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const session = await authenticate(request, { stage: 'signin' });
      const result = await auth.presentSecondFactor(session, { ...request.body, ip: request.ip, userAgent: request.headers['user-agent'] });
      if (result.session === null) return { unlocked: result.unlocked };
      sendSessionCookie(reply, result.session, session.kind, clock.now());
      return issuedBody(result.session, session.kind, { next: 'done', factors: [] });
    },
  );

  app.post(
    '/v1/auth/totp/enrollment',
    {
      schema: {
        tags: TAG,
        summary: 'Start registering an authenticator app (TOTP)',
        description: 'Returns a new secret as an `otpauth://` URI and a QR code. It becomes active when confirmed with a code from the app.',
        security,
        response: { 200: z.object({ secret: z.string(), uri: z.string(), qrSvg: z.string() }), ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const session = await authenticate(request, { stage: 'signin' });
      await requireOpenIfSignedIn(sessions, session, clock.now());
      return auth.startTotpEnrollment(session);
    },
  );

  app.post(
    '/v1/auth/totp/enrollment/confirm',
    {
      schema: {
        tags: TAG,
        summary: 'Confirm the authenticator app with a code from it',
        security,
        body: z.strictObject({ code }),
        response: { 200: z.union([issuedView, z.object({ confirmed: z.literal(true), recoveryCodes: z.array(z.string()).optional() })]), ...problemResponses(400, 401, 403, 409, 423, 429) },
      },
    },
    async (request, reply) => {
      const session = await authenticate(request, { stage: 'signin' });
      await requireOpenIfSignedIn(sessions, session, clock.now());
      const result = await auth.confirmTotpEnrollment(session, { code: request.body.code, ip: request.ip, userAgent: request.headers['user-agent'] });
      if (result.session === null) return { confirmed: true as const, ...(result.recoveryCodes === null ? {} : { recoveryCodes: result.recoveryCodes }) };
      sendSessionCookie(reply, result.session, session.kind, clock.now());
      return issuedBody(result.session, session.kind, { next: 'done', factors: ['totp', 'recovery'], ...(result.recoveryCodes === null ? {} : { recoveryCodes: result.recoveryCodes }) });
    },
  );

  // ---- WebAuthn (passkeys, security keys) ------------------------------------------------------

  const credentialJson = z.looseObject({ id: z.string().min(1).max(1400), type: z.literal('public-key') }).describe('The JSON the browser gives (e.g. @simplewebauthn/browser).');

  app.post(
    '/v1/auth/webauthn/registration/options',
    {
      schema: {
        tags: TAG,
        summary: 'Start registering a passkey or security key',
        description: 'Options for `navigator.credentials.create()`; the challenge is valid for five minutes, once.',
        security,
        response: { 200: z.record(z.string(), z.unknown()), ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const session = await authenticate(request, { stage: 'signin' });
      await requireOpenIfSignedIn(sessions, session, clock.now());
      return auth.webauthn.registrationOptions(session) as unknown as Record<string, unknown>;
    },
  );

  app.post(
    '/v1/auth/webauthn/registration',
    {
      schema: {
        tags: TAG,
        summary: 'Finish registering a passkey or security key',
        description: 'User verification is required. The first second factor of an agent also completes their sign-in (new session) and returns recovery codes, once.',
        security,
        body: z.strictObject({ response: credentialJson, name: z.string().trim().min(1).max(100) }),
        response: { 200: z.union([issuedView, z.object({ registered: z.literal(true), id: z.uuid(), recoveryCodes: z.array(z.string()).optional() })]), ...problemResponses(400, 401, 403, 409, 423, 429) },
      },
    },
    async (request, reply) => {
      const session = await authenticate(request, { stage: 'signin' });
      await requireOpenIfSignedIn(sessions, session, clock.now());
      const result = await auth.webauthn.register(session, { response: request.body.response as never, name: request.body.name, ip: request.ip, userAgent: request.headers['user-agent'] });
      if (result.session === null) return { registered: true as const, id: result.id, ...(result.recoveryCodes === null ? {} : { recoveryCodes: result.recoveryCodes }) };
      sendSessionCookie(reply, result.session, session.kind, clock.now());
      return issuedBody(result.session, session.kind, { next: 'done', factors: ['webauthn', 'recovery'], ...(result.recoveryCodes === null ? {} : { recoveryCodes: result.recoveryCodes }) });
    },
  );

  app.post(
    '/v1/auth/webauthn/authentication/options',
    {
      schema: {
        tags: TAG,
        summary: 'Start a passkey or security-key check (sign-in or unlock)',
        security,
        response: { 200: z.record(z.string(), z.unknown()), ...problemResponses(401, 403) },
      },
    },
    async (request) => auth.webauthn.authenticationOptions(await authenticate(request, { stage: 'signin' })) as unknown as Record<string, unknown>,
  );

  app.post(
    '/v1/auth/webauthn/authentication',
    {
      schema: {
        tags: TAG,
        summary: 'Finish a passkey or security-key check: completes a sign-in or unlocks the session',
        description: 'A signature counter that did not grow (a cloned authenticator) is refused and recorded.',
        security,
        body: z.strictObject({ response: credentialJson }),
        response: { 200: z.union([issuedView, z.object({ unlocked: z.boolean() })]), ...problemResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const session = await authenticate(request, { stage: 'signin' });
      // As with codes: a session past its idle limit is locked first, so the key unlocks it.
      if (session.factor !== 'password' && (await sessions.judgeLocks(session)) === null) return { unlocked: false };
      const result = await auth.webauthn.authenticate(session, { response: request.body.response as never, ip: request.ip, userAgent: request.headers['user-agent'] });
      if (result.session === null) return { unlocked: result.unlocked };
      sendSessionCookie(reply, result.session, session.kind, clock.now());
      return issuedBody(result.session, session.kind, { next: 'done', factors: [] });
    },
  );

  app.delete(
    '/v1/auth/webauthn/credentials/:id',
    {
      schema: {
        tags: TAG,
        summary: 'Remove one of your passkeys or security keys',
        description: 'Refused (409) for your last second factor.',
        security,
        params: z.strictObject({ id: z.uuid() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request, reply) => {
      const session = await authenticate(request);
      await requireOpenIfSignedIn(sessions, session, clock.now());
      await auth.webauthn.remove(session, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/auth/factors',
    {
      schema: {
        tags: TAG,
        summary: 'Your second factors',
        security,
        response: {
          200: z.object({
            totp: z.boolean(),
            recoveryCodesLeft: z.number().int(),
            webauthn: z.array(z.object({ id: z.uuid(), name: z.string(), deviceType: z.string(), backedUp: z.boolean(), createdAt: z.iso.datetime(), lastUsedAt: z.iso.datetime().nullable() })),
            sms: z
              .object({ phoneEndsWith: z.string(), state: z.enum(['pending', 'active']), confirmedAt: z.iso.datetime().nullable() })
              .nullable()
              .describe('The phone registered for SMS codes (its last two digits), if any.'),
          }),
          ...problemResponses(401, 403, 423),
        },
      },
    },
    async (request) => {
      const s = await authenticate(request, { activity: false });
      return db.withTenant(
        s.tenantId,
        async (tx) => {
          const totp = await tx.selectFrom('agent_totp').select('id').where('agent_id', '=', s.agentId).where('state', '=', 'active').executeTakeFirst();
          const left = await tx.selectFrom('agent_recovery_codes').select((eb) => eb.fn.countAll<string>().as('n')).where('agent_id', '=', s.agentId).where('used_at', 'is', null).executeTakeFirstOrThrow();
          const keys = await tx.selectFrom('agent_webauthn_credentials').select(['id', 'name', 'device_type', 'backed_up', 'created_at', 'last_used_at']).where('agent_id', '=', s.agentId).orderBy('created_at').execute();
          const phone = await tx.selectFrom('agent_sms_phones').select(['hint', 'state', 'confirmed_at']).where('agent_id', '=', s.agentId).executeTakeFirst();
          return {
            sms: phone === undefined ? null : { phoneEndsWith: phone.hint, state: phone.state, confirmedAt: phone.confirmed_at?.toISOString() ?? null },
            totp: totp !== undefined,
            recoveryCodesLeft: Number(left.n),
            webauthn: keys.map((k) => ({ id: k.id, name: k.name, deviceType: k.device_type, backedUp: k.backed_up, createdAt: k.created_at.toISOString(), lastUsedAt: k.last_used_at?.toISOString() ?? null })),
          };
        },
        { identity: true },
      );
    },
  );

  app.post(
    '/v1/auth/recovery-codes',
    {
      schema: { tags: TAG, summary: 'Replace your recovery codes (the old ones stop working)', security, response: { 200: z.object({ recoveryCodes: z.array(z.string()) }), ...problemResponses(401, 403, 423) } },
    },
    async (request) => {
      const session = await authenticate(request);
      await requireOpenIfSignedIn(sessions, session, clock.now());
      return { recoveryCodes: await auth.regenerateRecoveryCodes(session) };
    },
  );

  app.get(
    '/v1/auth/session',
    { schema: { tags: TAG, summary: 'The current session', security, response: { 200: sessionView, ...problemResponses(401) } } },
    async (request) => {
      const s = await authenticate(request, { stage: 'signin' });
      // Locks are judged here too, so the console learns of an idle lock when it asks.
      const lock = s.factor === 'password' ? null : await sessions.judgeLocks(s);
      return {
        id: s.id,
        tenantId: s.tenantId,
        agentId: s.agentId,
        role: s.role,
        kind: s.kind,
        signedIn: s.factor !== 'password',
        factor: s.factor,
        locked: lock !== null,
        lockReason: lock,
        expiresAt: s.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/v1/auth/sign-out',
    { schema: { tags: TAG, summary: 'Sign out (revokes this session)', security, response: { 204: z.null(), ...problemResponses(401, 403) } } },
    async (request, reply) => {
      await auth.signOut(await authenticate(request, { stage: 'signin' }));
      clearSessionCookie(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/auth/sessions',
    {
      schema: {
        tags: TAG,
        summary: 'Your open sessions in this contact center',
        security,
        response: {
          200: z.object({
            sessions: z.array(z.object({ id: z.uuid(), kind: z.enum(['console', 'bearer']), current: z.boolean(), createdAt: z.iso.datetime(), lastActivityAt: z.iso.datetime(), expiresAt: z.iso.datetime(), locked: z.boolean(), userAgent: z.string().nullable() })),
          }),
          ...problemResponses(401, 403, 423),
        },
      },
    },
    async (request) => {
      const s = await authenticate(request, { activity: false });
      const rows = await db.withTenant(s.tenantId, (tx) =>
        tx
          .selectFrom('agent_sessions')
          .select(['id', 'kind', 'created_at', 'last_activity_at', 'expires_at', 'locked_at', 'user_agent'])
          .where('agent_id', '=', s.agentId)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', clock.now())
          .where('factor', '!=', 'password')
          .orderBy('created_at', 'desc')
          .limit(100)
          .execute(),
      );
      return {
        sessions: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          current: r.id === s.id,
          createdAt: r.created_at.toISOString(),
          lastActivityAt: r.last_activity_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
          locked: r.locked_at !== null,
          userAgent: r.user_agent,
        })),
      };
    },
  );

  app.post(
    '/v1/auth/sessions/:id/revoke',
    {
      schema: { tags: TAG, summary: 'Revoke one of your sessions', security, params: z.strictObject({ id: z.uuid() }), response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const s = await authenticate(request);
      const revoked = await db.withTenant(s.tenantId, async (tx) => {
        const own = await tx.selectFrom('agent_sessions').select('id').where('id', '=', request.params.id).where('agent_id', '=', s.agentId).executeTakeFirst();
        if (own === undefined) throw new AppError(AgentErrors.session_not_found);
        const ids = await sessions.revoke(tx, s.tenantId, { sessionIds: [own.id] }, 'self');
        if (ids.length > 0) await recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'agent.session.revoke', targets: { agent: s.agentId, session: own.id }, details: { reason: 'self' } }, clock.now());
        return ids;
      });
      await sessions.published({ tenantId: s.tenantId, sessionIds: revoked });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/lock',
    { schema: { tags: TAG, summary: 'Lock the session now ("lock now")', security, response: { 204: z.null(), ...problemResponses(401, 403) } } },
    async (request, reply) => {
      const s = await authenticate(request, { stage: 'session' });
      await sessions.lock(s, 'manual');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/presence',
    {
      schema: {
        tags: TAG,
        summary: 'Presence heartbeat from the agent desktop',
        description: 'Sent every few seconds with the webcam check result. Absence past the tenant limit, or more faces than allowed, locks the session. A heartbeat is not activity: it does not hold off the idle lock.',
        security,
        body: z.strictObject({ present: z.boolean(), faces: z.number().int().min(0).max(20) }),
        response: { 200: z.object({ locked: z.boolean(), lockReason: z.enum(['idle', 'presence', 'multiple_faces', 'manual']).nullable() }), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { stage: 'session' });
      const lock = (await sessions.judgeLocks(s)) ?? (await sessions.heartbeat(s, request.body));
      return { locked: lock !== null, lockReason: lock };
    },
  );

  app.get(
    '/v1/auth/data-access',
    {
      schema: {
        tags: TAG,
        summary: 'Whether you may open customer data now',
        description:
          'The same check every customer-data request passes first: complete sign-in, unlocked session, inside your shift (or overtime), valid security training and code-of-conduct acknowledgement. 200 when allowed; otherwise the problem that a data request would get.',
        security,
        response: { 200: z.object({ allowed: z.literal(true), shift: z.string(), shiftUntil: z.iso.datetime().nullable(), trainingValidUntil: z.iso.datetime().nullable() }), ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request);
      const verdict = await db.withTenant(s.tenantId, (tx) => assertDataAccess(tx, s, clock.now(), request.ip));
      return { allowed: true as const, shift: verdict.shift.reason, shiftUntil: verdict.shift.until?.toISOString() ?? null, trainingValidUntil: verdict.trainingValidUntil?.toISOString() ?? null };
    },
  );
}
