import { DataSource } from 'typeorm';
import { hashApiKey, type PrincipalSnapshot } from '@herald/contracts';
import { domainDataSource } from '@herald/domain/resources';
import { CreateTenant, NotAcknowledgedError, PrincipalPublisher, RevokeApiKey, publishAcknowledged } from '@herald/domain/tenancy';
import { CreateResource } from '@herald/domain/resources';
import { OutboxWriter } from '@herald/domain/outbox';
import { dataSourceOptions } from '@herald/platform/db';
import { readPrincipals } from './topic-reader';
import { call, createTestInfra, startTestApp, type TestApp, type TestInfra } from './testing';

// Real Postgres and Kafka (and, for the CLI, processes): jest's 5 s default is for unit tests.
jest.setTimeout(60_000);

let infra: TestInfra | undefined;
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
  infra = await createTestInfra('domain-api-principals');
  ds = new DataSource(dataSourceOptions(domainDataSource(infra.dbUrl, { poolSize: 2 })));
  await ds.initialize();
});

afterAll(async () => {
  await app?.close();
  await ds?.destroy();
  await infra?.drop();
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
    app = await startTestApp(infra!.env({ HERALD_PRINCIPALS_REPUBLISH_MS: '200' }));
    const first = await readPrincipals(infra!.ns, (ms) => ms.length >= 3);
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
    const all = await readPrincipals(infra!.ns, (ms) =>
      ms.some((m) => m.value.kind === 'api-key' && m.value.keyId === second.body['keyId'] && m.value.revokedAt !== null) &&
      ms.some((m) => m.value.kind === 'user' && m.value.userId === user.body['id']),
    );
    const versions = all.filter((m) => m.value.kind === 'api-key' && m.value.keyId === second.body['keyId']);
    expect(versions[versions.length - 1].value).toMatchObject({ scopes: ['read'], revokedAt: expect.any(String) });
    expect(await unpublished()).toBe(0);
  });
});

describe('a publish waiting on Kafka', () => {
  it('blocks no writer, and a row changed meanwhile is published again afterwards', async () => {
    // Only this test's publishers from here on.
    await app?.close();
    app = undefined;
    const created = await new CreateTenant(ds).execute({
      slug: 'slowkafka',
      domain: 'slowkafka.projectbubble.com',
      adminName: 'Carla Diaz',
      adminEmail: 'carla@slowkafka.test',
    });
    let release: () => void = () => undefined;
    const sent: PrincipalSnapshot[][] = [];
    const slow = new PrincipalPublisher(ds, {
      send: (snapshots) => {
        sent.push(snapshots);
        return new Promise<void>((r) => (release = r));
      },
    });
    const publishing = slow.publishPending();
    // Let tenants and users through; hold the batch of API keys.
    while (!sent.some((batch) => batch.some((p) => p.kind === 'api-key'))) {
      if (sent.length && !sent[sent.length - 1].some((p) => p.kind === 'api-key')) release();
      await new Promise((r) => setTimeout(r, 20));
    }

    // While the key's snapshot waits for Kafka: a write whose foreign keys point at the user
    // and the tenant, and a change of that very key, both go through at once.
    const started = Date.now();
    const ctx = { tenantId: created.tenant.id, initiator: { userId: created.admin.id, fullName: 'Carla Diaz', logonAccount: 'carla@slowkafka.test' } };
    await new CreateResource(ds, new OutboxWriter()).execute({ ...ctx, type: 'client', input: { name: 'Slow Corp' } });
    await new RevokeApiKey(ds).execute({ tenantId: created.tenant.id, id: created.key.keyId });
    expect(Date.now() - started).toBeLessThan(2_000);

    let finished = false;
    void publishing.then(() => (finished = true));
    while (!finished) {
      release();
      await new Promise((r) => setTimeout(r, 20));
    }
    await publishing;
    // The key was revoked after its first snapshot was read: it is still dirty, and the next run sends the revocation.
    const next: PrincipalSnapshot[][] = [];
    await new PrincipalPublisher(ds, { send: async (s) => void next.push(s) }).publishPending();
    const revoked = next.flat().find((p) => p.kind === 'api-key' && p.keyId === created.key.keyId);
    expect(revoked).toMatchObject({ revokedAt: expect.any(String) });
    expect(await unpublished()).toBe(0);
  });
});

describe('revoking a key', () => {
  it('answers only once Kafka acknowledged the revocation: a publish that fails is a NotAcknowledgedError (503), and the same call again answers after the ack', async () => {
    await app?.close();
    app = undefined;
    const created = await new CreateTenant(ds).execute({ slug: 'revoker', domain: 'revoker.projectbubble.com', adminName: 'Rita Roe', adminEmail: 'rita@revoker.test' });
    let kafkaUp = false;
    let reached = false;
    let ack: () => void = () => undefined;
    const acked = new Promise<void>((r) => (ack = r));
    const sent: PrincipalSnapshot[] = [];
    const publisher = new PrincipalPublisher(ds, {
      send: async (snapshots) => {
        if (!kafkaUp) throw new Error('broker not available');
        reached = true;
        await acked;
        sent.push(...snapshots);
      },
    });
    const revoke = () =>
      new RevokeApiKey(ds, { principalsChanged: () => undefined, principalsAcknowledged: () => publishAcknowledged(publisher, 5_000) }).execute({
        tenantId: created.tenant.id,
        id: created.key.keyId,
      });
    const keyRow = async () =>
      ((await ds.query(`SELECT revoked_at, version, published_version FROM domain.api_keys WHERE key_id = $1`, [created.key.keyId])) as { revoked_at: Date | null; version: number; published_version: number }[])[0];

    // Kafka down: the revocation is committed (the key is refused by the domain API at once) but not answered as done.
    await expect(revoke()).rejects.toBeInstanceOf(NotAcknowledgedError);
    expect(await keyRow()).toMatchObject({ revoked_at: expect.any(Date) });
    expect((await keyRow()).published_version).toBeLessThan((await keyRow()).version);

    // Kafka back: the retry answers only after the acknowledgement, with the revocation in what was sent.
    kafkaUp = true;
    let answered = false;
    const again = revoke().then((k) => ((answered = true), k));
    while (!reached) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false);
    ack();
    expect((await again).revokedAt).toBeInstanceOf(Date);
    expect(sent.find((p) => p.kind === 'api-key' && p.keyId === created.key.keyId)).toMatchObject({ revokedAt: expect.any(String) });
    const row = await keyRow();
    expect(row.published_version).toBe(row.version);
  });
});
