/** A field the caller got wrong, by its path in the command (`headers.0.name`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The base of what a use case refuses; controllers map each kind to their own error shape. */
export abstract class SubscriptionError extends Error {
  abstract readonly kind: 'validation' | 'not-found' | 'immutable' | 'url-refused' | 'verification-failed' | 'conflict' | 'limit';
}

export class SubscriptionValidationError extends SubscriptionError {
  readonly kind = 'validation' as const;
  constructor(readonly issues: FieldIssue[]) {
    super(`invalid subscription: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

/** Also what another tenant's id gives: a subscription of another tenant does not exist for the caller. */
export class SubscriptionNotFoundError extends SubscriptionError {
  readonly kind = 'not-found' as const;
  constructor(readonly ref: string) {
    super(`subscription ${ref} not found`);
  }
}

export class ImmutableFieldError extends SubscriptionError {
  readonly kind = 'immutable' as const;
  constructor(
    readonly field: string,
    readonly current: string,
    readonly requested: string,
  ) {
    super(`${field} is fixed when the subscription is created (it is ${current}; ${requested} was asked): create a new subscription instead`);
  }
}

/** The URL is not one Herald may call: scheme, or the SSRF guard (private, loopback… addresses). */
export class UrlRefusedError extends SubscriptionError {
  readonly kind = 'url-refused' as const;
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`url ${url} refused: ${reason}`);
  }
}

/** The `status-ok` contract's check: the URL must answer 200 + JSON {"status":"OK"} in time. */
export class EndpointVerificationError extends SubscriptionError {
  readonly kind = 'verification-failed' as const;
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`url ${url} did not pass verification: ${reason}`);
  }
}

export class SubscriptionConflictError extends SubscriptionError {
  readonly kind = 'conflict' as const;
}

/**
 * The subscription changed between the read a write was based on and the write (another request,
 * on this replica or another): nothing was written. `retryOnVersionConflict` reads and tries
 * again; a caller that cannot answers 409.
 */
export class SubscriptionVersionConflictError extends SubscriptionConflictError {
  constructor(
    readonly subscriptionId: string,
    readonly readVersion: number,
  ) {
    super(`subscription ${subscriptionId} changed meanwhile (version ${readVersion} is no longer current): read it again and retry`);
  }
}

/** A tenant-wide limit is reached (e.g. its number of hooks): nothing is wrong with the request itself. */
export class SubscriptionLimitError extends SubscriptionError {
  readonly kind = 'limit' as const;
  constructor(
    readonly limit: string,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}
