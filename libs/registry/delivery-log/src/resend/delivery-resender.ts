import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DeliveryContract, Topics, type Delivery, type DeliveryOutcome } from '@herald/contracts';
import { HeraldProducer } from '@herald/platform/kafka';
import { framingOf } from '@herald/payload-formats';
import { RecordDeliveryOutcomes } from '../record-delivery-outcomes';
import { queuedOutcomeOf } from '../queued-outcome';
import type { HookRef } from '../hook-directory';

/** What a re-sent delivery is made of: the original's event and body. */
export interface ResendSource {
  eventId: string;
  eventType: string;
  resourceType: string;
  resourceId: string;
  projectId?: string | null;
  occurredAt: string;
  body: string;
  /** As the original was sent (a dead letter has them); else they follow from the hook's format. */
  contentType?: string;
  headers?: Record<string, string>;
}

/** `event`: a first delivery the registry makes itself (operational events). */
export type ResendOrigin = 'event' | 'redeliver' | 'replay' | 'redrive';

/**
 * Sends deliveries again as NEW deliveries (new delivery id, attempt 1, same event id, so the
 * receiver sees the same `webhook-id` and can de-duplicate), produced to `herald.deliveries.v1`,
 * and logs each as Queued with its body and origin. The original's log entry is left as it ended.
 */
@Injectable()
export class DeliveryResender {
  constructor(
    private readonly producer: HeraldProducer,
    private readonly record: RecordDeliveryOutcomes,
  ) {}

  async resend(
    hook: HookRef,
    sources: readonly ResendSource[],
    origin: ResendOrigin,
    now = new Date(),
  ): Promise<Delivery[]> {
    if (sources.length === 0) return [];
    const at = now.toISOString();
    const deliveries: Delivery[] = sources.map((s) => {
      const framing = s.contentType === undefined ? framingOf(hook.payloadFormat, s.body) : null;
      return {
        deliveryId: randomUUID(),
        eventId: s.eventId,
        subscriptionId: hook.id,
        subscriptionVersion: hook.version,
        tenantId: hook.tenantId,
        eventType: s.eventType,
        resourceType: s.resourceType,
        resourceId: s.resourceId,
        projectId: s.projectId ?? null,
        occurredAt: s.occurredAt,
        routedAt: at,
        attempt: 1,
        firstAttemptAt: null,
        body: s.body,
        contentType: framing?.contentType ?? s.contentType ?? 'application/json',
        headers: framing?.headers ?? s.headers ?? {},
        origin,
      };
    });
    // Produce first: a logged "queued" that never reached Kafka would stay queued forever,
    // while a produced delivery whose log write failed is still logged by its attempt outcomes.
    await this.producer.send(DeliveryContract, Topics.Deliveries, deliveries);
    // Logged here too (the registry's deliveries consumer logs it again, idempotently), so the
    // answer to the request already finds it in the log.
    const queued: DeliveryOutcome[] = deliveries.map((d) => queuedOutcomeOf(d, at));
    await this.record.execute({ outcomes: queued, now });
    return deliveries;
  }
}
