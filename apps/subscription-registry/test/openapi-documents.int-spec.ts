import { uniqueKafkaNamespace } from '@herald/platform/testing';
import { buildOpenApiDocument } from '../src/openapi';
import { REGISTRY_TOPICS } from '../src/kafka/registry-topics.bootstrap';
import { KafkaFixture, api, createRegistryDatabase, startRegistry, testTenant, waitFor, type RunningRegistry } from './registry-harness';

// Issue 16.4: the registry's OpenAPI document where the Ingress sends it (/v1/webhooks/openapi.json,
// /docs/webhooks: /openapi.json and /docs are the domain API's there), the same as on its own
// port, and the same as the one `npm run client:generate` builds without infrastructure.
describe('the registry OpenAPI document', () => {
  const namespace = uniqueKafkaNamespace('reg-docs');
  const kafka = new KafkaFixture(namespace);
  const acme = testTenant(['webhooks']);
  let db: { url: string; drop(): Promise<void> };
  let registry: RunningRegistry;

  beforeAll(async () => {
    db = await createRegistryDatabase('docs');
    await kafka.ensureTopics(REGISTRY_TOPICS);
    await kafka.publishPrincipals(acme.principals);
    registry = await startRegistry({ DATABASE_URL: db.url, HERALD_KAFKA_NAMESPACE: namespace });
    await waitFor('principals loaded', async () => (await api(registry.url, acme.apiKey)('GET', '/v1/webhooks')).status === 200);
  }, 60_000);

  afterAll(async () => {
    await registry?.close();
    await kafka.close();
    await db?.drop();
  }, 60_000);

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

  it('is the document buildOpenApiDocument() makes without a database or a broker (what the typed client is generated from)', async () => {
    const served = (await api(registry.url, null)('GET', '/v1/webhooks/openapi.json')).body;
    expect(JSON.parse(JSON.stringify(await buildOpenApiDocument()))).toEqual(served);
  });
});
