import { Injectable } from '@nestjs/common';
import { DeliveryLogRepository } from '../delivery-log.repository';
import type { DeliveryRecord } from '../delivery-log.types';

export interface GetDeliveryCommand {
  tenantId: string;
  deliveryId: string;
}

/** One delivery with its body and every attempt; null when the tenant has no such delivery. */
@Injectable()
export class GetDelivery {
  constructor(private readonly log: DeliveryLogRepository) {}

  execute(cmd: GetDeliveryCommand): Promise<DeliveryRecord | null> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(cmd.deliveryId))
      return Promise.resolve(null);
    return this.log.get(cmd.tenantId, cmd.deliveryId);
  }
}
