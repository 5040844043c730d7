/**
 * The background job worker against a real database: it finds pending jobs of every tenant from
 * platform scope, moves each tenant's jobs on in turn, records failed steps by error code only,
 * marks a job failed after too many consecutive failures, and never touches finished jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { enqueueJob, findJobs, type JobKind, startJobWorker } from '../../src/jobs/index.js';
import { FixedClock } from '../../src/platform/clock.js';
import { AppError, RequestErrors } from '../../src/platform/errors.js';
import { createLogger } from '../../src/platform/logger.js';
import { backend, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTenant, TEST_NOW } from '../helpers/vault.js';

let t: TestDatabase;
let db: Database;
const clock = new FixedClock(TEST_NOW);

beforeAll(async () => {
  t = await openTestDatabase();
  db = t.db;
});

afterAll(async () => {
  await t?.destroy();
});

async function enqueue(tenantId: string, kind: string, payload: Record<string, unknown> = {}): Promise<string> {
  return db.withTenant(tenantId, (tx) => enqueueJob(tx, { tenantId, kind, payload, now: clock.now() }));
}

async function jobRow(tenantId: string, id: string) {
  return db.withTenant(tenantId, (tx) => tx.selectFrom('jobs').select(['state', 'attempts', 'failures', 'last_error', 'progress', 'finished_at']).where('id', '=', id).executeTakeFirstOrThrow());
}

/** A job kind that counts to `payload.target`, one step at a time, recording which tenant ran it. */
function counter(ran: string[]): JobKind {
  return {
    kind: 'test.count',
    step: (tenantId) => async (_tx, job) => {
      ran.push(tenantId);
      const count = Number(job.progress.count ?? 0) + 1;
      return { done: count >= Number(job.payload.target), progress: { count } };
    },
  };
}

describe(`job worker on ${backend}`, () => {
  it("runs every tenant's pending jobs to the end, taking the tenants in turn", async () => {
    const a = await createTenant(db, 'worker-a');
    const b = await createTenant(db, 'worker-b');
    const jobA = await enqueue(a, 'test.count', { target: 3 });
    const jobB = await enqueue(b, 'test.count', { target: 2 });
    const ran: string[] = [];
    const worker = startJobWorker({ db, clock, logger: createLogger('silent'), kinds: [counter(ran)], pollIntervalMs: 3_600_000 });
    try {
      expect(await worker.runOnce()).toBe(5);
    } finally {
      await worker.stop();
    }
    // Round-robin: neither tenant waits for the other's job to finish.
    const order = [a, b].sort();
    expect(ran.slice(0, 4)).toEqual([...order, ...order]);
    expect(await jobRow(a, jobA)).toMatchObject({ state: 'done', attempts: 3, failures: 0, progress: { count: 3 } });
    expect(await jobRow(b, jobB)).toMatchObject({ state: 'done', attempts: 2, failures: 0, progress: { count: 2 } });

    // Done jobs are not picked up again.
    const again = startJobWorker({ db, clock, logger: createLogger('silent'), kinds: [counter(ran)], pollIntervalMs: 3_600_000 });
    try {
      expect(await again.runOnce()).toBe(0);
    } finally {
      await again.stop();
    }
  });

  it('records a failing step by its code, retries it, and marks the job failed after maxAttempts consecutive failures', async () => {
    const tenant = await createTenant(db, 'worker-failing');
    const id = await enqueue(tenant, 'test.flaky');
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    let calls = 0;
    const flaky: JobKind = {
      kind: 'test.flaky',
      step: () => async (tx) => {
        calls += 1;
        // Work done before the failure is rolled back with the step.
        await tx.updateTable('jobs').set({ progress: JSON.stringify({ partial: true }) }).where('id', '=', id).execute();
        throw new AppError(RequestErrors.invalid, { detail: 'secret-value-4111111111111111' });
      },
    };
    const worker = startJobWorker({ db, clock, logger, kinds: [flaky], pollIntervalMs: 3_600_000, maxAttempts: 3 });
    try {
      await worker.runOnce();
      expect(await jobRow(tenant, id)).toMatchObject({ state: 'queued', failures: 1, last_error: 'request.invalid', progress: {} });
      await worker.runOnce();
      await worker.runOnce();
      expect(await jobRow(tenant, id)).toMatchObject({ state: 'failed', failures: 3, last_error: 'request.invalid', attempts: 0 });
      expect((await jobRow(tenant, id)).finished_at).not.toBeNull();
      await worker.runOnce(); // a failed job is left for an operator
    } finally {
      await worker.stop();
    }
    expect(calls).toBe(3);
    const failures = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'job step failed');
    expect(failures).toHaveLength(3);
    expect(failures[2]).toMatchObject({ code: 'request.invalid', jobId: id, failed: true, tenantId: tenant });
    // The error's detail (which could carry data) is not logged, nor stored on the job.
    expect(lines.join('\n')).not.toContain('4111111111111111');
    expect(JSON.stringify(await findJobs(db, tenant, 'test.flaky'))).not.toContain('4111111111111111');
  });

  it('a successful step resets the count of consecutive failures', async () => {
    const tenant = await createTenant(db, 'worker-recovering');
    const id = await enqueue(tenant, 'test.recovering');
    let calls = 0;
    const recovering: JobKind = {
      kind: 'test.recovering',
      step: () => async (_tx, job) => {
        calls += 1;
        if (calls === 1 || calls === 3) throw new AppError(RequestErrors.invalid);
        const count = Number(job.progress.count ?? 0) + 1;
        return { done: count >= 2, progress: { count } };
      },
    };
    const worker = startJobWorker({ db, clock, logger: createLogger('silent'), kinds: [recovering], pollIntervalMs: 3_600_000, maxAttempts: 2 });
    try {
      await worker.runOnce(); // fails
      expect(await jobRow(tenant, id)).toMatchObject({ state: 'queued', failures: 1 });
      await worker.runOnce(); // succeeds (count 1), then fails again in the same tick
      expect(await jobRow(tenant, id)).toMatchObject({ state: 'running', failures: 1, progress: { count: 1 } });
      await worker.runOnce(); // succeeds: done
    } finally {
      await worker.stop();
    }
    expect(await jobRow(tenant, id)).toMatchObject({ state: 'done', failures: 0, progress: { count: 2 } });
  });

  it('ignores job kinds it does not know (another process may run them)', async () => {
    const tenant = await createTenant(db, 'worker-unknown-kind');
    const id = await enqueue(tenant, 'test.elsewhere');
    const worker = startJobWorker({ db, clock, logger: createLogger('silent'), kinds: [counter([])], pollIntervalMs: 3_600_000 });
    try {
      await worker.runOnce();
    } finally {
      await worker.stop();
    }
    expect(await jobRow(tenant, id)).toMatchObject({ state: 'queued', attempts: 0, failures: 0 });
  });

  it('from platform scope, sees only which jobs are pending; from a tenant, only its own jobs', async () => {
    const a = await createTenant(db, 'worker-scope-a');
    const b = await createTenant(db, 'worker-scope-b');
    const pending = await enqueue(a, 'test.scope');
    const done = await enqueue(a, 'test.scope');
    await db.withTenant(a, (tx) => tx.updateTable('jobs').set({ state: 'done', finished_at: clock.now() }).where('id', '=', done).execute());
    const platformSees = await db.withPlatform((tx) => tx.selectFrom('jobs').select('id').where('kind', '=', 'test.scope').execute());
    expect(platformSees.map((r) => r.id)).toEqual([pending]);
    // Platform scope cannot change jobs (the policy is SELECT only).
    const updated = await db.withPlatform((tx) => tx.updateTable('jobs').set({ state: 'failed' }).where('id', '=', pending).executeTakeFirst());
    expect(Number(updated.numUpdatedRows)).toBe(0);
    const bSees = await db.withTenant(b, (tx) => tx.selectFrom('jobs').select('id').where('kind', '=', 'test.scope').execute());
    expect(bSees).toEqual([]);
  });
});
