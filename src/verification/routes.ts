/**
 * HTTP surface of caller verification: schemas and handlers only; the rules are in service.ts.
 * Each route takes an agent session (agents, senior agents, supervisors handling the
 * interaction) or an API key with `verification:write` (the IVR, which verifies the caller before
 * an agent picks up). Responses carry pass or fail, the level and what is left: the response
 * schemas below have no member that could hold a code, a phone, an email or an expected answer.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticate, AuthenticateService } from '../agents/index.js';
import type { Database } from '../db/index.js';
import { actorOfApiKey, actorOfSession, HANDLER_ROLES, type InteractionActor } from '../interactions/index.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { METHOD_IDS } from './levels.js';
import { LOCK_RELEASE_REASONS, OTP_METHODS, releaseCustomerLock, VERIFICATION_SCOPE, type VerificationService, type VerificationStatus } from './service.js';
import { loadVerificationSettings, saveVerificationSettings, verificationSettingsSchema } from './settings.js';
import { LANGUAGES } from './templates.js';
import type { DocumentMethod } from './document-method.js';
import { registerMethodRoutes } from './questions/routes.js';
import type { QuestionMethods } from './questions/service.js';
import type { EventBus } from '../platform/events.js';
import type { Logger } from '../platform/logger.js';
import type { Vault } from '../vault/index.js';
import { type BiometricService, registerBiometricRoutes } from './biometrics/index.js';
import { registerRiskRoutes, type RiskEngine } from './risk/index.js';

export interface VerificationRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly service: VerificationService;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
  /** The question and document methods (setup.ts `methods`); their routes are left out without them. */
  readonly methods?: { readonly questions: QuestionMethods; readonly document: DocumentMethod } | undefined;
  /** The risk engine and biometrics (setup.ts `risk`, `biometrics`); their routes are left out without them. */
  readonly riskAndBiometrics?: { readonly vault: Vault; readonly bus: EventBus; readonly logger: Logger; readonly risk: RiskEngine; readonly biometrics: BiometricService } | undefined;
}

const TAG = ['verification'];
const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }, { apiKey: [] }];
const WHO = 'The agent handling the interaction (or a supervisor), or an API key with the `verification:write` scope (the IVR).';

const level = z.number().int().min(0).max(3);
const statusView = z
  .object({
    id: z.uuid(),
    interactionId: z.uuid(),
    customerId: z.uuid(),
    state: z.enum(['open', 'verified', 'locked', 'expired', 'cancelled']),
    level: level.describe('Assurance level reached: 0 none, 1 low, 2 substantial, 3 high (docs/verification.md).'),
    targetLevel: level,
    language: z.enum(LANGUAGES),
    expiresAt: z.iso.datetime(),
    methods: z.array(
      z.object({
        method: z.enum(METHOD_IDS),
        evidence: z.enum(['possession_phone', 'possession_email', 'knowledge', 'document', 'inherence']),
        label: z.string(),
        available: z.boolean(),
        passed: z.boolean(),
        failures: z.number().int().min(0),
      }),
    ),
    next: z.array(z.enum(METHOD_IDS)).describe('Methods that would raise the level, best first; empty once the target is reached.'),
    code: z
      .object({
        method: z.enum(OTP_METHODS),
        delivery: z.enum(['queued', 'sending', 'sent', 'failed', 'unknown']),
        expiresAt: z.iso.datetime(),
        attemptsLeft: z.number().int().min(0),
      })
      .nullable()
      .describe('The code in play: delivery and attempts left. Never the code, never where it went.'),
    lockedUntil: z.iso.datetime().nullable(),
  })
  .meta({ id: 'VerificationStatus' });

function view(s: VerificationStatus): z.input<typeof statusView> {
  return {
    id: s.id,
    interactionId: s.interactionId,
    customerId: s.customerId,
    state: s.state,
    level: s.level,
    targetLevel: s.targetLevel,
    language: s.language,
    expiresAt: s.expiresAt.toISOString(),
    methods: s.methods.map((m) => ({ method: m.method, evidence: m.evidence, label: m.label, available: m.available, passed: m.passed, failures: m.failures })),
    next: [...s.next],
    code: s.code === null ? null : { method: s.code.method, delivery: s.code.delivery, expiresAt: s.code.expiresAt.toISOString(), attemptsLeft: s.code.attemptsLeft },
    lockedUntil: s.lockedUntil?.toISOString() ?? null,
  };
}

const params = z.strictObject({ id: z.uuid() });
const errors = problemResponses(400, 401, 403, 404, 409, 423, 429);

export function registerVerificationRoutes(app: HttpApp, deps: VerificationRouteDeps): void {
  const { db, clock, service, authenticate, authenticateService } = deps;

  async function caller(request: FastifyRequest, options: { activity?: boolean } = {}): Promise<InteractionActor> {
    if (/^Bearer cak_/.test(request.headers.authorization ?? '')) return actorOfApiKey(await authenticateService(request, VERIFICATION_SCOPE));
    return actorOfSession(await authenticate(request, { roles: HANDLER_ROLES, ...options }));
  }

  app.post(
    '/v1/verifications',
    {
      schema: {
        tags: TAG,
        summary: 'Start verifying the caller of an interaction',
        description: `${WHO} The interaction must be queued or active and linked to a customer (\`customerId\`, when given, must be that customer). A level the interaction already has counts: a session whose target it meets starts verified. An open session of the interaction is cancelled.`,
        security,
        body: z.strictObject({
          interactionId: z.uuid(),
          customerId: z.uuid().optional(),
          targetLevel: z.number().int().min(1).max(3).optional().describe('Level to reach (default: the tenant setting, 2).'),
          language: z.enum(LANGUAGES).optional().describe('Language of the messages (default: the customer\'s preferred language, else the tenant\'s).'),
          callerNumber: z.string().min(3).max(32).optional().describe("The number the caller called from (the telephony platform's caller ID), for the risk engine. Only its blind index is kept."),
        }),
        response: { 201: statusView, ...errors },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      const { interactionId, customerId, targetLevel, language, callerNumber } = request.body;
      const status = await service.start(actor, { interactionId, customerId, targetLevel: targetLevel as 1 | 2 | 3 | undefined, language, callerNumber });
      return reply.code(201).send(view(status));
    },
  );

  app.get(
    '/v1/verifications/:id',
    { schema: { tags: TAG, summary: 'Status of a verification session: level, methods passed and left, code delivery', description: WHO, security, params, response: { 200: statusView, ...problemResponses(400, 401, 403, 404, 423) } } },
    async (request) => {
      const actor = await caller(request, { activity: false });
      return view(await service.status(actor, request.params.id));
    },
  );

  app.get(
    '/v1/verifications/:id/next',
    {
      schema: {
        tags: TAG,
        summary: 'The next method to use',
        description: `${WHO} The first of \`next\` in the status, with the level now and the target.`,
        security,
        params,
        response: { 200: z.object({ method: z.enum(METHOD_IDS).nullable(), level, targetLevel: level, remaining: z.array(z.enum(METHOD_IDS)) }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const actor = await caller(request, { activity: false });
      const status = await service.status(actor, request.params.id);
      return { method: status.next[0] ?? null, level: status.level, targetLevel: status.targetLevel, remaining: [...status.next] };
    },
  );

  app.post(
    '/v1/verifications/:id/codes',
    {
      schema: {
        tags: TAG,
        summary: 'Send a one-time code to the customer',
        description: `${WHO} By SMS, email or voice call, to the phone or email on the customer's record (never shown). A new code voids the previous one. Refused within the resend cooldown (429, \`Retry-After\`) and beyond the customer's hourly budget. The answer's \`code.delivery\` says how far sending got.`,
        security,
        params,
        body: z.strictObject({ method: z.enum(OTP_METHODS) }),
        response: { 202: statusView, ...errors },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      return reply.code(202).send(view(await service.sendCode(actor, request.params.id, request.body.method)));
    },
  );

  app.post(
    '/v1/verifications/:id/codes/check',
    {
      schema: {
        tags: TAG,
        summary: 'Check the code the caller read out',
        description: `${WHO} \`passed\` true or false, and the status. A wrong code uses one attempt (the last one voids the code) and counts toward the customer's lockout.`,
        security,
        params,
        body: z.strictObject({ code: z.string().min(1).max(32) }),
        response: { 200: z.object({ passed: z.boolean(), status: statusView }), ...errors },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const result = await service.checkCode(actor, request.params.id, request.body.code);
      return { passed: result.passed, status: view(result.status) };
    },
  );

  app.get(
    '/v1/verification/settings',
    { schema: { tags: TAG, summary: "This contact center's verification rules", security: [{ agentSession: [] }, { agentBearer: [] }], response: { 200: verificationSettingsSchema, ...problemResponses(401, 403, 423) } } },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer', 'tenant_admin', 'auditor'], activity: false });
      return db.withTenant(s.tenantId, (tx) => loadVerificationSettings(tx));
    },
  );

  app.put(
    '/v1/verification/settings',
    {
      schema: {
        tags: TAG,
        summary: "Set this contact center's verification rules",
        description: 'Members left out take their defaults (docs/verification.md). Templates must contain `{code}` and may use `{minutes}` and `{brand}`.',
        security: [{ agentSession: [] }, { agentBearer: [] }],
        body: verificationSettingsSchema,
        response: { 200: verificationSettingsSchema, ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer', 'tenant_admin'] });
      await db.withTenant(s.tenantId, (tx) => saveVerificationSettings(tx, s.tenantId, request.body, s.agentId, clock.now()));
      return request.body;
    },
  );

  app.post(
    '/v1/verification/locks/:customerId/release',
    {
      schema: {
        tags: TAG,
        summary: "Release a customer's verification lock early",
        description:
          'Security officers only, once the customer proved who they are another way. A reason code, and for `other` at least 10 characters of text (kept with the lock, not copied to the ledger). The failures before the release no longer count toward the next lock; sessions already locked stay locked. Recorded in the ledger (`verification.lockout.release`, the reason as its purpose). 409 `verification.not_locked` when no lock is in force; an unknown customer, or another contact center\'s, is 404 `customers.not_found`.',
        security: [{ agentSession: [] }, { agentBearer: [] }],
        params: z.strictObject({ customerId: z.uuid() }),
        body: z.strictObject({ reason: z.enum(LOCK_RELEASE_REASONS), text: z.string().max(500).optional() }),
        response: { 200: z.object({ customerId: z.uuid(), releasedAt: z.iso.datetime(), lockedUntil: z.iso.datetime().describe('When the lock would have ended by itself.') }), ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      const now = clock.now();
      const released = await db.withTenant(s.tenantId, (tx) => releaseCustomerLock(tx, { tenantId: s.tenantId, agentId: s.agentId, customerId: request.params.customerId, reason: request.body.reason, text: request.body.text, now }));
      return { customerId: request.params.customerId, releasedAt: now.toISOString(), lockedUntil: released.lockedUntil.toISOString() };
    },
  );

  const extra = deps.riskAndBiometrics;
  if (extra !== undefined) {
    registerRiskRoutes(app, { db, clock, vault: extra.vault, risk: extra.risk, authenticate, authenticateService });
    registerBiometricRoutes(app, { db, clock, bus: extra.bus, logger: extra.logger, biometrics: extra.biometrics, authenticate, authenticateService, statusView, viewStatus: view });
  }
  if (deps.methods !== undefined) registerMethodRoutes(app, { ...deps.methods, authenticate, authenticateService, caller: (request) => caller(request), statusView, view });
}
