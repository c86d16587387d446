import { randomUUID } from 'node:crypto';
import { ForbiddenException } from '@nestjs/common';
import type { DeliveryOutcome } from '@herald/contracts';
import { companyIdOf, parseTriggerId } from '@herald/dialects/procore';
import {
  DELIVERY_LOG_MIGRATIONS,
  DELIVERY_LOG_SETTINGS,
  DeliveryLogRepository,
  GetDelivery,
  MaintainDeliveryLogPartitions,
  RecordDeliveryOutcomes,
  SearchDeliveries,
} from '@herald/registry/delivery-log';
import { GetSubscription, ImmutableFieldError, UpdateSubscription } from '@herald/registry/subscriptions';
import { filterAnswer, subscriptionCoreTestbed, type SubscriptionCoreTestbed, type TestTenant } from '@herald/registry/subscriptions/testing';
import { ProcoreDeliveries, filterOf } from './procore-deliveries';
import { ProcoreErrorFilter, ProcoreHttpError } from './procore-errors';
import { ProcoreHooks, procoreScopeOf, triggersOf, type ProcoreScope } from './procore-hooks';
import { deliveryQuery } from './procore-query';
import { ProcoreTriggers } from './procore-triggers';

// Procore's use cases on a real database: the subscription core (recorded snapshots) and the delivery log.
describe('Procore (PostgreSQL)', () => {
  let t: SubscriptionCoreTestbed;
  let hooks: ProcoreHooks;
  let triggers: ProcoreTriggers;
  let acme: TestTenant;
  let company: ProcoreScope;

  beforeAll(async () => {
    t = await subscriptionCoreTestbed('procore', {
      migrations: DELIVERY_LOG_MIGRATIONS,
      providers: [
        ProcoreHooks,
        ProcoreTriggers,
        ProcoreDeliveries,
        SearchDeliveries,
        GetDelivery,
        DeliveryLogRepository,
        MaintainDeliveryLogPartitions,
        RecordDeliveryOutcomes,
        { provide: DELIVERY_LOG_SETTINGS, useValue: { retentionDays: 28, daysAhead: 3, maintenanceIntervalMs: 3_600_000 } },
      ],
    });
    hooks = t.get(ProcoreHooks);
    triggers = t.get(ProcoreTriggers);
    acme = t.addTenant('acme', ['webhooks']);
    company = procoreScopeOf(acme.principal, companyIdOf(acme.tenantId), undefined);
  });
  afterAll(() => t?.close());

  const refusal = (e: unknown) => (e instanceof ProcoreHttpError ? [e.status, e.body] : e);
  const hook = (url: string, over: object = {}) => hooks.create(acme.principal, company, { destination_url: url, namespace: 'acme', ...over });

  it('scopes a request to the caller\'s company or one of its projects (or a template); another company is 403', () => {
    const p = acme.principal;
    expect(procoreScopeOf(p, company.companyId as number, 'P1')).toEqual({ kind: 'project', projectId: 'P1', companyId: company.companyId });
    expect(procoreScopeOf(p, undefined, 'P1', 'T1')).toEqual({ kind: 'project', projectId: 'T1', companyId: undefined, template: true });
    expect(refusal(catching(() => procoreScopeOf(p, 42, undefined)))).toEqual([403, { error: { code: 'forbidden', message: 'you have no access to company 42', details: null } }]);
    expect(refusal(catching(() => procoreScopeOf(p, undefined, undefined)))).toEqual([400, { errors: { base: ['You must supply either a company_id or project_id'] } }]);
    expect(hooks.companies(p)).toEqual([{ id: companyIdOf(acme.tenantId), name: 'ACME', is_active: true }]);
  });

  it("creates hooks with Procore's ordered policy, the Authorization masked in formatOptions; lists and gets them by scope", async () => {
    const a = await hook('https://procore.example.com/a', { destination_headers: { Authorization: 'Bearer abcdefghij' }, payload_version: 'v4.0' });
    expect(a).toMatchObject({ dialect: 'procore', payloadFormat: 'procore-v4.0', deliveryMode: 'ordered', successContract: '200-or-204', eventTypes: ['*'], scope: { kind: 'tenant' } });
    expect(a.formatOptions).toEqual({ namespace: 'acme', triggers: [], authorizationHint: '*****fghij' });
    const inProject = await hooks.create(acme.principal, procoreScopeOf(acme.principal, undefined, 'P7'), { destination_url: 'https://procore.example.com/p', status: 'disabled' });
    expect(inProject).toMatchObject({ scope: { kind: 'project', projectId: 'P7' }, status: 'disabled', payloadFormat: 'procore-v2.0' });
    const template = await hooks.create(acme.principal, procoreScopeOf(acme.principal, undefined, undefined, 'T9'), { destination_url: 'https://procore.example.com/t' });
    expect(template).toMatchObject({ templateId: 'T9', scope: { kind: 'project', projectId: 'T9' } });

    expect((await hooks.list(acme.principal, company, {})).map((s) => s.id)).toEqual([a.id]);
    expect(await hooks.list(acme.principal, company, { namespace: 'other' })).toEqual([]);
    expect(await hooks.list(acme.principal, company, { version: 'v2.0' })).toEqual([]);
    expect((await hooks.get(acme.principal, company, String(a.externalId))).id).toBe(a.id);
    // Out of scope, unknown, or not a number: 404 in Procore's shape.
    for (const id of [String(inProject.externalId), '999999', 'x']) {
      await expect(hooks.get(acme.principal, company, id).catch(refusal)).resolves.toEqual([404, { error: { code: 'not_found', message: `Hook ${id} not found`, details: null } }]);
    }
    await expect(hook('').catch(refusal)).resolves.toEqual([400, { errors: { destination_url: ["can't be blank"] } }]);
  });

  it('updates: url, namespace, Authorization (re-masked), status; the payload version is fixed', async () => {
    const s = await hook('https://procore.example.com/u');
    const id = String(s.externalId);
    const updated = await hooks.update(acme.principal, company, id, { destination_url: 'https://procore.example.com/u2', namespace: 'n2', destination_headers: { Authorization: 'Token 123456789' } });
    expect(updated).toMatchObject({ url: 'https://procore.example.com/u2', formatOptions: { namespace: 'n2', authorizationHint: '*****56789' } });
    expect((await hooks.update(acme.principal, company, id, { status: 'disabled' })).status).toBe('disabled');
    expect((await hooks.update(acme.principal, company, id, { status: 'active' })).status).toBe('active');
    await expect(hooks.update(acme.principal, company, id, { payload_version: 'v3.0' })).rejects.toBeInstanceOf(ImmutableFieldError);
    await hooks.remove(acme.principal, company, id);
    await expect(hooks.get(acme.principal, company, id)).rejects.toBeInstanceOf(ProcoreHttpError);
  });

  it('triggers: adds through two instances (as two replicas have) and a namespace change, all racing, lose nothing (version-checked writes)', async () => {
    const s = await hook('https://procore.example.com/two-replicas');
    const id = String(s.externalId);
    const other = new ProcoreTriggers(t.get(ProcoreHooks), t.get(UpdateSubscription));
    const pairs = ['Tasks', 'Projects', 'Comments', 'Clients', 'Ideas'].flatMap((resource_name) =>
      (['create', 'update'] as const).map((event_type) => ({ resource_name, event_type })),
    );
    await Promise.all([
      ...pairs.map((tr, i) => (i % 2 ? other : triggers).add(acme.principal, company, id, [tr])),
      hooks.update(acme.principal, company, id, { namespace: 'raced' }),
    ]);
    const now = await hooks.get(acme.principal, company, id);
    expect(triggersOf(now).map((tr) => `${tr.resource.name}:${tr.eventType}`).sort()).toEqual(pairs.map((p) => `${p.resource_name}:${p.event_type}`).sort());
    expect(now.formatOptions['namespace']).toBe('raced');
    expect(now.version).toBe(s.version + pairs.length + 1);
  });

  it("triggers: concurrent adds lose nothing; they decide the hook's event types; removed by id", async () => {
    const s = await hook('https://procore.example.com/triggers');
    const id = String(s.externalId);
    const names = ['Tasks', 'Projects', 'Comments', 'Clients', 'Ideas'];
    await Promise.all(names.map((resource_name) => triggers.add(acme.principal, company, id, [{ resource_name, event_type: 'create' }])));
    const now = await hooks.get(acme.principal, company, id);
    expect(triggersOf(now).map((tr) => tr.resource.name).sort()).toEqual([...names].sort());
    expect(now.eventTypes.sort()).toEqual(['client.created', 'comment.created', 'idea.created', 'project.created', 'task.created']);

    const again = await triggers.add(acme.principal, company, id, [
      { resource_name: 'Tasks', event_type: 'create' },
      { resource_name: 'Nope', event_type: 'create' },
    ]);
    expect(again.created.map((c) => c.resource.name)).toEqual(['Tasks']);
    expect(again.failed).toEqual([{ trigger: { resource_name: 'Nope', event_type: 'create' }, errors: { resource_name: [expect.stringMatching(/^is not a webhooks resource/)] } }]);
    await expect(triggers.addOne(acme.principal, company, id, { resource_name: 'Tasks', event_type: 'explode' }).catch(refusal)).resolves.toEqual([
      400,
      { errors: { event_type: ['must be one of create, update, delete'] } },
    ]);

    const taskTrigger = triggersOf(now).find((tr) => tr.resource.name === 'Tasks');
    expect(parseTriggerId(taskTrigger!.id)?.hookId).toBe(s.externalId);
    const removed = await triggers.remove(acme.principal, company, id, [taskTrigger!.id, 12345]);
    expect(removed).toEqual({ succeeded: [taskTrigger!.id], failed: [12345] });
    await expect(triggers.removeOne(acme.principal, company, id, String(taskTrigger!.id)).catch(refusal)).resolves.toEqual([
      404,
      { error: { code: 'not_found', message: `Trigger ${taskTrigger!.id} not found`, details: null } },
    ]);
    expect((await hooks.get(acme.principal, company, id)).eventTypes).not.toContain('task.created');
  });

  it("deliveries: the hook's log filtered like Procore, newest first, by numbered pages", async () => {
    const s = await hook('https://procore.example.com/log');
    const outcome = (status: DeliveryOutcome['status'], resourceType: string, at: Date): DeliveryOutcome => ({
      deliveryId: randomUUID(),
      eventId: randomUUID(),
      subscriptionId: s.id,
      tenantId: acme.tenantId,
      eventType: `${resourceType}.created`,
      resourceType,
      resourceId: 'r1',
      status,
      attempt: status === 'queued' ? 0 : 1,
      at: at.toISOString(),
      origin: 'event',
      body: '{"n":1}',
    });
    const now = Date.now();
    const outcomes = [outcome('delivered', 'task', new Date(now - 3_000)), outcome('failed', 'task', new Date(now - 2_000)), outcome('delivered', 'project', new Date(now - 1_000))];
    // The router's `queued` outcome carries the body; the dispatcher's carry the attempts.
    const queued = outcomes.map((o) => ({ ...o, status: 'queued' as const, attempt: 0, at: new Date(Date.parse(o.at) - 500).toISOString() }));
    await t.get(RecordDeliveryOutcomes).execute({ outcomes: [...queued, ...outcomes.map((o) => ({ ...o, body: undefined }))] });
    const deliveries = t.get(ProcoreDeliveries);
    const scope = company;
    const page = (q: Record<string, unknown>) => deliveries.page(acme.principal, scope, String(s.externalId), deliveryQuery(q));
    const all = await page({ per_page: '2' });
    expect(all.items.map((d) => d.deliveryId)).toEqual([outcomes[2].deliveryId, outcomes[1].deliveryId]);
    expect(all.hasMore).toBe(true);
    const second = await page({ per_page: '2', page: '2' });
    expect(second).toMatchObject({ items: [{ deliveryId: outcomes[0].deliveryId, body: '{"n":1}' }], hasMore: false });
    expect((await page({ per_page: '2', page: '9' })).items).toEqual([]);
    expect((await page({ 'filter[status]': 'failed' })).items.map((d) => d.deliveryId)).toEqual([outcomes[1].deliveryId]);
    expect((await page({ filter: { resource_name: 'Projects', event_type: 'create' } })).items.map((d) => d.deliveryId)).toEqual([outcomes[2].deliveryId]);
    // The delivery log answers a page in three queries whatever its number and size: the page's
    // rows, their bodies, their attempts (no walk through the pages before it, no query per delivery).
    const query = jest.spyOn(t.ds, 'query');
    try {
      for (const [q, ids] of [
        [{ per_page: '3' }, [outcomes[2], outcomes[1], outcomes[0]]],
        [{ per_page: '1', page: '3' }, [outcomes[0]]],
      ] as const) {
        query.mockClear();
        const got = await page(q);
        expect(got.items.map((d) => [d.deliveryId, d.attemptLog.map((a) => a.status)])).toEqual(ids.map((o) => [o.deliveryId, [o.status]]));
        expect(query).toHaveBeenCalledTimes(3);
      }
    } finally {
      query.mockRestore();
    }
  });

  it('refuses bad delivery filters with a 400 naming each', () => {
    expect(refusal(catching(() => filterOf(deliveryQuery({ 'filter[status]': 'x', 'filter[resource_name]': 'Nope', 'filter[event_type]': 'y', 'filter[start]': '2026-13-40', 'filter[end]': 'soon' }))))).toEqual([
      400,
      {
        errors: {
          'filter[status]': ['must be one of succeeded, failed, discarded, enqueued, retrying'],
          'filter[resource_name]': ['unknown resource "Nope"'],
          'filter[event_type]': ['must be one of create, update, delete'],
          'filter[start]': ['must be a date, yyyy-mm-dd'],
          'filter[end]': ['must be a date, yyyy-mm-dd'],
        },
      },
    ]);
    expect(filterOf(deliveryQuery({ 'filter[start]': '2026-12-01', 'filter[end]': '2026-12-01' }))).toMatchObject({
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-02T00:00:00Z'),
    });
  });

  it("answers every error in Procore's shape: validation per Procore field, the rest {error: {code, message}}", async () => {
    const filter = new ProcoreErrorFilter();
    const s = await hook('https://procore.example.com/err');
    const immutable = await hooks.update(acme.principal, company, String(s.externalId), { payload_version: 'v3.0' }).catch((e: unknown) => e);
    expect(filterAnswer(filter, immutable)).toEqual({
      status: 400,
      body: { errors: { api_version: ['the payload version is fixed when a hook is created; delete the hook and create a new one to change it'] } },
    });
    const invalid = await hook('ftp://x.example.com').catch((e: unknown) => e);
    expect(filterAnswer(filter, invalid)).toEqual({ status: 400, body: { errors: { destination_url: [expect.any(String)] } } });
    expect(filterAnswer(filter, new ForbiddenException('needs webhooks'))).toEqual({ status: 403, body: { error: { code: 'forbidden', message: 'needs webhooks', details: null } } });
    expect(filterAnswer(filter, new Error('boom'))).toEqual({ status: 500, body: { error: { code: 'internal_server_error', message: 'internal error', details: null } } });
    expect(await t.get(GetSubscription).execute({ tenantId: acme.tenantId, subscription: { id: s.id } })).toMatchObject({ payloadFormat: 'procore-v2.0' });
  });
});

function catching(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    return e;
  }
}
