/**
 * What the use cases need from the outside, as small abstract classes (also Nest DI tokens).
 * The app binds them to the shared sending lib (`WebhookSender`, SSRF guard included).
 */

/** Where and how to call a receiver, secrets opened (this never leaves the process). */
export interface EndpointTarget {
  url: string;
  httpVerb: 'POST' | 'PUT' | 'PATCH';
  timeoutMs: number;
  /** Custom headers, Authorization and basic auth, in clear. */
  headers: Record<string, string>;
  successContract: '2xx' | 'status-ok' | '200' | '200-or-204';
}

/** What a receiver answered, or why it could not answer. */
export interface EndpointAnswer {
  /** Did the answer meet the success contract? */
  ok: boolean;
  httpStatus: number | null;
  durationMs: number;
  /** At most 4 KB of the body. */
  bodyExcerpt: string | null;
  /** Why it failed (`timeout`, `connection`, `ssrf_refused`, `contract`…), null when ok. */
  errorClass: string | null;
  errorMessage: string | null;
}

export interface SignedMessage {
  /** `webhook-id`. */
  id: string;
  timestamp: Date;
  body: string;
  contentType: string;
  /** Signing secrets in clear (`whsec_…`), the current one first: one `v1,` signature each. */
  signingSecrets: string[];
}

export abstract class EndpointProbe {
  /** The `status-ok` check: HTTP 200 + JSON {"status":"OK"} within the timeout (5 s by contract). */
  abstract verify(target: EndpointTarget): Promise<EndpointAnswer>;
  /** Sends one signed message now and reports the answer against the target's success contract. */
  abstract send(target: EndpointTarget, message: SignedMessage): Promise<EndpointAnswer>;
}

/** The URL check on create and update: scheme, then the SSRF guard (`HERALD_SSRF_ALLOW_CIDRS`). */
export abstract class UrlGuard {
  /** Resolves with the reason the URL is refused, or null when Herald may call it. */
  abstract refusal(url: string): Promise<string | null>;
}
