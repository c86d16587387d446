/**
 * The configuration each Deployment gives its container (ConfigMaps + env, secrets stood in by
 * well-formed placeholders, files of mounted Secret volumes by placeholder files) is accepted by
 * that service's own zod config schema, and names no variable the service does not read (a
 * misspelt key would be silently ignored otherwise).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  // A Strimzi KafkaUser's Secret.
  password: 'placeholder-password',
};
/** What a key of a mounted Secret holds, in a form the schemas accept (a PEM-shaped stand-in). */
const SECRET_FILE_PLACEHOLDERS: Record<string, string> = {
  'ca.crt': '-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n',
};
/** Where the mounted Secret files are stood in (a path under a mount → the same path in here). */
const MOUNTS_ROOT = mkdtempSync(join(tmpdir(), 'herald-k8s-mounts-'));
afterAll(() => rmSync(MOUNTS_ROOT, { recursive: true, force: true }));

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
/**
 * The container's variables. A value that is a path inside a Secret volume mounted into the
 * container points, instead, to a placeholder file for that Secret key (the file must exist:
 * the schemas read TLS files at start-up).
 */
function containerEnv(objects: K8sObject[], container: Json, pod?: Json): Record<string, string> {
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
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod?.volumes ?? []).find((v: Json) => v.name === mount.name);
    if (!volume?.secret) continue;
    for (const item of volume.secret.items ?? []) {
      const inPod = `${mount.mountPath}/${item.path}`;
      const standIn = join(MOUNTS_ROOT, inPod);
      if (!(item.key in SECRET_FILE_PLACEHOLDERS))
        throw new Error(`no placeholder for Secret key ${item.key}`);
      mkdirSync(dirname(standIn), { recursive: true });
      writeFileSync(standIn, SECRET_FILE_PLACEHOLDERS[item.key]);
      for (const [k, v] of Object.entries(env)) if (v === inPod) env[k] = standIn;
    }
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
      const env = containerEnv(
        rendered[overlay],
        deployment.spec.template.spec.containers[0],
        deployment.spec.template.spec,
      );
      // Every file the configuration names is mounted (else the service would stop at start-up).
      expect(env['KAFKA_SSL_CA_FILE']).toMatch(new RegExp(`^${MOUNTS_ROOT}/`));
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
    const env = containerEnv(
      rendered.prod,
      deployment.spec.template.spec.containers[0],
      deployment.spec.template.spec,
    );
    expect(schema.safeParse(env).success).toBe(true);
    expect(schema.safeParse({ ...env, KAFKA_BROKERS: 'no-port' }).success).toBe(false);
    // A CA file that is not mounted where the configuration says: the service would not start.
    expect(
      schema.safeParse({ ...env, KAFKA_SSL_CA_FILE: '/etc/herald/nowhere/ca.crt' }).success,
    ).toBe(false);
    const { KAFKA_SASL_PASSWORD: _dropped, ...noPassword } = env;
    expect(schema.safeParse(noPassword).success).toBe(false);
    expect(
      Object.keys({ ...env, KAFKA_BROKER: 'x:1' }).filter(
        (k) => !(k in schema.shape) && !NOT_IN_SCHEMAS.test(k),
      ),
    ).toEqual(['KAFKA_BROKER']);
  });
});
