import { Injectable } from '@nestjs/common';
import { DeliveryLogRepository } from '../delivery-log.repository';
import { assertResendable, HookDirectory } from '../hook-directory';
import { DeliveryResender } from '../resend/delivery-resender';

export interface ReplayDeliveriesCommand {
  tenantId: string;
  subscriptionId: string;
  since: Date;
}

export interface ReplayDeliveriesResult {
  /** Deliveries produced (one per event logged since `since`). */
  count: number;
}

const PAGE = 500;

/**
 * Re-sends every event this hook was sent since a time (as logged: at most the retention
 * window), oldest first, one new delivery per event (origin `replay`). Test deliveries and
 * deliveries whose body was never logged are left out.
 */
@Injectable()
export class ReplayDeliveries {
  constructor(
    private readonly log: DeliveryLogRepository,
    private readonly hooks: HookDirectory,
    private readonly resender: DeliveryResender,
  ) {}

  async execute(cmd: ReplayDeliveriesCommand): Promise<ReplayDeliveriesResult> {
    const hook = await this.hooks.find(cmd.tenantId, cmd.subscriptionId);
    assertResendable(hook, cmd.subscriptionId);
    // Everything replayed is logged after this moment, so the replay never picks up its own output.
    const until = new Date();
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const page = await this.log.resendableSince(cmd.tenantId, cmd.subscriptionId, cmd.since, {
        limit: PAGE,
        after,
      });
      const due = page.filter((d) => d.createdAt.getTime() < until.getTime());
      await this.resender.resend(
        hook,
        due.map((d) => ({
          eventId: d.eventId,
          eventType: d.eventType,
          resourceType: d.resourceType,
          resourceId: d.resourceId,
          occurredAt: (d.occurredAt ?? d.createdAt).toISOString(),
          body: d.body,
        })),
        'replay',
      );
      count += due.length;
      if (page.length < PAGE || due.length < page.length) return { count };
      after = page[page.length - 1].position;
    }
  }
}
