import { Injectable } from '@nestjs/common';
import { HostResolutionError, SsrfGuard, SsrfRefusedError } from '@herald/delivery/ssrf-guard';
import { WebhookSender, type AttemptResult } from '@herald/delivery/sending';
import { EndpointProbe, UrlGuard, type EndpointAnswer, type EndpointTarget, type SignedMessage } from '../model/ports';

function answerOf(r: AttemptResult): EndpointAnswer {
  return {
    ok: r.ok,
    httpStatus: r.httpStatus ?? null,
    durationMs: r.durationMs,
    bodyExcerpt: r.responseExcerpt ?? null,
    errorClass: r.ok ? null : (r.errorClass ?? null),
    errorMessage: r.ok ? null : (r.errorMessage ?? null),
  };
}

/** Verification and `test` go through the same sender as deliveries: SSRF guard, no redirects, one deadline. */
@Injectable()
export class WebhookSenderProbe extends EndpointProbe {
  constructor(private readonly sender: WebhookSender) {
    super();
  }

  async verify(target: EndpointTarget): Promise<EndpointAnswer> {
    return answerOf(
      await this.sender.verifyEndpoint(target.url, { method: target.httpVerb, headers: target.headers, timeoutMs: target.timeoutMs }),
    );
  }

  async send(target: EndpointTarget, message: SignedMessage): Promise<EndpointAnswer> {
    return answerOf(
      await this.sender.send({
        url: target.url,
        method: target.httpVerb,
        headers: target.headers,
        body: message.body,
        contentType: message.contentType,
        timeoutMs: target.timeoutMs,
        successContract: target.successContract,
        signing: { id: message.id, timestamp: message.timestamp, secrets: message.signingSecrets },
      }),
    );
  }
}

/**
 * The SSRF guard's verdict at create/update time (`HERALD_SSRF_ALLOW_CIDRS` applies). A host
 * that does not resolve right now is let through: DNS can be briefly wrong, and the dispatcher
 * checks the address again at every connect.
 */
@Injectable()
export class SsrfUrlGuard extends UrlGuard {
  constructor(private readonly guard: SsrfGuard) {
    super();
  }

  async refusal(url: string): Promise<string | null> {
    try {
      await this.guard.checkUrl(url);
      return null;
    } catch (e) {
      if (e instanceof HostResolutionError) return null;
      if (e instanceof SsrfRefusedError) return e.message;
      return e instanceof Error ? e.message : String(e);
    }
  }
}
