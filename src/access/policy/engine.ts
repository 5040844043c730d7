/**
 * The decision for one field, in a fixed order that no policy can change:
 *
 * 1. Guards. A locked session, an agent off shift, expired training, or no live interaction
 *    (state `none`, `queued` or `closed`) without break-glass: `hidden`. The tenant's rules are
 *    not read, so no rule can grant what a guard refuses.
 * 2. Rules, in document order; the first rule whose every condition holds decides.
 * 3. No rule matched: `hidden` (`default.deny`).
 * 4. A `revealable` outcome is then limited: card data (`payment`) is never revealable, so it
 *    becomes `masked` (`cap.payment`); a caller verified below the rule's `revealRequires`
 *    level gets `masked` with the level that would allow the reveal (`stepUp`).
 *
 * Pure: no I/O, no clock, no randomness. The same policy and context give the same decision.
 */
import { ROLES } from '../../agents/roles.js';
import { compiledRules, type Policy } from './parse.js';
import { failedConditions } from './regions.js';
import { PURPOSE_SLUG } from './schema.js';
import {
  type AccessContext,
  DEFAULT_DENY_ID,
  FIELD_CLASSES,
  type GuardId,
  INTERACTION_STATES,
  LIVE_INTERACTION_STATES,
  PAYMENT_CAP_ID,
  type PolicyDecision,
  type TraceEntry,
  VERIFICATION_LEVEL_NAMES,
  VERIFICATION_LEVELS,
} from './types.js';

const ROLE_SET = new Set<unknown>(ROLES);
const CLASS_SET = new Set<unknown>(FIELD_CLASSES);
const STATE_SET = new Set<unknown>(INTERACTION_STATES);
const LEVEL_SET = new Set<unknown>(VERIFICATION_LEVELS);

function requireBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`context.${name} must be a boolean`);
  return value;
}

/**
 * Copies the context into a plain object, checking each value once. Reading each property exactly
 * once matters: a getter could otherwise answer the guard one way and the rules another.
 * An invalid context is a bug in the caller, not untrusted input: it throws `TypeError`.
 */
export function readContext(input: AccessContext): AccessContext {
  if (typeof input !== 'object' || input === null) throw new TypeError('context must be an object');
  const { role, fieldClass, fieldPurpose, accessPurpose, interactionState, verificationLevel } = input;
  if (!ROLE_SET.has(role)) throw new TypeError('context.role is not a known role');
  if (!CLASS_SET.has(fieldClass)) throw new TypeError('context.fieldClass is not a known field class');
  if (typeof fieldPurpose !== 'string' || !PURPOSE_SLUG.test(fieldPurpose)) throw new TypeError('context.fieldPurpose must be a purpose slug');
  if (accessPurpose !== null && (typeof accessPurpose !== 'string' || !PURPOSE_SLUG.test(accessPurpose))) {
    throw new TypeError('context.accessPurpose must be a purpose slug or null');
  }
  if (!STATE_SET.has(interactionState)) throw new TypeError('context.interactionState is not a known state');
  if (!LEVEL_SET.has(verificationLevel)) throw new TypeError('context.verificationLevel must be 0, 1, 2 or 3');
  return Object.freeze({
    role,
    fieldClass,
    fieldPurpose,
    accessPurpose,
    interactionState,
    verificationLevel,
    trainingValid: requireBoolean(input.trainingValid, 'trainingValid'),
    sessionUnlocked: requireBoolean(input.sessionUnlocked, 'sessionUnlocked'),
    onShift: requireBoolean(input.onShift, 'onShift'),
    breakGlass: requireBoolean(input.breakGlass, 'breakGlass'),
  });
}

interface Guard {
  readonly id: GuardId;
  readonly trips: (ctx: AccessContext) => boolean;
  readonly reason: (ctx: AccessContext) => string;
}

/** In the order of the data-access gate (src/agents/access-gate.ts), so both report the same first failure. */
export const GUARDS: readonly Guard[] = Object.freeze([
  {
    id: 'guard.session_locked',
    trips: (ctx) => !ctx.sessionUnlocked,
    reason: () => "The agent's session is locked; customer data is hidden until the agent re-authenticates.",
  },
  {
    id: 'guard.off_shift',
    trips: (ctx) => !ctx.onShift,
    reason: () => 'The agent is outside their shift or on a break; customer data is hidden outside working time.',
  },
  {
    id: 'guard.training_invalid',
    trips: (ctx) => !ctx.trainingValid,
    reason: () => "The agent's security training or code-of-conduct acknowledgement is not current; without it there is no access to customer data.",
  },
  {
    id: 'guard.interaction_inactive',
    trips: (ctx) => !LIVE_INTERACTION_STATES.includes(ctx.interactionState) && !ctx.breakGlass,
    reason: (ctx) =>
      ctx.interactionState === 'none'
        ? 'There is no interaction with this customer and no break-glass grant; customer data is shown only within an active interaction or its wrap-up.'
        : `The interaction is ${ctx.interactionState === 'queued' ? 'still queued' : 'closed'} and there is no break-glass grant; customer data is shown only within an active interaction or its wrap-up.`,
  },
]);

function levelName(level: number): string {
  return `level ${level} (${VERIFICATION_LEVEL_NAMES[level as keyof typeof VERIFICATION_LEVEL_NAMES]})`;
}

/**
 * Decides whether one field is `hidden`, `masked` or `revealable` for this context under this
 * policy, and says why.
 *
 * `revealable` means a reveal is allowed now, for one of `revealRequires.reasons`; the reveal
 * service still checks the chosen reason (and its free text) and records the reveal.
 *
 * @throws TypeError when `policy` did not come from {@link parsePolicy} or the context is invalid.
 *
 * @example
 * ```ts
 * const d = decideFieldAccess(DEFAULT_POLICY, {
 *   role: 'agent', fieldClass: 'confidential', fieldPurpose: 'contact', accessPurpose: 'service',
 *   interactionState: 'active', verificationLevel: 2,
 *   trainingValid: true, sessionUnlocked: true, onShift: true, breakGlass: false,
 * });
 * // d.decision === 'revealable', d.ruleId === 'agent-confidential-reveal'
 * ```
 */
export function decideFieldAccess(policy: Policy, context: AccessContext): PolicyDecision {
  const rules = compiledRules(policy);
  const ctx = readContext(context);
  const policyVersion = policy.version;
  const trace: TraceEntry[] = [];

  let refusedBy: Guard | undefined;
  for (const guard of GUARDS) {
    const tripped = guard.trips(ctx);
    trace.push({ kind: 'guard', id: guard.id, tripped });
    refusedBy ??= tripped ? guard : undefined;
  }
  if (refusedBy !== undefined) {
    return { decision: 'hidden', ruleId: refusedBy.id, reason: refusedBy.reason(ctx), policyVersion, trace };
  }

  for (const [index, { rule, region }] of rules.entries()) {
    const failed = failedConditions(region, ctx);
    trace.push({ kind: 'rule', id: rule.id, index, matched: failed.length === 0, failed });
    if (failed.length > 0) continue;

    const because = `Rule '${rule.id}' decides: ${rule.description}`;
    if (rule.decision !== 'revealable') {
      return { decision: rule.decision, ruleId: rule.id, reason: because, policyVersion, trace };
    }
    if (ctx.fieldClass === 'payment') {
      trace.push({ kind: 'cap', id: PAYMENT_CAP_ID, ruleId: rule.id });
      return {
        decision: 'masked',
        ruleId: PAYMENT_CAP_ID,
        reason: `Rule '${rule.id}' would make this card-data field revealable; card data is never revealed (only tokens and masked values), so it stays masked.`,
        policyVersion,
        trace,
      };
    }
    const needed = rule.revealRequires.verificationLevel;
    if (ctx.verificationLevel < needed) {
      return {
        decision: 'masked',
        ruleId: rule.id,
        reason: `Rule '${rule.id}' allows a reveal once the caller is verified to ${levelName(needed)}; the caller is at ${levelName(ctx.verificationLevel)}, so the value stays masked.`,
        stepUp: { verificationLevel: needed },
        policyVersion,
        trace,
      };
    }
    return {
      decision: 'revealable',
      ruleId: rule.id,
      reason: because,
      revealRequires: { verificationLevel: needed, reasons: rule.revealRequires.reasons },
      policyVersion,
      trace,
    };
  }

  trace.push({ kind: 'default', id: DEFAULT_DENY_ID });
  return {
    decision: 'hidden',
    ruleId: DEFAULT_DENY_ID,
    reason: `No rule of policy version ${policyVersion} matches; whatever no rule allows is hidden.`,
    policyVersion,
    trace,
  };
}
