/**
 * A background loop that runs `tick` every `intervalMs` (measured from the end of the previous
 * tick, so ticks never overlap), with `runOnce` for an immediate tick that shares the one in
 * flight, and `stop` that waits for it. Used by the job worker and the ledger sequencer.
 */
export interface PollLoop<T> {
  runOnce(): Promise<T>;
  /** Stops the loop and waits for the tick in flight. Idempotent. */
  stop(): Promise<void>;
  /** True once `stop` was called: ticks check it between units of work. */
  readonly stopped: boolean;
}

export function startPollLoop<T>(tick: () => Promise<T>, intervalMs: number, onError: (error: unknown) => void): PollLoop<T> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<T> | undefined;

  function runOnce(): Promise<T> {
    inFlight ??= tick().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .catch(onError)
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  schedule();
  return {
    runOnce,
    get stopped() {
      return stopped;
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}
