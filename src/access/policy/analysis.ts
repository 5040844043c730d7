/**
 * What a first-match rule list can get wrong, found before the policy is accepted:
 *
 * - a rule that can never decide (every context it names is refused by a guard, or decided by
 *   earlier rules, alone or together) is an error: a reader would believe it applies;
 * - a `revealable` rule that can only ever decide for card data is an error: the payment cap
 *   makes it `masked`, so the document would say the opposite of what happens;
 * - a rule that an earlier, less restrictive rule overrides for part of its contexts is a
 *   warning: it is how exceptions are written under first-match, and also how a prohibition
 *   appended to the end of a list silently fails to apply. The warning names one such context.
 * - a `revealable` rule that also covers card data is a warning (those fields stay masked).
 *
 * Exact, not heuristic: each rule's region minus the guard's region and minus every earlier
 * rule's region is computed as a union of disjoint regions; the rule is reachable iff that union
 * is non-empty. The work is bounded by {@link MAX_ANALYSIS_STEPS}; a policy needing more is refused
 * as too complex rather than accepted unverified.
 */
import { describeExample, includesClass, intersect, onlyClass, REFUSED_BY_INTERACTION_GUARD, type Region, regionOf, subtract } from './regions.js';
import type { PolicyDocument, PolicyRule } from './schema.js';

/**
 * Region subtractions allowed for one policy: about half a second of CPU on a small server. A
 * 500-rule policy of ordinary shape needs a few thousand; only hundreds of rules with long,
 * overlapping purpose lists come near it.
 */
export const MAX_ANALYSIS_STEPS = 1_000_000;

export type PolicyErrorCode = 'invalid' | 'duplicate_rule_id' | 'unreachable_rule' | 'payment_revealable' | 'too_complex';
export type PolicyWarningCode = 'overridden_by_less_restrictive' | 'payment_capped';

export interface PolicyIssue<Code extends string = PolicyErrorCode | PolicyWarningCode> {
  /** Stable code to switch on. */
  readonly code: Code;
  /** Where in the document, as keys and indexes (`['rules', 3, 'id']`). */
  readonly path: readonly (string | number)[];
  /** The same place as a JSON Pointer (RFC 6901), e.g. `/rules/3/id`; `""` for the whole document. */
  readonly pointer: string;
  /** What is wrong and, where it helps, how to fix it. Contains no customer data. */
  readonly message: string;
}
export type PolicyError = PolicyIssue<PolicyErrorCode>;
export type PolicyWarning = PolicyIssue<PolicyWarningCode>;

export function jsonPointer(path: readonly (string | number)[]): string {
  return path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export function issue<Code extends string>(code: Code, path: readonly (string | number)[], message: string): PolicyIssue<Code> {
  return Object.freeze({ code, path: Object.freeze([...path]), pointer: jsonPointer(path), message });
}

const RANK = { hidden: 0, masked: 1, revealable: 2 } as const;

/** `a` grants something `b` does not: a wider decision, or a reveal on easier terms. */
function lessRestrictive(a: PolicyRule, b: PolicyRule): boolean {
  if (RANK[a.decision] !== RANK[b.decision]) return RANK[a.decision] > RANK[b.decision];
  if (a.decision !== 'revealable' || b.decision !== 'revealable') return false;
  if (a.revealRequires.verificationLevel < b.revealRequires.verificationLevel) return true;
  const allowed = new Set(b.revealRequires.reasons);
  return a.revealRequires.reasons.some((reason) => !allowed.has(reason));
}

function quoteList(ids: readonly string[], max = 5): string {
  const shown = ids.slice(0, max).map((id) => `'${id}'`);
  return ids.length > max ? `${shown.join(', ')} and ${ids.length - max} more` : shown.join(', ');
}

export interface PolicyAnalysis {
  readonly errors: PolicyError[];
  readonly warnings: PolicyWarning[];
}

export function analysePolicy(doc: PolicyDocument, maxSteps: number = MAX_ANALYSIS_STEPS): PolicyAnalysis {
  const errors: PolicyError[] = [];
  const warnings: PolicyWarning[] = [];
  const regions = doc.rules.map((rule) => regionOf(rule.when));
  let steps = 0;

  for (const [j, rule] of doc.rules.entries()) {
    const own = regions[j] as Region;
    let remaining = subtract(own, REFUSED_BY_INTERACTION_GUARD);
    if (remaining.length === 0) {
      errors.push(
        issue(
          'unreachable_rule',
          ['rules', j, 'when'],
          `rule '${rule.id}' can never decide: every context it names has no live interaction (active or wrap_up) and no break-glass, and a guard hides those before any rule is read`,
        ),
      );
      continue;
    }

    const deciders: string[] = [];
    const ruleWarnings: PolicyWarning[] = [];
    for (let i = 0; i < j && remaining.length > 0; i++) {
      const earlier = doc.rules[i] as PolicyRule;
      const earlierRegion = regions[i] as Region;
      let overlap: Region | null = null;
      const next: Region[] = [];
      for (const piece of remaining) {
        if (++steps > maxSteps) {
          // Refused, not accepted unverified: an unverified policy is exactly what this check exists to prevent.
          const stop = issue('too_complex', ['rules'], `the policy is too complex to verify (stopped at rules[${j}] '${rule.id}'); merge rules or use fewer overlapping purpose lists`);
          return { errors: [...errors, stop], warnings };
        }
        overlap ??= intersect(piece, earlierRegion);
        next.push(...subtract(piece, earlierRegion));
      }
      if (overlap === null) continue;
      deciders.push(earlier.id);
      if (lessRestrictive(earlier, rule)) {
        ruleWarnings.push(
          issue(
            'overridden_by_less_restrictive',
            ['rules', j],
            `rule '${rule.id}' (${rule.decision}) does not apply where the earlier, less restrictive rule '${earlier.id}' (rules[${i}], ${earlier.decision}) matches first; for example: ${describeExample(overlap)}. Move '${rule.id}' above it if it is meant to apply there`,
          ),
        );
      }
      remaining = next;
    }

    if (remaining.length === 0) {
      errors.push(
        issue(
          'unreachable_rule',
          ['rules', j],
          `rule '${rule.id}' can never decide: every context it matches is decided first by ${quoteList(deciders)} or hidden by a guard (first matching rule wins); remove it or move it above them`,
        ),
      );
      continue;
    }
    warnings.push(...ruleWarnings);

    if (rule.decision === 'revealable') {
      if (remaining.every((piece) => onlyClass(piece, 'payment'))) {
        errors.push(
          issue(
            'payment_revealable',
            ['rules', j, 'decision'],
            `rule '${rule.id}' would decide only for card data, which is never revealable (cap.payment makes it masked); write "masked"`,
          ),
        );
      } else if (remaining.some((piece) => includesClass(piece, 'payment'))) {
        warnings.push(
          issue(
            'payment_capped',
            ['rules', j, 'when', 'classes'],
            `rule '${rule.id}' is revealable and also matches payment fields; those stay masked (cap.payment). List the classes to say so explicitly`,
          ),
        );
      }
    }
  }
  return { errors, warnings };
}
