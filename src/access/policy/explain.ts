/**
 * `explain`: the decision for one field as text a person can check line by line, for
 * `custodia access explain` and for support. It is rendered from the same trace the engine
 * produced while deciding, so it cannot disagree with the decision.
 *
 * Everything printed is either fixed text, a validated slug, or a rule description (validated
 * free of control characters and bidirectional overrides): safe to print to a terminal.
 */
import { decideFieldAccess, GUARDS, readContext } from './engine.js';
import { compiledRules, type Policy } from './parse.js';
import type { PolicyRule } from './schema.js';
import { type AccessContext, type Condition, LIVE_INTERACTION_STATES, type PolicyDecision, type TraceEntry, VERIFICATION_LEVEL_NAMES } from './types.js';

function level(n: number): string {
  return `${n} (${VERIFICATION_LEVEL_NAMES[n as keyof typeof VERIFICATION_LEVEL_NAMES]})`;
}

function names(values: readonly (string | number)[]): string {
  return values.join(', ');
}

function whyNot(condition: Condition, rule: PolicyRule, ctx: AccessContext): string {
  const w = rule.when;
  switch (condition) {
    case 'roles':
      return `role is ${ctx.role}, the rule names ${names(w.roles ?? [])}`;
    case 'classes':
      return `class is ${ctx.fieldClass}, the rule names ${names(w.classes ?? [])}`;
    case 'fieldPurposes':
      return `field purpose is ${ctx.fieldPurpose}, the rule names ${names(w.fieldPurposes ?? [])}`;
    case 'accessPurposes':
      return ctx.accessPurpose === null
        ? `no access purpose is declared, the rule names ${names(w.accessPurposes ?? [])}`
        : `access purpose is ${ctx.accessPurpose}, the rule names ${names(w.accessPurposes ?? [])}`;
    case 'interactionStates':
      return `interaction is ${ctx.interactionState}, the rule names ${names(w.interactionStates ?? [])}`;
    case 'minVerificationLevel':
      return `caller is at level ${level(ctx.verificationLevel)}, the rule needs at least ${level(w.minVerificationLevel ?? 0)}`;
    case 'breakGlass':
      return w.breakGlass === true ? 'there is no break-glass grant, the rule needs one' : 'a break-glass grant is active, the rule applies only without one';
  }
}

function outcomeOf(rule: PolicyRule): string {
  if (rule.decision !== 'revealable') return rule.decision;
  return `revealable (reveal needs caller level ${level(rule.revealRequires.verificationLevel)}; reasons: ${names(rule.revealRequires.reasons)})`;
}

function describeContext(ctx: AccessContext): string {
  return [
    `role ${ctx.role}`,
    `field class ${ctx.fieldClass}`,
    `field purpose ${ctx.fieldPurpose}`,
    ctx.accessPurpose === null ? 'no access purpose' : `access purpose ${ctx.accessPurpose}`,
    `interaction ${ctx.interactionState}`,
    `caller verification ${level(ctx.verificationLevel)}`,
    ctx.trainingValid ? 'training valid' : 'training NOT valid',
    ctx.sessionUnlocked ? 'session unlocked' : 'session LOCKED',
    ctx.onShift ? 'on shift' : 'OFF SHIFT',
    ctx.breakGlass ? 'BREAK-GLASS active' : 'no break-glass',
  ].join('; ');
}

const GUARD_PASS: Readonly<Record<string, (ctx: AccessContext) => string>> = {
  'guard.session_locked': () => 'session unlocked',
  'guard.off_shift': () => 'on shift',
  'guard.training_invalid': () => 'training valid',
  'guard.interaction_inactive': (ctx) =>
    LIVE_INTERACTION_STATES.includes(ctx.interactionState) ? `interaction ${ctx.interactionState}` : `interaction ${ctx.interactionState}, let through by break-glass`,
};

function resultLine(d: PolicyDecision): string {
  switch (d.decision) {
    case 'hidden':
      return 'Result: hidden';
    case 'masked':
      return d.stepUp === undefined ? 'Result: masked' : `Result: masked (verifying the caller to level ${level(d.stepUp.verificationLevel)} would make it revealable)`;
    case 'revealable':
      return `Result: revealable now, for one of: ${names(d.revealRequires.reasons)} (caller verified to at least level ${level(d.revealRequires.verificationLevel)})`;
  }
}

/**
 * A multi-line account of the decision: the context, each guard, each rule up to the one that
 * decided and why each earlier rule did not match, any cap, and the result. Ends without a newline.
 *
 * @throws TypeError as {@link decideFieldAccess} does.
 *
 * @example
 * ```ts
 * console.log(explain(DEFAULT_POLICY, context));
 * // Decision: masked, by rule 'agent-confidential-reveal' (policy version 1)
 * // ...
 * ```
 */
export function explain(policy: Policy, context: AccessContext): string {
  const rules = compiledRules(policy);
  const ctx = readContext(context);
  const d = decideFieldAccess(policy, ctx);
  const lines: string[] = [];
  const by = d.ruleId.startsWith('guard.') ? 'guard' : d.ruleId.startsWith('cap.') ? 'cap' : d.ruleId === 'default.deny' ? 'default' : 'rule';
  lines.push(`Decision: ${d.decision}, by ${by} '${d.ruleId}' (policy version ${d.policyVersion})`);
  lines.push(`Reason: ${d.reason}`);
  lines.push(`Context: ${describeContext(ctx)}`);
  lines.push('');

  const guards = d.trace.filter((t): t is Extract<TraceEntry, { kind: 'guard' }> => t.kind === 'guard');
  const width = Math.max(...GUARDS.map((g) => g.id.length));
  lines.push('Guards (checked before any rule; a policy cannot change them):');
  let guardDecided = false;
  for (const g of guards) {
    const guard = GUARDS.find((x) => x.id === g.id);
    const text = g.tripped ? (guardDecided ? 'also refuses' : `REFUSES -> hidden: ${guard?.reason(ctx) ?? ''}`) : (GUARD_PASS[g.id]?.(ctx) ?? 'passes');
    lines.push(`  ${g.tripped ? 'FAIL' : 'pass'}  ${g.id.padEnd(width)}  ${text}`);
    guardDecided ||= g.tripped;
  }

  lines.push(`Rules (${rules.length}; the first rule whose conditions all hold decides):`);
  if (guardDecided) {
    lines.push('  not evaluated: a guard decided');
  } else {
    const evaluated = d.trace.filter((t): t is Extract<TraceEntry, { kind: 'rule' }> => t.kind === 'rule');
    const idWidth = Math.min(40, Math.max(0, ...rules.map(({ rule }) => rule.id.length)));
    const numWidth = String(rules.length).length;
    for (const t of evaluated) {
      const rule = rules[t.index]?.rule;
      if (rule === undefined) continue;
      const head = `  [${String(t.index).padStart(numWidth)}] ${t.id.padEnd(idWidth)}  `;
      if (t.matched) {
        lines.push(`${head}MATCH -> ${outcomeOf(rule)}`);
        lines.push(`  ${' '.repeat(numWidth + 2)} ${''.padEnd(idWidth)}  "${rule.description}"`);
      } else {
        lines.push(`${head}no match: ${t.failed.map((c) => whyNot(c, rule, ctx)).join('; ')}`);
      }
    }
    const last = evaluated.at(-1);
    if (last?.matched === true && last.index < rules.length - 1) {
      const from = last.index + 1;
      const to = rules.length - 1;
      lines.push(`  ${from === to ? `[${from}]` : `[${from}..${to}]`} not evaluated: an earlier rule decided`);
    }
    if (rules.length === 0 || last?.matched !== true) lines.push(`  no rule matched -> default.deny: hidden`);
  }

  const cap = d.trace.find((t) => t.kind === 'cap');
  if (cap !== undefined) {
    lines.push(`Cap: cap.payment lowers '${cap.ruleId}' from revealable to masked (card data is never revealed)`);
  } else if (d.decision === 'masked' && d.stepUp !== undefined) {
    lines.push(`Verification: the rule's reveal needs caller level ${level(d.stepUp.verificationLevel)}; the caller is at ${level(ctx.verificationLevel)} -> masked`);
  }
  lines.push(resultLine(d));
  return lines.join('\n');
}
