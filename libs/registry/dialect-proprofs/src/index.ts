export * from './proprofs-errors';
export * from './json-body';
export * from './proprofs-hooks';
export * from './proprofs.module';
export * from './proprofs-target-url.migration';
