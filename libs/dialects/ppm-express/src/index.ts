export * from './events';
export * from './filters';
export * from './attributes';
export * from './policy';
export * from './renderer';
export * from './api';
