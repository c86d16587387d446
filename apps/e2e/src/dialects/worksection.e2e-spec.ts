import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startReceiver, waitFor, type ReceivedRequest, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from '../herald-stack';

// Issue 6, Worksection: the seed's flow (add_webhook / get_webhooks / delete_webhook with the
// admin-key hash and with an OAuth2 Bearer key, the settings page's disabled start, the URL
// check) and its receiver contract, against the four services as processes.
jest.setTimeout(300_000);

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

interface Envelope {
  status: string;
  status_code?: number;
  message?: string;
  message_details?: string;
  id?: number;
  data?: { id: string; url: string; events: string; status: string; projects?: string }[];
}

interface ActionRecord {
  action: string;
  object: { type: string; id: string; parent_id?: string };
  project: { id: string; name?: string } | null;
  user: { id: string; name: string; email: string };
  date: string;
  new: Record<string, unknown>;
  old: Record<string, unknown>;
}

const isAction = (r: ReceivedRequest) => {
  try {
    return typeof r.json<{ action?: unknown }>().action === 'string';
  } catch {
    return false;
  }
};

describe('Worksection dialect', () => {
  let stack: HeraldStack;
  let tenant: Tenant;
  let slug: string;
  let adminKey: string;
  let receiver: Receiver;

  beforeAll(async () => {
    stack = await HeraldStack.start('worksection');
    slug = `ws-${randomUUID().slice(0, 8)}`;
    tenant = await stack.createTenant(slug);
    receiver = await startReceiver();
    // A URL under /bad never answers {"status":"OK"}.
    receiver.respondWith((r) => (r.path.startsWith('/bad') ? { status: 500, body: 'nope' } : undefined));
    // `npm run -s herald -- worksection:admin-key --tenant <slug>`
    const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', 'apps/subscription-registry/src/cli.ts', 'worksection:admin-key', '--tenant', slug], {
      cwd: ROOT,
      env: { ...process.env, ...stack.env },
    });
    const printed = JSON.parse(stdout.trim()) as { tenantId: string; slug: string; adminApiKey: string };
    expect(printed).toMatchObject({ tenantId: tenant.tenantId, slug });
    expect(printed.adminApiKey).toMatch(/^[0-9a-f]{32}$/);
    adminKey = printed.adminApiKey;
    // The registry knows the tenant once its principals arrived.
    await waitFor(async () => (await oauth('action=get_webhooks')).status === 'ok', { timeoutMs: 30_000, message: 'registry knows the tenant' });
  });

  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  const registry = () => stack.url('subscription-registry');

  /**
   * GET https://<account>/api/admin/v2/?<query>&hash=md5(<query> + <admin api key>): the account
   * is the host's first label (fetch cannot set Host: a proxy's X-Forwarded-Host says it).
   */
  async function admin(query: string, key = adminKey, method = 'GET', account: string | null = `${slug}.localhost`): Promise<{ http: number; body: Envelope }> {
    const hash = createHash('md5').update(query + key).digest('hex');
    const res = await fetch(`${registry()}/api/admin/v2/?${query}&hash=${hash}`, { method, headers: account ? { 'x-forwarded-host': account } : {} });
    return { http: res.status, body: (await res.json()) as Envelope };
  }

  /** curl -X GET -H "Authorization: Bearer <token>" https://<account>/api/oauth2?<query> */
  async function oauth(query: string): Promise<Envelope> {
    const res = await fetch(`${registry()}/api/oauth2?${query}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as Envelope;
  }

  async function domain<T = { id: string }>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const r = await stack.call<T>('domain-api', method, urlPath, tenant.apiKey, body);
    expect(r.status).toBeLessThan(300);
    return r.body;
  }

  const enc = encodeURIComponent;

  it('replays the seed: errors in the envelope, add_webhook after the URL check, get_webhooks, deliveries, delete_webhook', async () => {
    const project = await domain('POST', '/v1/projects', { name: 'Worksection project' });
    const other = await domain('POST', '/v1/projects', { name: 'Not watched' });
    const url = `${receiver.url}/ws/hook`;

    // Bad hash, missing hash, unknown action, missing parameter, unknown event, failing URL.
    expect(await admin('action=get_webhooks', 'not-the-key')).toEqual({
      http: 200,
      body: { status: 'error', status_code: 2, message: 'Invalid hash' },
    });
    const noHash = await fetch(`${registry()}/api/admin/v2/?action=get_webhooks`, { headers: { 'x-forwarded-host': `${slug}.localhost` } });
    expect(((await noHash.json()) as Envelope).status_code).toBe(2);
    // The right hash, but the host names no account: refused without trying any key.
    expect(await admin('action=get_webhooks', adminKey, 'GET', null)).toEqual({
      http: 200,
      body: { status: 'error', status_code: 2, message: 'Invalid hash', message_details: 'the Host names no account (its domain, or <slug>.<host>)' },
    });
    expect((await admin('action=frobnicate')).body).toMatchObject({ status: 'error', status_code: 1, message_details: 'frobnicate' });
    expect((await admin(`action=add_webhook&url=${enc(url)}`)).body).toEqual({
      status: 'error',
      status_code: 3,
      message: 'Missing required parameter',
      message_details: 'events',
    });
    expect((await admin(`action=add_webhook&url=${enc(url)}&events=post_task,explode_task`)).body).toEqual({
      status: 'error',
      status_code: 4,
      message: 'Unknown event',
      message_details: 'explode_task',
    });
    const badUrl = `${receiver.url}/bad/hook`;
    expect(await admin(`action=add_webhook&url=${enc(badUrl)}&events=post_task`)).toEqual({
      http: 200,
      body: { status: 'error', status_code: 11, message: 'Url should respond 200 HTTP_CODE and JSON {status:OK}', message_details: badUrl },
    });

    // Success: {"status":"ok","id":<int>}.
    const added = await admin(
      `action=add_webhook&url=${enc(url)}&events=post_task,update_task,close_task,post_comment&http_user=ws-user&http_pass=ws-pass&projects=${project.id}`,
    );
    expect(added.http).toBe(200);
    expect(added.body).toEqual({ status: 'ok', id: expect.any(Number) });
    const id = added.body.id as number;

    // POST works the same; OAuth2 lists the same hooks.
    const listed = await admin('action=get_webhooks', adminKey, 'POST');
    expect(listed.body).toEqual({
      status: 'ok',
      data: [{ id: String(id), url, events: 'post_task,update_task,close_task,post_comment', status: 'active', projects: project.id }],
    });
    expect(await oauth('action=get_webhooks')).toEqual(listed.body);

    await stack.routerHasSubscriptions(1);
    const task = await domain('POST', '/v1/tasks', { projectId: project.id, name: 'Write the report' });
    await domain('POST', '/v1/tasks', { projectId: other.id, name: 'Elsewhere' });
    await domain('PATCH', `/v1/tasks/${task.id}`, { name: 'Write the final report' });
    await domain('POST', `/v1/tasks/${task.id}/complete`);
    const comment = await domain('POST', '/v1/comments', { projectId: project.id, taskId: task.id, body: 'Done!' });

    await waitFor(() => receiver.requestsTo('/ws/hook').filter(isAction).length >= 4, { timeoutMs: 60_000, message: '4 Worksection deliveries' });
    const deliveries = receiver.requestsTo('/ws/hook').filter(isAction);
    const records = deliveries.map((r) => r.json<ActionRecord>());
    // Worksection hooks are independent (not ordered) deliveries: the comment is another resource,
    // routed from another partition, and may overtake the task's events on a loaded machine.
    expect(records.map((r) => [r.action, r.object.type, r.object.id])).toEqual(
      expect.arrayContaining([
        ['post_task', 'task', task.id],
        ['update_task', 'task', task.id],
        ['close_task', 'task', task.id],
        ['post_comment', 'comment', comment.id],
      ]),
    );
    expect(records).toHaveLength(4);
    const basic = `Basic ${Buffer.from('ws-user:ws-pass').toString('base64')}`;
    for (const r of deliveries) {
      expect(r.method).toBe('POST');
      expect(r.headers['authorization']).toBe(basic);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    }
    const byAction = (action: string) => records.find((r) => r.action === action)!;
    const [created, updated, closed] = [byAction('post_task'), byAction('update_task'), byAction('close_task')];
    expect(created).toMatchObject({
      project: { id: project.id },
      user: { id: tenant.userId, name: 'Ada Admin', email: `admin@${slug}.example.test` },
      new: { id: task.id, name: 'Write the report', projectId: project.id },
      old: {},
    });
    expect(Date.parse(created.date)).not.toBeNaN();
    expect(updated.new).toEqual({ name: 'Write the final report' });
    expect(updated.old).toEqual({ name: 'Write the report' });
    expect(closed.new).toMatchObject({ completed: true });
    expect(closed.old).toMatchObject({ completed: false });

    // delete_webhook, then it is gone; an unknown id is error 5.
    expect((await admin(`action=delete_webhook&id=${id}`)).body).toEqual({ status: 'ok' });
    expect((await admin('action=get_webhooks')).body).toEqual({ status: 'ok', data: [] });
    expect((await admin(`action=delete_webhook&id=${id}`)).body).toEqual({ status: 'error', status_code: 5, message: 'Webhook not found', message_details: String(id) });
  });

  it('settings path: a new hook starts disabled, enabling re-checks the URL', async () => {
    const headers = { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' };
    let res = await fetch(`${registry()}/api/settings/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: `${receiver.url}/bad/settings`, events: ['post_project', 'update_project'] }),
    });
    expect(res.status).toBe(200);
    const created = (await res.json()) as { status: string; id: number; data: { status: string } };
    expect(created).toMatchObject({ status: 'ok', id: expect.any(Number), data: { status: 'disabled', events: 'post_project,update_project' } });
    expect((await oauth('action=get_webhooks')).data).toEqual([
      { id: String(created.id), url: `${receiver.url}/bad/settings`, events: 'post_project,update_project', status: 'disabled' },
    ]);
    res = await fetch(`${registry()}/api/settings/webhooks/${created.id}/enable`, { method: 'POST', headers });
    expect(await res.json()).toEqual({
      status: 'error',
      status_code: 11,
      message: 'Url should respond 200 HTTP_CODE and JSON {status:OK}',
      message_details: `${receiver.url}/bad/settings`,
    });
    expect((await oauth('action=get_webhooks')).data?.[0].status).toBe('disabled');
    expect(await oauth(`action=delete_webhook&id=${created.id}`)).toEqual({ status: 'ok' });

    res = await fetch(`${registry()}/api/settings/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: `${receiver.url}/ws/settings`, events: 'post_project' }),
    });
    const good = (await res.json()) as { id: number };
    res = await fetch(`${registry()}/api/settings/webhooks/${good.id}/enable`, { method: 'POST', headers });
    expect(await res.json()).toMatchObject({ status: 'ok', data: { id: String(good.id), status: 'active' } });
    expect(await oauth(`action=delete_webhook&id=${good.id}`)).toEqual({ status: 'ok' });
  });

  it('receiver contract: only 200 + {"status":"OK"} succeeds; 10 failed deliveries disable the hook', async () => {
    const project = await domain('POST', '/v1/projects', { name: 'Flaky receiver' });
    const url = `${receiver.url}/ws/flaky`;
    // The earlier tests' hooks are deleted: the router holds none before this one.
    await waitFor(async () => (await stack.metric('event-router', 'herald_router_subscriptions')) === 0, { timeoutMs: 30_000, message: 'router holds no hook' });
    const added = await admin(`action=add_webhook&url=${enc(url)}&events=post_task&projects=${project.id}`);
    expect(added.body.status).toBe('ok');
    const id = String(added.body.id);
    const statusOf = async () => (await admin('action=get_webhooks')).body.data?.find((h) => h.id === id)?.status;
    await stack.routerHasSubscriptions(1);

    // 200 with {"status":"OK"}: delivered, still green.
    await domain('POST', '/v1/tasks', { projectId: project.id, name: 'ok 1' });
    await waitFor(() => receiver.requestsTo('/ws/flaky').filter(isAction).length >= 1, { timeoutMs: 60_000 });
    expect(await statusOf()).toBe('active');

    // 200 without {"status":"OK"} is a failure: orange after one.
    receiver.respondWith((r) => (r.path.startsWith('/bad') ? { status: 500 } : r.path.startsWith('/ws/flaky') ? { status: 200, body: { status: 'accepted' } } : undefined));
    await domain('POST', '/v1/tasks', { projectId: project.id, name: 'fail 1' });
    await waitFor(async () => (await statusOf()) === 'active_with_failures', { timeoutMs: 60_000, message: 'active_with_failures' });

    // Nine more failures (some as 500s): grey.
    receiver.respondWith((r) => (r.path.startsWith('/bad') || r.path.startsWith('/ws/flaky') ? { status: 500, body: 'down' } : undefined));
    for (let i = 2; i <= 10; i++) await domain('POST', '/v1/tasks', { projectId: project.id, name: `fail ${i}` });
    await waitFor(async () => (await statusOf()) === 'disabled', { timeoutMs: 90_000, message: 'disabled after 10 failures' });
    const attempts = receiver.requestsTo('/ws/flaky').filter(isAction);
    expect(attempts).toHaveLength(11);
    // Disabled: later events are not sent.
    await domain('POST', '/v1/tasks', { projectId: project.id, name: 'after' });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receiver.requestsTo('/ws/flaky').filter(isAction)).toHaveLength(11);
  });
});
