/**
 * HTTP surface of interaction messages: schemas and handlers only; redaction, storage and the
 * authorization are in messages.ts. The telephony or chat platform (an API key with
 * `interactions:write`) and the agent handling the interaction post; the same read them back,
 * redacted: nothing else was stored.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticate, AuthenticateService } from '../agents/index.js';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { Vault } from '../vault/index.js';
import { listMessages, MAX_MESSAGE_CHARS, MAX_SUBJECT_CHARS, type Message, postMessage, SENDERS, SPEAKER_PATTERN } from './messages.js';
import { HANDLER_ROLES } from './model.js';
import { actorOfApiKey, actorOfSession, type InteractionActor, INTERACTIONS_SCOPE } from './service.js';

export interface MessageRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }, { apiKey: [] }];
/** Message bodies: 256 Ki characters of text may take several bytes each once escaped in JSON. */
const BODY_LIMIT = 4 * 1_048_576;

const language = z.enum(['es', 'pt', 'en']).optional().describe('es, pt or en; detected from the text when absent (for a transcript: fixed by its first segment).');
const text = z.string().max(MAX_MESSAGE_CHARS);
const sender = z.enum(SENDERS);

const newMessage = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('chat'), sender, text, language }),
  z.strictObject({ kind: z.literal('email'), sender, subject: z.string().max(MAX_SUBJECT_CHARS).optional(), text: text.describe('The body, as plain text.'), language }),
  z.strictObject({
    kind: z.literal('transcript'),
    speaker: z.string().regex(SPEAKER_PATTERN, 'a label such as customer, agent or spk_1').describe('A label, never a name: `customer`, `agent`, `spk_1`.'),
    startMs: z.number().int().min(0).max(2_147_483_647).optional(),
    endMs: z.number().int().min(0).max(2_147_483_647).optional(),
    final: z.boolean().default(false).describe("The speaker's last segment: releases the text held back from earlier segments."),
    text,
    language,
  }),
]);

const messageView = z
  .object({
    id: z.uuid(),
    interactionId: z.uuid(),
    kind: z.enum(['chat', 'email', 'transcript']),
    sender: sender.nullable(),
    speaker: z.string().nullable(),
    startMs: z.number().int().nullable(),
    endMs: z.number().int().nullable(),
    final: z.boolean().nullable(),
    subject: z.string().nullable().describe('Redacted.'),
    text: z.string().describe("Redacted. For a transcript segment: what the speaker's stream released when it arrived (see docs/interactions.md)."),
    language: z.enum(['es', 'pt', 'en']),
    policyVersion: z.number().int(),
    redactions: z.record(z.string(), z.number().int()).describe('Values replaced, per entity type.'),
    actor: z.object({ type: z.enum(['agent', 'service']), id: z.uuid() }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'InteractionMessage' });

function view(m: Message): z.input<typeof messageView> {
  return { ...m, redactions: { ...m.redactions } as Record<string, number>, actor: { ...m.actor }, createdAt: m.createdAt.toISOString() };
}

export function registerMessageRoutes(app: HttpApp, deps: MessageRouteDeps): void {
  const { db, clock, vault, authenticate, authenticateService } = deps;

  async function caller(request: FastifyRequest): Promise<InteractionActor> {
    if (/^Bearer cak_/.test(request.headers.authorization ?? '')) return actorOfApiKey(await authenticateService(request, INTERACTIONS_SCOPE));
    return actorOfSession(await authenticate(request, { roles: HANDLER_ROLES }));
  }

  const params = z.strictObject({ id: z.uuid() });

  app.post(
    '/v1/interactions/:id/messages',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['interactions'],
        summary: 'Post a chat message, an email or a transcript segment (redacted before it is stored)',
        description:
          "By the telephony or chat platform (API key with `interactions:write`), the agent handling the interaction, or a supervisor. The text (and an email's subject) is redacted with the contact center's redaction policy before it is stored, logged or returned: the answer is the stored message. Transcript segments of one speaker form a stream: the end of a segment that could continue in the next (a card number read across two segments) is held back, sealed by the vault, and released with the next segment of that speaker or with `final: true`. One ledger entry per message, with the counts per entity type.",
        security,
        params,
        body: newMessage,
        response: { 201: messageView, ...problemResponses(400, 401, 403, 404, 413, 423) },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      const message = await db.withTenant(actor.tenantId, (tx) => postMessage(tx, { vault }, { actor, interactionId: request.params.id, message: request.body, now: clock.now() }));
      return reply.code(201).send(view(message));
    },
  );

  app.get(
    '/v1/interactions/:id/messages',
    {
      schema: {
        tags: ['interactions'],
        summary: "An interaction's messages, oldest first (redacted: nothing else is stored)",
        description: 'The same callers as for posting. Pages of `limit` (1–500, default 100); pass `next` as `after` for the following page.',
        security,
        params,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100), after: z.uuid().optional() }),
        response: { 200: z.object({ messages: z.array(messageView), next: z.uuid().nullable() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const actor = await caller(request);
      const page = await db.withTenant(actor.tenantId, (tx) => listMessages(tx, { actor, interactionId: request.params.id, after: request.query.after, limit: request.query.limit }));
      return { messages: page.messages.map(view), next: page.next };
    },
  );
}
