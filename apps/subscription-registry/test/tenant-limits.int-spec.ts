import { Readable } from 'node:stream';
import { companyIdOf } from '@herald/dialects/procore';
import { uniqueKafkaNamespace } from '@herald/platform/testing';
import { KafkaFixture, api, createRegistryDatabase, startRegistry, testTenant, waitFor, type RunningRegistry } from './registry-harness';
import { REGISTRY_TOPICS } from '@herald/registry/principals';

// Issue 12.6 (and 12.8's SSRF wording): what one tenant may hold and send, each limit a clear
// 4xx in the error shape of the API it was sent to. The registry in-process against the real
// broker and database, with small limits so the tests stay small.
describe('limits, on every API of the registry', () => {
  const namespace = uniqueKafkaNamespace('reg-limits');
  const kafka = new KafkaFixture(namespace);
  const acme = testTenant(['webhooks', 'administrative']);
  const other = testTenant(['webhooks', 'administrative']);
  const MAX_BODY = 64 * 1024;
  let db: Awaited<ReturnType<typeof createRegistryDatabase>>;
  let registry: RunningRegistry;
  const call = (t = acme) => api(registry.url, t.apiKey);
  /** Hook URLs that do not resolve: the SSRF guard lets them through (DNS may be briefly wrong), nothing is called. */
  const url = (n: number | string) => `https://hooks-${n}.invalid/hook`;

  beforeAll(async () => {
    db = await createRegistryDatabase('limits');
    await kafka.ensureTopics(REGISTRY_TOPICS);
    await kafka.publishPrincipals([...acme.principals, ...other.principals]);
    registry = await startRegistry({
      DATABASE_URL: db.url,
      HERALD_KAFKA_NAMESPACE: namespace,
      // No allow-list: this machine's addresses are internal ones.
      HERALD_SSRF_ALLOW_CIDRS: '',
      HERALD_MAX_REQUEST_BODY_BYTES: String(MAX_BODY),
      HERALD_MAX_HOOKS_PER_TENANT: '6',
      HERALD_MAX_PROJECT_IDS_PER_HOOK: '3',
      HERALD_MAX_HEADERS_PER_HOOK: '2',
      HERALD_MAX_HEADER_BYTES_PER_HOOK: '300',
      HERALD_MAX_FORMAT_OPTIONS_BYTES: '1024',
    });
    await waitFor('principals loaded', async () => (await call()('GET', '/v1/webhooks')).status === 200);
  }, 60_000);

  afterAll(async () => {
    await registry?.close();
    await kafka.close();
    await db?.drop();
  }, 60_000);

  it('refuses project ids, headers and formatOptions over their limits with a 400 problem naming the field, on create and on change', async () => {
    const create = (settings: Record<string, unknown>) => call()('POST', '/v1/webhooks', { url: url('settings'), eventTypes: ['*'], ...settings });
    const refused = async (answer: Promise<{ status: number; headers: Headers; body: { errors?: { path: string; message: string }[] } }>, path: string, message: RegExp) => {
      const r = await answer;
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
    };
    await refused(create({ scope: { kind: 'projects', projectIds: ['p1', 'p2', 'p3', 'p4'] } }), 'scope.projectIds', /at most 3 projects \(4 given\)/);
    await refused(create({ scope: { kind: 'project', projectId: 'p'.repeat(201) } }), 'scope.projectId', /200/);
    await refused(create({ headers: ['a', 'b', 'c'].map((n) => ({ name: `x-${n}`, value: n })) }), 'headers', /at most 2 headers \(3 given\)/);
    await refused(create({ headers: [{ name: 'x-big', value: 'v'.repeat(250) }], authorization: 'Bearer 0123456789012345678901234567890123456789' }), 'headers', /at most 300 bytes together/);
    await refused(create({ formatOptions: { blob: 'x'.repeat(1100) } }), 'formatOptions', /at most 1024 bytes as JSON/);

    const hook = await create({ scope: { kind: 'projects', projectIds: ['p1', 'p2', 'p3'] }, headers: [{ name: 'x-a', value: 'a' }], formatOptions: { small: true } });
    expect(hook.status).toBe(201);
    const patch = (body: unknown) => call()('PATCH', `/v1/webhooks/${hook.body.id as string}`, body);
    await refused(patch({ scope: { kind: 'projects', projectIds: ['p1', 'p2', 'p3', 'p4'] } }), 'scope.projectIds', /at most 3/);
    await refused(patch({ headers: ['a', 'b', 'c'].map((n) => ({ name: `x-${n}`, value: n })) }), 'headers', /at most 2 headers/);
    // The stored header counts with a new Authorization value.
    await refused(patch({ authorization: `Bearer ${'t'.repeat(290)}` }), 'headers', /at most 300 bytes together/);
    await refused(patch({ formatOptions: { blob: 'x'.repeat(1100) } }), 'formatOptions', /at most 1024 bytes/);
    expect((await patch({ timeoutMs: 3000 })).status).toBe(200);
    expect((await call()('DELETE', `/v1/webhooks/${hook.body.id as string}`)).status).toBe(204);
  });

  it("limits a tenant's hooks across every API (422 problem natively, each dialect's own shape), not another tenant's", async () => {
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call()('POST', '/v1/webhooks', { url: url(`n${i}`), eventTypes: ['*'] });
      expect(r.status).toBe(201);
      made.push(r.body.id as string);
    }
    const native = await call()('POST', '/v1/webhooks', { url: url('n7'), eventTypes: ['*'] });
    expect(native.status).toBe(422);
    expect(native.headers.get('content-type')).toContain('application/problem+json');
    expect(native.body).toMatchObject({ status: 422, type: expect.stringContaining('limit-exceeded'), detail: expect.stringMatching(/6 webhooks, the most it may have \(6\)/) });

    const proprofs = await fetch(`${registry.url}/v2/hooks`, {
      method: 'POST',
      headers: { key: acme.apiKey, domain: acme.domain, 'content-type': 'application/json' },
      body: JSON.stringify({ target_url: url('pp'), event: 'new_event' }),
    });
    expect(proprofs.status).toBe(400);
    expect(await proprofs.json()).toEqual({ error: expect.stringMatching(/the most it may have/) });

    const ppm = await call()('POST', `/@${acme.slug}/v1/Webhooks`, { eventTypes: ['Project:Created'], headers: [], httpVerb: 'POST', url: url('ppm') });
    expect(ppm.status).toBe(422);
    expect(ppm.body).toEqual({ error: expect.objectContaining({ code: 'LimitExceeded', message: expect.stringMatching(/the most it may have/) }) });

    const procore = await call()('POST', '/rest/v1.0/webhooks/hooks', { company_id: companyIdOf(acme.tenantId), hook: { api_version: 'v2', destination_url: url('pc') } });
    expect(procore.status).toBe(422);
    expect(procore.body).toEqual({ error: expect.objectContaining({ code: 'limit_exceeded', message: expect.stringMatching(/the most it may have/) }) });

    const worksection = await call()('POST', '/api/settings/webhooks', { url: url('ws'), events: ['post_task'] });
    expect(worksection.status).toBe(200);
    expect(worksection.body).toMatchObject({ status: 'error', status_code: 4 });
    expect(JSON.stringify(worksection.body)).toMatch(/the most it may have/);

    // Another tenant is not counted with this one.
    expect((await call(other)('POST', '/v1/webhooks', { url: url('other'), eventTypes: ['*'] })).status).toBe(201);
    // A deleted hook makes room again.
    expect((await call()('DELETE', `/v1/webhooks/${made[0]}`)).status).toBe(204);
    expect((await call()('POST', '/v1/webhooks', { url: url('n8'), eventTypes: ['*'] })).status).toBe(201);
    for (const id of made.slice(1)) await call()('DELETE', `/v1/webhooks/${id}`);
  });

  describe('a body over HERALD_MAX_REQUEST_BODY_BYTES is a 413 in the shape of the API it was sent to', () => {
    const big = JSON.stringify({ url: url('big'), eventTypes: ['*'], padding: 'x'.repeat(3 * 1024 * 1024) });
    /** Sent with its length announced, or chunked (no Content-Length: the limit holds while reading). */
    const send = async (path: string, method: string, headers: Record<string, string>, chunked: boolean) => {
      const res = await fetch(`${registry.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: chunked ? (Readable.toWeb(Readable.from([Buffer.from(big)])) as ReadableStream) : big,
        ...(chunked ? { duplex: 'half' } : {}),
      } as RequestInit);
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: JSON.parse(text) as Record<string, unknown> };
    };
    const bearer = () => ({ authorization: `Bearer ${acme.apiKey}` });

    it.each([false, true])('native /v1/webhooks: problem+json (chunked: %s)', async (chunked) => {
      for (const [method, path] of [
        ['POST', '/v1/webhooks'],
        ['PATCH', '/v1/webhooks/00000000-0000-4000-8000-000000000000'],
      ]) {
        const r = await send(path, method, bearer(), chunked);
        expect(r.status).toBe(413);
        expect(r.type).toContain('application/problem+json');
        expect(r.body).toMatchObject({ status: 413, detail: `the request body is larger than ${MAX_BODY} bytes, the most this API takes` });
      }
    });

    it.each([false, true])('each dialect: its own error shape (chunked: %s)', async (chunked) => {
      const proprofs = await send('/v2/hooks', 'POST', { key: acme.apiKey, domain: acme.domain }, chunked);
      expect(proprofs).toMatchObject({ status: 413, body: { error: expect.stringContaining('larger than') } });
      expect(Object.keys(proprofs.body)).toEqual(['error']);

      const procore = await send('/rest/v1.0/webhooks/hooks', 'POST', bearer(), chunked);
      expect(procore).toMatchObject({ status: 413, body: { error: { code: expect.any(String), message: expect.stringContaining('larger than') } } });
      const procoreV2 = await send(`/rest/v2.0/companies/${companyIdOf(acme.tenantId)}/webhooks/hooks`, 'POST', bearer(), chunked);
      expect(procoreV2.status).toBe(413);
      expect(procoreV2.body['error']).toMatchObject({ message: expect.stringContaining('larger than') });

      const ppm = await send(`/@${acme.slug}/v1/Webhooks`, 'POST', bearer(), chunked);
      expect(ppm).toMatchObject({ status: 413, body: { error: { code: 'PayloadTooLarge', message: expect.stringContaining('larger than') } } });

      // Worksection answers every failure HTTP 200 with its envelope.
      const worksection = await send('/api/settings/webhooks', 'POST', bearer(), chunked);
      expect(worksection).toMatchObject({ status: 200, body: { status: 'error', status_code: 4, message: expect.stringContaining('larger than') } });
      const admin = await send('/api/admin/v2/?action=get_webhooks', 'POST', {}, chunked);
      expect(admin).toMatchObject({ status: 200, body: { status: 'error', status_code: 4 } });
    });

    it('bad JSON is a 400 in each shape too', async () => {
      const post = (path: string, headers: Record<string, string>) =>
        fetch(`${registry.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"url": ' }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as Record<string, unknown>,
        }));
      expect(await post('/v1/webhooks', bearer())).toMatchObject({ status: 400, body: { status: 400 } });
      expect(await post('/rest/v1.0/webhooks/hooks', bearer())).toMatchObject({ status: 400, body: { error: { code: expect.any(String) } } });
      expect(await post(`/@${acme.slug}/v1/Webhooks`, bearer())).toMatchObject({ status: 400, body: { error: { code: 'BadRequest' } } });
      expect(await post('/v2/hooks', { key: acme.apiKey, domain: acme.domain })).toMatchObject({ status: 400, body: { error: expect.any(String) } });
      expect(await post('/api/settings/webhooks', bearer())).toMatchObject({ status: 200, body: { status: 'error', status_code: 4 } });
    });
  });

  it('refuses an internal host without telling what it resolves to', async () => {
    const r = await call()('POST', '/v1/webhooks', { url: 'http://localhost:9/hook', eventTypes: ['*'] });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('refused to connect to localhost: it does not resolve to a public address');
    expect(JSON.stringify(r.body)).not.toMatch(/127\.0\.0\.1|::1|loopback/);
  });
});
