import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Vault } from '../vault/index.js';
import { AppError, isAppError } from '../platform/errors.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { PlatformErrors } from './errors.js';
import { verifyPlatformToken } from './platform-tokens.js';
import { registerKeyRoutes } from './key-routes.js';
import { registerAccessReportRoutes } from '../ledger/report-routes.js';
import { registerLedgerPlatformRoutes } from '../ledger/routes.js';
import type { Ledger } from '../ledger/index.js';
import type { Tenant, TenantService } from './service.js';
import { tenantSlugSchema } from './slug.js';

const tenantView = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Tenant' });

const invitationView = z.object({
  url: z.string().describe('One-time link for the first administrator. Shown once; only its hash is stored.'),
  token: z.string(),
  role: z.string(),
  expiresAt: z.iso.datetime(),
});

const tenantName = z.string().trim().min(1).max(200);
const idParams = z.strictObject({ id: z.uuid() });

function view(t: Tenant): z.infer<typeof tenantView> {
  return { id: t.id, slug: t.slug, name: t.name, status: t.status, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Id of the platform token that authenticated this request, when one did. */
    platformTokenId?: string;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  return match?.[1];
}

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3). `error="invalid_token"` only when a
 * bearer token was presented: the caller knows that already, and learns nothing about why the
 * token failed (unknown, expired, revoked and malformed all get the same answer).
 */
export function bearerChallenge(tokenPresented: boolean): string {
  return tokenPresented ? 'Bearer realm="custodia", error="invalid_token"' : 'Bearer realm="custodia"';
}

export interface TenantRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly tenants: TenantService;
  readonly vault: Vault;
  readonly ledger: Ledger;
  /** Turns an invitation token into the link a person opens. */
  readonly invitationUrl: (token: string) => string;
  /** Told after a tenant was suspended, reactivated or deleted (every process drops what it cached). */
  readonly onTenantChanged?: (tenantId: string) => Promise<void>;
}

export function registerTenantRoutes(app: HttpApp, deps: TenantRouteDeps): void {
  app.register(async (instance) => {
    const platform = instance.withTypeProvider<ZodTypeProvider>();
    platform.addHook('onRequest', async (request) => {
      const token = bearer(request);
      try {
        request.platformTokenId = await verifyPlatformToken(deps.db, token, deps.clock.now());
      } catch (error) {
        if (!isAppError(error, PlatformErrors.token_invalid)) throw error;
        throw new AppError(PlatformErrors.token_invalid, { headers: { 'www-authenticate': bearerChallenge(token !== undefined) } });
      }
    });
    const security = [{ platformToken: [] }];
    const tags = ['tenants'];

    platform.post(
      '/v1/platform/tenants',
      {
        schema: {
          tags,
          security,
          summary: 'Create a tenant',
          description: 'With `adminEmail`, also issues the one-time invitation of its first administrator.',
          body: z.strictObject({ slug: tenantSlugSchema, name: tenantName, adminEmail: z.email().max(254).toLowerCase().optional() }),
          response: { 201: z.object({ tenant: tenantView, invitation: invitationView.optional() }), ...problemResponses(400, 401, 409) },
        },
      },
      async (request, reply) => {
        const { tenant, invitation } = await deps.tenants.createTenant({ ...request.body, actor: `platform-token:${request.platformTokenId}` });
        reply.status(201);
        return {
          tenant: view(tenant),
          ...(invitation === undefined
            ? {}
            : { invitation: { url: deps.invitationUrl(invitation.token), token: invitation.token, role: invitation.role, expiresAt: invitation.expiresAt.toISOString() } }),
        };
      },
    );

    platform.get(
      '/v1/platform/tenants',
      {
        schema: {
          tags,
          security,
          summary: 'List tenants',
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50), after: tenantSlugSchema.optional() }),
          response: { 200: z.object({ tenants: z.array(tenantView), next: z.string().optional() }), ...problemResponses(400, 401) },
        },
      },
      async (request) => {
        const page = await deps.tenants.listTenants(request.query);
        return { tenants: page.tenants.map(view), ...(page.next === undefined ? {} : { next: page.next }) };
      },
    );

    platform.get(
      '/v1/platform/tenants/:id',
      { schema: { tags, security, summary: 'Get a tenant', params: idParams, response: { 200: tenantView, ...problemResponses(400, 401, 404) } } },
      async (request) => view(await deps.tenants.getTenant(request.params.id)),
    );

    platform.patch(
      '/v1/platform/tenants/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Rename, suspend or reactivate a tenant',
          params: idParams,
          body: z
            .strictObject({ name: tenantName.optional(), status: z.enum(['active', 'suspended']).optional() })
            .refine((b) => b.name !== undefined || b.status !== undefined, 'give name or status'),
          response: { 200: tenantView, ...problemResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const updated = await deps.tenants.updateTenant(request.params.id, request.body);
        if (request.body.status !== undefined) await deps.onTenantChanged?.(updated.id);
        return view(updated);
      },
    );

    platform.delete(
      '/v1/platform/tenants/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Delete a suspended tenant and all its data',
          params: idParams,
          response: { 204: z.null().describe('Deleted'), ...problemResponses(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        await deps.tenants.deleteTenant(request.params.id);
        await deps.onTenantChanged?.(request.params.id);
        return reply.status(204).send(null);
      },
    );

    registerKeyRoutes(instance, deps, security);
    registerLedgerPlatformRoutes(instance, deps, security);
    registerAccessReportRoutes(instance, deps, security);
  });
}
