import {
  eventTypeOf,
  type ResourceChange,
  type SubscriptionSnapshot,
  type SubscriptionStatus,
} from '@herald/contracts';

/** Statuses whose subscriptions receive new changes (a failing hook keeps receiving until disabled). */
export const ROUTABLE_STATUSES: ReadonlySet<SubscriptionStatus> = new Set([
  'active',
  'active-with-failures',
]);

/** The event-type keys a change is indexed under: exact, `<resourceType>.*`, and `*`. */
export function eventTypeKeysOf(
  change: Pick<ResourceChange, 'resourceType' | 'action'>,
): [string, string, string] {
  return [eventTypeOf(change), `${change.resourceType}.*`, '*'];
}

/** The project a change belongs to; a project's own changes belong to that project. */
export function projectOf(
  change: Pick<ResourceChange, 'projectId' | 'resourceType' | 'resourceId'>,
): string | null {
  return change.projectId ?? (change.resourceType === 'project' ? change.resourceId : null);
}

/**
 * Whether a subscription receives a change: status, tenant, event type, scope, owner-only,
 * field filters (updates only) and resource attribute filters. The index narrows by tenant and
 * event type first; this is the whole rule, so it also stands on its own.
 */
export function matchesChange(sub: SubscriptionSnapshot, change: ResourceChange): boolean {
  if (!ROUTABLE_STATUSES.has(sub.status)) return false;
  if (sub.tenantId !== change.tenantId) return false;
  const keys = eventTypeKeysOf(change);
  if (!sub.eventTypes.some((t) => keys.includes(t))) return false;
  return passesFilters(sub, change);
}

/** Everything but status, tenant and event type (which the index has already applied). */
export function passesFilters(sub: SubscriptionSnapshot, change: ResourceChange): boolean {
  return (
    inScope(sub, change) &&
    ownerMatches(sub, change) &&
    fieldsMatch(sub, change) &&
    attributesMatch(sub, change)
  );
}

function inScope(sub: SubscriptionSnapshot, change: ResourceChange): boolean {
  const scope = sub.scope;
  switch (scope.kind) {
    case 'tenant':
      return true;
    case 'project':
      return projectOf(change) === scope.projectId;
    case 'projects': {
      const project = projectOf(change);
      return project !== null && scope.projectIds.includes(project);
    }
  }
}

function ownerMatches(sub: SubscriptionSnapshot, change: ResourceChange): boolean {
  return !sub.ownerOnly || change.initiator.userId === sub.ownerUserId;
}

/** For `updated` only: fire when a changed field is in the type's list or in the `*` list. */
function fieldsMatch(sub: SubscriptionSnapshot, change: ResourceChange): boolean {
  if (change.action !== 'updated') return true;
  const forType = sub.fieldFilters[change.resourceType];
  const forAll = sub.fieldFilters['*'];
  if (!forType && !forAll) return true;
  return change.changedFields.some((f) => forType?.includes(f) || forAll?.includes(f));
}

/** Attribute equality on the resource's state (after, or before for a delete); null also matches a missing attribute. */
function attributesMatch(sub: SubscriptionSnapshot, change: ResourceChange): boolean {
  const filters = [sub.resourceFilters[change.resourceType], sub.resourceFilters['*']].filter(
    (f): f is NonNullable<typeof f> => f !== undefined,
  );
  if (filters.length === 0) return true;
  const state = change.after ?? change.before ?? {};
  return filters.every((filter) =>
    Object.entries(filter).every(([attr, expected]) => {
      const actual = state[attr];
      return expected === null ? actual === null || actual === undefined : actual === expected;
    }),
  );
}
