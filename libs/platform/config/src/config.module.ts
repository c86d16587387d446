import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { z } from 'zod';
import { loadConfigOrExit } from './load-config';

export const HERALD_CONFIG = Symbol('HERALD_CONFIG');
export const SERVICE_NAME = Symbol('SERVICE_NAME');

/** Injects the service's typed, validated config object. */
export const InjectConfig = (): ParameterDecorator => Inject(HERALD_CONFIG);
export const InjectServiceName = (): ParameterDecorator => Inject(SERVICE_NAME);

@Global()
@Module({})
export class HeraldConfigModule {
  /** Validate once, at start-up; a bad setting stops the process with one line naming it. */
  static forRoot<T extends z.ZodType>(service: string, schema: T, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const config = loadConfigOrExit(service, schema, env);
    return {
      module: HeraldConfigModule,
      providers: [
        { provide: HERALD_CONFIG, useValue: config },
        { provide: SERVICE_NAME, useValue: service },
      ],
      exports: [HERALD_CONFIG, SERVICE_NAME],
    };
  }
}
