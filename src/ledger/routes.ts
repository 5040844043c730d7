/**
 * The ledger over HTTP: the public signing key (no authentication: anyone verifying a checkpoint
 * needs it), and, with a platform token, a tenant's tree head, checkpoints, entries and proofs
 * (docs/ledger.md; docs/api.md). The same answers as `custodia ledger pubkey` and
 * `custodia ledger prove`.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database, Tx } from '../db/index.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { Ledger } from './ledger.js';
import { checkpointView, proveConsistency, proveInclusion, treeHeadView } from './proofs.js';
import { publicKeyFromRaw, signingKeys } from './signing.js';

const base64 = (what: string) => z.string().describe(`${what}, base64`);

const checkpointSchema = z
  .object({
    size: z.number().int(),
    root: base64('Merkle tree root (SHA-256)'),
    time: z.iso.datetime(),
    keyId: z.string().describe('Id of the signing key (see GET /v1/ledger/public-key)'),
    signature: base64('Ed25519 signature over the checkpoint note (docs/ledger.md)'),
  })
  .meta({ id: 'LedgerCheckpoint' });

const publicKeysSchema = z
  .object({
    algorithm: z.literal('Ed25519'),
    current: z.string().nullable().describe('Key id that signs new checkpoints (null until the first checkpoint is signed)'),
    keys: z.array(
      z.object({
        keyId: z.string().describe('First 8 bytes of SHA-256 over the raw public key, hex'),
        publicKey: base64('Raw 32-byte Ed25519 public key'),
        pem: z.string().describe('The same key as PEM (SubjectPublicKeyInfo)'),
        createdAt: z.iso.datetime(),
      }),
    ),
  })
  .meta({ id: 'LedgerPublicKeys' });

export interface LedgerRouteDeps {
  readonly db: Database;
}

/** The public routes: registered on the app itself (no authentication). */
export function registerLedgerRoutes(app: HttpApp, deps: LedgerRouteDeps): void {
  app.get(
    '/v1/ledger/public-key',
    {
      schema: {
        tags: ['ledger'],
        summary: 'The public keys that sign ledger checkpoints',
        description:
          'Every Ed25519 key the deployment has signed checkpoints with, newest last; `current` signs new ones. Needs no credentials: verifiers use it to check checkpoint signatures. Pin it (save it outside this system) so that a later substitution is noticed. Empty until the first checkpoint is signed (or `custodia ledger pubkey` creates the key).',
        // No input; like every route, an unknown query parameter is refused (strict input).
        querystring: z.strictObject({}),
        response: { 200: publicKeysSchema, ...problemResponses(400) },
      },
    },
    async () => {
      const keys = await signingKeys(deps.db);
      return {
        algorithm: 'Ed25519' as const,
        current: keys.at(-1)?.keyId ?? null,
        keys: keys.map((k) => ({
          keyId: k.keyId,
          publicKey: k.publicKey.toString('base64'),
          pem: publicKeyFromRaw(k.publicKey).export({ type: 'spki', format: 'pem' }).toString(),
          createdAt: k.createdAt.toISOString(),
        })),
      };
    },
  );
}

export interface LedgerPlatformRouteDeps {
  readonly db: Database;
  readonly ledger: Ledger;
  /** Throws `tenants.not_found` for an unknown tenant. */
  readonly tenants: { getTenant(id: string): Promise<unknown> };
}

const count = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Registered inside the platform-token scope of the tenant routes. */
export function registerLedgerPlatformRoutes(platform: FastifyInstance, deps: LedgerPlatformRouteDeps, security: readonly Record<string, string[]>[]): void {
  const api = platform.withTypeProvider<ZodTypeProvider>();
  const tags = ['ledger'];
  const params = z.strictObject({ id: z.uuid() });
  const inTenant = async <T>(id: string, fn: (tx: Tx) => Promise<T>): Promise<T> => {
    await deps.tenants.getTenant(id);
    return deps.db.withTenant(id, fn);
  };

  api.get(
    '/v1/platform/tenants/:id/ledger',
    {
      schema: {
        tags,
        security: [...security],
        summary: "A tenant's ledger: tree size and root, queued entries, latest signed checkpoint",
        params,
        response: {
          200: z.object({
            size: z.number().int().describe('Entries in the Merkle tree'),
            root: base64('Root of the tree of `size` entries'),
            queued: z.number().int().describe('Entries recorded but not sequenced yet (they enter the tree within ledgerSequenceIntervalMs)'),
            checkpoint: checkpointSchema.nullable(),
          }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => inTenant(request.params.id, (tx) => treeHeadView(deps.ledger, tx, request.params.id)),
  );

  api.get(
    '/v1/platform/tenants/:id/ledger/checkpoints',
    {
      schema: {
        tags,
        security: [...security],
        summary: 'Signed checkpoints, oldest first',
        params,
        querystring: z.strictObject({ after: count.default(0).describe('Only checkpoints of a larger tree size'), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ checkpoints: z.array(checkpointSchema), next: z.number().int().optional().describe('Pass as `after` for the next page') }), ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      const rows = await inTenant(request.params.id, (tx) => deps.ledger.checkpoints(tx, { afterSize: after, limit: limit + 1 }));
      const page = rows.slice(0, limit).map(checkpointView);
      return { checkpoints: page, ...(rows.length > limit ? { next: page.at(-1)?.size ?? after } : {}) };
    },
  );

  api.get(
    '/v1/platform/tenants/:id/ledger/entries',
    {
      schema: {
        tags,
        security: [...security],
        summary: 'Sequenced entries in their canonical form, in order',
        description: 'Each `entry` is the exact text the tree hashes (docs/ledger.md, "Canonical encoding"): its leaf hash is SHA-256(0x00 || entry).',
        params,
        querystring: z.strictObject({ from: count.default(0).describe('First sequence number'), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: {
          200: z.object({ entries: z.array(z.object({ seq: z.number().int(), entry: z.string() })), next: z.number().int().optional().describe('Pass as `from` for the next page') }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { from, limit } = request.query;
      const rows = await inTenant(request.params.id, (tx) => deps.ledger.entries(tx, from, limit + 1));
      const page = rows.slice(0, limit);
      return { entries: page, ...(rows.length > limit ? { next: (page.at(-1)?.seq ?? from) + 1 } : {}) };
    },
  );

  api.get(
    '/v1/platform/tenants/:id/ledger/proofs/inclusion',
    {
      schema: {
        tags,
        security: [...security],
        summary: 'Inclusion proof of one entry (RFC 9162 §2.1.3)',
        description:
          'Proves that entry `seq` is in the tree of `size` entries. Without `size`: the latest signed checkpoint that covers the entry (then `checkpoint` is that checkpoint), or the current tree when none does yet. Check it with the RFC 9162 §2.1.3.2 algorithm against a checkpoint root whose signature you verified.',
        params,
        querystring: z.strictObject({ seq: count, size: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() }),
        response: {
          200: z.object({
            seq: z.number().int(),
            size: z.number().int(),
            entry: z.string().describe('The canonical entry text'),
            leafHash: base64('SHA-256(0x00 || entry)'),
            proof: z.array(z.string()).describe('Audit path, base64 hashes from the leaf up'),
            root: base64('Root of the tree of `size` entries'),
            checkpoint: checkpointSchema.nullable().describe('The signed checkpoint of exactly `size`, when there is one'),
          }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => inTenant(request.params.id, (tx) => proveInclusion(deps.ledger, tx, request.params.id, request.query.seq, request.query.size)),
  );

  api.get(
    '/v1/platform/tenants/:id/ledger/proofs/consistency',
    {
      schema: {
        tags,
        security: [...security],
        summary: 'Consistency proof between two tree sizes (RFC 9162 §2.1.4)',
        description: 'Proves that the tree of `from` entries is a prefix of the tree of `to` entries. Without `to`: the latest signed checkpoint (or the current tree when that is older than `from`).',
        params,
        querystring: z.strictObject({ from: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER), to: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() }),
        response: {
          200: z.object({
            from: z.number().int(),
            to: z.number().int(),
            proof: z.array(z.string()).describe('Base64 hashes'),
            oldRoot: base64('Root of the tree of `from` entries'),
            newRoot: base64('Root of the tree of `to` entries'),
            checkpoints: z.object({ from: checkpointSchema.nullable(), to: checkpointSchema.nullable() }).describe('The signed checkpoints of exactly those sizes, when there are'),
          }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => inTenant(request.params.id, (tx) => proveConsistency(deps.ledger, tx, request.params.id, request.query.from, request.query.to)),
  );
}
