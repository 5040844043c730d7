/**
 * Background jobs in PostgreSQL: one row per job in `jobs`, worked on in short transactions that
 * lock the row with FOR UPDATE SKIP LOCKED. A worker that dies mid-step loses only that step's
 * uncommitted work; the row stays queued or running with its last committed progress, and the
 * next worker (in any process) resumes from there. Works the same on PGlite and PostgreSQL.
 */
import { sql } from 'kysely';
import type { Database, Tx } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { newId } from '../platform/ids.js';

export interface JobRow {
  readonly id: string;
  readonly kind: string;
  readonly state: 'queued' | 'running' | 'done' | 'failed';
  readonly payload: Record<string, unknown>;
  readonly progress: Record<string, unknown>;
  readonly attempts: number;
}

/** One step of a job: does a bounded amount of work in `tx` and says whether the job is done. */
export type JobStep = (tx: Tx, job: JobRow) => Promise<{ done: boolean; progress: Record<string, unknown> }>;

export async function enqueueJob(tx: Tx, input: { tenantId: string; kind: string; payload?: Record<string, unknown>; now: Date }): Promise<string> {
  const id = newId();
  await tx
    .insertInto('jobs')
    .values({ id, tenant_id: input.tenantId, kind: input.kind, state: 'queued', payload: JSON.stringify(input.payload ?? {}), created_at: input.now, updated_at: input.now, finished_at: null, last_error: null })
    .execute();
  return id;
}

/**
 * Runs one step of one pending job of `kind` for the tenant, if any job is free (jobs locked by
 * another worker are skipped). Returns the job after the step, or undefined when there was none.
 */
export async function runJobStep(db: Database, tenantId: string, kind: string, step: JobStep, clock: Clock): Promise<JobRow | undefined> {
  return db.withTenant(tenantId, async (tx) => {
    const job = await tx
      .selectFrom('jobs')
      .select(['id', 'kind', 'state', 'payload', 'progress', 'attempts'])
      .where('kind', '=', kind)
      .where('state', 'in', ['queued', 'running'])
      .orderBy('created_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (job === undefined) return undefined;
    const result = await step(tx, job);
    const now = clock.now();
    await tx
      .updateTable('jobs')
      .set({
        state: result.done ? 'done' : 'running',
        progress: JSON.stringify(result.progress),
        attempts: sql<number>`attempts + 1`,
        failures: 0,
        updated_at: now,
        finished_at: result.done ? now : null,
      })
      .where('id', '=', job.id)
      .execute();
    return { ...job, state: result.done ? 'done' : 'running', progress: result.progress };
  });
}

export async function findJobs(db: Database, tenantId: string, kind: string): Promise<(JobRow & { createdAt: Date; finishedAt: Date | null })[]> {
  const rows = await db.withTenant(tenantId, (tx) =>
    tx.selectFrom('jobs').select(['id', 'kind', 'state', 'payload', 'progress', 'attempts', 'created_at', 'finished_at']).where('kind', '=', kind).orderBy('created_at').execute(),
  );
  return rows.map(({ created_at, finished_at, ...rest }) => ({ ...rest, createdAt: created_at, finishedAt: finished_at }));
}
