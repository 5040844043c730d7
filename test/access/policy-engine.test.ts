/**
 * The policy engine on small, purpose-built policies: deny by default, the guards, the payment
 * cap, first-match semantics, validation (with paths) and the reachability analysis, and `explain`.
 * The default policy has its own literal tables in policy-defaults.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { analysePolicy } from '../../src/access/policy/analysis.js';
import {
  type AccessContext,
  DEFAULT_POLICY,
  decideFieldAccess,
  explain,
  FIELD_CLASSES,
  isRevealReason,
  MAX_RULES,
  type Policy,
  type PolicyDocument,
  type PolicyError,
  parsePolicy,
  type PolicyWarning,
  REVEAL_REASONS,
  revealReasonRequiresText,
} from '../../src/access/policy/index.js';

function context(overrides: Partial<AccessContext> = {}): AccessContext {
  return {
    role: 'agent',
    fieldClass: 'internal',
    fieldPurpose: 'contact',
    accessPurpose: 'service',
    interactionState: 'active',
    verificationLevel: 0,
    trainingValid: true,
    sessionUnlocked: true,
    onShift: true,
    breakGlass: false,
    ...overrides,
  };
}

type RuleInput = Record<string, unknown>;

function rule(id: string, when: Record<string, unknown>, decision: 'hidden' | 'masked' | 'revealable' = 'masked', revealRequires?: object): RuleInput {
  const base: RuleInput = { id, description: `test rule ${id}`, when, decision };
  if (decision === 'revealable') base.revealRequires = revealRequires ?? { verificationLevel: 0, reasons: ['customer_request', 'other'] };
  return base;
}

function accepted(rules: RuleInput[], version = 1): { policy: Policy; warnings: readonly PolicyWarning[] } {
  const result = parsePolicy({ version, rules });
  if (!result.ok) throw new Error(`expected a valid policy, got: ${JSON.stringify(result.errors)}`);
  return result;
}

function policy(rules: RuleInput[], version = 1): Policy {
  return accepted(rules, version).policy;
}

function rejected(input: unknown): readonly PolicyError[] {
  const result = parsePolicy(input);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

const pointers = (errors: readonly PolicyError[]): string[] => errors.map((e) => e.pointer);

describe('deny by default', () => {
  it('hides everything under a policy without rules, by default.deny', () => {
    const d = decideFieldAccess(policy([]), context({ fieldClass: 'public', verificationLevel: 3 }));
    expect(d).toMatchObject({ decision: 'hidden', ruleId: 'default.deny', policyVersion: 1 });
    expect(d.reason).toBe('No rule of policy version 1 matches; whatever no rule allows is hidden.');
    expect(d.trace.at(-1)).toEqual({ kind: 'default', id: 'default.deny' });
  });

  it('hides what no rule matches, after trying every rule', () => {
    const p = policy([rule('supervisors-only', { roles: ['supervisor'] }, 'revealable'), rule('billing-only', { fieldPurposes: ['billing'] })], 4);
    const d = decideFieldAccess(p, context());
    expect(d).toMatchObject({ decision: 'hidden', ruleId: 'default.deny', policyVersion: 4 });
    expect(d.trace.filter((t) => t.kind === 'rule')).toEqual([
      { kind: 'rule', id: 'supervisors-only', index: 0, matched: false, failed: ['roles'] },
      { kind: 'rule', id: 'billing-only', index: 1, matched: false, failed: ['fieldPurposes'] },
    ]);
  });
});

describe('guards', () => {
  const everything = policy([rule('everything', {}, 'revealable')]);

  it('let a context that passes them reach the rules', () => {
    expect(decideFieldAccess(everything, context()).decision).toBe('revealable');
  });

  it.each([
    ['guard.session_locked', { sessionUnlocked: false }],
    ['guard.off_shift', { onShift: false }],
    ['guard.training_invalid', { trainingValid: false }],
    ['guard.interaction_inactive', { interactionState: 'none' }],
    ['guard.interaction_inactive', { interactionState: 'queued' }],
    ['guard.interaction_inactive', { interactionState: 'closed' }],
  ] as const)('%s hides the field whatever the rules say (%o)', (id, trip) => {
    const d = decideFieldAccess(everything, context({ verificationLevel: 3, ...trip }));
    expect(d).toMatchObject({ decision: 'hidden', ruleId: id });
    // The rules were not read.
    expect(d.trace.some((t) => t.kind === 'rule')).toBe(false);
  });

  it('are not lifted by break-glass, except the interaction guard', () => {
    for (const trip of [{ sessionUnlocked: false }, { onShift: false }, { trainingValid: false }]) {
      expect(decideFieldAccess(everything, context({ breakGlass: true, ...trip })).decision).toBe('hidden');
    }
    for (const interactionState of ['none', 'queued', 'closed'] as const) {
      expect(decideFieldAccess(everything, context({ breakGlass: true, interactionState })).decision).toBe('revealable');
    }
  });

  it('report the first that trips, in the data-access gate order: locked, off shift, training, interaction', () => {
    const all = { sessionUnlocked: false, onShift: false, trainingValid: false, interactionState: 'none' } as const;
    expect(decideFieldAccess(everything, context(all)).ruleId).toBe('guard.session_locked');
    expect(decideFieldAccess(everything, context({ ...all, sessionUnlocked: true })).ruleId).toBe('guard.off_shift');
    expect(decideFieldAccess(everything, context({ ...all, sessionUnlocked: true, onShift: true })).ruleId).toBe('guard.training_invalid');
    const d = decideFieldAccess(everything, context(all));
    expect(d.trace).toEqual([
      { kind: 'guard', id: 'guard.session_locked', tripped: true },
      { kind: 'guard', id: 'guard.off_shift', tripped: true },
      { kind: 'guard', id: 'guard.training_invalid', tripped: true },
      { kind: 'guard', id: 'guard.interaction_inactive', tripped: true },
    ]);
  });

  it('are not rule ids a tenant can write (no dots in rule ids)', () => {
    const errors = rejected({ version: 1, rules: [rule('guard.session_locked', {}, 'revealable')] });
    expect(pointers(errors)).toEqual(['/rules/0/id']);
  });
});

describe('payment cap', () => {
  const { policy: open } = accepted([rule('reveal-everything', { classes: ['public', 'payment'] }, 'revealable')]);

  it('lowers revealable to masked for card data, naming the cap and the rule it capped', () => {
    const d = decideFieldAccess(open, context({ fieldClass: 'payment', verificationLevel: 3, breakGlass: true }));
    expect(d).toMatchObject({ decision: 'masked', ruleId: 'cap.payment' });
    expect(d.reason).toContain("'reveal-everything'");
    expect(d.trace.at(-1)).toEqual({ kind: 'cap', id: 'cap.payment', ruleId: 'reveal-everything' });
    expect('revealRequires' in d).toBe(false);
  });

  it('leaves other classes under the same rule revealable', () => {
    expect(decideFieldAccess(open, context({ fieldClass: 'public' })).decision).toBe('revealable');
  });

  it('never raises a decision: a hidden payment rule stays hidden', () => {
    const p = policy([rule('no-cards', { classes: ['payment'] }, 'hidden'), rule('rest', {}, 'revealable')]);
    expect(decideFieldAccess(p, context({ fieldClass: 'payment' }))).toMatchObject({ decision: 'hidden', ruleId: 'no-cards' });
  });

  it('is announced when a revealable rule also covers payment fields (warning payment_capped)', () => {
    const { warnings } = accepted([rule('reveal-all', {}, 'revealable')]);
    expect(warnings.map((w) => [w.code, w.pointer])).toEqual([['payment_capped', '/rules/0/when/classes']]);
  });

  it('makes a revealable rule for card data alone an error (payment_revealable)', () => {
    const errors = rejected({ version: 1, rules: [rule('reveal-cards', { classes: ['payment'] }, 'revealable')] });
    expect(errors.map((e) => [e.code, e.pointer])).toEqual([['payment_revealable', '/rules/0/decision']]);
  });
});

describe('first matching rule wins', () => {
  const specificFirst = policy([
    rule('billing-hidden', { fieldPurposes: ['billing'] }, 'hidden'),
    rule('agents-reveal', { roles: ['agent'] }, 'revealable'),
  ]);

  it('lets the first matching rule decide, and stops there', () => {
    const d = decideFieldAccess(specificFirst, context({ fieldPurpose: 'billing' }));
    expect(d).toMatchObject({ decision: 'hidden', ruleId: 'billing-hidden' });
    expect(d.trace.filter((t) => t.kind === 'rule').map((t) => t.id)).toEqual(['billing-hidden']);
  });

  it('falls through to later rules when earlier ones do not match', () => {
    const d = decideFieldAccess(specificFirst, context({ fieldPurpose: 'contact' }));
    expect(d).toMatchObject({ decision: 'revealable', ruleId: 'agents-reveal' });
  });

  it('depends on order, and the validator warns when a less restrictive rule comes first', () => {
    const { policy: reversed, warnings } = accepted([
      rule('agents-reveal', { roles: ['agent'] }, 'revealable'),
      rule('billing-hidden', { fieldPurposes: ['billing'] }, 'hidden'),
    ]);
    expect(decideFieldAccess(reversed, context({ fieldPurpose: 'billing' }))).toMatchObject({ decision: 'revealable', ruleId: 'agents-reveal' });
    // Still reachable (other roles), so a warning, not an error; it names the rule and an example context.
    const overridden = warnings.filter((w) => w.code === 'overridden_by_less_restrictive');
    expect(overridden).toHaveLength(1);
    expect(overridden[0]?.pointer).toBe('/rules/1');
    expect(overridden[0]?.message).toContain("rule 'billing-hidden' (hidden) does not apply where the earlier, less restrictive rule 'agents-reveal'");
    expect(overridden[0]?.message).toContain('role agent');
    expect(overridden[0]?.message).toContain('field purpose billing');
    expect(decideFieldAccess(reversed, context({ role: 'supervisor', fieldPurpose: 'billing' })).ruleId).toBe('billing-hidden');
  });

  it('treats a reveal on easier terms as less restrictive too', () => {
    const { warnings } = accepted([
      rule('easy', { roles: ['agent'], classes: ['internal', 'confidential'] }, 'revealable', { verificationLevel: 0, reasons: ['other'] }),
      rule('strict', { classes: ['confidential'] }, 'revealable', { verificationLevel: 2, reasons: ['other'] }),
    ]);
    expect(warnings.map((w) => w.code)).toEqual(['overridden_by_less_restrictive']);
  });

  it('matches every condition of a rule, each one on its own', () => {
    const cases: [Record<string, unknown>, Partial<AccessContext>, Partial<AccessContext>][] = [
      [{ roles: ['supervisor'] }, { role: 'supervisor' }, { role: 'agent' }],
      [{ classes: ['confidential'] }, { fieldClass: 'confidential' }, { fieldClass: 'restricted' }],
      [{ fieldPurposes: ['billing'] }, { fieldPurpose: 'billing' }, { fieldPurpose: 'marketing' }],
      [{ accessPurposes: ['collections'] }, { accessPurpose: 'collections' }, { accessPurpose: 'sales' }],
      [{ accessPurposes: ['collections'] }, { accessPurpose: 'collections' }, { accessPurpose: null }],
      [{ interactionStates: ['wrap_up'] }, { interactionState: 'wrap_up' }, { interactionState: 'active' }],
      [{ minVerificationLevel: 2 }, { verificationLevel: 2 }, { verificationLevel: 1 }],
      [{ breakGlass: true }, { breakGlass: true }, { breakGlass: false }],
      [{ breakGlass: false }, { breakGlass: false }, { breakGlass: true }],
    ];
    for (const [when, matching, other] of cases) {
      const p = policy([rule('only', when, 'masked')]);
      expect(decideFieldAccess(p, context(matching)).ruleId, JSON.stringify([when, matching])).toBe('only');
      expect(decideFieldAccess(p, context(other)).ruleId, JSON.stringify([when, other])).toBe('default.deny');
    }
  });

  it('matches a rule without conditions for any access purpose, including none declared', () => {
    const p = policy([rule('any', {}, 'masked')]);
    expect(decideFieldAccess(p, context({ accessPurpose: null })).ruleId).toBe('any');
  });
});

describe('reveal requirements', () => {
  const p = policy([rule('conf', { classes: ['confidential'] }, 'revealable', { verificationLevel: 2, reasons: ['billing_dispute', 'other'] })]);

  it('reveals only once the caller reaches the level the rule names, and says which level is missing', () => {
    const low = decideFieldAccess(p, context({ fieldClass: 'confidential', verificationLevel: 1 }));
    expect(low).toMatchObject({ decision: 'masked', ruleId: 'conf', stepUp: { verificationLevel: 2 } });
    expect(low.reason).toBe(
      "Rule 'conf' allows a reveal once the caller is verified to level 2 (substantial); the caller is at level 1 (low), so the value stays masked.",
    );
    const high = decideFieldAccess(p, context({ fieldClass: 'confidential', verificationLevel: 3 }));
    expect(high).toMatchObject({ decision: 'revealable', ruleId: 'conf', revealRequires: { verificationLevel: 2, reasons: ['billing_dispute', 'other'] } });
  });

  it('exposes which reason codes require free text (only other)', () => {
    expect(REVEAL_REASONS.filter((code) => revealReasonRequiresText(code))).toEqual(['other']);
    expect(isRevealReason('customer_request')).toBe(true);
    expect(isRevealReason('because')).toBe(false);
    expect(() => revealReasonRequiresText('because' as never)).toThrow(TypeError);
  });
});

describe('parsePolicy: errors with paths', () => {
  it('reports a duplicate rule id at the second occurrence, naming the first', () => {
    const errors = rejected({ version: 1, rules: [rule('a', { roles: ['agent'] }), rule('b', { roles: ['auditor'] }), rule('a', { roles: ['supervisor'] })] });
    expect(errors).toEqual([
      { code: 'duplicate_rule_id', path: ['rules', 2, 'id'], pointer: '/rules/2/id', message: "duplicate rule id 'a' (already used by rules[0])" },
    ]);
  });

  it('reports an unknown role at its index, listing the roles', () => {
    const errors = rejected({ version: 1, rules: [rule('a', { roles: ['agent', 'root'] })] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'invalid', path: ['rules', 0, 'when', 'roles', 1], pointer: '/rules/0/when/roles/1' });
    expect(errors[0]?.message).toBe("unknown role 'root'; expected one of agent, senior_agent, supervisor, security_officer, tenant_admin, auditor");
  });

  it.each([5, -1, 1.5, '2'])('reports a bad verification level (%o) where it is', (level) => {
    const inWhen = rejected({ version: 1, rules: [rule('a', { minVerificationLevel: level })] });
    expect(pointers(inWhen)).toEqual(['/rules/0/when/minVerificationLevel']);
    const inReveal = rejected({ version: 1, rules: [rule('a', {}, 'revealable', { verificationLevel: level, reasons: ['other'] })] });
    expect(pointers(inReveal)).toEqual(['/rules/0/revealRequires/verificationLevel']);
  });

  it(`refuses more than ${MAX_RULES} rules, and accepts exactly ${MAX_RULES}`, () => {
    const many = (n: number): RuleInput[] => Array.from({ length: n }, (_, i) => rule(`r${i}`, { fieldPurposes: [`purpose_${i}`] }));
    const errors = rejected({ version: 1, rules: many(MAX_RULES + 1) });
    expect(errors).toEqual([{ code: 'invalid', path: ['rules'], pointer: '/rules', message: `a policy holds at most ${MAX_RULES} rules (this one has ${MAX_RULES + 1})` }]);
    expect(parsePolicy({ version: 1, rules: many(MAX_RULES) }).ok).toBe(true);
  });

  it('reports every error of a document in one pass, in document order', () => {
    const errors = rejected({
      version: 0,
      rules: [
        { id: 'Bad Id', description: '', when: { rolse: ['agent'] }, decision: 'visible' },
        rule('dup', {}),
        { ...rule('dup', { classes: ['public', 'public'], fieldPurposes: ['Billing'] }, 'masked'), revealRequires: { verificationLevel: 1, reasons: ['other'] } },
        rule('r', {}, 'revealable', { verificationLevel: 1, reasons: ['because'] }),
        { id: 'no-reveal-requirement', description: 'x', when: {}, decision: 'revealable' },
      ],
      extra: true,
    });
    expect(errors.map((e) => [e.pointer, e.code])).toEqual([
      ['', 'invalid'],
      ['/rules/0/decision', 'invalid'],
      ['/rules/0/description', 'invalid'],
      ['/rules/0/id', 'invalid'],
      ['/rules/0/when', 'invalid'],
      ['/rules/2/id', 'duplicate_rule_id'],
      ['/rules/2/revealRequires', 'invalid'],
      ['/rules/2/when/classes/1', 'invalid'],
      ['/rules/2/when/fieldPurposes/0', 'invalid'],
      ['/rules/3/revealRequires/reasons/0', 'invalid'],
      ['/rules/4/revealRequires', 'invalid'],
      ['/version', 'invalid'],
    ]);
    const byPointer = new Map(errors.map((e) => [e.pointer, e.message]));
    expect(byPointer.get('')).toBe("unknown key 'extra'; a policy has version, rules");
    expect(byPointer.get('/rules/0/when')).toMatch(/^unknown condition 'rolse'; conditions are roles, classes,/);
    expect(byPointer.get('/rules/2/when/classes/1')).toBe("lists 'public' more than once");
    const second = rejected({ version: 1, rules: [{ ...rule('m', {}, 'masked'), revealRequires: { verificationLevel: 1, reasons: ['other'] } }, { id: 'r', description: 'x', when: {}, decision: 'revealable' }] });
    expect(second.map((e) => [e.pointer, e.message])).toEqual([
      ['/rules/0/revealRequires', 'only a revealable rule has revealRequires; this rule is masked'],
      ['/rules/1/revealRequires', 'a revealable rule must say what a reveal requires (verificationLevel and reasons)'],
    ]);
  });

  it('refuses empty condition lists (they would match nothing) and non-objects', () => {
    expect(pointers(rejected({ version: 1, rules: [rule('a', { roles: [] })] }))).toEqual(['/rules/0/when/roles']);
    expect(pointers(rejected(null))).toEqual(['']);
    expect(pointers(rejected('{"version":1,"rules":[]}'))).toEqual(['']);
  });

  it('refuses descriptions that would rewrite a terminal or read backwards', () => {
    for (const description of ['clears \u001b[2J the screen', 'line\nbreak', 'looks \u202egnissim', 'x\u0085y']) {
      expect(pointers(rejected({ version: 1, rules: [{ ...rule('a', {}), description }] }))).toEqual(['/rules/0/description']);
    }
  });
});

describe('parsePolicy: reachability under first match', () => {
  it('refuses a rule that an earlier rule covers entirely', () => {
    const errors = rejected({ version: 1, rules: [rule('all-agents', { roles: ['agent'] }), rule('agent-public', { roles: ['agent'], classes: ['public'] }, 'hidden')] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'unreachable_rule', pointer: '/rules/1' });
    expect(errors[0]?.message).toContain("rule 'agent-public' can never decide: every context it matches is decided first by 'all-agents'");
  });

  it('refuses a rule that several earlier rules cover together, though none alone does', () => {
    const errors = rejected({
      version: 1,
      rules: [rule('low', { roles: ['agent'] }, 'hidden'), rule('others', { roles: ['senior_agent', 'supervisor', 'security_officer', 'tenant_admin', 'auditor'] }), rule('catch-all', {}, 'hidden')],
    });
    expect(errors.map((e) => [e.code, e.pointer])).toEqual([['unreachable_rule', '/rules/2']]);
    expect(errors[0]?.message).toContain("'low', 'others'");
  });

  it('accepts a rule that only a purpose outside every earlier list reaches', () => {
    const { warnings } = accepted([rule('billing', { fieldPurposes: ['billing'] }, 'hidden'), rule('contact', { fieldPurposes: ['contact'] }, 'hidden'), rule('rest', {}, 'masked')]);
    expect(warnings).toEqual([]);
  });

  it('sends an access without a declared purpose past every rule that lists access purposes', () => {
    const p = policy([rule('service-or-billing', { accessPurposes: ['service', 'billing'] }, 'masked'), rule('rest', {}, 'hidden')]);
    expect(decideFieldAccess(p, context({ accessPurpose: 'billing' })).ruleId).toBe('service-or-billing');
    expect(decideFieldAccess(p, context({ accessPurpose: null })).ruleId).toBe('rest');
  });

  it('refuses a rule that only names contexts the interaction guard hides', () => {
    const errors = rejected({ version: 1, rules: [rule('after-close', { interactionStates: ['closed', 'none'], breakGlass: false }, 'masked')] });
    expect(errors.map((e) => [e.code, e.pointer])).toEqual([['unreachable_rule', '/rules/0/when']]);
    // The same states under break-glass are reachable.
    expect(parsePolicy({ version: 1, rules: [rule('after-close', { interactionStates: ['closed', 'none'], breakGlass: true }, 'masked')] }).ok).toBe(true);
  });

  it('refuses, rather than accepts unverified, a policy too complex to analyse', () => {
    const doc: PolicyDocument = {
      version: 1,
      rules: Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, description: 'x', when: { fieldPurposes: [`p${i}`], accessPurposes: [`a${i}`] }, decision: 'hidden' as const })),
    };
    expect(analysePolicy(doc).errors).toEqual([]);
    const analysis = analysePolicy(doc, 50);
    expect(analysis.errors.map((e) => e.code)).toEqual(['too_complex']);
  });
});

describe('policies are immutable and come only from parsePolicy', () => {
  it('copies and freezes the document', () => {
    const input = { version: 1, rules: [rule('a', { roles: ['agent'] }, 'revealable')] };
    const p = policy([...input.rules]);
    (input.rules[0]!.when as { roles: string[] }).roles.push('auditor');
    expect(decideFieldAccess(p, context({ role: 'auditor' })).ruleId).toBe('default.deny');
    expect(Object.isFrozen(p)).toBe(true);
    expect(() => (p.rules as unknown[]).push(rule('b', {}))).toThrow(TypeError);
  });

  it('refuses to evaluate a look-alike that did not pass parsePolicy', () => {
    const lookalike = JSON.parse(JSON.stringify(DEFAULT_POLICY)) as Policy;
    expect(() => decideFieldAccess(lookalike, context())).toThrow(new TypeError('not a policy returned by parsePolicy'));
    expect(() => explain(lookalike, context())).toThrow(TypeError);
  });

  it('refuses an invalid context as a caller bug (TypeError), rather than guessing', () => {
    const bad: Partial<Record<keyof AccessContext, unknown>>[] = [
      { role: 'root' },
      { fieldClass: 'secret' },
      { fieldPurpose: 'Contact Details' },
      { accessPurpose: '' },
      { interactionState: 'ringing' },
      { verificationLevel: 4 },
      { verificationLevel: '2' },
      { sessionUnlocked: 'yes' },
      { breakGlass: undefined },
    ];
    for (const overrides of bad) {
      expect(() => decideFieldAccess(DEFAULT_POLICY, { ...context(), ...overrides } as AccessContext), JSON.stringify(overrides)).toThrow(TypeError);
    }
  });

  it('reads each fact of the context once, so a getter cannot answer the guard and the rules differently', () => {
    let reads = 0;
    const ctx = { ...context({ fieldClass: 'confidential', verificationLevel: 3 }) } as Record<string, unknown>;
    Object.defineProperty(ctx, 'sessionUnlocked', {
      get: () => {
        reads++;
        return reads === 1;
      },
    });
    decideFieldAccess(DEFAULT_POLICY, ctx as unknown as AccessContext);
    expect(reads).toBe(1);
  });
});

describe('agreement with the customer field schema', () => {
  it('knows the same field classes, in the same order', async () => {
    const customers = await import('../../src/customers/fields.js');
    expect([...FIELD_CLASSES]).toEqual([...customers.FIELD_CLASSES]);
  });

  it('accepts as a field purpose every purpose code a field can carry, and nothing else', async () => {
    const { purposeSchema } = await import('../../src/customers/fields.js');
    const samples = ['contact', 'x', 'fraud_review', 'a'.repeat(64), 'a'.repeat(65), 'Billing', '1abc', 'with-hyphen', '', 'p\u00e9'];
    for (const purpose of samples) {
      const fieldAccepts = purposeSchema.safeParse(purpose).success;
      const policyAccepts = parsePolicy({ version: 1, rules: [rule('a', { fieldPurposes: [purpose] })] }).ok;
      expect(policyAccepts, purpose).toBe(fieldAccepts);
    }
  });
});

describe('explain', () => {
  const p = policy(
    [
      rule('supervisors', { roles: ['supervisor'] }, 'revealable'),
      rule('wrap-up', { interactionStates: ['wrap_up'], classes: ['public', 'internal'] }, 'masked'),
      rule('agent-internal', { roles: ['agent'], classes: ['internal'] }, 'revealable', { verificationLevel: 1, reasons: ['customer_request', 'other'] }),
      rule('later', { classes: ['restricted'] }, 'hidden'),
    ],
    9,
  );

  it('names the deciding rule and says why each earlier rule did not match', () => {
    const text = explain(p, context({ fieldClass: 'internal', verificationLevel: 1 }));
    const lines = text.split('\n');
    expect(lines[0]).toBe("Decision: revealable, by rule 'agent-internal' (policy version 9)");
    expect(text).toMatch(/\[0\] supervisors +no match: role is agent, the rule names supervisor\n/);
    expect(text).toMatch(/\[1\] wrap-up +no match: interaction is active, the rule names wrap_up\n/);
    expect(text).toMatch(/\[2\] agent-internal +MATCH -> revealable \(reveal needs caller level 1 \(low\); reasons: customer_request, other\)\n/);
    expect(text).toContain('[3] not evaluated: an earlier rule decided');
    expect(lines.at(-1)).toBe('Result: revealable now, for one of: customer_request, other (caller verified to at least level 1 (low))');
  });

  it('shows the guard that decided and that no rule was read', () => {
    const text = explain(p, context({ onShift: false }));
    expect(text.split('\n')[0]).toBe("Decision: hidden, by guard 'guard.off_shift' (policy version 9)");
    expect(text).toMatch(/FAIL +guard\.off_shift +REFUSES -> hidden: The agent is outside their shift/);
    expect(text).toMatch(/pass +guard\.session_locked +session unlocked\n/);
    expect(text).toContain('  not evaluated: a guard decided');
  });

  it('shows the default deny with every rule tried', () => {
    const text = explain(p, context({ role: 'auditor', fieldClass: 'public' }));
    expect(text.split('\n')[0]).toBe("Decision: hidden, by default 'default.deny' (policy version 9)");
    expect(text).toMatch(/\[3\] later +no match: class is public, the rule names restricted\n/);
    expect(text).toContain('no rule matched -> default.deny: hidden');
  });

  it('shows the payment cap and the rule it lowered', () => {
    const text = explain(p, context({ role: 'supervisor', fieldClass: 'payment' }));
    expect(text.split('\n')[0]).toBe("Decision: masked, by cap 'cap.payment' (policy version 9)");
    expect(text).toContain("Cap: cap.payment lowers 'supervisors' from revealable to masked (card data is never revealed)");
  });

  it('shows a missing caller verification as the reason for masked', () => {
    const text = explain(p, context({ fieldClass: 'internal', verificationLevel: 0, accessPurpose: null }));
    expect(text).toContain('no access purpose');
    expect(text.split('\n').at(-1)).toBe('Result: masked (verifying the caller to level 1 (low) would make it revealable)');
  });

  it('explains the default policy for a CLI user', () => {
    const text = explain(DEFAULT_POLICY, context({ fieldClass: 'confidential', verificationLevel: 2 }));
    expect(text.split('\n')[0]).toBe("Decision: revealable, by rule 'agent-confidential-reveal' (policy version 1)");
    expect(text).toContain('agent-restricted-hidden');
  });
});
