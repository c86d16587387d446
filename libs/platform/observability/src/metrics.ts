import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

/**
 * The service's Prometheus registry: default process metrics plus the service's own, all
 * named `herald_*` and labelled with `service`.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(cfg: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return this.existing(cfg.name) ?? new Counter({ ...cfg, registers: [this.registry] });
  }

  gauge<L extends string>(cfg: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return this.existing(cfg.name) ?? new Gauge({ ...cfg, registers: [this.registry] });
  }

  histogram<L extends string>(cfg: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return this.existing(cfg.name) ?? new Histogram({ ...cfg, registers: [this.registry] });
  }

  private existing<M>(name: string): M | undefined {
    return this.registry.getSingleMetric(name) as M | undefined;
  }
}

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
