export * from './principal-directory';
export * from './authenticator';
export * from './principals-view';
export * from './api-key.guard';
export * from './principals.module';
export * from './read-tenant';
export * from './registry-topics.bootstrap';
