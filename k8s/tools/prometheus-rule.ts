/**
 * The alert rules of deploy/prometheus/alerts.yml (what compose's Prometheus loads) as a
 * Prometheus Operator `PrometheusRule` for the clusters. `k8s/base/monitoring/prometheus-rule.yaml`
 * is generated from here (`node -r @swc-node/register k8s/tools/prometheus-rule.ts`) and a test
 * fails when it and the rule file disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const ROOT = join(__dirname, '..', '..');

export function prometheusRuleYaml(): string {
  const rules = parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8')) as {
    groups: unknown[];
  };
  const resource = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'herald', labels: { 'app.kubernetes.io/name': 'herald-alerts' } },
    spec: { groups: rules.groups },
  };
  const header = [
    '# GENERATED from deploy/prometheus/alerts.yml; do not edit by hand. Regenerate with',
    '#   node -r @swc-node/register k8s/tools/prometheus-rule.ts',
  ].join('\n');
  return `${header}\n${stringify(resource, { singleQuote: true, lineWidth: 0 })}`;
}

if (require.main === module) {
  const target = join(__dirname, '..', 'base', 'monitoring', 'prometheus-rule.yaml');
  writeFileSync(target, prometheusRuleYaml());
  console.log(`wrote ${target}`);
}
