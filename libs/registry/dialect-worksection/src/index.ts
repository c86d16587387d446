export * from './worksection-admin-keys';
export * from './worksection-errors';
export * from './worksection-webhooks';
export * from './worksection-api';
export * from './worksection.module';
