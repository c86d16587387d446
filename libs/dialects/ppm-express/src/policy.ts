import type { DialectPolicy, PayloadFormat } from '@herald/contracts';
import { PPM_FIELD_FILTERS, PPM_RESOURCE_FILTERS } from './filters';

export const PPM_DIALECT = 'ppm-express';
export const PPM_PAYLOAD_FORMAT: PayloadFormat = 'ppm-express';

/**
 * The core settings behind every PPM Express webhook (its `DialectPolicy`): tenant-wide,
 * anyone's changes, the Details-field and internal-task rules as filters, PPM's payload, any
 * 2xx is success, Herald's default retries.
 */
export const PPM_DEFAULT_POLICY = {
  scope: { kind: 'tenant' },
  ownerOnly: false,
  fieldFilters: PPM_FIELD_FILTERS,
  resourceFilters: PPM_RESOURCE_FILTERS,
  payloadFormat: PPM_PAYLOAD_FORMAT,
  successContract: '2xx',
  deliveryMode: 'independent',
} satisfies DialectPolicy;
