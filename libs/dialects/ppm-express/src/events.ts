/**
 * PPM Express' webhook event types and the core event types each one covers. Completing or
 * reopening a task changes its status, which PPM Express reports as `Task:Updated`.
 */
export const PPM_EVENTS = {
  'Project:Created': ['project.created'],
  'Project:Updated': ['project.updated'],
  'Project:Deleted': ['project.deleted'],
  'Idea:Created': ['idea.created'],
  'Idea:Updated': ['idea.updated'],
  'Idea:Deleted': ['idea.deleted'],
  'Task:Created': ['task.created'],
  'Task:Updated': ['task.updated', 'task.completed', 'task.reopened'],
  'Task:Deleted': ['task.deleted'],
  'KeyDate:Created': ['key_date.created'],
  'KeyDate:Updated': ['key_date.updated'],
  'KeyDate:Deleted': ['key_date.deleted'],
} as const satisfies Record<string, readonly string[]>;

export type PpmEvent = keyof typeof PPM_EVENTS;
export const PPM_EVENT_NAMES = Object.keys(PPM_EVENTS) as PpmEvent[];

export function isPpmEvent(name: string): name is PpmEvent {
  return Object.prototype.hasOwnProperty.call(PPM_EVENTS, name);
}

/** The core event types of a list of PPM Express events (each once, in catalog order). */
export function coreEventTypesOf(events: readonly PpmEvent[]): string[] {
  return [...new Set(PPM_EVENT_NAMES.filter((e) => events.includes(e)).flatMap((e) => [...PPM_EVENTS[e]]))];
}

/** The PPM Express events a subscription's core event types stand for (catalog order). */
export function ppmEventsOf(coreEventTypes: readonly string[]): PpmEvent[] {
  if (coreEventTypes.includes('*')) return [...PPM_EVENT_NAMES];
  return PPM_EVENT_NAMES.filter((e) => PPM_EVENTS[e].every((t) => coreEventTypes.includes(t)));
}
