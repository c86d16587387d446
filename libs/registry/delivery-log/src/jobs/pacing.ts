/**
 * Keeps a job at or under `ratePerSec` deliveries per second: after each produce, waits until
 * the deliveries sent so far are due at that rate.
 */
export class Pacer {
  private startedAt: number | null = null;
  private count = 0;

  constructor(
    private readonly ratePerSec: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Call after producing `n` deliveries. */
  async sent(n: number): Promise<void> {
    this.startedAt ??= this.now();
    this.count += n;
    const dueAt = this.startedAt + (this.count / this.ratePerSec) * 1000;
    const wait = dueAt - this.now();
    if (wait > 0) await this.sleep(wait);
  }
}

/**
 * Splits items into produce requests of at most `maxCount` items and `maxBytes` of `size` each
 * (an item larger than `maxBytes` goes alone): a broker refuses a record batch over its
 * `max.message.bytes` (1 MB by default), and one hook's deliveries all land in one partition.
 */
export function chunked<T>(items: readonly T[], maxCount: number, maxBytes: number, size: (item: T) => number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const s = size(item);
    if (current.length && (current.length >= maxCount || bytes + s > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += s;
  }
  if (current.length) out.push(current);
  return out;
}
