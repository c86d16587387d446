import { retryTierFor } from '@herald/contracts';
import type { DispatchMetrics } from '../dispatch-metrics';
import type { Endpoint } from '../endpoint-directory';
import type { Entry, Lane } from './lanes';
import type { OutcomeWriter } from './outcome-writer';

export interface HangingSettings {
  /** HTTP attempts in flight for one subscription in independent mode (ordered mode: 1). */
  maxInFlightPerSubscription: number;
  /** Queued deliveries from which a hanging hook's further ones are spilled. */
  spillQueueLength: number;
  /** An attempt running this long (or a last attempt that timed out) makes the hook hanging. */
  spillAfterMs: number;
}

/**
 * Hanging receivers, independent mode: a hook whose last attempt timed out, or whose oldest
 * attempt has run `spillAfterMs`, gets one attempt in flight instead of
 * `maxInFlightPerSubscription` (hanging requests would otherwise hold the connections of an
 * origin that healthy hooks share), and once `spillQueueLength` deliveries are queued for it the
 * further ones are moved, unattempted, to the retry tier of its timeout, so they do not fill the
 * partition and stall other receivers.
 */
export class HangingReceivers {
  constructor(
    private readonly settings: HangingSettings,
    private readonly endpointOf: (subscriptionId: string) => Endpoint | null,
    private readonly writer: Pick<OutcomeWriter, 'forward'>,
    private readonly metrics: Pick<DispatchMetrics, 'spilled'>,
  ) {}

  /** Attempts the lane may have in flight now. */
  cap(lane: Lane, ordered: boolean, now = Date.now()): number {
    return ordered || lane.isHanging(now, this.settings.spillAfterMs) ? 1 : this.settings.maxInFlightPerSubscription;
  }

  shouldSpill(lane: Lane, now = Date.now()): boolean {
    if (lane.queue.length < this.settings.spillQueueLength) return false;
    const ep = this.endpointOf(lane.subscriptionId);
    if (!ep || ep.deliveryMode === 'ordered') return false;
    return lane.isHanging(now, this.settings.spillAfterMs);
  }

  /** To the tier of the hook's timeout, unattempted (same attempt number); finished once written. */
  async spill(e: Entry): Promise<void> {
    const waitMs = this.endpointOf(e.delivery.subscriptionId)?.timeoutMs ?? 5_000;
    this.metrics.spilled.inc();
    await this.writer.forward(retryTierFor(waitMs).spec, e.delivery, Date.now() + waitMs, e.trace);
    e.finish();
  }
}
