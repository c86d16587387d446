import { DynamicModule, Module } from '@nestjs/common';
import type { PayloadRenderer } from '@herald/contracts';
import { PAYLOAD_RENDERERS, PayloadRendererRegistry } from './renderer-registry';

/**
 * The payload renderers of the router: native and CloudEvents always, plus the dialects' renderers given here
 * (`RenderingModule.forRoot({ renderers: [new ProProfsPayloadRenderer(), …] })`).
 */
@Module({})
export class RenderingModule {
  static forRoot(opts: { renderers?: readonly PayloadRenderer[] } = {}): DynamicModule {
    return {
      module: RenderingModule,
      providers: [
        { provide: PAYLOAD_RENDERERS, useValue: opts.renderers ?? [] },
        PayloadRendererRegistry,
      ],
      exports: [PayloadRendererRegistry],
    };
  }
}
