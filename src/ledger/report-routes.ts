/**
 * The access report of one customer over the platform API, as JSON, CSV or an HTML page (the
 * same report as `custodia ledger access-report`; see access-report.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { problemResponses } from '../platform/http.js';
import { ACCESS_REPORT_CSP, accessReportCsv, accessReportFormats, accessReportHtml, buildAccessReport } from './access-report.js';
import type { Ledger } from './ledger.js';

const accessReportView = z
  .object({
    tenant: z.uuid(),
    customer: z.uuid(),
    generatedAt: z.iso.datetime(),
    order: z.enum(['newest', 'oldest']),
    treeSize: z.number().int().describe('The report covers the sequenced ledger entries 0 .. treeSize - 1'),
    checkpoint: z
      .object({ size: z.number().int(), root: z.string().describe('Merkle root, base64'), at: z.iso.datetime(), keyId: z.string() })
      .nullable()
      .describe('The latest signed checkpoint (null before the first)'),
    truncated: z.boolean().describe('True when only the first 10000 rows are listed'),
    rows: z.array(
      z.object({
        seq: z.number().int(),
        time: z.iso.datetime(),
        actor: z.object({ type: z.string(), id: z.string() }),
        action: z.string(),
        description: z.string().describe('The action in plain language'),
        field: z.string().nullable(),
        purpose: z.string().nullable(),
        reason: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'AccessReport' });

export interface AccessReportRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly ledger: Ledger;
  /** Throws `tenants.not_found` for an unknown tenant. */
  readonly tenants: { getTenant(id: string): Promise<{ readonly name: string }> };
}

/** Registered inside the platform-token scope of the tenant routes. */
export function registerAccessReportRoutes(platform: FastifyInstance, deps: AccessReportRouteDeps, security: readonly Record<string, string[]>[]): void {
  const api = platform.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/platform/tenants/:id/customers/:customerId/access-report',
    {
      schema: {
        tags: ['ledger'],
        security: [...security],
        summary: 'Access report of one customer: who accessed which of their fields, when and why',
        description:
          'From the audit ledger: every sequenced entry about the customer, with actor, action (and a plain-language description), field, purpose and reason, anchored in the ledger by tree size and the latest signed checkpoint. `format=json` (default) answers the schema below; `format=csv` answers `text/csv` (RFC 4180; cells that a spreadsheet would run as a formula are prefixed with a quote); `format=html` answers a self-contained page for the customer (no scripts). At most 10000 rows (`truncated`).',
        params: z.strictObject({ id: z.uuid(), customerId: z.uuid() }),
        querystring: z.strictObject({ format: z.enum(accessReportFormats).default('json'), order: z.enum(['newest', 'oldest']).default('newest') }),
        response: { 200: z.union([accessReportView, z.string().describe('The CSV (`text/csv`) or HTML (`text/html`) report, with `format=csv` or `format=html`')]), ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { id, customerId } = request.params;
      const tenant = await deps.tenants.getTenant(id);
      const report = await buildAccessReport(deps, id, customerId, { order: request.query.order });
      switch (request.query.format) {
        case 'csv':
          return reply
            .type('text/csv; charset=utf-8; header=present')
            .header('content-disposition', `attachment; filename="access-report-${report.customer}.csv"`)
            .send(accessReportCsv(report));
        case 'html':
          return reply
            .type('text/html; charset=utf-8')
            .header('content-security-policy', ACCESS_REPORT_CSP)
            .send(accessReportHtml(report, { organisation: tenant.name }));
        default:
          return { ...report, rows: [...report.rows] };
      }
    },
  );
}
