import { Injectable } from '@nestjs/common';
import { toView, type SubscriptionView } from '../model/view';
import type { SubscriptionRef } from '../persistence/subscription.repository';
import { recordOperationalEvent } from '../operational/operational-events.outbox';
import { SubscriptionChange } from './subscription-change';

export interface DisableSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
  reason?: string;
}

/** Turns a hook off: its pending deliveries end as Discarded (the dispatcher reads the snapshot). */
@Injectable()
export class DisableSubscription extends SubscriptionChange {
  async execute(c: DisableSubscriptionCommand): Promise<SubscriptionView> {
    const saved = await this.changeAndPublish(c.tenantId, c.subscription, async (s, repo, m) => {
      if (s.status === 'disabled') return s;
      const now = new Date();
      const before = s.status;
      Object.assign(s, { status: 'disabled', statusReason: c.reason ?? 'disabled by user', statusChangedAt: now });
      const saved = await this.saveNext(repo, c.tenantId, s, now);
      await recordOperationalEvent(m, before, saved, now);
      return saved;
    });
    return toView(saved, this.secrets);
  }
}
