/**
 * The documented bounds of what a hook's settings and its receiver can ask of the dispatcher
 * (README "What one tenant cannot do to another"). The registry refuses settings beyond them
 * with a 4xx; the dispatcher applies the same bounds to whatever it reads (a snapshot written
 * before a bound existed, a receiver's `Retry-After`).
 */

const HOUR_MS = 3_600_000;

/** A receiver's `Retry-After` is honoured up to this long; beyond it the schedule wins. */
export const RETRY_AFTER_MAX_MS = HOUR_MS;

/** The longest wait one entry of `retryPolicy.scheduleMs` may ask for (the longest retry tier). */
export const RETRY_SCHEDULE_ENTRY_MAX_MS = 6 * HOUR_MS;

/**
 * The lowest `rateLimitPerSec`: one attempt a second. A slower hook's backlog would sit parked
 * in the retry tiers for hours, hopping from tier to tier; a receiver that cannot take one
 * request a second should answer 429 with `Retry-After` instead.
 */
export const MIN_RATE_LIMIT_PER_SEC = 1;
