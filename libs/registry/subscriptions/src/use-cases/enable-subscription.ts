import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionNotFoundError } from '../model/errors';
import { EndpointProbe } from '../model/ports';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { recordOperationalEvent } from '../operational/operational-events.outbox';
import { assertEndpointVerified, bumped, resealed, targetOf } from './support';

export interface EnableSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
}

/**
 * Turns a disabled or auto-disabled hook on again, with a clean failure count. A hook with the
 * `status-ok` contract is verified first (200 + {"status":"OK"} within 5 s), else it stays off.
 */
@Injectable()
export class EnableSubscription {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
    private readonly publisher: SnapshotPublisher,
    private readonly probe: EndpointProbe,
  ) {}

  async execute(c: EnableSubscriptionCommand): Promise<SubscriptionView> {
    const before = await new SubscriptionRepository(this.ds.manager).find(c.tenantId, c.subscription);
    if (!before) throw new SubscriptionNotFoundError(describeRef(c.subscription));
    if (before.successContract === 'status-ok') await assertEndpointVerified(this.probe, targetOf(before, this.secrets));

    const saved = await this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      const s = await repo.find(c.tenantId, c.subscription, true);
      if (!s) throw new SubscriptionNotFoundError(describeRef(c.subscription));
      if (s.status === 'active') return s;
      const now = new Date();
      const before = s.status;
      Object.assign(s, { status: 'active', statusReason: 'enabled', statusChangedAt: now, consecutiveFailures: 0 });
      const saved = await repo.save(c.tenantId, resealed(bumped(s, now), this.secrets));
      await recordOperationalEvent(m, before, saved, now);
      return saved;
    });
    await this.publisher.publishAfterCommit();
    return toView(saved, this.secrets);
  }
}
