import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';

/**
 * The PostgreSQL schema of each service that has one, named here only: the domain API's and the
 * registry's. No service reads or writes another's.
 */
export const Schemas = {
  domain: 'domain',
  registry: 'registry',
} as const;

export interface HeraldDataSourceOptions {
  url: string;
  /** The service's own schema: `domain` or `registry`. No service touches another's. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

/** TypeORM options: migrations only, `synchronize` off everywhere. */
export function dataSourceOptions(o: HeraldDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: o.url,
    schema: o.schema,
    entities: o.entities,
    migrations: o.migrations,
    migrationsTableName: `${o.schema}_migrations`,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: o.applicationName,
    extra: {
      max: o.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A statement that hangs (lock, lost server) must not hang a request forever.
      statement_timeout: 30_000,
      idleTimeoutMillis: 30_000,
    },
  };
}

/** Creates the schema if needed and runs pending migrations; used by `npm run migrate` and tests. */
export async function runMigrations(o: HeraldDataSourceOptions, log: (line: string) => void = () => undefined): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions({ ...o, poolSize: 2 }));
  await ds.initialize();
  try {
    await ds.query(`CREATE SCHEMA IF NOT EXISTS "${o.schema}"`);
    const ran = await ds.runMigrations({ transaction: 'each' });
    for (const m of ran) log(`[migrate] ${o.schema}: ${m.name}`);
    return ran.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
