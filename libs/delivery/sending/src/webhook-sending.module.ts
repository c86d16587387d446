import { DynamicModule, Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { HERALD_CONFIG } from '@herald/platform/config';
import { SsrfGuard } from '@herald/delivery/ssrf-guard';
import { WebhookSender, type WebhookSenderOptions } from './webhook-sender';

interface SsrfConfigShape {
  /** From `SsrfEnv` (already split into CIDRs); absent when the service's schema has no SsrfEnv. */
  HERALD_SSRF_ALLOW_CIDRS?: string[];
}

@Injectable()
class SenderCloser implements OnApplicationShutdown {
  constructor(private readonly sender: WebhookSender) {}

  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }
}

/**
 * `SsrfGuard` (allow-list from `HERALD_SSRF_ALLOW_CIDRS` in the service's config) and one
 * `WebhookSender` for the whole service, closed on shutdown. Used by the dispatcher and by the
 * registry (URL checks, `test`, verification).
 */
@Global()
@Module({})
export class WebhookSendingModule {
  /** `opts` may be read from the service's validated config (e.g. a connections-per-origin setting). */
  static forRoot(opts: WebhookSenderOptions | ((config: Record<string, unknown>) => WebhookSenderOptions) = {}): DynamicModule {
    return {
      module: WebhookSendingModule,
      providers: [
        {
          provide: SsrfGuard,
          inject: [HERALD_CONFIG],
          useFactory: (config: SsrfConfigShape) => new SsrfGuard({ allowCidrs: config.HERALD_SSRF_ALLOW_CIDRS ?? [] }),
        },
        {
          provide: WebhookSender,
          inject: [SsrfGuard, HERALD_CONFIG],
          useFactory: (guard: SsrfGuard, config: Record<string, unknown>) => new WebhookSender(guard, typeof opts === 'function' ? opts(config) : opts),
        },
        SenderCloser,
      ],
      exports: [SsrfGuard, WebhookSender],
    };
  }
}
