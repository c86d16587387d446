import { Injectable } from '@nestjs/common';
import { DeliveryLogRepository } from '../delivery-log.repository';
import type { DeliveryRecord } from '../delivery-log.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface GetDeliveryCommand {
  tenantId: string;
  deliveryId: string;
}

/** One delivery with its body and every attempt; null when the tenant has no such delivery. */
@Injectable()
export class GetDelivery {
  constructor(private readonly log: DeliveryLogRepository) {}

  execute(cmd: GetDeliveryCommand): Promise<DeliveryRecord | null> {
    if (!UUID.test(cmd.deliveryId)) return Promise.resolve(null);
    return this.log.get(cmd.tenantId, cmd.deliveryId);
  }

  /** Several at once (a page's), in the order given, in two queries; ids the tenant has not are left out. */
  many(tenantId: string, deliveryIds: readonly string[]): Promise<DeliveryRecord[]> {
    return this.log.getMany(tenantId, deliveryIds.filter((id) => UUID.test(id)));
  }
}
