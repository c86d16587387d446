import type { DeliveryStatus } from '@herald/contracts';

export type DeliveryOrigin = 'event' | 'test' | 'redeliver' | 'replay' | 'redrive';

/** One row of a hook's delivery history, as the list shows it (no body). */
export interface DeliverySummary {
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
  tenantId: string;
  eventType: string;
  resourceType: string;
  resourceId: string;
  status: DeliveryStatus;
  origin: DeliveryOrigin;
  attempts: number;
  lastAttemptAt: Date | null;
  lastHttpStatus: number | null;
  lastErrorClass: string | null;
  nextAttemptAt: Date | null;
  occurredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryAttemptRecord {
  attempt: number;
  status: DeliveryStatus;
  at: Date;
  httpStatus: number | null;
  durationMs: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  responseExcerpt: string | null;
  nextAttemptAt: Date | null;
}

/** One delivery with what was sent and every attempt. */
export interface DeliveryRecord extends DeliverySummary {
  body: string | null;
  attemptLog: DeliveryAttemptRecord[];
}

export interface DeliverySearchFilter {
  statuses?: readonly DeliveryStatus[];
  /** The resource name is the core resource type (`task`, `project`…); dialects map theirs onto it. */
  resourceType?: string;
  resourceId?: string;
  eventTypes?: readonly string[];
  origins?: readonly DeliveryOrigin[];
  /** Inclusive lower bound on when the delivery was logged. */
  from?: Date;
  /** Exclusive upper bound on when the delivery was logged. */
  to?: Date;
}

export interface DeliveryPage {
  items: DeliverySummary[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
