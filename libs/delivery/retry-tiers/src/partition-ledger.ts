/**
 * Kafka's default `offset.metadata.max.bytes` is 4096: the finished-offsets record stays under
 * it (what does not fit is left out, and simply handed out again after a crash).
 */
export const MAX_COMMIT_METADATA = 4000;
const METADATA_PREFIX = 'herald-done:1:';

/**
 * What a consumer may commit on one partition when messages finish out of order: the lowest
 * offset not yet finished (or one past the highest seen when all are). Messages are added in
 * offset order; `finish` may come in any order.
 *
 * The offsets already finished above that point go into the commit's metadata
 * (`encodeFinished`): after a crash or a rebalance the partition's next owner reads them back
 * (`decodeFinished`) and gives them to `PartitionLedger` as `done`, so it does not redo them —
 * one slow message (an ordered hook's head, a hanging receiver) no longer means re-sending
 * everything finished behind it.
 */
export class PartitionLedger {
  /** Unfinished offsets in arrival (= offset) order; finished ones are dropped from the front lazily. */
  private readonly queue: bigint[] = [];
  private readonly finished = new Set<bigint>();
  private highestSeen: bigint | null = null;
  private committed: { offset: bigint; metadata: string } | null = null;
  private readonly done: Set<bigint>;
  /** Bytes of the unfinished messages handed out (`hold`, `release`): the consumer's byte bound. */
  private held = 0;

  /** `done`: offsets a previous owner finished above the committed offset (from its commit's metadata). */
  constructor(done: Iterable<bigint> = []) {
    this.done = new Set(done);
  }

  /** False when this offset was seen already (a refetch after a rebalance or a resume): skip it. */
  add(offset: string): boolean {
    const o = BigInt(offset);
    if (this.highestSeen !== null && o <= this.highestSeen) return false;
    this.highestSeen = o;
    this.queue.push(o);
    return true;
  }

  /**
   * True when a previous owner finished this offset: it is now seen and finished, and the
   * caller must not hand it out. False for any other offset (nothing changes).
   */
  skipIfDone(offset: string): boolean {
    const o = BigInt(offset);
    if (!this.done.delete(o)) return false;
    if (this.add(offset)) this.finish(offset);
    return true;
  }

  finish(offset: string): void {
    const o = BigInt(offset);
    if (this.queue.length === 0) return;
    if (this.queue[0] === o) {
      this.queue.shift();
      while (this.queue.length > 0 && this.finished.delete(this.queue[0])) this.queue.shift();
    } else {
      this.finished.add(o);
    }
  }

  get pending(): number {
    return this.queue.length - this.finished.size;
  }

  /** Counts a message's bytes as held until `release` (when it is finished). */
  hold(bytes: number): void {
    this.held += bytes;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  /** Bytes of the unfinished messages of this partition (keys and values). */
  get pendingBytes(): number {
    return this.held;
  }

  /**
   * The next commit — the offset (Kafka commits "the next one to read") and the finished
   * offsets above it as metadata — or null when neither changed since the last one.
   */
  nextCommit(maxMetadata = MAX_COMMIT_METADATA): { offset: string; metadata: string } | null {
    if (this.highestSeen === null) return null;
    const next = this.queue.length > 0 ? this.queue[0] : this.highestSeen + 1n;
    if (this.committed !== null && next < this.committed.offset) return null;
    const above = [...this.finished].filter((o) => o > next);
    // Offsets a previous owner finished that were not fetched again yet are still finished.
    for (const o of this.done) if (o > next) above.push(o);
    const metadata = encodeFinished(next, above, maxMetadata);
    if (this.committed !== null && next === this.committed.offset && metadata === this.committed.metadata) return null;
    return { offset: next.toString(), metadata };
  }

  /** The offset alone (tests, logs). */
  commitCandidate(): string | null {
    return this.nextCommit()?.offset ?? null;
  }

  markCommitted(offset: string, metadata = ''): void {
    const o = BigInt(offset);
    if (this.committed === null || o >= this.committed.offset) this.committed = { offset: o, metadata };
  }
}

/**
 * Finished offsets above `base` as runs, `herald-done:1:<gap>.<length>,…` in base 36, each gap
 * counted from the end of the previous run (from `base` for the first). At most `maxLength`
 * characters: runs that do not fit are left out (those offsets are handed out again).
 */
export function encodeFinished(base: bigint, finished: Iterable<bigint>, maxLength = MAX_COMMIT_METADATA): string {
  const sorted = [...new Set(finished)].filter((o) => o >= base).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) return '';
  let out = METADATA_PREFIX;
  let cursor = base;
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i];
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1n) end = sorted[++i];
    i++;
    const run = `${out === METADATA_PREFIX ? '' : ','}${(start - cursor).toString(36)}.${(end - start + 1n).toString(36)}`;
    if (out.length + run.length > maxLength) break;
    out += run;
    cursor = end + 1n;
  }
  return out === METADATA_PREFIX ? '' : out;
}

/** The offsets `encodeFinished` recorded above `base`; anything unreadable is an empty set (nothing skipped). */
export function decodeFinished(base: bigint, metadata: string | null | undefined): Set<bigint> {
  const done = new Set<bigint>();
  if (!metadata || !metadata.startsWith(METADATA_PREFIX)) return done;
  let cursor = base;
  for (const run of metadata.slice(METADATA_PREFIX.length).split(',')) {
    const m = /^([0-9a-z]+)\.([0-9a-z]+)$/.exec(run);
    if (!m) return new Set();
    const start = cursor + BigInt(parseInt(m[1], 36));
    const length = BigInt(parseInt(m[2], 36));
    if (length < 1n || length > 1_000_000n) return new Set();
    for (let o = start; o < start + length; o++) done.add(o);
    cursor = start + length;
  }
  return done;
}
