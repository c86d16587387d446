import { z } from 'zod';

/** Every resource the domain API manages and fires events for. */
export const RESOURCE_TYPES = [
  'portfolio',
  'program',
  'project',
  'task',
  'subtask',
  'comment',
  'client',
  'calendar_event',
  'idea',
  'key_date',
  'project_template',
] as const;
export const ResourceTypeSchema = z.enum(RESOURCE_TYPES);
export type ResourceType = z.infer<typeof ResourceTypeSchema>;

export const ACTIONS = ['created', 'updated', 'deleted', 'completed', 'reopened'] as const;
export const ActionSchema = z.enum(ACTIONS);
export type Action = z.infer<typeof ActionSchema>;

/** Actions that exist only for some resource types. */
export const ACTIONS_BY_RESOURCE: Readonly<Record<ResourceType, readonly Action[]>> = Object.fromEntries(
  RESOURCE_TYPES.map((t) => [
    t,
    t === 'task' || t === 'subtask' ? ACTIONS : (['created', 'updated', 'deleted'] as const),
  ]),
) as unknown as Record<ResourceType, readonly Action[]>;

export const InitiatorSchema = z.object({
  userId: z.string().min(1),
  fullName: z.string(),
  logonAccount: z.string(),
});
export type Initiator = z.infer<typeof InitiatorSchema>;

const ResourceStateSchema = z.record(z.string(), z.unknown());

/**
 * The CDC-style "resource changed" event (ARCHITECTURE.md, "The event").
 * Written to the outbox in the transaction that made the change; internal services may also
 * publish it straight to `herald.resource-changes.v1` (see `ResourceChangePublisher`).
 */
export const ResourceChangeSchema = z
  .object({
    eventId: z.uuid(),
    tenantId: z.string().min(1),
    projectId: z.string().min(1).nullish(),
    resourceType: ResourceTypeSchema,
    resourceId: z.string().min(1),
    action: ActionSchema,
    occurredAt: z.iso.datetime({ offset: true }),
    initiator: InitiatorSchema,
    before: ResourceStateSchema.nullish(),
    after: ResourceStateSchema.nullish(),
    changedFields: z.array(z.string()),
    traceparent: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    if (!ACTIONS_BY_RESOURCE[e.resourceType].includes(e.action)) {
      ctx.addIssue({ code: 'custom', path: ['action'], message: `${e.resourceType} has no action ${e.action}` });
    }
    if (e.action !== 'deleted' && !e.after) {
      ctx.addIssue({ code: 'custom', path: ['after'], message: `after is required for ${e.action}` });
    }
    if (e.action === 'deleted' && !e.before) {
      ctx.addIssue({ code: 'custom', path: ['before'], message: 'before is required for deleted' });
    }
  });
export type ResourceChange = z.infer<typeof ResourceChangeSchema>;

export function resourceChangeKey(e: Pick<ResourceChange, 'tenantId' | 'resourceType' | 'resourceId'>): string {
  return `${e.tenantId}:${e.resourceType}:${e.resourceId}`;
}

/** Core event type names: `<resourceType>.<action>`, e.g. `task.completed`. */
export function eventTypeOf(e: Pick<ResourceChange, 'resourceType' | 'action'>): string {
  return `${e.resourceType}.${e.action}`;
}
