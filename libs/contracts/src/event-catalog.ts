import { z } from 'zod';
import { ACTIONS_BY_RESOURCE, RESOURCE_TYPES, ResourceChangeSchema, type ResourceType } from './resource-change';

export interface EventTypeEntry {
  type: string;
  resourceType: ResourceType;
  action: string;
  description: string;
}

/** Every core event type: `<resourceType>.<action>`, plus `webhook.test`. */
export const EVENT_CATALOG: readonly EventTypeEntry[] = [
  ...RESOURCE_TYPES.flatMap((resourceType) =>
    ACTIONS_BY_RESOURCE[resourceType].map((action) => ({
      type: `${resourceType}.${action}`,
      resourceType,
      action,
      description: `A ${resourceType.replace(/_/g, ' ')} was ${action}.`,
    })),
  ),
];

export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * Operational events (Svix's "operational webhooks"): about the tenant's own hooks, sent by the
 * registry to the hooks that subscribe to them by name (never to `*` hooks, which get every
 * resource event). A hook subscribed to any of them is an operations hook: its own health
 * changes make no operational event (no loop).
 */
export const OPERATIONAL_EVENT_TYPES = ['hook.disabled', 'hook.failing', 'hook.enabled'] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export const OPERATIONAL_EVENT_DESCRIPTIONS: Readonly<Record<OperationalEventType, string>> = {
  'hook.disabled': 'A webhook was turned off: auto-disabled by its failure policy (with the reason) or disabled by a user.',
  'hook.failing': 'A working webhook had a failed attempt: it now works with failures.',
  'hook.enabled': 'A disabled or auto-disabled webhook was enabled again.',
};

const CATALOG_TYPES = new Set(EVENT_CATALOG.map((e) => e.type));
const OPERATIONAL_TYPES: ReadonlySet<string> = new Set(OPERATIONAL_EVENT_TYPES);

export function isOperationalEventType(type: string): type is OperationalEventType {
  return OPERATIONAL_TYPES.has(type);
}

export function isKnownEventType(type: string): boolean {
  return type === '*' || CATALOG_TYPES.has(type) || OPERATIONAL_TYPES.has(type);
}

/** JSON Schema of the resource-change event, generated from the zod schema, for non-Node producers. */
export function resourceChangeJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ResourceChangeSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
