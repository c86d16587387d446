import { randomBytes } from 'node:crypto';
import { BadRequestException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { adminHash } from '@herald/dialects/worksection';
import { SecretBox } from '@herald/platform/crypto';
import { GetSubscription } from '@herald/registry/subscriptions';
import { filterAnswer, subscriptionCoreTestbed, type SubscriptionCoreTestbed, type TestTenant } from '@herald/registry/subscriptions/testing';
import { WORKSECTION_MIGRATIONS, WorksectionAdminKeyStore } from './worksection-admin-keys';
import { ADMIN_KEY_OWNER, WorksectionApi } from './worksection-api';
import { WorksectionErrorFilter, WorksectionFailure } from './worksection-errors';
import { WorksectionWebhooks } from './worksection-webhooks';

// Worksection's use cases and admin keys on a real database (the subscription core with recorded snapshots).
describe('Worksection (PostgreSQL)', () => {
  let t: SubscriptionCoreTestbed;
  let api: WorksectionApi;
  let keys: WorksectionAdminKeyStore;
  let acme: TestTenant;
  let admin: ReturnType<WorksectionApi['bearer']>;
  const box = SecretBox.fromSpec(`k1:${randomBytes(32).toString('base64')}`);

  beforeAll(async () => {
    t = await subscriptionCoreTestbed('worksection', {
      migrations: WORKSECTION_MIGRATIONS,
      providers: [WorksectionWebhooks, WorksectionApi, { provide: WorksectionAdminKeyStore, inject: [DataSource], useFactory: (ds: DataSource) => new WorksectionAdminKeyStore(ds, box) }],
    });
    api = t.get(WorksectionApi);
    keys = t.get(WorksectionAdminKeyStore);
    acme = t.addTenant('acme', ['administrative']);
    admin = api.bearer(`Bearer ${acme.apiKey}`);
  });
  afterAll(() => t?.close());

  const failure = (e: unknown) => (e instanceof WorksectionFailure ? [e.body.status_code, e.body.message, e.body.message_details] : e);
  const signed = (query: string, key: string) => `${query}&hash=${adminHash(query, key)}`;
  const params = (raw: string) => Object.fromEntries(new URLSearchParams(raw));

  it('keeps each admin key sealed (tenant-bound), rotates it, and finds it again', async () => {
    const first = await keys.rotate(acme.tenantId);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    const [row] = (await t.ds.query(`SELECT admin_key FROM registry.worksection_admin_keys WHERE tenant_id = $1`, [acme.tenantId])) as { admin_key: unknown }[];
    expect(JSON.stringify(row.admin_key)).not.toContain(first);
    const second = await keys.rotate(acme.tenantId);
    expect(second).not.toBe(first);
    expect(await keys.find(acme.tenantId)).toBe(second);
    expect(await keys.find('nobody')).toBeNull();
  });

  it('admin API: the Host names the account (domain, or slug as the first label) and its key must have signed the query; else error 2', async () => {
    const key = await keys.rotate(acme.tenantId);
    const other = t.addTenant('other', ['administrative']);
    const otherKey = await keys.rotate(other.tenantId);
    const raw = signed('action=add_webhook&url=https://ws.example.com/a&events=post_task,close_task&projects=P1', key);
    const added = await api.admin(params(raw), raw, 'acme.example.com:3001');
    expect(added).toEqual({ status: 'ok', id: expect.any(Number) });
    const s = await t.get(GetSubscription).execute({ tenantId: acme.tenantId, subscription: { externalId: added.id as number, dialect: 'worksection' } });
    expect(s).toMatchObject({ ownerUserId: ADMIN_KEY_OWNER, status: 'active', successContract: 'status-ok', scope: { kind: 'projects', projectIds: ['P1'] } });
    expect(t.probe.verified).toContain('https://ws.example.com/a');
    // The slug as the first label of any host (acme.localhost:3001 for a local registry).
    const list = signed('action=get_webhooks', key);
    expect(await api.admin(params(list), list, 'ACME.localhost:3001')).toMatchObject({ status: 'ok', data: [{ id: String(added.id), url: 'https://ws.example.com/a', events: 'post_task,close_task', status: 'active', projects: 'P1' }] });
    // A host that names no account is refused whatever the hash: no key is tried against it.
    await expect(api.admin(params(list), list, 'localhost').catch(failure)).resolves.toEqual([2, 'Invalid hash', 'the Host names no account (its domain, or <slug>.<host>)']);
    // Another account's key does not act on the account the host names (nor on its own).
    const theirs = signed('action=get_webhooks', otherKey);
    await expect(api.admin(params(theirs), theirs, 'acme.example.com').catch(failure)).resolves.toEqual([2, 'Invalid hash', undefined]);
    const forged = 'action=get_webhooks&hash=0123456789abcdef0123456789abcdef';
    await expect(api.admin(params(forged), forged, 'acme.example.com').catch(failure)).resolves.toEqual([2, 'Invalid hash', undefined]);
    await expect(api.admin({ action: 'get_webhooks' }, 'action=get_webhooks', '').catch(failure)).resolves.toEqual([2, 'Invalid hash', 'hash is required']);
  });

  it('admin API: a wrong hash opens at most one admin key (the named account\'s), however many accounts have one', async () => {
    const named = t.addTenant('named', ['administrative']);
    await keys.rotate(named.tenantId);
    for (let i = 0; i < 5; i++) await keys.rotate(t.addTenant(`bystander${i}`, ['administrative']).tenantId);
    const decrypt = jest.spyOn(box, 'decrypt');
    try {
      const forged = 'action=get_webhooks&hash=0123456789abcdef0123456789abcdef';
      await expect(api.admin(params(forged), forged, 'named.example.com').catch(failure)).resolves.toEqual([2, 'Invalid hash', undefined]);
      expect(decrypt).toHaveBeenCalledTimes(1);
      decrypt.mockClear();
      await expect(api.admin(params(forged), forged, '127.0.0.1:3001').catch(failure)).resolves.toEqual([2, 'Invalid hash', 'the Host names no account (its domain, or <slug>.<host>)']);
      expect(decrypt).not.toHaveBeenCalled();
    } finally {
      decrypt.mockRestore();
    }
  });

  it('actions: add checks the URL (error 11) and its parameters (3, 4); delete by id (5 when unknown); unknown action is 1', async () => {
    const ws = t.get(WorksectionWebhooks);
    t.probe.failNextVerification();
    await expect(api.run(admin, { action: 'add_webhook', url: 'https://ws.example.com/down', events: 'post_task' }).catch(failure)).resolves.toEqual([
      11,
      'Url should respond 200 HTTP_CODE and JSON {status:OK}',
      'https://ws.example.com/down',
    ]);
    await expect(api.run(admin, { action: 'add_webhook', events: 'post_task' }).catch(failure)).resolves.toEqual([3, 'Missing required parameter', 'url']);
    await expect(api.run(admin, { action: 'add_webhook', url: 'https://ws.example.com/x' }).catch(failure)).resolves.toEqual([3, 'Missing required parameter', 'events']);
    await expect(api.run(admin, { action: 'add_webhook', url: 'https://ws.example.com/x', events: 'post_task,nope' }).catch(failure)).resolves.toEqual([4, 'Unknown event', 'nope']);
    // A URL the core refuses as such (not one that fails the check) is an invalid parameter, as before the move.
    await expect(api.run(admin, { action: 'add_webhook', url: 'ftp://ws.example.com', events: 'post_task' }).catch(failure)).resolves.toEqual([
      4,
      'Invalid parameter',
      'invalid subscription: url: only http and https URLs',
    ]);
    const { id } = await api.run(admin, { action: 'add_webhook', url: 'https://ws.example.com/del', events: 'post_comment' });
    await expect(api.run(admin, { action: 'delete_webhook', id: String(id) })).resolves.toEqual({ status: 'ok' });
    await expect(api.run(admin, { action: 'delete_webhook', id: String(id) }).catch(failure)).resolves.toEqual([5, 'Webhook not found', String(id)]);
    await expect(api.run(admin, { action: 'delete_webhook' }).catch(failure)).resolves.toEqual([3, 'Missing required parameter', 'id']);
    await expect(ws.find(acme.tenantId, 'abc').catch(failure)).resolves.toEqual([5, 'Webhook not found', 'abc']);
    await expect(api.run(admin, {}).catch(failure)).resolves.toEqual([3, 'Missing required parameter', 'action']);
    await expect(api.run(admin, { action: 'drop_tables' }).catch(failure)).resolves.toEqual([1, 'Action is invalid', 'drop_tables']);
  });

  it('settings page: created disabled without a URL check, enabled after one (error 11 when it fails), disabled again', async () => {
    const checks = t.probe.verified.length;
    const created = await api.settingsCreate(admin, { url: 'https://ws.example.com/page', events: ['post_task', 'update_task'], http_user: 'u', http_pass: 'p' });
    expect(created).toMatchObject({ status: 'ok', id: expect.any(Number), data: { status: 'disabled', events: 'post_task,update_task' } });
    expect(t.probe.verified.length).toBe(checks);
    const id = String(created.id);
    t.probe.failNextVerification();
    await expect(api.settingsEnable(admin, id).catch(failure)).resolves.toEqual([11, 'Url should respond 200 HTTP_CODE and JSON {status:OK}', 'https://ws.example.com/page']);
    await expect(api.settingsEnable(admin, id)).resolves.toMatchObject({ status: 'ok', data: { status: 'active' } });
    await expect(api.settingsDisable(admin, id)).resolves.toMatchObject({ status: 'ok', data: { status: 'disabled' } });
  });

  it('Bearer callers need the administrative scope (error 2); while principals load it is a 503 in the envelope', () => {
    expect(failure(catching(() => api.bearer(`Bearer ${t.addKey(acme, ['webhooks'])}`)))).toEqual([2, 'Invalid token', 'the API key needs one of the scopes: administrative']);
    expect(failure(catching(() => api.bearer(undefined)))).toEqual([2, 'Invalid token', expect.stringMatching(/^missing Authorization header/)]);
    t.principalsCaughtUp = false;
    try {
      expect(failure(catching(() => api.bearer(`Bearer ${acme.apiKey}`)))).toEqual([503, 'Service is starting, retry shortly', undefined]);
    } finally {
      t.principalsCaughtUp = true;
    }
  });

  it("answers every failure in Worksection's envelope with HTTP 200; a bug is a 500", () => {
    const filter = new WorksectionErrorFilter();
    expect(filterAnswer(filter, WorksectionFailure.of(5, 'Webhook not found', '9'))).toEqual({ status: 200, body: { status: 'error', status_code: 5, message: 'Webhook not found', message_details: '9' } });
    expect(filterAnswer(filter, new BadRequestException('bad json'))).toEqual({ status: 200, body: { status: 'error', status_code: 4, message: 'bad json' } });
    expect(filterAnswer(filter, new Error('boom'))).toEqual({ status: 500, body: { status: 'error', status_code: 500, message: 'Internal error' } });
  });
});

function catching(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    return e;
  }
}
