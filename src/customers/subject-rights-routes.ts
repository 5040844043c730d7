/**
 * HTTP surface of data-subject rights (subject-rights.ts): the export of one customer's data with
 * its access report, and erasure. The tenant's security officers only (agent session).
 */
import { customerExportPdf } from './subject-rights-pdf.js';
import { z } from 'zod';
import type { Authenticate } from '../agents/index.js';
import type { Database } from '../db/index.js';
import { buildAccessReport } from '../ledger/access-report.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { Vault } from '../vault/index.js';
import { FIELD_CLASSES, FIELD_TYPES } from './fields.js';
import { CUSTOMER_EXPORT_CSP, customerExportHtml, eraseCustomer, exportCustomer } from './subject-rights.js';

export interface SubjectRightsRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly ledger: Ledger;
  readonly authenticate: Authenticate;
  /** For the organisation's name on the HTML page. */
  readonly tenants: { getTenant(id: string): Promise<{ readonly name: string }> };
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];

const exportView = z.object({
  customerId: z.uuid(),
  customerNumber: z.string().describe('`erased:<id>` once the customer was erased'),
  createdAt: z.iso.datetime(),
  erased: z.boolean(),
  schemaVersion: z.number().int(),
  fields: z.array(
    z.object({
      key: z.string(),
      label: z.string(),
      type: z.enum(FIELD_TYPES),
      class: z.enum(FIELD_CLASSES),
      purpose: z.string(),
      retentionDays: z.number().int(),
      value: z.union([z.string(), z.record(z.string(), z.string())]).nullable().describe('Decrypted; a card is its token. Null: no value.'),
      confirmedAt: z.iso.datetime().nullable(),
      updatedAt: z.iso.datetime().nullable(),
    }),
  ),
  accessReport: z.unknown().describe('The access report of the customer (schema `AccessReport`, as `GET /v1/platform/tenants/{id}/customers/{customerId}/access-report`).'),
});

export function registerSubjectRightsRoutes(app: HttpApp, deps: SubjectRightsRouteDeps): void {
  const { db, clock, vault, authenticate } = deps;

  app.get(
    '/v1/customers/:id/export',
    {
      schema: {
        tags: ['customers'],
        summary: 'Export everything held on a customer (data-subject access)',
        description:
          "Security officers. Every field of the schema with its value decrypted (a card stays a token), plus the customer's access report from the ledger. `format=json` (default), `format=html` (a self-contained page to hand to the customer, sent as an attachment) or `format=pdf` (the same content as a PDF document). Recorded in the ledger (`customer.export`). A customer of another contact center is 404, like an unknown one.",
        security,
        params: z.strictObject({ id: z.uuid() }),
        querystring: z.strictObject({ format: z.enum(['json', 'html', 'pdf']).default('json') }),
        response: { 200: z.union([exportView, z.string().describe('The HTML page (`text/html`) with `format=html`; the PDF document (`application/pdf`) with `format=pdf`')]), ...problemResponses(400, 401, 403, 404, 410, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      const actor = { type: 'agent' as const, id: s.agentId, requestId: request.id };
      const data = await db.withTenant(s.tenantId, (tx) => exportCustomer(tx, vault, s.tenantId, request.params.id, actor, clock.now()));
      const report = await buildAccessReport({ db, ledger: deps.ledger, clock }, s.tenantId, data.customerId);
      reply.header('cache-control', 'no-store');
      if (request.query.format === 'html') {
        const tenant = await deps.tenants.getTenant(s.tenantId);
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', CUSTOMER_EXPORT_CSP)
          .header('content-disposition', `attachment; filename="customer-export-${data.customerId}.html"`)
          .send(customerExportHtml(data, report, { organisation: tenant.name, generatedAt: clock.now() }));
      }
      if (request.query.format === 'pdf') {
        const tenant = await deps.tenants.getTenant(s.tenantId);
        const pdf = await customerExportPdf(data, report, { organisation: tenant.name, generatedAt: clock.now() });
        // Fastify sends a Buffer as it is; the schema's string stands for the document in OpenAPI.
        return reply.type('application/pdf').header('content-disposition', `attachment; filename="customer-export-${data.customerId}.pdf"`).send(pdf as unknown as string);
      }
      reply.header('content-disposition', `attachment; filename="customer-export-${data.customerId}.json"`);
      return {
        customerId: data.customerId,
        customerNumber: data.customerNumber,
        createdAt: data.createdAt.toISOString(),
        erased: data.erased,
        schemaVersion: data.schemaVersion,
        fields: data.fields.map((f) => ({ ...f, value: f.value === null ? null : typeof f.value === 'string' ? f.value : { ...f.value }, confirmedAt: f.confirmedAt?.toISOString() ?? null, updatedAt: f.updatedAt?.toISOString() ?? null })),
        accessReport: { ...report, rows: [...report.rows] },
      };
    },
  );

  app.post(
    '/v1/customers/:id/erase',
    {
      schema: {
        tags: ['customers'],
        summary: 'Erase a customer (crypto-shredding)',
        description:
          "Security officers. `confirmCustomerNumber` must be the customer's number (400 `customers.erase_confirmation_mismatch` otherwise). Destroys the customer's data key, blind indexes and card tokens, deletes its values and replaces its customer number by `erased:<id>`; the customer id stays as a tombstone. Irreversible (except from a database backup taken before). Recorded in the ledger (`customer.erase`, counts only).",
        security,
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ confirmCustomerNumber: z.string().max(128) }),
        response: {
          200: z.object({ id: z.uuid(), erased: z.literal(true), values: z.number().int(), dataKey: z.boolean(), blindIndexes: z.number().int(), cardTokens: z.number().int() }),
          ...problemResponses(400, 401, 403, 404, 409, 423),
        },
      },
    },
    async (request) => {
      const s = await authenticate(request, { roles: ['security_officer'] });
      const { id } = request.params;
      const actor = { type: 'agent' as const, id: s.agentId, requestId: request.id };
      const result = await db.withTenant(s.tenantId, (tx) => eraseCustomer(tx, vault, s.tenantId, id, request.body.confirmCustomerNumber, actor, clock.now()));
      return { id: id.toLowerCase(), erased: true as const, ...result };
    },
  );
}
