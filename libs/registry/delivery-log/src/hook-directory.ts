import type { SubscriptionStatus } from '@herald/contracts';

/** What re-sending needs to know about a hook. */
export interface HookRef {
  id: string;
  tenantId: string;
  status: SubscriptionStatus;
  /** The snapshot version a re-sent delivery is rendered against. */
  version: number;
  /** The hook's payload format (immutable): a logged body is sent again with its content type and headers. */
  payloadFormat: string;
}

/**
 * The delivery log's view of the subscriptions it re-sends to. The registry app binds it to the
 * subscriptions repository; the log never reads the subscriptions' tables itself.
 */
export abstract class HookDirectory {
  /** The tenant's hook, or null when it has none with that id. */
  abstract find(tenantId: string, subscriptionId: string): Promise<HookRef | null>;
}

/** Why a re-send was refused; controllers map `kind` to an HTTP status. */
export class ResendRefusedError extends Error {
  constructor(
    readonly kind: 'delivery-not-found' | 'hook-not-found' | 'hook-inactive' | 'no-body',
    message: string,
  ) {
    super(message);
  }
}

export function assertResendable(
  hook: HookRef | null,
  subscriptionId: string,
): asserts hook is HookRef {
  if (!hook) throw new ResendRefusedError('hook-not-found', `webhook ${subscriptionId} not found`);
  if (hook.status === 'disabled' || hook.status === 'auto-disabled') {
    throw new ResendRefusedError(
      'hook-inactive',
      `webhook ${subscriptionId} is ${hook.status}: enable it first, then send again`,
    );
  }
}
