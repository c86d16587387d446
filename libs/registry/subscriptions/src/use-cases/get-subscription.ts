import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionNotFoundError } from '../model/errors';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';

export interface GetSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
  /** Header values as given, not redacted (see `ViewOptions`). */
  revealHeaders?: boolean;
}

@Injectable()
export class GetSubscription {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
  ) {}

  async execute(c: GetSubscriptionCommand): Promise<SubscriptionView> {
    const s = await new SubscriptionRepository(this.ds.manager).find(c.tenantId, c.subscription);
    if (!s) throw new SubscriptionNotFoundError(describeRef(c.subscription));
    return toView(s, this.secrets, new Date(), { revealHeaders: c.revealHeaders });
  }
}
