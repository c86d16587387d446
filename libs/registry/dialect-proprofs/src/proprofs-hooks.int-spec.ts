import { ServiceUnavailableException } from '@nestjs/common';
import { proprofsHookIdOf, subscriptionIdOf } from '@herald/dialects/proprofs';
import { AuthenticationError, MissingScopeError, PrincipalsLoadingError } from '@herald/registry/principals';
import { CreateSubscription, GetSubscription, SubscriptionValidationError } from '@herald/registry/subscriptions';
import { filterAnswer, subscriptionCoreTestbed, type SubscriptionCoreTestbed, type TestTenant } from '@herald/registry/subscriptions/testing';
import { jsonBodyOf } from './json-body';
import { ProProfsErrorFilter, ProProfsHttpError } from './proprofs-errors';
import { ProProfsHooks } from './proprofs-hooks';
import { PROPROFS_MIGRATIONS } from './proprofs-target-url.migration';

// ProProfs' use cases on a real database (the subscription core with recorded snapshots).
describe('ProProfsHooks (PostgreSQL)', () => {
  let t: SubscriptionCoreTestbed;
  let hooks: ProProfsHooks;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await subscriptionCoreTestbed('proprofs', { providers: [ProProfsHooks], migrations: PROPROFS_MIGRATIONS });
    hooks = t.get(ProProfsHooks);
    acme = t.addTenant('acme', ['webhooks']);
  });
  afterAll(() => t?.close());

  const refusal = (e: unknown) => (e instanceof ProProfsHttpError ? [e.status, e.message] : e);

  it('authenticates a key with its tenant domain (or slug) and the webhooks or administrative scope', () => {
    expect(hooks.authenticate(acme.apiKey, 'ACME.example.com').tenantId).toBe(acme.tenantId);
    expect(hooks.authenticate(t.addKey(acme, ['administrative']), 'acme').tenantId).toBe(acme.tenantId);
    expect(() => hooks.authenticate(acme.apiKey, 'other.example.com')).toThrow(AuthenticationError);
    expect(() => hooks.authenticate(undefined, 'acme')).toThrow(AuthenticationError);
    expect(() => hooks.authenticate(t.addKey(acme, ['read', 'write']), 'acme')).toThrow(MissingScopeError);
    t.principalsCaughtUp = false;
    try {
      expect(() => hooks.authenticate(acme.apiKey, 'acme')).toThrow(PrincipalsLoadingError);
    } finally {
      t.principalsCaughtUp = true;
    }
  });

  it("subscribes with ProProfs' policy and answers its numeric hook id; a taken target_url is a 409", async () => {
    const url = 'https://receiver.example.com/proprofs/1';
    const { id } = await hooks.subscribe(acme.principal, { target_url: url, event: 'new_task' });
    expect(id).toMatch(/^\d+$/);
    const s = await t.get(GetSubscription).execute({ tenantId: acme.tenantId, subscription: { id: subscriptionIdOf(id) as string } });
    expect(s).toMatchObject({ dialect: 'proprofs', url, eventTypes: ['task.created'], ownerOnly: true, payloadFormat: 'proprofs', successContract: '200', ownerUserId: acme.userId });
    expect(s.failurePolicy).toMatchObject({ unsubscribeOn: [401], autoDisableAfter: 3, deleteAtThreshold: true });
    expect(t.published.snapshots.map((p) => p.id)).toContain(s.id);

    await expect(hooks.subscribe(acme.principal, { target_url: url, event: 'new_event' }).catch(refusal)).resolves.toEqual([
      409,
      'target_url already has a subscription (target urls must be unique)',
    ]);
    // Unique among the tenant's ProProfs hooks only: another tenant may use the same URL.
    const other = t.addTenant('other', ['webhooks']);
    await expect(hooks.subscribe(other.principal, { target_url: url, event: 'new_task' })).resolves.toHaveProperty('id');
  });

  it('makes one subscription of subscribes of the same target_url racing: the others are 409s (a unique index)', async () => {
    const url = 'https://receiver.example.com/proprofs/race';
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => hooks.subscribe(acme.principal, { target_url: url, event: i % 2 ? 'new_task' : 'new_event' }).then(() => 201, (e: unknown) => refusal(e))),
    );
    expect(answers.filter((a) => a === 201)).toHaveLength(1);
    expect(answers.filter((a) => a !== 201)).toEqual(Array(7).fill([409, 'target_url already has a subscription (target urls must be unique)']));
    const [{ n }] = (await t.ds.query(`SELECT count(*)::int AS n FROM registry.subscriptions WHERE tenant_id = $1 AND url = $2`, [acme.tenantId, url])) as { n: number }[];
    expect(n).toBe(1);
  });

  it('refuses a body that is not a subscribe request (400 naming the field) and a URL the core refuses', async () => {
    await expect(hooks.subscribe(acme.principal, { target_url: 'https://x.example.com', event: 'nope' }).catch(refusal)).resolves.toEqual([
      400,
      expect.stringMatching(/^event: event must be one of /),
    ]);
    await expect(hooks.subscribe(acme.principal, { target_url: 'ftp://x.example.com', event: 'new_task' })).rejects.toBeInstanceOf(SubscriptionValidationError);
  });

  it('unsubscribes: the subscriber or an administrator; another user is refused (401), an unknown or foreign id is 404', async () => {
    const { id } = await hooks.subscribe(acme.principal, { target_url: 'https://receiver.example.com/proprofs/2', event: 'new_task' });
    const colleague = t.get(ProProfsHooks).authenticate(t.addKey(acme, ['webhooks'], 'colleague'), 'acme');
    await expect(hooks.unsubscribe(colleague, id).catch(refusal)).resolves.toEqual([401, 'this subscription belongs to another user']);
    const admin = hooks.authenticate(t.addKey(acme, ['administrative'], 'admin'), 'acme');
    await hooks.unsubscribe(admin, id);
    await expect(hooks.unsubscribe(acme.principal, id).catch(refusal)).resolves.toEqual([404, `subscription ${id} not found`]);
    await expect(hooks.unsubscribe(acme.principal, 'not-a-number').catch(refusal)).resolves.toEqual([404, 'subscription not-a-number not found']);
    // A native hook of the same tenant is not a ProProfs hook.
    const native = await t.get(CreateSubscription).execute({ tenantId: acme.tenantId, ownerUserId: acme.userId, settings: { url: 'https://n.example.com', eventTypes: ['*'] } });
    const nativeId = proprofsHookIdOf(native.subscription.id);
    await expect(hooks.unsubscribe(acme.principal, nativeId).catch(refusal)).resolves.toEqual([404, `subscription ${nativeId} not found`]);
  });

  it("answers every error in ProProfs' shape", () => {
    const filter = new ProProfsErrorFilter();
    expect(filterAnswer(filter, new ProProfsHttpError(409, 'taken'))).toEqual({ status: 409, body: { error: 'taken' } });
    expect(filterAnswer(filter, new PrincipalsLoadingError())).toEqual({ status: 503, body: { error: 'still loading principals; retry shortly' } });
    expect(filterAnswer(filter, new MissingScopeError(['webhooks']))).toMatchObject({ status: 401 });
    expect(filterAnswer(filter, new SubscriptionValidationError([{ path: 'url', message: 'bad' }]))).toMatchObject({ status: 400 });
    expect(filterAnswer(filter, new ServiceUnavailableException('x'))).toEqual({ status: 503, body: { error: 'x' } });
    expect(filterAnswer(filter, new Error('boom'))).toEqual({ status: 500, body: { error: 'internal error' } });
  });

  it('reads a JSON body whatever its content type, up to 64 KB', async () => {
    const stream = (text: string) => ({ body: {}, async *[Symbol.asyncIterator]() { yield Buffer.from(text); } });
    await expect(jsonBodyOf(stream(' {"a":1} '))).resolves.toEqual({ a: 1 });
    await expect(jsonBodyOf({ ...stream('ignored'), body: { a: 2 } })).resolves.toEqual({ a: 2 });
    await expect(jsonBodyOf(stream('')).catch(refusal)).resolves.toEqual({});
    await expect(jsonBodyOf(stream('{nope')).catch(refusal)).resolves.toEqual([400, 'the body is not JSON']);
    await expect(jsonBodyOf(stream('x'.repeat(70_000))).catch(refusal)).resolves.toEqual([400, 'body too large']);
  });
});
