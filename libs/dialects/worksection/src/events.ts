/**
 * Worksection's webhook events and the core event types each one covers. Worksection's
 * subtasks are tasks, so the task events cover subtasks too.
 */
export const WORKSECTION_EVENTS = {
  post_task: ['task.created', 'subtask.created'],
  update_task: ['task.updated', 'subtask.updated'],
  delete_task: ['task.deleted', 'subtask.deleted'],
  close_task: ['task.completed', 'subtask.completed'],
  reopen_task: ['task.reopened', 'subtask.reopened'],
  post_comment: ['comment.created'],
  update_comment: ['comment.updated'],
  delete_comment: ['comment.deleted'],
  post_project: ['project.created'],
  update_project: ['project.updated'],
} as const satisfies Record<string, readonly string[]>;

export type WorksectionEvent = keyof typeof WORKSECTION_EVENTS;
export const WORKSECTION_EVENT_NAMES = Object.keys(WORKSECTION_EVENTS) as WorksectionEvent[];

export function isWorksectionEvent(name: string): name is WorksectionEvent {
  return Object.prototype.hasOwnProperty.call(WORKSECTION_EVENTS, name);
}

/** The Worksection event a core event type is, or undefined. */
export function worksectionEventOf(coreType: string): WorksectionEvent | undefined {
  return WORKSECTION_EVENT_NAMES.find((e) => (WORKSECTION_EVENTS[e] as readonly string[]).includes(coreType));
}

export function coreEventTypesOf(events: readonly WorksectionEvent[]): string[] {
  return [...new Set(events.flatMap((e) => WORKSECTION_EVENTS[e]))];
}

/** Back from core event types to the Worksection events a hook was created with (in canonical order). */
export function worksectionEventsOf(coreTypes: readonly string[]): WorksectionEvent[] {
  const set = new Set(coreTypes);
  return WORKSECTION_EVENT_NAMES.filter((e) => WORKSECTION_EVENTS[e].some((t) => set.has(t)));
}
