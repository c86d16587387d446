export * from './ppm-errors';
export * from './ppm-webhooks';
export * from './ppm-express.module';
