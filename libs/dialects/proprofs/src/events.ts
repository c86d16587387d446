import type { ResourceType } from '@herald/contracts';

/** ProProfs Project's hook events and the core event type each one is. */
export const PROPROFS_EVENTS = {
  completed_subtask: 'subtask.completed',
  completed_task: 'task.completed',
  new_client: 'client.created',
  new_event: 'calendar_event.created',
  new_project: 'project.created',
  new_subtask: 'subtask.created',
  new_task: 'task.created',
} as const satisfies Record<string, string>;

export type ProProfsEvent = keyof typeof PROPROFS_EVENTS;
export const PROPROFS_EVENT_NAMES = Object.keys(PROPROFS_EVENTS) as ProProfsEvent[];

export function isProProfsEvent(name: string): name is ProProfsEvent {
  return Object.prototype.hasOwnProperty.call(PROPROFS_EVENTS, name);
}

/** The ProProfs event a core event type is, if ProProfs has a name for it. */
export function proprofsEventOf(coreEventType: string): ProProfsEvent | undefined {
  return PROPROFS_EVENT_NAMES.find((e) => PROPROFS_EVENTS[e] === coreEventType);
}

/**
 * Where the domain API serves each resource in ProProfs' shape: `GET /v2/<path>/<id>`
 * (calendar events are `events`). Only the resources ProProfs has events for.
 */
export const PROPROFS_RESOURCE_PATHS: Partial<Record<ResourceType, string>> = {
  project: 'projects',
  task: 'tasks',
  subtask: 'subtasks',
  calendar_event: 'events',
  client: 'clients',
};
