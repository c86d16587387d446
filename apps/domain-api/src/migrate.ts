import { domainDataSource } from '@herald/domain/resources';
import { migrateMain } from '@herald/platform/db';

/** `npm start` runs this before the service: schema `domain` (tenancy, resources, outbox). */
migrateMain('domain-api', domainDataSource);
