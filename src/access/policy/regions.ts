/**
 * The set of contexts a rule matches, as a region: one set of values per dimension, a context being
 * inside when each of its values is inside the dimension's set. The engine matches contexts
 * against these regions and the validator reasons about the same regions (intersection,
 * difference), so what validation proves about a policy is a statement about the exact test the
 * engine runs, not about a second reading of the rules.
 *
 * Closed dimensions (roles, classes, states, levels, break-glass) are bitmasks. Purposes are open
 * (tenant-defined slugs): a purpose set is either a finite list or everything except a finite
 * list. "No access purpose declared" is the value {@link NO_PURPOSE}, which no slug can equal.
 */
import { ROLES } from '../../agents/roles.js';
import type { RuleCondition } from './schema.js';
import { type AccessContext, type Condition, FIELD_CLASSES, INTERACTION_STATES, LIVE_INTERACTION_STATES, VERIFICATION_LEVELS } from './types.js';

/** Stands for a null access purpose inside purpose sets. Not a slug, so no rule can list it. */
export const NO_PURPOSE = '';

export type PurposeSet = { readonly only: ReadonlySet<string> } | { readonly except: ReadonlySet<string> };

export interface Region {
  readonly roles: number;
  readonly classes: number;
  readonly states: number;
  readonly levels: number;
  /** Bit 0: without break-glass; bit 1: with break-glass. */
  readonly breakGlass: number;
  readonly fieldPurposes: PurposeSet;
  readonly accessPurposes: PurposeSet;
}

const ANY_PURPOSE: PurposeSet = Object.freeze({ except: new Set<string>() });

function bitsOf<T>(domain: readonly T[]): ReadonlyMap<T, number> {
  return new Map(domain.map((value, index) => [value, 1 << index]));
}
const ROLE_BITS = bitsOf(ROLES);
const CLASS_BITS = bitsOf(FIELD_CLASSES);
const STATE_BITS = bitsOf(INTERACTION_STATES);
const LEVEL_BITS = bitsOf(VERIFICATION_LEVELS);
const ALL_ROLES = (1 << ROLES.length) - 1;
const ALL_CLASSES = (1 << FIELD_CLASSES.length) - 1;
const ALL_STATES = (1 << INTERACTION_STATES.length) - 1;
const ALL_LEVELS = (1 << VERIFICATION_LEVELS.length) - 1;
const WITHOUT_BREAK_GLASS = 1;
const WITH_BREAK_GLASS = 2;
const ALL_BREAK_GLASS = WITHOUT_BREAK_GLASS | WITH_BREAK_GLASS;

function maskOf<T>(values: readonly T[] | undefined, bits: ReadonlyMap<T, number>, all: number): number {
  if (values === undefined) return all;
  let mask = 0;
  for (const value of values) mask |= bits.get(value) ?? 0;
  return mask;
}

/** The contexts a rule's `when` matches. */
export function regionOf(when: RuleCondition): Region {
  const min = when.minVerificationLevel ?? 0;
  return Object.freeze({
    roles: maskOf(when.roles, ROLE_BITS, ALL_ROLES),
    classes: maskOf(when.classes, CLASS_BITS, ALL_CLASSES),
    states: maskOf(when.interactionStates, STATE_BITS, ALL_STATES),
    levels: maskOf(
      VERIFICATION_LEVELS.filter((level) => level >= min),
      LEVEL_BITS,
      ALL_LEVELS,
    ),
    breakGlass: when.breakGlass === undefined ? ALL_BREAK_GLASS : when.breakGlass ? WITH_BREAK_GLASS : WITHOUT_BREAK_GLASS,
    fieldPurposes: when.fieldPurposes === undefined ? ANY_PURPOSE : { only: new Set(when.fieldPurposes) },
    accessPurposes: when.accessPurposes === undefined ? ANY_PURPOSE : { only: new Set(when.accessPurposes) },
  });
}

/**
 * The contexts the hard guards let through to the rules are everything except this region: an
 * interaction that is not live, without break-glass. (The other guards - lock, shift, training -
 * are not dimensions of a rule, so they remove no part of any rule's region.)
 */
export const REFUSED_BY_INTERACTION_GUARD: Region = Object.freeze({
  roles: ALL_ROLES,
  classes: ALL_CLASSES,
  states: ALL_STATES & ~maskOf(LIVE_INTERACTION_STATES, STATE_BITS, ALL_STATES),
  levels: ALL_LEVELS,
  breakGlass: WITHOUT_BREAK_GLASS,
  fieldPurposes: ANY_PURPOSE,
  accessPurposes: ANY_PURPOSE,
});

/** The conditions of `region` that the context fails; empty when the context is inside. */
export function failedConditions(region: Region, ctx: AccessContext): Condition[] {
  const failed: Condition[] = [];
  if ((region.roles & (ROLE_BITS.get(ctx.role) ?? 0)) === 0) failed.push('roles');
  if ((region.classes & (CLASS_BITS.get(ctx.fieldClass) ?? 0)) === 0) failed.push('classes');
  if (!purposeIn(region.fieldPurposes, ctx.fieldPurpose)) failed.push('fieldPurposes');
  if (!purposeIn(region.accessPurposes, ctx.accessPurpose ?? NO_PURPOSE)) failed.push('accessPurposes');
  if ((region.states & (STATE_BITS.get(ctx.interactionState) ?? 0)) === 0) failed.push('interactionStates');
  if ((region.levels & (LEVEL_BITS.get(ctx.verificationLevel) ?? 0)) === 0) failed.push('minVerificationLevel');
  if ((region.breakGlass & (ctx.breakGlass === true ? WITH_BREAK_GLASS : WITHOUT_BREAK_GLASS)) === 0) failed.push('breakGlass');
  return failed;
}

function purposeIn(set: PurposeSet, purpose: string): boolean {
  return 'only' in set ? set.only.has(purpose) : !set.except.has(purpose);
}

function purposeIntersection(a: PurposeSet, b: PurposeSet): PurposeSet {
  if ('only' in a) return { only: new Set([...a.only].filter((p) => purposeIn(b, p))) };
  if ('only' in b) return { only: new Set([...b.only].filter((p) => !a.except.has(p))) };
  return { except: new Set([...a.except, ...b.except]) };
}

function purposeComplement(a: PurposeSet): PurposeSet {
  return 'only' in a ? { except: a.only } : { only: a.except };
}

function purposeEmpty(a: PurposeSet): boolean {
  // An "everything except a finite list" set is never empty: the slugs are unbounded.
  return 'only' in a && a.only.size === 0;
}

function isEmpty(r: Region): boolean {
  return r.roles === 0 || r.classes === 0 || r.states === 0 || r.levels === 0 || r.breakGlass === 0 || purposeEmpty(r.fieldPurposes) || purposeEmpty(r.accessPurposes);
}

/** `a ∩ b`, or null when empty. */
export function intersect(a: Region, b: Region): Region | null {
  const r: Region = {
    roles: a.roles & b.roles,
    classes: a.classes & b.classes,
    states: a.states & b.states,
    levels: a.levels & b.levels,
    breakGlass: a.breakGlass & b.breakGlass,
    fieldPurposes: purposeIntersection(a.fieldPurposes, b.fieldPurposes),
    accessPurposes: purposeIntersection(a.accessPurposes, b.accessPurposes),
  };
  return isEmpty(r) ? null : r;
}

/**
 * `a \ b` as disjoint regions. Splits `a` one dimension at a time: the part outside `b` on the
 * first dimension, then, within `b` on that dimension, the part outside `b` on the second, and so
 * on. At most seven pieces; none when `b` covers `a`.
 */
export function subtract(a: Region, b: Region): Region[] {
  if (intersect(a, b) === null) return [a];
  const pieces: Region[] = [];
  let rest: Region = a;
  const keep = (piece: Region): void => {
    if (!isEmpty(piece)) pieces.push(piece);
  };
  keep({ ...rest, roles: rest.roles & ~b.roles });
  rest = { ...rest, roles: rest.roles & b.roles };
  keep({ ...rest, classes: rest.classes & ~b.classes });
  rest = { ...rest, classes: rest.classes & b.classes };
  keep({ ...rest, states: rest.states & ~b.states });
  rest = { ...rest, states: rest.states & b.states };
  keep({ ...rest, levels: rest.levels & ~b.levels });
  rest = { ...rest, levels: rest.levels & b.levels };
  keep({ ...rest, breakGlass: rest.breakGlass & ~b.breakGlass });
  rest = { ...rest, breakGlass: rest.breakGlass & b.breakGlass };
  keep({ ...rest, fieldPurposes: purposeIntersection(rest.fieldPurposes, purposeComplement(b.fieldPurposes)) });
  rest = { ...rest, fieldPurposes: purposeIntersection(rest.fieldPurposes, b.fieldPurposes) };
  keep({ ...rest, accessPurposes: purposeIntersection(rest.accessPurposes, purposeComplement(b.accessPurposes)) });
  return pieces;
}

/** Whether any context of the region has this field class. */
export function includesClass(r: Region, fieldClass: (typeof FIELD_CLASSES)[number]): boolean {
  return (r.classes & (CLASS_BITS.get(fieldClass) ?? 0)) !== 0;
}

/** Whether every context of the region has this field class. */
export function onlyClass(r: Region, fieldClass: (typeof FIELD_CLASSES)[number]): boolean {
  return r.classes === CLASS_BITS.get(fieldClass);
}

function firstOf<T>(domain: readonly T[], mask: number): T | undefined {
  return domain.find((_, index) => (mask & (1 << index)) !== 0);
}

function describePurpose(set: PurposeSet, none: string): string {
  if ('only' in set) {
    const first = [...set.only].sort()[0];
    return first === undefined ? '(none)' : first === NO_PURPOSE ? none : first;
  }
  if (set.except.size === 0) return 'any';
  return `any except ${[...set.except]
    .map((p) => (p === NO_PURPOSE ? none : p))
    .sort()
    .join(', ')}`;
}

/** One example context of a non-empty region, for messages ("for example: role agent, ..."). */
export function describeExample(r: Region): string {
  const level = firstOf(VERIFICATION_LEVELS, r.levels);
  return [
    `role ${firstOf(ROLES, r.roles)}`,
    `class ${firstOf(FIELD_CLASSES, r.classes)}`,
    `field purpose ${describePurpose(r.fieldPurposes, 'none')}`,
    `access purpose ${describePurpose(r.accessPurposes, 'none declared')}`,
    `interaction ${firstOf(INTERACTION_STATES, r.states)}`,
    `verification level ${level}`,
    (r.breakGlass & WITHOUT_BREAK_GLASS) !== 0 ? 'no break-glass' : 'break-glass',
  ].join(', ');
}
