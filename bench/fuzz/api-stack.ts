import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  deleteKafkaNamespace,
  spawnService,
  startReceiver,
  uniqueKafkaNamespace,
  waitFor,
  type SpawnedService,
  type TestDatabase,
} from '@herald/platform/testing';

/*
 * The two services with a public HTTP API (domain API and subscription registry) on a fresh
 * database and a Kafka namespace of their own, or the ones `npm start` runs; plus a tenant whose
 * admin key (every scope) was made through the domain API's CLI and is known to both.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

export interface ApiStack {
  domainUrl: string;
  registryUrl: string;
  apiKey: string;
  /** The fuzzing tenant (PPM Express puts its slug in the path; ProProfs sends its domain). */
  tenant: { slug: string; domain: string };
  /** A loopback receiver every generated webhook URL is pinned to (answers 200 {"status":"OK"}). */
  receiverUrl: string;
  /** Rows of the fuzzing tenant that generated requests may name (see seedDocument). */
  rows: FuzzRows;
  /** Where the services came from. */
  source: 'own' | 'npm start';
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<Record<string, string>> {
  const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', 'apps/domain-api/src/cli.ts', ...args], {
    cwd: ROOT,
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
}

async function post(url: string, apiKey: string, body: unknown): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id?: string };
  if (res.status !== 201 || !json.id) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json.id;
}

export interface FuzzRows {
  /** The tenant's Procore company id (GET /rest/v1.0/companies). */
  companyId: string;
  projectId: string;
  taskId: string;
  clientId: string;
  portfolioId: string;
  programId: string;
  ideaId: string;
  userId: string;
}

/** One row of each kind a request may name, in the fuzzing tenant. */
async function createRows(domainUrl: string, registryUrl: string, apiKey: string): Promise<FuzzRows> {
  const companies = (await (await fetch(`${registryUrl}/rest/v1.0/companies`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { id: number }[];
  const me = (await (await fetch(`${domainUrl}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { userId: string };
  const clientId = await post(`${domainUrl}/v1/clients`, apiKey, { name: 'Fuzzing' });
  const portfolioId = await post(`${domainUrl}/v1/portfolios`, apiKey, { name: 'Fuzzing' });
  const programId = await post(`${domainUrl}/v1/programs`, apiKey, { name: 'Fuzzing', portfolioId });
  const ideaId = await post(`${domainUrl}/v1/ideas`, apiKey, { name: 'Fuzzing' });
  const projectId = await post(`${domainUrl}/v1/projects`, apiKey, { name: 'Fuzzing', clientId, portfolioId, programId });
  const taskId = await post(`${domainUrl}/v1/tasks`, apiKey, { projectId, name: 'Fuzzing' });
  // Dependents keep the project and the task from being deleted by the stateful phase (409).
  await post(`${domainUrl}/v1/comments`, apiKey, { taskId, body: 'keeps the task' });
  return { companyId: String(companies[0].id), projectId, taskId, clientId, portfolioId, programId, ideaId, userId: me.userId };
}

/**
 * What bench/fuzz/schemathesis.toml reads besides the rows (FUZZ_<ROW>_ID, see `schemathesisEnv`):
 * the key, the tenant and the receiver every generated webhook URL is pinned to. The config file
 * serves both documents, so every run needs all of them (schemathesis refuses to start when one is
 * missing: "Missing environment variable", exit 2, no case run).
 */
export function fuzzEnv(stack: Pick<ApiStack, 'apiKey' | 'tenant' | 'receiverUrl'>): Record<string, string> {
  return {
    FUZZ_API_KEY: stack.apiKey,
    FUZZ_TENANT_SLUG: stack.tenant.slug,
    FUZZ_TENANT_DOMAIN: stack.tenant.domain,
    FUZZ_RECEIVER_URL: `${stack.receiverUrl}/hook`,
  };
}

type Node = Record<string, unknown>;

/**
 * The OpenAPI document as the fuzzer reads it: each property or parameter that names a row
 * (projectId, taskId, userIds, …) gets an `example` that is a row of the fuzzing tenant, and each
 * webhook URL (url, target_url, destination_url) the run's loopback receiver when one is given.
 * The examples and coverage phases start from examples (the coverage phase does not apply
 * schemathesis.toml's body pins); without them every schema-valid body names made-up rows or a
 * host that does not resolve and is refused, which tells nothing about the rest of its validation.
 * The API's own document is not changed.
 */
export function seedDocument(document: Node, rows: FuzzRows, receiverUrl?: string): Node {
  const byName: Record<string, unknown> = {
    projectId: rows.projectId,
    childProjectId: rows.projectId,
    parentId: rows.projectId,
    taskId: rows.taskId,
    clientId: rows.clientId,
    portfolioId: rows.portfolioId,
    programId: rows.programId,
    parentIdeaId: rows.ideaId,
    sponsorId: rows.userId,
    submitterId: rows.userId,
    userId: rows.userId,
    userIds: [rows.userId],
    companyId: rows.companyId,
    company_id: Number(rows.companyId),
    project_id: rows.projectId,
    managerIds: [rows.userId],
    assignedToIds: [rows.userId],
    parentType: 'project',
    projectIds: [rows.projectId],
    ...(receiverUrl ? { url: receiverUrl, target_url: receiverUrl, destination_url: receiverUrl } : {}),
  };
  const seedSchema = (name: string, schema: unknown) => {
    if (name in byName && typeof schema === 'object' && schema !== null) (schema as Node)['example'] = byName[name];
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Node;
    if (n['properties'] && typeof n['properties'] === 'object') {
      for (const [name, schema] of Object.entries(n['properties'] as Node)) seedSchema(name, schema);
    }
    if (typeof n['name'] === 'string' && n['in'] && n['schema']) seedSchema(n['name'], n['schema']);
    for (const v of Object.values(n)) walk(v);
  };
  const copy = JSON.parse(JSON.stringify(document)) as Node;
  walk(copy['paths']);
  return copy;
}

async function createTenant(env: NodeJS.ProcessEnv, registryUrl: string): Promise<{ apiKey: string; slug: string; domain: string }> {
  const slug = `fuzz-${randomUUID().slice(0, 8)}`;
  const t = await cli(env, ['tenant:create', '--slug', slug, '--domain', `${slug}.example.test`, '--admin-name', 'Fuzz Admin', '--admin-email', `admin@${slug}.example.test`]);
  const apiKey = t['apiKey'];
  if (!apiKey) throw new Error('tenant:create printed no apiKey');
  // The key reaches the registry over herald.principals.v1.
  await waitFor(
    async () => (await fetch(`${registryUrl}/v1/webhooks`, { headers: { authorization: `Bearer ${apiKey}` } })).status === 200,
    { timeoutMs: 60_000, message: 'the registry knows the new API key' },
  );
  return { apiKey, slug, domain: `${slug}.example.test` };
}

/**
 * `reuse` (default: when both answer): the services of `npm start` on DOMAIN_API_PORT /
 * REGISTRY_PORT (3000 / 3001); else both started here, as processes, and stopped by stop().
 */
export async function startApiStack(label: string, opts: { reuse?: boolean; log?: (l: string) => void } = {}): Promise<ApiStack> {
  const log = opts.log ?? (() => undefined);
  const domainPort = Number(process.env['DOMAIN_API_PORT'] ?? 3000);
  const registryPort = Number(process.env['REGISTRY_PORT'] ?? 3001);
  const running = { domain: `http://127.0.0.1:${domainPort}`, registry: `http://127.0.0.1:${registryPort}` };
  if (opts.reuse !== false && (await answers(running.domain)) && (await answers(running.registry))) {
    log(`using the services npm start runs (${running.domain}, ${running.registry})`);
    const receiver = await startReceiver();
    const { apiKey, slug, domain } = await createTenant({ ...process.env }, running.registry);
    const rows = await createRows(running.domain, running.registry, apiKey);
    const stop = () => receiver.close();
    return { domainUrl: running.domain, registryUrl: running.registry, apiKey, tenant: { slug, domain }, receiverUrl: receiver.url, rows, source: 'npm start', stop };
  }

  const namespace = uniqueKafkaNamespace(label);
  let database: TestDatabase | undefined;
  const services: SpawnedService[] = [];
  const receiver = await startReceiver();
  const stop = async () => {
    await receiver.close();
    await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
    await database?.drop().catch(() => undefined);
    await deleteKafkaNamespace(namespace).catch(() => undefined);
  };
  try {
    database = await createTestDatabase(label);
    const env: Record<string, string> = {
      DATABASE_URL: database.url,
      HERALD_KAFKA_NAMESPACE: namespace,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '1',
      HERALD_OUTBOX_SLOT: `outbox_${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63),
      // Webhook URLs are pinned to the run's loopback receiver (schemathesis.toml): a URL Herald may
      // call depends on DNS and cannot be said by a schema. Other loopback URLs a negative case
      // makes may be accepted too; nothing delivers in this stack (no router, no dispatcher).
      HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
      LOG_LEVEL: 'warn',
    };
    const childEnv = { ...process.env, ...env };
    log('migrating a fresh database…');
    for (const app of ['domain-api', 'subscription-registry']) {
      await run(process.execPath, ['-r', '@swc-node/register', `apps/${app}/src/migrate.ts`], { cwd: ROOT, env: childEnv });
    }
    log('starting domain-api and subscription-registry…');
    services.push(...(await Promise.all(['domain-api', 'subscription-registry'].map((app) => spawnService(app, env)))));
    const [domain, registry] = services;
    const { apiKey, slug, domain: tenantDomain } = await createTenant(childEnv, registry.url);
    const rows = await createRows(domain.url, registry.url, apiKey);
    return { domainUrl: domain.url, registryUrl: registry.url, apiKey, tenant: { slug, domain: tenantDomain }, receiverUrl: receiver.url, rows, source: 'own', stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
