import {
  ACTIONS_BY_RESOURCE,
  RESOURCE_TYPES,
  type Action,
  type ResourceChange,
  type ResourceType,
} from '@herald/contracts';

/**
 * Example changes, one per event type, for `/v1/event-types`' example payloads: every renderer
 * renders these, so an example is exactly what that format sends for such a change. The states
 * have the columns the domain API's events carry (checked against the entities by
 * libs/domain/resources' examples spec); the values are made up.
 */
const TENANT = '6f1c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b';
const PROJECT = '0d9b8a7c-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const TASK = '3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4';
const USER = { id: '2158fcf3-5b1e-4c2d-9e8f-7a6b5c4d3e2f', fullName: 'Anna Doe', email: 'anna.doe@acme.example', imageId: null };
const CREATED = '2026-11-24T09:00:00.000Z';
const CHANGED = '2026-11-25T10:00:00.123Z';

const ids: Record<ResourceType, string> = {
  portfolio: '1a2b3c4d-0001-4000-8000-000000000001',
  program: '1a2b3c4d-0002-4000-8000-000000000002',
  project: PROJECT,
  task: TASK,
  subtask: '1a2b3c4d-0005-4000-8000-000000000005',
  comment: '1a2b3c4d-0006-4000-8000-000000000006',
  client: '1a2b3c4d-0007-4000-8000-000000000007',
  calendar_event: '1a2b3c4d-0008-4000-8000-000000000008',
  idea: '1a2b3c4d-0009-4000-8000-000000000009',
  key_date: '1a2b3c4d-0010-4000-8000-000000000010',
  project_template: '1a2b3c4d-0011-4000-8000-000000000011',
};

const common = (type: ResourceType) => ({ id: ids[type], attributes: {}, createdBy: USER.id, createdAt: CREATED, updatedAt: CHANGED });
const scored = {
  description: null,
  startDate: '2026-12-01T00:00:00.000Z',
  finishDate: '2027-03-31T00:00:00.000Z',
  impact: 3,
  risk: 1,
  cost: 12000,
  revenue: 30000,
  efforts: 120,
  budget: 15000,
  score: 7.5,
  alignmentScore: 0.8,
  stage: 1,
};
const workItem = {
  projectId: PROJECT,
  description: null,
  startDate: '2026-11-25T00:00:00.000Z',
  dueDate: '2026-11-30T00:00:00.000Z',
  dateCompleted: null,
  completed: false,
  progress: 0,
  users: [USER],
};

/** The state of each resource type as the domain API shows it (and as events carry it). */
export const EXAMPLE_STATES: Readonly<Record<ResourceType, Record<string, unknown>>> = {
  portfolio: { ...common('portfolio'), name: 'Digital', description: null, managers: [USER] },
  program: { ...common('program'), name: 'Website relaunch', description: null, portfolioId: ids.portfolio, managers: [USER] },
  project: {
    ...common('project'),
    name: 'Website',
    ...scored,
    status: 'active',
    progress: 10,
    priority: 2,
    number: 42,
    clientId: ids.client,
    portfolioId: ids.portfolio,
    programId: ids.program,
    templateId: null,
    parentIdeaId: null,
    highLevelScope: null,
    risksStatus: -1,
    issuesStatus: -1,
    resourcesStatus: -1,
    costStatus: -1,
    scheduleStatus: -1,
    overallStatus: -1,
    reportedTime: 0,
    plannedWork: 160,
    managers: [USER],
  },
  project_template: {
    ...common('project_template'),
    name: 'Website template',
    description: null,
    projectDefaults: { priority: 2 },
    tasks: [{ name: 'Write copy', startOffsetDays: 0, duration: 5 }],
  },
  task: {
    ...common('task'),
    ...workItem,
    name: 'Write copy',
    status: 0,
    group: null,
    duration: 5,
    isMilestone: false,
    priority: 1,
    external: false,
    externalSource: null,
    externalId: null,
  },
  subtask: { ...common('subtask'), ...workItem, name: 'First draft', taskId: TASK },
  comment: { ...common('comment'), projectId: PROJECT, taskId: TASK, body: 'Looks good.', author: USER },
  client: {
    ...common('client'),
    name: 'Globex',
    contactName: 'Hank Scorpio',
    email: 'hank@globex.example',
    phone: null,
    website: 'https://globex.example',
    address: null,
    notes: null,
  },
  calendar_event: {
    ...common('calendar_event'),
    title: 'Kick-off',
    description: null,
    startAt: '2026-12-01T09:00:00.000Z',
    endAt: '2026-12-01T10:00:00.000Z',
    allDay: false,
    location: null,
    projectId: PROJECT,
    users: [USER],
  },
  idea: {
    ...common('idea'),
    name: 'Self-service portal',
    ...scored,
    businessPriority: 2,
    expectedEfforts: 200,
    expectedCost: 25000,
    tags: ['portal'],
    sponsor: USER,
    submitter: USER,
    challenge: null,
    childProjectId: null,
    discussionUrl: null,
  },
  key_date: {
    ...common('key_date'),
    parentType: 'project',
    parentId: PROJECT,
    projectId: PROJECT,
    name: 'Release 1.0',
    type: 0,
    date: '2027-02-13T12:00:00.000Z',
    isComplete: false,
    status: 1,
    description: null,
    assignedTo: [USER],
    showOnTimeline: true,
    external: false,
  },
};

/** The field an example update changes, per resource type. */
const RENAMED: Partial<Record<ResourceType, string>> = { comment: 'body', calendar_event: 'title' };

function changeOf(resourceType: ResourceType, action: Action): ResourceChange {
  const state = EXAMPLE_STATES[resourceType];
  const projectId = resourceType === 'project' ? ids.project : typeof state['projectId'] === 'string' ? state['projectId'] : null;
  let before: Record<string, unknown> | null = { ...state };
  let after: Record<string, unknown> | null = { ...state };
  let changedFields: string[] = [];
  if (action === 'created') before = null;
  else if (action === 'deleted') after = null;
  else if (action === 'completed' || action === 'reopened') {
    const done = action === 'completed';
    before = { ...state, completed: !done, dateCompleted: done ? null : CREATED };
    after = { ...state, completed: done, dateCompleted: done ? CHANGED : null };
    changedFields = ['completed', 'dateCompleted'];
  } else {
    const field = RENAMED[resourceType] ?? 'name';
    before = { ...state, [field]: `${String(state[field])} (draft)` };
    changedFields = [field];
  }
  return {
    eventId: `7e57${String(RESOURCE_TYPES.indexOf(resourceType)).padStart(4, '0')}-0000-4000-8000-${String(['created', 'updated', 'deleted', 'completed', 'reopened'].indexOf(action)).padStart(12, '0')}`,
    tenantId: TENANT,
    projectId,
    resourceType,
    resourceId: ids[resourceType],
    action,
    occurredAt: CHANGED,
    initiator: { userId: USER.id, fullName: USER.fullName, logonAccount: USER.email },
    before,
    after,
    changedFields,
  };
}

/** The example change of a core event type (`task.completed`), or null for a type that is not a resource change. */
export function exampleChangeOf(eventType: string): ResourceChange | null {
  const [resourceType, action] = eventType.split('.') as [ResourceType, Action];
  if (!(RESOURCE_TYPES as readonly string[]).includes(resourceType)) return null;
  if (!ACTIONS_BY_RESOURCE[resourceType].includes(action)) return null;
  return changeOf(resourceType, action);
}

export const EXAMPLE_TENANT_ID = TENANT;
export const EXAMPLE_HOOK_ID = '5e1f0c2a-9b8d-4c7e-a6f5-4d3c2b1a0f9e';
export const EXAMPLE_TIME = CHANGED;
