export * from './events';
export * from './policy';
export * from './api';
export * from './renderer';
