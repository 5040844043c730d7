/**
 * `/healthz`: the process is up (no dependencies checked, so a database outage does not get the
 * process restarted). `/readyz`: the database answers, its schema is current, Redis answers when
 * configured; 503 otherwise, so a load balancer stops sending traffic until it recovers.
 */
import type { LevelWithSilent } from 'pino';
import { z } from 'zod';
import { migrationStatus } from '../db/index.js';
import { AppError, ServerErrors } from '../platform/errors.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { AppContext } from './context.js';

type Check = 'ok' | 'failing' | 'not_configured';

const SEVERITY: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Probes are polled constantly: log them at warn, unless the configured level is stricter still. */
export function probeLogLevel(configured: LevelWithSilent): LevelWithSilent {
  return SEVERITY.indexOf(configured) > SEVERITY.indexOf('warn') ? configured : 'warn';
}

export function registerHealthRoutes(app: HttpApp, ctx: AppContext): void {
  const logLevel = probeLogLevel(ctx.config.logLevel);
  app.get(
    '/healthz',
    {
      schema: { tags: ['health'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } },
      logLevel,
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness',
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.enum(['ok', 'failing', 'not_configured'])) }),
          ...problemResponses(503),
        },
      },
      logLevel,
    },
    async () => {
      const checks: Record<string, Check> = { database: 'failing', migrations: 'failing', redis: 'not_configured' };
      try {
        await ctx.db.ping();
        checks.database = 'ok';
        const status = await migrationStatus(ctx.db);
        checks.migrations = status.pending.length === 0 ? 'ok' : 'failing';
      } catch (error) {
        ctx.logger.warn({ code: (error as { code?: string }).code }, 'readiness: database check failed');
      }
      if (ctx.redis !== undefined) {
        checks.redis = await ctx.redis.ping().then(
          (pong) => (pong === 'PONG' ? 'ok' : 'failing'),
          () => 'failing' as const,
        );
      }
      if (Object.values(checks).includes('failing')) {
        throw new AppError(ServerErrors.not_ready, { details: { checks }, headers: { 'retry-after': '5' } });
      }
      return { status: 'ready' as const, checks };
    },
  );
}
