/**
 * The policy document: one JSON object per tenant, versioned, validated by {@link policyDocumentSchema}.
 *
 * Every object is strict. A misspelt condition (`"rolse": ["agent"]`) would otherwise be dropped
 * and leave the rule matching every role; here it is an error. Every list and string is bounded,
 * and lists of conditions must be non-empty and free of repeats, so that what a rule says and what
 * it does are the same thing.
 *
 * This schema checks the shape of the document. {@link parsePolicy} adds what needs the whole rule
 * list (reachability under first-match, rules a less restrictive one overrides) and is the only
 * way to obtain a policy the engine evaluates.
 *
 * @example
 * ```json
 * {
 *   "version": 7,
 *   "rules": [
 *     {
 *       "id": "agent-contact-reveal",
 *       "description": "Agents may reveal contact data to a verified caller.",
 *       "when": { "roles": ["agent"], "classes": ["confidential"], "fieldPurposes": ["contact"], "interactionStates": ["active"] },
 *       "decision": "revealable",
 *       "revealRequires": { "verificationLevel": 2, "reasons": ["customer_request", "other"] }
 *     }
 *   ]
 * }
 * ```
 */
import { z } from 'zod';
import { type Role, ROLES } from '../../agents/roles.js';
import { REVEAL_REASONS, type RevealReason } from './reasons.js';
import { DECISIONS, FIELD_CLASSES, type FieldClass, INTERACTION_STATES, type InteractionState, type VerificationLevel } from './types.js';

/** A policy holds at most this many rules: enough for any tenant, small enough to review and to analyse. */
export const MAX_RULES = 500;
/** At most this many purposes in one condition. */
export const MAX_PURPOSES_PER_CONDITION = 50;
export const MAX_DESCRIPTION_LENGTH = 500;
/** Versions are positive 32-bit integers (they are stored and compared as such). */
export const MAX_POLICY_VERSION = 2_147_483_647;

/**
 * Purposes are tenant-defined codes: a lowercase letter, then lowercase letters, digits or
 * underscores, at most 64 characters (`contact`, `billing`, `fraud_review`). The same form as the
 * customer field schema's purpose codes (src/customers/fields.ts), so that every purpose a field
 * can carry is one a rule can name; test/access/policy-engine.test.ts checks that they agree.
 */
export const PURPOSE_SLUG = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Rule ids: a lowercase letter, then lowercase letters, digits, `-` or `_`, at most 64 characters.
 * No dots: the engine's own decisions are named `guard.*`, `cap.*` and `default.*`, and a tenant
 * rule must never be mistaken for one in the ledger.
 */
export const RULE_ID = /^[a-z][a-z0-9_-]{0,63}$/;

export const purposeSlugSchema = z.string().regex(PURPOSE_SLUG, 'must be a purpose code: a lowercase letter, then lowercase letters, digits or underscores, at most 64 characters');

/**
 * Text shown in terminals and consoles: control characters (terminal escape sequences) and
 * bidirectional overrides (text that reads differently from what it is) are refused.
 */
function isDisplaySafe(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
  }
  return true;
}

/** An offending value, quoted for a message when it is short and printable; otherwise left out. */
function quoted(value: unknown): string {
  return typeof value === 'string' && value.length <= 64 && isDisplaySafe(value) ? `'${value}'` : '(a value)';
}

export function duplicateIdMessage(id: string, earlier: number): string {
  return `duplicate rule id ${quoted(id)} (already used by rules[${earlier}])`;
}

/** A non-empty list without repeats; a repeat is reported at its own index. */
function uniqueList<T extends z.ZodType<string>>(item: T, max: number) {
  return z
    .array(item)
    .min(1, 'must list at least one value (leave the condition out to match any value)')
    .max(max, `must list at most ${max} values`)
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [index], message: `lists ${quoted(value)} more than once` });
        seen.add(value);
      });
    });
}

/** An enum whose error names the bad value (when it is a short string) and the allowed ones. */
function oneOf<const T extends readonly [string, ...string[]]>(what: string, values: T) {
  return z.enum(values, {
    error: (iss) => {
      const shown = typeof iss.input === 'string' ? ` ${quoted(iss.input)}` : '';
      return `unknown ${what}${shown}; expected one of ${values.join(', ')}`;
    },
  });
}

const verificationLevelSchema = z
  .number()
  .int('must be an integer verification level: 0 (none), 1 (low), 2 (substantial) or 3 (high)')
  .min(0, 'must be a verification level from 0 to 3')
  .max(3, 'must be a verification level from 0 to 3');

const conditionShape = {
  roles: uniqueList(oneOf('role', ROLES), ROLES.length).optional(),
  classes: uniqueList(oneOf('field class', FIELD_CLASSES), FIELD_CLASSES.length).optional(),
  fieldPurposes: uniqueList(purposeSlugSchema, MAX_PURPOSES_PER_CONDITION).optional(),
  /** An access without a declared purpose never matches a rule that lists access purposes. */
  accessPurposes: uniqueList(purposeSlugSchema, MAX_PURPOSES_PER_CONDITION).optional(),
  interactionStates: uniqueList(oneOf('interaction state', INTERACTION_STATES), INTERACTION_STATES.length).optional(),
  minVerificationLevel: verificationLevelSchema.optional(),
  /** true: only under a break-glass grant; false: only without one; absent: either. */
  breakGlass: z.boolean().optional(),
};

/** A strict object whose unknown-key error names the keys it does know. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T, unknown: string, known: string) {
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown ${unknown} ${iss.keys.map(quoted).join(', ')}; ${known} ${Object.keys(shape).join(', ')}`
        : undefined,
  });
}

const conditionSchema = strictObject(conditionShape, 'condition', 'conditions are');

const revealRequirementSchema = strictObject(
  {
    verificationLevel: verificationLevelSchema,
    reasons: uniqueList(oneOf('reveal reason', REVEAL_REASONS), REVEAL_REASONS.length),
  },
  'key',
  'revealRequires has',
);

/**
 * One flat object rather than a union on `decision`: a union stops at a bad `decision` and
 * reports nothing else about the rule, while a flat object reports every field's error at once.
 * The refinement then ties `revealRequires` to `revealable`.
 */
const ruleSchema = strictObject(
  {
    id: z.string().regex(RULE_ID, 'must be a rule id: a lowercase letter, then lowercase letters, digits, "-" or "_", at most 64 characters'),
    description: z
      .string()
      .min(1, 'must say what the rule is for')
      .max(MAX_DESCRIPTION_LENGTH, `must be at most ${MAX_DESCRIPTION_LENGTH} characters`)
      .refine(isDisplaySafe, 'must not contain control characters or bidirectional overrides'),
    when: conditionSchema,
    decision: oneOf('decision', DECISIONS),
    revealRequires: revealRequirementSchema.optional(),
  },
  'key',
  'a rule has',
).superRefine((rule, ctx) => {
  if (rule.decision === 'revealable' && rule.revealRequires === undefined) {
    ctx.addIssue({ code: 'custom', path: ['revealRequires'], message: 'a revealable rule must say what a reveal requires (verificationLevel and reasons)' });
  }
  if (rule.decision !== 'revealable' && rule.revealRequires !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['revealRequires'], message: `only a revealable rule has revealRequires; this rule is ${rule.decision}` });
  }
});

export const policyDocumentSchema = strictObject(
  {
    version: z
      .number()
      .int('must be a positive integer')
      .min(1, 'must be a positive integer')
      .max(MAX_POLICY_VERSION, `must be at most ${MAX_POLICY_VERSION}`),
    rules: z.array(ruleSchema).max(MAX_RULES, `a policy holds at most ${MAX_RULES} rules`),
  },
  'key',
  'a policy has',
).superRefine((doc, ctx) => {
  const first = new Map<string, number>();
  doc.rules.forEach((rule, index) => {
    const earlier = first.get(rule.id);
    if (earlier === undefined) {
      first.set(rule.id, index);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: ['rules', index, 'id'],
      message: duplicateIdMessage(rule.id, earlier),
      params: { policyIssue: 'duplicate_rule_id' },
    });
  });
});

/** The conditions of a rule; an absent condition matches any value. */
export interface RuleCondition {
readonly roles?: readonly Role[];
readonly classes?: readonly FieldClass[];
readonly fieldPurposes?: readonly string[];
readonly accessPurposes?: readonly string[];
readonly interactionStates?: readonly InteractionState[];
readonly minVerificationLevel?: VerificationLevel;
readonly breakGlass?: boolean;
}

interface RuleBase {
readonly id: string;
readonly description: string;
readonly when: RuleCondition;
}

export type PolicyRule =
| (RuleBase & { readonly decision: 'hidden' })
| (RuleBase & { readonly decision: 'masked' })
| (RuleBase & {
    readonly decision: 'revealable';
    readonly revealRequires: { readonly verificationLevel: VerificationLevel; readonly reasons: readonly RevealReason[] };
  });

export interface PolicyDocument {
readonly version: number;
readonly rules: readonly PolicyRule[];
}

/**
 * What {@link policyDocumentSchema} accepted, typed as the document it is. The schema's own output
 * type is flat (see the rule schema); its refinement guarantees that `revealRequires` is present
 * exactly on `revealable` rules, which is what this type says.
 */
export function asPolicyDocument(parsed: z.output<typeof policyDocumentSchema>): PolicyDocument {
return parsed as PolicyDocument;
}
