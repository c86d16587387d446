export * from './native';
export * from './cloudevents';
export * from './test-event';
