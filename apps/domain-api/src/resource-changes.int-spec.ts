import { randomBytes } from 'node:crypto';
import { RESOURCE_DEFINITION_LIST } from '@herald/domain/resources';
import { dropOutboxReplicationSlot } from '@herald/domain/outbox';
import { resourceChangeKey, type ResourceChange, type ResourceType } from '@herald/contracts';
import { call, createTestInfra, createTestTenant, startTestApp, type TestApp, type TestInfra, type TestTenant } from './testing';
import { readResourceChanges } from './topic-reader';

// Real Postgres and Kafka (and, for the CLI, processes): jest's 5 s default is for unit tests.
jest.setTimeout(120_000);

let infra: TestInfra | undefined;
const slot = `t_dapi_${randomBytes(5).toString('hex')}`;
let t: TestApp | undefined;
let a: TestTenant;

beforeAll(async () => {
  infra = await createTestInfra('domain-api-changes');
  t = await startTestApp(infra.env({ HERALD_OUTBOX_RELAY: 'logical', HERALD_OUTBOX_SLOT: slot }));
  a = await createTestTenant(t.ds, 'acme');
}, 60_000);

afterAll(async () => {
  await t?.close();
  if (infra) await dropOutboxReplicationSlot(infra.dbUrl, slot);
  await infra?.drop();
});

interface Expected {
  type: ResourceType;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  changed?: string[];
}

describe('the API to herald.resource-changes.v1 (logical-replication relay)', () => {
  it('every resource type and action arrives once, in order per resource, with before/after/changedFields/initiator', async () => {
    const auth = { bearer: a.apiKey };
    const expected: Expected[] = [];
    const state: Record<string, Record<string, unknown>> = {};
    const ids: Record<string, string> = {};

    const bodies: Record<ResourceType, [Record<string, unknown>, Record<string, unknown>]> = {
      client: [{ name: 'Acme Corp' }, { phone: '+1 555 0100' }],
      portfolio: [{ name: 'Growth' }, { description: 'Bets' }],
      program: [{ name: 'AI' }, { name: 'Artificial Intelligence' }],
      project: [{ name: 'Website' }, { progress: 10 }],
      project_template: [{ name: 'Launch' }, { description: 'Launches' }],
      task: [{ name: 'Design' }, { progress: 50 }],
      subtask: [{ name: 'Wireframes' }, { progress: 20 }],
      comment: [{ body: 'Looks good' }, { body: 'Looks great' }],
      calendar_event: [{ title: 'Demo', startAt: '2026-03-01T15:00:00Z' }, { location: 'Room 1' }],
      idea: [{ name: 'Dog Shelter Charity', stage: 0 }, { stage: 1 }],
      key_date: [{ name: 'Release 1.0', date: '2026-04-01T12:00:00Z', parentType: 'project' }, { isComplete: true }],
    };
    const refs = (type: ResourceType): Record<string, unknown> =>
      ({
        program: { portfolioId: ids['portfolio'] },
        project: { clientId: ids['client'], programId: ids['program'] },
        task: { projectId: ids['project'] },
        subtask: { taskId: ids['task'] },
        comment: { taskId: ids['task'] },
        calendar_event: { projectId: ids['project'] },
        key_date: { parentId: ids['project'] },
      })[type as string] ?? {};

    const order: ResourceType[] = ['client', 'portfolio', 'program', 'project', 'project_template', 'task', 'subtask', 'comment', 'calendar_event', 'idea', 'key_date'];
    const pathOf = (type: ResourceType) => RESOURCE_DEFINITION_LIST.find((d) => d.type === type)!.path;
    for (const type of order) {
      const [createBody, updateBody] = bodies[type];
      const created = await call(t!.url, 'POST', `/v1/${pathOf(type)}`, auth, { ...createBody, ...refs(type) });
      expect(created.status).toBe(201);
      ids[type] = created.body['id'] as string;
      expected.push({ type, action: 'created', before: null, after: created.body });
      const updated = await call(t!.url, 'PATCH', `/v1/${pathOf(type)}/${ids[type]}`, auth, updateBody);
      expect(updated.status).toBe(200);
      expected.push({ type, action: 'updated', before: created.body, after: updated.body, changed: Object.keys(updateBody) });
      // The same update again changes nothing: no event.
      expect((await call(t!.url, 'PATCH', `/v1/${pathOf(type)}/${ids[type]}`, auth, updateBody)).status).toBe(200);
      state[type] = updated.body;
    }
    for (const type of ['task', 'subtask'] as const) {
      const done = await call(t!.url, 'POST', `/v1/${pathOf(type)}/${ids[type]}/complete`, auth);
      expected.push({ type, action: 'completed', before: state[type], after: done.body });
      const open = await call(t!.url, 'POST', `/v1/${pathOf(type)}/${ids[type]}/reopen`, auth);
      expected.push({ type, action: 'reopened', before: done.body, after: open.body });
      state[type] = open.body;
    }
    for (const type of [...order].reverse()) {
      expect((await call(t!.url, 'DELETE', `/v1/${pathOf(type)}/${ids[type]}`, auth)).status).toBe(204);
      expected.push({ type, action: 'deleted', before: state[type], after: null });
    }

    const messages = await readResourceChanges(infra!.ns, (ms) => ms.length >= expected.length, 60_000);
    // Nothing more than expected arrives (no event for the no-op updates).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(messages).toHaveLength(expected.length);

    for (const type of order) {
      const got = messages.filter((m) => m.value.resourceType === type);
      const want = expected.filter((e) => e.type === type);
      expect(got.map((m) => m.value.action)).toEqual(want.map((e) => e.action));
      got.forEach((m, i) => {
        const e: ResourceChange = m.value;
        expect(m.key).toBe(resourceChangeKey(e));
        expect(m.schemaHeader).toBe('resource-change/1');
        expect(e.tenantId).toBe(a.tenantId);
        expect(e.resourceId).toBe(ids[type]);
        expect(e.initiator).toEqual({ userId: a.userId, fullName: 'acme admin', logonAccount: 'admin@acme.test' });
        expect(e.before ?? null).toEqual(want[i].before);
        expect(e.after ?? null).toEqual(want[i].after);
        if (want[i].changed) expect([...e.changedFields].sort()).toEqual([...want[i].changed!].sort());
      });
    }
    expect(new Set(messages.map((m) => m.value.eventId)).size).toBe(messages.length);
  }, 120_000);
});
