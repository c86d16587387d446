import type { UserRef } from '../entities/base';
import type { ResourceState } from '../definitions';

/**
 * ProProfs Project's resource shapes (`GET /v2/<kind>/<id>` → `{"data": …}`): snake_case,
 * `<kind>_id`/`<kind>_name`, `date_created`/`date_modified`, `user_id` the creator, `users` the
 * people on it. Pure functions of the native state plus the names of what it points at.
 */
export const PROPROFS_KINDS = ['projects', 'tasks', 'subtasks', 'events', 'clients'] as const;
export type ProProfsKind = (typeof PROPROFS_KINDS)[number];

export interface ProProfsUser {
  user_id: string;
  name: string;
  email: string;
}

/** Names of the rows a resource points at, looked up by the caller. */
export interface RelatedNames {
  projectName?: string | null;
  taskName?: string | null;
  clientName?: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function users(v: unknown): ProProfsUser[] {
  return Array.isArray(v) ? (v as UserRef[]).map((u) => ({ user_id: u.id, name: u.fullName, email: u.email })) : [];
}

function dates(s: ResourceState) {
  return { date_created: str(s['createdAt']), date_modified: str(s['updatedAt']), user_id: str(s['createdBy']) };
}

export function proprofsTask(s: ResourceState, related: RelatedNames): Record<string, unknown> {
  return {
    task_id: s['id'],
    task_name: s['name'],
    description: s['description'] ?? null,
    start_date: s['startDate'] ?? null,
    due_date: s['dueDate'] ?? null,
    date_completed: s['dateCompleted'] ?? null,
    project_id: s['projectId'],
    project_name: related.projectName ?? null,
    completed: s['completed'] === true,
    progress: s['progress'] ?? 0,
    priority: s['priority'] ?? 0,
    is_milestone: s['isMilestone'] === true,
    ...dates(s),
    users: users(s['users']),
  };
}

export function proprofsSubtask(s: ResourceState, related: RelatedNames): Record<string, unknown> {
  return {
    subtask_id: s['id'],
    subtask_name: s['name'],
    description: s['description'] ?? null,
    task_id: s['taskId'],
    task_name: related.taskName ?? null,
    project_id: s['projectId'],
    project_name: related.projectName ?? null,
    start_date: s['startDate'] ?? null,
    due_date: s['dueDate'] ?? null,
    date_completed: s['dateCompleted'] ?? null,
    completed: s['completed'] === true,
    progress: s['progress'] ?? 0,
    ...dates(s),
    users: users(s['users']),
  };
}

export function proprofsProject(s: ResourceState, related: RelatedNames): Record<string, unknown> {
  return {
    project_id: s['id'],
    project_name: s['name'],
    description: s['description'] ?? null,
    start_date: s['startDate'] ?? null,
    due_date: s['finishDate'] ?? null,
    status: s['status'] ?? null,
    progress: s['progress'] ?? 0,
    client_id: s['clientId'] ?? null,
    client_name: related.clientName ?? null,
    template_id: s['templateId'] ?? null,
    ...dates(s),
    users: users(s['managers']),
  };
}

export function proprofsEvent(s: ResourceState, related: RelatedNames): Record<string, unknown> {
  return {
    event_id: s['id'],
    event_name: s['title'],
    description: s['description'] ?? null,
    start_date: s['startAt'] ?? null,
    end_date: s['endAt'] ?? null,
    all_day: s['allDay'] === true,
    location: s['location'] ?? null,
    project_id: s['projectId'] ?? null,
    project_name: related.projectName ?? null,
    ...dates(s),
    users: users(s['users']),
  };
}

export function proprofsClient(s: ResourceState): Record<string, unknown> {
  return {
    client_id: s['id'],
    client_name: s['name'],
    contact_name: s['contactName'] ?? null,
    email: s['email'] ?? null,
    phone: s['phone'] ?? null,
    website: s['website'] ?? null,
    address: s['address'] ?? null,
    notes: s['notes'] ?? null,
    ...dates(s),
  };
}
