import type { ResourceType } from '@herald/contracts';

/**
 * PPM Express' PascalCase attributes (as in its payload examples) from the domain's state
 * (camelCase columns, `attributes` holding custom fields). Custom fields are added under their
 * own names, as PPM Express shows custom fields.
 */
type State = Record<string, unknown>;

interface UserLike {
  id?: unknown;
  fullName?: unknown;
  imageId?: unknown;
}

const user = (u: unknown) => {
  if (!u || typeof u !== 'object') return null;
  const v = u as UserLike;
  return { Id: v.id ?? null, FullName: v.fullName ?? null, ImageId: v.imageId ?? null };
};
const users = (v: unknown) => (Array.isArray(v) ? v.map(user) : []);
const ref = (id: unknown) => (typeof id === 'string' ? { Id: id } : null);
const refs = (id: unknown) => (typeof id === 'string' ? [{ Id: id }] : []);
const val = (v: unknown) => (v === undefined ? null : v);

function custom(s: State): State {
  const a = s['attributes'];
  return a && typeof a === 'object' && !Array.isArray(a) ? { ...(a as State) } : {};
}

function project(s: State): State {
  return {
    Impact: val(s['impact']),
    Risk: val(s['risk']),
    Cost: val(s['cost']),
    Revenue: val(s['revenue']),
    Efforts: val(s['efforts']),
    RisksStatus: val(s['risksStatus']),
    IssuesStatus: val(s['issuesStatus']),
    ResourcesStatus: val(s['resourcesStatus']),
    CostStatus: val(s['costStatus']),
    ScheduleStatus: val(s['scheduleStatus']),
    Id: val(s['id']),
    Name: val(s['name']),
    ParentIdea: ref(s['parentIdeaId']),
    Portfolio: refs(s['portfolioId']),
    Program: refs(s['programId']),
    HighLevelScope: val(s['highLevelScope']),
    Progress: val(s['progress']),
    Number: val(s['number']),
    StartDate: val(s['startDate']),
    FinishDate: val(s['finishDate']),
    Description: val(s['description']),
    Priority: val(s['priority']),
    Score: val(s['score']),
    Manager: users(s['managers']),
    Stage: val(s['stage']),
    OverallStatus: val(s['overallStatus']),
    Budget: val(s['budget']),
    CreatedDate: val(s['createdAt']),
    LastModifiedDate: val(s['updatedAt']),
    AlignmentScore: val(s['alignmentScore']),
    ReportedTime: val(s['reportedTime']),
    PlannedWork: val(s['plannedWork']),
    ...custom(s),
  };
}

function idea(s: State): State {
  const challenge = s['challenge'] as { id?: unknown; name?: unknown } | null | undefined;
  return {
    BusinessPriority: val(s['businessPriority']),
    ExpectedEfforts: val(s['expectedEfforts']),
    ExpectedCost: val(s['expectedCost']),
    // The sponsor's attribute name as PPM Express spells it in its Idea:Updated example.
    'Idea’s sponsor': user(s['sponsor']),
    Cost: val(s['cost']),
    Efforts: val(s['efforts']),
    Tags: Array.isArray(s['tags']) ? s['tags'] : [],
    Impact: val(s['impact']),
    Risk: val(s['risk']),
    Revenue: val(s['revenue']),
    Name: val(s['name']),
    Description: val(s['description']),
    AlignmentScore: val(s['alignmentScore']),
    Stage: val(s['stage']),
    ChildProject: ref(s['childProjectId']),
    Challenge: challenge ? { Id: val(challenge.id), Name: val(challenge.name) } : null,
    Submitter: user(s['submitter']),
    Budget: val(s['budget']),
    CreatedDate: val(s['createdAt']),
    LastModifiedDate: val(s['updatedAt']),
    DiscussionUrl: val(s['discussionUrl']),
    StartDate: val(s['startDate']),
    FinishDate: val(s['finishDate']),
    ...custom(s),
  };
}

function task(s: State): State {
  const group = s['group'] as { id?: unknown; name?: unknown; color?: unknown } | null | undefined;
  return {
    Group: group ? { Id: val(group.id), Name: val(group.name), Color: val(group.color) } : null,
    StartDate: val(s['startDate']),
    DueDate: val(s['dueDate']),
    Duration: val(s['duration']),
    Progress: val(s['progress']),
    Status: val(s['status']),
    IsMilestone: val(s['isMilestone']),
    Priority: val(s['priority']),
    Name: val(s['name']),
    ...custom(s),
  };
}

function keyDate(s: State): State {
  return {
    ShowOnTimeline: val(s['showOnTimeline']),
    Name: val(s['name']),
    Type: val(s['type']),
    Date: val(s['date']),
    IsComplete: val(s['isComplete']),
    Status: val(s['status']),
    Description: val(s['description']),
    AssignedTo: users(s['assignedTo']),
    ...custom(s),
  };
}

const MAPPERS: Partial<Record<ResourceType, (s: State) => State>> = {
  project,
  idea,
  task,
  key_date: keyDate,
};

/** The resource types PPM Express has webhooks for. */
export const PPM_RESOURCE_TYPES = Object.keys(MAPPERS) as ResourceType[];

export function ppmAttributesOf(resourceType: ResourceType, state: State): State | null {
  const map = MAPPERS[resourceType];
  return map ? map(state) : null;
}

const PARENT_TYPES: Record<string, string> = { project: 'Project', portfolio: 'Portfolio', program: 'Program' };

/** `ParentEntityId`/`ParentEntityType`: a task's project, a key date's project, portfolio or program. */
export function ppmParentOf(resourceType: ResourceType, state: State): { ParentEntityId: string; ParentEntityType: string } | null {
  if (resourceType === 'task' && typeof state['projectId'] === 'string') {
    return { ParentEntityId: state['projectId'], ParentEntityType: 'Project' };
  }
  if (resourceType === 'key_date' && typeof state['parentId'] === 'string') {
    const type = PARENT_TYPES[String(state['parentType'])];
    if (type) return { ParentEntityId: state['parentId'], ParentEntityType: type };
  }
  return null;
}
