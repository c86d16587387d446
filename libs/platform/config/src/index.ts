export * from './load-config';
export * from './env';
export * from './config.module';
export * from './service-env';
