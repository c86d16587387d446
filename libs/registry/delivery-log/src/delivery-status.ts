import type { DeliveryStatus } from '@herald/contracts';

/**
 * A delivery's status only moves forward: queued < retrying < delivered | failed | discarded.
 * Among the final ones the first logged wins, so a duplicate or late outcome never rewrites
 * how a delivery ended.
 */
export const STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = {
  queued: 0,
  retrying: 1,
  delivered: 2,
  failed: 2,
  discarded: 2,
};

export const FINAL_RANK = 2;

export function isFinal(status: DeliveryStatus): boolean {
  return STATUS_RANK[status] === FINAL_RANK;
}
