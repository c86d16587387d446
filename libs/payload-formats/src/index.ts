export * from './native';
export * from './cloudevents';
export * from './test-event';
export * from './examples';
export * from './operational-event';
