import type {
  PayloadFormat,
  PayloadRenderer,
  RenderContext,
  RenderedPayload,
  ResourceChange,
  SubscriptionSnapshot,
} from '@herald/contracts';
import { worksectionEventOf, type WorksectionEvent } from './events';

/** The JSON record of one action, as a Worksection webhook receives it. */
export interface WorksectionPayload {
  /** The event name (`post_task`, `close_task`…). */
  action: WorksectionEvent;
  /** What the action was on: `task` (subtasks are tasks), `comment` or `project`. */
  object: { type: 'task' | 'comment' | 'project'; id: string; parent_id?: string };
  project: { id: string; name?: string } | null;
  /** Who made it. */
  user: { id: string; name: string; email: string };
  /** When (ISO 8601, UTC). */
  date: string;
  /** The new values: the whole object when created, the changed fields when edited, {} when deleted. */
  new: Record<string, unknown>;
  /** The old values: the changed fields' previous values when edited, the whole object when deleted, {} when created. */
  old: Record<string, unknown>;
}

const pick = (state: Record<string, unknown> | null | undefined, fields: readonly string[]) =>
  Object.fromEntries(fields.map((f) => [f, state?.[f] ?? null]));

export function worksectionPayloadOf(change: ResourceChange, eventType: string): WorksectionPayload | null {
  const action = worksectionEventOf(eventType);
  if (!action) return null;
  const state = change.after ?? change.before ?? {};
  const type = change.resourceType === 'comment' ? 'comment' : change.resourceType === 'project' ? 'project' : 'task';
  const object: WorksectionPayload['object'] = { type, id: change.resourceId };
  if (change.resourceType === 'subtask' && typeof state['taskId'] === 'string') object.parent_id = state['taskId'];
  const projectId = change.projectId ?? (change.resourceType === 'project' ? change.resourceId : null);
  const project: WorksectionPayload['project'] = projectId ? { id: projectId } : null;
  if (project && change.resourceType === 'project' && typeof state['name'] === 'string') project.name = state['name'];
  let next: Record<string, unknown>;
  let old: Record<string, unknown>;
  if (change.action === 'created') {
    next = { ...(change.after ?? {}) };
    old = {};
  } else if (change.action === 'deleted') {
    next = {};
    old = { ...(change.before ?? {}) };
  } else {
    next = pick(change.after, change.changedFields);
    old = pick(change.before, change.changedFields);
  }
  return {
    action,
    object,
    project,
    user: { id: change.initiator.userId, name: change.initiator.fullName, email: change.initiator.logonAccount },
    date: change.occurredAt,
    new: next,
    old,
  };
}

/** Worksection's payload: a JSON record of the action. */
export class WorksectionPayloadRenderer implements PayloadRenderer {
  readonly formats: readonly PayloadFormat[] = ['worksection'];

  render(change: ResourceChange, _subscription: SubscriptionSnapshot, ctx: RenderContext): RenderedPayload | null {
    const payload = worksectionPayloadOf(change, ctx.eventType);
    return payload && { body: JSON.stringify(payload), contentType: 'application/json', headers: {} };
  }
}
