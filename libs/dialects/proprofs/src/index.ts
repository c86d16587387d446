export * from './events';
export * from './hook-id';
export * from './api';
export * from './policy';
export * from './renderer';
