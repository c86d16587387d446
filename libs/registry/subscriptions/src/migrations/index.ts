import { RegistrySubscriptions1764100000000 } from './1764100000000-registry-subscriptions';
import { RegistrySuccessContract1764200000000 } from './1764200000000-success-contract-200';
import { RegistrySuccessContract2001764200000001 } from './1764200000001-success-contract-200-or-204';
import { RegistryOperationalEvents1765000000002 } from './1765000000002-operational-events';

/** The subscriptions' migrations (schema `registry`), in order. */
export const SUBSCRIPTION_MIGRATIONS = [RegistrySubscriptions1764100000000, RegistrySuccessContract1764200000000, RegistrySuccessContract2001764200000001, RegistryOperationalEvents1765000000002];
