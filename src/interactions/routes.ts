/**
 * HTTP surface of interactions: schemas and handlers only; the rules and the authorization are in
 * service.ts. Every route takes either an agent session (agents, senior agents, supervisors) or a
 * service account's API key with the `interactions:write` scope (the telephony or chat platform).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticate, AuthenticateService } from '../agents/index.js';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { Vault } from '../vault/index.js';
import { flushTranscripts } from './messages.js';
import { CHANNELS, DIRECTIONS, EXTERNAL_REF_PATTERN, HANDLER_ROLES, type Interaction, PURPOSE_PATTERN, STATES } from './model.js';
import {
  actorOfApiKey,
  actorOfSession,
  assign,
  createInteraction,
  getInteractionFor,
  type InteractionActor,
  INTERACTIONS_SCOPE,
  linkCustomer,
  listInteractions,
  transfer,
  transition,
} from './service.js';

export interface InteractionRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  /** For the live transcripts an interaction leaving `active` ends (flushTranscripts). */
  readonly vault: Vault;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }, { apiKey: [] }];
const WHO = 'Agents and senior agents: interactions assigned to them. Supervisors: every interaction of the contact center. API keys with the `interactions:write` scope: every interaction.';

const interactionView = z
  .object({
    id: z.uuid(),
    channel: z.enum(CHANNELS),
    direction: z.enum(DIRECTIONS),
    state: z.enum(STATES),
    customerId: z.uuid().nullable(),
    assignedAgentId: z.uuid().nullable(),
    purpose: z.string().nullable(),
    externalRef: z.string().nullable(),
    verificationLevel: z.number().int().min(0).max(3).describe('The caller\'s assurance level: 0 none, 1 low, 2 substantial, 3 high.'),
    customerLinkTrusted: z.boolean().describe('Whether the customer link opens the customer\'s record for the handler: set by the platform, or by a supervisor for someone else (docs/access.md).'),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    wrapUpAt: z.iso.datetime().nullable(),
    closedAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Interaction' });

function view(i: Interaction): z.input<typeof interactionView> {
  return {
    id: i.id,
    channel: i.channel,
    direction: i.direction,
    state: i.state,
    customerId: i.customerId,
    assignedAgentId: i.assignedAgentId,
    purpose: i.purpose,
    externalRef: i.externalRef,
    verificationLevel: i.verificationLevel,
    customerLinkTrusted: i.customerLinkTrusted,
    createdAt: i.createdAt.toISOString(),
    startedAt: i.startedAt?.toISOString() ?? null,
    wrapUpAt: i.wrapUpAt?.toISOString() ?? null,
    closedAt: i.closedAt?.toISOString() ?? null,
    updatedAt: i.updatedAt.toISOString(),
  };
}

const params = z.strictObject({ id: z.uuid() });
const purposeSchema = z.string().max(32).regex(PURPOSE_PATTERN, 'a lowercase code such as billing').describe('Why the customer is in contact: a code such as `service`, `billing`, `sales`, `collections`, `fraud`.');
const externalRefSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(EXTERNAL_REF_PATTERN, 'printable ASCII without spaces')
  .describe("The platform's own id of the call, chat or email (API keys only; 1–128 printable ASCII characters, no spaces; no personal data such as a phone number). Unique per contact center: creating again with it returns the first interaction.");
const errors = problemResponses(400, 401, 403, 404, 409, 422, 423);

export function registerInteractionRoutes(app: HttpApp, deps: InteractionRouteDeps): void {
  const { db, clock, vault, authenticate, authenticateService } = deps;

  /**
   * The caller: an API key is told apart by its prefix (`cak_`); anything else must be an agent
   * session (cookie or bearer) of a role that handles interactions.
   */
  async function caller(request: FastifyRequest, options: { activity?: boolean } = {}): Promise<InteractionActor> {
    if (/^Bearer cak_/.test(request.headers.authorization ?? '')) return actorOfApiKey(await authenticateService(request, INTERACTIONS_SCOPE));
    return actorOfSession(await authenticate(request, { roles: HANDLER_ROLES, ...options }));
  }

  app.post(
    '/v1/interactions',
    {
      schema: {
        tags: ['interactions'],
        summary: 'Create an interaction (a call, chat or email)',
        description:
          "By the telephony or chat platform (API key) or by an agent. An agent's interaction is assigned to them (a supervisor may name another handler). `active` needs an assigned agent. `externalRef` is for API keys only: a repeated creation with it by the same key returns the first interaction, as it is now, instead of creating another (same 201, with the header `Idempotent-Replayed: true`), provided it is the same request; otherwise 409 `interactions.external_ref_conflict`.",
        security,
        body: z.strictObject({
          channel: z.enum(CHANNELS),
          direction: z.enum(DIRECTIONS),
          state: z.enum(['queued', 'active']).default('queued'),
          customerId: z.uuid().optional(),
          assignedAgentId: z.uuid().optional(),
          purpose: purposeSchema.optional(),
          externalRef: externalRefSchema.optional(),
        }),
        response: { 201: interactionView, ...errors },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      const { interaction, created } = await db.withTenant(actor.tenantId, (tx) => createInteraction(tx, { actor, input: request.body, now: clock.now() }));
      // A retry gets the answer the first attempt got (as with Stripe's idempotency keys), marked.
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(view(interaction));
    },
  );

  app.get(
    '/v1/interactions',
    {
      schema: {
        tags: ['interactions'],
        summary: 'List interactions, newest first',
        description: `${WHO} \`assignedTo\`: \`me\` (agent sessions) or an agent id (supervisors, API keys). Pages of \`limit\` (1–200, default 50); pass \`next\` as \`after\` for the following page.`,
        security,
        querystring: z.strictObject({
          state: z.enum(STATES).optional(),
          assignedTo: z.union([z.literal('me'), z.uuid()]).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          after: z.uuid().optional(),
        }),
        response: { 200: z.object({ interactions: z.array(interactionView), next: z.uuid().optional() }), ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request) => {
      const actor = await caller(request, { activity: false });
      const page = await db.withTenant(actor.tenantId, (tx) => listInteractions(tx, actor, request.query));
      return { interactions: page.interactions.map(view), ...(page.next === null ? {} : { next: page.next }) };
    },
  );

  app.get(
    '/v1/interactions/:id',
    { schema: { tags: ['interactions'], summary: 'One interaction', description: WHO, security, params, response: { 200: interactionView, ...problemResponses(400, 401, 403, 404, 423) } } },
    async (request) => {
      const actor = await caller(request, { activity: false });
      return view(await db.withTenant(actor.tenantId, (tx) => getInteractionFor(tx, actor, request.params.id)));
    },
  );

  app.post(
    '/v1/interactions/:id/state',
    {
      schema: {
        tags: ['interactions'],
        summary: 'Move an interaction to another state',
        description: `${WHO} queued → active → wrap_up → closed; queued → closed (abandoned); active → closed. Nothing leaves closed. Asking for the current state changes nothing. Moving to wrap_up or closed ends the live transcripts still holding text back (a final segment per speaker, redacted, as if the platform had sent it).`,
        security,
        params,
        body: z.strictObject({ state: z.enum(STATES) }),
        response: { 200: interactionView, ...errors },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const to = request.body.state;
      const now = clock.now();
      return view(
        await db.withTenant(actor.tenantId, async (tx) => {
          // Live transcripts end with the conversation; an invalid move rolls this back with it.
          if (to === 'wrap_up' || to === 'closed') await flushTranscripts(tx, { vault }, { actor, interactionId: request.params.id, now });
          return transition(tx, { actor, interactionId: request.params.id, to, now });
        }),
      );
    },
  );

  app.post(
    '/v1/interactions/:id/assign',
    {
      schema: {
        tags: ['interactions'],
        summary: 'Assign an interaction to an agent',
        description: 'Supervisors and API keys, while the interaction is queued or active, to an active agent, senior agent or supervisor of the contact center.',
        security,
        params,
        body: z.strictObject({ agentId: z.uuid() }),
        response: { 200: interactionView, ...errors },
      },
    },
    async (request) => {
      const actor = await caller(request);
      return view(await db.withTenant(actor.tenantId, (tx) => assign(tx, { actor, interactionId: request.params.id, agentId: request.body.agentId, now: clock.now() })));
    },
  );

  app.post(
    '/v1/interactions/:id/transfer',
    {
      schema: {
        tags: ['interactions'],
        summary: 'Transfer an interaction to another agent, another channel, or both',
        description: `${WHO} While queued or active. The interaction keeps its id, customer and verification level; the agent it leaves loses access through it at once.`,
        security,
        params,
        body: z
          .strictObject({ toAgentId: z.uuid().optional(), toChannel: z.enum(CHANNELS).optional() })
          .refine((b) => b.toAgentId !== undefined || b.toChannel !== undefined, { message: 'Name toAgentId, toChannel or both' }),
        response: { 200: interactionView, ...errors },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const { toAgentId, toChannel } = request.body;
      return view(await db.withTenant(actor.tenantId, (tx) => transfer(tx, { actor, interactionId: request.params.id, toAgentId, toChannel, now: clock.now() })));
    },
  );

  app.post(
    '/v1/interactions/:id/customer',
    {
      schema: {
        tags: ['interactions'],
        summary: 'Link an interaction to a customer',
        description: `${WHO} While queued or active, to a customer of the same contact center. Linking another customer than before resets the verification level to 0.`,
        security,
        params,
        body: z.strictObject({ customerId: z.uuid() }),
        response: { 200: interactionView, ...errors },
      },
    },
    async (request) => {
      const actor = await caller(request);
      return view(await db.withTenant(actor.tenantId, (tx) => linkCustomer(tx, { actor, interactionId: request.params.id, customerId: request.body.customerId, now: clock.now() })));
    },
  );
}
