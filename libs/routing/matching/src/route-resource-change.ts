import { createHash } from 'node:crypto';
import {
  eventTypeOf,
  type Delivery,
  type DeliveryOutcome,
  type RenderedPayload,
  type ResourceChange,
  type SubscriptionSnapshot,
} from '@herald/contracts';
import type { PayloadRendererRegistry } from '@herald/routing/rendering';
import { measureDelivery, type DeliverySizeCap } from './delivery-size';
import type { SubscriptionMatcher } from './subscription-index';

export interface RouteResourceChangeCommand {
  change: ResourceChange;
  routedAt?: Date;
}

/** One (change × subscription) that produces a delivery. */
export interface RoutedDelivery {
  subscription: SubscriptionSnapshot;
  delivery: Delivery;
  /**
   * The delivery's `queued` outcome (the base of a `failed` one when it is too large). The router
   * does not produce it: the registry logs Queued from the delivery message itself.
   */
  queued: DeliveryOutcome;
  /** Rendered thin (`renderThin`): the whole rendering was over the size cap. */
  thin?: boolean;
}

/**
 * One (change × subscription) whose delivery is over the size cap, and whose format cannot be
 * rendered thin (or whose thin rendering is still over it): dead-lettered with `reason`, and
 * logged as `failed` (`outcome`, without a body) so the hook's owner sees it.
 */
export interface TooLargeDelivery {
  subscription: SubscriptionSnapshot;
  bytes: number;
  reason: string;
  outcome: DeliveryOutcome;
}

/** One (change × subscription) that cannot be rendered: dead-lettered, the others still go. */
export interface RenderFailure {
  subscription: SubscriptionSnapshot;
  reason: string;
}

export interface RoutedChange {
  eventType: string;
  deliveries: RoutedDelivery[];
  /** Matched, but the subscription's format does not carry this change (renderer said null). */
  notInFormat: SubscriptionSnapshot[];
  failures: RenderFailure[];
  tooLarge: TooLargeDelivery[];
}

export interface RoutingOptions {
  /** Public base URL of the domain API, for resource URLs in payloads. */
  publicBaseUrl: string;
  /** How large a delivery may be (see `DeliverySizeCap`); none: not checked. */
  sizeCap?: DeliverySizeCap;
}

/**
 * Routes one resource change: finds the matching subscriptions, renders the payload in each
 * one's format, and builds one delivery (attempt 1) per match (with its `queued` outcome, see RoutedDelivery). It
 * produces nothing itself, so the consumer can send a whole batch's deliveries together.
 */
export class RouteResourceChange {
  constructor(
    private readonly subscriptions: SubscriptionMatcher,
    private readonly renderers: PayloadRendererRegistry,
    private readonly options: RoutingOptions,
  ) {}

  execute({ change, routedAt = new Date() }: RouteResourceChangeCommand): RoutedChange {
    const eventType = eventTypeOf(change);
    const routed: RoutedChange = { eventType, deliveries: [], notInFormat: [], failures: [], tooLarge: [] };
    const at = routedAt.toISOString();
    for (const sub of this.subscriptions.match(change)) {
      const deliveryId = deliveryIdOf(change.eventId, sub.id);
      const ctx = { eventType, deliveryId, routedAt, publicBaseUrl: this.options.publicBaseUrl };
      let rendered: RenderedPayload | null;
      try {
        rendered = this.renderers.render(change, sub, ctx);
      } catch (e) {
        routed.failures.push({ subscription: sub, reason: (e as Error).message || String(e) });
        continue;
      }
      if (rendered === null) {
        routed.notInFormat.push(sub);
        continue;
      }
      let routedDelivery = this.build(change, sub, deliveryId, eventType, at, rendered);
      const cap = this.options.sizeCap;
      if (cap) {
        const whole = measureDelivery(routedDelivery.delivery, routedDelivery.queued, cap);
        if (!whole.fits) {
          let thin: RenderedPayload | null = null;
          try {
            thin = this.renderers.renderThin(change, sub, ctx);
          } catch {
            thin = null;
          }
          const thinDelivery = thin && this.build(change, sub, deliveryId, eventType, at, thin);
          const thinSize = thinDelivery && measureDelivery(thinDelivery.delivery, thinDelivery.queued, cap);
          if (!thinDelivery || !thinSize?.fits) {
            const reason =
              `the delivery would be ${whole.bytes} bytes for the broker (${cap.compression === 'gzip' ? 'gzip-compressed' : 'uncompressed'}), ` +
              `over the ${cap.maxBytes}-byte cap (HERALD_ROUTER_MAX_DELIVERY_BYTES), and format ${sub.payloadFormat} ` +
              (thinDelivery ? `is still ${thinSize?.bytes} bytes thin` : 'cannot be rendered thin');
            routed.tooLarge.push({
              subscription: sub,
              bytes: whole.bytes,
              reason,
              outcome: {
                ...routedDelivery.queued,
                status: 'failed',
                body: null,
                errorClass: 'invalid',
                errorMessage: reason,
              },
            });
            continue;
          }
          routedDelivery = { ...thinDelivery, thin: true };
        }
      }
      routed.deliveries.push(routedDelivery);
    }
    return routed;
  }

  /** The delivery (attempt 1) and its `queued` outcome for one rendering. */
  private build(
    change: ResourceChange,
    sub: SubscriptionSnapshot,
    deliveryId: string,
    eventType: string,
    at: string,
    rendered: RenderedPayload,
  ): RoutedDelivery {
    const common = {
      deliveryId,
      eventId: change.eventId,
      subscriptionId: sub.id,
      tenantId: change.tenantId,
      eventType,
      resourceType: change.resourceType,
      resourceId: change.resourceId,
      occurredAt: change.occurredAt,
      origin: 'event' as const,
    };
    return {
      subscription: sub,
      delivery: {
        ...common,
        subscriptionVersion: sub.version,
        projectId: change.projectId ?? null,
        routedAt: at,
        attempt: 1,
        firstAttemptAt: null,
        body: rendered.body,
        contentType: rendered.contentType,
        headers: rendered.headers,
      },
      queued: { ...common, status: 'queued', attempt: 0, at, routedAt: at, body: rendered.body },
    };
  }
}

const DELIVERY_NAMESPACE = Buffer.from('5b0b3e8c2a4f4d0e9e1a7c4d2f6b8a10', 'hex');

/**
 * A name-based (v5) UUID of (event, subscription): the same change routed twice to the same
 * subscription (a redelivered batch after a crash, a DLQ redrive) yields the same delivery id,
 * so the log and the receiver see one delivery, not two.
 */
export function deliveryIdOf(eventId: string, subscriptionId: string): string {
  const hash = createHash('sha1')
    .update(DELIVERY_NAMESPACE)
    .update(`${eventId}\n${subscriptionId}`)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
