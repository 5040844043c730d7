/**
 * The composition root: the one place that builds the real parts (database, Redis, logger,
 * clock) and the services, and hands them to whoever needs them. Tests build the same context
 * with a fake clock and a test database.
 */
import type { Redis } from 'ioredis';
import { type Config, publicUrlOf, redactUrl, resolvedDataDir } from '../config/index.js';
import { connectionIdentity, type Database, DbErrors, migrate, openDatabase, secureDataDir } from '../db/index.js';
import { AppError, isAppError } from '../platform/errors.js';
import { type Clock, systemClock } from '../platform/clock.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { connectRedis } from '../platform/redis.js';
import { createTenantService, type TenantService } from '../tenants/index.js';
import { Ledger, type LedgerSigner, loadSigner } from '../ledger/index.js';
import { createKeyProvider, createVault, type KeyProvider, type Vault } from '../vault/index.js';
import { type AuthService, createAuthService, DEFAULT_PASSWORD_PARAMS, relyingPartyOf, SessionService } from '../agents/index.js';
import { parseSmppUrl, SmppSmsSender } from '../channels/index.js';
import { type EventBus, memoryEventBus, redisEventBus } from '../platform/events.js';
import { type AttemptCounter, memoryAttemptCounter, redisAttemptCounter } from '../platform/rate-limit.js';

export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly redis: Redis | undefined;
  readonly tenants: TenantService;
  readonly vault: Vault;
  readonly ledger: Ledger;
  /** Shared between server processes through Redis when configured; in-process otherwise. */
  readonly bus: EventBus;
  readonly attempts: AttemptCounter;
  readonly sessions: SessionService;
  readonly auth: AuthService;
  /** Base URL for links that people open (invitations). Set once the server listens. */
  publicUrl: string;
  close(): Promise<void>;
}

export interface CreateContextOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Use this database instead of opening one from the config (tests). */
  readonly db?: Database;
  /** Apply pending migrations (default true; `custodia migrate --status` passes false). */
  readonly migrate?: boolean;
}

/** Opens the configured database; a failure names where it looked (password hidden) and why. */
async function openConfiguredDatabase(config: Config, logger: Logger): Promise<Database> {
  try {
    return await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: resolvedDataDir(config),
      poolMax: config.databasePoolMax,
      connectTimeoutMs: config.databaseConnectTimeoutMs,
      logger,
    });
  } catch (error) {
    if (!isAppError(error, DbErrors.unavailable) || config.databaseUrl === undefined) throw error;
    const reason = (error.cause as { code?: unknown; message?: unknown } | undefined) ?? {};
    const why = typeof reason.code === 'string' ? reason.code : typeof reason.message === 'string' ? reason.message : 'no answer';
    throw new AppError(DbErrors.unavailable, { detail: `Cannot reach the database at ${redactUrl(config.databaseUrl)}: ${why}`, cause: error });
  }
}

/** Migrations run as CUSTODIA_MIGRATION_DATABASE_URL (the owner) when set, else as DATABASE_URL. */
async function applyMigrations(config: Config, db: Database, logger: Logger): Promise<void> {
  const onApplied = (m: { version: number; name: string }) => logger.info({ version: m.version, migration: m.name }, 'migration applied');
  if (config.migrationDatabaseUrl === undefined) {
    await migrate(db, { onApplied });
    return;
  }
  const owner = await openConfiguredDatabase({ ...config, databaseUrl: config.migrationDatabaseUrl }, logger);
  try {
    await migrate(owner, { onApplied });
  } finally {
    await owner.close();
  }
}

/**
 * A login that can bypass row-level security (superuser, BYPASSRLS, table owner) would let
 * injected SQL undo tenant isolation: refused in production, a warning elsewhere.
 */
async function checkConnectionIdentity(config: Config, db: Database, logger: Logger): Promise<void> {
  const identity = await connectionIdentity(db);
  if (identity.bypassReasons.length === 0) return;
  const detail = `DATABASE_URL logs in as "${identity.user}" (${identity.bypassReasons.join(', ')}), which can bypass row-level security. Run the server as a login that only holds the application role, and migrations with CUSTODIA_MIGRATION_DATABASE_URL (docs/operations.md).`;
  if (config.nodeEnv === 'production') throw new AppError(DbErrors.privileged_connection, { detail });
  // info, not warn: CLI commands run at warn and must keep stdout to their own output.
  logger.info({ user: identity.user, reasons: identity.bypassReasons }, 'database login can bypass row-level security; acceptable in development only');
}

export async function createContext(config: Config, options: CreateContextOptions = {}): Promise<AppContext> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const db = options.db ?? (await openConfiguredDatabase(config, logger));
  let redis: Redis | undefined;
  try {
    // A first start ran initdb, which writes its files 0666 whatever the umask: close them now.
    if (options.db === undefined && db.kind === 'pglite') secureDataDir(resolvedDataDir(config));
    if (options.migrate !== false) await applyMigrations(config, db, logger);
    if (db.kind === 'postgres') await checkConnectionIdentity(config, db, logger);
    if (config.redisUrl !== undefined) {
      redis = await connectRedis(config.redisUrl, logger).catch((error: unknown) => {
        throw new Error(`cannot reach Redis at ${redactUrl(config.redisUrl ?? '')}: ${(error as Error).message}`);
      });
    }
  } catch (error) {
    if (options.db === undefined) await db.close();
    throw error;
  }

  const tenants = createTenantService({ db, clock, invitationTtlHours: config.invitationTtlHours });
  let vault: Vault;
  try {
    vault = createVault(config, { clock, logger });
  } catch (error) {
    redis?.disconnect();
    if (options.db === undefined) await db.close();
    throw error;
  }
  // The signing key is loaded (or created) on first need, once; a failure is retried next time.
  let signer: Promise<LedgerSigner> | undefined;
  const ledger = new Ledger({
    db,
    clock,
    checkpointEvery: config.ledgerCheckpointEvery,
    checkpointIntervalMs: config.ledgerCheckpointIntervalMs,
    witness: config.ledgerWitness !== undefined,
    signer: () =>
      (signer ??= loadSigner(db, createKeyProvider(config, logger), clock).catch((error: unknown) => {
        signer = undefined;
        throw error;
      })),
  });
  const keyProvider: KeyProvider = createKeyProvider(config, logger);
  let bus: EventBus;
  try {
    bus = redis === undefined ? memoryEventBus({ logger }) : await redisEventBus(redis, { logger });
  } catch (error) {
    redis?.disconnect();
    if (options.db === undefined) await db.close();
    throw error;
  }
  const attempts = redis === undefined ? memoryAttemptCounter({ clock }) : redisAttemptCounter(redis);
  // Without a shared bus another process cannot tell this one of a revocation: a 1 s cache
  // bounds how long it takes to bite. With Redis, invalidation is pushed at once.
  const sessions = new SessionService({ db, clock, bus, logger, cacheTtlMs: redis === undefined ? 1_000 : 10_000 });
  // The SMS gateway binds lazily, on the first message: an SMSC that is down does not stop the server.
  const smsSender = config.smppUrl === undefined ? undefined : new SmppSmsSender({ ...parseSmppUrl(config.smppUrl), logger });
  const auth = createAuthService({
    db,
    clock,
    logger,
    bus,
    sessions,
    attempts,
    keyProvider,
    passwordParams: DEFAULT_PASSWORD_PARAMS,
    issuer: 'Custodia',
    // The public URL is final only once the server listens (port 0): read it when needed.
    relyingParty: () => relyingPartyOf(context.publicUrl),
    smsSender,
    defaultPhoneCountry: config.defaultPhoneCountry,
    tenantIdBySlug: async (slug) => {
      const tenant = await tenants.findTenantBySlug(slug);
      return tenant?.status === 'active' ? tenant.id : undefined;
    },
  });
  const context: AppContext = {
    config,
    logger,
    clock,
    db,
    redis,
    tenants,
    vault,
    ledger,
    bus,
    attempts,
    sessions,
    auth,
    publicUrl: publicUrlOf(config),
    async close() {
      sessions.close();
      await smsSender?.close().catch(() => undefined);
      await bus.close().catch(() => undefined);
      redis?.disconnect();
      if (options.db === undefined) await db.close();
    },
  };
  return context;
}
