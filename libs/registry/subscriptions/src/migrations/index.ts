import { RegistrySubscriptions1764100000000 } from './1764100000000-registry-subscriptions';

/** The subscriptions' migrations (schema `registry`), in order. */
export const SUBSCRIPTION_MIGRATIONS = [RegistrySubscriptions1764100000000];
