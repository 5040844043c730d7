export { enqueueJob, findJobs, type JobRow, type JobStep, runJobStep } from './queue.js';
