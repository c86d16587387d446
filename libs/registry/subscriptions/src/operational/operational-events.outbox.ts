import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Schemas } from '@herald/platform/db';
import type { OperationalEventType, SubscriptionStatus } from '@herald/contracts';
import { isOperationsHook, operationalEventOf, type OperationalEvent, type OperationalEventData } from '../model/operational-events';
import type { SubscriptionEntity } from '../persistence/subscription.entity';

const TABLE = `"${Schemas.registry}"."operational_events"`;

/**
 * Called inside the transaction that changed a hook's status: records the operational event
 * that change makes (if any), so it commits or rolls back with it. An operations hook's own
 * changes record nothing: its failures must not feed events back to itself (or to another
 * operations hook, which could then fail and feed them back).
 */
export async function recordOperationalEvent(
  m: EntityManager,
  before: SubscriptionStatus,
  s: SubscriptionEntity,
  now: Date,
): Promise<OperationalEventType | null> {
  const type = operationalEventOf(before, s.status);
  if (!type || isOperationsHook(s)) return null;
  const data: OperationalEventData = {
    hookId: s.id,
    url: s.url,
    dialect: s.dialect,
    status: s.status,
    previousStatus: before,
    reason: s.statusReason,
    statusChangedAt: s.statusChangedAt.toISOString(),
    consecutiveFailures: s.consecutiveFailures,
  };
  await m.query(
    `INSERT INTO ${TABLE} (id, tenant_id, subscription_id, type, data, occurred_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
    [randomUUID(), s.tenantId, s.id, type, JSON.stringify(data), now.toISOString()],
  );
  return type;
}

/** Where operational events go: the app sends them as deliveries to the tenant's operations hooks. */
export abstract class OperationalEventSink {
  abstract send(events: readonly OperationalEvent[]): Promise<void>;
}

/**
 * Drains `operational_events` to the sink every second: a batch is locked (`SKIP LOCKED`: replicas
 * share the work), sent, and marked published in one transaction, so a failed send is retried and
 * an event is sent at least once (receivers de-duplicate on `webhook-id`, the event's id).
 */
@Injectable()
export class OperationalEventsRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OperationalEventsRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  intervalMs = 1_000;

  constructor(
    private readonly ds: DataSource,
    private readonly sink: OperationalEventSink,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce().then(() => {
        if (this.stopped) return;
        this.timer = setTimeout(tick, this.intervalMs);
        this.timer.unref();
      });
    };
    tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One batch; never throws. Returns how many events were sent. */
  async runOnce(): Promise<number> {
    try {
      return await this.ds.transaction(async (m) => {
        const rows: { id: string; tenant_id: string; subscription_id: string; type: OperationalEventType; data: OperationalEventData; occurred_at: Date }[] =
          await m.query(
            `SELECT id::text AS id, tenant_id, subscription_id::text AS subscription_id, type, data, occurred_at
               FROM ${TABLE} WHERE published_at IS NULL ORDER BY occurred_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
          );
        if (rows.length === 0) return 0;
        await this.sink.send(
          rows.map((r) => ({
            id: r.id,
            tenantId: r.tenant_id,
            subscriptionId: r.subscription_id,
            type: r.type,
            occurredAt: r.occurred_at.toISOString(),
            data: r.data,
          })),
        );
        await m.query(`UPDATE ${TABLE} SET published_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
        return rows.length;
      });
    } catch (e) {
      this.logger.warn(`operational events not sent yet (retrying): ${(e as Error).message}`);
      return 0;
    }
  }
}
