import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { RESOURCE_DEFINITION_LIST } from '@herald/domain/resources';
import { call, createTestInfra, createTestTenant, postRaw, startTestApp, type TestApp, type TestInfra, type TestTenant } from './testing';

// Real Postgres and Kafka (and, for the CLI, processes): jest's 5 s default is for unit tests.
jest.setTimeout(60_000);

let infra: TestInfra | undefined;
let t: TestApp;
let a: TestTenant;
let b: TestTenant;
/** One row of every resource type, in tenant A. */
const ids: Record<string, string> = {};

const bearer = (x: TestTenant) => ({ bearer: x.apiKey });
const proprofs = (x: TestTenant) => ({ key: x.apiKey, domain: x.domain });

async function create(path: string, body: Record<string, unknown>): Promise<string> {
  const r = await call(t.url, 'POST', `/v1/${path}`, bearer(a), body);
  expect(r.status).toBe(201);
  return r.body['id'] as string;
}

async function outboxRows(): Promise<number> {
  const [{ n }] = (await t.ds.query('SELECT count(*)::int AS n FROM domain.outbox')) as Array<{ n: number }>;
  return n;
}

beforeAll(async () => {
  infra = await createTestInfra('domain-api-http');
  t = await startTestApp(infra.env());
  a = await createTestTenant(t.ds, 'acme');
  b = await createTestTenant(t.ds, 'globex');
  ids['client'] = await create('clients', { name: 'Acme Corp' });
  ids['portfolio'] = await create('portfolios', { name: 'Growth' });
  ids['program'] = await create('programs', { name: 'AI', portfolioId: ids['portfolio'] });
  ids['project'] = await create('projects', { name: 'Website', clientId: ids['client'] });
  ids['project_template'] = await create('project-templates', { name: 'Launch', tasks: [{ name: 'Kick-off' }] });
  ids['task'] = await create('tasks', { projectId: ids['project'], name: 'Design', userIds: [a.userId] });
  ids['subtask'] = await create('subtasks', { taskId: ids['task'], name: 'Wireframes' });
  ids['comment'] = await create('comments', { taskId: ids['task'], body: 'Looks good' });
  ids['calendar_event'] = await create('calendar-events', { title: 'Demo', startAt: '2026-03-01T15:00:00Z', projectId: ids['project'] });
  ids['idea'] = await create('ideas', { name: 'Dog Shelter Charity' });
  ids['key_date'] = await create('key-dates', { parentType: 'project', parentId: ids['project'], name: 'Release 1.0', date: '2026-04-01T12:00:00Z' });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await infra?.drop();
});

interface OpenApiOperation {
  operationId: string;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface Route {
  method: string;
  /** OpenAPI path template, e.g. /v1/tasks/{id}. */
  template: string;
  /** The concrete path for tenant A's row. */
  path: string;
  body?: unknown;
}

/** Every endpoint that names one of tenant A's rows. */
function routesOnOneRow(): Route[] {
  const routes: Route[] = [];
  for (const def of RESOURCE_DEFINITION_LIST) {
    const id = ids[def.type];
    routes.push({ method: 'GET', template: `/v1/${def.path}/{id}`, path: `/v1/${def.path}/${id}` });
    routes.push({ method: 'PATCH', template: `/v1/${def.path}/{id}`, path: `/v1/${def.path}/${id}`, body: {} });
    routes.push({ method: 'DELETE', template: `/v1/${def.path}/{id}`, path: `/v1/${def.path}/${id}` });
    if (def.completable) {
      routes.push({ method: 'POST', template: `/v1/${def.path}/{id}/complete`, path: `/v1/${def.path}/${id}/complete` });
      routes.push({ method: 'POST', template: `/v1/${def.path}/{id}/reopen`, path: `/v1/${def.path}/${id}/reopen` });
    }
  }
  routes.push({
    method: 'POST',
    template: '/v1/project-templates/{id}/projects',
    path: `/v1/project-templates/${ids['project_template']}/projects`,
    body: {},
  });
  routes.push({ method: 'GET', template: '/v1/users/{id}', path: `/v1/users/${a.userId}` });
  routes.push({ method: 'PATCH', template: '/v1/users/{id}', path: `/v1/users/${a.userId}`, body: { active: false } });
  routes.push({ method: 'DELETE', template: '/v1/api-keys/{id}', path: `/v1/api-keys/${a.keyId}` });
  const kinds: Array<[string, string]> = [
    ['projects', 'project'],
    ['tasks', 'task'],
    ['subtasks', 'subtask'],
    ['events', 'calendar_event'],
    ['clients', 'client'],
  ];
  for (const [kind, type] of kinds) routes.push({ method: 'GET', template: '/v2/{kind}/{id}', path: `/v2/${kind}/${ids[type]}` });
  return routes;
}

/** Every endpoint that names no row (collections, me). */
function collectionRoutes(): Route[] {
  return [
    ...RESOURCE_DEFINITION_LIST.flatMap((def) => [
      { method: 'GET', template: `/v1/${def.path}`, path: `/v1/${def.path}` },
      { method: 'POST', template: `/v1/${def.path}`, path: `/v1/${def.path}`, body: {} },
    ]),
    { method: 'GET', template: '/v1/me', path: '/v1/me' },
    { method: 'GET', template: '/v1/users', path: '/v1/users' },
    { method: 'POST', template: '/v1/users', path: '/v1/users', body: {} },
    { method: 'GET', template: '/v1/api-keys', path: '/v1/api-keys' },
    { method: 'POST', template: '/v1/api-keys', path: '/v1/api-keys', body: {} },
  ];
}

describe('tenant isolation', () => {
  it('the tables cover every endpoint of the OpenAPI document', async () => {
    const doc = (await call(t.url, 'GET', '/openapi.json', null)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1') || p.startsWith('/v2'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const covered = new Set([...routesOnOneRow(), ...collectionRoutes()].map((r) => `${r.method} ${r.template}`));
    expect(documented.filter((d) => !covered.has(d))).toEqual([]);
  });

  it("tenant B's key gets 404 on every endpoint that names tenant A's row, and changes nothing", async () => {
    const before = await outboxRows();
    for (const r of routesOnOneRow()) {
      for (const auth of [bearer(b), proprofs(b)]) {
        const reply = await call(t.url, r.method, r.path, auth, r.body);
        expect({ route: `${r.method} ${r.path}`, status: reply.status, type: reply.contentType }).toEqual({
          route: `${r.method} ${r.path}`,
          status: 404,
          type: expect.stringContaining('application/problem+json'),
        });
      }
    }
    expect(await outboxRows()).toBe(before);
    for (const def of RESOURCE_DEFINITION_LIST) {
      expect((await call(t.url, 'GET', `/v1/${def.path}/${ids[def.type]}`, bearer(a))).status).toBe(200);
    }
    expect((await call(t.url, 'GET', '/v1/me', bearer(a))).status).toBe(200);
  });

  it("tenant B's lists never show tenant A's rows", async () => {
    for (const def of RESOURCE_DEFINITION_LIST) {
      const reply = await call(t.url, 'GET', `/v1/${def.path}`, bearer(b));
      expect(reply.status).toBe(200);
      expect(reply.body['data']).toEqual([]);
    }
    const users = (await call(t.url, 'GET', '/v1/users', bearer(b))).body['data'] as Array<{ id: string }>;
    expect(users.map((u) => u.id)).not.toContain(a.userId);
  });

  it('no credentials: 401 problem+json with a clear detail on every endpoint', async () => {
    for (const r of [...routesOnOneRow(), ...collectionRoutes()]) {
      const reply = await call(t.url, r.method, r.path, null, r.body);
      expect({ route: `${r.method} ${r.path}`, status: reply.status }).toEqual({ route: `${r.method} ${r.path}`, status: 401 });
      expect(reply.contentType).toContain('application/problem+json');
      expect(reply.body['detail']).toMatch(/missing credentials/);
    }
  });
});

describe('authentication', () => {
  it('accepts Authorization: Bearer and ProProfs key + domain, and says what is wrong otherwise', async () => {
    expect((await call(t.url, 'GET', '/v1/me', bearer(a))).body).toMatchObject({ userId: a.userId, tenant: { slug: 'acme' } });
    expect((await call(t.url, 'GET', '/v1/me', proprofs(a))).body).toMatchObject({ userId: a.userId });
    const cases: Array<[Parameters<typeof call>[3], RegExp]> = [
      [{ key: a.apiKey, domain: b.domain }, /domain header does not match/],
      [{ bearer: 'not-a-key' }, /malformed/],
      [{ bearer: `${a.apiKey.slice(0, -4)}AAAA` }, /not valid/],
      [{ bearer: `hk_${'Z'.repeat(16)}_${'x'.repeat(43)}` }, /not valid/],
    ];
    for (const [auth, detail] of cases) {
      const reply = await call(t.url, 'GET', '/v1/tasks', auth);
      expect(reply.status).toBe(401);
      expect(reply.body['detail']).toMatch(detail);
    }
    const basic = await fetch(`${t.url}/v1/tasks`, { headers: { authorization: 'Basic YTpi' } });
    expect(basic.status).toBe(401);
    const keyOnly = await fetch(`${t.url}/v1/tasks`, { headers: { key: a.apiKey } });
    expect(keyOnly.status).toBe(401);
    expect(((await keyOnly.json()) as { detail: string }).detail).toMatch(/domain header is required/);
  });

  it('enforces scopes: read for GET, write for changes, administrative for keys and users', async () => {
    const created = await call(t.url, 'POST', '/v1/api-keys', bearer(a), { scopes: ['read'], label: 'read-only' });
    expect(created.status).toBe(201);
    expect(created.body['apiKey']).toMatch(/^hk_/);
    const readOnly = { bearer: created.body['apiKey'] as string };
    expect((await call(t.url, 'GET', '/v1/tasks', readOnly)).status).toBe(200);
    const denied = await call(t.url, 'POST', '/v1/clients', readOnly, { name: 'Nope' });
    expect(denied.status).toBe(403);
    expect(denied.body['detail']).toMatch(/"write" scope/);
    expect((await call(t.url, 'POST', '/v1/api-keys', readOnly, {})).status).toBe(403);
    expect((await call(t.url, 'POST', '/v1/users', readOnly, { fullName: 'X', email: 'x@acme.test' })).status).toBe(403);
  });

  it("a deactivated user's keys stop working", async () => {
    const user = await call(t.url, 'POST', '/v1/users', bearer(a), { fullName: 'Brian Adams', email: 'brian@acme.test' });
    expect(user.status).toBe(201);
    const key = await call(t.url, 'POST', '/v1/api-keys', bearer(a), { userId: user.body['id'], scopes: ['read'] });
    expect((await call(t.url, 'GET', '/v1/me', { bearer: key.body['apiKey'] as string })).body).toMatchObject({ fullName: 'Brian Adams' });
    const off = await call(t.url, 'PATCH', `/v1/users/${user.body['id'] as string}`, bearer(a), { active: false });
    expect(off.body).toMatchObject({ active: false });
    const refused = await call(t.url, 'GET', '/v1/me', { bearer: key.body['apiKey'] as string });
    expect(refused.status).toBe(401);
    expect(refused.body['detail']).toMatch(/deactivated/);
  });

  it('a key cannot revoke itself, nor a user deactivate themselves or drop their admin role (409): another admin can', async () => {
    const admin = await call(t.url, 'POST', '/v1/users', bearer(a), { fullName: 'Second Admin', email: 'second@acme.test', isAdmin: true });
    const key = await call(t.url, 'POST', '/v1/api-keys', bearer(a), { userId: admin.body['id'] });
    const second = { bearer: key.body['apiKey'] as string };
    const self = await call(t.url, 'DELETE', `/v1/api-keys/${key.body['id'] as string}`, second);
    expect(self.status).toBe(409);
    expect(self.body['detail']).toMatch(/cannot revoke itself/);
    for (const body of [{ active: false }, { isAdmin: false }]) {
      const r = await call(t.url, 'PATCH', `/v1/users/${admin.body['id'] as string}`, second, body);
      expect({ body, status: r.status }).toEqual({ body, status: 409 });
    }
    expect((await call(t.url, 'GET', '/v1/me', second)).status).toBe(200);
    // Renaming oneself is fine; another admin may deactivate and revoke.
    expect((await call(t.url, 'PATCH', `/v1/users/${admin.body['id'] as string}`, second, { fullName: 'Second' })).status).toBe(200);
    expect((await call(t.url, 'DELETE', `/v1/api-keys/${key.body['id'] as string}`, bearer(a))).status).toBe(200);
    expect((await call(t.url, 'PATCH', `/v1/users/${admin.body['id'] as string}`, bearer(a), { active: false })).status).toBe(200);
  });

  it('shows a key once, stores only its hash, and refuses it once revoked', async () => {
    const created = await call(t.url, 'POST', '/v1/api-keys', bearer(a), { scopes: ['read', 'write'] });
    const key = created.body['apiKey'] as string;
    const stored = (await t.ds.query('SELECT * FROM domain.api_keys WHERE key_id = $1', [created.body['keyId']])) as Array<
      Record<string, unknown>
    >;
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(key);
    const listed = await call(t.url, 'GET', '/v1/api-keys', bearer(a));
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((await call(t.url, 'GET', '/v1/me', { bearer: key })).status).toBe(200);
    const revoked = await call(t.url, 'DELETE', `/v1/api-keys/${created.body['id'] as string}`, bearer(a));
    expect(revoked.status).toBe(200);
    expect(revoked.body['revokedAt']).toEqual(expect.any(String));
    const refused = await call(t.url, 'GET', '/v1/me', { bearer: key });
    expect(refused.status).toBe(401);
    expect(refused.body['detail']).toMatch(/revoked/);
  });
});

describe('validation and errors', () => {
  it('refuses unknown fields and bad values with problem+json and errors[]', async () => {
    const reply = await call(t.url, 'POST', '/v1/tasks', bearer(a), { projectId: ids['project'], name: 'X', colour: 'red', progress: 200 });
    expect(reply.status).toBe(400);
    expect(reply.contentType).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ type: expect.any(String), title: 'Bad Request', status: 400, instance: '/v1/tasks' });
    const paths = (reply.body['errors'] as Array<{ path: string }>).map((e) => e.path).sort();
    expect(paths).toEqual(['(body)', 'progress']);
    const badJson = await postRaw(t.url, '/v1/tasks', a.apiKey, '{not json');
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('content-type')).toContain('application/problem+json');
  });

  it('serves OpenAPI 3.1 at /openapi.json and Swagger UI at /docs', async () => {
    // Swagger UI first: compiling every schema below can outlast the server's keep-alive, and a
    // request on a socket it just closed is an ECONNRESET.
    const ui = await fetch(`${t.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const doc = await call(t.url, 'GET', '/openapi.json', null);
    expect(doc.status).toBe(200);
    expect(doc.body['openapi']).toBe('3.1.0');
    const paths = doc.body['paths'] as Record<string, Record<string, OpenApiOperation>>;
    expect(paths['/v1/tasks']?.['post']?.requestBody).toBeDefined();
    // Every body and response schema is valid JSON Schema 2020-12 (OpenAPI 3.1's dialect), and
    // operation ids are unique.
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    // Shared schemas (the nested attribute values) live under components: the request schemas point there.
    ajv.addSchema({ $id: 'doc', components: doc.body['components'] });
    const inDoc = (schema: unknown) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as object;
    const operationIds: string[] = [];
    for (const ops of Object.values(paths)) {
      for (const op of Object.values(ops)) {
        operationIds.push(op.operationId);
        const schemas = [
          ...Object.values(op.requestBody?.content ?? {}),
          ...Object.values(op.responses ?? {}).flatMap((r) => Object.values(r.content ?? {})),
        ].map((c) => c.schema);
        for (const schema of schemas.filter(Boolean)) expect(() => ajv.compile(inDoc(schema))).not.toThrow();
      }
    }
    expect(new Set(operationIds).size).toBe(operationIds.length);
    // The task DTO refuses unknown fields in the document too.
    const taskBody = paths['/v1/tasks']['post'].requestBody?.content?.['application/json']?.schema as Record<string, unknown>;
    expect(taskBody['additionalProperties']).toBe(false);
    expect(taskBody['required']).toEqual(expect.arrayContaining(['projectId', 'name']));
  });
});

describe('pagination', () => {
  it('pages by offset and by cursor, with limit at most 1000, filtered by project', async () => {
    const project = await create('projects', { name: 'Paged' });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await create('tasks', { projectId: project, name: `T${i}` }));
    const q = (s: string) => call(t.url, 'GET', `/v1/tasks?projectId=${project}&${s}`, bearer(a));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply: Awaited<ReturnType<typeof q>> = await q(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(reply.status).toBe(200);
      const data = reply.body['data'] as Array<{ id: string; projectId: string }>;
      for (const row of data) expect(row.projectId).toBe(project);
      seen.push(...data.map((d) => d.id));
      cursor = (reply.body['page'] as { nextCursor: string | null }).nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(made);

    const byOffset = await q('limit=2&offset=4');
    expect((byOffset.body['data'] as Array<{ id: string }>).map((d) => d.id)).toEqual([made[4]]);
    expect((await q('limit=1000')).status).toBe(200);
    for (const bad of ['limit=1001', 'limit=0', 'offset=-1', 'cursor=', 'cursor=garbage', 'colour=red']) {
      const reply = await q(bad);
      expect({ bad, status: reply.status }).toEqual({ bad, status: 400 });
    }
    // With a cursor, offset skips rows after its position.
    const first = await q('limit=1');
    const afterFirst = (first.body['page'] as { nextCursor: string }).nextCursor;
    const skipped = await q(`limit=2&offset=1&cursor=${afterFirst}`);
    expect((skipped.body['data'] as Array<{ id: string }>).map((d) => d.id)).toEqual([made[2], made[3]]);
    const all = await call(t.url, 'GET', '/v1/tasks?limit=1000', bearer(a));
    expect((all.body['data'] as unknown[]).length).toBe(6);
  });
});

describe('ProProfs resource URLs', () => {
  it('answer {"data":{…}} in ProProfs shape with key + domain', async () => {
    const task = await call(t.url, 'GET', `/v2/tasks/${ids['task']}`, proprofs(a));
    expect(task.status).toBe(200);
    expect(task.body['data']).toMatchObject({
      task_id: ids['task'],
      task_name: 'Design',
      project_id: ids['project'],
      project_name: 'Website',
      completed: false,
      progress: 0,
      user_id: a.userId,
      users: [{ user_id: a.userId, name: 'acme admin', email: 'admin@acme.test' }],
      date_created: expect.any(String),
      date_modified: expect.any(String),
    });
    for (const f of ['description', 'start_date', 'due_date', 'date_completed']) expect(task.body['data']).toHaveProperty(f);
    expect((await call(t.url, 'GET', `/v2/projects/${ids['project']}`, proprofs(a))).body['data']).toMatchObject({
      project_id: ids['project'],
      project_name: 'Website',
      client_id: ids['client'],
      client_name: 'Acme Corp',
    });
    expect((await call(t.url, 'GET', `/v2/subtasks/${ids['subtask']}`, proprofs(a))).body['data']).toMatchObject({
      subtask_id: ids['subtask'],
      subtask_name: 'Wireframes',
      task_id: ids['task'],
      task_name: 'Design',
    });
    expect((await call(t.url, 'GET', `/v2/events/${ids['calendar_event']}`, proprofs(a))).body['data']).toMatchObject({
      event_id: ids['calendar_event'],
      event_name: 'Demo',
      start_date: '2026-03-01T15:00:00.000Z',
      project_name: 'Website',
    });
    expect((await call(t.url, 'GET', `/v2/clients/${ids['client']}`, proprofs(a))).body['data']).toMatchObject({
      client_id: ids['client'],
      client_name: 'Acme Corp',
    });
  });

  it('answer 404 for unknown ids and kinds, 401 for bad credentials', async () => {
    expect((await call(t.url, 'GET', '/v2/tasks/00000000-0000-4000-8000-000000000000', proprofs(a))).status).toBe(404);
    expect((await call(t.url, 'GET', '/v2/tasks/not-a-uuid', proprofs(a))).status).toBe(404);
    expect((await call(t.url, 'GET', `/v2/ideas/${ids['idea']}`, proprofs(a))).status).toBe(404);
    expect((await call(t.url, 'GET', `/v2/tasks/${ids['task']}`, { key: a.apiKey, domain: 'nope.projectbubble.com' })).status).toBe(401);
    expect((await call(t.url, 'GET', `/v2/tasks/${ids['task']}`, { key: 'wrong', domain: a.domain })).status).toBe(401);
  });
});

describe('actions', () => {
  it('complete and reopen a task; a template makes a project whose templateId is set', async () => {
    const done = await call(t.url, 'POST', `/v1/tasks/${ids['task']}/complete`, bearer(a));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ completed: true, progress: 100 });
    const open = await call(t.url, 'POST', `/v1/tasks/${ids['task']}/reopen`, proprofs(a));
    expect(open.body).toMatchObject({ completed: false, dateCompleted: null });
    const fromTemplate = await call(t.url, 'POST', `/v1/project-templates/${ids['project_template']}/projects`, bearer(a), {
      name: 'Launch Q3',
    });
    expect(fromTemplate.status).toBe(201);
    expect(fromTemplate.body['project']).toMatchObject({ name: 'Launch Q3', templateId: ids['project_template'] });
    expect(fromTemplate.body['tasks']).toHaveLength(1);
  });

  it("carries the caller's W3C trace context into the change's outbox row", async () => {
    // What startTracing registers in a service with OTLP export on (here without an exporter).
    new NodeTracerProvider().register();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await postRaw(t.url, '/v1/clients', a.apiKey, JSON.stringify({ name: 'Traced Corp' }), {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const rows = (await t.ds.query(`SELECT payload, headers FROM domain.outbox WHERE payload->>'resourceId' = $1`, [id])) as Array<{
      payload: { traceparent?: string; action: string };
      headers: Record<string, string>;
    }>;
    expect(rows).toHaveLength(1);
    expect(rows[0].payload.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(rows[0].payload.traceparent).not.toBe(`00-${traceId}-00f067aa0ba902b7-01`);
    expect(rows[0].headers['traceparent']).toBe(rows[0].payload.traceparent);
    for (const api of [trace, context, propagation]) api.disable();
  });

  it('a delete other rows still point at is a 409', async () => {
    const reply = await call(t.url, 'DELETE', `/v1/projects/${ids['project']}`, bearer(a));
    expect(reply.status).toBe(409);
    expect(reply.body['detail']).toMatch(/delete them first/);
  });
});
