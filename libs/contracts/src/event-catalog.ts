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

const CATALOG_TYPES = new Set(EVENT_CATALOG.map((e) => e.type));

export function isKnownEventType(type: string): boolean {
  return type === '*' || CATALOG_TYPES.has(type);
}

/** JSON Schema of the resource-change event, generated from the zod schema, for non-Node producers. */
export function resourceChangeJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ResourceChangeSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
