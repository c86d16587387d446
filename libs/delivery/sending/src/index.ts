export * from './webhook-sender';
export * from './webhook-sending.module';
