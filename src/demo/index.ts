export { DemoErrors } from './errors.js';
export { DEMO_CUSTOMERS, DEMO_SLUG, DEMO_STAFF, type DemoDeps, type DemoSeedResult, reissueDemoInvitations, seedDemo } from './seed.js';
