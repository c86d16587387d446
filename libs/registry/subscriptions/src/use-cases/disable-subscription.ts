import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionNotFoundError } from '../model/errors';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { recordOperationalEvent } from '../operational/operational-events.outbox';
import { bumped, resealed } from './support';

export interface DisableSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
  reason?: string;
}

/** Turns a hook off: its pending deliveries end as Discarded (the dispatcher reads the snapshot). */
@Injectable()
export class DisableSubscription {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
    private readonly publisher: SnapshotPublisher,
  ) {}

  async execute(c: DisableSubscriptionCommand): Promise<SubscriptionView> {
    const saved = await this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      const s = await repo.find(c.tenantId, c.subscription, true);
      if (!s) throw new SubscriptionNotFoundError(describeRef(c.subscription));
      if (s.status === 'disabled') return s;
      const now = new Date();
      const before = s.status;
      Object.assign(s, { status: 'disabled', statusReason: c.reason ?? 'disabled by user', statusChangedAt: now });
      const read = s.version;
      const saved = await repo.save(c.tenantId, resealed(bumped(s, now), this.secrets), read);
      await recordOperationalEvent(m, before, saved, now);
      return saved;
    });
    await this.publisher.publishAfterCommit();
    return toView(saved, this.secrets);
  }
}
