/**
 * HTTP surface of customer profiles: the field schema (agent sessions: tenant administrators
 * change it; supervisors and security officers read it) and the service-account API (API keys:
 * create and update customers with `customers:write`, search with `customers:read`). Reading a
 * customer's values is not here: the access layer does it, under its policies.
 *
 * Search terms travel in request bodies, never in URLs (which end up in logs and proxies).
 */
import { z } from 'zod';
import type { Authenticate, AuthenticateService } from '../agents/index.js';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { Vault } from '../vault/index.js';
import type { CustomerActor } from './audit.js';
import { ensureFieldSchema, replaceFieldSchema } from './field-schema.js';
import { FIELD_CLASSES, FIELD_TYPES, fieldDefinitionSchema, fieldKeySchema, MAX_FIELDS } from './fields.js';
import { confirmFields, createCustomer, type CustomerDeps, type CustomerQuery, findCustomers, MAX_SEARCH_RESULTS, updateCustomerFields } from './service.js';

export interface CustomerRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  /** The configured CUSTODIA_DEFAULT_PHONE_COUNTRY (already validated by the config schema). */
  readonly defaultPhoneCountry?: string | undefined;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
}

const agentSecurity: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const serviceSecurity: { [scheme: string]: string[] }[] = [{ apiKey: [] }];

const definitionView = z.object({
  key: z.string(),
  label: z.string(),
  type: z.enum(FIELD_TYPES),
  class: z.enum(FIELD_CLASSES),
  purpose: z.string(),
  retentionDays: z.number().int(),
  searchable: z.boolean(),
});
const schemaView = z.object({ version: z.number().int(), fields: z.array(definitionView) });

/**
 * One field value as a client sends it; its type's rules are checked by the service, which names
 * the field and the reason without repeating the value. An address is an object (or JSON text).
 */
const fieldValue = z.union([z.string().max(4096), z.number(), z.record(z.string().max(32), z.string().max(800).nullable()), z.null()]);
const fieldsInput = z
  .record(z.string().max(64), fieldValue)
  .refine((f) => Object.keys(f).length <= MAX_FIELDS, `at most ${MAX_FIELDS} fields`)
  .describe('Field key → value. On create, null means no value; on update, null clears the field.');

const keyList = z.array(z.string()).describe('Field keys.');

function actorOf(type: 'agent' | 'service', id: string, requestId: string): CustomerActor {
  return { type, id, requestId };
}

export function registerCustomerRoutes(app: HttpApp, deps: CustomerRouteDeps): void {
  const { db, clock, authenticate, authenticateService } = deps;
  const service: CustomerDeps = { vault: deps.vault, defaultPhoneCountry: deps.defaultPhoneCountry };

  app.get(
    '/v1/customers/schema',
    {
      schema: {
        tags: ['customers'],
        summary: "The contact center's customer field schema",
        description: 'Tenant administrators, security officers and supervisors. A contact center without a schema gets the default one (created now, recorded in the ledger).',
        security: agentSecurity,
        response: { 200: schemaView, ...problemResponses(401, 403, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['tenant_admin', 'security_officer', 'supervisor'] });
      const schema = await db.withTenant(s.tenantId, (tx) => ensureFieldSchema(tx, s.tenantId, clock.now()));
      return { version: schema.version, fields: [...schema.fields] };
    },
  );

  app.put(
    '/v1/customers/schema',
    {
      schema: {
        tags: ['customers'],
        summary: 'Replace the customer field schema',
        description:
          'Tenant administrators. `fields` is the complete schema, in display order: fields left out are removed. A field with values cannot be removed or change type, class or searchability (409 `customers.field_in_use`). With `expectedVersion`, refused (409 `customers.schema_conflict`) when the schema changed since it was read. Each change is recorded in the ledger.',
        security: agentSecurity,
        body: z.strictObject({ fields: z.array(fieldDefinitionSchema).max(MAX_FIELDS), expectedVersion: z.number().int().min(0).max(2_147_483_647).optional() }),
        response: { 200: schemaView.extend({ changes: z.object({ added: keyList, changed: keyList, removed: keyList }) }), ...problemResponses(400, 401, 403, 409, 423) },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['tenant_admin'] });
      const result = await db.withTenant(s.tenantId, (tx) =>
        replaceFieldSchema(tx, s.tenantId, request.body.fields, actorOf('agent', s.agentId, request.id), clock.now(), { expectedVersion: request.body.expectedVersion }),
      );
      return { version: result.version, fields: [...result.fields], changes: { added: [...result.changes.added], changed: [...result.changes.changed], removed: [...result.changes.removed] } };
    },
  );

  app.post(
    '/v1/customers',
    {
      schema: {
        tags: ['customers'],
        summary: 'Create a customer',
        description:
          'API key with `customers:write`. Values are checked and normalized by their field type; confidential and higher classes are stored only encrypted; a card number given for a `card_token` field is replaced by a token. `confirmed: true` says the customer gave these values just now (data freshness).',
        security: serviceSecurity,
        body: z.strictObject({ customerNumber: z.string().max(128), fields: fieldsInput.default({}), confirmed: z.boolean().optional() }),
        response: { 201: z.object({ id: z.uuid(), set: keyList }), ...problemResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const p = await authenticateService(request, 'customers:write');
      const created = await db.withTenant(p.tenantId, (tx) =>
        createCustomer(tx, service, p.tenantId, { customerNumber: request.body.customerNumber, fields: request.body.fields, confirmed: request.body.confirmed === true }, actorOf('service', p.keyId, request.id), clock.now()),
      );
      return reply.code(201).send({ id: created.id, set: [...created.set] });
    },
  );

  app.patch(
    '/v1/customers/:id',
    {
      schema: {
        tags: ['customers'],
        summary: "Change a customer's fields",
        description:
          'API key with `customers:write`. `fields`: values to set (null clears a field); `confirmed: true` marks the values set here as confirmed by the customer now; `confirm`: fields whose current values the customer confirmed. A customer of another contact center is 404, like an unknown one.',
        security: serviceSecurity,
        params: z.strictObject({ id: z.uuid() }),
        body: z
          .strictObject({ fields: fieldsInput.optional(), confirmed: z.boolean().optional(), confirm: z.array(fieldKeySchema).max(MAX_FIELDS).optional() })
          .refine((b) => Object.keys(b.fields ?? {}).length > 0 || (b.confirm ?? []).length > 0, { message: 'give fields to change or fields to confirm', path: [] }),
        response: { 200: z.object({ id: z.uuid(), set: keyList, cleared: keyList, confirmed: keyList }), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const p = await authenticateService(request, 'customers:write');
      const { id } = request.params;
      const actor = actorOf('service', p.keyId, request.id);
      return db.withTenant(p.tenantId, async (tx) => {
        const now = clock.now();
        const fields = request.body.fields ?? {};
        const changes =
          Object.keys(fields).length > 0 ? await updateCustomerFields(tx, service, p.tenantId, id, fields, actor, now, { confirmed: request.body.confirmed === true }) : { set: [], cleared: [] };
        const confirm = request.body.confirm ?? [];
        const confirmed = confirm.length > 0 ? await confirmFields(tx, p.tenantId, id, confirm, actor, now) : [];
        return { id, set: [...changes.set], cleared: [...changes.cleared], confirmed: [...confirmed] };
      });
    },
  );

  app.post(
    '/v1/customers/search',
    {
      schema: {
        tags: ['customers'],
        summary: 'Find customers by customer number, phone, email or document',
        description: `API key with \`customers:read\`. Exactly one term. Phone, email and document are looked up through blind indexes of the searchable fields, never decrypting in bulk. Answers ids only, sorted, at most ${MAX_SEARCH_RESULTS}; an empty list when nothing matches.`,
        security: serviceSecurity,
        body: z
          .strictObject({ customerNumber: z.string().max(128).optional(), phone: z.string().max(64).optional(), email: z.string().max(1016).optional(), document: z.string().max(64).optional() })
          .refine((b) => Object.values(b).filter((v) => v !== undefined).length === 1, { message: 'give exactly one of customerNumber, phone, email, document', path: [] }),
        response: { 200: z.object({ ids: z.array(z.uuid()) }), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const p = await authenticateService(request, 'customers:read');
      const b = request.body;
      const query: CustomerQuery =
        b.customerNumber !== undefined ? { customerNumber: b.customerNumber } : b.phone !== undefined ? { phone: b.phone } : b.email !== undefined ? { email: b.email } : { document: b.document ?? '' };
      const ids = await db.withTenant(p.tenantId, (tx) => findCustomers(tx, service, p.tenantId, query, actorOf('service', p.keyId, request.id), clock.now()));
      return { ids };
    },
  );
}
