import { uniqueKafkaNamespace } from '@herald/platform/testing';
import { buildOpenApiDocument } from '../src/openapi';
import { KafkaFixture, api, testTenant, type RunningRegistry, startRegistryStack, type RegistryStack } from './registry-harness';

// Issue 16.4: the registry's OpenAPI document where the Ingress sends it (/v1/webhooks/openapi.json,
// /docs/webhooks: /openapi.json and /docs are the domain API's there), the same as on its own
// port, and the same as the one `npm run client:generate` builds without infrastructure.
describe('the registry OpenAPI document', () => {
  const namespace = uniqueKafkaNamespace('reg-docs');
  const kafka = new KafkaFixture(namespace);
  const acme = testTenant(['webhooks']);
  let stack: RegistryStack;
  let registry: RunningRegistry;

  beforeAll(async () => {
    stack = await startRegistryStack(kafka, { label: 'docs', principals: acme.principals, probeKey: acme.apiKey });
    registry = stack.registry;
  }, 60_000);

  afterAll(() => stack?.close(), 60_000);

  it('is served at /v1/webhooks/openapi.json (with or without a key: never taken for a hook id) and at /openapi.json, the same document', async () => {
    const own = await api(registry.url, null)('GET', '/openapi.json');
    const anonymous = await api(registry.url, null)('GET', '/v1/webhooks/openapi.json');
    const withKey = await api(registry.url, acme.apiKey)('GET', '/v1/webhooks/openapi.json');
    for (const r of [own, anonymous, withKey]) {
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('application/json');
    }
    expect(anonymous.body).toEqual(own.body);
    expect(withKey.body).toEqual(own.body);
    expect(own.body.openapi).toBe('3.1.0');
    expect(Object.keys(own.body.paths)).toEqual(expect.arrayContaining(['/v1/webhooks', '/v1/webhooks/{id}']));
    const yaml = await fetch(`${registry.url}/v1/webhooks/openapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(await yaml.text()).toContain('openapi: 3.1.0');
  });

  it('serves Swagger UI at /docs/webhooks as at /docs', async () => {
    for (const path of ['/docs/webhooks', '/docs']) {
      const res = await fetch(`${registry.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      const html = await res.text();
      expect(html).toContain('swagger-ui');
      // The page's script and its init file resolve under the same prefix (what the Ingress forwards).
      const init = await fetch(`${registry.url}${path}/swagger-ui-init.js`);
      expect({ path, init: init.status }).toEqual({ path, init: 200 });
      expect(await init.text()).toContain('Herald subscription registry');
    }
  });

  it('documents every route the registry serves (each dialect route too), each secured one with its scopes and how it refuses', async () => {
    const doc = (await api(registry.url, null)('GET', '/v1/webhooks/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; 'x-herald-auth'?: { scopes: string[] }; responses: Record<string, unknown> }>>;
    };
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    // What Express routes (Nest's controllers): ':param' as '{param}'.
    const router = (registry.app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
    const served = router.stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`))
      // Swagger's own routes, and the catch-all every method falls to (the 404/405 answers).
      .filter((r) => !/ \/(docs|openapi|v1\/webhooks\/openapi)/.test(r) && !r.endsWith(' /{*path}'));
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
    for (const route of [
      'POST /v2/hooks',
      'DELETE /v2/hooks/{id}',
      'GET /api/admin/v2',
      'POST /api/oauth2',
      'POST /api/settings/webhooks/{id}/enable',
      'POST /rest/v1.0/webhooks/hooks/{hookId}/triggers/bulk',
      'GET /rest/v2.0/companies/{companyId}/projects/{projectId}/webhooks/hooks/{hookId}/deliveries',
      'DELETE /@{tenant}/{apiVersion}/Webhooks',
    ]) {
      expect(documented.has(route)).toBe(true);
    }
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.security) continue;
        expect({ route: `${method} ${path}`, auth: op['x-herald-auth'] !== undefined }).toEqual({ route: `${method} ${path}`, auth: true });
        if (!path.startsWith('/v1/')) expect({ route: `${method} ${path}`, errors: Object.keys(op.responses).some((c) => c !== '200' && c !== '201' && c !== '204') || path.startsWith('/api/') }).toEqual({ route: `${method} ${path}`, errors: true });
      }
    }
    // Worksection answers its errors with HTTP 200: the 200 answer is either shape.
    const ws = doc.paths['/api/admin/v2'].get.responses['200'] as { content: { 'application/json': { schema: { anyOf: { properties: { status: { const: string } } }[] } } } };
    expect(ws.content['application/json'].schema.anyOf.map((v) => v.properties.status.const)).toEqual(['ok', 'ok', 'ok', 'error']);
    expect(doc.paths['/v2/hooks'].post.security).toEqual([{ proprofsKey: ['webhooks'], proprofsDomain: [] }, { proprofsKey: ['administrative'], proprofsDomain: [] }]);
  });

  it('says what validation takes (fuzz:api found each): catalog event types, filter keys, reserved header names, typed delivery-search parameters, every native error with its problem body', async () => {
    type Op = { parameters?: { name: string; in: string; schema?: Record<string, unknown> }[]; requestBody?: { content: Record<string, { schema: Record<string, never> }> }; responses: Record<string, { content?: Record<string, unknown> }> };
    const doc = (await api(registry.url, null)('GET', '/v1/webhooks/openapi.json')).body as { paths: Record<string, Record<string, Op>> };
    for (const [route, op] of [['POST /v1/webhooks', doc.paths['/v1/webhooks'].post], ['PATCH /v1/webhooks/{id}', doc.paths['/v1/webhooks/{id}'].patch]] as const) {
      const body = op.requestBody!.content['application/json'].schema as Record<string, { items?: { enum?: string[] }; propertyNames?: { enum?: string[] } }>;
      const props = (body as unknown as { properties: typeof body }).properties;
      expect({ route, eventTypes: props['eventTypes'].items?.enum?.slice(0, 1), operational: props['eventTypes'].items?.enum?.includes('hook.disabled') }).toEqual({ route, eventTypes: ['*'], operational: true });
      expect({ route, keys: props['fieldFilters'].propertyNames?.enum?.includes('task'), resourceKeys: props['resourceFilters'].propertyNames?.enum?.includes('*') }).toEqual({ route, keys: true, resourceKeys: true });
    }
    // Parameters whose schema says nothing let the generator send arrays and empty times (400s to schema-valid input).
    const untyped = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => (op.parameters ?? []).filter((p) => !p.schema || Object.keys(p.schema).length === 0).map((p) => `${method} ${path} ${p.name}`)),
    );
    expect(untyped).toEqual([]);
    // payloadFormat is fixed at creation: the PATCH body does not offer it.
    expect(Object.keys((doc.paths['/v1/webhooks/{id}'].patch.requestBody!.content['application/json'].schema as unknown as { properties: object }).properties)).not.toContain('payloadFormat');
    // So is a Procore hook's payload version (the seed: delete and re-create the hook to change it):
    // no Procore PATCH offers api_version or payload_version (fuzz:api: a validation mismatch).
    type Props = { properties: Record<string, Props> };
    const patchFields = (path: string, nested: boolean) => {
      const body = doc.paths[path].patch.requestBody!.content['application/json'].schema as unknown as Props;
      return Object.keys((nested ? body.properties['hook'] : body).properties);
    };
    for (const [path, nested] of [
      ['/rest/v1.0/webhooks/hooks/{id}', true],
      ['/rest/v2.0/companies/{companyId}/webhooks/hooks/{id}', false],
      ['/rest/v2.0/companies/{companyId}/projects/{projectId}/webhooks/hooks/{id}', false],
    ] as const) {
      expect({ path, fields: patchFields(path, nested) }).toEqual({ path, fields: expect.arrayContaining(['destination_url', 'namespace', 'status']) });
      expect({ path, versions: patchFields(path, nested).filter((f) => f.endsWith('_version')) }).toEqual({ path, versions: [] });
    }
    // Creating a hook still takes either.
    expect(Object.keys((doc.paths['/rest/v2.0/companies/{companyId}/webhooks/hooks'].post.requestBody!.content['application/json'].schema as unknown as Props).properties)).toEqual(
      expect.arrayContaining(['api_version', 'payload_version']),
    );
    // A PATCH without a body changes nothing (200): its body is optional.
    expect((doc.paths['/v1/webhooks/{id}'].patch.requestBody as { required?: boolean }).required).toBe(false);
    // A status-ok hook that does not verify is a 422 on enable, as on create.
    expect(doc.paths['/v1/webhooks/{id}/enable'].post.responses['422']).toBeDefined();
    const bodiless = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.entries(ops).flatMap(([method, op]) => Object.entries(op.responses).filter(([s, r]) => Number(s) >= 400 && !r.content?.['application/problem+json']).map(([s]) => `${method} ${path} ${s}`)));
    expect(bodiless).toEqual([]);
  });

  it('is the document buildOpenApiDocument() makes without a database or a broker (what the typed client is generated from)', async () => {
    const served = (await api(registry.url, null)('GET', '/v1/webhooks/openapi.json')).body;
    expect(JSON.parse(JSON.stringify(await buildOpenApiDocument()))).toEqual(served);
  });
});
