import type { DynamicModule, ModuleMetadata, Type } from '@nestjs/common';
import type { z } from 'zod';
import { HeraldConfigModule } from '@herald/platform/config';
import { ObservabilityModule } from '@herald/platform/observability';
import { KafkaModule } from './kafka.module';

/** What a service puts in its root module besides the platform. */
export interface ServiceModuleParts extends Pick<ModuleMetadata, 'imports' | 'controllers' | 'providers'> {
  /** Its DatabaseModule, when it has a database (imported before Kafka). */
  database?: DynamicModule;
}

/**
 * A Herald service's root module: the platform first — its settings (`config`, validated at
 * start-up: a bad one stops the process), observability (health, metrics, logs at LOG_LEVEL), its
 * database when it has one, and Kafka (the service's name as client id) — then its own parts.
 */
export function serviceRootModule(
  module: Type,
  service: string,
  config: z.ZodType,
  env: NodeJS.ProcessEnv,
  parts: ServiceModuleParts = {},
): DynamicModule {
  const { database, imports = [], ...rest } = parts;
  return {
    module,
    imports: [
      HeraldConfigModule.forRoot(service, config, env),
      ObservabilityModule.forRoot({ service, logLevel: env['LOG_LEVEL'] }),
      ...(database ? [database] : []),
      KafkaModule.forRoot({ clientId: service }),
      ...imports,
    ],
    ...rest,
  };
}
