import { subscriptionSecretAad, type FailurePolicy, type RetryPolicy, type SubscriptionSnapshot, type SubscriptionStatus } from '@herald/contracts';
import type { CompactedTopicView } from '@herald/platform/kafka';
import type { SecretBox } from '@herald/platform/crypto';

/** What the dispatcher needs to send to one subscription, with its secrets decrypted (in memory only). */
export interface Endpoint {
  id: string;
  version: number;
  tenantId: string;
  status: SubscriptionStatus;
  url: string;
  method: 'POST' | 'PUT' | 'PATCH';
  /** Custom headers and the Authorization value, decrypted. */
  headers: Record<string, string>;
  basicAuth: { user: string; password: string } | null;
  /** Every signing secret with its expiry (null: current); `activeSecrets` picks the live ones. */
  signingSecrets: { secret: string; expiresAt: number | null }[];
  timeoutMs: number;
  successContract: '2xx' | 'status-ok' | '200' | '200-or-204';
  rateLimitPerSec: number | null;
  retryPolicy: RetryPolicy;
  deliveryMode: 'independent' | 'ordered';
  failurePolicy: FailurePolicy;
}

/**
 * What the dispatcher keeps of a subscription snapshot: what `EndpointDirectory` reads (its view
 * holds one per subscription, 10,000s; the routing fields — event types, scope, filters, payload
 * format, owner — were ~570 of its ~1,360 bytes a hook; issue 14, memory).
 */
export type DispatchSnapshot = Pick<
  SubscriptionSnapshot,
  | 'id'
  | 'version'
  | 'tenantId'
  | 'status'
  | 'url'
  | 'httpVerb'
  | 'headers'
  | 'authorization'
  | 'basicAuth'
  | 'signingSecrets'
  | 'successContract'
  | 'timeoutMs'
  | 'rateLimitPerSec'
  | 'retryPolicy'
  | 'deliveryMode'
  | 'failurePolicy'
>;

/** The dispatcher view's `keep`: a snapshot's `DispatchSnapshot` fields, nothing else. */
export function dispatchSnapshot(s: SubscriptionSnapshot): DispatchSnapshot {
  return {
    id: s.id,
    version: s.version,
    tenantId: s.tenantId,
    status: s.status,
    url: s.url,
    httpVerb: s.httpVerb,
    headers: s.headers,
    authorization: s.authorization,
    basicAuth: s.basicAuth,
    signingSecrets: s.signingSecrets,
    successContract: s.successContract,
    timeoutMs: s.timeoutMs,
    rateLimitPerSec: s.rateLimitPerSec,
    retryPolicy: s.retryPolicy,
    deliveryMode: s.deliveryMode,
    failurePolicy: s.failurePolicy,
  };
}

export type EndpointLookup = { kind: 'found'; endpoint: Endpoint } | { kind: 'gone' } | { kind: 'unknown' };

/** Secrets that still sign at `now`: the current one, and a rotated one until its expiry (two `v1,` signatures). */
export function activeSecrets(e: Pick<Endpoint, 'signingSecrets'>, now: number = Date.now()): string[] {
  const live = e.signingSecrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.secret);
  // Never unsigned: a snapshot whose every secret has expired still signs with the latest one.
  if (live.length === 0 && e.signingSecrets.length > 0) {
    const latest = [...e.signingSecrets].sort((a, b) => (b.expiresAt ?? Infinity) - (a.expiresAt ?? Infinity))[0];
    return [latest.secret];
  }
  return live;
}

/** Active, or active with failures: the statuses that are still delivered to. */
export function isDeliverable(status: SubscriptionStatus): boolean {
  return status === 'active' || status === 'active-with-failures';
}

/**
 * The subscriptions as the compacted `herald.subscriptions.v1` holds them, decrypted lazily with
 * `HERALD_SECRETS_KEY` and cached per snapshot version. A tombstone makes an id `gone` (its
 * pending deliveries are discarded); an id never seen is `unknown` (the router may have seen a
 * brand-new snapshot a moment before us — callers wait a little for it).
 */
export class EndpointDirectory {
  private readonly cache = new Map<string, Endpoint>();
  private readonly gone = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly view: Pick<CompactedTopicView<SubscriptionSnapshot, DispatchSnapshot>, 'get' | 'onChange'>,
    private readonly box: SecretBox,
  ) {
    view.onChange((key, value) => {
      this.cache.delete(key);
      if (value === null) this.gone.add(key);
      else this.gone.delete(key);
      const ws = this.waiters.get(key);
      if (ws) {
        this.waiters.delete(key);
        for (const w of ws) w();
      }
    });
  }

  lookup(id: string): EndpointLookup {
    const snapshot = this.view.get(id);
    if (!snapshot) return this.gone.has(id) ? { kind: 'gone' } : { kind: 'unknown' };
    let endpoint = this.cache.get(id);
    if (!endpoint || endpoint.version !== snapshot.version) {
      endpoint = this.decrypt(snapshot);
      this.cache.set(id, endpoint);
    }
    return { kind: 'found', endpoint };
  }

  /** The snapshot version a subscription is at (no decryption), or undefined. */
  versionOf(id: string): number | undefined {
    return this.view.get(id)?.version;
  }

  /** Resolves when the id reaches `minVersion` (or is deleted), or after `timeoutMs`, with the lookup then. */
  async awaitVersion(id: string, minVersion: number, timeoutMs: number): Promise<EndpointLookup> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = this.lookup(id);
      if (now.kind === 'gone' || (now.kind === 'found' && now.endpoint.version >= minVersion)) return now;
      const left = deadline - Date.now();
      if (left <= 0) return now;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        let set = this.waiters.get(id);
        if (!set) this.waiters.set(id, (set = new Set()));
        set.add(done);
        function done() {
          clearTimeout(timer);
          set?.delete(done);
          resolve();
        }
      });
    }
  }

  private decrypt(s: DispatchSnapshot): Endpoint {
    // Each value is bound to its tenant and subscription (a value copied from another row does not open).
    const aad = subscriptionSecretAad(s.tenantId, s.id);
    const open = (v: Parameters<SecretBox['openBound']>[0]) => this.box.openBound(v, aad);
    const headers: Record<string, string> = {};
    for (const h of s.headers) headers[h.name] = open(h.value);
    if (s.authorization) headers['authorization'] = open(s.authorization);
    return {
      id: s.id,
      version: s.version,
      tenantId: s.tenantId,
      status: s.status,
      url: s.url,
      method: s.httpVerb,
      headers,
      basicAuth: s.basicAuth ? { user: s.basicAuth.user, password: open(s.basicAuth.password) } : null,
      signingSecrets: s.signingSecrets.map((x) => ({ secret: open(x.secret), expiresAt: x.expiresAt ? Date.parse(x.expiresAt) : null })),
      timeoutMs: s.timeoutMs,
      successContract: s.successContract,
      rateLimitPerSec: s.rateLimitPerSec,
      retryPolicy: s.retryPolicy,
      deliveryMode: s.deliveryMode,
      failurePolicy: s.failurePolicy,
    };
  }
}
