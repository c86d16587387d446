import { retryTierDelayMs, type TopicSpec } from '@herald/contracts';
import { releaseAtOf } from './tier-timing';

/**
 * When a message of a retry tier topic (`herald.deliveries.retry.<delay>`) is handed over — when
 * it is due, but never later than the tier's delay after it was written (`releaseAtOf`) — and
 * null for any other topic (at once). The dispatcher's `TrackedConsumer` reads the deliveries
 * topic and every tier in one co-partitioned group with this as its `releaseAt`: a tier's
 * partition is paused until its head is released, and the delivery is then handed over exactly
 * like a fresh one (the engine sends it, or hops it on when it is not due yet). A paused tier
 * partition never holds back another tier or the deliveries topic.
 */
export function tierReleaseAt(spec: TopicSpec, message: Parameters<typeof releaseAtOf>[0]): number | null {
  const delay = retryTierDelayMs(spec);
  return delay === undefined ? null : releaseAtOf(message, delay);
}
