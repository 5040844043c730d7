/**
 * The vocabulary of the access policy: what a decision is about (the context) and what it says
 * (the decision). Closed unions throughout, so that a value the engine does not know is a type
 * error at compile time and a `TypeError` at run time, never a silent non-match.
 */
import type { Role } from '../../agents/roles.js';
import type { RevealReason } from './reasons.js';

/**
 * Field classes, least sensitive first. `payment` is card data: it is tokenized before it is
 * stored, and the engine never lets it be revealed (see `cap.payment`).
 */
export const FIELD_CLASSES = ['public', 'internal', 'confidential', 'restricted', 'payment'] as const;
export type FieldClass = (typeof FIELD_CLASSES)[number];

/**
 * The state of the interaction through which the field is being read. `none`: the agent has no
 * interaction with this customer (only break-glass reaches any rule then).
 */
export const INTERACTION_STATES = ['none', 'queued', 'active', 'wrap_up', 'closed'] as const;
export type InteractionState = (typeof INTERACTION_STATES)[number];

/** States in which customer data can be shown without break-glass. */
export const LIVE_INTERACTION_STATES: readonly InteractionState[] = Object.freeze(['active', 'wrap_up']);

/**
 * Caller verification (assurance) level established for the interaction: 0 none, 1 low,
 * 2 substantial, 3 high. The names follow the eIDAS assurance levels the verification service uses.
 */
export const VERIFICATION_LEVELS = [0, 1, 2, 3] as const;
export type VerificationLevel = (typeof VERIFICATION_LEVELS)[number];
export const VERIFICATION_LEVEL_NAMES: Readonly<Record<VerificationLevel, string>> = Object.freeze({
  0: 'none',
  1: 'low',
  2: 'substantial',
  3: 'high',
});

/**
 * What the screen may do with the field, most restrictive first:
 * - `hidden`: not shown at all, not even that it exists;
 * - `masked`: only the masked form (vault masking per field type);
 * - `revealable`: masked, and a just-in-time reveal is allowed now for one of the listed reasons.
 *
 * There is no "clear" decision: a value is shown in clear only through a recorded reveal.
 */
export const DECISIONS = ['hidden', 'masked', 'revealable'] as const;
export type Decision = (typeof DECISIONS)[number];

/**
 * Everything the engine looks at. The caller establishes each fact (the session, shift and training
 * from the data-access gate, the interaction and its purpose from the interaction service, the
 * verification level from the verification session, break-glass from an unexpired grant); the
 * engine trusts the facts and decides. Booleans count only when they are exactly `true`.
 */
export interface AccessContext {
  readonly role: Role;
  readonly fieldClass: FieldClass;
  /** Why the field is kept (a tenant-defined purpose slug, e.g. `contact`, `billing`). */
  readonly fieldPurpose: string;
  /** Why it is being read: the interaction's purpose slug (e.g. `service`, `fraud`), or null when none was declared. */
  readonly accessPurpose: string | null;
  readonly interactionState: InteractionState;
  readonly verificationLevel: VerificationLevel;
  readonly trainingValid: boolean;
  readonly sessionUnlocked: boolean;
  readonly onShift: boolean;
  /** An unexpired break-glass grant covers this agent and this customer. */
  readonly breakGlass: boolean;
}

/** What a just-in-time reveal of the field needs. */
export interface RevealRequirement {
  /** Minimum caller verification level at the moment of the reveal. */
  readonly verificationLevel: VerificationLevel;
  /** The reason codes the agent may choose from (see {@link RevealReason}). */
  readonly reasons: readonly RevealReason[];
}

/** Identifiers of the decisions the engine makes itself, outside the tenant's rules. */
export const GUARD_IDS = ['guard.session_locked', 'guard.off_shift', 'guard.training_invalid', 'guard.interaction_inactive'] as const;
export type GuardId = (typeof GUARD_IDS)[number];
export const PAYMENT_CAP_ID = 'cap.payment';
export const DEFAULT_DENY_ID = 'default.deny';

/** Names of the conditions of a rule's `when`, as the trace reports a mismatch. */
export const CONDITIONS = ['roles', 'classes', 'fieldPurposes', 'accessPurposes', 'interactionStates', 'minVerificationLevel', 'breakGlass'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** One step of an evaluation, in the order the engine took it. */
export type TraceEntry =
  | {
      readonly kind: 'guard';
      readonly id: GuardId;
      /** The guard refused: the field is hidden and no rule is looked at. */
      readonly tripped: boolean;
    }
  | {
      readonly kind: 'rule';
      readonly id: string;
      /** Position in the policy's `rules`, from 0. */
      readonly index: number;
      readonly matched: boolean;
      /** The conditions that did not hold (empty when matched). */
      readonly failed: readonly Condition[];
    }
  | {
      readonly kind: 'cap';
      readonly id: typeof PAYMENT_CAP_ID;
      /** The rule whose `revealable` the cap lowered. */
      readonly ruleId: string;
    }
  | { readonly kind: 'default'; readonly id: typeof DEFAULT_DENY_ID };

interface DecisionBase {
  /** The guard, rule, cap or default that decided. A tenant rule id never contains a dot. */
  readonly ruleId: string;
  /** One sentence for people (agent console, CLI, audit). Contains no customer data. */
  readonly reason: string;
  /** The version of the policy evaluated, recorded with the decision (also when a guard decided). */
  readonly policyVersion: number;
  readonly trace: readonly TraceEntry[];
}

export interface HiddenDecision extends DecisionBase {
  readonly decision: 'hidden';
}

export interface MaskedDecision extends DecisionBase {
  readonly decision: 'masked';
  /**
   * Present when the deciding rule allows a reveal at a higher caller verification level than the
   * caller has: verifying the caller to this level would make the field revealable.
   */
  readonly stepUp?: { readonly verificationLevel: VerificationLevel };
}

export interface RevealableDecision extends DecisionBase {
  readonly decision: 'revealable';
  readonly revealRequires: RevealRequirement;
}

/** The engine's answer for one field. Switch on `decision`. */
export type PolicyDecision = HiddenDecision | MaskedDecision | RevealableDecision;
