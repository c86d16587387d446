import { randomUUID } from 'node:crypto';
import { startReceiver, waitFor, type ReceivedRequest, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from '../herald-stack';

// Issue 6, Procore: the Webhooks API as Procore documents it (v1.0 and v2.0 paths, hooks,
// triggers, triggers/bulk, resources, deliveries with filter[...]), payloads v2.0/v3.0/v4.0, and
// the receiver contract (ordered, exponential backoff, discard after max age — scaled down).
jest.setTimeout(300_000);

const AUTH = 'Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzUxMiJ9';
type Json = Record<string, unknown>;

describe('Procore dialect', () => {
  let stack: HeraldStack;
  let tenant: Tenant;
  let companyId: number;
  let receiver: Receiver;
  let routed = 0;

  beforeAll(async () => {
    stack = await HeraldStack.start('procore');
    tenant = await stack.createTenant(`pc-${randomUUID().slice(0, 8)}`);
    receiver = await startReceiver({ defaultResponse: { status: 204 } });
    let companies: { status: number; body: unknown } = { status: 0, body: null };
    await waitFor(async () => (companies = await call('GET', '/rest/v1.0/companies')).status === 200, { timeoutMs: 30_000, message: 'registry knows the key' });
    companyId = (companies.body as { id: number }[])[0].id;
    expect(companies.body).toEqual([{ id: expect.any(Number), name: expect.any(String), is_active: true }]);
  });

  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  /** curl -X <method> -H "Authorization: Bearer <token>" -H "Content-Type: application/json" https://api.procore.com<path> -d <body> */
  async function call<T = Json>(method: string, urlPath: string, body?: unknown, apiKey = tenant.apiKey): Promise<{ status: number; body: T }> {
    const res = await fetch(`${stack.url('subscription-registry')}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async function domain<T = { id: string }>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const r = await stack.call<T>('domain-api', method, urlPath, tenant.apiKey, body);
    expect(r.status).toBeLessThan(300);
    return r.body;
  }

  const events = (prefix: string): Json[] => receiver.requestsTo(prefix).map((r: ReceivedRequest) => r.json<Json>());

  it('replays the Webhooks API guide: hooks, triggers, bulk, resources, payloads v2.0/v3.0/v4.0, deliveries', async () => {
    const project = await domain('POST', '/v1/projects', { name: 'Tower' });

    // Scope errors.
    expect(await call('POST', '/rest/v1.0/webhooks/hooks', { hook: { api_version: 'v2', destination_url: `${receiver.url}/x` } })).toEqual({
      status: 400,
      body: { errors: { base: ['You must supply either a company_id or project_id'] } },
    });
    expect((await call('POST', '/rest/v1.0/webhooks/hooks', { company_id: companyId + 1, hook: { api_version: 'v2', destination_url: `${receiver.url}/x` } })).status).toBe(403);
    expect((await call('GET', `/rest/v1.0/webhooks/hooks?company_id=${companyId}`, undefined, 'hk_notakey1_notasecretnotasecret0000')).status).toBe(401);

    // Company-level hook, the guide's request body.
    const created = await call('POST', '/rest/v1.0/webhooks/hooks', {
      company_id: companyId,
      hook: { api_version: 'v2', namespace: 'procore', destination_url: `${receiver.url}/pc/company`, destination_headers: { Authorization: AUTH } },
    });
    expect(created).toEqual({
      status: 201,
      body: {
        id: expect.any(Number),
        api_version: 'v2.0',
        namespace: 'procore',
        destination_url: `${receiver.url}/pc/company`,
        destination_headers: { Authorization: '*****xMiJ9' },
        owned_by_company_id: companyId,
        owned_by_project_id: null,
        owned_by_user_id: tenant.userId,
      },
    });
    const hookId = (created.body as { id: number }).id;
    expect(await call('GET', `/rest/v1.0/webhooks/hooks?company_id=${companyId}`)).toEqual({ status: 200, body: [created.body] });
    expect(await call('GET', `/rest/v1.0/webhooks/hooks/${hookId}?company_id=${companyId}`)).toEqual({ status: 200, body: created.body });
    expect((await call('GET', `/rest/v1.0/webhooks/hooks/${hookId}?project_id=${project.id}`)).status).toBe(404);

    // The payload version is fixed.
    const refused = await call('PATCH', `/rest/v1.0/webhooks/hooks/${hookId}?company_id=${companyId}`, { hook: { api_version: 'v4.0' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ errors: { api_version: [expect.stringMatching(/fixed when a hook is created.*delete the hook and create a new one/)] } });
    const patched = await call('PATCH', `/rest/v1.0/webhooks/hooks/${hookId}`, { company_id: companyId, hook: { api_version: 'v2.0', namespace: 'acme-tools' } });
    expect(patched).toMatchObject({ status: 200, body: { id: hookId, namespace: 'acme-tools', api_version: 'v2.0', destination_headers: { Authorization: '*****xMiJ9' } } });

    // Resources (v1.0 and v2.0).
    const resources = await call<Json[]>('GET', `/rest/v1.0/webhooks/resources?company_id=${companyId}`);
    expect(resources.status).toBe(200);
    expect(resources.body).toContainEqual(expect.objectContaining({ name: 'Tasks', api_version: 'v2.0', create: 'create', update: 'update', delete: 'delete' }));
    const v2Resources = await call<{ data: Json[] }>('GET', `/rest/v2.0/companies/${companyId}/webhooks/resources?payload_version=v4.0`);
    expect(v2Resources.body.data).toContainEqual({ category: 'Project Management', tool: 'Tasks', name: 'Tasks', payload_version: 'v4.0', actions: ['create', 'update', 'delete'] });

    // Triggers: one, then bulk (one bad), then list.
    const trigger = await call('POST', `/rest/v1.0/webhooks/hooks/${hookId}/triggers`, { company_id: companyId, api_version: 'v2', trigger: { resource_name: 'Tasks', event_type: 'create' } });
    expect(trigger).toEqual({
      status: 201,
      body: { id: expect.any(Number), webhook_hook_id: hookId, resource_name: 'Tasks', resource_id: null, event_type: 'create', company_id: companyId, project_id: null, user_id: tenant.userId },
    });
    expect(await call('POST', `/rest/v1.0/webhooks/hooks/${hookId}/triggers`, { company_id: companyId, trigger: { resource_name: 'RFIs', event_type: 'create' } })).toEqual({
      status: 400,
      body: { errors: { resource_name: [expect.stringContaining('RFIs')] } },
    });
    const bulk = await call<{ success: Json[]; failed: Json[] }>('POST', `/rest/v1.0/webhooks/hooks/${hookId}/triggers/bulk`, {
      company_id: companyId,
      api_version: 'v2',
      triggers: [
        { resource_name: 'Tasks', event_type: 'update' },
        { resource_name: 'Tasks', event_type: 'delete' },
        { resource_name: 'Tasks', event_type: 'explode' },
      ],
    });
    expect(bulk.status).toBe(207);
    expect(bulk.body.success.map((t) => t['event_type'])).toEqual(['update', 'delete']);
    expect(bulk.body.failed).toEqual([{ code: '400', message: 'Bad Request', trigger: { resource_name: 'Tasks', event_type: 'explode' }, errors: { event_type: [expect.any(String)] } }]);
    const triggers = await call<Json[]>('GET', `/rest/v1.0/webhooks/hooks/${hookId}/triggers?company_id=${companyId}`);
    expect(triggers.body.map((t) => t['event_type'])).toEqual(['create', 'update', 'delete']);

    // Project-level hooks: v3.0 through v1.0 (project_id in the body), v4.0 through the v2.0 project path.
    const v3 = await call<{ id: number }>('POST', '/rest/v1.0/webhooks/hooks', { project_id: project.id, hook: { api_version: 'v3.0', namespace: 'procore', destination_url: `${receiver.url}/pc/v3` } });
    expect(v3).toMatchObject({ status: 201, body: { owned_by_company_id: null, owned_by_project_id: project.id, api_version: 'v3.0', destination_headers: {} } });
    await call('POST', `/rest/v1.0/webhooks/hooks/${v3.body.id}/triggers`, { project_id: project.id, trigger: { resource_name: 'Tasks', event_type: 'create' } });
    const v4 = await call<{ data: Json }>('POST', `/rest/v2.0/companies/${companyId}/projects/${project.id}/webhooks/hooks`, {
      payload_version: 'v4.0',
      namespace: 'procore',
      destination_url: `${receiver.url}/pc/v4`,
    });
    expect(v4).toEqual({
      status: 201,
      body: {
        data: {
          id: expect.stringMatching(/^\d+$/),
          status: 'active',
          payload_version: 'v4.0',
          namespace: 'procore',
          destination_headers: {},
          destination_url: `${receiver.url}/pc/v4`,
          trigger_count: 0,
          company_id: null,
          project_id: project.id,
          created_at: expect.any(String),
          updated_at: expect.any(String),
          hook_type: 'classic',
        },
      },
    });
    const v4Id = v4.body.data['id'] as string;
    const v2Bulk = await call<{ data: Json[] }>('POST', `/rest/v2.0/companies/${companyId}/projects/${project.id}/webhooks/hooks/${v4Id}/triggers/bulk`, {
      triggers: [{ resource_name: 'Tasks', event_type: 'create' }, { resource_name: 'Comments', event_type: 'create' }],
    });
    expect(v2Bulk.status).toBe(201);
    expect(v2Bulk.body.data).toEqual([
      expect.objectContaining({ webhook_hook_id: v4Id, resource_name: 'Tasks', event_type: 'create', company_id: null, project_id: project.id }),
      expect.objectContaining({ resource_name: 'Comments', event_type: 'create' }),
    ]);
    // Triggers added at the same time are all kept.
    const concurrent = await Promise.all(
      [
        ['Tasks', 'delete'],
        ['Comments', 'update'],
        ['Comments', 'delete'],
      ].map(([resource_name, event_type]) =>
        call('POST', `/rest/v2.0/companies/${companyId}/projects/${project.id}/webhooks/hooks/${v4Id}/triggers`, { resource_name, event_type }),
      ),
    );
    expect(concurrent.map((r) => r.status)).toEqual([201, 201, 201]);
    const shown = await call<{ data: Json }>('GET', `/rest/v2.0/companies/${companyId}/projects/${project.id}/webhooks/hooks/${v4Id}`);
    expect(shown.body.data['trigger_count']).toBe(5);
    routed += 3;
    await stack.routerHasSubscriptions(routed);

    // Changes in the domain.
    const task = await domain('POST', '/v1/tasks', { projectId: project.id, name: 'Pour concrete' });
    await domain('PATCH', `/v1/tasks/${task.id}`, { name: 'Pour the concrete' });
    await waitFor(() => events('/pc/company').length >= 2 && events('/pc/v3').length >= 1 && events('/pc/v4').length >= 1, { timeoutMs: 60_000, message: 'payloads' });

    const [createdEvent, updatedEvent] = events('/pc/company');
    expect(createdEvent).toEqual({
      id: expect.any(Number),
      ulid: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
      metadata: { source_user_id: tenant.userId, source_project_id: project.id, source_operation_id: null, source_company_id: companyId, source_application_id: null },
      user_id: tenant.userId,
      company_id: companyId,
      project_id: project.id,
      api_version: 'v2.0',
      event_type: 'create',
      resource_name: 'Tasks',
      resource_id: task.id,
    });
    expect(updatedEvent).toMatchObject({ event_type: 'update', resource_id: task.id });
    expect(receiver.requestsTo('/pc/company')[0].headers['authorization']).toBe(AUTH);
    expect(receiver.requestsTo('/pc/company')[0].method).toBe('POST');
    expect(events('/pc/v3')[0]).toMatchObject({ api_version: 'v3.0', event_type: 'create', resource_name: 'Tasks', resource_id: task.id, related_resources: [] });
    expect(events('/pc/v4')[0]).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      timestamp: expect.any(String),
      reason: 'create',
      company_id: String(companyId),
      project_id: project.id,
      user_id: tenant.userId,
      resource_type: 'Tasks',
      resource_id: task.id,
    });
    expect(events('/pc/v4')[0]['id']).toBe(createdEvent['ulid']);

    // Deliveries: v1.0 and v2.0 with filters, over the delivery log.
    await waitFor(async () => (await call<unknown[]>('GET', `/rest/v1.0/webhooks/hooks/${hookId}/deliveries?company_id=${companyId}&filters[status]=successful`)).body.length === 2, {
      timeoutMs: 30_000,
      message: '2 deliveries logged as delivered',
    });
    const v1Deliveries = await call<Json[]>('GET', `/rest/v1.0/webhooks/hooks/${hookId}/deliveries?company_id=${companyId}`);
    expect(v1Deliveries.body).toHaveLength(2);
    expect(v1Deliveries.body.find((x) => (x['event'] as Json)['event_type'] === 'update')).toEqual({
      id: expect.any(String),
      event_id: expect.any(String),
      event: updatedEvent,
      outcome: 'ok',
      response_status: 204,
      response_body: '',
      response_error: null,
      response_headers: {},
      started_at: expect.any(String),
      completed_at: expect.any(String),
    });
    const base = `/rest/v2.0/companies/${companyId}/webhooks/hooks/${hookId}/deliveries`;
    const updates = await call<{ data: Json[] }>('GET', `${base}?filter[status]=succeeded&filter[event_type]=update&filter[resource_name]=Tasks`);
    expect(updates.body.data).toEqual([
      {
        id: expect.any(String),
        status: 'delivered',
        payload: updatedEvent,
        delivery_attempts: [
          { id: expect.any(String), success: true, response_status: 204, response_body: '', response_headers: {}, started_at: expect.any(String), completed_at: expect.any(String) },
        ],
      },
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await call<{ data: Json[] }>('GET', `${base}?filter[start]=${today}&filter[end]=${today}`)).body.data).toHaveLength(2);
    expect((await call<{ data: Json[] }>('GET', `${base}?filter[end]=${yesterday}`)).body.data).toHaveLength(0);
    expect((await call<{ data: Json[] }>('GET', `${base}?filter[status]=failed`)).body.data).toHaveLength(0);
    expect((await call<{ data: Json[] }>('GET', `${base}?filter[resource_name]=Comments`)).body.data).toHaveLength(0);
    const paged = await fetch(`${stack.url('subscription-registry')}${base}?per_page=1&page=1`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(((await paged.json()) as { data: Json[] }).data).toHaveLength(1);
    expect(paged.headers.get('link')).toContain('page=2');
    expect((await call('GET', `${base}?filter[status]=sideways`)).status).toBe(400);

    // Triggers deleted in bulk (v2.0), one unknown: 207.
    const ids = triggers.body.map((t) => String(t['id']));
    expect(await call('DELETE', `/rest/v2.0/companies/${companyId}/webhooks/hooks/${hookId}/triggers/bulk`, [ids[1], '999999999'])).toEqual({
      status: 207,
      body: { data: { succeeded: [ids[1]], failed: ['999999999'] } },
    });
    expect((await call('DELETE', `/rest/v1.0/webhooks/hooks/${hookId}/triggers/${ids[2]}?company_id=${companyId}`)).status).toBe(200);
    expect((await call<{ data: Json[] }>('GET', `/rest/v2.0/companies/${companyId}/webhooks/hooks/${hookId}/triggers`)).body.data.map((t) => t['event_type'])).toEqual(['create']);

    // Disable through v2.0 PATCH, then delete (v1.0: 200; v2.0: 204).
    const disabled = await call<{ data: Json }>('PATCH', `/rest/v2.0/companies/${companyId}/webhooks/hooks/${hookId}`, { status: 'disabled' });
    expect(disabled.body.data['status']).toBe('disabled');
    expect((await call('DELETE', `/rest/v1.0/webhooks/hooks/${hookId}?company_id=${companyId}`)).status).toBe(200);
    expect((await call('GET', `/rest/v1.0/webhooks/hooks/${hookId}?company_id=${companyId}`)).status).toBe(404);
    expect((await call('DELETE', `/rest/v2.0/companies/${companyId}/projects/${project.id}/webhooks/hooks/${v4Id}`)).status).toBe(204);
    expect((await call('DELETE', `/rest/v1.0/webhooks/hooks/${v3.body.id}?project_id=${project.id}`)).status).toBe(200);
    routed = 0;
  });

  it('receiver contract: only 200/204 succeed; a failing delivery pauses the hook, retries 1 s, 2 s, 4 s… then is Discarded with what queued behind it; a success resets', async () => {
    const project = await domain('POST', '/v1/projects', { name: 'Ordered' });
    const hook = await call<{ id: number }>('POST', '/rest/v1.0/webhooks/hooks', {
      project_id: project.id,
      hook: { api_version: 'v2.0', namespace: 'procore', destination_url: `${receiver.url}/pc/ordered` },
    });
    expect(hook.status).toBe(201);
    await call('POST', `/rest/v1.0/webhooks/hooks/${hook.body.id}/triggers`, { project_id: project.id, trigger: { resource_name: 'Tasks', event_type: 'create' } });
    // The shortened clock: Procore's policy is 1 s doubling up to 1 h, discard after 12 h; here
    // the cap is 4 s and the max age 9 s (a setting of the subscription, through the native API).
    const native = await stack.call<{ data: { id: string; externalId: number; deliveryMode: string; retryPolicy: Json }[] }>('subscription-registry', 'GET', '/v1/webhooks', tenant.apiKey);
    const sub = native.body.data.find((s) => s.externalId === hook.body.id)!;
    expect(sub.deliveryMode).toBe('ordered');
    expect(sub.retryPolicy).toMatchObject({ scheduleMs: expect.arrayContaining([1_000, 2_000, 4_000, 3_600_000]), maxAgeMs: 12 * 3_600_000, onExhausted: 'discard' });
    const scaled = await stack.call('subscription-registry', 'PATCH', `/v1/webhooks/${sub.id}`, tenant.apiKey, { retryPolicy: { scheduleMs: [1_000, 2_000, 4_000], maxAgeMs: 9_000 } });
    expect(scaled.status).toBe(200);
    await stack.routerHasSubscriptions(routed + 1);
    routed += 1;

    // A (task X created) fails 3 times, then succeeds; B and C (X updated twice) wait behind it,
    // then follow in order. (Order is per resource: changes of different resources may be routed
    // in either order.)
    await call('POST', `/rest/v1.0/webhooks/hooks/${hook.body.id}/triggers`, { project_id: project.id, trigger: { resource_name: 'Tasks', event_type: 'update' } });
    // A 202 is a failure too: Procore's receiver answers 200 or 204.
    const failures = [500, 202, 500];
    receiver.respondWith((r) => (r.path.startsWith('/pc/ordered') && failures.length ? { status: failures.shift() } : undefined));
    const x = await domain('POST', '/v1/tasks', { projectId: project.id, name: 'A' });
    await domain('PATCH', `/v1/tasks/${x.id}`, { name: 'B' });
    await domain('PATCH', `/v1/tasks/${x.id}`, { name: 'C' });
    await waitFor(() => receiver.requestsTo('/pc/ordered').length >= 6, { timeoutMs: 60_000, message: '4 attempts of A, then B and C' });
    const got = receiver.requestsTo('/pc/ordered');
    const sent = got.map((r) => r.json<Json>());
    expect(sent.map((e) => [e['event_type'], e['resource_id']])).toEqual([
      ['create', x.id],
      ['create', x.id],
      ['create', x.id],
      ['create', x.id],
      ['update', x.id],
      ['update', x.id],
    ]);
    expect(new Set(sent.slice(0, 4).map((e) => e['ulid'])).size).toBe(1);
    expect(String(sent[4]['ulid']) < String(sent[5]['ulid'])).toBe(true);
    expect(got.map((r) => r.response.status ?? 200)).toEqual([500, 202, 500, 204, 204, 204]);
    const gaps = [1, 2, 3].map((i) => got[i].receivedAt - got[i - 1].receivedAt);
    expect(gaps[0]).toBeGreaterThanOrEqual(900);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
    expect(gaps[2]).toBeGreaterThanOrEqual(3_900);

    // Failing for longer than the max age: D (the head) and E (behind it) end Discarded.
    receiver.clear();
    receiver.respondWith((r) => (r.path.startsWith('/pc/ordered') ? { status: 503 } : undefined));
    const d = await domain('POST', '/v1/tasks', { projectId: project.id, name: 'D' });
    const e = await domain('POST', '/v1/tasks', { projectId: project.id, name: 'E' });
    const discarded = async () =>
      (await call<{ data: { status: string; payload: Json }[] }>('GET', `/rest/v2.0/companies/${companyId}/projects/${project.id}/webhooks/hooks/${hook.body.id}/deliveries?filter[status]=discarded`)).body.data;
    await waitFor(async () => (await discarded()).length === 2, { timeoutMs: 60_000, message: 'D and E discarded' });
    expect((await discarded()).map((x) => x.payload['resource_id']).sort()).toEqual([d.id, e.id].sort());
    // Whichever reached the dispatcher first was the head: attempted until the max age; the other waited behind it, never sent.
    const attemptsOf = (id: string) => receiver.requestsTo('/pc/ordered').filter((r) => r.json<Json>()['resource_id'] === id).length;
    const [head, follower] = attemptsOf(d.id) > 0 ? [d, e] : [e, d];
    expect(attemptsOf(head.id)).toBeGreaterThanOrEqual(3);
    expect(attemptsOf(follower.id)).toBe(0);

    // A success resets the cycle: F goes through at once.
    receiver.respondWith((r) => (r.path.startsWith('/pc/ordered') ? { status: 200 } : undefined));
    const f = await domain('POST', '/v1/tasks', { projectId: project.id, name: 'F' });
    await waitFor(() => receiver.requestsTo('/pc/ordered').some((r) => r.json<Json>()['resource_id'] === f.id), { timeoutMs: 30_000, message: 'F delivered' });
    expect(receiver.requestsTo('/pc/ordered').filter((r) => r.json<Json>()['resource_id'] === f.id)).toHaveLength(1);
    const v2Hook = await call<{ data: Json }>('GET', `/rest/v2.0/companies/${companyId}/projects/${project.id}/webhooks/hooks/${hook.body.id}`);
    expect(v2Hook.body.data['status']).toBe('active');
  });

  it('project templates carry their project-level hooks to the projects created from them', async () => {
    const template = await domain('POST', '/v1/project-templates', { name: 'Tower template' });
    const hook = await call<{ id: number }>('POST', '/rest/v1.0/webhooks/hooks', {
      project_template_id: template.id,
      hook: { api_version: 'v2.0', namespace: 'procore', destination_url: `${receiver.url}/pc/template` },
    });
    expect(hook).toMatchObject({ status: 201, body: { owned_by_project_id: template.id } });
    expect(
      (await call('POST', `/rest/v1.0/webhooks/hooks/${hook.body.id}/triggers`, { project_template_id: template.id, trigger: { resource_name: 'Tasks', event_type: 'create' } })).status,
    ).toBe(201);
    const made = await domain<{ project: { id: string } }>('POST', `/v1/project-templates/${template.id}/projects`, { name: 'Tower 2' });
    let copies: Json[] = [];
    await waitFor(async () => (copies = (await call<Json[]>('GET', `/rest/v1.0/webhooks/hooks?project_id=${made.project.id}`)).body).length === 1, {
      timeoutMs: 30_000,
      message: 'the template hook copied to the new project',
    });
    expect(copies[0]).toMatchObject({ destination_url: `${receiver.url}/pc/template`, owned_by_project_id: made.project.id, api_version: 'v2.0' });
    expect(copies[0]['id']).not.toBe(hook.body.id);
    const copyTriggers = await call<Json[]>('GET', `/rest/v1.0/webhooks/hooks/${String(copies[0]['id'])}/triggers?project_id=${made.project.id}`);
    expect(copyTriggers.body.map((t) => [t['resource_name'], t['event_type']])).toEqual([['Tasks', 'create']]);
    await stack.routerHasSubscriptions(routed + 2);
    const task = await domain('POST', '/v1/tasks', { projectId: made.project.id, name: 'Crane' });
    await waitFor(() => events('/pc/template').some((e) => e['resource_id'] === task.id), { timeoutMs: 60_000, message: 'delivered through the copy' });
    expect(events('/pc/template').find((e) => e['resource_id'] === task.id)).toMatchObject({ project_id: made.project.id, event_type: 'create', resource_name: 'Tasks' });
  });
});
