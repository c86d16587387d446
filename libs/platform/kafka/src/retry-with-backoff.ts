const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RetryWithBackoffOptions {
  /** Asked before each try: once true, there is no further try. Default: never. */
  stopped?: () => boolean;
  /** Hears each failure before the wait (to log it, or let go of what the try held). */
  onError: (error: Error) => unknown;
  /** The first wait (ms; default 500); each next one doubles, up to `maxDelayMs` (default 10 s). */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Tries `attempt` until it succeeds (its result) or `stopped` (undefined): how a service waits
 * for a broker that is down or still electing leaders at start-up, or for a write it cannot drop.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, opts: RetryWithBackoffOptions): Promise<T | undefined> {
  let delay = opts.firstDelayMs ?? 500;
  while (!opts.stopped?.()) {
    try {
      return await attempt();
    } catch (e) {
      await opts.onError(e as Error);
      await sleep(delay);
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 10_000);
    }
  }
  return undefined;
}
