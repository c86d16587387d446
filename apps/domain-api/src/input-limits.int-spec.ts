import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { call, createTestInfra, createTestTenant, postRaw, startTestApp, type Reply, type TestApp, type TestInfra, type TestTenant } from './testing';

// Issue 13 (generated input): every class of input that answered 500 on the domain API, and the
// OpenAPI document agreeing with what is refused. Issue 12 item 6: the body size limit.
jest.setTimeout(60_000);

let infra: TestInfra | undefined;
let t: TestApp;
let a: TestTenant;
let projectId: string;

const bearer = () => ({ bearer: a.apiKey });

async function outboxRows(): Promise<number> {
  const [{ n }] = (await t.ds.query('SELECT count(*)::int AS n FROM domain.outbox')) as Array<{ n: number }>;
  return n;
}

/** The answer is a problem+json refusal with `status`, naming `path` among its fields at fault, and nothing was written. */
async function expectRefused(send: () => Promise<Reply>, status: number, path?: string): Promise<Reply> {
  const before = await outboxRows();
  const reply = await send();
  expect({ status: reply.status, type: reply.contentType }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
  expect(reply.body).toMatchObject({ status, type: expect.stringMatching(/^https:\/\/herald\.dev\/problems\//), detail: expect.any(String) });
  if (path !== undefined) expect((reply.body['errors'] as Array<{ path: string }>).map((e) => e.path)).toContain(path);
  expect(await outboxRows()).toBe(before);
  return reply;
}

beforeAll(async () => {
  infra = await createTestInfra('domain-api-input');
  t = await startTestApp(infra.env({ HERALD_KAFKA_PARTITIONS_OVERRIDE: '1' }));
  a = await createTestTenant(t.ds, 'limits');
  const p = await call(t.url, 'POST', '/v1/projects', bearer(), { name: 'Limits' });
  expect(p.status).toBe(201);
  projectId = p.body['id'] as string;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await infra?.drop();
});

describe('text the database cannot store is refused with 400 naming the field (was 500)', () => {
  it.each([
    ['POST /v1/tasks name', 'POST', '/v1/tasks', () => ({ projectId, name: 'a\u0000b' }), 'name'],
    ['POST /v1/projects description', 'POST', '/v1/projects', () => ({ name: 'x', description: '\u000b\u0000' }), 'description'],
    ['POST /v1/comments body', 'POST', '/v1/comments', () => ({ projectId, body: '\u0000' }), 'body'],
    ['POST /v1/ideas tags', 'POST', '/v1/ideas', () => ({ name: 'x', tags: ['ok', 'n\u0000'] }), 'tags.1'],
    ['POST /v1/clients attribute value', 'POST', '/v1/clients', () => ({ name: 'x', attributes: { a: { b: ['\u0000'] } } }), 'attributes.a.b.0'],
    ['POST /v1/portfolios attribute key', 'POST', '/v1/portfolios', () => ({ name: 'x', attributes: { 'k\u0000': 1 } }), 'attributes.k\u0000'],
    ['POST /v1/project-templates task name', 'POST', '/v1/project-templates', () => ({ name: 'x', tasks: [{ name: '\u0000' }] }), 'tasks.0.name'],
  ])('NUL: %s', async (_label, method, path, body, field) => {
    await expectRefused(() => call(t.url, method, path, bearer(), body()), 400, field);
  });

  it('an unpaired surrogate is refused (it was stored as U+FFFD, not as given)', async () => {
    await expectRefused(() => call(t.url, 'POST', '/v1/tasks', bearer(), { projectId, name: 'a\ud800' }), 400, 'name');
    await expectRefused(() => call(t.url, 'POST', '/v1/tasks', bearer(), { projectId, name: 'x', description: '\udfff tail' }), 400, 'description');
    // A paired surrogate (an emoji) is text like any other, counted as one character.
    const ok = await call(t.url, 'POST', '/v1/tasks', bearer(), { projectId, name: '😀'.repeat(500) });
    expect(ok.status).toBe(201);
    expect(ok.body['name']).toBe('😀'.repeat(500));
  });

  it('the PATCH of a comment and of a task refuse it too', async () => {
    const c = await call(t.url, 'POST', '/v1/comments', bearer(), { projectId, body: 'fine' });
    expect(c.status).toBe(201);
    await expectRefused(() => call(t.url, 'PATCH', `/v1/comments/${c.body['id'] as string}`, bearer(), { body: 'x\u0000' }), 400, 'body');
    const task = await call(t.url, 'POST', '/v1/tasks', bearer(), { projectId, name: 'fine' });
    await expectRefused(() => call(t.url, 'PATCH', `/v1/tasks/${task.body['id'] as string}`, bearer(), { externalId: '\u0000' }), 400, 'externalId');
  });
});

describe('numbers outside their column are refused with 400 (was 500)', () => {
  it.each([
    ['task priority beyond int', '/v1/tasks', () => ({ projectId, name: 'x', priority: 9007199254740990 }), 'priority'],
    ['task status beyond int', '/v1/tasks', () => ({ projectId, name: 'x', status: 239652025416 }), 'status'],
    ['project number beyond int', '/v1/projects', () => ({ name: 'x', number: 2147483648 }), 'number'],
    ['project stage below int', '/v1/projects', () => ({ name: 'x', stage: -2147483649 }), 'stage'],
    ['idea businessPriority beyond int', '/v1/ideas', () => ({ name: 'x', businessPriority: 1e12 }), 'businessPriority'],
    ['task duration of 1e308 days', '/v1/tasks', () => ({ projectId, name: 'x', duration: 1e308 }), 'duration'],
    ['template task duration of 1e308 days', '/v1/project-templates', () => ({ name: 'x', tasks: [{ name: 't', duration: 1e308 }] }), 'tasks.0.duration'],
  ])('%s', async (_label, path, body, field) => {
    await expectRefused(() => call(t.url, 'POST', path, bearer(), body()), 400, field);
  });

  it('the bounds themselves are accepted', async () => {
    const r = await call(t.url, 'POST', '/v1/tasks', bearer(), { projectId, name: 'edge', priority: 2147483647, status: -2147483648, duration: 36_500 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ priority: 2147483647, status: -2147483648, duration: 36_500 });
  });

  it('a project from a template whose task dates would pass the year 9999 is a 422 (was 500)', async () => {
    const tpl = await call(t.url, 'POST', '/v1/project-templates', bearer(), { name: 'late', tasks: [{ name: 't', startOffsetDays: 3650, duration: 36_500 }] });
    expect(tpl.status).toBe(201);
    await expectRefused(
      () => call(t.url, 'POST', `/v1/project-templates/${tpl.body['id'] as string}/projects`, bearer(), { startDate: '9990-01-01T00:00:00Z' }),
      422,
      'startDate',
    );
  });
});

describe('attributes', () => {
  it('nest at most 3 levels; deeper is a 400, not a stack overflow or a database error', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 4; i++) deep = { d: deep };
    await expectRefused(() => call(t.url, 'POST', '/v1/clients', bearer(), { name: 'x', attributes: { a: deep } }), 400);
    const veryDeep = `{"name":"x","attributes":{"a":${'['.repeat(50_000)}1${']'.repeat(50_000)}}}`;
    await expectRefused(
      async () => {
        const res = await postRaw(t.url, '/v1/clients', a.apiKey, veryDeep);
        return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
      },
      400,
    );
    const ok = await call(t.url, 'POST', '/v1/clients', bearer(), { name: 'x', attributes: { a: { b: { c: ['e', 1, null, true] } } } });
    expect(ok.status).toBe(201);
  });
});

describe('well-formed input that cannot be carried out is a 422 (the schema accepts it)', () => {
  it('a reference to a row the tenant does not have', async () => {
    const unknown = '0d11d333-3245-4f01-b604-70708ddb380f';
    await expectRefused(() => call(t.url, 'POST', '/v1/tasks', bearer(), { projectId: unknown, name: 'x' }), 422, 'projectId');
    await expectRefused(() => call(t.url, 'POST', '/v1/portfolios', bearer(), { name: 'x', managerIds: [unknown] }), 422, 'managerIds');
    await expectRefused(() => call(t.url, 'POST', '/v1/key-dates', bearer(), { parentType: 'program', parentId: unknown, name: 'x', date: '2026-01-01T00:00:00Z' }), 422, 'parentId');
  });

  it('query parameters: a cursor is a position of the documented shape; integers are digits', async () => {
    await expectRefused(() => call(t.url, 'GET', '/v1/tasks?cursor=abc', bearer()), 400, 'cursor');
    expect((await call(t.url, 'GET', '/v1/tasks?offset=1&cursor=2026-01-01T00:00:00.000Z_0d11d333-3245-4f01-b604-70708ddb380f', bearer())).status).toBe(200);
    // Query integers are digits: "", "1e3" and "0x10" are not what the document's integer means.
    for (const q of ['limit=', 'offset=', 'limit=1e3', 'offset=0x10', 'limit=%205']) {
      expect({ q, status: (await call(t.url, 'GET', `/v1/tasks?${q}`, bearer())).status }).toEqual({ q, status: 400 });
    }
  });
});

describe('bodies, media types and methods (issue 12 item 6)', () => {
  it('a 3 MB body is a 413 problem+json (was 500)', async () => {
    const res = await postRaw(t.url, '/v1/projects', a.apiKey, JSON.stringify({ name: 'x', description: 'a'.repeat(3_000_000) }));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { detail: string }).detail).toMatch(/larger than the 1048576 bytes/);
  });

  it('a body that is not JSON is a 415; a PATCH without a body is a 400, not "change nothing"', async () => {
    const text = await postRaw(t.url, '/v1/projects', a.apiKey, 'name=x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toContain('application/problem+json');
    await expectRefused(() => call(t.url, 'PATCH', `/v1/projects/${projectId}`, bearer()), 400, '(body)');
  });

  it('a method a documented path does not have is a 405 with Allow (was 404)', async () => {
    const res = await fetch(`${t.url}/v1/projects`, { method: 'PUT', headers: { authorization: `Bearer ${a.apiKey}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${t.url}/v1/nothing-here`, { method: 'PUT' })).status).toBe(404);
  });
});

describe('the OpenAPI document refuses what the API refuses', () => {
  interface Doc {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> }; responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, object> };
  }
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  beforeAll(async () => {
    doc = (await call(t.url, 'GET', '/openapi.json', null)).body as unknown as Doc;
    ajv.addSchema({ $id: 'doc', components: doc.components });
  });
  const bodySchema = (path: string, method: string) => {
    const schema = JSON.parse(JSON.stringify(doc.paths[path][method].requestBody?.content['application/json'].schema).replaceAll('"#/components/', '"doc#/components/')) as object;
    return ajv.compile(schema);
  };

  // (An unpaired surrogate is not a Unicode string: JSON Schema cannot name it; the API refuses it, tested above.)
  it('NUL, ints beyond 32 bits, blank names, huge durations and deep attributes are invalid in the document too', () => {
    const task = bodySchema('/v1/tasks', 'post');
    const p = '0d11d333-3245-4f01-b604-70708ddb380f';
    expect(task({ projectId: p, name: 'ok', priority: 2147483647, attributes: { a: { b: { c: [1] } } } })).toBe(true);
    for (const bad of [
      { projectId: p, name: 'a\u0000' },
      { projectId: p, name: '   ' },
      { projectId: p, name: 'ok', priority: 2147483648 },
      { projectId: p, name: 'ok', duration: 1e308 },
      { projectId: p, name: 'ok', attributes: { a: { b: { c: { d: { e: 1 } } } } } },
    ]) {
      expect({ bad, valid: task(bad) }).toEqual({ bad, valid: false });
    }
    const comment = bodySchema('/v1/comments', 'post');
    expect(comment({ body: 'x' })).toBe(false); // taskId or projectId, as the API says
    expect(comment({ body: 'x', projectId: p })).toBe(true);
  });

  it('every operation documents each error status the API can answer', () => {
    for (const [path, ops] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/'))) {
      for (const [method, op] of Object.entries(ops)) {
        const documented = Object.keys(op.responses);
        expect({ op: `${method} ${path}`, has: ['401', '403'].filter((s) => documented.includes(s)) }).toEqual({ op: `${method} ${path}`, has: ['401', '403'] });
        expect({ op: `${method} ${path}`, success: documented.some((s) => s.startsWith('2')) }).toEqual({ op: `${method} ${path}`, success: true });
        if (op.requestBody) {
          expect({ op: `${method} ${path}`, has: ['400', '413', '415', '422'].filter((s) => documented.includes(s)) }).toEqual({
            op: `${method} ${path}`,
            has: ['400', '413', '415', '422'],
          });
        }
      }
    }
  });
});
