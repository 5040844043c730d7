/**
 * One contract for every AttemptCounter: it runs against the in-memory counter (with a fixed
 * clock moved by hand) always, and against Redis when TEST_REDIS_URL is set (where time cannot be
 * moved, so windows are short and the tests poll until the state changes, with a generous limit).
 * Redis-only tests cover what only a shared store has: two connections (two processes) seeing the
 * same counts, atomicity under concurrency, and keys that never show what they count.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../test/helpers/database.js';
import { FixedClock } from './clock.js';
import { sha256 } from './crypto.js';
import { createLogger } from './logger.js';
import { type AttemptCounter, DEFAULT_REDIS_PREFIX, exponentialBackoffMs, memoryAttemptCounter, redisAttemptCounter } from './rate-limit.js';
import { connectRedis } from './redis.js';

/** A window no test outlives: state under it must still be there when the test looks. */
const LONG = 60_000;

interface Harness {
  counter: AttemptCounter;
  /** A window short enough to wait out. */
  short: number;
  /**
   * Lets `ms` go by: moves the fake clock, or, on Redis (whose clock cannot be moved), polls
   * `until` until it holds. Tests assert the state themselves afterwards.
   */
  pass(ms: number, until: () => Promise<boolean>): Promise<void>;
}

/** Polls `probe` until it returns true; fails after `limitMs` (a bound on waiting, not a timing assertion). */
async function eventually(what: string, probe: () => Promise<boolean>, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await sleep(25);
  }
}

let keySeq = 0;
/** A key no other test uses (Redis is shared by every test of the run). */
function uniqueKey(label: string): string {
  keySeq += 1;
  return `${label}-${keySeq}@example.com`;
}

function attemptCounterContract(name: string, harness: () => Harness): void {
  describe(`AttemptCounter contract: ${name}`, () => {
    let h: Harness;
    beforeEach(() => {
      h = harness();
    });

    it('counts failures per key, starting at 1, and reports them', async () => {
      const alice = uniqueKey('alice');
      const bob = uniqueKey('bob');
      expect(await h.counter.failures(alice)).toBe(0);
      expect(await h.counter.fail(alice, LONG)).toBe(1);
      expect(await h.counter.fail(alice, LONG)).toBe(2);
      expect(await h.counter.fail(alice, LONG)).toBe(3);
      expect(await h.counter.failures(alice)).toBe(3);
      expect(await h.counter.failures(bob)).toBe(0);
    });

    it('forgets failures when the window expires, and the next failure starts a new window', async () => {
      const key = uniqueKey('expiry');
      await h.counter.fail(key, h.short);
      expect(await h.counter.fail(key, h.short)).toBe(2);
      await h.pass(h.short, async () => (await h.counter.failures(key)) === 0);
      expect(await h.counter.failures(key)).toBe(0);
      expect(await h.counter.fail(key, h.short)).toBe(1);
      // The new window expires too (it was given an expiry, it is not kept forever).
      await h.pass(h.short, async () => (await h.counter.failures(key)) === 0);
      expect(await h.counter.failures(key)).toBe(0);
    });

    it('does not extend the window on later failures (expiry is set only by the first)', async () => {
      const key = uniqueKey('fixed-window');
      await h.counter.fail(key, h.short);
      // Were the second failure to restart the window, it would last LONG and outlive the wait.
      expect(await h.counter.fail(key, LONG)).toBe(2);
      await h.pass(h.short, async () => (await h.counter.failures(key)) === 0);
      expect(await h.counter.failures(key)).toBe(0);
    });

    it('reset forgets failures and block, and counting starts again at 1', async () => {
      const key = uniqueKey('reset');
      await h.counter.fail(key, LONG);
      await h.counter.fail(key, LONG);
      await h.counter.block(key, LONG);
      await h.counter.reset(key);
      expect(await h.counter.failures(key)).toBe(0);
      expect(await h.counter.blockedFor(key)).toBe(0);
      expect(await h.counter.fail(key, LONG)).toBe(1);
      await h.counter.reset(uniqueKey('never-seen'));
    });

    it('reset keeps the hit window, so a success does not lift a rate limit', async () => {
      const key = uniqueKey('reset-hits');
      await h.counter.hit(key, 1, LONG);
      await h.counter.reset(key);
      expect(await h.counter.hit(key, 1, LONG)).toMatchObject({ allowed: false, count: 2 });
    });

    it('blocks a key for the given time; unknown keys are not blocked', async () => {
      const key = uniqueKey('block');
      expect(await h.counter.blockedFor(key)).toBe(0);
      await h.counter.block(key, LONG);
      const remaining = await h.counter.blockedFor(key);
      expect(remaining).toBeGreaterThan(LONG - 10_000);
      expect(remaining).toBeLessThanOrEqual(LONG);
      expect(await h.counter.blockedFor(uniqueKey('other'))).toBe(0);
    });

    it('a block ends by itself', async () => {
      const key = uniqueKey('block-expiry');
      await h.counter.block(key, h.short);
      expect(await h.counter.blockedFor(key)).toBeGreaterThan(0);
      await h.pass(h.short, async () => (await h.counter.blockedFor(key)) === 0);
      expect(await h.counter.blockedFor(key)).toBe(0);
    });

    it('a shorter block does not shorten a longer one', async () => {
      const key = uniqueKey('block-longer');
      await h.counter.block(key, LONG);
      await h.counter.block(key, h.short);
      expect(await h.counter.blockedFor(key)).toBeGreaterThan(h.short);
    });

    it('a longer block extends a shorter one', async () => {
      const key = uniqueKey('block-extend');
      await h.counter.block(key, h.short);
      await h.counter.block(key, LONG);
      expect(await h.counter.blockedFor(key)).toBeGreaterThan(h.short);
    });

    it('block(key, 0) does nothing (below the back-off threshold)', async () => {
      const key = uniqueKey('block-zero');
      await h.counter.block(key, 0);
      expect(await h.counter.blockedFor(key)).toBe(0);
    });

    it('failures, blocks and hits of one key are independent of each other', async () => {
      const key = uniqueKey('independent');
      await h.counter.hit(key, 10, LONG);
      await h.counter.hit(key, 10, LONG);
      expect(await h.counter.failures(key)).toBe(0);
      expect(await h.counter.blockedFor(key)).toBe(0);
      expect(await h.counter.fail(key, LONG)).toBe(1);
      expect((await h.counter.hit(key, 10, LONG)).count).toBe(3);
    });

    it('hit allows up to the limit in a window, then refuses with a Retry-After within the window', async () => {
      const key = uniqueKey('hits');
      for (let i = 1; i <= 3; i += 1) {
        expect(await h.counter.hit(key, 3, LONG)).toEqual({ allowed: true, count: i, retryAfterMs: 0 });
      }
      const refused = await h.counter.hit(key, 3, LONG);
      expect(refused.allowed).toBe(false);
      expect(refused.count).toBe(4);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(LONG);
      // Another key has its own window.
      expect(await h.counter.hit(uniqueKey('hits-other'), 3, LONG)).toEqual({ allowed: true, count: 1, retryAfterMs: 0 });
    });

    it('a new hit window starts when the old one expires', async () => {
      const key = uniqueKey('hit-window');
      await h.counter.hit(key, 1, h.short);
      expect((await h.counter.hit(key, 1, h.short)).allowed).toBe(false);
      // Polled with a limit of 1000 so that the probe's own hits never fill the new window.
      await h.pass(h.short, async () => (await h.counter.hit(key, 1000, h.short)).count === 1);
      const fresh = await h.counter.hit(key, 1000, h.short);
      expect(fresh.allowed).toBe(true);
      expect(fresh.count).toBeLessThanOrEqual(2);
    });

    it('counts every one of many concurrent failures exactly once', async () => {
      const key = uniqueKey('concurrent');
      const results = await Promise.all(Array.from({ length: 50 }, () => h.counter.fail(key, LONG)));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await h.counter.failures(key)).toBe(50);
    });

    it('rejects caller mistakes with a TypeError', async () => {
      const key = uniqueKey('mistakes');
      await expect(h.counter.fail(key, 0)).rejects.toThrow(TypeError);
      await expect(h.counter.fail(key, 1.5)).rejects.toThrow(TypeError);
      await expect(h.counter.fail('', LONG)).rejects.toThrow(TypeError);
      await expect(h.counter.block(key, -1)).rejects.toThrow(TypeError);
      await expect(h.counter.hit(key, 0, LONG)).rejects.toThrow(TypeError);
      await expect(h.counter.hit(key, 1, Number.NaN)).rejects.toThrow(TypeError);
      expect(await h.counter.failures(key)).toBe(0);
    });
  });
}

// ---------------------------------------------------------------------------------------------

attemptCounterContract('memory', () => {
  const clock = new FixedClock('2026-11-23T09:00:00Z');
  return {
    counter: memoryAttemptCounter({ clock }),
    short: 1_000,
    pass: async (ms) => clock.advance(ms),
  };
});

describe('memoryAttemptCounter', () => {
  it('measures windows and blocks on its clock to the millisecond', async () => {
    const clock = new FixedClock('2026-11-23T09:00:00Z');
    const counter = memoryAttemptCounter({ clock });
    await counter.fail('k', 1_000);
    clock.advance(999);
    expect(await counter.failures('k')).toBe(1);
    clock.advance(1);
    expect(await counter.failures('k')).toBe(0);

    await counter.block('k', 5_000);
    clock.advance(2_000);
    expect(await counter.blockedFor('k')).toBe(3_000);

    await counter.hit('h', 1, 10_000);
    clock.advance(4_000);
    expect(await counter.hit('h', 1, 10_000)).toEqual({ allowed: false, count: 2, retryAfterMs: 6_000 });
  });

  it('holds at most maxKeys keys: a spray of fresh keys evicts the least recently used', async () => {
    const clock = new FixedClock('2026-11-23T09:00:00Z');
    const counter = memoryAttemptCounter({ clock, maxKeys: 10 });
    await counter.fail('victim', LONG);
    await counter.fail('victim', LONG);
    for (let i = 0; i < 9; i += 1) await counter.fail(`spray-${i}`, LONG);
    // Touched again, the victim is now the most recently used key: spray-0 goes first.
    expect(await counter.fail('victim', LONG)).toBe(3);
    await counter.fail('spray-new', LONG);
    expect(await counter.failures('spray-0')).toBe(0);
    expect(await counter.failures('victim')).toBe(3);
    expect(await counter.failures('spray-8')).toBe(1);

    // Enough fresh keys and the victim is forgotten too: memory stays bounded, whatever comes.
    for (let i = 0; i < 100; i += 1) await counter.fail(`flood-${i}`, LONG);
    expect(await counter.failures('victim')).toBe(0);
    let kept = 0;
    for (let i = 0; i < 100; i += 1) if ((await counter.failures(`flood-${i}`)) > 0) kept += 1;
    expect(kept).toBeLessThanOrEqual(10);
    expect(kept).toBeGreaterThanOrEqual(9);
  });

  it('evicts expired keys before live ones', async () => {
    const clock = new FixedClock('2026-11-23T09:00:00Z');
    const counter = memoryAttemptCounter({ clock, maxKeys: 3 });
    await counter.fail('old-live', LONG);
    await counter.block('short-block', 1_000);
    await counter.hit('short-hits', 5, 1_000);
    clock.advance(1_000);
    await counter.fail('new-1', LONG);
    await counter.fail('new-2', LONG);
    // The two expired keys made room; the oldest live key, though least recently used, stayed.
    expect(await counter.failures('old-live')).toBe(1);
    expect(await counter.failures('new-1')).toBe(1);
    expect(await counter.failures('new-2')).toBe(1);
  });

  it('counts a key as expired only when its failures, block and hits all are', async () => {
    const clock = new FixedClock('2026-11-23T09:00:00Z');
    const counter = memoryAttemptCounter({ clock, maxKeys: 3 });
    await counter.fail('locked', 1_000);
    await counter.block('locked', 10_000);
    await counter.fail('stale', 1_000);
    clock.advance(5_000);
    await counter.fail('new-1', LONG);
    // Full: the sweep must drop 'stale' (all expired) and keep 'locked' (its block is live).
    await counter.fail('new-2', LONG);
    expect(await counter.blockedFor('locked')).toBe(5_000);
    expect(await counter.failures('locked')).toBe(0);
  });

  it('rejects a maxKeys that is not a positive integer', () => {
    expect(() => memoryAttemptCounter({ clock: new FixedClock('2026-11-23T09:00:00Z'), maxKeys: 0 })).toThrow(TypeError);
  });
});

describe('exponentialBackoffMs', () => {
  const options = { threshold: 5, baseMs: 1_000, maxMs: 60_000 };

  it('is 0 below the threshold', () => {
    expect([0, 1, 4].map((n) => exponentialBackoffMs(n, options))).toEqual([0, 0, 0]);
  });

  it('doubles from baseMs at the threshold', () => {
    expect([5, 6, 7, 8].map((n) => exponentialBackoffMs(n, options))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('is capped at maxMs, however many failures', () => {
    expect(exponentialBackoffMs(11, options)).toBe(60_000);
    expect(exponentialBackoffMs(10_000, options)).toBe(60_000);
    expect(exponentialBackoffMs(10_000, { ...options, baseMs: 0 })).toBe(0);
  });

  it('rejects negative or fractional inputs', () => {
    expect(() => exponentialBackoffMs(-1, options)).toThrow(TypeError);
    expect(() => exponentialBackoffMs(1.5, options)).toThrow(TypeError);
    expect(() => exponentialBackoffMs(1, { ...options, maxMs: -1 })).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------

describe.runIf(TEST_REDIS_URL !== undefined)('redisAttemptCounter', () => {
  const prefix = `custodia:test:${randomBytes(6).toString('hex')}:rl:`;
  const logger = createLogger('silent');
  let first: Redis;
  let second: Redis;

  async function keysUnder(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await first.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  }

  beforeAll(async () => {
    first = await connectRedis(TEST_REDIS_URL ?? '', logger);
    second = await connectRedis(TEST_REDIS_URL ?? '', logger);
  });

  afterAll(async () => {
    const keys = first === undefined ? [] : await keysUnder(`${prefix}*`);
    if (keys.length > 0) await first.del(...keys);
    first?.disconnect();
    second?.disconnect();
  });

  attemptCounterContract('redis', () => ({
    counter: redisAttemptCounter(first, { prefix }),
    short: 300,
    pass: (_ms, until) => eventually('the window to expire', until),
  }));

  it('two counters on two connections (two processes) share counts, blocks and hits', async () => {
    const a = redisAttemptCounter(first, { prefix });
    const b = redisAttemptCounter(second, { prefix });
    const key = uniqueKey('shared');
    expect(await a.fail(key, LONG)).toBe(1);
    expect(await b.fail(key, LONG)).toBe(2);
    expect(await a.failures(key)).toBe(2);
    await b.block(key, LONG);
    expect(await a.blockedFor(key)).toBeGreaterThan(0);
    expect((await a.hit(key, 2, LONG)).count).toBe(1);
    expect(await b.hit(key, 2, LONG)).toMatchObject({ allowed: true, count: 2 });
    expect(await a.hit(key, 2, LONG)).toMatchObject({ allowed: false, count: 3 });
    await a.reset(key);
    expect(await b.failures(key)).toBe(0);
    expect(await b.blockedFor(key)).toBe(0);
  });

  it('concurrent failures from two connections are all counted', async () => {
    const a = redisAttemptCounter(first, { prefix });
    const b = redisAttemptCounter(second, { prefix });
    const key = uniqueKey('shared-concurrent');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).fail(key, LONG)));
    expect(new Set(results).size).toBe(40);
    expect(Math.max(...results)).toBe(40);
    expect(await a.failures(key)).toBe(40);
  });

  it('stores no key in clear: usernames and addresses appear neither in key names nor in values', async () => {
    const counter = redisAttemptCounter(first, { prefix });
    const username = `clear-text-${randomBytes(4).toString('hex')}@example.com`;
    const address = '203.0.113.77';
    await counter.fail(username, LONG);
    await counter.block(username, LONG);
    await counter.hit(`ip:${address}`, 10, LONG);
    const keys = await keysUnder(`${prefix}*`);
    const digest = sha256(username).toString('hex').slice(0, 32);
    expect(keys).toEqual(expect.arrayContaining([`${prefix}{${digest}}:f`, `${prefix}{${digest}}:b`]));
    for (const key of keys) {
      expect(key).not.toContain(username);
      expect(key).not.toContain('clear-text');
      expect(key).not.toContain(address);
      const value = (await first.get(key)) ?? '';
      expect(value).not.toContain(username);
      expect(value).not.toContain(address);
    }
  });

  it('every key it writes has an expiry', async () => {
    const counter = redisAttemptCounter(first, { prefix });
    const key = uniqueKey('ttl');
    await counter.fail(key, LONG);
    await counter.block(key, LONG);
    await counter.hit(key, 5, LONG);
    const base = `${prefix}{${sha256(key).toString('hex').slice(0, 32)}}`;
    for (const k of [`${base}:f`, `${base}:b`, `${base}:h`]) expect(await first.pttl(k)).toBeGreaterThan(LONG - 10_000);
    // And no key of any other test lacks one (-1); -2 is a short window that ended meanwhile.
    for (const k of await keysUnder(`${prefix}*`)) expect(await first.pttl(k)).not.toBe(-1);
  });

  it('uses custodia:rl: as the default prefix', async () => {
    const counter = redisAttemptCounter(first);
    const key = `default-prefix-${randomBytes(8).toString('hex')}`;
    const stored = `${DEFAULT_REDIS_PREFIX}{${sha256(key).toString('hex').slice(0, 32)}}:f`;
    try {
      await counter.fail(key, LONG);
      expect(DEFAULT_REDIS_PREFIX).toBe('custodia:rl:');
      expect(await first.get(stored)).toBe('1');
    } finally {
      await counter.reset(key);
    }
    expect(await first.exists(stored)).toBe(0);
  });
});
