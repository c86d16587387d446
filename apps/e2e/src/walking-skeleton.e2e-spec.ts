import { Webhook } from 'standardwebhooks';
import { randomUUID } from 'node:crypto';
import {
  createDomainApiClient,
  createRegistryClient,
  type DomainApiClient,
  type RegistryClient,
  type RegistryPaths,
} from '@herald/client';
import { startReceiver, type ReceivedRequest, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from './herald-stack';

// Issue 3, "the walking skeleton": one real change through the four services, as processes,
// over the real broker and a fresh database. Requests go through the typed client (@herald/client),
// so a change to either API's document that breaks this flow fails tsc and this test.
jest.setTimeout(240_000);

interface NativeBody {
  id: string;
  type: string;
  resource: { type: string; id: string };
  data: Record<string, unknown>;
}

const headersOf = (r: ReceivedRequest): Record<string, string> => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('walking skeleton: domain API → outbox → router → dispatcher → receiver', () => {
  let stack: HeraldStack;
  let tenant: Tenant;
  let domainApi: DomainApiClient;
  let registry: RegistryClient;
  const receivers: Receiver[] = [];
  let subscriptions = 0;

  beforeAll(async () => {
    stack = await HeraldStack.start('skeleton');
    tenant = await stack.createTenant(`sk-${randomUUID().slice(0, 8)}`);
    domainApi = createDomainApiClient(stack.url('domain-api'), { apiKey: tenant.apiKey });
    registry = createRegistryClient(stack.url('subscription-registry'), { apiKey: tenant.apiKey });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  async function project(name: string): Promise<string> {
    const { data, response } = await domainApi.POST('/v1/projects', { body: { name } });
    expect(response.status).toBe(201);
    return data!.id;
  }

  type HookBody = RegistryPaths['/v1/webhooks']['post']['requestBody']['content']['application/json'];

  /** Registers a hook (waiting for the registry to know the tenant's key), then for the router to hold it. */
  async function registerHook(body: HookBody): Promise<{ id: string; signingSecret: string }> {
    const create = () => registry.POST('/v1/webhooks', { body });
    let res: Awaited<ReturnType<typeof create>>;
    const until = Date.now() + 30_000;
    do {
      res = await create();
      if (res.response.status !== 401) break;
      await new Promise((r) => setTimeout(r, 250)); // the key reaches the registry over herald.principals.v1
    } while (Date.now() < until);
    expect(res.response.status).toBe(201);
    const hook = res.data!;
    expect(hook.signingSecret).toMatch(/^whsec_/);
    await stack.routerHasSubscriptions(++subscriptions);
    return { id: hook.id, signingSecret: hook.signingSecret };
  }

  it('delivers task.created then task.completed, signed so that standardwebhooks verifies them', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const projectId = await project('Skeleton');
    const hook = await registerHook({
      url: `${receiver.url}/hooks/skeleton`,
      eventTypes: ['task.created', 'task.completed'],
      scope: { kind: 'project', projectId },
    });

    const created = await domainApi.POST('/v1/tasks', {
      body: { projectId, name: 'Walk the skeleton' },
    });
    expect(created.response.status).toBe(201);
    const taskId = created.data!.id;
    const completed = await domainApi.POST('/v1/tasks/{id}/complete', {
      params: { path: { id: taskId } },
    });
    expect(completed.response.status).toBeLessThan(300);
    expect(completed.data).toMatchObject({ id: taskId, completed: true });

    const [first, second] = await receiver.waitForRequests(2, { timeoutMs: 60_000 });
    const webhook = new Webhook(hook.signingSecret);
    const bodies = [first, second].map((r) => webhook.verify(r.text, headersOf(r)) as NativeBody);
    expect(bodies.map((b) => [b.type, b.resource.id])).toEqual([
      ['task.created', taskId],
      ['task.completed', taskId],
    ]);
    expect(first.method).toBe('POST');
    expect(first.path).toBe('/hooks/skeleton');
    expect(first.headers['webhook-id']).toBe(bodies[0].id);
    expect(second.headers['webhook-id']).toBe(bodies[1].id);
    expect(bodies[0].id).not.toBe(bodies[1].id);
    expect(bodies[0].data).toMatchObject({ id: taskId, name: 'Walk the skeleton' });
    // A forged body does not verify.
    expect(() => webhook.verify(first.text.replace('Walk', 'Talk'), headersOf(first))).toThrow();
    // Nothing else arrives (the project's own event is not a task event).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.requests).toHaveLength(2);
  });

  it('retries through the retry tiers: two failures, the third attempt arrives with the same webhook-id', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    receiver.enqueue({ status: 500, body: 'down' }, { status: 503, body: 'still down' });
    const projectId = await project('Retries');
    const hook = await registerHook({
      url: `${receiver.url}/hooks/retry`,
      eventTypes: ['task.created'],
      scope: { kind: 'project', projectId },
      retryPolicy: { scheduleMs: [1_000, 1_000], maxAttempts: 3 },
    });

    const created = await domainApi.POST('/v1/tasks', {
      body: { projectId, name: 'Try, try again' },
    });
    expect(created.response.status).toBe(201);

    const attempts = await receiver.waitForRequests(3, { timeoutMs: 60_000 });
    expect(attempts.map((r) => r.response.status ?? 200)).toEqual([500, 503, 200]);
    const ids = new Set(attempts.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const webhook = new Webhook(hook.signingSecret);
    for (const r of attempts)
      expect((webhook.verify(r.text, headersOf(r)) as NativeBody).resource.id).toBe(
        created.data!.id,
      );
    // Through the 1 s tier: each retry waited at least about its delay.
    expect(attempts[1].receivedAt - attempts[0].receivedAt).toBeGreaterThanOrEqual(900);
    expect(attempts[2].receivedAt - attempts[1].receivedAt).toBeGreaterThanOrEqual(900);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.requests).toHaveLength(3);
  });
});
