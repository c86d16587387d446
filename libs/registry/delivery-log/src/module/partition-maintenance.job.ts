import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '@herald/platform/observability';
import { DELIVERY_LOG_SETTINGS, type DeliveryLogSettings } from '../settings';
import { MaintainDeliveryLogPartitions } from '../partitions/maintain-delivery-log-partitions';

/**
 * Runs the delivery log's partition job at start-up and then every
 * `HERALD_DELIVERY_LOG_MAINTENANCE_INTERVAL_MS` (an hour): next days created ahead, days older
 * than `HERALD_DELIVERY_LOG_RETENTION_DAYS` dropped. A failed run is logged and retried at the
 * next tick (and the outcome writer runs it itself if it ever meets a missing partition).
 */
@Injectable()
export class PartitionMaintenanceJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PartitionMaintenanceJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly dropped: Counter;
  private readonly lastRun: Gauge;

  constructor(
    private readonly maintain: MaintainDeliveryLogPartitions,
    @Inject(DELIVERY_LOG_SETTINGS) private readonly settings: DeliveryLogSettings,
    metrics: MetricsRegistry,
  ) {
    this.dropped = metrics.counter({
      name: 'herald_delivery_log_partitions_dropped_total',
      help: 'Day partitions of the delivery log dropped for being older than the retention',
    });
    this.lastRun = metrics.gauge({
      name: 'herald_delivery_log_maintenance_last_success_timestamp_seconds',
      help: 'When the delivery log partition job last succeeded (unix seconds)',
    });
  }

  onApplicationBootstrap(): void {
    this.running = this.runOnce();
    this.timer = setInterval(() => {
      this.running = this.runOnce();
    }, this.settings.maintenanceIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async runOnce(): Promise<void> {
    try {
      const { created, dropped } = await this.maintain.execute({ now: new Date() });
      if (created.length || dropped.length) {
        this.logger.log(
          `delivery log partitions: created ${created.length}, dropped ${dropped.length} (${dropped.join(', ') || 'none'})`,
        );
      }
      this.dropped.inc(dropped.length);
      this.lastRun.set(Date.now() / 1000);
    } catch (e) {
      this.logger.error(`delivery log partition job failed: ${(e as Error).message}`);
    }
  }
}
