import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { Topics, type SubscriptionSnapshot } from '@herald/contracts';
import { companyIdOf } from '@herald/dialects/procore';
import { spawnService, uniqueKafkaNamespace, waitFor, type SpawnedService } from '@herald/platform/testing';
import { REGISTRY_TOPICS } from '@herald/registry/principals';
import { KafkaFixture, api, createRegistryDatabase, startReceiver, testTenant } from './registry-harness';

// Issue 12.7 (registry): two registry processes on one database, racing the same writes. Every
// read-then-write is version-checked in its UPDATE (or left to a unique index), so what two
// replicas do at once is what they would have done one after the other, and the snapshot Kafka
// holds last for a hook is its row.
describe('two registry processes on one database', () => {
  const namespace = uniqueKafkaNamespace('reg-two');
  const kafka = new KafkaFixture(namespace);
  const acme = testTenant(['webhooks', 'administrative']);
  const capped = testTenant(['webhooks']);
  const HOOK_LIMIT = 12;
  let db: Awaited<ReturnType<typeof createRegistryDatabase>>;
  let sql: Client;
  let registries: SpawnedService[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let snapshots: KafkaMessage[];
  /** Calls alternate between the two processes. */
  const on = (i: number, t = acme) => api(registries[i % 2].url, t.apiKey);

  beforeAll(async () => {
    db = await createRegistryDatabase('two');
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    await kafka.ensureTopics(REGISTRY_TOPICS);
    await kafka.publishPrincipals([...acme.principals, ...capped.principals]);
    receiver = await startReceiver();
    const env = {
      DATABASE_URL: db.url,
      HERALD_KAFKA_NAMESPACE: namespace,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
      HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
      HERALD_SECRETS_KEY: `k1:${randomBytes(32).toString('base64')}`,
      HERALD_MAX_HOOKS_PER_TENANT: String(HOOK_LIMIT),
      LOG_LEVEL: 'warn',
    };
    registries = await Promise.all([spawnService('subscription-registry', env), spawnService('subscription-registry', env)]);
    snapshots = await kafka.collect(Topics.Subscriptions);
    for (const i of [0, 1]) await waitFor(async () => (await on(i)('GET', '/v1/webhooks')).status === 200, { timeoutMs: 60_000, message: `registry ${i} knows the key` });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(registries.map((r) => r.stop()));
    await receiver?.close();
    await sql?.end();
    await kafka.close();
    await db?.drop();
  }, 60_000);

  const row = async (id: string) =>
    ((await sql.query(`SELECT status, version, published_version, format_options, signing_secrets, url FROM registry.subscriptions WHERE id = $1`, [id])).rows as {
      status: string;
      version: number;
      published_version: number;
      format_options: { triggers?: unknown[]; namespace?: string };
      signing_secrets: unknown[];
      url: string;
    }[])[0];

  /** The row once every change is acknowledged by Kafka, and the last snapshot Kafka holds for it, which must be that row. */
  async function settled(id: string): Promise<{ row: Awaited<ReturnType<typeof row>>; snapshot: SubscriptionSnapshot }> {
    return waitFor(
      async () => {
        const r = await row(id);
        const mine = snapshots.filter((m) => m.key?.toString() === id);
        const last = mine.length ? (JSON.parse(mine[mine.length - 1].value!.toString()) as SubscriptionSnapshot) : null;
        return r.published_version === r.version && last?.version === r.version ? { row: r, snapshot: last } : null;
      },
      { timeoutMs: 30_000, message: `the last snapshot of ${id} is its row` },
    );
  }

  it('20 Procore trigger adds and a hook change, split across both, racing: every trigger is there', async () => {
    const company = companyIdOf(acme.tenantId);
    const created = await on(0)('POST', '/rest/v1.0/webhooks/hooks', { company_id: company, hook: { api_version: 'v2', destination_url: `${receiver.url}/procore` } });
    expect(created.status).toBe(201);
    const hookId = String(created.body.id);
    const wanted = ['Projects', 'Tasks', 'Subtasks', 'Comments', 'Calendar Events', 'Key Dates', 'Clients']
      .flatMap((resource_name) => ['create', 'update', 'delete'].map((event_type) => ({ resource_name, event_type })))
      .slice(0, 20);
    const answers = await Promise.all([
      ...wanted.map((trigger, i) => on(i)('POST', `/rest/v1.0/webhooks/hooks/${hookId}/triggers`, { company_id: company, trigger })),
      on(1)('PATCH', `/rest/v1.0/webhooks/hooks/${hookId}`, { company_id: company, hook: { namespace: 'raced' } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([...Array(20).fill(201), 200]);
    const listed = await on(1)('GET', `/rest/v1.0/webhooks/hooks/${hookId}/triggers?company_id=${company}`);
    expect((listed.body as { resource_name: string; event_type: string }[]).map((t) => `${t.resource_name}:${t.event_type}`).sort()).toEqual(
      wanted.map((t) => `${t.resource_name}:${t.event_type}`).sort(),
    );
    const id = (await sql.query(`SELECT id FROM registry.subscriptions WHERE external_id = $1`, [Number(hookId)])).rows[0].id as string;
    const { row: r, snapshot } = await settled(id);
    expect(r.format_options.triggers).toHaveLength(20);
    expect(r.format_options.namespace).toBe('raced');
    expect(r.version).toBe(1 + 20 + 1);
    expect((snapshot.formatOptions['triggers'] as unknown[]).length).toBe(20);
  }, 120_000);

  it('two ProProfs subscribes of the same target_url, one on each: exactly one 201 and one 409, every time', async () => {
    for (let round = 0; round < 5; round++) {
      const target_url = `${receiver.url}/proprofs/${round}`;
      const subscribe = (i: number) =>
        fetch(`${registries[i].url}/v2/hooks`, {
          method: 'POST',
          headers: { key: acme.apiKey, domain: acme.domain, 'content-type': 'application/json' },
          body: JSON.stringify({ target_url, event: 'new_task' }),
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
      const answers = await Promise.all([subscribe(0), subscribe(1)]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      expect(answers.find((a) => a.status === 409)?.body).toEqual({ error: 'target_url already has a subscription (target urls must be unique)' });
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM registry.subscriptions WHERE dialect = 'proprofs' AND url = $1`, [target_url]);
      expect(rows[0].n).toBe(1);
    }
  }, 120_000);

  it('enable, disable and rotate racing on both: the end is a serial outcome, no rotation is lost, the last snapshot is the row', async () => {
    const hook = (await on(0)('POST', '/v1/webhooks', { url: `${receiver.url}/race`, eventTypes: ['*'] })).body as { id: string };
    const ops = ['enable', 'disable', 'rotate-secret'] as const;
    const calls = Array.from({ length: 24 }, (_, i) => ({ i, op: ops[i % 3] }));
    const answers = await Promise.all(calls.map(({ i, op }) => on(i)('POST', `/v1/webhooks/${hook.id}/${op}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(24).fill(200));
    // Each rotation made its own version (none overwrote another) and kept every earlier secret in its grace.
    const rotations = answers.filter((_, k) => calls[k].op === 'rotate-secret').map((a) => a.body.version as number);
    expect(new Set(rotations).size).toBe(8);
    const { row: r, snapshot } = await settled(hook.id);
    expect(r.signing_secrets).toHaveLength(1 + 8);
    // The end state is the answer of the last write (the highest version any call saw).
    const last = answers.map((a) => a.body as { version: number; status: string }).sort((a, b) => b.version - a.version)[0];
    expect(r.version).toBe(last.version);
    expect(r.status).toBe(last.status);
    expect(snapshot).toMatchObject({ version: r.version, status: r.status });
    expect(snapshot.signingSecrets).toHaveLength(9);
  }, 120_000);

  it('an enable re-checks a status-ok receiver whose URL changed (on the other process) while it was being checked', async () => {
    receiver.respond((req) => (req.url.startsWith('/slow-ok') ? { status: 200, body: '{"status":"OK"}', delayMs: 2_000 } : { status: 500, body: 'down' }));
    try {
      const hook = (await on(0)('POST', '/v1/webhooks', { url: `${receiver.url}/slow-ok`, eventTypes: ['*'], successContract: 'status-ok', enabled: false })).body as { id: string };
      const enabling = on(0)('POST', `/v1/webhooks/${hook.id}/enable`);
      await waitFor(() => receiver.requests.some((q) => q.url.startsWith('/slow-ok')), { timeoutMs: 10_000, message: 'the check began' });
      // A disabled hook's URL changes without a check.
      expect((await on(1)('PATCH', `/v1/webhooks/${hook.id}`, { url: `${receiver.url}/broken` })).status).toBe(200);
      const enabled = await enabling;
      expect(enabled.status).toBe(422);
      const { row: r } = await settled(hook.id);
      expect(r).toMatchObject({ status: 'disabled', url: `${receiver.url}/broken` });
    } finally {
      receiver.respond(() => ({ status: 200, body: '{"status":"OK"}' }));
    }
  }, 60_000);

  it("a tenant's hook limit holds with creates racing on both", async () => {
    const answers = await Promise.all(Array.from({ length: HOOK_LIMIT + 8 }, (_, i) => on(i, capped)('POST', '/v1/webhooks', { url: `${receiver.url}/cap/${i}`, eventTypes: ['*'] })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(HOOK_LIMIT);
    expect(answers.filter((a) => a.status === 422)).toHaveLength(8);
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM registry.subscriptions WHERE tenant_id = $1`, [capped.tenantId]);
    expect(rows[0].n).toBe(HOOK_LIMIT);
  }, 60_000);
});
