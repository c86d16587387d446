import { migrateMain } from '@herald/platform/db';
import { registryDataSource } from './database';

/** `npm start` runs this before the service: schema `registry` (subscriptions, delivery log). */
migrateMain('subscription-registry', registryDataSource);
