export * from './dialect-docs';
export * from './auth-docs';
