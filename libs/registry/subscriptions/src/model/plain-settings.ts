import type { SubscriptionEntity } from '../persistence/subscription.entity';

/**
 * The settings that carry no secret (all but headers, authorization and basic auth): stored,
 * shown by the APIs and published in the snapshot as they are.
 */
export type PlainSettings = Pick<
  SubscriptionEntity,
  | 'url'
  | 'httpVerb'
  | 'eventTypes'
  | 'scope'
  | 'ownerOnly'
  | 'fieldFilters'
  | 'resourceFilters'
  | 'payloadFormat'
  | 'formatOptions'
  | 'templateId'
  | 'successContract'
  | 'timeoutMs'
  | 'rateLimitPerSec'
  | 'retryPolicy'
  | 'deliveryMode'
  | 'failurePolicy'
>;

/** A subscription's plain settings (of a row, or of settings being created), on their own. */
export function plainSettingsOf(s: PlainSettings): PlainSettings {
  return {
    url: s.url,
    httpVerb: s.httpVerb,
    eventTypes: [...s.eventTypes],
    scope: s.scope,
    ownerOnly: s.ownerOnly,
    fieldFilters: s.fieldFilters,
    resourceFilters: s.resourceFilters,
    payloadFormat: s.payloadFormat,
    formatOptions: s.formatOptions,
    templateId: s.templateId,
    successContract: s.successContract,
    timeoutMs: s.timeoutMs,
    rateLimitPerSec: s.rateLimitPerSec,
    retryPolicy: s.retryPolicy,
    deliveryMode: s.deliveryMode,
    failurePolicy: s.failurePolicy,
  };
}
