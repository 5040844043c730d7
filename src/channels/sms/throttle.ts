/**
 * Paces submissions to an SMSC: at most `maxPerSecond` in any one-second interval.
 *
 * A token bucket of `maxPerSecond` tokens in which each spent token comes back exactly one second
 * after it was spent. The common bucket that refills continuously would let almost twice the rate
 * through in the first second (a full bucket plus what refills meanwhile), and a burst like that is
 * what makes an SMSC answer `ESME_RTHROTTLED`. Slots are handed out in call order, so messages
 * leave in the order they were sent.
 *
 * Time comes from a {@link Clock} and waiting from `sleep`, both injectable, so tests run it on a
 * fake clock with no real waiting.
 */
import type { Clock } from '../../platform/clock.js';

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Throttle {
  /** Resolves when the caller may submit one message. */
  take(): Promise<void>;
}

export function createThrottle(options: { maxPerSecond: number; clock: Clock; sleep?: Sleep }): Throttle {
  const { maxPerSecond, clock } = options;
  if (!Number.isSafeInteger(maxPerSecond) || maxPerSecond < 1) throw new TypeError('maxPerSecond must be a positive integer');
  const sleep = options.sleep ?? realSleep;
  // When each token was last spent (or will be, for slots handed out but not yet due), oldest
  // first: a ring of maxPerSecond instants. A token is free again one second after its instant.
  const spent: number[] = new Array<number>(maxPerSecond).fill(Number.NEGATIVE_INFINITY);
  let oldest = 0;

  return {
    async take() {
      const now = clock.now().getTime();
      // Reserved synchronously, before any await, so concurrent callers get slots in call order.
      const slot = Math.max(now, (spent[oldest] ?? Number.NEGATIVE_INFINITY) + 1_000);
      spent[oldest] = slot;
      oldest = (oldest + 1) % maxPerSecond;
      if (slot > now) await sleep(slot - now);
    },
  };
}
