import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

/** One metric of a catalog: its kind, name, help and label names (a histogram's buckets too). */
export interface MetricSpec<K extends 'counter' | 'gauge' | 'histogram' = 'counter' | 'gauge' | 'histogram', L extends string = string> {
  kind: K;
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets?: readonly number[];
}

/**
 * A service's metrics declared as a table, one row each — `{ changes: metric.counter(name, help,
 * ['event_type']), … }` — made by `MetricsRegistry.define`, typed by their labels.
 */
export const metric = {
  counter: <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): MetricSpec<'counter', L> => ({
    kind: 'counter',
    name,
    help,
    labelNames,
  }),
  gauge: <L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): MetricSpec<'gauge', L> => ({
    kind: 'gauge',
    name,
    help,
    labelNames,
  }),
  histogram: <L extends string = string>(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly L[] = [],
  ): MetricSpec<'histogram', L> => ({ kind: 'histogram', name, help, labelNames, buckets }),
};

/** The metrics `MetricsRegistry.define` makes of a catalog. */
export type MetricsOf<C extends Record<string, MetricSpec>> = {
  readonly [K in keyof C]: C[K] extends MetricSpec<'counter', infer L>
    ? Counter<L>
    : C[K] extends MetricSpec<'gauge', infer L>
      ? Gauge<L>
      : C[K] extends MetricSpec<'histogram', infer L>
        ? Histogram<L>
        : never;
};

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

  /** Every metric of a catalog (see `metric`), under the catalog's keys. */
  define<C extends Record<string, MetricSpec>>(catalog: C): MetricsOf<C> {
    const made = Object.entries(catalog).map(([key, spec]) => {
      const cfg = { name: spec.name, help: spec.help, labelNames: spec.labelNames };
      if (spec.kind === 'counter') return [key, this.counter(cfg)];
      if (spec.kind === 'gauge') return [key, this.gauge(cfg)];
      return [key, this.histogram({ ...cfg, ...(spec.buckets ? { buckets: [...spec.buckets] } : {}) })];
    });
    return Object.fromEntries(made) as MetricsOf<C>;
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
