import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionNotFoundError } from '../model/errors';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';

export interface DeleteSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
}

/** Deletes the subscription and publishes its tombstone. Resolves with what was deleted. */
@Injectable()
export class DeleteSubscription {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
    private readonly publisher: SnapshotPublisher,
  ) {}

  async execute(c: DeleteSubscriptionCommand): Promise<SubscriptionView> {
    const deleted = await this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      const current = await repo.find(c.tenantId, c.subscription, true);
      if (!current) throw new SubscriptionNotFoundError(describeRef(c.subscription));
      await repo.delete(c.tenantId, current.id, new Date());
      return current;
    });
    await this.publisher.publishAfterCommit();
    return toView(deleted, this.secrets);
  }
}
