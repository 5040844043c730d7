/**
 * The access policy engine: for one field and one context, `hidden`, `masked` or `revealable`,
 * and why. Pure (no database, no clock, no I/O). See docs/access.md, "The policy engine".
 *
 * @example
 * ```ts
 * import { DEFAULT_POLICY, decideFieldAccess, parsePolicy } from './access/policy/index.js';
 *
 * const parsed = parsePolicy(storedJson);
 * const policy = parsed.ok ? parsed.policy : DEFAULT_POLICY;
 * const d = decideFieldAccess(policy, context);
 * if (d.decision === 'revealable') offerReveal(d.revealRequires.reasons);
 * ```
 */
export {
  type AccessContext,
  type Condition,
  CONDITIONS,
  type Decision,
  DECISIONS,
  DEFAULT_DENY_ID,
  FIELD_CLASSES,
  type FieldClass,
  GUARD_IDS,
  type GuardId,
  type HiddenDecision,
  INTERACTION_STATES,
  type InteractionState,
  LIVE_INTERACTION_STATES,
  type MaskedDecision,
  PAYMENT_CAP_ID,
  type PolicyDecision,
  type RevealableDecision,
  type RevealRequirement,
  type TraceEntry,
  VERIFICATION_LEVEL_NAMES,
  VERIFICATION_LEVELS,
  type VerificationLevel,
} from './types.js';
export { isRevealReason, REVEAL_REASON_INFO, REVEAL_REASONS, type RevealReason, type RevealReasonInfo, revealReasonRequiresText } from './reasons.js';
export {
  MAX_DESCRIPTION_LENGTH,
  MAX_POLICY_VERSION,
  MAX_PURPOSES_PER_CONDITION,
  MAX_RULES,
  type PolicyDocument,
  policyDocumentSchema,
  type PolicyRule,
  PURPOSE_SLUG,
  purposeSlugSchema,
  RULE_ID,
  type RuleCondition,
} from './schema.js';
export { MAX_ANALYSIS_STEPS, type PolicyError, type PolicyErrorCode, type PolicyIssue, type PolicyWarning, type PolicyWarningCode } from './analysis.js';
export { parsePolicy, type Policy, type PolicyParseResult } from './parse.js';
export { decideFieldAccess } from './engine.js';
export { explain } from './explain.js';
export { DEFAULT_POLICY } from './defaults.js';
