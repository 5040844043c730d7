/**
 * A tenant's key-encryption keys over the platform API: status, rotation and retirement. The
 * same operations as `custodia keys`, for deployments where the CLI cannot reach the database
 * while the server runs (the embedded one): rotation is queued here and the server's job worker
 * re-wraps the data keys, so it needs no downtime.
 */
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError, isAppError } from '../platform/errors.js';
import { problemResponses } from '../platform/http.js';
import { rotationStatus, startRotation, type Vault, VaultErrors } from '../vault/index.js';
import { TenantErrors } from './errors.js';
import type { TenantService } from './service.js';

const kekVersionView = z.object({
  version: z.number().int(),
  state: z.enum(['active', 'retired']),
  dataKeys: z.number().int().describe('Data keys still wrapped by this version'),
  createdAt: z.iso.datetime(),
  retiredAt: z.iso.datetime().nullable(),
});

const rewrapJobView = z.object({
  id: z.uuid(),
  state: z.enum(['queued', 'running', 'done', 'failed']),
  progress: z.object({ rewrapped: z.number().int().optional(), remaining: z.number().int().optional(), targetVersion: z.number().int().optional() }),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});

const keyStatusView = z
  .object({
    provider: z.string().describe('Where the root keys come from (`local`, `env`, ...)'),
    versions: z.array(kekVersionView),
    jobs: z.array(rewrapJobView),
  })
  .meta({ id: 'TenantKeyStatus' });

export interface KeyRouteDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly tenants: TenantService;
  readonly vault: Vault;
}

/** Registered inside the platform-token scope of the tenant routes. */
export function registerKeyRoutes(platform: FastifyInstance, deps: KeyRouteDeps, security: readonly Record<string, string[]>[]): void {
  const api = platform.withTypeProvider<ZodTypeProvider>();
  const tags = ['keys'];
  const params = z.strictObject({ id: z.uuid() });
  const rotation = { db: deps.db, keyring: deps.vault.keyring, clock: deps.clock };

  async function status(tenantId: string): Promise<z.infer<typeof keyStatusView>> {
    const s = await rotationStatus(rotation, tenantId);
    return {
      provider: deps.vault.keyring.providerKind,
      versions: s.versions.map((v) => ({ version: v.version, state: v.state, dataKeys: v.dataKeys, createdAt: v.createdAt.toISOString(), retiredAt: v.retiredAt?.toISOString() ?? null })),
      jobs: s.jobs.map((j) => ({
        id: j.id,
        state: j.state,
        progress: pickNumbers(j.progress, ['rewrapped', 'remaining', 'targetVersion']),
        createdAt: j.createdAt.toISOString(),
        finishedAt: j.finishedAt?.toISOString() ?? null,
      })),
    };
  }

  api.get(
    '/v1/platform/tenants/:id/keys',
    {
      schema: {
        tags,
        security: [...security],
        summary: "Show a tenant's key-encryption key versions and rotation jobs",
        params,
        response: { 200: keyStatusView, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      await deps.tenants.getTenant(request.params.id);
      return status(request.params.id);
    },
  );

  api.post(
    '/v1/platform/tenants/:id/keys/rotate',
    {
      schema: {
        tags,
        security: [...security],
        summary: 'Rotate the key-encryption key of a tenant',
        description:
          'Creates a new KEK version, used at once for new data keys, and queues a job that re-wraps every existing data key under it. The job runs in the background (any server process with a job worker); follow it with `GET /v1/platform/tenants/{id}/keys`. Nothing is re-encrypted: field ciphertexts stay as they are.',
        params,
        response: { 202: z.object({ version: z.number().int(), jobId: z.uuid(), status: keyStatusView }), ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await deps.tenants.getTenant(request.params.id);
      const started = await startRotation(rotation, request.params.id);
      reply.status(202);
      return { version: started.version, jobId: started.jobId, status: await status(request.params.id) };
    },
  );

  api.post(
    '/v1/platform/tenants/:id/keys/:version/retire',
    {
      schema: {
        tags,
        security: [...security],
        summary: 'Retire a key-encryption key version that no data key depends on',
        description: 'Its wrapped bytes are erased, so it can never be used again. Refused (409 `vault.key_in_use`) for the current version and while data keys still depend on it.',
        params: z.strictObject({ id: z.uuid(), version: z.coerce.number().int().min(1).max(1_000_000_000) }),
        response: { 200: keyStatusView, ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const { id, version } = request.params;
      await deps.tenants.getTenant(id);
      try {
        await deps.db.withTenant(id, (tx) => deps.vault.keyring.retireKek(tx, id, version));
      } catch (error) {
        // In the vault this code means a stored value names a missing key (a server fault); here
        // it only means the caller named a version that is not active.
        if (isAppError(error, VaultErrors.unknown_key_version)) throw new AppError(TenantErrors.key_version_not_found, { detail: error.detail });
        throw error;
      }
      return status(id);
    },
  );
}

/** Only the known numeric progress fields (the job row is free-form JSON). */
function pickNumbers(progress: Record<string, unknown>, keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(keys.flatMap((k) => (typeof progress[k] === 'number' ? [[k, progress[k]]] : [])));
}
