import { randomUUID } from 'node:crypto';
import { freePort, startReceiver, waitFor, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from '../herald-stack';

// Issue 6, ProProfs Project: the seed's three steps (subscribe, notification, fetch) with its own
// requests, its response codes, owner-only scope, and its receiver contract (401 unsubscribes at
// once; 3 failed attempts remove the hook), against the four services as processes.
jest.setTimeout(300_000);

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** The hook id ProProfs shows is the subscription's UUID in decimal: the native API's id of the same hook. */
const uuidOf = (hookId: string) => {
  const hex = BigInt(hookId).toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

describe('ProProfs Project dialect (seed: proprofs-project-webhooks.txt)', () => {
  let stack: HeraldStack;
  let domainApi: string;
  let anna: Tenant;
  let brian: { userId: string; apiKey: string };
  let domain: string;
  let projectId: string;
  const receivers: Receiver[] = [];
  let subscriptions = 0;

  /** A request the way the seed's curl examples make it: `key` and `domain` headers, JSON. */
  async function proprofs(service: 'subscription-registry' | 'domain-api', method: string, path: string, key: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
    const res = await fetch(`${stack.url(service)}${path}`, {
      method,
      headers: { key, domain, ...(body === undefined ? {} : { 'Content-Type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Step 1 (waiting for the registry to learn the tenant's keys first), then for the router to hold the hook. */
  async function subscribe(key: string, targetUrl: string, event: string): Promise<string> {
    // The router holds exactly the hooks still subscribed (a removed one must not pass for the new one).
    await waitFor(async () => (await stack.metric('event-router', 'herald_router_subscriptions')) === subscriptions, {
      timeoutMs: 30_000,
      message: `event-router holds ${subscriptions} subscription(s)`,
    });
    let res: Answer;
    const until = Date.now() + 30_000;
    do {
      res = await proprofs('subscription-registry', 'POST', '/v2/hooks', key, { target_url: targetUrl, event });
      if (res.status !== 401 && res.status !== 503) break;
      await new Promise((r) => setTimeout(r, 250)); // keys reach the registry over herald.principals.v1
    } while (Date.now() < until);
    expect(res).toEqual({ status: 201, body: { id: expect.stringMatching(/^\d{20,39}$/) } });
    await stack.routerHasSubscriptions(++subscriptions);
    return res.body['id'] as string;
  }

  async function receiver(): Promise<Receiver> {
    const r = await startReceiver({ defaultResponse: { status: 200, body: '' } });
    receivers.push(r);
    return r;
  }

  const hookExists = async (hookId: string) => (await stack.call('subscription-registry', 'GET', `/v1/webhooks/${uuidOf(hookId)}`, anna.apiKey)).status === 200;

  async function createTask(name: string): Promise<string> {
    const res = await proprofs('domain-api', 'POST', '/v1/tasks', anna.apiKey, { projectId, name });
    expect(res.status).toBe(201);
    return res.body['id'] as string;
  }

  beforeAll(async () => {
    const domainPort = await freePort();
    domainApi = `http://127.0.0.1:${domainPort}`;
    stack = await HeraldStack.start('proprofs', {}, {
      'domain-api': { PORT: String(domainPort), HERALD_PUBLIC_BASE_URL: domainApi },
      // The router writes resource URLs on the domain API's public base.
      'event-router': { HERALD_PUBLIC_BASE_URL: domainApi },
    });
    const slug = `pp-${randomUUID().slice(0, 8)}`;
    domain = `${slug}.projectbubble.com`;
    anna = await stack.createTenant(slug, domain);
    await stack.cli(['user:create', '--tenant', slug, '--name', 'Brian Adams', '--email', `brian@${slug}.test`]);
    brian = await stack.cli(['key:create', '--tenant', slug, '--user', `brian@${slug}.test`, '--scopes', 'read,write,webhooks']);
    const project = await stack.call<{ id: string }>('domain-api', 'POST', '/v1/projects', anna.apiKey, { name: 'Hooks' });
    expect(project.status).toBe(201);
    projectId = project.body.id;
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  it('replays the seed: subscribe to new_event, the subscribing user adds a calendar event, the app fetches resource_url', async () => {
    const app = await receiver();
    const target = `${app.url}/${randomUUID()}${randomUUID()}`;

    // Step 1 - Subscribe.
    const hookId = await subscribe(anna.apiKey, target, 'new_event');

    // Another user's calendar event does not fire (events are tied to the subscribed user's key)…
    const other = await proprofs('domain-api', 'POST', '/v1/calendar-events', brian.apiKey, { title: 'Brian’s dentist', startAt: '2026-12-01T09:00:00Z' });
    expect(other.status).toBe(201);
    // …the subscribing user's does.
    const mine = await proprofs('domain-api', 'POST', '/v1/calendar-events', anna.apiKey, { title: 'Kick-off', startAt: '2026-12-02T10:00:00Z', location: 'Room 1' });
    expect(mine.status).toBe(201);
    const eventId = mine.body['id'] as string;

    // Step 2 - ProProfs Project sends the notification.
    const [notification] = await app.waitForRequests(1, { timeoutMs: 60_000 });
    expect(notification.method).toBe('POST');
    expect(notification.path).toBe(new URL(target).pathname);
    expect(notification.headers['content-type']).toMatch(/^application\/json/);
    expect(notification.json()).toEqual({ resource_url: `${domainApi}/v2/events/${eventId}` });

    // Step 3 - The app fetches the new data with its key and domain.
    const resourceUrl = notification.json<{ resource_url: string }>().resource_url;
    const fetched = await fetch(resourceUrl, { headers: { key: anna.apiKey, domain, 'Content-Type': 'application/json' } });
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toMatchObject({ data: { event_id: eventId, event_name: 'Kick-off', location: 'Room 1', user_id: anna.userId } });
    const badKey = await fetch(resourceUrl, { headers: { key: `${anna.apiKey}x`, domain } });
    expect(badKey.status).toBe(401);
    const unknown = await fetch(`${domainApi}/v2/events/${randomUUID()}`, { headers: { key: anna.apiKey, domain } });
    expect(unknown.status).toBe(404);

    // Only the subscribing user's event arrived.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(app.requests).toHaveLength(1);

    // Unsubscribing: another user's key may not (permission issue), then 200, then 404.
    expect((await proprofs('subscription-registry', 'DELETE', `/v2/hooks/${hookId}`, brian.apiKey)).status).toBe(401);
    expect(await proprofs('subscription-registry', 'DELETE', `/v2/hooks/${hookId}`, anna.apiKey)).toEqual({ status: 200, body: {} });
    expect((await proprofs('subscription-registry', 'DELETE', `/v2/hooks/${hookId}`, anna.apiKey)).status).toBe(404);
    subscriptions--;
  });

  it('answers with the seed\'s codes: 400 field data / invalid event, 401 authentication, 409 target url not unique, 404 unknown', async () => {
    const app = await receiver();
    const target = `${app.url}/${randomUUID()}`;
    const hookId = await subscribe(anna.apiKey, target, 'new_task');

    const post = (body: unknown, key = anna.apiKey) => proprofs('subscription-registry', 'POST', '/v2/hooks', key, body);
    const missing = await post({ event: 'new_task' });
    expect(missing.status).toBe(400);
    expect(missing.body['error']).toContain('target_url');
    const invalidEvent = await post({ target_url: `${app.url}/other`, event: 'new_invoice' });
    expect(invalidEvent.status).toBe(400);
    expect(invalidEvent.body['error']).toContain('event must be one of');
    expect((await post({ target_url: 'not a url', event: 'new_task' })).status).toBe(400);
    expect((await post({ target_url: `${app.url}/other`, event: 'new_task' }, 'hk_nope_nope')).status).toBe(401);
    expect((await post({ target_url: `${app.url}/other`, event: 'new_task' }, `${anna.apiKey}x`)).status).toBe(401);
    const wrongDomain = await fetch(`${stack.url('subscription-registry')}/v2/hooks`, {
      method: 'POST',
      headers: { key: anna.apiKey, domain: 'someoneelse.projectbubble.com', 'Content-Type': 'application/json' },
      body: JSON.stringify({ target_url: `${app.url}/other`, event: 'new_task' }),
    });
    expect(wrongDomain.status).toBe(401);
    const noHeaders = await fetch(`${stack.url('subscription-registry')}/v2/hooks`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(noHeaders.status).toBe(401);
    const taken = await post({ target_url: target, event: 'new_project' });
    expect(taken.status).toBe(409);
    expect(taken.body['error']).toContain('target_url');

    // The seed's curl, typed literally (`-H Content-Type: application/json` unquoted), sends the JSON form-encoded: still understood.
    const literal = await proprofs('subscription-registry', 'POST', '/v2/hooks', anna.apiKey, JSON.stringify({ target_url: `${app.url}/${randomUUID()}`, event: 'new_client' }), 'application/x-www-form-urlencoded');
    expect(literal).toEqual({ status: 201, body: { id: expect.stringMatching(/^\d{20,39}$/) } });

    expect((await proprofs('subscription-registry', 'DELETE', `/v2/hooks/${hookId}`, `${anna.apiKey}x`)).status).toBe(401);
    expect((await proprofs('subscription-registry', 'DELETE', '/v2/hooks/897236485762347563485', anna.apiKey)).status).toBe(404);
    expect((await proprofs('subscription-registry', 'DELETE', '/v2/hooks/not-a-hook', anna.apiKey)).status).toBe(404);
    expect((await proprofs('subscription-registry', 'DELETE', `/v2/hooks/${hookId}`, anna.apiKey)).status).toBe(200);
    expect((await proprofs('subscription-registry', 'DELETE', `/v2/hooks/${literal.body['id'] as string}`, anna.apiKey)).status).toBe(200);
    subscriptions--;
  });

  it('receiver contract: 401 unsubscribes at once (no retry)', async () => {
    const app = await receiver();
    app.respondWith({ status: 401, body: 'go away' });
    const hookId = await subscribe(anna.apiKey, `${app.url}/${randomUUID()}`, 'new_task');
    await createTask('Answered with 401');
    await app.waitForRequests(1, { timeoutMs: 60_000 });
    await waitFor(async () => !(await hookExists(hookId)), { timeoutMs: 30_000, message: 'the hook is removed after a 401' });
    subscriptions--;
    await createTask('After the unsubscribe');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(app.requests).toHaveLength(1);
    expect((await proprofs('subscription-registry', 'DELETE', `/v2/hooks/${hookId}`, anna.apiKey)).status).toBe(404);
  });

  it('receiver contract: anything but 200 (a 204 too) is retried, and after 3 failed attempts the hook is removed', async () => {
    const app = await receiver();
    // "Anything else" includes other 2xx answers: only 200 is OK.
    app.enqueue({ status: 204 }, { status: 500, body: 'down' });
    app.respondWith({ status: 503, body: 'still down' });
    const hookId = await subscribe(anna.apiKey, `${app.url}/${randomUUID()}`, 'new_task');
    // A shortened clock: the retry delays (30 s, 2 min by default) scaled down through the native API.
    const patched = await stack.call<{ retryPolicy: { scheduleMs: number[]; maxAttempts: number } }>('subscription-registry', 'PATCH', `/v1/webhooks/${uuidOf(hookId)}`, anna.apiKey, {
      retryPolicy: { scheduleMs: [1_000, 1_000] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.retryPolicy).toMatchObject({ scheduleMs: [1_000, 1_000], maxAttempts: 3 });
    await new Promise((r) => setTimeout(r, 3_000)); // the new snapshot reaches the router and dispatcher

    await createTask('Answered with 500');
    const attempts = await app.waitForRequests(3, { timeoutMs: 60_000 });
    expect(attempts.map((a) => a.response.status)).toEqual([204, 500, 503]);
    expect(new Set(attempts.map((a) => a.text)).size).toBe(1);
    expect(attempts[1].receivedAt - attempts[0].receivedAt).toBeGreaterThanOrEqual(900);
    await waitFor(async () => !(await hookExists(hookId)), { timeoutMs: 30_000, message: 'the hook is removed after 3 failed attempts' });
    subscriptions--;
    await createTask('After the removal');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(app.requests).toHaveLength(3);
  });
});
