import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { renderHeraldEvent, type OperationalEventPayload } from '@herald/payload-formats';
import { DeliveryResender } from '../resend/delivery-resender';
import { OperationalEventSink, SubscriptionEntity, type OperationalEvent } from '@herald/registry/subscriptions';

/**
 * Operational events go through the delivery pipeline like any delivery: one per operations hook
 * of the tenant that names the event type (never a `*` hook), produced to `herald.deliveries.v1`
 * and logged as queued, so the dispatcher signs, retries and dead-letters them as usual.
 */
@Injectable()
export class OperationalEventsToOperationsHooks extends OperationalEventSink {
  constructor(
    private readonly ds: DataSource,
    private readonly resender: DeliveryResender,
  ) {
    super();
  }

  async send(events: readonly OperationalEvent[]): Promise<void> {
    const byTenant = new Map<string, OperationalEvent[]>();
    for (const e of events) byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), e]);
    for (const [tenantId, tenantEvents] of byTenant) {
      const types = [...new Set(tenantEvents.map((e) => e.type))];
      const hooks = await this.ds.manager
        .createQueryBuilder(SubscriptionEntity, 's')
        .select(['s.id', 's.tenantId', 's.status', 's.version', 's.eventTypes', 's.payloadFormat'])
        .where('s.tenantId = :tenantId', { tenantId })
        .andWhere({ status: In(['active', 'active-with-failures']) })
        .andWhere('s.event_types && :types::text[]', { types })
        .getMany();
      for (const hook of hooks) {
        const mine = tenantEvents.filter((e) => hook.eventTypes.includes(e.type) && e.subscriptionId !== hook.id);
        if (mine.length === 0) continue;
        await this.resender.resend(
          { id: hook.id, tenantId: hook.tenantId, status: hook.status, version: hook.version, payloadFormat: hook.payloadFormat },
          mine.map((e) => {
            // In the hook's format: a CloudEvent (subject hook/<id>) for a CloudEvents hook, else this JSON.
            const rendered = renderHeraldEvent(
              hook.payloadFormat,
              { id: e.id, type: e.type, time: e.occurredAt, tenantId: e.tenantId, subject: `hook/${e.subscriptionId}` },
              {
                id: e.id,
                type: e.type,
                timestamp: e.occurredAt,
                tenantId: e.tenantId,
                resource: { type: 'hook', id: e.subscriptionId },
                data: e.data,
              } satisfies OperationalEventPayload,
            );
            return {
              eventId: e.id,
              eventType: e.type,
              resourceType: 'hook',
              resourceId: e.subscriptionId,
              occurredAt: e.occurredAt,
              ...rendered,
            };
          }),
          'event',
        );
      }
    }
  }
}
