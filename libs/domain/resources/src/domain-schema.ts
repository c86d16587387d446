import { OUTBOX_MIGRATIONS, OutboxEntity } from '@herald/domain/outbox';
import { TENANCY_ENTITIES, TENANCY_MIGRATIONS } from '@herald/domain/tenancy';
import { Schemas, type HeraldDataSourceOptions } from '@herald/platform/db';
import { RESOURCE_ENTITIES } from './entities';
import { DomainResources1764000001000 } from './migrations/1764000001000-resources';

export const DOMAIN_SCHEMA = Schemas.domain;
export const RESOURCE_MIGRATIONS = [DomainResources1764000001000];

/** Everything in schema `domain`: tenancy, resources and the outbox. */
export const DOMAIN_ENTITIES = [...TENANCY_ENTITIES, ...RESOURCE_ENTITIES, OutboxEntity];
export const DOMAIN_MIGRATIONS = [...OUTBOX_MIGRATIONS, ...TENANCY_MIGRATIONS, ...RESOURCE_MIGRATIONS];

/** The domain-api's data source options (app, migrate.ts, CLI and tests share them). */
export function domainDataSource(url: string, extra: Partial<HeraldDataSourceOptions> = {}): HeraldDataSourceOptions {
  return {
    url,
    schema: DOMAIN_SCHEMA,
    entities: DOMAIN_ENTITIES,
    migrations: DOMAIN_MIGRATIONS,
    applicationName: 'herald-domain-api',
    ...extra,
  };
}
