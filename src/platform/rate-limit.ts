/**
 * Failure counters, lockouts and fixed-window rate limits, shared by every server process when
 * Redis is configured (`redisAttemptCounter`) and kept in memory otherwise (`memoryAttemptCounter`).
 * Both implement {@link AttemptCounter} and pass the same contract suite (rate-limit.test.ts).
 *
 * Keys are whatever the caller throttles on (a username, an IP address, `login:<tenant>:<user>`).
 * They are hashed before they are stored, in Redis and in memory alike: usernames and addresses
 * never sit in Redis in clear, and an attacker's long keys cost no more memory than short ones.
 *
 * Each key has three independent parts: a failure window (`fail`, `failures`), a block
 * (`block`, `blockedFor`) and a hit window (`hit`). `reset` forgets the first two, which is what a
 * successful login does; it leaves the hit window alone, so that succeeding on one account cannot
 * be used to lift a rate limit shared with attempts on others.
 *
 * @example
 * ```ts
 * const counter = ctx.redis ? redisAttemptCounter(ctx.redis) : memoryAttemptCounter({ clock: ctx.clock });
 * const key = `login:${tenantId}:${username}`;
 * if ((await counter.blockedFor(key)) > 0) return tooManyAttempts();
 * if (!(await verifyPassword(...))) {
 *   const failures = await counter.fail(key, 15 * 60_000);
 *   const ms = exponentialBackoffMs(failures, { threshold: 5, baseMs: 1_000, maxMs: 15 * 60_000 });
 *   await counter.block(key, ms);
 * } else {
 *   await counter.reset(key);
 * }
 * ```
 */
import type { Redis } from 'ioredis';
import type { Clock } from './clock.js';
import { sha256 } from './crypto.js';

export interface HitResult {
  /** True while `count` is within the limit. */
  allowed: boolean;
  /** Hits counted in the current window, this one included. */
  count: number;
  /** When refused, milliseconds until the window ends; 0 when allowed. */
  retryAfterMs: number;
}

export interface AttemptCounter {
  /**
   * Records one failure under `key`; returns the failures counted in the current window. The
   * window starts with the first failure and is not extended by later ones; once it has expired
   * the next failure starts a new window (and counts 1).
   */
  fail(key: string, windowMs: number): Promise<number>;
  /** Failures currently counted (0 when none or expired). */
  failures(key: string): Promise<number>;
  /** Forgets the key's failures and block (after a success). Its hit window is kept. */
  reset(key: string): Promise<void>;
  /**
   * Blocks the key until now+`ms`, keeping the longer of this and an existing block, so a short
   * block can never shorten a long one. `ms` = 0 does nothing (what {@link exponentialBackoffMs}
   * returns below its threshold).
   */
  block(key: string, ms: number): Promise<void>;
  /** Milliseconds the key remains blocked, or 0. */
  blockedFor(key: string): Promise<number>;
  /** Fixed-window hit counter for plain rate limits: counts this hit and says whether it is within `limit`. */
  hit(key: string, limit: number, windowMs: number): Promise<HitResult>;
}

/** What `maxKeys` is when not given: ~100k keys of a few hundred bytes each, tens of MB at most. */
export const DEFAULT_MAX_KEYS = 100_000;
export const DEFAULT_REDIS_PREFIX = 'custodia:rl:';

/** The stored form of a caller's key: SHA-256, hex, first 128 bits. */
function digest(key: string): string {
  return sha256(key).toString('hex').slice(0, 32);
}

function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('rate-limit key must be a non-empty string');
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
}

function assertNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
}

/**
 * Lockout delay after `failures` failures: 0 below `threshold`, then `baseMs` doubling with each
 * further failure (`baseMs * 2^(failures - threshold)`), never more than `maxMs`.
 *
 * @example
 * ```ts
 * exponentialBackoffMs(4, { threshold: 5, baseMs: 1_000, maxMs: 60_000 }); // 0
 * exponentialBackoffMs(5, { threshold: 5, baseMs: 1_000, maxMs: 60_000 }); // 1_000
 * exponentialBackoffMs(7, { threshold: 5, baseMs: 1_000, maxMs: 60_000 }); // 4_000
 * exponentialBackoffMs(99, { threshold: 5, baseMs: 1_000, maxMs: 60_000 }); // 60_000
 * ```
 */
export function exponentialBackoffMs(failures: number, options: { threshold: number; baseMs: number; maxMs: number }): number {
  const { threshold, baseMs, maxMs } = options;
  assertNonNegativeInteger('failures', failures);
  assertNonNegativeInteger('threshold', threshold);
  assertNonNegativeInteger('baseMs', baseMs);
  assertNonNegativeInteger('maxMs', maxMs);
  if (failures < threshold) return 0;
  // The exponent is capped so a huge failure count gives maxMs, not Infinity (or NaN when baseMs is 0).
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - threshold, 52));
}

// ---------------------------------------------------------------------------------------------
// In memory
// ---------------------------------------------------------------------------------------------

interface Entry {
  failures: number;
  failuresUntil: number;
  blockedUntil: number;
  hits: number;
  hitsUntil: number;
}

function isExpired(entry: Entry, now: number): boolean {
  return entry.failuresUntil <= now && entry.blockedUntil <= now && entry.hitsUntil <= now;
}

/**
 * An {@link AttemptCounter} for a single process, timed by `clock`.
 *
 * Bounded: it holds at most `maxKeys` keys (default {@link DEFAULT_MAX_KEYS}), so an attacker
 * spraying usernames cannot exhaust memory. When a new key would exceed the bound, expired keys
 * are dropped first; if that frees less than a tenth of the room, the least recently used keys go
 * too, down to nine tenths of the bound. The margin means the O(n) sweep runs at most once per
 * `maxKeys / 10` new keys, so a spray of fresh keys cannot turn every request into a full scan.
 * Every read or write of a key makes it the most recently used, so a key under attack (whose
 * counters the attacker keeps touching) is the last to be forgotten; forgetting one takes
 * `maxKeys` other keys in between, which the per-address rate limit is there to prevent.
 */
export function memoryAttemptCounter(options: { clock: Clock; maxKeys?: number }): AttemptCounter {
  const { clock } = options;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  assertPositiveInteger('maxKeys', maxKeys);
  // Map order is the eviction order: least recently used first.
  const entries = new Map<string, Entry>();

  const now = () => clock.now().getTime();

  /** The live entry for `key`, made most recently used, or undefined (expired ones are dropped). */
  function find(key: string, at: number): Entry | undefined {
    const id = digest(key);
    const entry = entries.get(id);
    if (entry === undefined) return undefined;
    entries.delete(id);
    if (isExpired(entry, at)) return undefined;
    entries.set(id, entry);
    return entry;
  }

  function makeRoom(at: number): void {
    if (entries.size < maxKeys) return;
    for (const [id, entry] of entries) if (isExpired(entry, at)) entries.delete(id);
    const target = maxKeys - Math.max(1, Math.floor(maxKeys / 10));
    for (const id of entries.keys()) {
      if (entries.size <= target) break;
      entries.delete(id);
    }
  }

  /** The entry for `key`, created (after making room) when there is none. */
  function findOrCreate(key: string, at: number): Entry {
    const existing = find(key, at);
    if (existing !== undefined) return existing;
    makeRoom(at);
    const entry: Entry = { failures: 0, failuresUntil: 0, blockedUntil: 0, hits: 0, hitsUntil: 0 };
    entries.set(digest(key), entry);
    return entry;
  }

  return {
    async fail(key, windowMs) {
      assertKey(key);
      assertPositiveInteger('windowMs', windowMs);
      const at = now();
      const entry = findOrCreate(key, at);
      if (entry.failuresUntil <= at) {
        entry.failures = 0;
        entry.failuresUntil = at + windowMs;
      }
      entry.failures += 1;
      return entry.failures;
    },

    async failures(key) {
      assertKey(key);
      const at = now();
      const entry = find(key, at);
      return entry !== undefined && entry.failuresUntil > at ? entry.failures : 0;
    },

    async reset(key) {
      assertKey(key);
      const at = now();
      const entry = find(key, at);
      if (entry === undefined) return;
      entry.failures = 0;
      entry.failuresUntil = 0;
      entry.blockedUntil = 0;
      if (isExpired(entry, at)) entries.delete(digest(key));
    },

    async block(key, ms) {
      assertKey(key);
      assertNonNegativeInteger('ms', ms);
      if (ms === 0) return;
      const at = now();
      const entry = findOrCreate(key, at);
      entry.blockedUntil = Math.max(entry.blockedUntil, at + ms);
    },

    async blockedFor(key) {
      assertKey(key);
      const at = now();
      const entry = find(key, at);
      return entry === undefined ? 0 : Math.max(0, entry.blockedUntil - at);
    },

    async hit(key, limit, windowMs) {
      assertKey(key);
      assertPositiveInteger('limit', limit);
      assertPositiveInteger('windowMs', windowMs);
      const at = now();
      const entry = findOrCreate(key, at);
      if (entry.hitsUntil <= at) {
        entry.hits = 0;
        entry.hitsUntil = at + windowMs;
      }
      entry.hits += 1;
      const allowed = entry.hits <= limit;
      return { allowed, count: entry.hits, retryAfterMs: allowed ? 0 : entry.hitsUntil - at };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// In Redis
// ---------------------------------------------------------------------------------------------

// Every operation is one atomic step on the server (a script, or a single command where one
// suffices), so concurrent processes never lose a count or shorten a block, and every expiry is
// measured by the Redis server's clock (PEXPIRE/PTTL), not by the processes' clocks, which may
// disagree. Every key written carries an expiry, so nothing outlives its window.

/**
 * INCR, and set the window's expiry only if the key has none (PEXPIRE NX, written with PTTL so
 * it also runs on Redis 6): later failures do not extend the window. Returns the count.
 */
const FAIL_LUA = `
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/** As FAIL_LUA, and also returns the window's remaining milliseconds. */
const HIT_LUA = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`;

/** SET PX, unless the block in place lasts longer (PTTL -2: none; -1 cannot happen, and is replaced). */
const BLOCK_LUA = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
`;

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Defines a script on the connection (ioredis runs it with EVALSHA, falling back to EVAL once per
 * connection) and returns a function that calls it. Names are namespaced: the connection is shared.
 */
function defineScript(redis: Redis, name: string, lua: string): ScriptCall {
  redis.defineCommand(name, { numberOfKeys: 1, lua });
  const command = Reflect.get(redis, name) as ScriptCall;
  return (...args) => command.apply(redis, args);
}

/**
 * An {@link AttemptCounter} in Redis, shared by every process using the same Redis and prefix.
 * Keys are `<prefix>{<digest>}:f` (failures), `:b` (block) and `:h` (hits), where the digest is
 * the first 32 hex characters of the key's SHA-256; the braces keep one key's parts in one
 * Redis Cluster slot, so `reset` deletes them in one command.
 */
export function redisAttemptCounter(redis: Redis, options: { prefix?: string } = {}): AttemptCounter {
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError('prefix must be a non-empty string');
  const failScript = defineScript(redis, 'custodiaRateLimitFail', FAIL_LUA);
  const hitScript = defineScript(redis, 'custodiaRateLimitHit', HIT_LUA);
  const blockScript = defineScript(redis, 'custodiaRateLimitBlock', BLOCK_LUA);

  const keysOf = (key: string) => {
    assertKey(key);
    const base = `${prefix}{${digest(key)}}`;
    return { failures: `${base}:f`, block: `${base}:b`, hits: `${base}:h` };
  };

  return {
    async fail(key, windowMs) {
      const keys = keysOf(key);
      assertPositiveInteger('windowMs', windowMs);
      return Number(await failScript(keys.failures, windowMs));
    },

    async failures(key) {
      const value = await redis.get(keysOf(key).failures);
      return value === null ? 0 : Number(value);
    },

    async reset(key) {
      const keys = keysOf(key);
      await redis.del(keys.failures, keys.block);
    },

    async block(key, ms) {
      const keys = keysOf(key);
      assertNonNegativeInteger('ms', ms);
      if (ms === 0) return;
      await blockScript(keys.block, ms);
    },

    async blockedFor(key) {
      const ttl = await redis.pttl(keysOf(key).block);
      return ttl > 0 ? ttl : 0;
    },

    async hit(key, limit, windowMs) {
      const keys = keysOf(key);
      assertPositiveInteger('limit', limit);
      assertPositiveInteger('windowMs', windowMs);
      const [count, ttl] = (await hitScript(keys.hits, windowMs)) as [number, number];
      const allowed = count <= limit;
      return { allowed, count, retryAfterMs: allowed ? 0 : Math.max(1, ttl) };
    },
  };
}
