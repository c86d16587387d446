import { Injectable } from '@nestjs/common';
import { toView, type SubscriptionView } from '../model/view';
import type { SubscriptionRef } from '../persistence/subscription.repository';
import { SubscriptionChange } from './subscription-change';

export interface DeleteSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
}

/** Deletes the subscription and publishes its tombstone. Resolves with what was deleted. */
@Injectable()
export class DeleteSubscription extends SubscriptionChange {
  async execute(c: DeleteSubscriptionCommand): Promise<SubscriptionView> {
    const deleted = await this.changeAndPublish(c.tenantId, c.subscription, async (current, repo) => {
      await repo.delete(c.tenantId, current.id, new Date());
      return current;
    });
    return toView(deleted, this.secrets);
  }
}
