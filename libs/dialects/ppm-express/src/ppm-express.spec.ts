import { randomUUID } from 'node:crypto';
import { ResourceChangeSchema, isKnownEventType, type ResourceChange, type SubscriptionSnapshot } from '@herald/contracts';
import { ppmSeedCreateBody } from '@herald/platform/testing';
import {
  PPM_DEFAULT_POLICY,
  PPM_DETAILS_FIELDS,
  PPM_EVENTS,
  PPM_EVENT_NAMES,
  PpmCreateWebhookSchema,
  PpmExpressPayloadRenderer,
  coreEventTypesOf,
  detailsOf,
  ppmEventsOf,
  settingsOf,
  webhookOf,
} from './index';

const SEED_BODY = ppmSeedCreateBody();

const initiator = { userId: 'u-anna', fullName: 'Anna Doe', logonAccount: 'anna.doe@company.com' };

function change(over: Partial<ResourceChange>): ResourceChange {
  return ResourceChangeSchema.parse({
    eventId: randomUUID(),
    tenantId: 't1',
    resourceId: 'r1',
    occurredAt: '2022-02-14T08:20:46.476Z',
    initiator,
    changedFields: [],
    ...over,
  });
}

const sub = { id: '2b9ecfc3-ec2c-4e33-8207-520b47aac4ef', payloadFormat: 'ppm-express' } as SubscriptionSnapshot;
const ctx = { eventType: 'x', deliveryId: 'dfa73971-cebc-47e0-8997-d56ea3c9fe52', routedAt: new Date(), publicBaseUrl: 'http://x' };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads arbitrary paths of the JSON it checks
type Json = Record<string, any>;
const render = (c: ResourceChange) => JSON.parse(new PpmExpressPayloadRenderer().render(c, sub, ctx)!.body) as Json;

describe('PPM Express dialect', () => {
  it('maps its twelve event types onto core event types, and back', () => {
    expect(PPM_EVENT_NAMES).toEqual(SEED_BODY.eventTypes);
    for (const e of PPM_EVENT_NAMES) for (const t of PPM_EVENTS[e]) expect(isKnownEventType(t)).toBe(true);
    const core = coreEventTypesOf(['Task:Updated', 'KeyDate:Created']);
    expect(core).toEqual(['task.updated', 'task.completed', 'task.reopened', 'key_date.created']);
    expect(ppmEventsOf(core)).toEqual(['Task:Updated', 'KeyDate:Created']);
    expect(ppmEventsOf(coreEventTypesOf(PPM_EVENT_NAMES))).toEqual(PPM_EVENT_NAMES);
    expect(ppmEventsOf(['*'])).toEqual(PPM_EVENT_NAMES);
  });

  it("takes the seed's create body; Authorization goes to the sealed authorization setting, the rest are custom headers", () => {
    const parsed = PpmCreateWebhookSchema.parse(SEED_BODY);
    const settings = settingsOf(parsed);
    expect(settings).toMatchObject({
      url: 'https://example.com',
      httpVerb: 'POST',
      authorization: 'Bearer token_value',
      headers: [{ name: 'custom_header', value: 'header_value' }],
    });
    expect(settings.eventTypes).toHaveLength(14);
    expect(webhookOf({ id: 'id1', ...settings, authorization: settings.authorization ?? null })).toEqual({ id: 'id1', ...SEED_BODY });
  });

  it('refuses an unknown event type, a missing url, an unknown field', () => {
    const bad = PpmCreateWebhookSchema.safeParse({ eventTypes: ['Project:Renamed'], url: 'https://example.com' });
    expect(detailsOf(bad.error!)).toEqual([{ target: 'eventTypes.0', message: expect.stringContaining('must be one of Project:Created') }]);
    expect(PpmCreateWebhookSchema.safeParse({ eventTypes: ['Project:Created'] }).success).toBe(false);
    expect(PpmCreateWebhookSchema.safeParse({ ...SEED_BODY, secret: 1 }).success).toBe(false);
  });

  it('states the Details-field, internal-task and tenant-wide rules as core settings', () => {
    expect(PPM_DEFAULT_POLICY.fieldFilters['project']).toEqual(expect.arrayContaining(['name', 'description', 'startDate', 'finishDate', 'stage', 'priority', 'managers']));
    expect(PPM_DEFAULT_POLICY.fieldFilters['idea']).toEqual([...PPM_DETAILS_FIELDS.idea]);
    expect(PPM_DEFAULT_POLICY.fieldFilters['project']).not.toContain('budget');
    expect(PPM_DEFAULT_POLICY.resourceFilters).toEqual({ task: { external: false } });
    expect(PPM_DEFAULT_POLICY).toMatchObject({ ownerOnly: false, scope: { kind: 'tenant' }, payloadFormat: 'ppm-express' });
  });

  it('renders KeyDate:Updated of a program as the seed shows it: parent, Attributes, BeforeAttributes, Initiator', () => {
    const before = {
      id: '776e', parentType: 'program', parentId: 'p1', projectId: null, name: 'Release 1.0', type: 0,
      date: '2022-02-13T12:00:00.000Z', isComplete: false, status: 1, description: null, assignedTo: [],
      showOnTimeline: true, external: false, attributes: {},
    };
    const body = render(change({ resourceType: 'key_date', resourceId: '776e', action: 'updated', before, after: { ...before, isComplete: true, status: 10 }, changedFields: ['isComplete', 'status'] }));
    expect(body).toEqual({
      WebhookId: sub.id,
      MessageId: ctx.deliveryId,
      Data: {
        ParentEntityId: 'p1',
        ParentEntityType: 'Program',
        Id: '776e',
        Attributes: { ShowOnTimeline: true, Name: 'Release 1.0', Type: 0, Date: '2022-02-13T12:00:00.000Z', IsComplete: true, Status: 10, Description: null, AssignedTo: [] },
        BeforeAttributes: { ShowOnTimeline: true, Name: 'Release 1.0', Type: 0, Date: '2022-02-13T12:00:00.000Z', IsComplete: false, Status: 1, Description: null, AssignedTo: [] },
        Initiator: { UserId: 'u-anna', FullName: 'Anna Doe', LogonAccount: 'anna.doe@company.com' },
        TimeStamp: '2022-02-14T08:20:46.476Z',
      },
    });
  });

  it('renders Task:Deleted with the state before and no BeforeAttributes; Project:Created with PPM names', () => {
    const task = {
      id: 't1', projectId: 'pr1', name: 'Create a test environment', group: { id: 'g', name: 'Backlog', color: '#6a6b6d' },
      startDate: '2022-02-14T12:00:00.000Z', dueDate: '2022-02-24T12:00:00.000Z', duration: 9, progress: 50, status: 0,
      isMilestone: false, priority: 0, external: false, attributes: {},
    };
    const deleted = render(change({ resourceType: 'task', projectId: 'pr1', action: 'deleted', before: task }));
    expect(deleted['Data']).toMatchObject({ ParentEntityId: 'pr1', ParentEntityType: 'Project' });
    expect(deleted['Data']['BeforeAttributes']).toBeUndefined();
    expect(deleted['Data']['Attributes']).toEqual({
      Group: { Id: 'g', Name: 'Backlog', Color: '#6a6b6d' }, StartDate: '2022-02-14T12:00:00.000Z', DueDate: '2022-02-24T12:00:00.000Z',
      Duration: 9, Progress: 50, Status: 0, IsMilestone: false, Priority: 0, Name: 'Create a test environment',
    });
    const created = render(change({
      resourceType: 'project', resourceId: 'a921', action: 'created',
      after: { id: 'a921', name: 'Artificial Intelligence', managers: [{ id: 'd56c', fullName: 'John Doe', email: 'j@x', imageId: null }], portfolioId: null, attributes: { Region: 'EU' } },
    }));
    expect(created['Data']['ParentEntityId']).toBeUndefined();
    expect(created['Data']['Attributes']).toMatchObject({
      Id: 'a921', Name: 'Artificial Intelligence', Manager: [{ Id: 'd56c', FullName: 'John Doe', ImageId: null }], Portfolio: [], ParentIdea: null, Region: 'EU',
    });
  });

  it('renders nothing for a resource PPM Express has no webhooks for', () => {
    expect(new PpmExpressPayloadRenderer().render(change({ resourceType: 'client', action: 'created', after: { id: 'c' } }), sub, ctx)).toBeNull();
  });
});
