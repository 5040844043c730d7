export { enqueueJob, findJobs, type JobRow, type JobStep, runJobStep } from './queue.js';
export { type JobKind, type JobWorker, type JobWorkerOptions, startJobWorker } from './worker.js';
