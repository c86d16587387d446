import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runArgs } from './fleet';
import type { ReceiverSpec } from './receiver-types';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Tenant {
  tenantId: string;
  userId: string;
  apiKey: string;
  slug: string;
  domain: string;
}

/** What a hook's matching rule looks at: every change of a run is a task event of one tenant. */
export interface ChangeFacts {
  action: 'created' | 'updated' | 'completed';
  projectId: string;
  initiatorUserId: string;
  external: boolean;
}

/**
 * One hook of the run: how it is created (through its dialect's own API), how its receiver
 * answers, and which changes it should receive — the ledger's "expected", written here from the
 * hook's settings, independently of the router's matching code.
 */
export interface HookDef {
  name: string;
  dialect: 'native' | 'proprofs' | 'worksection' | 'procore' | 'ppm-express';
  receiver: ReceiverSpec;
  /** Delivered in order (ordered delivery mode): order is checked per resource. */
  ordered: boolean;
  matches(c: ChangeFacts): boolean;
}

export interface Scenario {
  tenant: Tenant;
  projects: string[];
  hooks: HookDef[];
  /** The hook whose receiver refuses connections for a while. */
  refuser: string;
}

/** `node -r @swc-node/register apps/domain-api/src/cli.ts tenant:create …` */
export async function createTenant(env: Record<string, string>, slug: string): Promise<Tenant> {
  const domain = `${slug}.chaos.example.test`;
  const { stdout } = await run(
    process.execPath,
    [...(await runArgs(path.join('apps', 'domain-api', 'src', 'cli.ts'))), 'tenant:create', '--slug', slug, '--domain', domain, '--admin-name', 'Chaos Admin', '--admin-email', `admin@${domain}`],
    { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
  );
  const t = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Omit<Tenant, 'slug' | 'domain'>;
  return { ...t, slug, domain };
}

interface Answer {
  status: number;
  body: unknown;
}

/** A JSON request; retried while the API key has not reached the registry yet (401) or a service is starting (503). */
export async function call(url: string, method: string, headers: Record<string, string>, body?: unknown, retryMs = 60_000): Promise<Answer> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    let answer: Answer;
    try {
      const res = await fetch(url, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      answer = { status: res.status, body: parsed };
    } catch (e) {
      answer = { status: 0, body: String(e) };
    }
    const retriable = answer.status === 0 || answer.status === 401 || answer.status === 503;
    if (!retriable || Date.now() > deadline) return answer;
    await sleep(250);
  }
}

function expectStatus(what: string, a: Answer, ...ok: number[]): void {
  if (!ok.includes(a.status)) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body).slice(0, 500)}`);
}

/** The hooks of a run: every dialect, an ordered one, and one whose receiver will refuse connections. */
export function hookDefs(tenant: Tenant, orderedProject: string, procoreProject: string, failFirstAttemptRatio: number): HookDef[] {
  const task = (c: ChangeFacts) => c.action === 'created' || c.action === 'updated' || c.action === 'completed';
  return [
    { name: 'native-all', dialect: 'native', receiver: { name: 'native-all', contract: 'native', recordTags: true }, ordered: false, matches: () => true },
    {
      name: 'native-ordered',
      dialect: 'native',
      receiver: { name: 'native-ordered', contract: 'native', recordTags: true, failFirstAttemptRatio },
      ordered: true,
      matches: (c) => task(c) && c.projectId === orderedProject,
    },
    {
      name: 'native-refuser',
      dialect: 'native',
      receiver: { name: 'native-refuser', contract: 'native', recordTags: true },
      ordered: false,
      matches: (c) => c.action === 'created',
    },
    {
      name: 'proprofs',
      dialect: 'proprofs',
      receiver: { name: 'proprofs', contract: 'proprofs', recordTags: true },
      ordered: false,
      // new_task; ProProfs hooks fire only for changes made by the key's user.
      matches: (c) => c.action === 'created' && c.initiatorUserId === tenant.userId,
    },
    {
      name: 'worksection',
      dialect: 'worksection',
      receiver: { name: 'worksection', contract: 'worksection', recordTags: true },
      ordered: false,
      // post_task, update_task, close_task
      matches: task,
    },
    {
      name: 'procore',
      dialect: 'procore',
      receiver: { name: 'procore', contract: 'procore' },
      // Procore's receiver contract: deliveries to one hook are ordered.
      ordered: true,
      // A project-level hook with triggers Tasks create and update (completing a task is an update).
      matches: (c) => task(c) && c.projectId === procoreProject,
    },
    {
      name: 'ppm-express',
      dialect: 'ppm-express',
      receiver: { name: 'ppm-express', contract: 'ppm', requireHeader: { name: 'X-Chaos', value: 'ppm' } },
      ordered: false,
      // Task:Created, Task:Updated (updated, completed, reopened); internal tasks only.
      matches: (c) => task(c) && !c.external,
    },
  ];
}

/**
 * Creates the tenant's projects through the domain API and one hook per `HookDef` through its
 * dialect's own API, each pointing at its receiver.
 */
export async function setUpScenario(opts: {
  env: Record<string, string>;
  domainApi: string;
  registry: string;
  receiverUrl: (name: string) => string;
  projects: number;
  failFirstAttemptRatio: number;
  slug?: string;
}): Promise<Scenario> {
  const slug = opts.slug ?? `chaos-${createHash('sha1').update(String(Date.now())).digest('hex').slice(0, 8)}`;
  const tenant = await createTenant(opts.env, slug);
  const bearer = { authorization: `Bearer ${tenant.apiKey}` };
  const projects: string[] = [];
  for (let i = 0; i < opts.projects; i++) {
    const r = await call(`${opts.domainApi}/v1/projects`, 'POST', bearer, { name: `Chaos project ${i}` });
    expectStatus('POST /v1/projects', r, 201);
    projects.push((r.body as { id: string }).id);
  }
  const [orderedProject, procoreProject] = projects;
  const hooks = hookDefs(tenant, orderedProject, procoreProject, opts.failFirstAttemptRatio);
  const reg = opts.registry;
  /** POSTs a hook to `path` of the registry (a dialect's API) and expects `status`. */
  const postHook = async (what: string, path: string, auth: Record<string, string>, body: unknown, status = 201) =>
    expectStatus(what, await call(`${reg}${path}`, 'POST', auth, body), status);
  const noAutoDisable = { autoDisableAfter: null };
  for (const h of hooks) {
    const url = opts.receiverUrl(h.name);
    switch (h.name) {
      case 'native-all':
        await postHook('native hook', '/v1/webhooks', bearer, { url, eventTypes: ['*'], failurePolicy: noAutoDisable });
        break;
      case 'native-ordered':
        await postHook('ordered hook', '/v1/webhooks', bearer, {
          url,
          eventTypes: ['task.created', 'task.updated', 'task.completed'],
          scope: { kind: 'project', projectId: orderedProject },
          deliveryMode: 'ordered',
          retryPolicy: { scheduleMs: [1_000, 2_000, 5_000], maxAttempts: 50 },
          failurePolicy: noAutoDisable,
        });
        break;
      case 'native-refuser':
        // Default retry schedule (5 s, 30 s, 2 min, …): a 60 s refusal is retried through the tiers.
        await postHook('refuser hook', '/v1/webhooks', bearer, { url, eventTypes: ['task.created'], failurePolicy: noAutoDisable });
        break;
      case 'proprofs':
        await postHook('POST /v2/hooks', '/v2/hooks', { key: tenant.apiKey, domain: tenant.domain }, { target_url: url, event: 'new_task' });
        break;
      case 'worksection': {
        const q = `action=add_webhook&url=${encodeURIComponent(url)}&events=post_task,update_task,close_task`;
        const r = await call(`${reg}/api/oauth2?${q}`, 'GET', bearer);
        if (r.status !== 200 || (r.body as { status?: string }).status !== 'ok') throw new Error(`add_webhook: ${r.status} ${JSON.stringify(r.body)}`);
        break;
      }
      case 'procore': {
        const hook = await call(`${reg}/rest/v1.0/webhooks/hooks`, 'POST', bearer, {
          project_id: procoreProject,
          hook: { api_version: 'v2', namespace: 'procore', destination_url: url },
        });
        expectStatus('Procore hook', hook, 201);
        const id = (hook.body as { id: number }).id;
        const triggers = await call(`${reg}/rest/v1.0/webhooks/hooks/${id}/triggers/bulk`, 'POST', bearer, {
          project_id: procoreProject,
          triggers: [
            { resource_name: 'Tasks', event_type: 'create' },
            { resource_name: 'Tasks', event_type: 'update' },
          ],
        });
        expectStatus('Procore triggers', triggers, 200);
        break;
      }
      case 'ppm-express':
        await postHook(
          'PPM Express webhook',
          `/@${tenant.slug}/v1/Webhooks`,
          bearer,
          {
            eventTypes: ['Task:Created', 'Task:Updated'],
            headers: [{ name: 'X-Chaos', value: 'ppm' }],
            httpVerb: 'POST',
            url,
          },
          200,
        );
        break;
    }
  }
  return { tenant, projects, hooks, refuser: 'native-refuser' };
}
