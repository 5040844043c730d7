/**
 * HTTP surface of biometric verification: consent, enrollment, verification in a session, and
 * deletion. Schemas and handlers only; the rules are in service.ts. No response carries a
 * template, an embedding or a score: the agent sees pass or fail, as for every method.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { announceAlert } from '../../agents/alerts.js';
import type { Authenticate, AuthenticateService } from '../../agents/index.js';
import type { Database } from '../../db/index.js';
import { actorOfApiKey, actorOfSession, HANDLER_ROLES, type InteractionActor } from '../../interactions/index.js';
import type { Clock } from '../../platform/clock.js';
import type { EventBus } from '../../platform/events.js';
import { type HttpApp, problemResponses } from '../../platform/http.js';
import type { Logger } from '../../platform/logger.js';
import { VERIFICATION_SCOPE, type VerificationStatus } from '../service.js';
import { MODALITIES } from './provider.js';
import { MAX_DIMENSIONS, MIN_DIMENSIONS } from './reference.js';
import type { BiometricService, Consent, Enrollment } from './service.js';

export interface BiometricRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly biometrics: BiometricService;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
  /** The verification status schema and its view (routes.ts), so answers match the other methods'. */
  readonly statusView: z.ZodType;
  readonly viewStatus: (status: VerificationStatus) => unknown;
}

const TAG = ['verification'];
const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }, { apiKey: [] }];
const WHO = 'The agent handling the interaction (or a supervisor), or an API key with the `verification:write` scope.';

const embedding = z.array(z.number()).min(MIN_DIMENSIONS).max(MAX_DIMENSIONS).describe('The embedding computed by the capture side\'s model (float vector).');
const consentView = z
  .object({ id: z.uuid(), customerId: z.uuid(), modality: z.enum(MODALITIES), purpose: z.string(), textVersion: z.string(), givenAt: z.iso.datetime(), withdrawnAt: z.iso.datetime().nullable() })
  .meta({ id: 'BiometricConsent' });
const enrollmentView = z.object({ id: z.uuid(), customerId: z.uuid(), modality: z.enum(MODALITIES), consentId: z.uuid(), provider: z.string(), createdAt: z.iso.datetime() }).meta({ id: 'BiometricEnrollment' });

const consentOut = (c: Consent) => ({ ...c, givenAt: c.givenAt.toISOString(), withdrawnAt: c.withdrawnAt?.toISOString() ?? null });
const enrollmentOut = (e: Enrollment) => ({ ...e, createdAt: e.createdAt.toISOString() });

export function registerBiometricRoutes(app: HttpApp, deps: BiometricRouteDeps): void {
  const { db, clock, bus, logger, biometrics, authenticate, authenticateService } = deps;

  async function caller(request: FastifyRequest): Promise<InteractionActor> {
    if (/^Bearer cak_/.test(request.headers.authorization ?? '')) return actorOfApiKey(await authenticateService(request, VERIFICATION_SCOPE));
    return actorOfSession(await authenticate(request, { roles: HANDLER_ROLES }));
  }

  app.post(
    '/v1/verification/biometrics/consents',
    {
      schema: {
        tags: TAG,
        summary: "Record the customer's explicit consent to biometric enrollment",
        description: `${WHO} For the customer linked to the interaction (queued or active): the modality, the purpose and the version of the consent text read to them. Recorded in the ledger (\`verification.biometric.consent\`). Nothing is enrolled without it.`,
        security,
        body: z.strictObject({
          interactionId: z.uuid(),
          modality: z.enum(MODALITIES),
          purpose: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a purpose code such as caller_verification'),
          textVersion: z
            .string()
            .regex(/^[A-Za-z0-9._-]{1,32}$/, 'a version label such as v2 or 2026-11')
            .refine((v) => !/[0-9]{8}/.test(v), 'at most 7 digits in a row'),
        }),
        response: { 201: consentView, ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      const consent = await db.withTenant(actor.tenantId, (tx) => biometrics.recordConsent(tx, { actor, ...request.body, now: clock.now() }));
      return reply.code(201).send(consentOut(consent));
    },
  );

  app.post(
    '/v1/verification/biometrics/consents/:id/withdraw',
    {
      schema: {
        tags: TAG,
        summary: 'Withdraw a biometric consent (deletes the enrollments made under it)',
        description: `${WHO} The consent must be of the interaction's customer. Its enrollments are deleted and their keys shredded. Recorded in the ledger (\`verification.biometric.consent_withdraw\`).`,
        security,
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ interactionId: z.uuid() }),
        response: { 200: z.object({ consent: consentView, enrollmentsDeleted: z.number().int().min(0) }), ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const r = await db.withTenant(actor.tenantId, (tx) => biometrics.withdrawConsent(tx, { actor, interactionId: request.body.interactionId, consentId: request.params.id, now: clock.now() }));
      return { consent: consentOut(r.consent), enrollmentsDeleted: r.enrollmentsDeleted };
    },
  );

  app.post(
    '/v1/verification/biometrics/enrollments',
    {
      schema: {
        tags: TAG,
        summary: "Enroll the interaction's customer (face or voice)",
        description: `${WHO} Under \`consentId\`: the customer's consent for this modality, not withdrawn (409 \`verification.biometric_consent_required\` otherwise). The template is stored only as vault ciphertext; a previous enrollment of the modality is replaced and its key shredded.`,
        security,
        body: z.strictObject({ interactionId: z.uuid(), consentId: z.uuid(), modality: z.enum(MODALITIES), embedding }),
        response: { 201: enrollmentView, ...problemResponses(400, 401, 403, 404, 409, 423) },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      const { interactionId, consentId, modality, embedding: values } = request.body;
      const e = await db.withTenant(actor.tenantId, (tx) => biometrics.enroll(tx, { actor, interactionId, consentId, sample: { modality, embedding: values }, now: clock.now() }));
      return reply.code(201).send(enrollmentOut(e));
    },
  );

  app.delete(
    '/v1/verification/biometrics/enrollments/:id',
    {
      schema: {
        tags: TAG,
        summary: 'Delete a biometric enrollment (security officers)',
        description: 'Deletes the enrollment and shreds its data key: the template cannot be decrypted from any copy. Recorded in the ledger (`verification.biometric.delete`).',
        security: [{ agentSession: [] }, { agentBearer: [] }],
        params: z.strictObject({ id: z.uuid() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      await db.withTenant(s.tenantId, (tx) => biometrics.deleteEnrollment(tx, { tenantId: s.tenantId, agentId: s.agentId, enrollmentId: request.params.id, now: clock.now() }));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/verifications/:id/biometrics',
    {
      schema: {
        tags: TAG,
        summary: "Verify the caller's face or voice",
        description: `${WHO} Compares the sample with the customer's enrollment; \`passed\` true or false and the status (methods \`biometric_face\`, \`biometric_voice\`). A failure counts toward the customer's lockout.`,
        security,
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ modality: z.enum(MODALITIES), embedding }),
        response: { 200: z.object({ passed: z.boolean(), status: deps.statusView }), ...problemResponses(400, 401, 403, 404, 409, 423, 429) },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const { modality, embedding: values } = request.body;
      const r = await db.withTenant(actor.tenantId, (tx) => biometrics.verify(tx, { actor, sessionId: request.params.id, sample: { modality, embedding: values }, now: clock.now() }));
      if (r.alert !== undefined) {
        await announceAlert(bus, logger, r.alert);
      }
      return { passed: r.passed, status: deps.viewStatus(r.status) };
    },
  );
}
