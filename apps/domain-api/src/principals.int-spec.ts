import { DataSource } from 'typeorm';
import { hashApiKey, type PrincipalSnapshot } from '@herald/contracts';
import { domainDataSource } from '@herald/domain/resources';
import { CreateTenant, PrincipalPublisher } from '@herald/domain/tenancy';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { createTestDatabase, deleteKafkaNamespace, uniqueKafkaNamespace } from '@herald/platform/testing';
import { readPrincipals } from './topic-reader';
import { call, startTestApp, type TestApp } from './test-app';

// Real Postgres and Kafka (and, for the CLI, processes): jest's 5 s default is for unit tests.
jest.setTimeout(60_000);

let db: { url: string; drop(): Promise<void> };
let ns: string;
let ds: DataSource;
let app: TestApp | undefined;

async function unpublished(): Promise<number> {
  const [{ n }] = (await ds.query(`
    SELECT (SELECT count(*) FROM domain.tenants WHERE published_version < version)
         + (SELECT count(*) FROM domain.users WHERE published_version < version)
         + (SELECT count(*) FROM domain.api_keys WHERE published_version < version) AS n`)) as Array<{ n: string }>;
  return Number(n);
}

beforeAll(async () => {
  db = await createTestDatabase('domain-api-principals');
  ns = uniqueKafkaNamespace('domain-api-principals');
  await runMigrations(domainDataSource(db.url));
  ds = new DataSource(dataSourceOptions(domainDataSource(db.url, { poolSize: 2 })));
  await ds.initialize();
});

afterAll(async () => {
  await app?.close();
  await ds?.destroy();
  await db?.drop();
  if (ns) await deleteKafkaNamespace(ns);
});

describe('principals reach herald.principals.v1 even when the first publish fails', () => {
  it('a failed publish leaves rows dirty; the service republishes them at start; later changes follow', async () => {
    const created = await new CreateTenant(ds).execute({
      slug: 'acme',
      domain: 'acme.projectbubble.com',
      adminName: 'Anna Doe',
      adminEmail: 'anna.doe@company.com',
    });
    expect(await unpublished()).toBe(3);

    // Kafka refuses (here: the sink throws after the commit): nothing is marked published.
    const failing = new PrincipalPublisher(ds, {
      send: () => Promise.reject(new Error('broker not available')),
    });
    await expect(failing.publishPending()).rejects.toThrow('broker not available');
    expect(await unpublished()).toBe(3);

    // The service starts: its republisher publishes what is pending, without any new change.
    app = await startTestApp({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
      HERALD_KAFKA_NAMESPACE: ns,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
      HERALD_PRINCIPALS_REPUBLISH_MS: '200',
    });
    const first = await readPrincipals(ns, (ms) => ms.length >= 3);
    expect(first.map((m) => m.value.kind).sort()).toEqual(['api-key', 'tenant', 'user']);
    const key = first.find((m) => m.value.kind === 'api-key')!.value as Extract<PrincipalSnapshot, { kind: 'api-key' }>;
    expect(key.hash).toBe(hashApiKey(created.apiKey));
    for (let i = 0; i < 50 && (await unpublished()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await unpublished()).toBe(0);

    // A revocation through the API is published with revokedAt (latest snapshot per key wins).
    const auth = { bearer: created.apiKey };
    const second = await call(app.url, 'POST', '/v1/api-keys', auth, { scopes: ['read'] });
    expect(second.status).toBe(201);
    expect((await call(app.url, 'DELETE', `/v1/api-keys/${second.body['keyId'] as string}`, auth)).status).toBe(200);
    const user = await call(app.url, 'POST', '/v1/users', auth, { fullName: 'Brian Adams', email: 'brian@company.com' });
    expect(user.status).toBe(201);
    const all = await readPrincipals(ns, (ms) =>
      ms.some((m) => m.value.kind === 'api-key' && m.value.keyId === second.body['keyId'] && m.value.revokedAt !== null) &&
      ms.some((m) => m.value.kind === 'user' && m.value.userId === user.body['id']),
    );
    const versions = all.filter((m) => m.value.kind === 'api-key' && m.value.keyId === second.body['keyId']);
    expect(versions[versions.length - 1].value).toMatchObject({ scopes: ['read'], revokedAt: expect.any(String) });
    expect(await unpublished()).toBe(0);
  });
});
