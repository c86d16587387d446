import { DynamicModule, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HERALD_CONFIG } from '@herald/platform/config';
import { ReadinessRegistry } from '@herald/platform/observability';
import { dataSourceOptions, type HeraldDataSourceOptions } from './data-source';

@Injectable()
export class DatabaseReadiness implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register({
      name: 'database',
      check: async () => {
        await this.ds.query('SELECT 1');
      },
    });
  }
}

/**
 * The service's TypeORM connection. If Postgres is down at start-up it keeps retrying (the
 * process stays up); once running, the pool reconnects by itself and `/health/ready` reports
 * `database` down meanwhile.
 */
@Module({})
export class DatabaseModule {
  /** `options` gets the service's validated config (see HeraldConfigModule). */
  static forRoot<C>(options: (config: C) => HeraldDataSourceOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [HERALD_CONFIG],
          useFactory: (config: C) => ({
            ...dataSourceOptions(options(config)),
            retryAttempts: Number.MAX_SAFE_INTEGER,
            retryDelay: 2_000,
          }),
        }),
      ],
      providers: [DatabaseReadiness],
      exports: [TypeOrmModule],
    };
  }
}
