import { z } from 'zod';
import { OPERATIONAL_EVENT_TYPES, SubscriptionStatusSchema } from '@herald/contracts';

/** The JSON body of an operational `hook.*` event (what a non-CloudEvents operations hook receives). */
export const OperationalEventPayloadSchema = z.object({
  id: z.string().min(1).describe('The operational event id (also webhook-id)'),
  type: z.enum(OPERATIONAL_EVENT_TYPES),
  timestamp: z.iso.datetime({ offset: true }),
  tenantId: z.string().min(1),
  resource: z.object({ type: z.literal('hook'), id: z.string().min(1).describe('The hook whose status changed') }),
  data: z.object({
    hookId: z.string(),
    url: z.string(),
    dialect: z.string(),
    status: SubscriptionStatusSchema,
    previousStatus: SubscriptionStatusSchema,
    reason: z.string().nullable(),
    statusChangedAt: z.iso.datetime({ offset: true }),
    consecutiveFailures: z.number().int(),
  }),
});
export type OperationalEventPayload = z.infer<typeof OperationalEventPayloadSchema>;
