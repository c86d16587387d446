import { Logger, type LoggerService } from '@nestjs/common';
import { Client } from 'pg';
import type { Gauge } from 'prom-client';
import type { MetricsRegistry } from '@herald/platform/observability';
import { OUTBOX_TABLE } from './outbox.constants';

/**
 * Samples the outbox's size and the age of its oldest row every few seconds, on every replica
 * (active or standby): a growing backlog is the alert that the relay is stuck.
 */
export class OutboxBacklogSampler {
  private readonly rowsGauge: Gauge;
  private readonly ageGauge: Gauge;
  private readonly logger: LoggerService;
  private timer?: NodeJS.Timeout;
  private client?: Client;
  private sampling = false;

  constructor(
    private readonly databaseUrl: string,
    metrics: MetricsRegistry,
    private readonly intervalMs = 5_000,
    logger?: LoggerService,
  ) {
    this.logger = logger ?? new Logger('OutboxBacklog');
    this.rowsGauge = metrics.gauge({ name: 'herald_outbox_backlog_rows', help: 'Outbox rows committed but not yet acknowledged by Kafka' });
    this.ageGauge = metrics.gauge({
      name: 'herald_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when the backlog is empty)',
    });
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
    void this.sample();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** One sample; also used by tests and the benchmark. */
  async sample(): Promise<{ rows: number; oldestAgeSeconds: number } | undefined> {
    if (this.sampling) return undefined;
    this.sampling = true;
    try {
      if (!this.client) {
        const c = new Client({ connectionString: this.databaseUrl, application_name: 'herald-outbox-sampler' });
        c.on('error', () => {
          if (this.client === c) this.client = undefined;
        });
        await c.connect();
        this.client = c;
      }
      const r = await this.client.query<{ rows: string; age: string | null }>(
        `SELECT count(*) AS rows, extract(epoch FROM clock_timestamp() - min(created_at)) AS age FROM ${OUTBOX_TABLE}`,
      );
      const rows = Number(r.rows[0]?.rows ?? 0);
      const oldestAgeSeconds = Math.max(0, Number(r.rows[0]?.age ?? 0));
      this.rowsGauge.set(rows);
      this.ageGauge.set(oldestAgeSeconds);
      return { rows, oldestAgeSeconds };
    } catch (e) {
      this.logger.debug?.(`outbox backlog sample failed: ${e instanceof Error ? e.message : String(e)}`);
      const c = this.client;
      this.client = undefined;
      await c?.end().catch(() => undefined);
      return undefined;
    } finally {
      this.sampling = false;
    }
  }
}
