import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional, Inject } from '@nestjs/common';
import type { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsRegistry } from '@herald/platform/observability';
import { liveSigningSecrets } from '../model/signing-secret-rotation';
import { DeletedSubscriptionEntity, SubscriptionEntity } from '../persistence/subscription.entity';
import { SnapshotPublisher } from './snapshot-publisher';

export const REPUBLISH_INTERVAL_MS = Symbol('REPUBLISH_INTERVAL_MS');

/**
 * The safety net behind every use case's publish: on start-up and every few seconds it
 * publishes whatever is still pending (a crash or a Kafka outage between commit and publish),
 * and drops signing secrets whose 24 h grace ended, so the snapshot stops carrying them.
 */
@Injectable()
export class SnapshotRepublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SnapshotRepublisher');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;
  private lastExpiryScan = 0;
  private readonly pending?: Gauge;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: SnapshotPublisher,
    @Optional() @Inject(REPUBLISH_INTERVAL_MS) private readonly intervalMs = 3_000,
    @Optional() metrics?: MetricsRegistry,
  ) {
    this.pending = metrics?.gauge({
      name: 'herald_subscription_snapshots_pending',
      help: 'Subscription changes committed but not yet acknowledged by Kafka (snapshots + tombstones), after the last republish pass',
    });
  }

  onApplicationBootstrap(): void {
    const tick = () => {
      this.running = this.runOnce().finally(() => {
        this.timer = setTimeout(tick, this.intervalMs);
        this.timer.unref();
      });
    };
    tick();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: expire secrets, then publish everything pending. Never throws. */
  async runOnce(): Promise<void> {
    try {
      // The expiry scan reads every row's secrets: every tenth pass is soon enough for a 24 h grace.
      if (Date.now() - this.lastExpiryScan >= Math.min(60_000, this.intervalMs * 10)) {
        await this.expireSigningSecrets();
        this.lastExpiryScan = Date.now();
      }
      const n = await this.publisher.publishPending();
      if (n > 0) this.logger.log(`republished ${n} pending snapshot(s)/tombstone(s)`);
      await this.measurePending();
      if (this.failing) this.logger.log('publishing recovered');
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.logger.warn(`republish failed, will retry: ${(e as Error).message}`);
      this.failing = true;
      await this.measurePending().catch(() => undefined);
    }
  }

  private async measurePending(): Promise<void> {
    if (!this.pending) return;
    const snapshots = await this.ds.getRepository(SubscriptionEntity).createQueryBuilder('s').where('s.publishedVersion < s.version').getCount();
    const tombstones = await this.ds.getRepository(DeletedSubscriptionEntity).count();
    this.pending.set(snapshots + tombstones);
  }

  /** Drops expired previous signing secrets; each such row gets a new version (so a new snapshot). */
  async expireSigningSecrets(now = new Date()): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows = await m
        .createQueryBuilder(SubscriptionEntity, 's')
        .where(
          `EXISTS (SELECT 1 FROM jsonb_array_elements(s.signing_secrets) e
                   WHERE e->>'expiresAt' IS NOT NULL AND (e->>'expiresAt')::timestamptz <= :now)`,
          { now },
        )
        .limit(200)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      for (const s of rows) {
        await m.update(
          SubscriptionEntity,
          { id: s.id, tenantId: s.tenantId },
          { signingSecrets: liveSigningSecrets(s.signingSecrets, now), version: s.version + 1, updatedAt: now },
        );
      }
      return rows.length;
    });
  }
}
