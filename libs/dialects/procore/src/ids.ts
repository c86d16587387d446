import { createHash } from 'node:crypto';
import { PROCORE_EVENT_TYPES, PROCORE_RESOURCES, type ProcoreEventType, type ProcoreResource } from './resources';

const uint48 = (label: string, value: string): number => createHash('sha256').update(`${label}:${value}`, 'utf8').digest().readUIntBE(0, 6);

/**
 * Procore's `company_id` of a tenant: a stable integer derived from the tenant id (48 bits of
 * SHA-256, so below 2^53). Derived, not stored, so the router renders it without a lookup and
 * the registry checks a request's company_id against the caller's tenant by recomputing it.
 */
export function companyIdOf(tenantId: string): number {
  return uint48('procore-company', tenantId) || 1;
}

/** The integer event `id` of payload v2.0/v3.0, stable for one event. */
export function eventNumberOf(eventId: string): number {
  return uint48('procore-event', eventId) || 1;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID for an event: its time (ms) and 80 bits derived from its id, so every rendering agrees. */
export function ulidOf(eventId: string, occurredAt: string): string {
  let time = Date.parse(occurredAt);
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const bytes = createHash('sha256').update(`procore-ulid:${eventId}`, 'utf8').digest();
  let bits = 0;
  let acc = 0;
  let tail = '';
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | bytes[i];
    bits += 8;
    while (bits >= 5) {
      tail += CROCKFORD[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return head + tail;
}

/**
 * A trigger's id: its hook's id and which (resource, event type) it is. A hook has at most one
 * trigger per pair, so the id needs no table and stays the same for the hook's life.
 */
export function triggerIdOf(hookId: number, resource: ProcoreResource, eventType: ProcoreEventType): number {
  const r = PROCORE_RESOURCES.indexOf(resource);
  return hookId * 100 + r * PROCORE_EVENT_TYPES.length + PROCORE_EVENT_TYPES.indexOf(eventType);
}

export function parseTriggerId(id: number): { hookId: number; resource: ProcoreResource; eventType: ProcoreEventType } | null {
  if (!Number.isSafeInteger(id) || id < 100) return null;
  const rest = id % 100;
  const resource = PROCORE_RESOURCES[Math.floor(rest / PROCORE_EVENT_TYPES.length)];
  if (!resource) return null;
  return { hookId: Math.floor(id / 100), resource, eventType: PROCORE_EVENT_TYPES[rest % PROCORE_EVENT_TYPES.length] };
}
