/**
 * Renders k8s/overlays/{dev,prod} with the real kustomize and checks what a cluster would get:
 * every object valid against the Kubernetes API schemas (kubernetes-models) or, for the two
 * CRDs, against their schemas (ajv); probes, resources and securityContext on every Deployment;
 * the objects each service needs; secrets only by reference; network policies; ingress paths;
 * KafkaTopics equal to the contracts lib; a Strimzi KafkaUser (SCRAM) per service, used by its
 * Deployment over the TLS listener; and no service able to run more consumers than its topics
 * have partitions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { ALL_TOPICS, ConsumerGroups } from '@herald/contracts';
import { DispatchEnv } from '@herald/delivery/dispatch';
import { SERVICE_CONSUMER_GROUPS } from './tools/consumer-groups';
import { CRD_SCHEMAS } from './tools/crd-schemas';
import { kafkaTopicsYaml } from './tools/kafka-topics';
import { SERVICES, kafkaUsersYaml } from './tools/kafka-users';
import { firstTenantCommands, operationsAnchors } from './tools/first-tenant';
import { prometheusRuleYaml } from './tools/prometheus-rule';
import { REPO_ROOT, ensureKustomize, kustomizeBuild } from './tools/kustomize';
import type { K8sObject } from './tools/kustomize';

const OVERLAYS = ['dev', 'prod'] as const;
const PORTS: Record<string, number> = {
  'domain-api': 3000,
  'subscription-registry': 3001,
  'event-router': 3002,
  'delivery-dispatcher': 3003,
};
const DB_SERVICES = ['domain-api', 'subscription-registry'];
/**
 * The dispatcher's shutdown drain: how long it waits for attempts in flight, from its own config
 * (HERALD_DISPATCH_SHUTDOWN_GRACE_MS, default unless the ConfigMap sets it).
 */
function dispatcherDrainSeconds(objects: Obj[]): number {
  const configured = named(objects, 'ConfigMap', 'delivery-dispatcher').data
    .HERALD_DISPATCH_SHUTDOWN_GRACE_MS;
  return (
    DispatchEnv.parse(configured ? { HERALD_DISPATCH_SHUTDOWN_GRACE_MS: configured } : {})
      .HERALD_DISPATCH_SHUTDOWN_GRACE_MS / 1000
  );
}

// Rendered manifests are plain JSON: the tests navigate them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Obj = K8sObject & { spec?: Json; data?: Json; endpoints?: Json };
const rendered: Record<string, Obj[]> = {};

function ofKind(objects: Obj[], kind: string): Obj[] {
  return objects.filter((o) => o.kind === kind);
}
function named(objects: Obj[], kind: string, name: string): Obj {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
}

interface ValidationReport {
  validated: Array<{ kind: string; name: string }>;
  unknownKinds: Array<{ apiVersion: string; kind: string; name: string }>;
  errors: Array<{ kind: string; name: string; message: string }>;
}
function validateWithKubernetesModels(objects: unknown[]): ValidationReport {
  const r = spawnSync(process.execPath, [join(__dirname, 'tools', 'validate-k8s-objects.mjs')], {
    cwd: REPO_ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`validator exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ValidationReport;
}

beforeAll(() => {
  const binary = ensureKustomize();
  for (const overlay of OVERLAYS)
    rendered[overlay] = kustomizeBuild(`k8s/overlays/${overlay}`, binary) as Obj[];
}, 10 * 60_000);

describe.each(OVERLAYS)('k8s overlay %s', (overlay) => {
  const objects = () => rendered[overlay];

  it('renders, and every object validates against the Kubernetes API schemas or its CRD schema', () => {
    const report = validateWithKubernetesModels(objects());
    expect(report.errors).toEqual([]);
    const ajv = new Ajv({
      allErrors: true,
      strict: true,
      allowUnionTypes: true,
      strictRequired: false,
    });
    const crdValidators = new Map(
      Object.entries(CRD_SCHEMAS).map(([id, schema]) => [id, ajv.compile(schema)]),
    );
    const crdErrors: string[] = [];
    for (const id of report.unknownKinds) {
      const validate = crdValidators.get(`${id.apiVersion}/${id.kind}`);
      if (!validate) {
        crdErrors.push(
          `${id.apiVersion} ${id.kind}/${id.name}: neither a Kubernetes kind nor a known CRD`,
        );
        continue;
      }
      const object = objects().find((o) => o.kind === id.kind && o.metadata.name === id.name);
      if (!validate(object))
        crdErrors.push(`${id.kind}/${id.name}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(crdErrors).toEqual([]);
    expect(report.validated.length + report.unknownKinds.length).toBe(objects().length);

    const byKind = objects().reduce<Record<string, number>>(
      (acc, o) => ({ ...acc, [o.kind]: (acc[o.kind] ?? 0) + 1 }),
      {},
    );
    console.log(
      `k8s/overlays/${overlay}: ${objects().length} objects rendered; ${report.validated.length} validated with kubernetes-models, ` +
        `${report.unknownKinds.length} CRD objects with ajv; by kind ${JSON.stringify(byKind)}`,
    );
  });

  it('puts every namespaced object in the overlay namespace, with unique names per kind', () => {
    const namespace = overlay === 'prod' ? 'herald' : 'herald-dev';
    for (const o of objects())
      if (o.kind !== 'Namespace')
        expect(`${o.kind}/${o.metadata.name} ${o.metadata.namespace}`).toBe(
          `${o.kind}/${o.metadata.name} ${namespace}`,
        );
    const ids = objects().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(SERVICES)(
    '%s: Deployment with probes, resources, securityContext and a graceful termination',
    (service) => {
      const deployment = named(objects(), 'Deployment', service);
      const pod = deployment.spec.template.spec;
      // SIGKILL only after the preStop pause, the dispatcher's drain, and a few seconds to
      // write outcomes and commit offsets.
      const preStopSeconds = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
        preStopSeconds + dispatcherDrainSeconds(objects()) + 5,
      );
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.containers).toHaveLength(1);
      const [c] = pod.containers;
      expect(c.image).toMatch(new RegExp(`herald/${service}:[\\w.-]+$`));
      // The image's CMD runs it, with the services' node flags (deploy/docker/dockerfile.spec.ts).
      expect(c.command).toBeUndefined();
      expect(c.args).toBeUndefined();
      expect(c.ports).toEqual([{ name: 'http', containerPort: PORTS[service], protocol: 'TCP' }]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(c.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      for (const kind of ['requests', 'limits']) {
        expect(c.resources[kind].cpu).toBeDefined();
        expect(c.resources[kind].memory).toBeDefined();
      }
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      // A read-only root needs a writable /tmp.
      const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
    },
  );

  it.each(SERVICES)(
    '%s: Service, PodDisruptionBudget, HPA, ServiceMonitor and ConfigMap that fit the Deployment',
    (service) => {
      const deployment = named(objects(), 'Deployment', service);
      const podLabels = deployment.spec.template.metadata.labels;
      const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
        Object.entries(selector).every(([k, v]) => labels[k] === v);

      const svc = named(objects(), 'Service', service);
      expect(matches(svc.spec.selector, podLabels)).toBe(true);
      expect(svc.spec.ports).toEqual([
        { name: 'http', port: PORTS[service], targetPort: 'http', protocol: 'TCP' },
      ]);

      expect(
        matches(
          named(objects(), 'PodDisruptionBudget', service).spec.selector.matchLabels,
          podLabels,
        ),
      ).toBe(true);
      expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true);

      const hpa = named(objects(), 'HorizontalPodAutoscaler', service);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: service,
      });
      expect(hpa.spec.metrics.find((m: Json) => m.type === 'Resource')?.resource.name).toBe('cpu');
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
      expect(deployment.spec.replicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);

      const monitor = named(objects(), 'ServiceMonitor', service);
      expect(matches(monitor.spec.selector.matchLabels, svc.metadata.labels!)).toBe(true);
      expect(monitor.spec.endpoints).toEqual([
        expect.objectContaining({ port: 'http', path: '/metrics' }),
      ]);

      const container = deployment.spec.template.spec.containers[0];
      const configMaps = container.envFrom.map(
        (e: { configMapRef: { name: string } }) => e.configMapRef.name,
      );
      expect(configMaps).toEqual(['herald-common', service]);
      for (const name of configMaps) expect(named(objects(), 'ConfigMap', name).data).toBeDefined();
      expect(named(objects(), 'ConfigMap', service).data.PORT).toBe(String(PORTS[service]));
    },
  );

  it('scales the dispatcher on consumer lag too, through an External metric named in the metrics contract', () => {
    const hpa = named(objects(), 'HorizontalPodAutoscaler', 'delivery-dispatcher');
    const external = hpa.spec.metrics.find((m: { type: string }) => m.type === 'External').external;
    expect(external.metric).toEqual({
      name: 'herald_consumer_lag',
      selector: { matchLabels: { group: ConsumerGroups.DeliveryDispatcher } },
    });
    const contract = JSON.parse(
      readFileSync(join(REPO_ROOT, 'deploy', 'metrics-contract.json'), 'utf8'),
    );
    const lag = contract.metrics.find((m: { name: string }) => m.name === external.metric.name);
    expect(lag.labels).toContain('group');
  });

  it('keeps secrets as references: no Secret objects, every secret variable from a secretKeyRef', () => {
    expect(ofKind(objects(), 'Secret')).toEqual([]);
    const secretVars = ['DATABASE_URL', 'HERALD_SECRETS_KEY', 'KAFKA_SASL_PASSWORD'];
    // Strimzi's User Operator names the key of a KafkaUser's password `password`.
    const keyOf = (name: string) => (name === 'KAFKA_SASL_PASSWORD' ? 'password' : name);
    const containers = [...ofKind(objects(), 'Deployment'), ...ofKind(objects(), 'Job')].flatMap(
      (o) => o.spec.template.spec.containers,
    );
    const refs: string[] = [];
    for (const c of containers) {
      for (const env of c.env ?? []) {
        if (secretVars.includes(env.name)) {
          expect(env.value).toBeUndefined();
          expect(env.valueFrom.secretKeyRef).toEqual({
            name: expect.stringMatching(/^herald-/),
            key: keyOf(env.name),
          });
          refs.push(`${c.name}:${env.name}`);
        }
      }
    }
    for (const cm of ofKind(objects(), 'ConfigMap'))
      for (const key of Object.keys(cm.data ?? {})) expect(secretVars).not.toContain(key);
    expect(refs.sort()).toEqual(
      [
        'delivery-dispatcher:HERALD_SECRETS_KEY',
        'delivery-dispatcher:KAFKA_SASL_PASSWORD',
        'domain-api:DATABASE_URL',
        'domain-api:KAFKA_SASL_PASSWORD',
        'event-router:KAFKA_SASL_PASSWORD',
        'migrate:DATABASE_URL',
        'migrate:DATABASE_URL',
        'subscription-registry:DATABASE_URL',
        'subscription-registry:HERALD_SECRETS_KEY',
        'subscription-registry:KAFKA_SASL_PASSWORD',
      ].sort(),
    );
  });

  it('runs one migration Job per database service, with its image and its own database secret', () => {
    for (const service of DB_SERVICES) {
      const job = named(objects(), 'Job', `migrate-${service}`);
      const pod = job.spec.template.spec;
      expect(pod.restartPolicy).toBe('Never');
      const [c] = pod.containers;
      const app = named(objects(), 'Deployment', service).spec.template.spec.containers[0];
      expect(c.image).toBe(app.image);
      expect(c.command).toEqual([
        'node',
        '--enable-source-maps',
        `dist/apps/${service}/src/migrate.js`,
      ]);
      const dbRef = (container: { env: Array<{ name: string; valueFrom?: unknown }> }) =>
        container.env.find((e) => e.name === 'DATABASE_URL')?.valueFrom;
      expect(dbRef(c)).toEqual(dbRef(app));
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
    }
    expect(ofKind(objects(), 'Job')).toHaveLength(DB_SERVICES.length);
  });

  it('has KafkaTopics with the names, partitions and configs of the contracts lib', () => {
    const topics = ofKind(objects(), 'KafkaTopic');
    const actual = topics
      .map((t) => ({
        name: t.spec.topicName,
        partitions: t.spec.partitions,
        config: t.spec.config,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const expected = ALL_TOPICS.map((t) => ({
      name: t.name,
      partitions: t.partitions,
      config: { ...t.configs },
    })).sort((a, b) => a.name.localeCompare(b.name));
    expect(actual).toEqual(expected);
    for (const t of topics) expect(t.spec.replicas).toBe(overlay === 'dev' ? 1 : 3);
  });

  it.each(SERVICES)(
    '%s: logs in to Kafka as its own SCRAM-SHA-512 KafkaUser over TLS, the CA and password by reference',
    (service) => {
      const user = named(objects(), 'KafkaUser', `herald-${service}`);
      expect(user.apiVersion).toBe('kafka.strimzi.io/v1');
      expect(user.metadata.labels!['strimzi.io/cluster']).toBe('herald-kafka');
      expect(user.spec.authentication).toEqual({ type: 'scram-sha-512' });
      const acls = user.spec.authorization.acls as Json[];
      const groupPrefixes = acls
        .filter((a) => a.resource.type === 'group')
        .map((a) => a.resource.name as string);
      // Every group the service runs (and its views' throw-away groups) falls under its ACLs;
      // no other service's groups do.
      for (const { group } of SERVICE_CONSUMER_GROUPS[service])
        expect(groupPrefixes.some((p) => group.startsWith(p))).toBe(true);
      for (const other of SERVICES.filter((s) => s !== service))
        for (const { group } of SERVICE_CONSUMER_GROUPS[other])
          expect({ group, allowed: groupPrefixes.some((p) => group.startsWith(p)) }).toEqual({
            group,
            allowed: false,
          });
      for (const topic of ALL_TOPICS)
        expect(
          acls.some(
            (a) =>
              a.resource.type === 'topic' &&
              topic.name.startsWith(a.resource.name) &&
              ['Read', 'Write', 'Describe'].every((op) => a.operations.includes(op)),
          ),
        ).toBe(true);

      const pod = named(objects(), 'Deployment', service).spec.template.spec;
      const [c] = pod.containers;
      const common = named(objects(), 'ConfigMap', 'herald-common').data;
      expect(common).toMatchObject({
        KAFKA_BROKERS: 'herald-kafka-kafka-bootstrap.kafka.svc:9093',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
      });
      const env = Object.fromEntries(c.env.map((e: Json) => [e.name, e]));
      expect(env.KAFKA_SASL_USERNAME.value).toBe(user.metadata.name);
      expect(env.KAFKA_SASL_PASSWORD.valueFrom.secretKeyRef).toEqual({
        name: user.metadata.name,
        key: 'password',
      });
      // The cluster CA certificate, from Strimzi's Secret, at KAFKA_SSL_CA_FILE.
      const mount = c.volumeMounts.find((m: Json) =>
        common.KAFKA_SSL_CA_FILE.startsWith(`${m.mountPath}/`),
      );
      expect(mount.readOnly).toBe(true);
      const volume = pod.volumes.find((v: Json) => v.name === mount.name);
      expect(volume.secret).toEqual({
        secretName: 'herald-kafka-cluster-ca-cert',
        items: [
          { key: 'ca.crt', path: common.KAFKA_SSL_CA_FILE.slice(mount.mountPath.length + 1) },
        ],
      });
    },
  );

  it('has a KafkaUser for each service and none else', () => {
    expect(
      ofKind(objects(), 'KafkaUser')
        .map((u) => u.metadata.name)
        .sort(),
    ).toEqual(SERVICES.map((s) => `herald-${s}`).sort());
  });

  it('never lets a service run more consumers than its topics have partitions (HPA max + rollout surge)', () => {
    const report: string[] = [];
    for (const service of SERVICES) {
      const hpa = named(objects(), 'HorizontalPodAutoscaler', service);
      const deployment = named(objects(), 'Deployment', service);
      const surge = Number(deployment.spec.strategy.rollingUpdate.maxSurge);
      const peakPods = hpa.spec.maxReplicas + surge;
      for (const { group, topics } of SERVICE_CONSUMER_GROUPS[service]) {
        for (const topic of topics) {
          report.push(
            `${service} ${group} on ${topic.name}: ≤ ${peakPods} consumers, ${topic.partitions} partitions`,
          );
          expect({
            service,
            topic: topic.name,
            consumers: peakPods,
            ok: peakPods <= topic.partitions,
          }).toEqual({
            service,
            topic: topic.name,
            consumers: peakPods,
            ok: true,
          });
        }
      }
    }
    expect(report.length).toBeGreaterThan(0);
  });
});

describe.each(OVERLAYS)('k8s network policies (%s)', (overlay) => {
  const objects = () => rendered[overlay];
  type Policy = Obj;
  const policies = () => ofKind(objects(), 'NetworkPolicy') as Policy[];
  const podLabels = (name: string) =>
    (ofKind(objects(), 'Deployment').find((d) => d.metadata.name === name) ??
      ofKind(objects(), 'Job').find((j) => j.metadata.name === name))!.spec.template.metadata
      .labels as Record<string, string>;
  function selects(policy: Policy, labels: Record<string, string>): boolean {
    const sel = policy.spec.podSelector;
    const ml = Object.entries((sel.matchLabels ?? {}) as Record<string, string>).every(
      ([k, v]) => labels[k] === v,
    );
    const me = (
      (sel.matchExpressions ?? []) as Array<{ key: string; operator: string; values: string[] }>
    ).every((e) =>
      e.operator === 'In'
        ? e.values.includes(labels[e.key])
        : e.operator === 'NotIn'
          ? !e.values.includes(labels[e.key])
          : true,
    );
    return ml && me;
  }
  const egressOf = (labels: Record<string, string>) =>
    policies()
      .filter((p) => p.spec.policyTypes.includes('Egress') && selects(p, labels))
      .flatMap((p) => p.spec.egress ?? []);

  it('denies everything by default', () => {
    const deny = named(objects(), 'NetworkPolicy', 'herald-default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('lets only the dispatcher reach the internet, and not private ranges', () => {
    for (const service of SERVICES) {
      const wide = egressOf(podLabels(service))
        .flatMap((rule: Json) => rule.to ?? [])
        .filter((peer: Json) => peer.ipBlock?.cidr === '0.0.0.0/0');
      if (service !== 'delivery-dispatcher') {
        expect({ service, wide }).toEqual({ service, wide: [] });
        continue;
      }
      expect(wide).toHaveLength(1);
      expect(wide[0].ipBlock.except).toEqual(
        expect.arrayContaining([
          '10.0.0.0/8',
          '172.16.0.0/12',
          '192.168.0.0/16',
          '169.254.0.0/16',
          '127.0.0.0/8',
        ]),
      );
    }
  });

  it('lets every service reach Kafka, and only the database services (and their migrations) reach Postgres at the EndpointSlice address', () => {
    const pgAddresses = named(objects(), 'EndpointSlice', 'herald-postgres-1').endpoints.flatMap(
      (e: { addresses: string[] }) => e.addresses,
    );
    const pgPolicy = named(objects(), 'NetworkPolicy', 'herald-allow-postgres');
    expect(pgPolicy.spec.egress).toEqual([
      {
        to: pgAddresses.map((a: string) => ({ ipBlock: { cidr: `${a}/32` } })),
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
    const reachesPostgres = (labels: Record<string, string>) =>
      egressOf(labels).some((rule: Json) => rule.ports?.some((p: Json) => p.port === 5432));
    // The TLS listener of the KafkaBrokers (herald-common's KAFKA_BROKERS).
    const kafkaPort = Number(
      named(objects(), 'ConfigMap', 'herald-common').data.KAFKA_BROKERS.split(':')[1],
    );
    expect(kafkaPort).toBe(9093);
    const reachesKafka = (labels: Record<string, string>) =>
      egressOf(labels).some((rule: Json) => rule.ports?.some((p: Json) => p.port === kafkaPort));
    for (const service of SERVICES) {
      expect({ service, kafka: reachesKafka(podLabels(service)) }).toEqual({
        service,
        kafka: true,
      });
      expect({ service, postgres: reachesPostgres(podLabels(service)) }).toEqual({
        service,
        postgres: DB_SERVICES.includes(service),
      });
    }
    for (const service of DB_SERVICES)
      expect(reachesPostgres(podLabels(`migrate-${service}`))).toBe(true);
  });

  it('takes ingress from the ingress controller only on the two public APIs', () => {
    const fromController = policies().filter((p) =>
      (p.spec.ingress ?? []).some((rule: Json) =>
        rule.from?.some(
          (peer: Json) =>
            peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ===
            'ingress-nginx',
        ),
      ),
    );
    const exposed = SERVICES.filter((s) => fromController.some((p) => selects(p, podLabels(s))));
    expect(exposed).toEqual(['domain-api', 'subscription-registry']);
  });
});

describe.each(OVERLAYS)('k8s ingress (%s)', (overlay) => {
  /** Which service a public path reaches: Prefix paths by element-wise longest match, then the regex Ingress. */
  function route(path: string): string | undefined {
    const ingresses = ofKind(rendered[overlay], 'Ingress');
    const candidates = ingresses.flatMap((ing) =>
      ing.spec.rules.flatMap((rule: Json) =>
        rule.http.paths.map((p: Json) => ({ ...p, service: p.backend.service.name })),
      ),
    ) as Array<{ path: string; pathType: string; service: string }>;
    const prefix = candidates
      .filter(
        (c) =>
          c.pathType === 'Prefix' &&
          (path === c.path || path.startsWith(`${c.path.replace(/\/$/, '')}/`)),
      )
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (prefix) return prefix.service;
    return candidates.find(
      (c) => c.pathType === 'ImplementationSpecific' && new RegExp(`^${c.path}`, 'i').test(path),
    )?.service;
  }

  it.each([
    ['/v1/tenants', 'domain-api'],
    ['/v1/projects/p1/tasks', 'domain-api'],
    ['/v1/tasks/t1', 'domain-api'],
    ['/v2/projects', 'domain-api'],
    ['/v2/subtasks/s1', 'domain-api'],
    ['/v2/events', 'domain-api'],
    ['/v2/clients', 'domain-api'],
    ['/docs', 'domain-api'],
    ['/openapi.json', 'domain-api'],
    ['/openapi.yaml', 'domain-api'],
    ['/docs/swagger-ui-init.js', 'domain-api'],
    ['/v1/webhooks/openapi.json', 'subscription-registry'],
    ['/v1/webhooks/openapi.yaml', 'subscription-registry'],
    ['/docs/webhooks', 'subscription-registry'],
    ['/docs/webhooks/swagger-ui-init.js', 'subscription-registry'],
    ['/v1/webhooks', 'subscription-registry'],
    ['/v1/webhooks/wh_1/dlq/redrive', 'subscription-registry'],
    ['/v1/deliveries/d1/redeliver', 'subscription-registry'],
    ['/v1/event-types', 'subscription-registry'],
    ['/v1/schemas/resource-change.json', 'subscription-registry'],
    ['/api/settings/webhooks/17/enable', 'subscription-registry'],
    ['/rest/v1.0/companies', 'subscription-registry'],
    ['/v2/hooks/h1', 'subscription-registry'],
    ['/api/admin/v2/', 'subscription-registry'],
    ['/api/oauth2/token', 'subscription-registry'],
    ['/rest/v1.0/webhooks/hooks', 'subscription-registry'],
    ['/rest/v2.0/companies/1/projects/2/webhooks/hooks', 'subscription-registry'],
    ['/@acme/v1/Webhooks', 'subscription-registry'],
    ['/@acme/v1/Webhooks/42', 'subscription-registry'],
    ['/console/', 'subscription-registry'],
    ['/console/hooks/h1/events/d1', 'subscription-registry'],
    ['/v1/webhooks/me', 'subscription-registry'],
  ])('%s -> %s', (path, service) => {
    expect(route(path)).toBe(service);
  });

  it('routes nothing else (no health or metrics endpoints are public)', () => {
    expect(route('/health/live')).toBeUndefined();
    expect(route('/metrics')).toBeUndefined();
  });
});

describe('k8s PrometheusRule', () => {
  it('is generated from deploy/prometheus/alerts.yml (regenerate: node -r @swc-node/register k8s/tools/prometheus-rule.ts)', () => {
    expect(
      readFileSync(join(REPO_ROOT, 'k8s', 'base', 'monitoring', 'prometheus-rule.yaml'), 'utf8'),
    ).toBe(prometheusRuleYaml());
  });

  it.each(OVERLAYS)('carries every alert of the rule file in overlay %s', (overlay) => {
    const rule = named(rendered[overlay], 'PrometheusRule', 'herald');
    const alerts = rule.spec.groups.flatMap((g: { rules: Array<{ alert: string }> }) =>
      g.rules.map((r) => r.alert),
    );
    expect(alerts).toEqual(
      expect.arrayContaining([
        'HeraldServiceDown',
        'HeraldDlqGrowing',
        'HeraldConsumerLagHigh',
        'HeraldOutboxBacklogOld',
        'HeraldHooksAutoDisabled',
        'HeraldDeliveryFailureRatioHigh',
        'HeraldApiServerErrorRatioHigh',
        'HeraldDeliveryLogPartitionJobStale',
      ]),
    );
  });

  it.each(OVERLAYS)(
    'links every alert to its runbook section by an absolute URL, the overlay setting runbookBaseUrl (%s)',
    (overlay) => {
      const rule = named(rendered[overlay], 'PrometheusRule', 'herald');
      const urls: string[] = rule.spec.groups.flatMap((g: Json) =>
        g.rules.map((r: Json) => r.annotations.runbook_url),
      );
      const kustomization = readFileSync(
        join(REPO_ROOT, 'k8s', 'overlays', overlay, 'kustomization.yaml'),
        'utf8',
      );
      const configured = /runbookBaseUrl: '([^']+)'/.exec(kustomization)![1];
      // The setting is not rendered into the cluster (a local-config object).
      expect(rendered[overlay].filter((o) => o.metadata.name === 'herald-settings')).toEqual([]);
      const anchors = operationsAnchors();
      for (const url of urls) {
        const [base, anchor] = url.split('#');
        expect({ url, base }).toEqual({ url, base: configured });
        expect(anchors).toContain(anchor);
      }
      expect(configured).toMatch(/^https:\/\//);
      if (overlay === 'prod') expect(configured).not.toContain('docs.example.com');
    },
  );
});

describe('k8s Grafana dashboard ConfigMap', () => {
  it.each(OVERLAYS)(
    'in overlay %s holds deploy/grafana/dashboards/herald.json as it is, for the sidecar',
    (overlay) => {
      const cm = named(rendered[overlay], 'ConfigMap', 'herald-grafana-dashboard');
      expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
      expect(JSON.parse(cm.data['herald.json'])).toEqual(
        JSON.parse(
          readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'dashboards', 'herald.json'), 'utf8'),
        ),
      );
    },
  );
});

describe('k8s KafkaTopic source file', () => {
  it('is what the generator makes from the contracts lib (regenerate: node -r @swc-node/register k8s/tools/kafka-topics.ts)', () => {
    expect(
      readFileSync(join(REPO_ROOT, 'k8s', 'base', 'kafka-topics', 'topics.yaml'), 'utf8'),
    ).toBe(kafkaTopicsYaml());
  });
});

describe('docs/operations.md "First tenant" on Kubernetes', () => {
  const commands = firstTenantCommands().kubernetes;

  it.each(commands.map((c) => [c.inContainer.slice(1, 3).join(' '), c] as const))(
    '%s: execs into a Deployment of the prod namespace whose image and settings hold that CLI',
    (_name, command) => {
      expect(command.argv.slice(0, 4)).toEqual(['kubectl', '-n', 'herald', 'exec']);
      const objects = rendered.prod;
      const deployment = named(objects, 'Deployment', command.target);
      expect(deployment.metadata.namespace).toBe(command.namespace);
      const [c] = deployment.spec.template.spec.containers;
      const app = command.app;
      // Its image is that app's (the Dockerfile copies dist/apps/$APP only), run from /app.
      expect(c.image).toMatch(new RegExp(`/herald/${app}:`));
      expect(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/^WORKDIR \/app$/m);
      const env = new Set<string>([
        ...c.env.map((e: Json) => e.name),
        ...c.envFrom.flatMap((f: Json) =>
          Object.keys(named(objects, 'ConfigMap', f.configMapRef.name).data),
        ),
      ]);
      for (const name of [
        'DATABASE_URL',
        'KAFKA_BROKERS',
        'KAFKA_SASL_PASSWORD',
        ...(app === 'subscription-registry' ? ['HERALD_SECRETS_KEY'] : []),
      ])
        expect({ name, set: env.has(name) }).toEqual({ name, set: true });
    },
  );
});

describe('k8s KafkaUser source file', () => {
  it('is what the generator makes (regenerate: node -r @swc-node/register k8s/tools/kafka-users.ts)', () => {
    expect(readFileSync(join(REPO_ROOT, 'k8s', 'base', 'kafka-users', 'users.yaml'), 'utf8')).toBe(
      kafkaUsersYaml(),
    );
  });
});

describe('kubernetes-models validator', () => {
  it('rejects an invalid object (the validation can fail)', () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        selector: {},
        template: {
          spec: { containers: [{ name: 'x', image: 'x', ports: [{ containerPort: 'http' }] }] },
        },
      },
    };
    const report = validateWithKubernetesModels([broken]);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0].message).toMatch(/containerPort must be integer/);
  });
});
