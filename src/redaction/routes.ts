/**
 * HTTP surface of redaction: `POST /v1/redact` (agents and API keys with `redaction:use`), the
 * tenant's redaction policy (security officers and tenant administrators), and decryption of a
 * value the `encrypt` operator sealed (security officers, with a reason, in the ledger).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authenticate, AuthenticateService, Role } from '../agents/index.js';
import type { Database, Tx } from '../db/index.js';
import type { LedgerEntryInput } from '../ledger/entry.js';
import { recordEntry } from '../ledger/record.js';
import type { Clock } from '../platform/clock.js';
import { AppError, isAppError } from '../platform/errors.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { newId } from '../platform/ids.js';
import type { Vault } from '../vault/index.js';
import { redact } from './redact.js';
import { activeRedactionSettings, applyOverride, OPERATOR_KINDS, redactionOverrideSchema, saveRedactionSettings, type TenantRedactionSettings } from './policy-store.js';
import { RedactionApiErrors } from './routes-errors.js';
import { ENTITY_TYPES, type EntityType, LANGUAGES } from './types.js';
import { createVaultBackend, decryptValue } from './vault-backend.js';

export interface RedactionRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
}

/** Largest text POST /v1/redact takes, in bytes of UTF-8. */
export const MAX_REDACT_BYTES = 1_048_576;
/** Route body limit: the text's JSON escaping may take several bytes per character. */
const REDACT_BODY_LIMIT = 8 * 1_048_576;

const POLICY_ROLES: readonly Role[] = ['security_officer', 'tenant_admin'];
const DECRYPT_REASONS = ['customer_request', 'data_subject_request', 'legal_request', 'fraud_investigation', 'incident', 'quality_review'] as const;

const sessionSecurity: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const anySecurity: { [scheme: string]: string[] }[] = [...sessionSecurity, { apiKey: [] }];

const countsSchema = z.record(z.string(), z.number().int()).describe('How many values of each entity type were replaced.');
const spanSchema = z.object({
  type: z.enum(ENTITY_TYPES as unknown as [EntityType, ...EntityType[]]),
  operator: z.enum(OPERATOR_KINDS),
  start: z.number().int().describe('Offset in the input text (UTF-16 code units).'),
  end: z.number().int(),
  outputStart: z.number().int().describe('Offset of the replacement in the output text.'),
  outputEnd: z.number().int(),
  rule: z.string().describe('The detector rule that fired, e.g. `card:iin+luhn`.'),
  confidence: z.number(),
});

const settingsView = z.object({
  version: z.number().int().describe("1 is Custodia's built-in default (every value becomes its type tag)."),
  policy: z.record(z.string(), z.unknown()).describe('`operators` per entity type, `defaultOperator`, optional `minConfidence` (docs/redaction.md).'),
  allowedOverrides: z.array(z.enum(OPERATOR_KINDS)).describe('Operators a caller of POST /v1/redact may ask for instead of the policy\'s.'),
});

function settingsBody(version: number, s: TenantRedactionSettings): z.input<typeof settingsView> {
  return { version, policy: JSON.parse(JSON.stringify(s.policy)) as Record<string, unknown>, allowedOverrides: [...s.allowedOverrides] };
}

/** Counts as ledger details: snake_case keys (`card_number: 2`), integers only, never values. */
export function countDetails(counts: Partial<Record<EntityType, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([type, n]) => [type.toLowerCase(), n ?? 0]));
}

type Caller = { readonly tenantId: string; readonly ledgerActor: LedgerEntryInput['actor'] };

export function registerRedactionRoutes(app: HttpApp, deps: RedactionRouteDeps): void {
  const { db, clock, vault, authenticate, authenticateService } = deps;

  async function caller(request: FastifyRequest): Promise<Caller> {
    if (/^Bearer cak_/.test(request.headers.authorization ?? '')) {
      const p = await authenticateService(request, 'redaction:use');
      return { tenantId: p.tenantId, ledgerActor: { type: 'service', id: p.keyId } };
    }
    const s = await authenticate(request);
    return { tenantId: s.tenantId, ledgerActor: { type: 'agent', id: s.agentId } };
  }

  app.post(
    '/v1/redact',
    {
      bodyLimit: REDACT_BODY_LIMIT,
      schema: {
        tags: ['redaction'],
        summary: "Redact personal data in a text with the contact center's policy",
        description:
          'Agents, and API keys with the `redaction:use` scope. At most 1 MiB of UTF-8 text (413 `redaction.text_too_large` above). `policy` overrides the contact center\'s policy for this request, with only the operators its `allowedOverrides` lists (403 `redaction.override_not_allowed` otherwise); `minConfidence` may only be lowered. `explain: true` adds the spans replaced (type, operator, offsets, rule, confidence), never the values. The ledger records the counts per type, never the text.',
        security: anySecurity,
        body: z.strictObject({
          text: z.string().max(4 * 1_048_576),
          language: z.enum(LANGUAGES as unknown as ['es', 'pt', 'en']).optional().describe('es, pt or en; detected from the text when absent.'),
          policy: redactionOverrideSchema.optional(),
          explain: z.boolean().default(false),
        }),
        response: {
          200: z.object({ text: z.string(), language: z.enum(['es', 'pt', 'en']), policyVersion: z.number().int(), counts: countsSchema, spans: z.array(spanSchema).optional() }),
          ...problemResponses(400, 401, 403, 413, 423),
        },
      },
    },
    async (request) => {
      const who = await caller(request);
      const { text, language, policy: override, explain } = request.body;
      if (Buffer.byteLength(text, 'utf8') > MAX_REDACT_BYTES) {
        throw new AppError(RedactionApiErrors.text_too_large, { detail: `The text may have at most ${MAX_REDACT_BYTES} bytes of UTF-8; split it, or use \`custodia redact\` for files`, details: { maxBytes: MAX_REDACT_BYTES } });
      }
      const now = clock.now();
      return db.withTenant(who.tenantId, async (tx) => {
        const { version, settings } = await activeRedactionSettings(tx, who.tenantId);
        const policy = applyOverride(settings, override);
        const backend = await createVaultBackend(tx, policy, { vault, tenantId: who.tenantId });
        let result;
        try {
          result = await redact(text, { policy, backend, ...(language === undefined ? {} : { language }) });
        } finally {
          backend.close();
        }
        await recordEntry(
          tx,
          who.tenantId,
          {
            actor: who.ledgerActor,
            action: 'redaction.redact',
            requestId: request.id,
            details: { policyVersion: version, overridden: override !== undefined, language: result.language, chars: text.length, ...countDetails(result.counts) },
          },
          now,
        );
        return {
          text: result.text,
          language: result.language,
          policyVersion: version,
          counts: { ...result.counts } as Record<string, number>,
          ...(explain ? { spans: result.replacements.map((r) => ({ type: r.type, operator: r.operator, start: r.start, end: r.end, outputStart: r.outputStart, outputEnd: r.outputEnd, rule: r.rule, confidence: r.confidence })) } : {}),
        };
      });
    },
  );

  app.get(
    '/v1/redaction/policy',
    {
      schema: {
        tags: ['redaction'],
        summary: 'The redaction policy in force',
        description: 'Security officers and tenant administrators.',
        security: sessionSecurity,
        response: { 200: settingsView, ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: POLICY_ROLES, activity: false });
      const { version, settings } = await db.withTenant(s.tenantId, (tx) => activeRedactionSettings(tx, s.tenantId));
      return settingsBody(version, settings);
    },
  );

  app.put(
    '/v1/redaction/policy',
    {
      schema: {
        tags: ['redaction'],
        summary: 'Save a new version of the redaction policy',
        description:
          'Security officers and tenant administrators. Applies to messages posted to interactions from then on, and to POST /v1/redact. Refused with every problem and its path (400 `redaction.invalid_policy`): besides the schema, CARD_CVV can never be `encrypt` (PCI DSS 3.3.1.2) and a card number keeps at most its last 4 digits. Every version is kept; the change is in the ledger with its digest.',
        security: sessionSecurity,
        body: z.strictObject({
          policy: z.record(z.string(), z.unknown()).describe('`{ operators: { CARD_NUMBER: { kind: "tokenize" }, ... }, defaultOperator: { kind: "tag" }, minConfidence?: 0.6 }`'),
          allowedOverrides: z.array(z.enum(OPERATOR_KINDS)).max(OPERATOR_KINDS.length).default(['redact', 'tag']),
        }),
        response: { 200: settingsView, ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: POLICY_ROLES });
      const saved = await db.withTenant(s.tenantId, (tx) => saveRedactionSettings(tx, { tenantId: s.tenantId, document: request.body, by: s.agentId, now: clock.now() }));
      return settingsBody(saved.version, saved.settings);
    },
  );

  app.post(
    '/v1/redaction/decrypt',
    {
      schema: {
        tags: ['redaction'],
        summary: 'Decrypt one value the encrypt operator sealed',
        description:
          'Security officers only, with a reason code and a written justification (10–1000 characters, kept by Custodia, not copied to the ledger). `value` is one `<TYPE:enc:…>` as it appears in redacted text. Every use is in the ledger (`redaction.decrypt`, with the reason as its purpose). Anything that does not open in this contact center (malformed, altered, another contact center\'s, shredded) is 404 `redaction.not_decryptable`, and the attempt is in the ledger too (`redaction.decrypt.refused`).',
        security: sessionSecurity,
        body: z.strictObject({ value: z.string().min(1).max(8192), reason: z.enum(DECRYPT_REASONS), justification: z.string().trim().min(10).max(1000) }),
        response: { 200: z.object({ type: z.string(), value: z.string(), interactionId: z.uuid().nullable() }), ...problemResponses(400, 401, 403, 404, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      const now = clock.now();
      const refused = async (error: unknown): Promise<never> => {
        // A value that does not open (altered, another contact center's, shredded) may be someone
        // probing: the attempt is recorded on its own, since the request's transaction rolled back.
        if (isAppError(error) && error.code === 'redaction.not_decryptable') {
          await db.withTenant(s.tenantId, (tx) =>
            recordEntry(tx, s.tenantId, { actor: { type: 'agent', id: s.agentId }, action: 'redaction.decrypt.refused', targets: {}, purpose: request.body.reason, requestId: request.id, details: { cause: 'not_decryptable' } }, now),
          );
        }
        throw error;
      };
      return db.withTenant(s.tenantId, async (tx: Tx) => {
        const opened = await decryptValue(tx, vault, s.tenantId, request.body.value);
        const id = newId();
        await tx
          .withTables<DecryptionTables>()
          .insertInto('redaction_decryptions')
          .values({ id, tenant_id: s.tenantId, agent_id: s.agentId, reason: request.body.reason, justification: request.body.justification, entity_type: opened.type, interaction_id: opened.interactionId ?? null, created_at: now })
          .execute();
        await recordEntry(
          tx,
          s.tenantId,
          {
            actor: { type: 'agent', id: s.agentId },
            action: 'redaction.decrypt',
            targets: { decryption: id, ...(opened.interactionId === undefined ? {} : { interaction: opened.interactionId }) },
            purpose: request.body.reason,
            requestId: request.id,
            details: { entityType: opened.type.toLowerCase(), justificationLength: request.body.justification.length },
          },
          now,
        );
        return { type: opened.type, value: opened.value, interactionId: opened.interactionId ?? null };
      }).catch(refused);
    },
  );
}

interface RedactionDecryptionsTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  reason: string;
  justification: string;
  entity_type: string;
  interaction_id: string | null;
  created_at: Date;
}
type DecryptionTables = { redaction_decryptions: RedactionDecryptionsTable };
