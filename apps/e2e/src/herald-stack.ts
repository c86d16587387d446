import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  bearerJson,
  createTestDatabase,
  deleteKafkaNamespace,
  spawnService,
  uniqueKafkaNamespace,
  waitFor,
  type SpawnedService,
  type TestDatabase,
} from '@herald/platform/testing';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVICES = [
  'domain-api',
  'subscription-registry',
  'event-router',
  'delivery-dispatcher',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface Tenant {
  tenantId: string;
  userId: string;
  apiKey: string;
}

/**
 * The four services as separate processes over the real broker, on a fresh database and a Kafka
 * namespace of their own: what a cross-service e2e test (or the benchmark) stands on.
 */
export class HeraldStack {
  readonly services = new Map<ServiceName, SpawnedService>();

  private constructor(
    readonly namespace: string,
    readonly database: TestDatabase,
    readonly env: Record<string, string>,
  ) {}

  /** `envByService`: variables for one service only (e.g. the domain API's PORT and the router's HERALD_PUBLIC_BASE_URL). */
  static async start(
    label: string,
    extraEnv: Record<string, string> = {},
    envByService: Partial<Record<ServiceName, Record<string, string>>> = {},
  ): Promise<HeraldStack> {
    const namespace = uniqueKafkaNamespace(label);
    const database = await createTestDatabase(label);
    const env = {
      DATABASE_URL: database.url,
      HERALD_KAFKA_NAMESPACE: namespace,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
      HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
      // Replication slots are cluster-wide: each stack its own (dropped with its database).
      HERALD_OUTBOX_SLOT: `outbox_${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(
        0,
        63,
      ),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const stack = new HeraldStack(namespace, database, env);
    try {
      await Promise.all(
        ['domain-api', 'subscription-registry'].map((app) =>
          stack.node(`apps/${app}/src/migrate.ts`),
        ),
      );
      const started = await Promise.all(
        SERVICES.map((app) => spawnService(app, { ...env, ...envByService[app] })),
      );
      started.forEach((s, i) => stack.services.set(SERVICES[i], s));
    } catch (e) {
      await stack.stop();
      throw e;
    }
    return stack;
  }

  url(service: ServiceName): string {
    const s = this.services.get(service);
    if (!s) throw new Error(`${service} is not running`);
    return s.url;
  }

  /** `tenant:create` through the domain API's CLI: a tenant, its admin and an API key. */
  async createTenant(slug: string, domain = `${slug}.example.test`): Promise<Tenant> {
    const out = await this.node('apps/domain-api/src/cli.ts', [
      'tenant:create',
      '--slug',
      slug,
      '--domain',
      domain,
      '--admin-name',
      'Ada Admin',
      '--admin-email',
      `admin@${slug}.example.test`,
    ]);
    return JSON.parse(out.trim().split('\n').pop() ?? '') as Tenant;
  }

  /** The domain API's CLI (`user:create`, `key:create`…); resolves with its last stdout line, parsed. */
  async cli<T = Record<string, unknown>>(args: string[]): Promise<T> {
    const out = await this.node('apps/domain-api/src/cli.ts', args);
    return JSON.parse(out.trim().split('\n').pop() ?? '') as T;
  }

  /** A JSON request to one of the services; resolves with the status and the parsed body. */
  async call<T = Record<string, unknown>>(
    service: ServiceName,
    method: string,
    urlPath: string,
    apiKey: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    return bearerJson<T>(`${this.url(service)}${urlPath}`, method, apiKey, body);
  }

  /** The value of one unlabelled-or-first sample of a metric on a service's /metrics. */
  async metric(service: ServiceName, name: string): Promise<number | undefined> {
    const text = await (await fetch(`${this.url(service)}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /** Resolves once the router routes to at least `count` subscriptions. */
  async routerHasSubscriptions(count: number): Promise<void> {
    await waitFor(
      async () =>
        ((await this.metric('event-router', 'herald_router_subscriptions')) ?? 0) >= count,
      {
        timeoutMs: 30_000,
        message: `event-router holds ${count} subscription(s)`,
      },
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.stop().catch(() => undefined)));
    this.services.clear();
    await this.database.drop().catch(() => undefined);
    await deleteKafkaNamespace(this.namespace).catch(() => undefined);
  }

  private async node(entry: string, args: string[] = []): Promise<string> {
    const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', entry, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }
}

/** What a service answered: status, content type, the body as text and as JSON (undefined when it is not JSON). */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}
