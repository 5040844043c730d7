/**
 * The background job worker every server process runs. Each tick it asks, in one platform-scope
 * query, which tenants have pending jobs of the kinds it knows, then runs steps of those jobs
 * (each step its own tenant-scoped transaction, see queue.ts) until they are done or the tick's
 * budget is spent. Several processes can run workers against one PostgreSQL database: rows are
 * claimed with FOR UPDATE SKIP LOCKED. On PGlite the steps interleave with requests on the one
 * session, so work such as key rotation goes on without stopping the server.
 *
 * A step that throws rolls back; its job keeps its last committed progress, records the failure
 * (error code only: messages can carry data) and is retried on later ticks, up to `maxAttempts`
 * consecutive failures, after which it is marked failed for an operator to look at.
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { isAppError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { startPollLoop } from '../platform/poll-loop.js';
import { runJobStep, type JobStep } from './queue.js';

/** A kind of job the worker can run: how to make the step function for one tenant. */
export interface JobKind {
  readonly kind: string;
  step(tenantId: string): JobStep;
}

export interface JobWorkerOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly kinds: readonly JobKind[];
  /** Pause between ticks. */
  readonly pollIntervalMs: number;
  /** Steps one tick may run in all, so one big job cannot starve the others' tenants for long. */
  readonly stepsPerTick?: number;
  /** Consecutive failed steps after which a job is marked failed. */
  readonly maxAttempts?: number;
}

export interface JobWorker {
  /** One tick now (tests, and the loop itself). Returns how many steps ran. */
  runOnce(): Promise<number>;
  /** Stops the loop and waits for the step in flight. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_STEPS_PER_TICK = 50;
const DEFAULT_MAX_ATTEMPTS = 5;

/** Pending (tenant, kind) pairs. The `jobs_worker_scan` policy lets platform scope see only these. */
async function pendingWork(db: Database, kinds: readonly string[]): Promise<{ tenantId: string; kind: string }[]> {
  if (kinds.length === 0) return [];
  const rows = await db.withPlatform((tx) =>
    tx
      .selectFrom('jobs')
      .select(['tenant_id', 'kind'])
      .distinct()
      .where('state', 'in', ['queued', 'running'])
      .where('kind', 'in', kinds)
      .orderBy('tenant_id')
      .execute(),
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, kind: r.kind }));
}

/** Records a failed step on the job that was first in line for it (the one the step ran on). */
async function recordFailure(db: Database, tenantId: string, kind: string, code: string, clock: Clock, maxAttempts: number): Promise<{ id: string; failed: boolean } | undefined> {
  return db.withTenant(tenantId, async (tx) => {
    const job = await tx
      .selectFrom('jobs')
      .select(['id', 'failures'])
      .where('kind', '=', kind)
      .where('state', 'in', ['queued', 'running'])
      .orderBy('created_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (job === undefined) return undefined;
    const failed = job.failures + 1 >= maxAttempts;
    const now = clock.now();
    await tx
      .updateTable('jobs')
      .set({ failures: sql<number>`failures + 1`, last_error: code, updated_at: now, ...(failed ? { state: 'failed', finished_at: now } : {}) })
      .where('id', '=', job.id)
      .execute();
    return { id: job.id, failed };
  });
}

export function startJobWorker(options: JobWorkerOptions): JobWorker {
  const { db, clock, logger } = options;
  const byKind = new Map(options.kinds.map((k) => [k.kind, k]));
  const stepsPerTick = options.stepsPerTick ?? DEFAULT_STEPS_PER_TICK;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;

  async function tick(): Promise<number> {
    let steps = 0;
    const work = await pendingWork(db, [...byKind.keys()]);
    // Round-robin over (tenant, kind) so that every tenant's jobs move on each tick.
    let progressed = true;
    while (!loop.stopped && steps < stepsPerTick && progressed) {
      progressed = false;
      for (const { tenantId, kind } of work) {
        if (loop.stopped || steps >= stepsPerTick) break;
        const handler = byKind.get(kind);
        if (handler === undefined) continue;
        try {
          const job = await runJobStep(db, tenantId, kind, handler.step(tenantId), clock);
          if (job === undefined) continue;
          steps += 1;
          progressed = true;
          logger.info({ jobId: job.id, kind, tenantId, state: job.state, progress: job.progress }, 'job step');
        } catch (error) {
          const code = isAppError(error) ? error.code : 'internal';
          const failure = await recordFailure(db, tenantId, kind, code, clock, maxAttempts).catch(() => undefined);
          logger.error({ kind, tenantId, jobId: failure?.id, code, failed: failure?.failed ?? false }, 'job step failed');
        }
      }
    }
    return steps;
  }

  const loop = startPollLoop(tick, options.pollIntervalMs, (error: unknown) => logger.error({ code: isAppError(error) ? error.code : 'internal' }, 'job worker tick failed'));
  return loop;
}
