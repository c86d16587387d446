import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SUBSCRIPTION_STATUSES } from '@herald/contracts';
import { MetricsRegistry } from '@herald/platform/observability';
import { SubscriptionEntity } from '@herald/registry/subscriptions';

/** `herald_hooks{status}`: subscriptions by status, counted when Prometheus scrapes. */
@Injectable()
export class HookStatusGauge implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics: MetricsRegistry,
  ) {}

  onModuleInit(): void {
    const ds = this.ds;
    this.metrics.gauge({
      name: 'herald_hooks',
      help: 'Webhook subscriptions by status',
      labelNames: ['status'],
      async collect() {
        const rows: { status: string; n: string }[] = await ds.manager
          .createQueryBuilder(SubscriptionEntity, 's')
          .select('s.status', 'status')
          .addSelect('count(*)', 'n')
          .groupBy('s.status')
          .getRawMany();
        const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
        for (const status of SUBSCRIPTION_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
  }
}
