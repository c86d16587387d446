import { CreateDeliveryLog1764000100000 } from './1764000100000-delivery-log';
import { ResendJobs1765000000000 } from './1765000000000-resend-jobs';
import { DeliveryStats1765000000001 } from './1765000000001-delivery-stats';

/** The delivery log's migrations, for the registry's migration list (schema `registry`). */
export const DELIVERY_LOG_MIGRATIONS = [
  CreateDeliveryLog1764000100000,
  ResendJobs1765000000000,
  DeliveryStats1765000000001,
];
