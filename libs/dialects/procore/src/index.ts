export * from './resources';
export * from './ids';
export * from './policy';
export * from './renderer';
export * from './api';
