export type { PayloadRenderer, RenderContext, RenderedPayload } from '@herald/contracts';
export * from './renderer-registry';
export { NativePayloadRenderer, nativePayloadOf, type NativePayload, CloudEventsPayloadRenderer } from '@herald/payload-formats';
export * from './rendering.module';
