import { DataSource } from 'typeorm';
import { ResourceChangeSchema, resourceChangeKey, type ResourceChange, type ResourceType } from '@herald/contracts';
import { OutboxWriter } from '@herald/domain/outbox';
import { CreateTenant, UnprocessableError, NotFoundError, ConflictError } from '@herald/domain/tenancy';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { createTestDatabase } from '@herald/platform/testing';
import { definitionOf } from './definitions';
import { ppmTaskExample } from './testing';
import { domainDataSource } from './domain-schema';
import { ResourceWriter, StoredStateDiffers, type ChangeContext } from './resource-writer';
import { ResourceRepository } from './resource.repository';
import { toState } from './state';
import { CreateProjectFromTemplate } from './use-cases/create-project-from-template';
import { CreateResource, DeleteResource, SetCompletion, UpdateResource } from './use-cases/write-resources';

// Real Postgres and Kafka (and, for the CLI, processes): jest's 5 s default is for unit tests.
jest.setTimeout(60_000);

let db: { url: string; drop(): Promise<void> };
let ds: DataSource;
let ctx: ChangeContext;
let otherTenant: ChangeContext;
const outbox = new OutboxWriter();

/** Takes the outbox rows written so far, in commit order, the way a relay would. */
async function takeEvents(): Promise<Array<{ key: string; event: ResourceChange }>> {
  const rows: Array<{ aggregate_key: string; payload: ResourceChange }> = await ds.query(
    'WITH taken AS (DELETE FROM domain.outbox RETURNING aggregate_key, payload, seq) SELECT * FROM taken ORDER BY seq',
  );
  return rows.map((r) => ({ key: r.aggregate_key, event: r.payload }));
}

beforeAll(async () => {
  db = await createTestDatabase('domain-resource-writes');
  await runMigrations(domainDataSource(db.url));
  ds = new DataSource(dataSourceOptions(domainDataSource(db.url, { poolSize: 4 })));
  await ds.initialize();
  ctx = await tenantAdmin('acme', 'Anna Doe', 'anna.doe@company.com');
  otherTenant = await tenantAdmin('globex', 'Brian Adams', 'brian@globex.test');
});

/** A new tenant; its admin is the initiator of the changes made in its name. */
async function tenantAdmin(slug: string, adminName: string, adminEmail: string): Promise<ChangeContext> {
  const t = await new CreateTenant(ds).execute({ slug, domain: `${slug}.projectbubble.com`, adminName, adminEmail });
  return { tenantId: t.tenant.id, initiator: { userId: t.admin.id, fullName: adminName, logonAccount: adminEmail } };
}

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

beforeEach(async () => {
  await takeEvents();
});

interface Case {
  type: ResourceType;
  create: (ids: Record<string, string>) => Record<string, unknown>;
  update: Record<string, unknown>;
  changed: string[];
  /** The event's projectId, from the ids created so far (null: tenant-level). */
  project: (ids: Record<string, string>, self: string) => string | null;
}

/** In dependency order: each may point at the ones before it. */
const CASES: Case[] = [
  {
    type: 'client',
    create: () => ({ name: 'Acme Corp', email: 'ops@acme.test' }),
    update: { phone: '+1 555 0100' },
    changed: ['phone'],
    project: () => null,
  },
  {
    type: 'portfolio',
    create: () => ({ name: 'Growth', attributes: { Color: 'green' } }),
    update: { description: 'All growth bets', attributes: { Color: null, Owner: 'CEO' } },
    changed: ['attributes', 'description'],
    project: () => null,
  },
  {
    type: 'program',
    create: (ids) => ({ name: 'AI', portfolioId: ids['portfolio'] }),
    update: { name: 'Artificial Intelligence' },
    changed: ['name'],
    project: () => null,
  },
  {
    type: 'project',
    create: (ids) => ({
      name: 'Artificial Intelligence',
      clientId: ids['client'],
      portfolioId: ids['portfolio'],
      programId: ids['program'],
      startDate: '2021-12-01T12:00:00Z',
      finishDate: '2021-12-31T12:00:00Z',
      priority: 3,
      progress: 2,
      managerIds: [ctx.initiator.userId],
    }),
    update: { progress: 40, overallStatus: 1 },
    changed: ['overallStatus', 'progress'],
    project: (_, self) => self,
  },
  {
    type: 'project_template',
    create: () => ({ name: 'Launch', tasks: [{ name: 'Kick-off', duration: 1 }] }),
    update: { description: 'Product launch' },
    changed: ['description'],
    project: () => null,
  },
  {
    type: 'task',
    create: (ids) => ({
      ...ppmTaskExample(ids['project']),
      userIds: [ctx.initiator.userId],
    }),
    update: { progress: 60, dueDate: '2022-02-25T12:00:00Z' },
    changed: ['dueDate', 'progress'],
    project: (ids) => ids['project'],
  },
  {
    type: 'subtask',
    create: (ids) => ({ taskId: ids['task'], name: 'Provision the database' }),
    update: { name: 'Provision Postgres' },
    changed: ['name'],
    project: (ids) => ids['project'],
  },
  {
    type: 'comment',
    create: (ids) => ({ taskId: ids['task'], body: 'On it.' }),
    update: { body: 'Done by Friday.' },
    changed: ['body'],
    project: (ids) => ids['project'],
  },
  {
    type: 'calendar_event',
    create: (ids) => ({ title: 'Demo', startAt: '2022-03-01T15:00:00Z', projectId: ids['project'] }),
    update: { location: 'Room 1' },
    changed: ['location'],
    project: (ids) => ids['project'],
  },
  {
    type: 'idea',
    create: () => ({
      name: 'Dog Shelter Charity',
      description: "Let's donate $1000 each month",
      stage: 0,
      tags: ['#shelter'],
      sponsorId: ctx.initiator.userId,
      challenge: { id: '657d8042-006b-498b-a041-d77d3968bc3a', name: 'Charity ideas' },
    }),
    update: { stage: 1 },
    changed: ['stage'],
    project: () => null,
  },
  {
    type: 'key_date',
    create: (ids) => ({ parentType: 'project', parentId: ids['project'], name: 'Release 1.0', date: '2022-02-13T12:00:00Z', status: 1 }),
    update: { isComplete: true, status: 10 },
    changed: ['isComplete', 'status'],
    project: (ids) => ids['project'],
  },
];

describe('every resource type × action writes its outbox row in the same transaction', () => {
  const ids: Record<string, string> = {};
  const last: Record<string, Record<string, unknown>> = {};

  function expectEvent(
    got: { key: string; event: ResourceChange },
    c: Case,
    action: string,
    checks: { before: unknown; after: unknown; changed?: string[] },
  ) {
    const e = ResourceChangeSchema.parse(got.event);
    expect(e.resourceType).toBe(c.type);
    expect(e.action).toBe(action);
    expect(e.tenantId).toBe(ctx.tenantId);
    expect(e.resourceId).toBe(ids[c.type]);
    expect(e.projectId ?? null).toBe(c.project(ids, ids[c.type]));
    expect(e.initiator).toEqual(ctx.initiator);
    expect(e.before ?? null).toEqual(checks.before);
    expect(e.after ?? null).toEqual(checks.after);
    if (checks.changed) expect([...e.changedFields].sort()).toEqual(checks.changed);
    expect(got.key).toBe(resourceChangeKey(e));
  }

  it.each(CASES.map((c) => [c.type, c] as const))('%s: created, updated, (no-op update: nothing)', async (_, c) => {
    const created = await new CreateResource(ds, outbox).execute({ ...ctx, type: c.type, input: c.create(ids) });
    ids[c.type] = created['id'] as string;
    let events = await takeEvents();
    expect(events).toHaveLength(1);
    expectEvent(events[0], c, 'created', { before: null, after: created });
    // A creation changes every field of the new row.
    expect([...events[0].event.changedFields].sort()).toEqual(Object.keys(created).sort());

    const updated = await new UpdateResource(ds, outbox).execute({ ...ctx, type: c.type, id: ids[c.type], input: c.update });
    events = await takeEvents();
    expect(events).toHaveLength(1);
    expectEvent(events[0], c, 'updated', { before: created, after: updated, changed: c.changed });
    for (const f of c.changed) expect(updated[f]).not.toEqual(created[f]);

    const again = await new UpdateResource(ds, outbox).execute({ ...ctx, type: c.type, id: ids[c.type], input: c.update });
    expect(again).toEqual(updated);
    expect(await takeEvents()).toHaveLength(0);
    last[c.type] = updated;
  });

  it.each(['task', 'subtask'] as const)('%s: completed and reopened (and a repeated one emits nothing)', async (type) => {
    const c = CASES.find((x) => x.type === type)!;
    const complete = new SetCompletion(ds, outbox);
    const done = await complete.execute({ ...ctx, type, id: ids[type], completed: true });
    expect(done).toMatchObject({ completed: true, progress: 100 });
    expect(done['dateCompleted']).toEqual(expect.any(String));
    let events = await takeEvents();
    expect(events).toHaveLength(1);
    expectEvent(events[0], c, 'completed', { before: last[type], after: done });
    expect(events[0].event.changedFields).toEqual(expect.arrayContaining(['completed', 'dateCompleted']));

    await complete.execute({ ...ctx, type, id: ids[type], completed: true });
    expect(await takeEvents()).toHaveLength(0);

    const reopened = await complete.execute({ ...ctx, type, id: ids[type], completed: false });
    expect(reopened).toMatchObject({ completed: false, dateCompleted: null });
    events = await takeEvents();
    expect(events).toHaveLength(1);
    expectEvent(events[0], c, 'reopened', { before: done, after: reopened });
    last[type] = reopened;
  });

  it('a delete that other rows still point at is refused and emits nothing', async () => {
    await expect(new DeleteResource(ds, outbox).execute({ ...ctx, type: 'project', id: ids['project'] })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await takeEvents()).toHaveLength(0);
  });

  it.each([...CASES].reverse().map((c) => [c.type, c] as const))('%s: deleted, with the row as it was', async (_, c) => {
    await new DeleteResource(ds, outbox).execute({ ...ctx, type: c.type, id: ids[c.type] });
    const events = await takeEvents();
    expect(events).toHaveLength(1);
    expectEvent(events[0], c, 'deleted', { before: last[c.type], after: null });
    await expect(new DeleteResource(ds, outbox).execute({ ...ctx, type: c.type, id: ids[c.type] })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await takeEvents()).toHaveLength(0);
  });
});

describe('what must not produce an event', () => {
  it('a rolled-back transaction leaves neither the row nor its outbox row', async () => {
    const writer = new ResourceWriter(outbox);
    let id = '';
    await expect(
      ds.transaction(async (m) => {
        const client = await writer.create(m, ctx, definitionOf('client'), { name: 'Doomed' });
        id = client['id'] as string;
        throw new Error('the request failed after the write');
      }),
    ).rejects.toThrow('the request failed after the write');
    expect(id).not.toBe('');
    expect(await takeEvents()).toHaveLength(0);
    expect(await ds.query('SELECT 1 FROM domain.clients WHERE id = $1', [id])).toHaveLength(0);
  });

  it("a reference to another tenant's row is refused (422) and writes nothing", async () => {
    const theirs = await new CreateResource(ds, outbox).execute({ ...otherTenant, type: 'project', input: { name: 'Theirs' } });
    await takeEvents();
    await expect(
      new CreateResource(ds, outbox).execute({ ...ctx, type: 'task', input: { projectId: theirs['id'], name: 'Sneaky' } }),
    ).rejects.toBeInstanceOf(UnprocessableError);
    await expect(
      new UpdateResource(ds, outbox).execute({ ...ctx, type: 'project', id: theirs['id'] as string, input: { name: 'Mine' } }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await takeEvents()).toHaveLength(0);
  });

  it('a create naming rows the tenant does not have is refused with each of them (422) and writes nothing (its INSERT checks the references)', async () => {
    const theirs = await new CreateResource(ds, outbox).execute({ ...otherTenant, type: 'portfolio', input: { name: 'Theirs' } });
    const client = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'client', input: { name: 'Ours' } });
    await takeEvents();
    const nowhere = '0d11d333-3245-4f01-b604-70708ddb380f';
    const refused = new CreateResource(ds, outbox).execute({
      ...ctx,
      type: 'project',
      input: { name: 'Half-made', clientId: client['id'], portfolioId: theirs['id'], programId: nowhere },
    });
    await expect(refused).rejects.toBeInstanceOf(UnprocessableError);
    await expect(refused).rejects.toMatchObject({
      message: `portfolioId: portfolio ${String(theirs['id'])} was not found; programId: program ${nowhere} was not found`,
      errors: [
        { path: 'portfolioId', message: `portfolio ${String(theirs['id'])} was not found` },
        { path: 'programId', message: `program ${nowhere} was not found` },
      ],
    });
    expect(await ds.query(`SELECT 1 FROM domain.projects WHERE name = 'Half-made'`)).toHaveLength(0);
    expect(await takeEvents()).toHaveLength(0);
    // Made to the tenant's own rows, the same create goes through.
    const project = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'project', input: { name: 'Whole', clientId: client['id'] } });
    expect(project).toMatchObject({ name: 'Whole', clientId: client['id'], portfolioId: null });
    expect((await takeEvents()).map((e) => e.event.action)).toEqual(['created']);
  });

  it('an unknown user in userIds is refused and writes nothing', async () => {
    const project = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'project', input: { name: 'P' } });
    await takeEvents();
    await expect(
      new CreateResource(ds, outbox).execute({
        ...ctx,
        type: 'task',
        input: { projectId: project['id'], name: 'T', userIds: [otherTenant.initiator.userId] },
      }),
    ).rejects.toBeInstanceOf(UnprocessableError);
    expect(await takeEvents()).toHaveLength(0);
  });
});

describe('a create in one statement (row, reference checks and outbox row)', () => {
  /** Counts the outbox rows written by a statement of their own (append), not with their row. */
  class CountingOutbox extends OutboxWriter {
    appends = 0;
    override append(...args: Parameters<OutboxWriter['append']>): ReturnType<OutboxWriter['append']> {
      this.appends++;
      return super.append(...args);
    }
  }
  const stored = async (type: ResourceType, id: string) => {
    const def = definitionOf(type);
    return toState(ds.getMetadata(def.entity), (await new ResourceRepository(ds.manager, def).get(ctx.tenantId, id))!);
  };

  it('answers and emits the row as stored: defaults, users, attributes in the order PostgreSQL keeps them', async () => {
    const project = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'project', input: { name: 'One statement' } });
    await takeEvents();
    const attributes = { zeta: 1, a: { long: [{ yy: 1, x: 2 }], b: null }, '10': 'ten', 'é': true };
    const counting = new CountingOutbox();
    const task = await new CreateResource(ds, counting).execute({
      ...ctx,
      type: 'task',
      input: { projectId: project['id'], name: 'T', userIds: [ctx.initiator.userId], attributes },
    });
    const events = await takeEvents();
    expect(events.map((e) => e.event.action)).toEqual(['created']);
    const row = await stored('task', task['id'] as string);
    expect(JSON.stringify(task)).toBe(JSON.stringify(row));
    expect(events[0].event.after).toEqual(row);
    expect(counting.appends).toBe(0);
    expect(row).toMatchObject({ completed: false, progress: 0, group: null, attributes, users: [{ id: ctx.initiator.userId, fullName: 'Anna Doe' }] });
  });

  it('where the database stores a value differently (an upper-case uuid), the create is made again, a statement each: answer and event are the row as stored', async () => {
    const project = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'project', input: { name: 'Normalised' } });
    await takeEvents();
    const counting = new CountingOutbox();
    const task = await new CreateResource(ds, counting).execute({
      ...ctx,
      type: 'task',
      input: { projectId: (project['id'] as string).toUpperCase(), name: 'Upper' },
    });
    expect(task['projectId']).toBe(project['id']);
    expect(counting.appends).toBe(1);
    const events = await takeEvents();
    expect(events.map((e) => [e.event.action, e.event.resourceId])).toEqual([['created', task['id']]]);
    expect(events[0].event.after).toEqual(await stored('task', task['id'] as string));
    expect(await ds.query(`SELECT 1 FROM domain.tasks WHERE name = 'Upper'`)).toHaveLength(1);
  });

  it('opens no transaction: the statement is atomic alone', async () => {
    const project = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'project', input: { name: 'No transaction' } });
    await takeEvents();
    const transaction = jest.spyOn(ds, 'transaction');
    const managerTransaction = jest.spyOn(ds.manager, 'transaction');
    const queryRunner = jest.spyOn(ds, 'createQueryRunner');
    try {
      const task = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'task', input: { projectId: project['id'], name: 'Alone' } });
      expect(transaction).not.toHaveBeenCalled();
      expect(managerTransaction).not.toHaveBeenCalled();
      // TypeORM's query() outside a transaction takes a runner for the one statement.
      expect(queryRunner).toHaveBeenCalledTimes(1);
      expect((await takeEvents()).map((e) => e.event.after)).toEqual([await stored('task', task['id'] as string)]);
    } finally {
      transaction.mockRestore();
      managerTransaction.mockRestore();
      queryRunner.mockRestore();
    }
  });

  /** An outbox whose event says of the row something other than what will be stored. */
  class MisstatingOutbox extends OutboxWriter {
    constructor(private readonly misstate: (after: Record<string, unknown>) => void) {
      super();
    }
    override row(change: Parameters<OutboxWriter['row']>[0]): ReturnType<OutboxWriter['row']> {
      const after = { ...(change.after as Record<string, unknown>) };
      this.misstate(after);
      return super.row({ ...change, after });
    }
  }
  const misstatements: Array<[string, (after: Record<string, unknown>) => void]> = [
    ['text', (a) => (a['name'] = `${String(a['name'])} `)],
    ['uuid', (a) => (a['projectId'] = String(a['projectId']).toUpperCase())],
    ['timestamptz', (a) => (a['createdAt'] = new Date(Date.parse(String(a['createdAt'])) + 1).toISOString())],
    ['jsonb', (a) => (a['attributes'] = { a: 2 })],
    ['jsonb (users)', (a) => (a['users'] = [{ id: ctx.initiator.userId, fullName: 'Anna Doe', email: null, imageId: null }])],
    ['boolean', (a) => (a['completed'] = true)],
    ['int', (a) => (a['progress'] = 1)],
    ['double precision', (a) => (a['duration'] = 0.5)],
    ['a column left out', (a) => delete a['description']],
  ];
  it.each(misstatements)('an event whose after differs from the row as stored (%s) fails the statement: neither row is written, outside any transaction', async (_, misstate) => {
    const project = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'project', input: { name: 'Misstated' } });
    await takeEvents();
    const def = definitionOf('task');
    const writer = new ResourceWriter(new MisstatingOutbox(misstate));
    const name = `Misstated ${_}`;
    await expect(
      writer.create(ds.manager, ctx, def, { projectId: project['id'], name, attributes: { a: 1 } }, {}, { oneStatement: true }),
    ).rejects.toBeInstanceOf(StoredStateDiffers);
    expect(await ds.query(`SELECT 1 FROM domain.tasks WHERE name = $1`, [name])).toHaveLength(0);
    expect(await takeEvents()).toHaveLength(0);
  });
});

describe('concurrent writes to one row', () => {
  it('serialise: each event starts from the state the previous one ended with', async () => {
    const project = await new CreateResource(ds, outbox).execute({ ...ctx, type: 'project', input: { name: 'Busy' } });
    await takeEvents();
    const update = new UpdateResource(ds, outbox);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        update.execute({ ...ctx, type: 'project', id: project['id'] as string, input: { progress: i + 1, number: i + 1 } }),
      ),
    );
    const events = (await takeEvents()).map((e) => e.event);
    expect(events).toHaveLength(10);
    let previous: unknown = project;
    for (const e of events) {
      expect(e.before).toEqual(previous);
      expect([...e.changedFields].sort()).toEqual(['number', 'progress']);
      previous = e.after;
    }
  });
});

describe('a project from a template', () => {
  it('is project.created with templateId, then task.created for the template tasks, in one transaction', async () => {
    const template = await new CreateResource(ds, outbox).execute({
      ...ctx,
      type: 'project_template',
      input: {
        name: 'Launch',
        projectDefaults: { priority: 2, description: 'From the launch template' },
        tasks: [
          { name: 'Kick-off', duration: 1 },
          { name: 'Go live', startOffsetDays: 10, isMilestone: true },
        ],
      },
    });
    await takeEvents();
    const r = await new CreateProjectFromTemplate(ds, outbox).execute({
      ...ctx,
      templateId: template['id'] as string,
      input: { name: 'Launch Q3', startDate: '2026-07-01T09:00:00Z' },
    });
    expect(r.project).toMatchObject({ name: 'Launch Q3', templateId: template['id'], priority: 2, description: 'From the launch template' });
    const events = (await takeEvents()).map((e) => e.event);
    expect(events.map((e) => `${e.resourceType}.${e.action}`)).toEqual(['project.created', 'task.created', 'task.created']);
    expect(events[0].after).toMatchObject({ templateId: template['id'] });
    expect(events[2].after).toMatchObject({ name: 'Go live', isMilestone: true, startDate: '2026-07-11T09:00:00.000Z' });
    for (const e of events) expect(e.projectId).toBe(r.project['id']);

    await expect(
      new CreateProjectFromTemplate(ds, outbox).execute({ ...otherTenant, templateId: template['id'] as string, input: {} }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await takeEvents()).toHaveLength(0);
  });
});
