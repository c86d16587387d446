import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionVersionConflictError } from '../model/errors';
import { EndpointProbe } from '../model/ports';
import { toView, type SubscriptionView } from '../model/view';
import type { SubscriptionEntity } from '../persistence/subscription.entity';
import type { SubscriptionRef } from '../persistence/subscription.repository';
import { retryOnVersionConflict } from './optimistic';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { recordOperationalEvent } from '../operational/operational-events.outbox';
import { SubscriptionChange } from './subscription-change';
import { assertEndpointVerified, targetOf } from './support';

export interface EnableSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
}

/**
 * Turns a disabled or auto-disabled hook on again, with a clean failure count. A hook with the
 * `status-ok` contract is verified first (200 + {"status":"OK"} within 5 s), else it stays off.
 */
@Injectable()
export class EnableSubscription extends SubscriptionChange {
  constructor(
    ds: DataSource,
    secrets: SubscriptionSecrets,
    publisher: SnapshotPublisher,
    private readonly probe: EndpointProbe,
  ) {
    super(ds, secrets, publisher);
  }

  async execute(c: EnableSubscriptionCommand): Promise<SubscriptionView> {
    // A change while the receiver was being checked (its URL, its contract…) means the check was
    // of something else: check again, a few times, then it is a conflict.
    const saved = await retryOnVersionConflict(() => this.once(c), 3);
    await this.publisher.publishAfterCommit();
    return toView(saved, this.secrets);
  }

  private async once(c: EnableSubscriptionCommand): Promise<SubscriptionEntity> {
    const checked = await this.current(c.tenantId, c.subscription);
    const verify = checked.successContract === 'status-ok' && checked.status !== 'active';
    if (verify) await assertEndpointVerified(this.probe, targetOf(checked, this.secrets));

    return this.inLockedRow(c.tenantId, c.subscription, async (s, repo, m) => {
      if (verify && s.version !== checked.version) throw new SubscriptionVersionConflictError(s.id, checked.version);
      if (s.status === 'active') return s;
      if (s.successContract === 'status-ok' && !verify) throw new SubscriptionVersionConflictError(s.id, checked.version);
      const now = new Date();
      const before = s.status;
      Object.assign(s, { status: 'active', statusReason: 'enabled', statusChangedAt: now, consecutiveFailures: 0 });
      const saved = await this.saveNext(repo, c.tenantId, s, now);
      await recordOperationalEvent(m, before, saved, now);
      return saved;
    });
  }
}
