/**
 * What a consumer may commit on one partition when messages finish out of order: the lowest
 * offset not yet finished (or one past the highest seen when all are). Messages are added in
 * offset order; `finish` may come in any order.
 */
export class PartitionLedger {
  /** Unfinished offsets in arrival (= offset) order; finished ones are dropped from the front lazily. */
  private readonly queue: bigint[] = [];
  private readonly finished = new Set<bigint>();
  private highestSeen: bigint | null = null;
  private committed: bigint | null = null;

  /** False when this offset was seen already (a refetch after a rebalance or a resume): skip it. */
  add(offset: string): boolean {
    const o = BigInt(offset);
    if (this.highestSeen !== null && o <= this.highestSeen) return false;
    this.highestSeen = o;
    this.queue.push(o);
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

  /** The next offset to commit (Kafka commits "the next one to read"), or null when nothing changed. */
  commitCandidate(): string | null {
    if (this.highestSeen === null) return null;
    const next = this.queue.length > 0 ? this.queue[0] : this.highestSeen + 1n;
    if (this.committed !== null && next <= this.committed) return null;
    return next.toString();
  }

  markCommitted(offset: string): void {
    const o = BigInt(offset);
    if (this.committed === null || o > this.committed) this.committed = o;
  }
}
