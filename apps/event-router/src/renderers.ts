import { PpmExpressPayloadRenderer } from '@herald/dialects/ppm-express';
import { ProcorePayloadRenderer } from '@herald/dialects/procore';
import { ProProfsPayloadRenderer } from '@herald/dialects/proprofs';
import { WorksectionPayloadRenderer } from '@herald/dialects/worksection';
import type { PayloadRenderer } from '@herald/routing/rendering';

/**
 * The dialects' payload renderers (the native one is built in). A dialect adds one line here:
 * `new ProProfsPayloadRenderer()`. A subscription whose format no renderer claims has its
 * deliveries dead-lettered with the reason; the router keeps routing.
 */
export const DIALECT_RENDERERS: readonly PayloadRenderer[] = [
  new ProcorePayloadRenderer(),
  new WorksectionPayloadRenderer(),
  new ProProfsPayloadRenderer(),
  new PpmExpressPayloadRenderer(),
];
