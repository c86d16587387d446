import { Injectable } from '@nestjs/common';
import { DeliveryLogRepository } from '../delivery-log.repository';
import type { DeliveryPage, DeliverySearchFilter } from '../delivery-log.types';

export interface SearchDeliveriesCommand {
  tenantId: string;
  subscriptionId: string;
  filter: DeliverySearchFilter;
  /** 1..1000. */
  limit: number;
  cursor?: string | null;
  /** Rows to skip first (a numbered page; without a cursor). */
  offset?: number;
}

export const MAX_DELIVERY_PAGE = 1000;

/**
 * One hook's delivery history, newest first, filtered and paginated by keyset cursor. The
 * native API and the Procore dialect (`filter[status]`, `filter[resource_name]`…) both map onto it.
 */
@Injectable()
export class SearchDeliveries {
  constructor(private readonly log: DeliveryLogRepository) {}

  execute(cmd: SearchDeliveriesCommand): Promise<DeliveryPage> {
    const limit = Math.min(Math.max(1, Math.floor(cmd.limit)), MAX_DELIVERY_PAGE);
    return this.log.search(cmd.tenantId, cmd.subscriptionId, cmd.filter, {
      limit,
      cursor: cmd.cursor,
      offset: cmd.offset,
    });
  }
}
