import { randomUUID } from 'node:crypto';
import { createRegistryClient, type RegistryClient, type RegistryPaths } from '@herald/client';
import { ppmSeedCreateBody, startReceiver, waitFor, type ReceivedRequest, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from '../herald-stack';

// Issue 6, PPM Express: the seed's Webhooks API calls with its own bodies, the Details-field,
// internal-task and portfolio/program key-date rules, its payload (Attributes, BeforeAttributes,
// Initiator) and the configured headers sent along, against the four services as processes. The
// Webhooks API calls of the seed's flow go through the typed client (@herald/client).
jest.setTimeout(300_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type PpmCreate = RegistryPaths['/@{tenant}/{apiVersion}/Webhooks']['post']['requestBody']['content']['application/json'];

interface Delivered {
  WebhookId: string;
  MessageId: string;
  Data: {
    ParentEntityId?: string;
    ParentEntityType?: string;
    Id: string;
    Attributes: Record<string, unknown>;
    BeforeAttributes?: Record<string, unknown>;
    Initiator: { UserId: string; FullName: string; LogonAccount: string };
    TimeStamp: string;
  };
}

describe('PPM Express dialect (seed: ppm-express-webhooks.txt)', () => {
  let stack: HeraldStack;
  let admin: Tenant;
  let member: { apiKey: string };
  let slug: string;
  let receiver: Receiver;
  let base: string;
  let client: RegistryClient;

  const domain = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => stack.call<T>('domain-api', method, path, admin.apiKey, body);
  const ppm = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, key = admin.apiKey) => stack.call<T>('subscription-registry', method, `${base}${path}`, key, body);

  beforeAll(async () => {
    stack = await HeraldStack.start('ppm');
    slug = `ppm-${randomUUID().slice(0, 8)}`;
    admin = await stack.createTenant(slug);
    await stack.cli(['user:create', '--tenant', slug, '--name', 'Brian Adams', '--email', `brian@${slug}.test`]);
    member = await stack.cli(['key:create', '--tenant', slug, '--user', `brian@${slug}.test`, '--scopes', 'read,write,webhooks']);
    base = `/@${slug}/v1/Webhooks`;
    client = createRegistryClient(stack.url('subscription-registry'), { apiKey: admin.apiKey });
    receiver = await startReceiver({ defaultResponse: { status: 200, body: '' } });
  });

  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it('replays the seed: create, list, get; Details vs other fields, internal vs external tasks, program and external portfolio key dates; delete one, delete all', async () => {
    // What exists before the webhooks: a project, an idea, a program and its key date.
    const project = await domain<{ id: string }>('POST', '/v1/projects', { name: 'Artificial Intelligence', startDate: '2021-12-01T12:00:00Z', finishDate: '2021-12-31T12:00:00Z', priority: 3 });
    const idea = await domain<{ id: string }>('POST', '/v1/ideas', { name: 'Dog Shelter Charity', description: "Let's donate $1000 each month", stage: 0, businessPriority: 3 });
    const program = await domain<{ id: string }>('POST', '/v1/programs', { name: 'Platform' });
    const portfolio = await domain<{ id: string }>('POST', '/v1/portfolios', { name: 'R&D' });
    const keyDate = await domain<{ id: string }>('POST', '/v1/key-dates', { parentType: 'program', parentId: program.body.id, name: 'Release 1.0', date: '2022-02-13T12:00:00Z', status: 1 });
    expect([project.status, idea.status, program.status, portfolio.status, keyDate.status]).toEqual([201, 201, 201, 201, 201]);

    // 1. Create a Webhook (waiting for the registry to learn the tenant's keys first).
    const url = `${receiver.url}/ppm/${randomUUID()}`;
    const path = { tenant: slug, apiVersion: 'v1' };
    const create = (body: PpmCreate) => client.POST('/@{tenant}/{apiVersion}/Webhooks', { params: { path }, body });
    let created: Awaited<ReturnType<typeof create>>;
    const until = Date.now() + 30_000;
    do {
      created = await create(ppmSeedCreateBody(url));
      if (created.response.status !== 401 && created.response.status !== 503) break;
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < until);
    expect(created.response.status).toBe(200);
    // Header values come back redacted (at most the last 4 characters), never as given.
    const redacted = [
      { name: 'Authorization', value: '••••••••alue' },
      { name: 'custom_header', value: '••••••••' },
    ];
    expect(created.data).toEqual({ data: { id: expect.stringMatching(UUID), ...ppmSeedCreateBody(url), headers: redacted } });
    const webhook = created.data!.data;
    const second = await create({ eventTypes: ['Project:Created'], headers: [], httpVerb: 'POST', url: `${receiver.url}/ppm/second` });
    expect(second.response.status).toBe(200);

    // 2. Retrieve the list of Webhooks, and one of them.
    const list = await client.GET('/@{tenant}/{apiVersion}/Webhooks', { params: { path } });
    expect({ status: list.response.status, body: list.data }).toEqual({ status: 200, body: { data: [webhook, { id: second.data!.data.id, eventTypes: ['Project:Created'], headers: [], httpVerb: 'POST', url: `${receiver.url}/ppm/second` }] } });
    const one = await client.GET('/@{tenant}/{apiVersion}/Webhooks/{id}', { params: { path: { ...path, id: webhook.id } } });
    expect({ status: one.response.status, body: one.data }).toEqual({ status: 200, body: { data: webhook } });
    await stack.routerHasSubscriptions(2);

    // Project:Updated and Idea:Updated only for Details fields: budget and risk do not fire, name and stage do.
    expect((await domain('PATCH', `/v1/projects/${project.body.id}`, { budget: 5000 })).status).toBe(200);
    expect((await domain('PATCH', `/v1/projects/${project.body.id}`, { name: 'Artificial Intelligence 2' })).status).toBe(200);
    expect((await domain('PATCH', `/v1/ideas/${idea.body.id}`, { risk: 2 })).status).toBe(200);
    expect((await domain('PATCH', `/v1/ideas/${idea.body.id}`, { stage: 1 })).status).toBe(200);
    // Task events only for internal tasks.
    const internal = await domain<{ id: string }>('POST', '/v1/tasks', { projectId: project.body.id, name: 'Create a test environment', duration: 9, progress: 50 });
    const external = await domain<{ id: string }>('POST', '/v1/tasks', { projectId: project.body.id, name: 'Synced from Jira', external: true, externalSource: 'jira', externalId: 'PPM-1' });
    expect([internal.status, external.status]).toEqual([201, 201]);
    // Key dates of programs and portfolios too, external ones included.
    expect((await domain('PATCH', `/v1/key-dates/${keyDate.body.id}`, { isComplete: true, status: 10 })).status).toBe(200);
    const externalKeyDate = await domain<{ id: string }>('POST', '/v1/key-dates', { parentType: 'portfolio', parentId: portfolio.body.id, name: 'Board review', date: '2022-03-01T12:00:00Z', external: true });
    expect(externalKeyDate.status).toBe(201);

    await receiver.waitForRequests(5, { timeoutMs: 60_000, pathPrefix: new URL(url).pathname });
    await new Promise((r) => setTimeout(r, 2_000));
    const requests = receiver.requestsTo(new URL(url).pathname);
    expect(requests).toHaveLength(5);
    expect(receiver.requestsTo('/ppm/second')).toHaveLength(0);
    const byId = new Map<string, { request: ReceivedRequest; body: Delivered }>(requests.map((r) => [r.json<Delivered>().Data.Id, { request: r, body: r.json<Delivered>() }]));
    expect([...byId.keys()].sort()).toEqual([project.body.id, idea.body.id, internal.body.id, keyDate.body.id, externalKeyDate.body.id].sort());

    const initiator = { UserId: admin.userId, FullName: 'Ada Admin', LogonAccount: `admin@${slug}.example.test` };
    for (const { request, body } of byId.values()) {
      // The configured headers are sent along with each delivery.
      expect(request.method).toBe('POST');
      expect(request.headers['authorization']).toBe('Bearer token_value');
      expect(request.headers['custom_header']).toBe('header_value');
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(body.WebhookId).toBe(webhook.id);
      expect(body.MessageId).toMatch(UUID);
      expect(body.Data.Initiator).toEqual(initiator);
      expect(Date.parse(body.Data.TimeStamp)).not.toBeNaN();
    }

    const projectUpdated = byId.get(project.body.id)!.body.Data;
    expect(projectUpdated.ParentEntityId).toBeUndefined();
    expect(projectUpdated.Attributes).toMatchObject({ Id: project.body.id, Name: 'Artificial Intelligence 2', Budget: 5000, Priority: 3, StartDate: '2021-12-01T12:00:00.000Z', Manager: [], Portfolio: [] });
    expect(projectUpdated.BeforeAttributes).toMatchObject({ Name: 'Artificial Intelligence', Budget: 5000 });

    const ideaUpdated = byId.get(idea.body.id)!.body.Data;
    expect(ideaUpdated.Attributes).toMatchObject({ Name: 'Dog Shelter Charity', Description: "Let's donate $1000 each month", BusinessPriority: 3, Stage: 1, Risk: 2 });
    expect(ideaUpdated.BeforeAttributes).toMatchObject({ Stage: 0, Risk: 2 });

    const taskCreated = byId.get(internal.body.id)!.body.Data;
    expect(taskCreated).toMatchObject({ ParentEntityId: project.body.id, ParentEntityType: 'Project' });
    expect(taskCreated.Attributes).toEqual({ Group: null, StartDate: null, DueDate: null, Duration: 9, Progress: 50, Status: 0, IsMilestone: false, Priority: 0, Name: 'Create a test environment' });
    expect(taskCreated.BeforeAttributes).toBeUndefined();

    const keyDateUpdated = byId.get(keyDate.body.id)!.body.Data;
    expect(keyDateUpdated).toMatchObject({ ParentEntityId: program.body.id, ParentEntityType: 'Program' });
    expect(keyDateUpdated.Attributes).toEqual({ ShowOnTimeline: true, Name: 'Release 1.0', Type: 0, Date: '2022-02-13T12:00:00.000Z', IsComplete: true, Status: 10, Description: null, AssignedTo: [] });
    expect(keyDateUpdated.BeforeAttributes).toEqual({ ShowOnTimeline: true, Name: 'Release 1.0', Type: 0, Date: '2022-02-13T12:00:00.000Z', IsComplete: false, Status: 1, Description: null, AssignedTo: [] });

    const keyDateCreated = byId.get(externalKeyDate.body.id)!.body.Data;
    expect(keyDateCreated).toMatchObject({ ParentEntityId: portfolio.body.id, ParentEntityType: 'Portfolio', Attributes: { Name: 'Board review', Date: '2022-03-01T12:00:00.000Z' } });
    expect(keyDateCreated.BeforeAttributes).toBeUndefined();

    // 3. Delete a Webhook, then all of them (administrative scope required).
    const secondId = { params: { path: { ...path, id: second.data!.data.id } } };
    expect((await client.DELETE('/@{tenant}/{apiVersion}/Webhooks/{id}', secondId)).response.status).toBe(204);
    const gone = await client.GET('/@{tenant}/{apiVersion}/Webhooks/{id}', secondId);
    expect({ status: gone.response.status, error: gone.error }).toEqual({ status: 404, error: { error: { code: 'NotFound', message: expect.any(String) } } });
    expect((await ppm<{ data: unknown[] }>('GET', '')).body).toEqual({ data: [webhook] });
    const forbidden = await ppm('DELETE', '', undefined, member.apiKey);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ error: { code: 'Forbidden', message: expect.stringContaining('administrative') } });
    expect((await ppm('DELETE', '')).status).toBe(204);
    expect(await ppm('GET', '')).toEqual({ status: 200, body: { data: [] } });
    expect((await ppm('GET', `/${webhook.id}`)).status).toBe(404);
    await waitFor(async () => (await stack.metric('event-router', 'herald_router_subscriptions')) === 0, { timeoutMs: 30_000, message: 'the router drops the deleted webhooks' });
    expect((await domain('PATCH', `/v1/projects/${project.body.id}`, { name: 'After the delete' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receiver.requestsTo(new URL(url).pathname)).toHaveLength(5);
  });

  it('receiver contract: the configured verb and headers on every delivery, BeforeAttributes on Task:Updated (edit and completion)', async () => {
    const project = await domain<{ id: string }>('POST', '/v1/projects', { name: 'Contract' });
    const task = await domain<{ id: string }>('POST', '/v1/tasks', { projectId: project.body.id, name: 'Draft', progress: 10 });
    const url = `${receiver.url}/ppm-contract/${randomUUID()}`;
    const created = await ppm<{ data: { id: string } }>('POST', '', { eventTypes: ['Task:Updated'], headers: [{ name: 'X-Api-Key', value: 's3cr3t' }], httpVerb: 'PUT', url });
    expect(created.status).toBe(200);
    await stack.routerHasSubscriptions(1);

    expect((await domain('PATCH', `/v1/tasks/${task.body.id}`, { name: 'Final', progress: 60 })).status).toBe(200);
    const [edited] = await receiver.waitForRequests(1, { timeoutMs: 60_000, pathPrefix: new URL(url).pathname });
    expect((await domain('POST', `/v1/tasks/${task.body.id}/complete`)).status).toBeLessThan(300);
    const [, completed] = await receiver.waitForRequests(2, { timeoutMs: 60_000, pathPrefix: new URL(url).pathname });

    for (const r of [edited, completed]) {
      expect(r.method).toBe('PUT');
      expect(r.headers['x-api-key']).toBe('s3cr3t');
      expect(r.headers['authorization']).toBeUndefined();
      expect(r.json<Delivered>().WebhookId).toBe(created.body.data.id);
    }
    expect(edited.json<Delivered>().Data).toMatchObject({
      Id: task.body.id,
      ParentEntityType: 'Project',
      Attributes: { Name: 'Final', Progress: 60 },
      BeforeAttributes: { Name: 'Draft', Progress: 10 },
    });
    expect(completed.json<Delivered>().Data).toMatchObject({ Id: task.body.id, Attributes: { Name: 'Final' }, BeforeAttributes: { Name: 'Final' } });
    expect(edited.json<Delivered>().MessageId).not.toBe(completed.json<Delivered>().MessageId);

    expect((await ppm('DELETE', `/${created.body.data.id}`)).status).toBe(204);
    await waitFor(async () => (await stack.metric('event-router', 'herald_router_subscriptions')) === 0, { timeoutMs: 30_000, message: 'the router drops the webhook' });
  });

  it('refuses what PPM Express refuses, in its error shape', async () => {
    const bad = await ppm<{ error: { code: string; details: { target: string }[] } }>('POST', '', { ...ppmSeedCreateBody(`${receiver.url}/x`), eventTypes: ['Project:Renamed'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BadRequest');
    expect(bad.body.error.details.map((d) => d.target)).toEqual(['eventTypes.0']);
    expect((await ppm('POST', '', { eventTypes: ['Project:Created'] })).status).toBe(400);
    expect((await ppm('POST', '', { ...ppmSeedCreateBody('ftp://example.com/x') })).status).toBe(400);
    expect((await ppm('POST', '', { ...ppmSeedCreateBody(`${receiver.url}/x`), headers: [{ name: 'Content-Length', value: '1' }] })).status).toBe(400);
    expect((await ppm('GET', '', undefined, `${admin.apiKey}x`)).status).toBe(401);
    expect((await stack.call('subscription-registry', 'GET', '/@another-tenant/v1/Webhooks', admin.apiKey)).status).toBe(401);
    expect((await stack.call('subscription-registry', 'GET', `/@${slug}/latest/Webhooks`, admin.apiKey)).status).toBe(404);
    expect((await ppm('GET', `/${randomUUID()}`)).body).toEqual({ error: { code: 'NotFound', message: expect.stringContaining('not found') } });
    expect((await ppm('DELETE', `/${randomUUID()}`)).status).toBe(404);
    // A hook of another API is not a PPM Express webhook.
    const native = await stack.call<{ id: string }>('subscription-registry', 'POST', '/v1/webhooks', admin.apiKey, { url: `${receiver.url}/native`, eventTypes: ['project.created'] });
    expect(native.status).toBe(201);
    expect((await ppm('GET', `/${native.body.id}`)).status).toBe(404);
    expect(await ppm('GET', '')).toEqual({ status: 200, body: { data: [] } });
  });
});
