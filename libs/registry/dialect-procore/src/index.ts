export * from './procore-errors';
export * from './procore-query';
export * from './procore-hooks';
export * from './procore-triggers';
export * from './procore-deliveries';
export * from './procore.module';
