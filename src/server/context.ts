/**
 * The composition root: the one place that builds the real parts (database, Redis, logger,
 * clock) and the services, and hands them to whoever needs them. Tests build the same context
 * with a fake clock and a test database.
 */
import type { Redis } from 'ioredis';
import { type Config, publicUrlOf, redactUrl, resolvedDataDir } from '../config/index.js';
import { type Database, DbErrors, migrate, openDatabase } from '../db/index.js';
import { AppError, isAppError } from '../platform/errors.js';
import { type Clock, systemClock } from '../platform/clock.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { connectRedis } from '../platform/redis.js';
import { createTenantService, type TenantService } from '../tenants/index.js';

export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly redis: Redis | undefined;
  readonly tenants: TenantService;
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

export async function createContext(config: Config, options: CreateContextOptions = {}): Promise<AppContext> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const db = options.db ?? (await openConfiguredDatabase(config, logger));
  let redis: Redis | undefined;
  try {
    if (options.migrate !== false) {
      await migrate(db, { onApplied: (m) => logger.info({ version: m.version, migration: m.name }, 'migration applied') });
    }
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
  return {
    config,
    logger,
    clock,
    db,
    redis,
    tenants,
    publicUrl: publicUrlOf(config),
    async close() {
      redis?.disconnect();
      if (options.db === undefined) await db.close();
    },
  };
}
