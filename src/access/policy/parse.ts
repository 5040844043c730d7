/**
 * The only door into the engine: {@link parsePolicy} turns untrusted JSON into a {@link Policy},
 * and the engine evaluates nothing else. A policy is deep-frozen and registered here with its
 * compiled regions; an object that merely looks like a policy (a stored row, a cast) is refused
 * with a `TypeError`, so an unvalidated document can never be evaluated by mistake.
 */
import type { z } from 'zod';
import { analysePolicy, issue, type PolicyError, type PolicyWarning } from './analysis.js';
import { type Region, regionOf } from './regions.js';
import { asPolicyDocument, duplicateIdMessage, MAX_RULES, type PolicyDocument, type PolicyRule, policyDocumentSchema } from './schema.js';

declare const validated: unique symbol;

/** A policy document that passed {@link parsePolicy}. Immutable. */
export type Policy = PolicyDocument & { readonly [validated]: true };

export type PolicyParseResult =
  | { readonly ok: true; readonly policy: Policy; readonly warnings: readonly PolicyWarning[] }
  | { readonly ok: false; readonly errors: readonly PolicyError[] };

export interface CompiledRule {
  readonly rule: PolicyRule;
  readonly region: Region;
}

const compiled = new WeakMap<object, readonly CompiledRule[]>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function fromZod(zodIssue: z.core.$ZodIssue): PolicyError {
  const path = zodIssue.path.map((key) => (typeof key === 'number' ? key : String(key)));
  const own = zodIssue.code === 'custom' ? (zodIssue.params as { policyIssue?: unknown } | undefined)?.policyIssue : undefined;
  return issue(own === 'duplicate_rule_id' ? 'duplicate_rule_id' : 'invalid', path, zodIssue.message);
}

/** Rule ids used twice, read defensively from input that failed the schema. */
function duplicateIds(input: unknown): PolicyError[] {
  const rules = typeof input === 'object' && input !== null ? (input as { rules?: unknown }).rules : undefined;
  if (!Array.isArray(rules)) return [];
  const first = new Map<string, number>();
  const errors: PolicyError[] = [];
  rules.forEach((rule: unknown, index) => {
    const id = typeof rule === 'object' && rule !== null ? (rule as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') return;
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, index);
    else errors.push(issue('duplicate_rule_id', ['rules', index, 'id'], duplicateIdMessage(id, earlier)));
  });
  return errors;
}

/** Document order, so that errors read top to bottom. */
function sortByPath(errors: PolicyError[]): PolicyError[] {
  const key = (e: PolicyError): string => e.path.map((p) => (typeof p === 'number' ? String(p).padStart(6, '0') : p)).join('/');
  return errors.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Validates a policy document (untrusted: from a request, a file, a database row) and returns
 * either the policy the engine can evaluate, with warnings, or every error found, each with its
 * path in the document.
 *
 * @example
 * ```ts
 * const result = parsePolicy(JSON.parse(text));
 * if (!result.ok) {
 *   for (const e of result.errors) console.error(`${e.pointer}: ${e.message}`);
 * } else {
 *   decideFieldAccess(result.policy, context);
 * }
 * ```
 */
export function parsePolicy(input: unknown): PolicyParseResult {
  // Refuse an oversized list before the schema walks every element of it.
  if (typeof input === 'object' && input !== null && Array.isArray((input as { rules?: unknown }).rules)) {
    const count = (input as { rules: unknown[] }).rules.length;
    if (count > MAX_RULES) {
      return { ok: false, errors: [issue('invalid', ['rules'], `a policy holds at most ${MAX_RULES} rules (this one has ${count})`)] };
    }
  }
  const parsed = policyDocumentSchema.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map(fromZod);
    // The schema's own duplicate check does not run once a rule has failed to parse; find
    // duplicates here too, so that one pass shows every error.
    const reported = new Set(errors.filter((e) => e.code === 'duplicate_rule_id').map((e) => e.pointer));
    for (const duplicate of duplicateIds(input)) if (!reported.has(duplicate.pointer)) errors.push(duplicate);
    return { ok: false, errors: sortByPath(errors) };
  }

  // zod returns fresh objects, so freezing them cannot freeze anything the caller still holds.
  const doc: PolicyDocument = deepFreeze(asPolicyDocument(parsed.data));
  const analysis = analysePolicy(doc);
  if (analysis.errors.length > 0) return { ok: false, errors: analysis.errors };

  const policy = doc as Policy;
  compiled.set(
    policy,
    Object.freeze(doc.rules.map((rule) => Object.freeze({ rule, region: regionOf(rule.when) }))),
  );
  return { ok: true, policy, warnings: Object.freeze(analysis.warnings) };
}

/** The compiled rules of a policy from {@link parsePolicy}; a `TypeError` for anything else. */
export function compiledRules(policy: Policy): readonly CompiledRule[] {
  const rules = typeof policy === 'object' && policy !== null ? compiled.get(policy) : undefined;
  if (rules === undefined) throw new TypeError('not a policy returned by parsePolicy');
  return rules;
}
