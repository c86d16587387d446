import { Schemas, type HeraldDataSourceOptions } from '@herald/platform/db';
import { DELIVERY_LOG_MIGRATIONS } from '@herald/registry/delivery-log';
import { SUBSCRIPTION_ENTITIES, SUBSCRIPTION_MIGRATIONS } from '@herald/registry/subscriptions';
import { WORKSECTION_MIGRATIONS } from '@herald/registry/dialect-worksection';
import { PROPROFS_MIGRATIONS } from '@herald/registry/dialect-proprofs';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = Function[];

/** The registry's data source: schema `registry`, its libs' migrations; `extraEntities`: the deliveries module's. */
export function registryDataSource(url: string, opts: { poolSize?: number; extraEntities?: EntityList } = {}): HeraldDataSourceOptions {
  return {
    url,
    schema: Schemas.registry,
    entities: [...SUBSCRIPTION_ENTITIES, ...(opts.extraEntities ?? [])],
    migrations: [...SUBSCRIPTION_MIGRATIONS, ...DELIVERY_LOG_MIGRATIONS, ...WORKSECTION_MIGRATIONS, ...PROPROFS_MIGRATIONS],
    poolSize: opts.poolSize,
    applicationName: 'subscription-registry',
  };
}
