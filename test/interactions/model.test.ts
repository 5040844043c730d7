/**
 * The rules that need no database: every pair of states against the state machine, written out
 * so that a change to it shows in review; and the access window an interaction opens.
 */
import { describe, expect, it } from 'vitest';
import { accessWindow, canTransition, STATES } from '../../src/interactions/index.js';

describe('the state machine', () => {
  // from -> the states it may move to; every other pair is refused.
  const allowed: Record<string, string[]> = {
    queued: ['active', 'closed'],
    active: ['wrap_up', 'closed'],
    wrap_up: ['closed'],
    closed: [],
  };
  const pairs = STATES.flatMap((from) => STATES.map((to) => [from, to, allowed[from]?.includes(to) ?? false] as const));

  it('has the four states', () => {
    expect(STATES).toEqual(['queued', 'active', 'wrap_up', 'closed']);
    expect(pairs).toHaveLength(16);
  });

  it.each(pairs)('%s -> %s: %s', (from, to, expected) => {
    expect(canTransition(from, to)).toBe(expected);
  });
});

describe('the access window', () => {
  const at = (iso: string) => new Date(iso);
  const wrapUpAt = at('2026-11-23T09:00:00Z');
  const grace = 10 * 60_000;

  it('is open with no known end while active', () => {
    expect(accessWindow({ state: 'active', wrapUpAt: null }, grace, wrapUpAt)).toEqual({ open: true, endsAt: null });
  });

  it('lasts the grace after wrap-up began, and not a millisecond more', () => {
    expect(accessWindow({ state: 'wrap_up', wrapUpAt }, grace, at('2026-11-23T09:09:59.999Z'))).toEqual({ open: true, endsAt: at('2026-11-23T09:10:00Z') });
    expect(accessWindow({ state: 'wrap_up', wrapUpAt }, grace, at('2026-11-23T09:10:00Z'))).toEqual({ open: false });
    expect(accessWindow({ state: 'wrap_up', wrapUpAt }, 0, wrapUpAt)).toEqual({ open: false });
  });

  it('is closed before the conversation starts and once it is closed, whatever the grace', () => {
    expect(accessWindow({ state: 'queued', wrapUpAt: null }, grace, wrapUpAt)).toEqual({ open: false });
    expect(accessWindow({ state: 'closed', wrapUpAt }, grace, wrapUpAt)).toEqual({ open: false });
  });

  it('refuses a grace that is not a non-negative whole number of milliseconds (a caller mistake)', () => {
    for (const g of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => accessWindow({ state: 'active', wrapUpAt: null }, g, wrapUpAt)).toThrow(TypeError);
  });
});
