export { AccessErrors } from './errors.js';
export { BREAK_GLASS_ROLES, type BreakGlass, type BreakGlassGrant, createBreakGlass } from './break-glass.js';
export { type Explanation, explainAccess } from './explain.js';
export { findRecordGrant, type RecordGrant } from './grants.js';
export { activePolicy, savePolicy } from './policy-store.js';
export { createRecordAccess, type OpenedRecord, type RecordAccess, type RevealStepUp, type ShownField } from './records.js';
export { registerAccessRoutes } from './routes.js';
export * from './policy/index.js';
