import { SubscriptionSnapshotSchema, type SubscriptionSnapshot } from '@herald/contracts';
import type { KafkaMessage } from 'kafkajs';
import { uniqueKafkaNamespace } from '@herald/platform/testing';
import { Client } from 'pg';
import { KafkaFixture, api, startReceiver, testTenant, waitFor, type RunningRegistry, startRegistryStack, type RegistryStack } from './registry-harness';

// The native webhook API in-process against the real broker and database.
describe('native /v1/webhooks', () => {
  const namespace = uniqueKafkaNamespace('reg-api');
  const kafka = new KafkaFixture(namespace);
  const acme = testTenant(['webhooks']);
  const other = testTenant(['administrative']);
  const readOnly = testTenant(['read']);
  let db: { url: string; drop(): Promise<void> };
  let registry: RunningRegistry;
  let snapshots: KafkaMessage[];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const call = () => api(registry.url, acme.apiKey);

  let stack: RegistryStack;

  beforeAll(async () => {
    stack = await startRegistryStack(kafka, { label: 'api', principals: [...acme.principals, ...other.principals, ...readOnly.principals], probeKey: acme.apiKey });
    ({ db, registry, receiver, snapshots } = stack);
  }, 60_000);

  afterAll(() => stack?.close(), 60_000);

  const snapshotsOf = (id: string) =>
    snapshots.filter((m) => m.key?.toString() === id).map((m) => (m.value ? (JSON.parse(m.value.toString()) as SubscriptionSnapshot) : null));

  it('creates with only url + eventTypes, shows the signing secret once, and publishes a snapshot with sealed secrets', async () => {
    const created = await call()('POST', '/v1/webhooks', {
      url: `${receiver.url}/hook`,
      eventTypes: ['task.created', 'task.completed'],
      headers: [{ name: 'X-Team', value: 'team-header-secret-value' }],
      authorization: 'Bearer receiver-token-1234567890',
    });
    expect(created.status).toBe(201);
    const hook = created.body;
    expect(hook.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(hook).toMatchObject({
      status: 'active',
      httpVerb: 'POST',
      payloadFormat: 'native',
      successContract: '2xx',
      timeoutMs: 5000,
      deliveryMode: 'independent',
      scope: { kind: 'tenant' },
      retryPolicy: { maxAttempts: 7, onExhausted: 'dlq' },
      failurePolicy: { unsubscribeOn: [410], autoDisableAfter: 20 },
      version: 1,
      dialect: 'native',
      tenantId: acme.tenantId,
      ownerUserId: acme.userId,
    });
    expect(hook.externalId).toEqual(expect.any(Number));
    expect(JSON.stringify(hook.headers)).not.toContain('team-header-secret-value');
    expect(hook.authorization).not.toContain('receiver-token-1234567890');

    const read = await call()('GET', `/v1/webhooks/${hook.id}`);
    expect(read.status).toBe(200);
    expect(read.body.signingSecret).toBeUndefined();
    expect(JSON.stringify(read.body)).not.toContain(hook.signingSecret.slice(6));
    expect(read.body.signingSecrets).toHaveLength(1);

    const [snapshot] = await waitFor('snapshot on the topic', () => snapshotsOf(hook.id).length > 0 && snapshotsOf(hook.id));
    expect(SubscriptionSnapshotSchema.parse(snapshot)).toMatchObject({ id: hook.id, version: 1, status: 'active', url: `${receiver.url}/hook` });
    const raw = snapshots.find((m) => m.key?.toString() === hook.id)!.value!.toString();
    for (const secret of [hook.signingSecret, hook.signingSecret.slice(6), 'team-header-secret-value', 'receiver-token-1234567890']) {
      expect(raw).not.toContain(secret);
    }
    expect(snapshot!.signingSecrets[0].secret).toEqual({ kid: 'k1', iv: expect.any(String), tag: expect.any(String), ct: expect.any(String), bound: true });

    // Nothing in clear at rest either.
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const rows = await pg.query(`SELECT row_to_json(s)::text AS row FROM registry.subscriptions s`);
    await pg.end();
    const dump = rows.rows.map((r: { row: string }) => r.row).join('\n');
    expect(dump).toContain(hook.id);
    for (const secret of [hook.signingSecret.slice(6), 'team-header-secret-value', 'receiver-token-1234567890']) expect(dump).not.toContain(secret);
  });

  it('validates strictly and answers RFC 9457 problems', async () => {
    const unknownType = await call()('POST', '/v1/webhooks', { url: `${receiver.url}/x`, eventTypes: ['task.exploded'] });
    expect(unknownType.status).toBe(400);
    expect(unknownType.headers.get('content-type')).toContain('application/problem+json');
    expect(unknownType.body).toMatchObject({ type: expect.stringContaining('validation'), title: 'Bad Request', status: 400, instance: '/v1/webhooks' });
    expect(unknownType.body.errors).toEqual([expect.objectContaining({ path: 'eventTypes.0' })]);

    const unknownField = await call()('POST', '/v1/webhooks', { url: `${receiver.url}/x`, eventTypes: ['*'], colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.detail).toContain('colour');

    const missing = await call()('POST', '/v1/webhooks', {});
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['url', 'eventTypes']));

    const badJson = await call()('POST', '/v1/webhooks', '{"url": ');
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('content-type')).toContain('application/problem+json');

    const ftp = await call()('POST', '/v1/webhooks', { url: 'ftp://example.com/x', eventTypes: ['*'] });
    expect(ftp.status).toBe(400);

    const badQuery = await call()('GET', '/v1/webhooks?status=sleeping');
    expect(badQuery.status).toBe(400);
  });

  it('refuses, with a 400 naming the field, settings that would let one hook hold the shared dispatcher', async () => {
    const slow = await call()('POST', '/v1/webhooks', { url: `${receiver.url}/x`, eventTypes: ['*'], rateLimitPerSec: 0.01 });
    expect(slow.status).toBe(400);
    expect(slow.headers.get('content-type')).toContain('application/problem+json');
    expect(slow.body.errors).toEqual([{ path: 'rateLimitPerSec', message: expect.stringContaining('at least 1 attempt a second') }]);

    const days = await call()('POST', '/v1/webhooks', { url: `${receiver.url}/x`, eventTypes: ['*'], retryPolicy: { scheduleMs: [60_000, 259_200_000] } });
    expect(days.status).toBe(400);
    expect(days.body.errors).toEqual([{ path: 'retryPolicy.scheduleMs.1', message: expect.stringContaining('6 h') }]);

    const ok = await call()('POST', '/v1/webhooks', { url: `${receiver.url}/x`, eventTypes: ['*'], rateLimitPerSec: 1, retryPolicy: { scheduleMs: [21_600_000] } });
    expect(ok.status).toBe(201);
    const patched = await call()('PATCH', `/v1/webhooks/${ok.body.id}`, { rateLimitPerSec: 0.5 });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toEqual([expect.objectContaining({ path: 'rateLimitPerSec' })]);
  });

  it('refuses private and loopback targets outside the allow-list with a 400', async () => {
    for (const url of ['http://10.0.0.5/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x', 'http://0x7f000001/x', 'http://192.168.1.1/']) {
      const r = await call()('POST', '/v1/webhooks', { url, eventTypes: ['*'] });
      // 127.0.0.0/8 is allowed in this test (HERALD_SSRF_ALLOW_CIDRS); 0x7f000001 is 127.0.0.1.
      if (url.includes('0x7f')) expect(r.status).toBe(201);
      else {
        expect(r.status).toBe(400);
        expect(r.body.type).toContain('url-refused');
      }
    }
  });

  it('updates (payloadFormat immutable), lists with filters and pages, enables, disables and deletes with a tombstone', async () => {
    const c = call();
    const a = (await c('POST', '/v1/webhooks', { url: `${receiver.url}/a`, eventTypes: ['project.created'] })).body;
    const b = (await c('POST', '/v1/webhooks', { url: `${receiver.url}/b`, eventTypes: ['*'], enabled: false })).body;
    expect(b.status).toBe('disabled');

    const patched = await c('PATCH', `/v1/webhooks/${a.id}`, { timeoutMs: 2000, retryPolicy: { maxAttempts: 3 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ timeoutMs: 2000, version: 2, retryPolicy: { maxAttempts: 3, onExhausted: 'dlq' } });

    const sameFormat = await c('PATCH', `/v1/webhooks/${a.id}`, { payloadFormat: 'native' });
    expect(sameFormat.status).toBe(200);
    const newFormat = await c('PATCH', `/v1/webhooks/${a.id}`, { payloadFormat: 'procore-v4.0' });
    expect(newFormat.status).toBe(422);
    expect(newFormat.body.type).toContain('immutable-field');
    expect(newFormat.body.detail).toContain('payloadFormat');
    expect((await c('GET', `/v1/webhooks/${a.id}`)).body.payloadFormat).toBe('native');

    const projectHooks = await c('GET', '/v1/webhooks?eventType=project.created');
    const ids = projectHooks.body.data.map((h: { id: string }) => h.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    const disabled = await c('GET', '/v1/webhooks?status=disabled');
    expect(disabled.body.data.map((h: { id: string }) => h.id)).toEqual([b.id]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await c('GET', `/v1/webhooks?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.data.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.data.map((h) => h.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(new Set(seen).size).toBe(seen.length);
    // The cursor has the documented shape (found by fuzz:api: "0" matched the document and was a 400):
    // any position is a page, anything else is refused naming cursor.
    const fromStart = await c('GET', '/v1/webhooks?cursor=0');
    expect(fromStart.status).toBe(200);
    expect(fromStart.body.data.map((h: { id: string }) => h.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const bad = await c('GET', '/v1/webhooks?cursor=not-a-cursor');
    expect({ status: bad.status, paths: bad.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ status: 400, paths: ['cursor'] });

    expect((await c('POST', `/v1/webhooks/${b.id}/enable`)).body.status).toBe('active');
    const off = await c('POST', `/v1/webhooks/${a.id}/disable`);
    expect(off.body).toMatchObject({ status: 'disabled', statusReason: 'disabled by user' });

    await waitFor('disabled snapshot', () => snapshotsOf(a.id).some((s) => s?.status === 'disabled'));
    expect((await c('DELETE', `/v1/webhooks/${a.id}`)).status).toBe(204);
    expect((await c('GET', `/v1/webhooks/${a.id}`)).status).toBe(404);
    expect((await c('DELETE', `/v1/webhooks/${a.id}`)).status).toBe(404);
    await waitFor('tombstone', () => snapshotsOf(a.id).at(-1) === null);
    const versions = snapshotsOf(a.id).filter(Boolean).map((s) => s!.version);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
  });

  it('rotates the signing secret: two sealed secrets in the snapshot, the old one expiring in 24 h', async () => {
    const c = call();
    const hook = (await c('POST', '/v1/webhooks', { url: `${receiver.url}/r`, eventTypes: ['*'] })).body;
    const rotated = await c('POST', `/v1/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.signingSecret).toMatch(/^whsec_/);
    expect(rotated.body.signingSecret).not.toBe(hook.signingSecret);
    expect(rotated.body.signingSecrets).toHaveLength(2);
    const snap = await waitFor('rotated snapshot', () => snapshotsOf(hook.id).find((s) => s?.version === 2));
    expect(snap.signingSecrets).toHaveLength(2);
    expect(snap.signingSecrets[0].expiresAt).toBeNull();
    const expiresIn = Date.parse(snap.signingSecrets[1].expiresAt!) - Date.now();
    expect(expiresIn).toBeGreaterThan(23.9 * 3600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('authenticates: 401 without or with a bad key, 403 without the webhooks scope, 404 for another tenant', async () => {
    expect((await api(registry.url, null)('GET', '/v1/webhooks')).status).toBe(401);
    const bad = await api(registry.url, `hk_${acme.keyId}_${'x'.repeat(43)}`)('GET', '/v1/webhooks');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await api(registry.url, readOnly.apiKey)('GET', '/v1/webhooks')).status).toBe(403);

    const mine = (await call()('POST', '/v1/webhooks', { url: `${receiver.url}/m`, eventTypes: ['*'] })).body;
    const theirs = api(registry.url, other.apiKey);
    expect((await theirs('GET', `/v1/webhooks/${mine.id}`)).status).toBe(404);
    expect((await theirs('PATCH', `/v1/webhooks/${mine.id}`, { timeoutMs: 1000 })).status).toBe(404);
    expect((await theirs('DELETE', `/v1/webhooks/${mine.id}`)).status).toBe(404);
    expect((await theirs('GET', '/v1/webhooks')).body.data).toEqual([]);
    expect((await call()('GET', `/v1/webhooks/${mine.id}`)).status).toBe(200);

    // Revoking the key (a newer principal snapshot) shuts it out.
    const key = acme.principals.find((p) => p.kind === 'api-key')!;
    const revoked = { ...key, revokedAt: new Date().toISOString(), updatedAt: new Date(Date.now() + 1000).toISOString() };
    await kafka.publishPrincipals([revoked]);
    await waitFor('revoked key refused', async () => (await call()('GET', '/v1/webhooks')).status === 401);
    await kafka.publishPrincipals([{ ...key, updatedAt: new Date(Date.now() + 2000).toISOString() }]);
    await waitFor('key back', async () => (await call()('GET', '/v1/webhooks')).status === 200);
  });

  it('serves the event catalog with a JSON schema per type, and the resource-change schema', async () => {
    const types = await api(registry.url, null)('GET', '/v1/event-types');
    expect(types.status).toBe(200);
    const completed = types.body.data.find((e: { type: string }) => e.type === 'task.completed');
    expect(completed.schema.properties.type).toEqual({ type: 'string', const: 'task.completed' });
    expect(types.body.data.map((e: { type: string }) => e.type)).toContain('webhook.test');
    const schema = await api(registry.url, null)('GET', '/v1/schemas/resource-change.json');
    expect(schema.status).toBe(200);
    expect(schema.body.properties.eventId).toBeDefined();
    const openapi = await api(registry.url, null)('GET', '/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/webhooks', '/v1/webhooks/{id}/rotate-secret', '/v1/event-types', '/v1/event-types/{type}']));
    expect(openapi.body.paths['/v1/event-types/{type}'].get.responses['200'].content['application/json'].schema.properties.payloads).toBeDefined();
  });

  it('serves each event type with a schema and an example per payload format, and the formats a hook can choose', async () => {
    const list = await api(registry.url, null)('GET', '/v1/event-types');
    expect(list.body.payloadFormats.map((f: { format: string }) => f.format)).toEqual(expect.arrayContaining(['native', 'cloudevents-structured', 'cloudevents-binary', 'proprofs']));
    const created = list.body.data.find((e: { type: string }) => e.type === 'calendar_event.created');
    expect(created.payloadFormats).toEqual(expect.arrayContaining(['native', 'proprofs', 'cloudevents-binary']));
    const one = await api(registry.url, null)('GET', '/v1/event-types/task.completed');
    expect(one.status).toBe(200);
    expect(one.body.payloads['cloudevents-binary'].headers['ce-type']).toBe('io.herald.task.completed');
    expect(one.body.payloads['cloudevents-structured'].contentType).toBe('application/cloudevents+json');
    expect(one.body.payloads['procore-v4.0'].example.reason).toBe('update');
    expect(one.body.payloads.native.schema.properties.type).toEqual({ type: 'string', const: 'task.completed' });
    const unknown = await api(registry.url, null)('GET', '/v1/event-types/task.exploded');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(unknown.body.detail).toContain('task.exploded');
  });
});
