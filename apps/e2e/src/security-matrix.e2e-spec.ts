import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createDomainApiClient, createRegistryClient, type DomainApiClient, type RegistryClient } from '@herald/client';
import type { AuthDoc, AuthFailure } from '@herald/platform/http';
import { startReceiver, waitFor, type Receiver } from '@herald/platform/testing';
import { HeraldStack, answerOf, type Answer, type ServiceName, type Tenant } from './herald-stack';

/*
 * Issue 13.4, the security matrix: EVERY operation of both served OpenAPI documents (so a new
 * route is covered the day it is documented) × (no key, a malformed key, a revoked key, a key
 * without the scope, another tenant's key) is refused exactly as its document says — the status
 * in `x-herald-auth`, Worksection's status_code in its HTTP 200 envelope, and a body that matches
 * the documented answer for that status (each dialect's own error shape). A key of the right
 * tenant and scope (the control) is not refused, so a 404 for another tenant's key means "not
 * yours", not "no such row". Every request names real rows of tenant A: a hook of each dialect,
 * a delivery, a replay job, a row of each domain resource. README: "Security matrix".
 */
jest.setTimeout(600_000);

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const ALL_SCOPES = ['read', 'write', 'webhooks', 'administrative'] as const;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

type Json = Record<string, unknown>;
interface Operation {
  service: ServiceName;
  method: string;
  path: string;
  auth: AuthDoc;
  /** The scheme sets the document allows (each a way to send a key). */
  styles: Style[];
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
type Style = 'bearer' | 'proprofs' | 'hash';
type Case = 'noKey' | 'malformedKey' | 'revokedKey' | 'missingScope' | 'otherTenant';

/** What a request carries to authenticate, by style. */
type Credential = { kind: 'none' } | { kind: 'key'; key: string; domain: string } | { kind: 'raw'; key: string; domain: string } | { kind: 'admin-key'; adminKey: string } | { kind: 'bad-hash' };

interface TenantKeys extends Tenant {
  slug: string;
  domain: string;
  adminKey: string;
}

describe('security matrix: every documented operation × every way of being refused', () => {
  let stack: HeraldStack;
  let receiver: Receiver;
  let a: TenantKeys;
  let b: TenantKeys;
  let domainA: DomainApiClient;
  let registryA: RegistryClient;
  let revokedKey: string;
  let revokedAdminKey: string;
  /** A's keys lacking every scope of a set (by the set, sorted and joined). */
  const withoutScopes = new Map<string, string>();
  const operations: Operation[] = [];
  /** Path parameters and request bodies naming A's rows. */
  const rows: Record<string, string | number> = {};
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);

  const url = (service: ServiceName) => stack.url(service);

  beforeAll(async () => {
    stack = await HeraldStack.start('secmatrix');
    receiver = await startReceiver();
    const [ta, tb] = await Promise.all(['a', 'b'].map((x) => stack.createTenant(`sm${x}-${randomUUID().slice(0, 8)}`)));
    a = { ...ta, slug: '', domain: '', adminKey: '' };
    b = { ...tb, slug: '', domain: '', adminKey: '' };
    domainA = createDomainApiClient(url('domain-api'), { apiKey: a.apiKey });
    registryA = createRegistryClient(url('subscription-registry'), { apiKey: a.apiKey });
    for (const t of [a, b]) {
      const me = (await createDomainApiClient(url('domain-api'), { apiKey: t.apiKey }).GET('/v1/me')).data as Json;
      const tenant = me['tenant'] as Json;
      t.slug = String(tenant['slug']);
      t.domain = String(tenant['domain']);
    }

    // The documents, as served.
    for (const service of ['domain-api', 'subscription-registry'] as const) {
      const doc = (await (await fetch(`${url(service)}${service === 'domain-api' ? '/openapi.json' : '/v1/webhooks/openapi.json'}`)).json()) as Json;
      for (const [p, item] of Object.entries(doc['paths'] as Record<string, Json>)) {
        for (const method of METHODS) {
          const op = item[method] as Json | undefined;
          if (!op) continue;
          const auth = op['x-herald-auth'] as AuthDoc | undefined;
          const security = op['security'] as Record<string, string[]>[] | undefined;
          // Public operations (health, metrics, the event catalog) have no security and no x-herald-auth.
          expect({ op: `${method} ${p}`, secured: Boolean(security?.length), described: Boolean(auth) }).toEqual({ op: `${method} ${p}`, secured: Boolean(auth), described: Boolean(auth) });
          if (!auth || !security) continue;
          const styles = [...new Set(security.map((req): Style => ('worksectionHash' in req ? 'hash' : 'proprofsKey' in req ? 'proprofs' : 'bearer')))];
          operations.push({ service, method, path: p, auth, styles, responses: op['responses'] as Operation['responses'] });
        }
      }
    }

    // Keys: a revoked one, and for each scope set one without any of its scopes.
    const key = async (scopes: string[]) => {
      const r = await domainA.POST('/v1/api-keys', { body: { scopes: scopes as ('read' | 'write' | 'webhooks' | 'administrative')[], label: `matrix ${scopes.join(',')}` } });
      expect(r.response.status).toBe(201);
      const created = r.data as unknown as { id: string; apiKey: string };
      return created;
    };
    const revoked = await key([...ALL_SCOPES]);
    revokedKey = revoked.apiKey;
    for (const op of operations) {
      const set = [...op.auth.scopes].sort().join(',');
      if (!op.auth.missingScope || withoutScopes.has(set)) continue;
      const rest = ALL_SCOPES.filter((s) => !op.auth.scopes.includes(s));
      withoutScopes.set(set, (await key(rest)).apiKey);
    }
    const spare = await key(['read']);
    rows['apiKey'] = spare.id;
    expect((await domainA.DELETE('/v1/api-keys/{id}', { params: { path: { id: revoked.id } } })).response.status).toBe(200);

    // Worksection admin keys: A's first one is rotated away (revoked), A's second and B's are live.
    const adminKey = async (slug: string) => {
      const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', 'apps/subscription-registry/src/cli.ts', 'worksection:admin-key', '--tenant', slug], {
        cwd: ROOT,
        env: { ...process.env, ...stack.env },
      });
      return (JSON.parse(stdout.trim()) as { adminApiKey: string }).adminApiKey;
    };
    [revokedAdminKey, b.adminKey] = await Promise.all([adminKey(a.slug), adminKey(b.slug)]);
    a.adminKey = await adminKey(a.slug);

    // The registry knows every key (principals arrive over Kafka), and no longer the revoked one.
    const companies = (apiKey: string) => fetch(`${url('subscription-registry')}/rest/v1.0/companies`, { headers: { authorization: `Bearer ${apiKey}` } }).then((r) => r.status);
    await waitFor(async () => (await Promise.all([a.apiKey, b.apiKey, ...withoutScopes.values()].map(companies))).every((s) => s === 200), {
      timeoutMs: 60_000,
      message: 'the registry knows every key',
    });
    await waitFor(async () => (await companies(revokedKey)) === 401, { timeoutMs: 60_000, message: 'the registry refuses the revoked key' });

    await createRows();
  });

  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  /** One row of each kind every path parameter and body may name, all tenant A's. */
  async function createRows(): Promise<void> {
    const post = async (p: string, body: Json) => {
      const r = await fetch(`${url('domain-api')}${p}`, { method: 'POST', headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const j = (await r.json()) as Json;
      expect({ p, status: r.status }).toEqual({ p, status: 201 });
      return String(j['id']);
    };
    rows['portfolios'] = await post('/v1/portfolios', { name: 'Matrix' });
    rows['programs'] = await post('/v1/programs', { name: 'Matrix' });
    rows['projects'] = await post('/v1/projects', { name: 'Matrix' });
    rows['project-templates'] = await post('/v1/project-templates', { name: 'Matrix' });
    rows['tasks'] = await post('/v1/tasks', { projectId: rows['projects'], name: 'Matrix' });
    rows['subtasks'] = await post('/v1/subtasks', { taskId: rows['tasks'], name: 'Matrix' });
    rows['comments'] = await post('/v1/comments', { taskId: rows['tasks'], body: 'Matrix' });
    rows['clients'] = await post('/v1/clients', { name: 'Matrix' });
    rows['calendar-events'] = await post('/v1/calendar-events', { title: 'Matrix', startAt: new Date().toISOString() });
    rows['ideas'] = await post('/v1/ideas', { name: 'Matrix' });
    rows['key-dates'] = await post('/v1/key-dates', { parentType: 'project', parentId: rows['projects'], name: 'Matrix', date: new Date().toISOString() });
    rows['users'] = await post('/v1/users', { fullName: 'Matrix User', email: `matrix-${randomUUID().slice(0, 6)}@example.test` });

    // A native hook with a delivery and a replay job.
    const hook = await registryA.POST('/v1/webhooks', { body: { url: `${receiver.url}/native`, eventTypes: ['task.updated'] } });
    expect(hook.response.status).toBe(201);
    rows['webhooks'] = hook.data!.id;
    await stack.routerHasSubscriptions(1);
    expect((await domainA.PATCH('/v1/tasks/{id}', { params: { path: { id: String(rows['tasks']) } }, body: { name: 'Matrix, delivered' } })).response.status).toBe(200);
    rows['deliveries'] = await waitFor(
      async () => {
        const r = await registryA.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: String(rows['webhooks']) } } });
        return ((r.data as unknown as { data?: { deliveryId?: string; id?: string }[] })?.data ?? []).map((d) => d.deliveryId ?? d.id)[0];
      },
      { timeoutMs: 60_000, message: 'a delivery in the log' },
    );
    const job = await registryA.POST('/v1/webhooks/{id}/replay', { params: { path: { id: String(rows['webhooks']) } }, body: { since: new Date(Date.now() - 3_600_000).toISOString() } });
    expect(job.response.status).toBe(202);
    rows['jobs'] = String((job.data as unknown as Json)['id']);

    // Procore: the company, a company hook and a project hook, each with triggers.
    const companies = await registryA.GET('/rest/v1.0/companies');
    rows['company'] = companies.data![0].id;
    for (const [name, scope] of [
      ['procoreHook', { company_id: rows['company'] }],
      ['procoreProjectHook', { project_id: rows['projects'] }],
    ] as const) {
      const h = await registryA.POST('/rest/v1.0/webhooks/hooks', { body: { ...scope, hook: { destination_url: `${receiver.url}/procore`, api_version: 'v2.0' } } });
      expect(h.response.status).toBe(201);
      rows[name] = h.data!.id;
      const t = await registryA.POST('/rest/v1.0/webhooks/hooks/{hookId}/triggers/bulk', {
        params: { path: { hookId: String(h.data!.id) } },
        body: { ...scope, triggers: ['Tasks', 'Comments', 'Ideas', 'Clients', 'Projects', 'Subtasks'].map((resource_name) => ({ resource_name, event_type: 'create' })) },
      });
      expect(t.response.status).toBe(200);
    }
    // PPM Express, ProProfs, Worksection (the settings page's hook).
    const ppm = await registryA.POST('/@{tenant}/{apiVersion}/Webhooks', { params: { path: { tenant: a.slug, apiVersion: 'v1' } }, body: { eventTypes: ['Task:Created'], url: `${receiver.url}/ppm` } });
    expect(ppm.response.status).toBe(200);
    rows['ppm'] = ppm.data!.data.id;
    const pp = await fetch(`${url('subscription-registry')}/v2/hooks`, {
      method: 'POST',
      headers: { key: a.apiKey, domain: a.domain, 'content-type': 'application/json' },
      body: JSON.stringify({ target_url: `${receiver.url}/proprofs`, event: 'new_task' }),
    });
    expect(pp.status).toBe(201);
    rows['proprofs'] = String(((await pp.json()) as Json)['id']);
    const ws = await registryA.POST('/api/settings/webhooks', { body: { url: `${receiver.url}/ws`, events: ['post_task'] } });
    expect((ws.data as unknown as Json)['status']).toBe('ok');
    rows['worksection'] = Number((ws.data as unknown as Json)['id']);
  }

  /** The value of a path parameter: one of A's rows, chosen by the path it is in. */
  async function param(p: string, name: string): Promise<string> {
    const procoreHook = () => String(p.includes('/projects/{projectId}/') ? rows['procoreProjectHook'] : rows['procoreHook']);
    const v = (() => {
      if (name === 'companyId') return rows['company'];
      if (name === 'projectId') return rows['projects'];
      if (name === 'tenant') return a.slug;
      if (name === 'apiVersion') return 'v1';
      if (name === 'jobId') return rows['jobs'];
      if (name === 'kind') return 'projects';
      if (name === 'hookId' && p.startsWith('/rest/')) return procoreHook();
      if (name === 'id' && p.startsWith('/v2/{kind}')) return rows['projects'];
      if (name === 'id' && p.startsWith('/rest/') && /\/triggers\/\{id\}$/.test(p)) return undefined;
      if (name === 'id' && p.startsWith('/rest/')) return procoreHook();
      if (name === 'id' && p.startsWith('/@')) return rows['ppm'];
      if (name === 'id' && p.startsWith('/v2/hooks')) return rows['proprofs'];
      if (name === 'id' && p.startsWith('/api/settings/webhooks')) return rows['worksection'];
      if (name === 'id' && p.startsWith('/v1/api-keys')) return rows['apiKey'];
      const resource = /^\/v1\/([a-z-]+)\/\{id\}/.exec(p)?.[1];
      if (name === 'id' && resource) return rows[resource];
      return undefined;
    })();
    if (v !== undefined) return String(v);
    if (name === 'id' && /\/triggers\/\{id\}$/.test(p)) return String((await lastTrigger(procoreHook())) ?? 0);
    throw new Error(`no row for {${name}} in ${p}: add one to the security matrix's param()`);
  }

  /** The hook's last trigger (deleting the last one shifts no other trigger's id). */
  async function lastTrigger(hookId: string): Promise<number | undefined> {
    const companyId = String(rows['company']);
    if (hookId === String(rows['procoreProjectHook'])) {
      const r = await registryA.GET('/rest/v2.0/companies/{companyId}/projects/{projectId}/webhooks/hooks/{hookId}/triggers', {
        params: { path: { companyId, projectId: String(rows['projects']), hookId } },
      });
      const id = r.data?.data.at(-1)?.id;
      return id === undefined ? undefined : Number(id);
    }
    const r = await registryA.GET('/rest/v1.0/webhooks/hooks/{hookId}/triggers', { params: { path: { hookId }, query: { company_id: Number(companyId) } } });
    return r.data?.at(-1)?.id;
  }

  /** Query parameters every request of the operation carries (the scope of Procore's v1.0 routes, a Worksection action…). */
  function query(op: Operation): Record<string, string> {
    if (op.path.startsWith('/rest/v1.0/webhooks')) return { company_id: String(rows['company']), api_version: 'v2.0' };
    if (op.path.startsWith('/rest/v2.0/') && op.path.endsWith('/resources')) return { payload_version: 'v2.0' };
    if (op.path.startsWith('/api/admin/v2') || op.path.startsWith('/api/oauth2')) return { action: 'get_webhooks' };
    return {};
  }

  /** A valid body naming A's rows, for the operations that read one. */
  async function body(op: Operation): Promise<unknown> {
    const company = Number(rows['company']);
    const v1 = op.path.startsWith('/rest/v1.0/') ? { company_id: company } : {};
    const procoreHookId = op.path.includes('/projects/{projectId}/') ? String(rows['procoreProjectHook']) : String(rows['procoreHook']);
    const key = `${op.method} ${op.path.replace(/^\/rest\/v2\.0\/companies\/\{companyId\}(\/projects\/\{projectId\})?/, '/rest/v2.0')}`;
    switch (key) {
      case 'post /v1/webhooks':
        return { url: `${receiver.url}/native-2`, eventTypes: ['task.created'] };
      case 'patch /v1/webhooks/{id}':
        return { eventTypes: ['task.updated', 'task.created'] };
      case 'post /v1/webhooks/{id}/replay':
        return { since: new Date(Date.now() - 3_600_000).toISOString() };
      case 'post /rest/v1.0/webhooks/hooks':
        return { company_id: company, hook: { destination_url: `${receiver.url}/procore-2`, api_version: 'v2.0' } };
      case 'patch /rest/v1.0/webhooks/hooks/{id}':
        return { company_id: company, hook: { namespace: 'procore' } };
      case 'post /rest/v1.0/webhooks/hooks/{hookId}/triggers':
        return { ...v1, trigger: { resource_name: 'Tasks', event_type: 'update' } };
      case 'post /rest/v1.0/webhooks/hooks/{hookId}/triggers/bulk':
        return { ...v1, triggers: [{ resource_name: 'Tasks', event_type: 'delete' }] };
      case 'delete /rest/v1.0/webhooks/hooks/{hookId}/triggers/bulk':
        return { ...v1, trigger_ids: [(await lastTrigger(procoreHookId)) ?? 1] };
      case 'post /rest/v2.0/webhooks/hooks':
        return { payload_version: 'v4.0', namespace: 'procore', destination_url: `${receiver.url}/procore-3` };
      case 'patch /rest/v2.0/webhooks/hooks/{id}':
        return { namespace: 'procore' };
      case 'post /rest/v2.0/webhooks/hooks/{hookId}/triggers':
        return { resource_name: 'Ideas', event_type: 'update' };
      case 'post /rest/v2.0/webhooks/hooks/{hookId}/triggers/bulk':
        return { triggers: [{ resource_name: 'Ideas', event_type: 'delete' }] };
      case 'delete /rest/v2.0/webhooks/hooks/{hookId}/triggers/bulk':
        return [(await lastTrigger(procoreHookId)) ?? 1];
      case 'post /@{tenant}/{apiVersion}/Webhooks':
        return { eventTypes: ['Task:Updated'], url: `${receiver.url}/ppm-2` };
      case 'post /v2/hooks':
        return { target_url: `${receiver.url}/proprofs-${randomUUID()}`, event: 'new_project' };
      case 'post /api/settings/webhooks':
        return { url: `${receiver.url}/ws-2`, events: ['post_project'] };
      default:
        return ['post', 'patch', 'put'].includes(op.method) ? {} : undefined;
    }
  }

  async function send(op: Operation, style: Style, credential: Credential): Promise<Answer> {
    let p = op.path;
    for (const m of op.path.matchAll(/\{([^}]+)\}/g)) p = p.replace(m[0], encodeURIComponent(await param(op.path, m[1])));
    let q = new URLSearchParams(query(op)).toString();
    const headers: Record<string, string> = {};
    if (credential.kind === 'key' || credential.kind === 'raw') {
      if (style === 'proprofs') {
        headers['key'] = credential.key;
        headers['domain'] = credential.domain;
      } else headers['authorization'] = credential.kind === 'raw' ? credential.key : `Bearer ${credential.key}`;
    }
    // Worksection's admin API: the Host names the account (tenant A's; X-Forwarded-Host, as fetch cannot set Host).
    if (style === 'hash') headers['x-forwarded-host'] = `${a.slug}.localhost`;
    if (credential.kind === 'admin-key') q += `&hash=${createHash('md5').update(q + credential.adminKey).digest('hex')}`;
    if (credential.kind === 'bad-hash') q += '&hash=not-an-md5-hash';
    const b = await body(op);
    if (b !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url(op.service)}${p}${q ? `?${q}` : ''}`, { method: op.method.toUpperCase(), headers, body: b === undefined ? undefined : JSON.stringify(b) });
    return answerOf(res);
  }

  function credentialFor(c: Case | 'control', style: Style, op: Operation): Credential | undefined {
    if (c === 'noKey') return { kind: 'none' };
    if (style === 'hash') {
      if (c === 'malformedKey') return { kind: 'bad-hash' };
      if (c === 'revokedKey') return { kind: 'admin-key', adminKey: revokedAdminKey };
      if (c === 'otherTenant') return { kind: 'admin-key', adminKey: b.adminKey };
      if (c === 'control') return { kind: 'admin-key', adminKey: a.adminKey };
      return undefined;
    }
    if (c === 'malformedKey') return style === 'proprofs' ? { kind: 'key', key: 'not-a-herald-key', domain: a.domain } : { kind: 'raw', key: 'Bearer not-a-herald-key', domain: '' };
    if (c === 'revokedKey') return { kind: 'key', key: revokedKey, domain: a.domain };
    if (c === 'missingScope') return { kind: 'key', key: withoutScopes.get([...op.auth.scopes].sort().join(','))!, domain: a.domain };
    if (c === 'otherTenant') return { kind: 'key', key: b.apiKey, domain: b.domain };
    return { kind: 'key', key: a.apiKey, domain: a.domain };
  }

  /** What is wrong with a refusal, or undefined: the status, Worksection's status_code, the documented body. */
  function refusalProblem(op: Operation, expected: AuthFailure, got: Answer): string | undefined {
    if (got.status !== expected.status) return `status ${got.status} (expected ${expected.status}): ${got.text.slice(0, 200)}`;
    const body = got.json as Json | undefined;
    if (expected.statusCode !== undefined && (body?.['status'] !== 'error' || body?.['status_code'] !== expected.statusCode)) {
      return `body ${got.text.slice(0, 200)} (expected status_code ${expected.statusCode})`;
    }
    const documented = op.responses[String(expected.status)]?.content;
    if (!documented) return `status ${expected.status} is not documented`;
    const [type, media] = Object.entries(documented)[0];
    if (!got.contentType.includes(type)) return `content-type ${got.contentType} (documented ${type})`;
    if (media.schema && !ajv.validate(media.schema, body)) return `body ${got.text.slice(0, 200)} does not match the documented ${expected.status}: ${ajv.errorsText()}`;
    return undefined;
  }

  /** Every (operation, style) of the matrix's case, with what the document says. */
  const cells = (c: Case) =>
    operations.flatMap((op) =>
      op.styles.flatMap((style) => {
        const expected = op.auth[c];
        // noKey is one request whatever the style.
        if (!expected || (c === 'noKey' && style !== op.styles[0])) return [];
        return [{ op, style, expected }];
      }),
    );

  const refusals: Case[] = ['noKey', 'malformedKey', 'revokedKey', 'missingScope'];
  it.each(refusals)('%s: refused as documented by every operation', async (c) => {
    const problems: string[] = [];
    const all = cells(c);
    for (const { op, style, expected } of all) {
      const credential = credentialFor(c, style, op);
      if (!credential) continue;
      const problem = refusalProblem(op, expected as AuthFailure, await send(op, style, credential));
      if (problem) problems.push(`${op.method.toUpperCase()} ${op.path} (${style}): ${problem}`);
    }
    expect(problems).toEqual([]);
    // The matrix covers both documents, every dialect among them.
    expect(new Set(all.map((x) => x.op.service))).toEqual(new Set(['domain-api', 'subscription-registry']));
  });

  it("otherTenant: another tenant's key is refused as documented, or acts on its own tenant and sees nothing of this one", async () => {
    const problems: string[] = [];
    // A's ids that would betray a leak (integers of a few digits could be B's own).
    const secrets = Object.values(rows).map(String).filter((v) => v.length >= 8);
    for (const { op, style, expected } of cells('otherTenant')) {
      const got = await send(op, style, credentialFor('otherTenant', style, op)!);
      const where = `${op.method.toUpperCase()} ${op.path} (${style})`;
      if ('own' in expected) {
        const ws = (got.json as Json | undefined)?.['status_code'];
        if (got.status >= 500 || got.status === 401 || got.status === 403 || ws === 2) problems.push(`${where}: refused or failed (${got.status} ${got.text.slice(0, 200)}), expected it to act on its own tenant`);
        const leaked = secrets.filter((s) => got.text.includes(s));
        if (leaked.length) problems.push(`${where}: shows tenant A's ${leaked.join(', ')}`);
      } else {
        const problem = refusalProblem(op, expected, got);
        if (problem) problems.push(`${where}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('control: a key of the tenant with the scope is not refused (so each 404 above is "not yours")', async () => {
    const problems: string[] = [];
    const same = (op: Operation) => operations.some((o) => o.service === op.service && o.method === 'get' && o.path === op.path);
    // Deletes last, and only where no GET of the same path already showed the row is there.
    const ordered = [...operations.filter((o) => o.method !== 'delete'), ...operations.filter((o) => o.method === 'delete' && !same(o))];
    for (const op of ordered) {
      for (const style of op.styles) {
        const got = await send(op, style, credentialFor('control', style, op)!);
        const ws = (got.json as Json | undefined)?.['status_code'];
        const refused = got.status >= 500 || [401, 403].includes(got.status) || (got.status === 404 && !('own' in op.auth.otherTenant)) || ws === 2 || ws === 5;
        if (refused) problems.push(`${op.method.toUpperCase()} ${op.path} (${style}): ${got.status} ${got.text.slice(0, 300)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
