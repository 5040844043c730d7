import { describe, expect, it } from 'vitest';
import { FixedClock } from '../../platform/clock.js';
import { createThrottle } from './throttle.js';

/** A throttle on a fixed clock whose `sleep` records what it was asked and moves the clock. */
function recorded(maxPerSecond: number) {
  const clock = new FixedClock('2026-01-01T00:00:00Z');
  const start = clock.now().getTime();
  const sleeps: number[] = [];
  const taken: number[] = [];
  const throttle = createThrottle({
    maxPerSecond,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
  });
  const take = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      await throttle.take();
      taken.push(clock.now().getTime() - start);
    }
  };
  return { clock, sleeps, taken, take };
}

describe('createThrottle', () => {
  it('lets maxPerSecond through at once, then one second later the next maxPerSecond', async () => {
    const t = recorded(3);
    await t.take(7);
    expect(t.taken).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000]);
    expect(t.sleeps).toEqual([1_000, 1_000]);
  });

  it('never lets more than maxPerSecond into any one-second interval, however the calls are spread', async () => {
    const t = recorded(2);
    await t.take(1);
    t.clock.advance(600);
    await t.take(2); // at 600 (the second token), then at 1000 (the first one back)
    t.clock.advance(100); // 1100
    await t.take(1); // the token spent at 600 is back at 1600
    expect(t.taken).toEqual([0, 600, 1_000, 1_600]);
    for (const at of t.taken) expect(t.taken.filter((x) => x >= at && x < at + 1_000).length).toBeLessThanOrEqual(2);
  });

  it('does not save up tokens while idle beyond maxPerSecond', async () => {
    const t = recorded(2);
    t.clock.advance(60_000);
    await t.take(3);
    expect(t.taken).toEqual([60_000, 60_000, 61_000]);
  });

  it('hands out slots in call order to concurrent callers', async () => {
    const clock = new FixedClock('2026-01-01T00:00:00Z');
    const waits: number[] = [];
    const throttle = createThrottle({ maxPerSecond: 1, clock, sleep: async (ms) => void waits.push(ms) });
    await Promise.all([throttle.take(), throttle.take(), throttle.take()]);
    expect(waits).toEqual([1_000, 2_000]);
  });

  it('refuses a rate that is not a positive integer', () => {
    const clock = new FixedClock('2026-01-01T00:00:00Z');
    for (const maxPerSecond of [0, -1, 1.5, Number.NaN]) expect(() => createThrottle({ maxPerSecond, clock })).toThrow(TypeError);
  });
});
