/**
 * Serialised runs of one job where a call made while a run is in progress joins the NEXT run
 * (which starts after the current one, so it sees the caller's just-committed rows), and calls
 * made while that next run waits share it. This is how the snapshot publishers of the compacted
 * topics (principals, subscriptions) drain their dirty rows: never two drains at once, never a
 * caller whose change is missed, never a queue of redundant drains.
 */
export class CoalescingRun<T> {
  private tail: Promise<unknown> = Promise.resolve();
  private queued: Promise<T> | null = null;

  constructor(private readonly job: () => Promise<T>) {}

  run(): Promise<T> {
    if (this.queued) return this.queued;
    const next = this.tail
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.job();
      });
    this.queued = next;
    this.tail = next;
    return next;
  }
}
