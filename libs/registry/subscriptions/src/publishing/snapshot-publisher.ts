import { Injectable, Logger, Optional } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry } from '@herald/platform/observability';
import { DataSource, type EntityManager } from 'typeorm';
import { toSnapshot } from '../model/snapshot';
import { DeletedSubscriptionEntity, SubscriptionEntity } from '../persistence/subscription.entity';
import { SubscriptionSnapshotSink } from './snapshot-sink';
import { CoalescingRun } from '@herald/platform/kafka';

const BATCH = 200;

/**
 * Publishes every subscription whose `publishedVersion` lags its `version` (the full snapshot)
 * and every pending tombstone, then marks them published. Rows are read `FOR UPDATE SKIP LOCKED`
 * and stay locked until Kafka acknowledged, so two publishers (two replicas, or a use case and
 * the republisher) never publish an older version after a newer one, and a writer waits for the
 * publish in flight. A failed send leaves them pending: the next run retries.
 */
@Injectable()
export class SnapshotPublisher {
  private readonly logger = new Logger('SnapshotPublisher');
  private readonly pending = new CoalescingRun(() => this.drain());
  private readonly published?: Counter<'kind'>;

  constructor(
    private readonly ds: DataSource,
    private readonly sink: SubscriptionSnapshotSink,
    @Optional() metrics?: MetricsRegistry,
  ) {
    this.published = metrics?.counter({
      name: 'herald_subscription_snapshots_published_total',
      help: 'Subscription snapshots and tombstones acknowledged by Kafka on herald.subscriptions.v1',
      labelNames: ['kind'],
    });
  }

  /**
   * Publishes everything pending; resolves with how many messages went out. Runs are
   * serialised; a call made while one runs joins the next run, which starts after the caller's
   * commit.
   */
  publishPending(): Promise<number> {
    return this.pending.run();
  }

  /**
   * After a commit: publish now, so the caller's answer comes after Kafka has the snapshot (the
   * router routes against it from then on). A Kafka outage must neither fail the committed
   * change nor hold the request for the producer's whole retry budget: after `waitMs` the
   * request goes on and the publish finishes (or the republisher retries it) in the background.
   */
  async publishAfterCommit(waitMs = 5_000): Promise<void> {
    const publish = this.publishPending().then(
      () => 'published' as const,
      (e: unknown) => {
        this.logger.warn(`publish failed, the republisher will retry: ${(e as Error).message}`);
        return 'failed' as const;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'slow'>((resolve) => {
      timer = setTimeout(() => resolve('slow'), waitMs);
      timer.unref();
    });
    const outcome = await Promise.race([publish, waited]);
    if (timer) clearTimeout(timer);
    if (outcome === 'slow') this.logger.warn(`publish still running after ${waitMs} ms; answering now, it goes on in the background`);
  }

  private async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.ds.transaction((m) => this.publishSnapshots(m));
      total += sent;
      if (sent < BATCH) break;
    }
    for (;;) {
      const sent = await this.ds.transaction((m) => this.publishTombstones(m));
      total += sent;
      if (sent < BATCH) break;
    }
    return total;
  }

  private async publishSnapshots(m: EntityManager): Promise<number> {
    const rows = await m
      .createQueryBuilder(SubscriptionEntity, 's')
      .where('s.publishedVersion < s.version')
      .orderBy('s.updatedAt', 'ASC')
      .limit(BATCH)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    if (!rows.length) return 0;
    await this.sink.publish(rows.map(toSnapshot));
    this.published?.inc({ kind: 'snapshot' }, rows.length);
    await m
      .createQueryBuilder()
      .update(SubscriptionEntity)
      .set({ publishedVersion: () => 'version' })
      .where('id IN (:...ids)', { ids: rows.map((r) => r.id) })
      .execute();
    return rows.length;
  }

  private async publishTombstones(m: EntityManager): Promise<number> {
    const rows = await m
      .createQueryBuilder(DeletedSubscriptionEntity, 'd')
      .orderBy('d.deletedAt', 'ASC')
      .limit(BATCH)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    if (!rows.length) return 0;
    await this.sink.tombstone(rows.map((r) => r.id));
    this.published?.inc({ kind: 'tombstone' }, rows.length);
    await m.delete(DeletedSubscriptionEntity, rows.map((r) => r.id));
    return rows.length;
  }
}
