/** HTTP surface of service accounts' API keys. The rules are in api-keys.ts. */
import { z } from 'zod';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { type AuthenticateService, apiKeyScopeSchema, createApiKey, MAX_API_KEY_DAYS, revokeApiKey } from './api-keys.js';
import type { Authenticate } from './http-auth.js';

export interface ApiKeyRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly authenticate: Authenticate;
  readonly authenticateService: AuthenticateService;
}

const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];

const keyView = z.object({
  id: z.uuid(),
  name: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
});

export function registerApiKeyRoutes(app: HttpApp, deps: ApiKeyRouteDeps): void {
  const { db, clock, authenticate, authenticateService } = deps;

  app.post(
    '/v1/service-accounts/keys',
    {
      schema: {
        tags: ['service accounts'],
        summary: 'Create an API key (shown once)',
        description: 'Tenant administrators. Only the SHA-256 of the key is stored; it expires after `expiresInDays` (at most 365).',
        security,
        body: z.strictObject({ name: z.string().trim().min(1).max(100), scopes: z.array(apiKeyScopeSchema).min(1).max(16), expiresInDays: z.number().int().min(1).max(MAX_API_KEY_DAYS).default(90) }),
        response: { 201: z.object({ id: z.uuid(), key: z.string(), expiresAt: z.iso.datetime() }), ...problemResponses(400, 401, 403, 423) },
      },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['tenant_admin'] });
      const created = await db.withTenant(s.tenantId, (tx) => createApiKey(tx, { tenantId: s.tenantId, ...request.body, createdBy: s.agentId, now: clock.now() }));
      return reply.code(201).send({ id: created.id, key: created.key, expiresAt: created.expiresAt.toISOString() });
    },
  );

  app.get(
    '/v1/service-accounts/keys',
    { schema: { tags: ['service accounts'], summary: 'API keys of this contact center (never the keys themselves)', security, response: { 200: z.object({ keys: z.array(keyView) }), ...problemResponses(401, 403, 423) } } },
    async (request) => {
      const s = await authenticate(request, { roles: ['tenant_admin', 'security_officer', 'auditor'] });
      const rows = await db.withTenant(s.tenantId, (tx) =>
        tx.selectFrom('api_keys').select(['id', 'name', 'scopes', 'created_at', 'expires_at', 'revoked_at', 'last_used_at']).orderBy('created_at', 'desc').limit(1_000).execute(),
      );
      return {
        keys: rows.map((r) => ({
          id: r.id,
          name: r.name,
          scopes: r.scopes,
          createdAt: r.created_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
          revokedAt: r.revoked_at?.toISOString() ?? null,
          lastUsedAt: r.last_used_at?.toISOString() ?? null,
        })),
      };
    },
  );

  app.post(
    '/v1/service-accounts/keys/:id/revoke',
    {
      schema: { tags: ['service accounts'], summary: 'Revoke an API key', security, params: z.strictObject({ id: z.uuid() }), response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 423) } },
    },
    async (request, reply) => {
      const s = await authenticate(request, { roles: ['tenant_admin', 'security_officer'] });
      await db.withTenant(s.tenantId, (tx) => revokeApiKey(tx, s.tenantId, request.params.id, s.agentId, clock.now()));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/service-accounts/me',
    {
      schema: {
        tags: ['service accounts'],
        summary: 'The API key this request authenticates with',
        security: [{ apiKey: [] }],
        response: { 200: z.object({ keyId: z.uuid(), tenantId: z.uuid(), name: z.string(), scopes: z.array(z.string()), expiresAt: z.iso.datetime() }), ...problemResponses(401) },
      },
    },
    async (request) => {
      const p = await authenticateService(request);
      return { keyId: p.keyId, tenantId: p.tenantId, name: p.name, scopes: [...p.scopes], expiresAt: p.expiresAt.toISOString() };
    },
  );
}
