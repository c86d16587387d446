import { Injectable } from '@nestjs/common';
import { isKnownEventType, type DeliveryStatus } from '@herald/contracts';
import { DELIVERY_STATUS_FILTERS, PROCORE_RESOURCES, coreEventTypesOf, parseEventType, resourceByName, type DeliverySource } from '@herald/dialects/procore';
import type { AuthenticatedPrincipal } from '@herald/registry/principals';
import { GetDelivery, SearchDeliveries, type DeliverySearchFilter } from '@herald/registry/delivery-log';
import { ProcoreHttpError } from './procore-errors';
import { ProcoreHooks, type ProcoreScope } from './procore-hooks';
import type { DeliveryQuery } from './procore-query';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A Procore hook's deliveries: the core delivery log, filtered and paged as Procore does. */
@Injectable()
export class ProcoreDeliveries {
  constructor(
    private readonly hooks: ProcoreHooks,
    private readonly searchDeliveries: SearchDeliveries,
    private readonly getDelivery: GetDelivery,
  ) {}

  /** One page of a hook's deliveries (newest first), with bodies and attempts. */
  async page(p: AuthenticatedPrincipal, scope: ProcoreScope, hookId: string, q: DeliveryQuery): Promise<{ items: DeliverySource[]; hasMore: boolean }> {
    const s = await this.hooks.get(p, scope, hookId);
    const filter = filterOf(q);
    // Pages are numbered: the page's rows in one query (an offset), then their bodies and attempts
    // in two — never one query per page before it, nor per delivery.
    const r = await this.searchDeliveries.execute({ tenantId: p.tenantId, subscriptionId: s.id, filter, limit: q.perPage, offset: (q.page - 1) * q.perPage });
    const items = await this.getDelivery.many(p.tenantId, r.items.map((d) => d.deliveryId));
    return { items, hasMore: r.nextCursor !== null };
  }
}

/** Procore's `filter[...]` as a delivery-log filter, or its 400 naming each bad filter. */
export function filterOf(q: DeliveryQuery): DeliverySearchFilter {
  const filter: DeliverySearchFilter = { origins: ['event', 'redeliver', 'replay', 'redrive'] };
  const errors: Record<string, string[]> = {};
  if (q.statuses) {
    // Own keys only: 'constructor' or '__proto__' must not find Object.prototype's.
    const statuses = Object.hasOwn(DELIVERY_STATUS_FILTERS, q.statuses) ? DELIVERY_STATUS_FILTERS[q.statuses] : undefined;
    if (!statuses) errors['filter[status]'] = ['must be one of succeeded, failed, discarded, enqueued, retrying'];
    else if (statuses.length) filter.statuses = statuses as DeliveryStatus[];
  }
  const resource = q.resourceName ? resourceByName(q.resourceName) : undefined;
  if (q.resourceName && !resource) errors['filter[resource_name]'] = [`unknown resource "${q.resourceName}"`];
  if (resource) filter.resourceType = resource.resourceType;
  if (q.eventType) {
    const eventType = parseEventType(q.eventType);
    if (!eventType) errors['filter[event_type]'] = ['must be one of create, update, delete'];
    else filter.eventTypes = (resource ? [resource] : PROCORE_RESOURCES).flatMap((r) => coreEventTypesOf(r, eventType, isKnownEventType));
  }
  const day = (value: string, name: string, plusDays: number) => {
    if (!DATE.test(value) || Number.isNaN(Date.parse(value))) errors[name] = ['must be a date, yyyy-mm-dd'];
    else return new Date(Date.parse(`${value}T00:00:00Z`) + plusDays * 86_400_000);
    return undefined;
  };
  if (q.start) filter.from = day(q.start, 'filter[start]', 0);
  if (q.end) filter.to = day(q.end, 'filter[end]', 1);
  if (Object.keys(errors).length) throw ProcoreHttpError.validation(errors);
  return filter;
}
