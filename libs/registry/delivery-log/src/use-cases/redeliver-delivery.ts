import { Injectable } from '@nestjs/common';
import { DeliveryLogRepository } from '../delivery-log.repository';
import { assertResendable, HookDirectory, ResendRefusedError } from '../hook-directory';
import { DeliveryResender } from '../resend/delivery-resender';

export interface RedeliverDeliveryCommand {
  tenantId: string;
  deliveryId: string;
}

export interface RedeliverDeliveryResult {
  /** The new delivery's id (origin `redeliver`). */
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
}

/** Sends a logged delivery's body again, same event id, as a new delivery (origin `redeliver`). */
@Injectable()
export class RedeliverDelivery {
  constructor(
    private readonly log: DeliveryLogRepository,
    private readonly hooks: HookDirectory,
    private readonly resender: DeliveryResender,
  ) {}

  async execute(cmd: RedeliverDeliveryCommand): Promise<RedeliverDeliveryResult> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const original = uuid.test(cmd.deliveryId)
      ? await this.log.get(cmd.tenantId, cmd.deliveryId)
      : null;
    if (!original)
      throw new ResendRefusedError('delivery-not-found', `delivery ${cmd.deliveryId} not found`);
    if (original.body === null) {
      throw new ResendRefusedError(
        'no-body',
        `delivery ${cmd.deliveryId} has no logged body to send again`,
      );
    }
    const hook = await this.hooks.find(cmd.tenantId, original.subscriptionId);
    assertResendable(hook, original.subscriptionId);
    const [sent] = await this.resender.resend(
      hook,
      [
        {
          eventId: original.eventId,
          eventType: original.eventType,
          resourceType: original.resourceType,
          resourceId: original.resourceId,
          occurredAt: (original.occurredAt ?? original.createdAt).toISOString(),
          body: original.body,
        },
      ],
      'redeliver',
    );
    return {
      deliveryId: sent.deliveryId,
      eventId: sent.eventId,
      subscriptionId: sent.subscriptionId,
    };
  }
}
