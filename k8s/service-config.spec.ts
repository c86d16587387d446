/**
 * The configuration each Deployment gives its container (ConfigMaps + env, secrets stood in by
 * well-formed placeholders) is accepted by that service's own zod config schema, and names no
 * variable the service does not read (a misspelt key would be silently ignored otherwise).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ZodObject, ZodRawShape } from 'zod';
import { DatabaseEnv } from '@herald/platform/config';
import { REPO_ROOT, ensureKustomize, kustomizeBuild } from './tools/kustomize';
import type { K8sObject } from './tools/kustomize';

const SERVICES = ['domain-api', 'subscription-registry', 'event-router', 'delivery-dispatcher'];
/** Read by the OpenTelemetry SDK or only used to build other values, not by the config schemas. */
const NOT_IN_SCHEMAS = /^(OTEL_[A-Z_]+|POD_NAME)$/;
/** What the referenced Secrets hold, in a form the schemas accept (never real values). */
const SECRET_PLACEHOLDERS: Record<string, string> = {
  DATABASE_URL: 'postgres://herald:placeholder@herald-postgres:5432/herald',
  HERALD_SECRETS_KEY: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
};

/** The service's config schema: the `*ConfigSchema` export of apps/<service>/src/config.ts. */
function configSchema(service: string): ZodObject<ZodRawShape> | undefined {
  const file = join(REPO_ROOT, 'apps', service, 'src', 'config.ts');
  if (!existsSync(file)) return undefined;
  const exports = require(file) as Record<string, unknown>;
  const [, schema] = Object.entries(exports).find(([name]) => name.endsWith('ConfigSchema')) ?? [];
  if (!schema) throw new Error(`${file} exports no *ConfigSchema`);
  return schema as ZodObject<ZodRawShape>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
function containerEnv(objects: K8sObject[], container: Json): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const cm = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef.name,
    ) as Json;
    if (!cm) throw new Error(`ConfigMap ${from.configMapRef.name} is not rendered`);
    Object.assign(env, cm.data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined)
      env[e.name] = String(e.value).replace(/\$\((\w+)\)/g, (_m, v) => env[v] ?? '');
    else if (e.valueFrom?.secretKeyRef)
      env[e.name] = SECRET_PLACEHOLDERS[e.valueFrom.secretKeyRef.key];
    else if (e.valueFrom?.fieldRef) env[e.name] = 'pod-name';
  }
  return env;
}

const rendered: Record<string, K8sObject[]> = {};
beforeAll(() => {
  const binary = ensureKustomize();
  for (const overlay of ['dev', 'prod'])
    rendered[overlay] = kustomizeBuild(`k8s/overlays/${overlay}`, binary);
}, 10 * 60_000);

const withSchema = SERVICES.filter((s) =>
  existsSync(join(REPO_ROOT, 'apps', s, 'src', 'config.ts')),
);

describe.each(['dev', 'prod'])('k8s overlay %s: service configuration', (overlay) => {
  it('covers at least one service with a config schema', () => {
    expect(withSchema.length).toBeGreaterThan(0);
  });

  it.each(withSchema)(
    '%s: the Deployment env parses with the service config schema, no unknown keys',
    (service) => {
      const schema = configSchema(service)!;
      const deployment = rendered[overlay].find(
        (o) => o.kind === 'Deployment' && o.metadata.name === service,
      ) as Json;
      const env = containerEnv(rendered[overlay], deployment.spec.template.spec.containers[0]);
      const parsed = schema.safeParse(env);
      expect(
        parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      ).toEqual([]);
      const unknown = Object.keys(env).filter(
        (k) => !(k in schema.shape) && !NOT_IN_SCHEMAS.test(k),
      );
      expect(unknown).toEqual([]);
    },
  );

  it('the migration Jobs get a valid DATABASE_URL', () => {
    const jobs = rendered[overlay].filter((o) => o.kind === 'Job') as Json[];
    expect(jobs.length).toBe(2);
    for (const job of jobs) {
      const env = containerEnv(rendered[overlay], job.spec.template.spec.containers[0]);
      expect(DatabaseEnv.safeParse(env).success).toBe(true);
    }
  });
});

describe('service config check', () => {
  it('catches a misspelt or invalid variable (the check can fail)', () => {
    const schema = configSchema(withSchema[0])!;
    const deployment = rendered.prod.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === withSchema[0],
    ) as Json;
    const env = containerEnv(rendered.prod, deployment.spec.template.spec.containers[0]);
    expect(schema.safeParse({ ...env, KAFKA_BROKERS: 'no-port' }).success).toBe(false);
    expect(
      Object.keys({ ...env, KAFKA_BROKER: 'x:1' }).filter(
        (k) => !(k in schema.shape) && !NOT_IN_SCHEMAS.test(k),
      ),
    ).toEqual(['KAFKA_BROKER']);
  });
});
