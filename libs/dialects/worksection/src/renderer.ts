import { z } from 'zod';
import type { PayloadFormat, PayloadRenderer, RenderContext, RenderedPayload, ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { WORKSECTION_EVENT_NAMES, worksectionEventOf, type WorksectionEvent } from './events';

/** The JSON record of one action, as a Worksection webhook receives it. */
export const WorksectionPayloadSchema = z.strictObject({
  action: z.enum(WORKSECTION_EVENT_NAMES as [WorksectionEvent, ...WorksectionEvent[]]).describe('The event name (`post_task`, `close_task`…)'),
  object: z
    .strictObject({ type: z.enum(['task', 'comment', 'project']), id: z.string(), parent_id: z.string().optional() })
    .describe('What the action was on: a task (subtasks are tasks, with their parent), a comment or a project'),
  project: z.strictObject({ id: z.string(), name: z.string().optional() }).nullable(),
  user: z.strictObject({ id: z.string(), name: z.string(), email: z.string() }).describe('Who made it'),
  date: z.iso.datetime({ offset: true }).describe('When (ISO 8601, UTC)'),
  new: z.record(z.string(), z.unknown()).describe('The new values: the whole object when created, the changed fields when edited, {} when deleted'),
  old: z.record(z.string(), z.unknown()).describe('The old values: the changed fields when edited, the whole object when deleted, {} when created'),
});
export type WorksectionPayload = z.infer<typeof WorksectionPayloadSchema>;

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
