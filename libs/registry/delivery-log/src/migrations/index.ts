import { CreateDeliveryLog1764000100000 } from './1764000100000-delivery-log';

/** The delivery log's migrations, for the registry's migration list (schema `registry`). */
export const DELIVERY_LOG_MIGRATIONS = [CreateDeliveryLog1764000100000];
