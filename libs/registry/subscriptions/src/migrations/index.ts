import { RegistrySubscriptions1764100000000 } from './1764100000000-registry-subscriptions';
import { RegistrySuccessContract1764200000000 } from './1764200000000-success-contract-200';

/** The subscriptions' migrations (schema `registry`), in order. */
export const SUBSCRIPTION_MIGRATIONS = [RegistrySubscriptions1764100000000, RegistrySuccessContract1764200000000];
