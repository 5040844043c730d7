/**
 * The default policy, written out cell by cell. The tables below are the specification: they are
 * typed by hand, not produced by the engine, so any change to src/access/policy/defaults.ts that
 * changes what someone sees must change a letter here too, in the same review.
 *
 * Each cell has one letter per caller verification level, 0 to 3:
 *   H hidden    M masked    R revealable (a reveal is allowed now)
 */
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../src/agents/roles.js';
import {
  type AccessContext,
  DEFAULT_POLICY,
  decideFieldAccess,
  type Decision,
  FIELD_CLASSES,
  INTERACTION_STATES,
  parsePolicy,
  type PolicyDecision,
  VERIFICATION_LEVELS,
} from '../../src/access/policy/index.js';

// Guards at their passing values; no break-glass.
const WITHOUT_BREAK_GLASS = `
role              class          none  queued  active  wrap_up  closed
agent             public         HHHH  HHHH    RRRR    MMMM     HHHH
agent             internal       HHHH  HHHH    MRRR    MMMM     HHHH
agent             confidential   HHHH  HHHH    MMRR    MMMM     HHHH
agent             restricted     HHHH  HHHH    HHHH    HHHH     HHHH
agent             payment        HHHH  HHHH    MMMM    MMMM     HHHH
senior_agent      public         HHHH  HHHH    RRRR    MMMM     HHHH
senior_agent      internal       HHHH  HHHH    MRRR    MMMM     HHHH
senior_agent      confidential   HHHH  HHHH    MMRR    MMMM     HHHH
senior_agent      restricted     HHHH  HHHH    MMMR    MMMM     HHHH
senior_agent      payment        HHHH  HHHH    MMMM    MMMM     HHHH
supervisor        public         HHHH  HHHH    RRRR    MMMM     HHHH
supervisor        internal       HHHH  HHHH    MRRR    MMMM     HHHH
supervisor        confidential   HHHH  HHHH    MMRR    MMMM     HHHH
supervisor        restricted     HHHH  HHHH    MMMM    MMMM     HHHH
supervisor        payment        HHHH  HHHH    MMMM    MMMM     HHHH
security_officer  public         HHHH  HHHH    MMMM    MMMM     HHHH
security_officer  internal       HHHH  HHHH    MMMM    MMMM     HHHH
security_officer  confidential   HHHH  HHHH    MMMM    MMMM     HHHH
security_officer  restricted     HHHH  HHHH    MMMM    MMMM     HHHH
security_officer  payment        HHHH  HHHH    MMMM    MMMM     HHHH
tenant_admin      public         HHHH  HHHH    MMMM    MMMM     HHHH
tenant_admin      internal       HHHH  HHHH    MMMM    MMMM     HHHH
tenant_admin      confidential   HHHH  HHHH    HHHH    HHHH     HHHH
tenant_admin      restricted     HHHH  HHHH    HHHH    HHHH     HHHH
tenant_admin      payment        HHHH  HHHH    HHHH    HHHH     HHHH
auditor           public         HHHH  HHHH    MMMM    MMMM     HHHH
auditor           internal       HHHH  HHHH    HHHH    HHHH     HHHH
auditor           confidential   HHHH  HHHH    HHHH    HHHH     HHHH
auditor           restricted     HHHH  HHHH    HHHH    HHHH     HHHH
auditor           payment        HHHH  HHHH    HHHH    HHHH     HHHH
`;

// Guards at their passing values; an active break-glass grant. For the front line it stands in
// for the missing interaction (same as active, caller verification still required); security
// officers reveal without caller verification; administrators and auditors gain nothing.
const WITH_BREAK_GLASS = `
role              class          none  queued  active  wrap_up  closed
agent             public         RRRR  RRRR    RRRR    RRRR     RRRR
agent             internal       MRRR  MRRR    MRRR    MRRR     MRRR
agent             confidential   MMRR  MMRR    MMRR    MMRR     MMRR
agent             restricted     HHHH  HHHH    HHHH    HHHH     HHHH
agent             payment        MMMM  MMMM    MMMM    MMMM     MMMM
senior_agent      public         RRRR  RRRR    RRRR    RRRR     RRRR
senior_agent      internal       MRRR  MRRR    MRRR    MRRR     MRRR
senior_agent      confidential   MMRR  MMRR    MMRR    MMRR     MMRR
senior_agent      restricted     MMMR  MMMR    MMMR    MMMR     MMMR
senior_agent      payment        MMMM  MMMM    MMMM    MMMM     MMMM
supervisor        public         RRRR  RRRR    RRRR    RRRR     RRRR
supervisor        internal       MRRR  MRRR    MRRR    MRRR     MRRR
supervisor        confidential   MMRR  MMRR    MMRR    MMRR     MMRR
supervisor        restricted     MMMM  MMMM    MMMM    MMMM     MMMM
supervisor        payment        MMMM  MMMM    MMMM    MMMM     MMMM
security_officer  public         RRRR  RRRR    RRRR    RRRR     RRRR
security_officer  internal       RRRR  RRRR    RRRR    RRRR     RRRR
security_officer  confidential   RRRR  RRRR    RRRR    RRRR     RRRR
security_officer  restricted     RRRR  RRRR    RRRR    RRRR     RRRR
security_officer  payment        MMMM  MMMM    MMMM    MMMM     MMMM
tenant_admin      public         MMMM  MMMM    MMMM    MMMM     MMMM
tenant_admin      internal       MMMM  MMMM    MMMM    MMMM     MMMM
tenant_admin      confidential   HHHH  HHHH    HHHH    HHHH     HHHH
tenant_admin      restricted     HHHH  HHHH    HHHH    HHHH     HHHH
tenant_admin      payment        HHHH  HHHH    HHHH    HHHH     HHHH
auditor           public         MMMM  MMMM    MMMM    MMMM     MMMM
auditor           internal       HHHH  HHHH    HHHH    HHHH     HHHH
auditor           confidential   HHHH  HHHH    HHHH    HHHH     HHHH
auditor           restricted     HHHH  HHHH    HHHH    HHHH     HHHH
auditor           payment        HHHH  HHHH    HHHH    HHHH     HHHH
`;

// What a reveal needs wherever the table says R: role, class, caller level, allowed reason codes.
const REVEAL_REQUIREMENTS = `
agent             public        0  customer_request identity_check data_correction other
agent             internal      1  customer_request data_correction billing_dispute other
agent             confidential  2  customer_request data_correction billing_dispute other
senior_agent      public        0  customer_request identity_check data_correction other
senior_agent      internal      1  customer_request data_correction billing_dispute other
senior_agent      confidential  2  customer_request data_correction billing_dispute fraud_investigation legal_obligation other
senior_agent      restricted    3  customer_request fraud_investigation legal_obligation other
supervisor        public        0  customer_request identity_check data_correction other
supervisor        internal      1  customer_request data_correction billing_dispute other
supervisor        confidential  2  customer_request data_correction billing_dispute fraud_investigation legal_obligation other
security_officer  public        0  fraud_investigation legal_obligation other
security_officer  internal      0  fraud_investigation legal_obligation other
security_officer  confidential  0  fraud_investigation legal_obligation other
security_officer  restricted    0  fraud_investigation legal_obligation other
`;

const LETTER: Readonly<Record<string, Decision>> = { H: 'hidden', M: 'masked', R: 'revealable' };

/** `role class` -> state -> the decision per verification level, from a literal table. */
function parseTable(table: string): Map<string, Map<string, Decision[]>> {
  const [header, ...rows] = table.trim().split('\n');
  const states = (header ?? '').trim().split(/\s+/).slice(2);
  expect(states).toEqual([...INTERACTION_STATES]);
  const out = new Map<string, Map<string, Decision[]>>();
  for (const row of rows) {
    const [role, fieldClass, ...cells] = row.trim().split(/\s+/);
    const key = `${role} ${fieldClass}`;
    expect(out.has(key), `row ${key} appears twice`).toBe(false);
    expect(cells.length, `row ${key}`).toBe(states.length);
    const byState = new Map<string, Decision[]>();
    cells.forEach((cell, i) => {
      expect(cell, `row ${key}`).toMatch(/^[HMR]{4}$/);
      byState.set(states[i] as string, [...cell].map((letter) => LETTER[letter] as Decision));
    });
    out.set(key, byState);
  }
  // Every role x class, and nothing else.
  expect([...out.keys()].sort()).toEqual(ROLES.flatMap((role) => FIELD_CLASSES.map((c) => `${role} ${c}`)).sort());
  return out;
}

function context(overrides: Partial<AccessContext>): AccessContext {
  return {
    role: 'agent',
    fieldClass: 'public',
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

/** Every cell where the engine and the literal table disagree, described; empty when they agree. */
function mismatches(table: string, breakGlass: boolean): string[] {
  const expected = parseTable(table);
  const wrong: string[] = [];
  for (const role of ROLES) {
    for (const fieldClass of FIELD_CLASSES) {
      for (const interactionState of INTERACTION_STATES) {
        for (const verificationLevel of VERIFICATION_LEVELS) {
          const want = expected.get(`${role} ${fieldClass}`)?.get(interactionState)?.[verificationLevel];
          const got = decideFieldAccess(DEFAULT_POLICY, context({ role, fieldClass, interactionState, verificationLevel, breakGlass }));
          if (got.decision !== want) wrong.push(`${role} ${fieldClass} ${interactionState} level ${verificationLevel}: table says ${want}, engine says ${got.decision} (${got.ruleId})`);
        }
      }
    }
  }
  return wrong;
}

describe('DEFAULT_POLICY', () => {
  it('is a valid policy without warnings, and survives a round trip through JSON', () => {
    const reparsed = parsePolicy(JSON.parse(JSON.stringify(DEFAULT_POLICY)));
    expect(reparsed.ok).toBe(true);
    if (!reparsed.ok) return;
    expect(reparsed.warnings).toEqual([]);
    expect(reparsed.policy).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.version).toBe(1);
    expect(Object.isFrozen(DEFAULT_POLICY.rules[0]?.when)).toBe(true);
  });

  it('decides every role x class x verification level x interaction state as the table says (no break-glass)', () => {
    expect(mismatches(WITHOUT_BREAK_GLASS, false)).toEqual([]);
  });

  it('decides every role x class x verification level x interaction state as the table says (with break-glass)', () => {
    expect(mismatches(WITH_BREAK_GLASS, true)).toEqual([]);
  });

  it('hides outside a live interaction by the interaction guard, not by a rule', () => {
    for (const role of ROLES) {
      for (const fieldClass of FIELD_CLASSES) {
        for (const interactionState of ['none', 'queued', 'closed'] as const) {
          const d = decideFieldAccess(DEFAULT_POLICY, context({ role, fieldClass, interactionState, verificationLevel: 3 }));
          expect(d.ruleId, `${role} ${fieldClass} ${interactionState}`).toBe('guard.interaction_inactive');
        }
      }
    }
  });

  it('leaves nothing to the default deny: every context past the guards is decided by a named rule', () => {
    const undecided: string[] = [];
    for (const role of ROLES) {
      for (const fieldClass of FIELD_CLASSES) {
        for (const interactionState of INTERACTION_STATES) {
          for (const verificationLevel of VERIFICATION_LEVELS) {
            for (const breakGlass of [false, true]) {
              const d = decideFieldAccess(DEFAULT_POLICY, context({ role, fieldClass, interactionState, verificationLevel, breakGlass }));
              if (d.ruleId === 'default.deny') undecided.push(`${role} ${fieldClass} ${interactionState} ${verificationLevel} ${breakGlass}`);
            }
          }
        }
      }
    }
    expect(undecided).toEqual([]);
  });

  it('asks for the written-out verification level and reason codes wherever a reveal is allowed', () => {
    const rows = REVEAL_REQUIREMENTS.trim().split('\n');
    const seen = new Set<string>();
    for (const row of rows) {
      const [role, fieldClass, level, ...reasons] = row.trim().split(/\s+/);
      seen.add(`${role} ${fieldClass}`);
      const breakGlass = role === 'security_officer';
      const d = decideFieldAccess(DEFAULT_POLICY, context({ role: role as AccessContext['role'], fieldClass: fieldClass as AccessContext['fieldClass'], verificationLevel: 3, breakGlass }));
      expect(d.decision, row).toBe('revealable');
      if (d.decision !== 'revealable') continue;
      expect(d.revealRequires, row).toEqual({ verificationLevel: Number(level), reasons });
    }
    // The list is complete: no other role x class is ever revealable.
    for (const role of ROLES) {
      for (const fieldClass of FIELD_CLASSES) {
        if (seen.has(`${role} ${fieldClass}`)) continue;
        for (const breakGlass of [false, true]) {
          expect(decideFieldAccess(DEFAULT_POLICY, context({ role, fieldClass, verificationLevel: 3, breakGlass })).decision, `${role} ${fieldClass}`).not.toBe('revealable');
        }
      }
    }
  });

  it('tells a masked confidential field which caller verification would make it revealable', () => {
    const d = decideFieldAccess(DEFAULT_POLICY, context({ fieldClass: 'confidential', verificationLevel: 1 }));
    expect(d).toMatchObject({ decision: 'masked', ruleId: 'agent-confidential-reveal', stepUp: { verificationLevel: 2 } });
    const restricted = decideFieldAccess(DEFAULT_POLICY, context({ role: 'senior_agent', fieldClass: 'restricted', verificationLevel: 2 }));
    expect(restricted).toMatchObject({ decision: 'masked', ruleId: 'senior-restricted-reveal', stepUp: { verificationLevel: 3 } });
  });

  it('masks card data for the roles that handle payments, by rule card-data-masked', () => {
    for (const role of ['agent', 'senior_agent', 'supervisor', 'security_officer'] as const) {
      for (const breakGlass of [false, true]) {
        const d: PolicyDecision = decideFieldAccess(DEFAULT_POLICY, context({ role, fieldClass: 'payment', verificationLevel: 3, breakGlass }));
        expect(d.decision).toBe('masked');
        expect(d.ruleId).toBe('card-data-masked');
      }
    }
  });
});

describe('DEFAULT_POLICY under each guard', () => {
  const guards = [
    { id: 'guard.session_locked', trip: { sessionUnlocked: false } },
    { id: 'guard.off_shift', trip: { onShift: false } },
    { id: 'guard.training_invalid', trip: { trainingValid: false } },
  ] as const;

  for (const guard of guards) {
    it(`hides every field for every role, state and level, with or without break-glass, when ${guard.id} trips`, () => {
      const wrong: string[] = [];
      for (const role of ROLES) {
        for (const fieldClass of FIELD_CLASSES) {
          for (const interactionState of INTERACTION_STATES) {
            for (const verificationLevel of VERIFICATION_LEVELS) {
              for (const breakGlass of [false, true]) {
                const d = decideFieldAccess(DEFAULT_POLICY, context({ role, fieldClass, interactionState, verificationLevel, breakGlass, ...guard.trip }));
                if (d.decision !== 'hidden' || d.ruleId !== guard.id) wrong.push(`${role} ${fieldClass} ${interactionState} ${verificationLevel} ${breakGlass}: ${d.decision} ${d.ruleId}`);
              }
            }
          }
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('hides a senior agent\'s fully verified, break-glass access to restricted data when the session is locked', () => {
    const open = context({ role: 'senior_agent', fieldClass: 'restricted', verificationLevel: 3, breakGlass: true });
    expect(decideFieldAccess(DEFAULT_POLICY, open).decision).toBe('revealable');
    expect(decideFieldAccess(DEFAULT_POLICY, { ...open, sessionUnlocked: false })).toMatchObject({ decision: 'hidden', ruleId: 'guard.session_locked' });
  });
});

describe('DEFAULT_POLICY under break-glass', () => {
  it('lets a security officer reveal with no interaction at all, for investigation reasons only', () => {
    const d = decideFieldAccess(DEFAULT_POLICY, context({ role: 'security_officer', fieldClass: 'restricted', interactionState: 'none', breakGlass: true }));
    expect(d).toMatchObject({
      decision: 'revealable',
      ruleId: 'officer-break-glass-reveal',
      revealRequires: { verificationLevel: 0, reasons: ['fraud_investigation', 'legal_obligation', 'other'] },
    });
  });

  it('gives a security officer nothing beyond masked without it', () => {
    const d = decideFieldAccess(DEFAULT_POLICY, context({ role: 'security_officer', fieldClass: 'restricted', verificationLevel: 3 }));
    expect(d).toMatchObject({ decision: 'masked', ruleId: 'officer-masked' });
  });

  it('lets an agent reach a closed interaction\'s customer but keeps the caller-verification requirement', () => {
    const low = decideFieldAccess(DEFAULT_POLICY, context({ fieldClass: 'confidential', interactionState: 'closed', verificationLevel: 0, breakGlass: true }));
    expect(low).toMatchObject({ decision: 'masked', ruleId: 'agent-confidential-reveal', stepUp: { verificationLevel: 2 } });
    const verified = decideFieldAccess(DEFAULT_POLICY, context({ fieldClass: 'confidential', interactionState: 'closed', verificationLevel: 2, breakGlass: true }));
    expect(verified).toMatchObject({ decision: 'revealable', ruleId: 'agent-confidential-reveal' });
  });

  it('never makes card data revealable, for any role', () => {
    for (const role of ROLES) {
      for (const interactionState of INTERACTION_STATES) {
        const d = decideFieldAccess(DEFAULT_POLICY, context({ role, fieldClass: 'payment', interactionState, verificationLevel: 3, breakGlass: true }));
        expect(d.decision, `${role} ${interactionState}`).not.toBe('revealable');
      }
    }
  });
});
