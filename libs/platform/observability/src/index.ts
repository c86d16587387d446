export * from './readiness';
export * from './metrics';
export * from './logging';
export * from './observability.module';
export * from './health.controller';
export * from './tracing';
export * from './tracing-route.interceptor';
export * from './http-metrics';
