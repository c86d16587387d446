/**
 * The services as the images run them, without Docker: compiled by deploy/docker/compile.js
 * (the Dockerfile's build step) and started with the image's command line
 * (`node --max-semi-space-size=4 --heap-growing-percent=100 dist/apps/<app>/src/main.js`, working directory = the dist's
 * parent, as WORKDIR /app), against the real broker and database. The migrate image's two
 * commands run first; then each service must turn ready, serve /metrics with its `service`
 * label and every metric the metrics contract assigns it (the APIs' request histogram with a
 * route template after a request), and exit cleanly on SIGTERM (what tini forwards on `docker stop` / pod termination)
 * well within the 45 s termination grace, leaving its consumer groups; and the groups they ran
 * are the ones the k8s replica bounds are computed from.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { SERVICE_CONSUMER_GROUPS, isThrowAwayGroup } from './tools/consumer-groups';
import { firstTenantCommands } from './tools/first-tenant';
import { join } from 'node:path';
import {
  createTestDatabase,
  deleteKafkaNamespace,
  freePort,
  uniqueKafkaNamespace,
  waitFor,
  type TestDatabase,
} from '@herald/platform/testing';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'tmp', `compiled-e2e-${process.pid}`);
// The services the image runs, and those with a database: deploy's list (another Nx project: by path).
const { SERVICES, DB_SERVICES } = require(join(ROOT, 'deploy', 'services')) as { SERVICES: string[]; DB_SERVICES: string[] };
/** A route of each API that answers 401 without a key (path requested, template expected). */
const API_ROUTES: Record<string, { path: string; route: string }> = {
  'domain-api': { path: '/v1/projects', route: '/v1/projects' },
  'subscription-registry': {
    path: '/v1/webhooks/0d5a3a1e-5b8e-4b7e-9a57-1f0c9a6b1a11',
    route: '/v1/webhooks/:id',
  },
};
const TERMINATION_GRACE_MS = 45_000;
const { SERVICE_NODE_FLAGS, SERVICE_MALLOC_ENV } = require(
  join(ROOT, 'tools', 'dev-infra', 'lib', 'services.js'),
) as { SERVICE_NODE_FLAGS: readonly string[]; SERVICE_MALLOC_ENV: Record<string, string> };
const { compile } = require(join(ROOT, 'deploy', 'docker', 'compile.js')) as {
  compile: (out: string) => Promise<{ sources: number }>;
};

interface Running {
  service: string;
  port: number;
  child: ChildProcess;
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let db: TestDatabase;
let namespace: string;
let env: Record<string, string>;
const running: Running[] = [];
const CONTRACT = JSON.parse(
  readFileSync(join(ROOT, 'deploy', 'metrics-contract.json'), 'utf8'),
) as {
  metrics: Array<{ name: string; services: string[] }>;
};
let exportedCount = 0;

function start(service: string, port: number): Running {
  const child = spawn(
    process.execPath,
    // The image's CMD: the services' node flags (tools/dev-infra/lib/services.js, pinned against the Dockerfile).
    [...SERVICE_NODE_FLAGS, `dist/apps/${service}/src/main.js`],
    {
      cwd: OUT,
      env: { ...env, ...SERVICE_MALLOC_ENV, PORT: String(port) }, // and the image's ENV
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { service, port, child, output, exit };
}

const tail = (r: Running) => r.output.join('').split('\n').slice(-15).join('\n');

beforeAll(async () => {
  const compiled = await compile(join(OUT, 'dist'));
  expect(compiled.sources).toBeGreaterThan(0);
  db = await createTestDatabase('compiled-images');
  namespace = uniqueKafkaNamespace('compiled-images');
  env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
    HERALD_KAFKA_NAMESPACE: namespace,
    HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
    HERALD_OUTBOX_SLOT: db.name,
    HERALD_SECRETS_KEY: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
}, 120_000);

afterAll(async () => {
  for (const r of running)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await db?.drop();
  if (namespace) await deleteKafkaNamespace(namespace).catch(() => undefined);
  rmSync(OUT, { recursive: true, force: true });
}, 120_000);

describe('compiled services (what the images run)', () => {
  it('the migrate image commands create both schemas', () => {
    for (const service of DB_SERVICES) {
      const r = spawnSync(
        process.execPath,
        ['--enable-source-maps', `dist/apps/${service}/src/migrate.js`],
        {
          cwd: OUT,
          env,
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      expect({
        service,
        status: r.status,
        stderr: r.status === 0 ? '' : r.stderr.slice(-2000),
      }).toEqual({ service, status: 0, stderr: '' });
    }
  }, 180_000);

  it('the "First tenant" commands of docs/operations.md run as the images run them', () => {
    // compose and kubectl run the same `node dist/…/cli.js …` in the container: once each.
    const { compose, kubernetes } = firstTenantCommands();
    const distinct = new Map([...compose, ...kubernetes].map((c) => [c.inContainer.join(' '), c]));
    expect(distinct.size).toBe(2);
    const outputs: Record<string, unknown> = {};
    for (const command of distinct.values()) {
      const [node, cli, ...args] = command.inContainer;
      expect(node).toBe('node');
      const r = spawnSync(process.execPath, ['--enable-source-maps', cli, ...args], {
        cwd: OUT,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect({ command: command.text, status: r.status, stderr: r.stderr }).toEqual({
        command: command.text,
        status: 0,
        stderr: '',
      });
      outputs[args[0]] = JSON.parse(r.stdout.trim());
    }
    expect(outputs['tenant:create']).toMatchObject({
      tenantId: expect.any(String),
      apiKey: expect.stringMatching(/^hk_/),
    });
    expect(outputs['worksection:admin-key']).toMatchObject({
      slug: 'acme',
      adminApiKey: expect.any(String),
    });
  }, 240_000);

  it('each service turns ready, serves /metrics, and exits cleanly on SIGTERM', async () => {
    for (const service of SERVICES) running.push(start(service, await freePort()));
    for (const r of running) {
      await waitFor(
        async () => {
          if (r.child.exitCode !== null)
            throw new Error(`${r.service} exited with ${r.child.exitCode}:\n${tail(r)}`);
          const res = await fetch(`http://127.0.0.1:${r.port}/health/ready`).catch(() => undefined);
          return res?.status === 200;
        },
        { timeoutMs: 150_000, intervalMs: 500, message: `${r.service} ready` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${tail(r)}`);
      });
      const live = await fetch(`http://127.0.0.1:${r.port}/health/live`);
      expect(live.status).toBe(200);
      // The APIs' request histogram (http.server.request.duration): one unauthenticated request
      // to a route of each, then its series with the route template and status.
      const apiRoute = API_ROUTES[r.service];
      if (apiRoute) {
        const answer = await fetch(`http://127.0.0.1:${r.port}${apiRoute.path}`);
        expect(answer.status).toBe(401);
      }
      const metrics = await fetch(`http://127.0.0.1:${r.port}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      if (apiRoute) {
        const series = text
          .split('\n')
          .find(
            (l) =>
              l.startsWith('http_server_request_duration_seconds_count{') &&
              l.includes(`http_route="${apiRoute.route}"`) &&
              l.includes('http_request_method="GET"') &&
              l.includes('http_response_status_code="401"') &&
              l.includes(`service="${r.service}"`),
          );
        expect({ service: r.service, series: series?.replace(/.* /, '') }).toEqual({
          service: r.service,
          series: '1',
        });
        expect(text).toMatch(/http_server_request_duration_seconds_bucket\{[^}]*le="0\.005"/);
        expect(text).not.toMatch(/http_route="\/(health|metrics)/);
      }
      // Every metric the dashboards, alerts and autoscaler may use (deploy/metrics-contract.json,
      // checked against them by deploy/observability.spec.ts) is exported by its services.
      const expected = CONTRACT.metrics
        .filter((m) => m.services.includes(r.service))
        .map((m) => m.name);
      expect(expected.length).toBeGreaterThan(0);
      expect({
        service: r.service,
        missing: expected.filter((name) => !text.includes(`# TYPE ${name} `)),
      }).toEqual({
        service: r.service,
        missing: [],
      });
      exportedCount += expected.length;
      expect(text).toMatch(
        new RegExp(`^process_resident_memory_bytes\\{service="${r.service}"\\} \\d+`, 'm'),
      );
      expect(text).toMatch(
        new RegExp(`^herald_\\w+(\\{[^}]*service="${r.service}"[^}]*\\})? `, 'm'),
      );
    }
    console.log(
      `metrics contract: ${exportedCount} (service, metric) pairs exported by the running services`,
    );
    // The groups the services run, listed while they run: each consumer is a member once its
    // service is ready (readiness waits for the join), and a group with a member is never
    // removed. After SIGTERM the groups are Empty, and the broker deletes an Empty group without
    // committed offsets (most of these: nothing was consumed) at its next periodic clean-up
    // (offsets.retention.check.interval.ms, every 10 min): a list taken then missed groups when
    // the clean-up ran between the services' exit and the list (seen under load).
    const kafka = new Kafka({
      clientId: 'compiled-e2e',
      brokers: env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const namespaced = async () =>
      (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((g) => g.startsWith(`${namespace}.`));
    try {
      const ran = await namespaced();
      const stopped = await Promise.all(
        running.map(async (r) => {
          const started = Date.now();
          r.child.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const exit = await Promise.race([
            r.exit,
            new Promise<'still running'>((resolve) => {
              timer = setTimeout(() => resolve('still running'), TERMINATION_GRACE_MS);
            }),
          ]);
          clearTimeout(timer);
          return { service: r.service, exit, ms: Date.now() - started };
        }),
      );
      console.log(
        `SIGTERM → exit: ${stopped.map((s) => `${s.service} ${JSON.stringify(s.exit)} in ${s.ms} ms`).join(', ')}`,
      );
      // Nest's shutdown hooks close the app, then re-raise the signal: exit by SIGTERM (or 0)
      // after a clean close, never a timeout.
      for (const s of stopped) {
        const clean =
          s.exit !== 'still running' && (s.exit.code === 0 || s.exit.signal === 'SIGTERM');
        expect({ service: s.service, exit: s.exit, clean }).toEqual({
          service: s.service,
          exit: s.exit,
          clean: true,
        });
      }
      // A clean close leaves the consumer groups: none keeps a member (a killed consumer would
      // stay a member until its session times out). A group the broker deleted meanwhile is
      // described as Dead, without members.
      const groupIds = [...new Set([...ran, ...(await namespaced())])];
      expect(groupIds.length).toBeGreaterThan(0);
      const { groups } = await admin.describeGroups(groupIds);
      const withMembers = groups
        .filter((g) => g.members.length > 0)
        .map((g) => `${g.groupId} (${g.state}, ${g.members.length})`);
      console.log(
        `consumer groups after SIGTERM: ${groups.map((g) => `${g.groupId.slice(namespace.length + 1)}=${g.state}`).join(', ')}`,
      );
      expect(withMembers).toEqual([]);
      // The consumer groups the k8s replica bounds are computed from (k8s/tools/consumer-groups.ts)
      // are exactly those the services ran (throw-away groups aside: views, one-off scans).
      const modelled = Object.values(SERVICE_CONSUMER_GROUPS).flatMap((gs) =>
        gs.map((g) => `${namespace}.${g.group}`),
      );
      const longLived = ran.filter((g) => !isThrowAwayGroup(g.slice(namespace.length + 1)));
      expect([...longLived].sort()).toEqual(modelled.sort());
    } finally {
      await admin.disconnect();
    }
  }, 300_000);
});
