import type { Action, ResourceType } from '@herald/contracts';

/** Procore's trigger event types (payload `event_type`, v4.0 `reason`). */
export const PROCORE_EVENT_TYPES = ['create', 'update', 'delete'] as const;
export type ProcoreEventType = (typeof PROCORE_EVENT_TYPES)[number];

export interface ProcoreResource {
  /** The `resource_name` of triggers and payloads (v4.0: `resource_type`). */
  name: string;
  resourceType: ResourceType;
  category: string;
  tool: string;
}

/**
 * The resources a hook can trigger on: every domain resource under a Procore-style plural name.
 * The order is part of the trigger ids (see `triggerIdOf`): append, never reorder.
 */
export const PROCORE_RESOURCES: readonly ProcoreResource[] = [
  { name: 'Projects', resourceType: 'project', category: 'Core Tools', tool: 'Projects' },
  { name: 'Tasks', resourceType: 'task', category: 'Project Management', tool: 'Tasks' },
  { name: 'Subtasks', resourceType: 'subtask', category: 'Project Management', tool: 'Tasks' },
  { name: 'Comments', resourceType: 'comment', category: 'Project Management', tool: 'Tasks' },
  { name: 'Calendar Events', resourceType: 'calendar_event', category: 'Project Management', tool: 'Schedule' },
  { name: 'Key Dates', resourceType: 'key_date', category: 'Project Management', tool: 'Schedule' },
  { name: 'Clients', resourceType: 'client', category: 'Core Tools', tool: 'Directory' },
  { name: 'Ideas', resourceType: 'idea', category: 'Portfolio Management', tool: 'Ideas' },
  { name: 'Portfolios', resourceType: 'portfolio', category: 'Portfolio Management', tool: 'Portfolios' },
  { name: 'Programs', resourceType: 'program', category: 'Portfolio Management', tool: 'Programs' },
  { name: 'Project Templates', resourceType: 'project_template', category: 'Core Tools', tool: 'Projects' },
];

export function resourceByName(name: string): ProcoreResource | undefined {
  const n = name.trim().toLowerCase();
  return PROCORE_RESOURCES.find((r) => r.name.toLowerCase() === n);
}

export function resourceByType(type: string): ProcoreResource | undefined {
  return PROCORE_RESOURCES.find((r) => r.resourceType === type);
}

/** Completing or reopening a task is an update of it, as far as Procore's three event types go. */
const ACTIONS_OF: Record<ProcoreEventType, readonly Action[]> = {
  create: ['created'],
  update: ['updated', 'completed', 'reopened'],
  delete: ['deleted'],
};

export function procoreEventTypeOf(action: Action): ProcoreEventType {
  return action === 'created' ? 'create' : action === 'deleted' ? 'delete' : 'update';
}

/** The core event types one trigger fires on (only those the resource has). */
export function coreEventTypesOf(resource: ProcoreResource, eventType: ProcoreEventType, known: (t: string) => boolean): string[] {
  return ACTIONS_OF[eventType].map((a) => `${resource.resourceType}.${a}`).filter(known);
}

export function parseEventType(value: string): ProcoreEventType | undefined {
  const v = value.trim().toLowerCase();
  return (PROCORE_EVENT_TYPES as readonly string[]).includes(v) ? (v as ProcoreEventType) : undefined;
}
