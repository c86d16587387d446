import { CreateSubscription, GetSubscription, ListSubscriptions, SubscriptionValidationError } from '@herald/registry/subscriptions';
import { AuthenticationError, MissingScopeError, PrincipalsLoadingError } from '@herald/registry/principals';
import { filterAnswer, subscriptionCoreTestbed, type SubscriptionCoreTestbed, type TestTenant } from '@herald/registry/subscriptions/testing';
import { PpmErrorFilter, PpmHttpError } from './ppm-errors';
import { PpmWebhooks } from './ppm-webhooks';

// PPM Express' use cases on a real database (the subscription core with recorded snapshots).
describe('PpmWebhooks (PostgreSQL)', () => {
  let t: SubscriptionCoreTestbed;
  let webhooks: PpmWebhooks;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await subscriptionCoreTestbed('ppm', { providers: [PpmWebhooks] });
    webhooks = t.get(PpmWebhooks);
    acme = t.addTenant('acme', ['webhooks']);
  });
  afterAll(() => t?.close());

  const refusal = (e: unknown) => (e instanceof PpmHttpError ? [e.status, e.code, e.message] : e);
  const body = (url: string) => ({
    eventTypes: ['Project:Created', 'Task:Updated'],
    headers: [
      { name: 'Authorization', value: 'Bearer token_value' },
      { name: 'X-Team', value: 'blue' },
    ],
    httpVerb: 'PUT',
    url,
  });

  it("authenticates a Bearer key of the path's tenant with the webhooks or administrative scope on a v<n> API version", () => {
    const bearer = `Bearer ${acme.apiKey}`;
    expect(webhooks.authenticate('ACME', 'v1', bearer).tenantId).toBe(acme.tenantId);
    expect(webhooks.authenticate('acme', 'V2.1', bearer).tenantId).toBe(acme.tenantId);
    expect(() => webhooks.authenticate('acme', 'latest', bearer)).toThrow(new PpmHttpError(404, 'NotFound', 'unknown API version "latest" (e.g. v1)'));
    expect(refusal(catching(() => webhooks.authenticate('other', 'v1', bearer)))).toEqual([401, 'Unauthorized', 'the token does not belong to tenant "other"']);
    expect(() => webhooks.authenticate('acme', 'v1', 'Basic x')).toThrow(AuthenticationError);
    // As the native API: a key without the webhooks (or administrative) scope manages no hook.
    expect(() => webhooks.authenticate('acme', 'v1', `Bearer ${t.addKey(acme, ['read', 'write'])}`)).toThrow(new MissingScopeError(['webhooks', 'administrative']));
    expect(webhooks.authenticate('acme', 'v1', `Bearer ${t.addKey(acme, ['administrative'])}`).tenantId).toBe(acme.tenantId);
    t.principalsCaughtUp = false;
    try {
      expect(() => webhooks.authenticate('acme', 'v1', bearer)).toThrow(PrincipalsLoadingError);
    } finally {
      t.principalsCaughtUp = true;
    }
  });

  it("creates a webhook with PPM's policy and shows it with header values redacted, never in clear; gets and lists only PPM's hooks", async () => {
    const created = await webhooks.create(acme.principal, body('https://ppm.example.com/a'));
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      eventTypes: ['Project:Created', 'Task:Updated'],
      headers: [
        { name: 'Authorization', value: '••••••••alue' },
        { name: 'X-Team', value: '••••••••' },
      ],
      httpVerb: 'PUT',
      url: 'https://ppm.example.com/a',
    });
    expect(JSON.stringify(created)).not.toMatch(/token_value|blue/);
    const s = await t.get(GetSubscription).execute({ tenantId: acme.tenantId, subscription: { id: created.id } });
    expect(s).toMatchObject({ dialect: 'ppm-express', payloadFormat: 'ppm-express', successContract: '2xx', scope: { kind: 'tenant' }, ownerOnly: false });
    expect(s.fieldFilters).toHaveProperty('project');
    await t.get(CreateSubscription).execute({ tenantId: acme.tenantId, ownerUserId: acme.userId, settings: { url: 'https://native.example.com', eventTypes: ['*'] } });
    expect(await webhooks.list(acme.principal)).toEqual([created]);
    expect(await webhooks.get(acme.principal, created.id)).toEqual(created);
  });

  it('refuses an invalid webhook with details per field, and an id that is not a PPM webhook of the tenant with 404', async () => {
    const bad = await webhooks.create(acme.principal, { ...body('https://ppm.example.com/b'), eventTypes: ['Nope'] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PpmHttpError);
    expect(bad).toMatchObject({ status: 400, code: 'BadRequest', message: 'the webhook is not valid', details: [expect.objectContaining({ target: expect.stringMatching(/^eventTypes/) })] });
    await expect(webhooks.create(acme.principal, body('ftp://ppm.example.com'))).rejects.toBeInstanceOf(SubscriptionValidationError);
    const other = t.addTenant('other', ['webhooks']);
    const theirs = await webhooks.create(other.principal, body('https://ppm.example.com/theirs'));
    for (const id of [theirs.id, 'nope', '00000000-0000-0000-0000-000000000000']) {
      await expect(webhooks.get(acme.principal, id).catch(refusal)).resolves.toEqual([404, 'NotFound', `webhook ${id} not found`]);
      await expect(webhooks.remove(acme.principal, id).catch(refusal)).resolves.toEqual([404, 'NotFound', `webhook ${id} not found`]);
    }
  });

  it("deletes one; deleting all needs the administrative scope and leaves other APIs' hooks", async () => {
    const tenant = t.addTenant('deletes', ['webhooks']);
    const [a, b] = [await webhooks.create(tenant.principal, body('https://ppm.example.com/1')), await webhooks.create(tenant.principal, body('https://ppm.example.com/2'))];
    await t.get(CreateSubscription).execute({ tenantId: tenant.tenantId, ownerUserId: tenant.userId, settings: { url: 'https://native.example.com', eventTypes: ['*'] } });
    await webhooks.remove(tenant.principal, a.id);
    expect((await webhooks.list(tenant.principal)).map((w) => w.id)).toEqual([b.id]);
    await expect(webhooks.removeAll(tenant.principal)).rejects.toBeInstanceOf(MissingScopeError);
    const admin = webhooks.authenticate('deletes', 'v1', `Bearer ${t.addKey(tenant, ['administrative'])}`);
    await webhooks.removeAll(admin);
    expect(await webhooks.list(tenant.principal)).toEqual([]);
    expect(t.published.tombstones).toEqual(expect.arrayContaining([a.id, b.id]));
    const left = await t.get(ListSubscriptions).execute({ tenantId: tenant.tenantId });
    expect(left.items.map((s) => s.dialect)).toEqual(['native']);
  });

  it("answers every error in PPM Express' shape", () => {
    const filter = new PpmErrorFilter();
    expect(filterAnswer(filter, new PpmHttpError(404, 'NotFound', 'webhook x not found'))).toEqual({ status: 404, body: { error: { code: 'NotFound', message: 'webhook x not found' } } });
    expect(filterAnswer(filter, new PrincipalsLoadingError())).toEqual({ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'still loading principals; retry shortly' } } });
    expect(filterAnswer(filter, new AuthenticationError('no'))).toMatchObject({ status: 401, body: { error: { code: 'Unauthorized' } } });
    expect(filterAnswer(filter, new MissingScopeError(['administrative']))).toMatchObject({ status: 403, body: { error: { code: 'Forbidden' } } });
    expect(filterAnswer(filter, new SubscriptionValidationError([{ path: 'url', message: 'bad' }]))).toEqual({
      status: 400,
      body: { error: { code: 'BadRequest', message: expect.any(String), details: [{ target: 'url', message: 'bad' }] } },
    });
    expect(filterAnswer(filter, Object.assign(new Error('request entity too large'), { status: 413 }))).toMatchObject({ status: 413, body: { error: { code: 'BadRequest' } } });
    expect(filterAnswer(filter, new Error('boom'))).toEqual({ status: 500, body: { error: { code: 'InternalServerError', message: 'internal error' } } });
  });
});

function catching(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    return e;
  }
}
