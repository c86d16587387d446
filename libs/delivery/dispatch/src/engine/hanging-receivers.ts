import type { Lane } from './lanes';

export interface HangingSettings {
  /** HTTP attempts in flight for one subscription in independent mode (ordered mode: 1). */
  maxInFlightPerSubscription: number;
  /** An attempt running this long (or a last attempt that timed out) makes the hook hanging. */
  hangingAfterMs: number;
}

/**
 * Hanging receivers, independent mode: a hook whose last attempt timed out, or whose oldest
 * attempt has run `hangingAfterMs`, gets one attempt in flight instead of
 * `maxInFlightPerSubscription` (hanging requests would otherwise hold the connections of an
 * origin that healthy hooks share). What it cannot take in time is parked by `LaneBounds`.
 */
export class HangingReceivers {
  constructor(private readonly settings: HangingSettings) {}

  isHanging(lane: Lane, now = Date.now()): boolean {
    return lane.isHanging(now, this.settings.hangingAfterMs);
  }

  /** Attempts the lane may have in flight now. */
  cap(lane: Lane, ordered: boolean, now = Date.now()): number {
    return ordered || this.isHanging(lane, now) ? 1 : this.settings.maxInFlightPerSubscription;
  }
}
