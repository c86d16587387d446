export * from './principal-directory';
export * from './authenticator';
export * from './principals-view';
export * from './api-key.guard';
export * from './principals.module';
