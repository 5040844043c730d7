/**
 * HTTP surface of the question and document methods, registered by routes.ts next to the
 * session routes (same callers, same status view). Answers carry pass or fail and the status;
 * a challenge carries question texts only. Enrollment of static answers takes a service key with
 * `customers:write` (the customer's own channel: app, web, IVR self-service), never an agent, who
 * would otherwise hear or type the answers that later prove the customer is who they say.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticate, AuthenticateService } from '../../agents/index.js';
import type { InteractionActor } from '../../interactions/index.js';
import { type HttpApp, problemResponses } from '../../platform/http.js';
import { type DocumentMethod, NATIONAL_DOCUMENT_TYPES } from '../document-method.js';
import type { VerificationStatus } from '../service.js';
import { ANSWER_INPUT_MAX } from './normalize.js';
import { MAX_ENROLLED, QUESTION_METHODS, type QuestionMethods } from './service.js';
import { catalogueQuestionSchema } from './settings.js';

export interface MethodRouteDeps {
  readonly questions: QuestionMethods;
  readonly document: DocumentMethod;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
  readonly caller: (request: FastifyRequest) => Promise<InteractionActor>;
  readonly statusView: z.ZodType;
  readonly view: (s: VerificationStatus) => unknown;
}

const TAG = ['verification'];
const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }, { apiKey: [] }];
const WHO = 'The agent handling the interaction (or a supervisor), or an API key with the `verification:write` scope (the IVR).';
const params = z.strictObject({ id: z.uuid() });
const errors = problemResponses(400, 401, 403, 404, 409, 423, 429);

export function registerMethodRoutes(app: HttpApp, deps: MethodRouteDeps): void {
  const { questions, document, caller, statusView, view, authenticate, authenticateService } = deps;
  const checked = z.object({ passed: z.boolean(), status: statusView });

  app.post(
    '/v1/verifications/:id/questions',
    {
      schema: {
        tags: TAG,
        summary: 'Ask the caller security questions',
        description: `${WHO} \`questions_static\`: questions the customer chose and answered at enrollment; \`questions_dynamic\`: questions about the account (billing city, birth year, how long they have been a customer). The server chooses the questions at random and keeps what it expects; the answer has the texts to read out (in the session's language) and how many must be right. A session gets \`questions.attemptsPerSession\` sets per method (409 \`verification.questions_exhausted\`).`,
        security,
        params,
        body: z.strictObject({ method: z.enum(QUESTION_METHODS) }),
        response: {
          201: z.object({
            challengeId: z.uuid(),
            method: z.enum(QUESTION_METHODS),
            questions: z.array(z.object({ id: z.string(), text: z.string() })),
            required: z.number().int().min(1).describe('Answers that must be right to pass.'),
            expiresAt: z.iso.datetime(),
            attemptsLeft: z.number().int().min(0),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      const c = await questions.ask(actor, request.params.id, request.body.method);
      return reply.code(201).send({ challengeId: c.challengeId, method: c.method, questions: c.questions.map((q) => ({ id: q.id, text: q.text })), required: c.required, expiresAt: c.expiresAt.toISOString(), attemptsLeft: c.attemptsLeft });
    },
  );

  app.post(
    '/v1/verifications/:id/questions/answers',
    {
      schema: {
        tags: TAG,
        summary: 'Check what the caller answered',
        description: `${WHO} One answer per question id, as the caller said it (case, accents, punctuation and spacing do not matter; places and numbers are matched tolerantly). \`passed\` is for the whole set: never which answer was wrong. A failed set counts toward the customer's lockout; a set is answered once.`,
        security,
        params,
        body: z.strictObject({
          challengeId: z.uuid(),
          answers: z.array(z.strictObject({ id: z.string().max(8), answer: z.string().max(ANSWER_INPUT_MAX) })).max(10),
        }),
        response: { 200: checked, ...errors },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const result = await questions.answer(actor, request.params.id, request.body.challengeId, request.body.answers);
      return { passed: result.passed, status: view(result.status) };
    },
  );

  app.post(
    '/v1/verifications/:id/document',
    {
      schema: {
        tags: TAG,
        summary: "Check the caller's identity document against the one on file",
        description: `${WHO} Either \`number\` (with \`type\`, else the customer's \`document_type\` field, else any type it is valid as) or \`mrz\` (the machine-readable zone, lines separated by new lines; expiry is checked). It must pass its check digits and match the customer's document by blind index. \`passed\` only; a failure counts toward the lockout.`,
        security,
        params,
        body: z.union([
          z.strictObject({ number: z.string().min(1).max(64), type: z.enum(NATIONAL_DOCUMENT_TYPES).optional() }),
          z.strictObject({ mrz: z.string().min(1).max(200) }),
        ]),
        response: { 200: checked, ...errors },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const result = await document.check(actor, request.params.id, request.body);
      return { passed: result.passed, status: view(result.status) };
    },
  );

  app.get(
    '/v1/verification/questions/catalogue',
    {
      schema: {
        tags: TAG,
        summary: "This contact center's security questions to choose from",
        description: 'Any agent, or an API key with `customers:write` (the channel that enrolls answers).',
        security,
        response: { 200: z.object({ questions: z.array(catalogueQuestionSchema) }), ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const tenantId = /^Bearer cak_/.test(request.headers.authorization ?? '')
        ? (await authenticateService(request, 'customers:write')).tenantId
        : (await authenticate(request, { activity: false })).tenantId;
      return { questions: [...(await questions.catalogue(tenantId))] };
    },
  );

  app.put(
    '/v1/customers/:id/security-questions',
    {
      schema: {
        tags: TAG,
        summary: "Enroll the customer's answers to security questions",
        description:
          'An API key with `customers:write`: the customer\'s own channel (app, web, IVR self-service), never an agent. Replaces every answer enrolled before. At least `questions.minEnrolled` (default 3) and at most 10 questions of the catalogue, each once, with different answers of at least 2 letters or digits. Answers are normalized and stored only as Argon2id hashes; the ledger records the question ids.',
        security: [{ apiKey: [] }],
        params,
        body: z.strictObject({ answers: z.array(z.strictObject({ questionId: z.string().max(40), answer: z.string().min(1).max(ANSWER_INPUT_MAX) })).min(1).max(MAX_ENROLLED) }),
        response: { 200: z.object({ questionIds: z.array(z.string()), enrolledAt: z.iso.datetime() }), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const principal = await authenticateService(request, 'customers:write');
      const result = await questions.enroll(principal, request.params.id, request.body.answers);
      return { questionIds: result.questionIds, enrolledAt: result.enrolledAt.toISOString() };
    },
  );
}
