import { Inject, Injectable, Optional } from '@nestjs/common';
import type { PayloadRenderer, RenderContext, RenderedPayload, ResourceChange, SubscriptionSnapshot } from '@herald/contracts';
import { CloudEventsPayloadRenderer, NativePayloadRenderer } from '@herald/payload-formats';

/** The dialect renderers given to `RenderingModule.forRoot({ renderers })`. */
export const PAYLOAD_RENDERERS = Symbol('PAYLOAD_RENDERERS');

/** A subscription asks for a payload format that no renderer claims: its deliveries go to the DLQ. */
export class UnknownPayloadFormatError extends Error {
  constructor(readonly format: string) {
    super(`no payload renderer for format "${format}"`);
    this.name = 'UnknownPayloadFormatError';
  }
}

/**
 * Picks the renderer by `subscription.payloadFormat`. Native and CloudEvents are always there; each
 * dialect adds its own, either through `RenderingModule.forRoot({ renderers: [...] })` or
 * `register()`. Two renderers claiming one format is a start-up error, not a silent override.
 */
@Injectable()
export class PayloadRendererRegistry {
  private readonly byFormat = new Map<string, PayloadRenderer>();

  constructor(
    @Optional() @Inject(PAYLOAD_RENDERERS) renderers: readonly PayloadRenderer[] | null = null,
  ) {
    this.register(new NativePayloadRenderer());
    this.register(new CloudEventsPayloadRenderer());
    for (const r of renderers ?? []) this.register(r);
  }

  register(renderer: PayloadRenderer): void {
    for (const format of renderer.formats) {
      const held = this.byFormat.get(format);
      if (held && held !== renderer) {
        throw new Error(
          `payload format "${format}" is claimed by both ${held.constructor.name} and ${renderer.constructor.name}`,
        );
      }
      this.byFormat.set(format, renderer);
    }
  }

  get formats(): string[] {
    return [...this.byFormat.keys()];
  }

  rendererFor(format: string): PayloadRenderer {
    const renderer = this.byFormat.get(format);
    if (!renderer) throw new UnknownPayloadFormatError(format);
    return renderer;
  }

  /**
   * The thin rendering (`PayloadRenderer.renderThin`) for a delivery too large to carry whole;
   * null when the format has none (native and CloudEvents do; ProProfs and Procore payloads are
   * thin already; Worksection and PPM Express are not: theirs are dead-lettered).
   */
  renderThin(change: ResourceChange, subscription: SubscriptionSnapshot, ctx: RenderContext): RenderedPayload | null {
    const renderer = this.rendererFor(subscription.payloadFormat);
    return renderer.renderThin ? renderer.renderThin(change, subscription, ctx) : null;
  }

  /** null: this change is not sent in the subscription's format. Throws when it cannot be rendered. */
  render(
    change: ResourceChange,
    subscription: SubscriptionSnapshot,
    ctx: RenderContext,
  ): RenderedPayload | null {
    return this.rendererFor(subscription.payloadFormat).render(change, subscription, ctx);
  }
}
