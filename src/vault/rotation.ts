/**
 * Key rotation without downtime. `startRotation` adds a KEK version (new data keys use it at
 * once) and queues a `vault.rewrap` job in the same transaction; `rewrapStep` re-wraps one batch
 * of data keys per transaction until none is left under an older version. Old versions keep
 * working for reading meanwhile; once no data key depends on one, it can be retired.
 */
import type { Database } from '../db/index.js';
import { enqueueJob, findJobs, type JobKind, type JobRow, runJobStep, type JobStep } from '../jobs/index.js';
import type { Clock } from '../platform/clock.js';
import type { Keyring } from './keyring.js';

export const REWRAP_JOB = 'vault.rewrap';

export interface RotationDeps {
  readonly db: Database;
  readonly keyring: Keyring;
  readonly clock: Clock;
}

export async function startRotation(deps: RotationDeps, tenantId: string): Promise<{ version: number; jobId: string }> {
  return deps.db.withTenant(tenantId, async (tx) => {
    await deps.keyring.currentKek(tx, tenantId); // version 1 exists before version 2 is added
    const version = await deps.keyring.addKekVersion(tx, tenantId);
    const jobId = await enqueueJob(tx, { tenantId, kind: REWRAP_JOB, payload: { targetVersion: version }, now: deps.clock.now() });
    return { version, jobId };
  });
}

function rewrapStep(keyring: Keyring, tenantId: string, batchSize: number): JobStep {
  return async (tx, job) => {
    const { rewrapped, targetVersion } = await keyring.rewrapBatch(tx, tenantId, batchSize);
    const total = Number(job.progress.rewrapped ?? 0) + rewrapped;
    // Only a short batch can be the last one; it alone pays for the recount that waits for writers.
    const remaining =
      rewrapped === batchSize
        ? (await keyring.kekStatus(tx)).filter((v) => v.version < targetVersion).reduce((sum, v) => sum + v.dataKeys, 0)
        : await keyring.remainingToRewrap(tx, targetVersion);
    return { done: rewrapped < batchSize && remaining === 0, progress: { rewrapped: total, remaining, targetVersion } };
  };
}

/** Re-wrap jobs as the background job worker runs them (src/jobs/worker.ts). */
export function rewrapJobKind(keyring: Keyring, batchSize = 500): JobKind {
  return { kind: REWRAP_JOB, step: (tenantId) => rewrapStep(keyring, tenantId, batchSize) };
}

/**
 * Works on the tenant's rewrap jobs until none is pending (or `maxSteps` steps ran). Safe to run
 * in several processes at once; `onStep` reports progress.
 */
export async function runRewrap(
  deps: RotationDeps,
  tenantId: string,
  options: { batchSize?: number; maxSteps?: number; onStep?: (job: JobRow) => void } = {},
): Promise<number> {
  const step = rewrapStep(deps.keyring, tenantId, options.batchSize ?? 500);
  let steps = 0;
  while (steps < (options.maxSteps ?? Number.POSITIVE_INFINITY)) {
    const job = await runJobStep(deps.db, tenantId, REWRAP_JOB, step, deps.clock);
    if (job === undefined) break;
    steps += 1;
    options.onStep?.(job);
  }
  return steps;
}

export async function rotationStatus(deps: RotationDeps, tenantId: string) {
  const versions = await deps.db.withTenant(tenantId, (tx) => deps.keyring.kekStatus(tx));
  const jobs = await findJobs(deps.db, tenantId, REWRAP_JOB);
  return { versions, jobs };
}
