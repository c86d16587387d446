export * from './match';
export * from './subscription-index';
export * from './subscription-directory';
export * from './route-resource-change';
export * from './delivery-size';
