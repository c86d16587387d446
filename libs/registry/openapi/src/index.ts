export * from './dialect-docs';
export * from './auth-docs';
export * from './path-parameters';
