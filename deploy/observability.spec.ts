/**
 * Dashboards, alert rules, the Prometheus/Grafana/OTel configs and the autoscaler metric agree
 * with deploy/metrics-contract.json (no panel or alert on a metric, label or label value the
 * services do not export) and with each other; every alert has a runbook section.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readPromQL, regexAlternatives } from './promql';
import { SERVICES, SERVICE_PORTS as PORTS } from './services';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
// k8s/tools/first-tenant.ts reads docs/operations.md (by path: another Nx project).
const { operationsAnchors } = require(join(ROOT, 'k8s', 'tools', 'first-tenant')) as { operationsAnchors: () => string[] };

interface ContractMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  services: string[];
  labels: string[];
  labelValues?: Record<string, string[]>;
  help: string;
}
const contract = JSON.parse(read('deploy/metrics-contract.json')) as { metrics: ContractMetric[] };
/** The default of the runbook URL setting (k8s: herald-settings' runbookBaseUrl). */
const DEFAULT_RUNBOOK_BASE = (
  parse(read('k8s/base/monitoring/settings.yaml')) as { data: { runbookBaseUrl: string } }
).data.runbookBaseUrl;
/** Labels every series may carry besides its own: ours (`service`) and the scrape's. */
const COMMON_LABELS = ['service', 'job', 'instance', 'namespace', 'pod'];

/** The contract metric a series name belongs to (histograms: _bucket, _sum, _count). */
function contractMetricOf(series: string): ContractMetric | undefined {
  for (const m of contract.metrics) {
    if (m.name === series) return m;
    if (
      m.type === 'histogram' &&
      [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`].includes(series)
    )
      return m;
  }
  return undefined;
}

/** Problems with one PromQL expression against the contract; [] when it only uses what exists. */
function contractProblems(where: string, expr: string): string[] {
  const problems: string[] = [];
  const { metrics, matchers, groupingLabels } = readPromQL(expr);
  if (metrics.length === 0) problems.push(`${where}: selects no metric`);
  const used = metrics.map((series) => ({ series, metric: contractMetricOf(series) }));
  for (const { series, metric } of used)
    if (!metric) problems.push(`${where}: ${series} is not in the metrics contract`);
  const known = used.filter((u) => u.metric).map((u) => u.metric!);
  const allowedLabels = new Set([
    ...COMMON_LABELS,
    ...known.flatMap((m) => m.labels),
    ...(known.some((m) => m.type === 'histogram') ? ['le'] : []),
  ]);
  for (const label of [...matchers.map((m) => m.label), ...groupingLabels]) {
    if (!allowedLabels.has(label))
      problems.push(
        `${where}: label ${label} is not a label of ${known.map((m) => m.name).join(', ')}`,
      );
  }
  for (const m of matchers) {
    const values = known.map((k) => k.labelValues?.[m.label]).find(Boolean);
    if (!values) continue;
    const wanted = m.op.endsWith('~') ? regexAlternatives(m.value) : [m.value];
    for (const v of wanted ?? [])
      if (!values.includes(v))
        problems.push(
          `${where}: ${m.label}="${v}" is not a value the contract lists (${values.join(', ')})`,
        );
  }
  return problems;
}

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook_url: string };
}
const alertRules = (
  parse(read('deploy/prometheus/alerts.yml')) as {
    groups: Array<{ name: string; rules: AlertRule[] }>;
  }
).groups.flatMap((g) => g.rules);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ refId: string; expr: string }>;
}
const dashboards = readdirSync(join(ROOT, 'deploy/grafana/dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({
    file: f,
    json: JSON.parse(read(`deploy/grafana/dashboards/${f}`)) as {
      uid: string;
      title: string;
      panels: Panel[];
    },
  }));

describe('metrics contract', () => {
  it('lists each metric once, named herald_* (or a default/Prometheus metric), with a type, labels and help', () => {
    const names = contract.metrics.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of contract.metrics) {
      // herald_*, Node's defaults, `up`, and OpenTelemetry semantic-convention names.
      expect(m.name).toMatch(
        /^(herald_[a-z0-9_]+|process_[a-z_]+|nodejs_[a-z0-9_]+|up|http_server_request_duration_seconds)$/,
      );
      expect(['counter', 'gauge', 'histogram']).toContain(m.type);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
      if (m.type === 'histogram') expect(m.name).toMatch(/_seconds$/);
      for (const s of m.services) expect(SERVICES).toContain(s);
      for (const label of Object.keys(m.labelValues ?? {})) expect(m.labels).toContain(label);
      expect(m.help.length).toBeGreaterThan(10);
    }
    const required = [
      'herald_deliveries_total',
      'herald_delivery_attempt_duration_seconds',
      'herald_delivery_e2e_latency_seconds',
      'herald_deliveries_in_flight',
      'herald_retry_tier_depth',
      'herald_dlq_messages_total',
      'herald_router_matches_total',
      'herald_consumer_lag',
      'herald_outbox_backlog_rows',
      'herald_outbox_oldest_age_seconds',
      'herald_outbox_published_total',
      'herald_hooks',
      'herald_delivery_log_maintenance_last_success_timestamp_seconds',
      'http_server_request_duration_seconds',
      'up',
    ];
    expect(names).toEqual(expect.arrayContaining(required));
  });

  it('catches a metric, a label or a label value that is not in the contract (the check can fail)', () => {
    expect(contractProblems('t', 'rate(herald_deliveries_totl[5m])')).toEqual([
      't: herald_deliveries_totl is not in the metrics contract',
    ]);
    expect(contractProblems('t', 'sum by (tenant) (herald_deliveries_total)')).toEqual([
      expect.stringMatching(/label tenant/),
    ]);
    expect(contractProblems('t', 'herald_hooks{status="paused"}')).toEqual([
      expect.stringMatching(/status="paused"/),
    ]);
    expect(
      contractProblems(
        't',
        'histogram_quantile(0.9, sum by (le) (rate(herald_delivery_attempt_duration_seconds_bucket[5m])))',
      ),
    ).toEqual([]);
  });
});

describe('Prometheus alert rules', () => {
  it('cover DLQ growth, consumer lag, outbox backlog age, auto-disabled hooks, failure ratio, services down, API 5xx ratio and a stale partition job', () => {
    const names = alertRules.map((r) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'HeraldDlqGrowing',
        'HeraldConsumerLagHigh',
        'HeraldOutboxBacklogOld',
        'HeraldHooksAutoDisabled',
        'HeraldDeliveryFailureRatioHigh',
        'HeraldServiceDown',
        'HeraldApiServerErrorRatioHigh',
        'HeraldDeliveryLogPartitionJobStale',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
    console.log(`alert rules: ${names.length} (${names.join(', ')})`);
  });

  it.each(alertRules.map((r) => [r.alert, r] as const))(
    '%s uses only contract metrics, has a severity and a runbook section',
    (_name, rule) => {
      expect(contractProblems(rule.alert, rule.expr)).toEqual([]);
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.description).toBeTruthy();
      if (rule.for) expect(rule.for).toMatch(/^\d+[smh]$/);
      // Absolute: the default base (the setting's default, see 'runbook URLs' below) + a section.
      const [base, anchor] = rule.annotations.runbook_url.split('#');
      expect(base).toBe(DEFAULT_RUNBOOK_BASE);
      expect(operationsAnchors()).toContain(anchor);
    },
  );
});

describe('Grafana dashboard', () => {
  it('exists and is provisioned from the folder compose mounts', () => {
    expect(dashboards.length).toBeGreaterThan(0);
    const provider = parse(read('deploy/grafana/provisioning/dashboards/herald.yaml')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(provider.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    const compose = read('docker-compose.yml');
    expect(compose).toContain('./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro');
    expect(compose).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
  });

  it.each(dashboards.map((d) => [d.file, d.json] as const))(
    '%s: panels query only contract metrics from the provisioned datasource',
    (_file, dashboard) => {
      const datasources = (
        parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml')) as {
          datasources: Array<{ uid: string; type: string }>;
        }
      ).datasources;
      const prometheusUid = datasources.find((d) => d.type === 'prometheus')!.uid;
      expect(dashboard.uid).toMatch(/^[a-z0-9-]+$/);
      const ids = dashboard.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const queried = dashboard.panels.filter((p) => p.type !== 'row');
      const problems: string[] = [];
      const metricsShown = new Set<string>();
      for (const panel of queried) {
        expect(panel.datasource).toEqual({ type: 'prometheus', uid: prometheusUid });
        expect(panel.targets?.length).toBeGreaterThan(0);
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
        for (const t of panel.targets ?? []) {
          problems.push(...contractProblems(`panel "${panel.title}" ${t.refId}`, t.expr));
          for (const m of readPromQL(t.expr).metrics)
            metricsShown.add(contractMetricOf(m)?.name ?? m);
        }
      }
      expect(problems).toEqual([]);
      // Every herald_* metric of the contract is on the dashboard somewhere.
      const unshown = contract.metrics
        .filter((m) => m.name.startsWith('herald_') && !metricsShown.has(m.name))
        .map((m) => m.name);
      expect(unshown).toEqual([]);
      console.log(
        `dashboard ${dashboard.uid}: ${queried.length} panels, ${queried.reduce((n, p) => n + (p.targets?.length ?? 0), 0)} queries, ${metricsShown.size} metrics`,
      );
    },
  );
});

describe('Prometheus, OTel collector and prometheus-adapter configs', () => {
  it('Prometheus scrapes /metrics of the four compose services and loads the alert rules', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: Array<{
        metrics_path: string;
        honor_labels: boolean;
        static_configs: Array<{ targets: string[]; labels: { service: string } }>;
      }>;
    };
    expect(prom.rule_files).toEqual(['/prometheus/herald-alerts.yml']);
    const [job] = prom.scrape_configs;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.honor_labels).toBe(true);
    const targets = Object.fromEntries(
      job.static_configs.map((c) => [c.labels.service, c.targets]),
    );
    expect(targets).toEqual(Object.fromEntries(SERVICES.map((s) => [s, [`${s}:${PORTS[s]}`]])));
    const compose = read('docker-compose.yml');
    expect(compose).toContain('./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
  });

  it('compose Prometheus loads the rules with absolute runbook URLs under HERALD_RUNBOOK_BASE_URL', () => {
    const prometheus = (
      parse(read('docker-compose.yml')) as {
        services: Record<
          string,
          { entrypoint: string[]; command: string[]; environment: Record<string, string> }
        >;
      }
    ).services.prometheus;
    expect(prometheus.environment.HERALD_RUNBOOK_BASE_URL).toBe(
      `\${HERALD_RUNBOOK_BASE_URL:-${DEFAULT_RUNBOOK_BASE}}`,
    );
    expect(prometheus.entrypoint).toEqual(['/bin/sh', '-c']);
    // The command as compose hands it to the shell ($$ is a literal $), its rewrite run for real
    // with sh and sed on copies of the paths.
    const script = prometheus.command[0].replace(/\$\$/g, '$');
    expect(script).toMatch(
      /&& exec \/bin\/prometheus --config\.file=\/etc\/prometheus\/prometheus\.yml/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'herald-prom-'));
    try {
      const rewrite = script
        .split('&&')[0]
        .replace('/etc/prometheus/alerts.yml', join(ROOT, 'deploy', 'prometheus', 'alerts.yml'))
        .replace('/prometheus/herald-alerts.yml', join(dir, 'herald-alerts.yml'));
      const r = spawnSync('/bin/sh', ['-c', rewrite], {
        env: {
          PATH: process.env.PATH,
          HERALD_RUNBOOK_BASE_URL: 'https://wiki.corp.example/herald/ops',
        },
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const rules = (
        parse(readFileSync(join(dir, 'herald-alerts.yml'), 'utf8')) as {
          groups: Array<{ rules: AlertRule[] }>;
        }
      ).groups.flatMap((g) => g.rules);
      expect(rules.map((x) => x.alert)).toEqual(alertRules.map((x) => x.alert));
      for (const rule of rules)
        expect(rule.annotations.runbook_url).toMatch(
          /^https:\/\/wiki\.corp\.example\/herald\/ops#[a-z]+$/,
        );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the collector receives OTLP/HTTP on 4318 and sends traces to Jaeger', () => {
    const otel = parse(read('deploy/otel/collector.yaml')) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    expect(otel.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(otel.service.pipelines.traces.receivers).toEqual(['otlp']);
    for (const e of otel.service.pipelines.traces.exporters)
      expect(otel.exporters[e].endpoint).toBe('jaeger:4317');
  });

  it('prometheus-adapter serves herald_consumer_lag as the External metric the dispatcher HPA uses', () => {
    const adapter = parse(read('deploy/prometheus-adapter/rules.yaml')) as {
      external: Array<{ seriesQuery: string; name: { as: string }; metricsQuery: string }>;
    };
    const rule = adapter.external.find((r) => r.name.as === 'herald_consumer_lag')!;
    expect(contractProblems('adapter seriesQuery', rule.seriesQuery)).toEqual([]);
    expect(contractProblems('adapter metricsQuery', rule.metricsQuery)).toEqual([]);
    expect(read('k8s/base/delivery-dispatcher/hpa.yaml')).toContain('name: herald_consumer_lag');
  });
});
