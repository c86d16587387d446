export type { PayloadRenderer, RenderContext, RenderedPayload } from '@herald/contracts';
export * from './renderer-registry';
export * from './native-renderer';
export * from './rendering.module';
