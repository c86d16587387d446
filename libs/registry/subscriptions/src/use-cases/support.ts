import { mapSecretFields, type SubscriptionSecrets } from '@herald/registry/secrets';
import { EndpointVerificationError, UrlRefusedError } from '../model/errors';
import type { EndpointProbe, EndpointTarget, UrlGuard } from '../model/ports';
import type { SubscriptionEntity } from '../persistence/subscription.entity';

/** The SSRF guard's verdict on a URL, as an error the APIs turn into a 400. */
export async function assertUrlAllowed(guard: UrlGuard, url: string): Promise<void> {
  const refusal = await guard.refusal(url);
  if (refusal) throw new UrlRefusedError(url, refusal);
}

/** Where and how to call a subscription's receiver, its secrets opened. */
export function targetOf(
  s: Pick<SubscriptionEntity, 'id' | 'tenantId' | 'url' | 'httpVerb' | 'timeoutMs' | 'headers' | 'authorization' | 'basicAuth' | 'successContract'>,
  secrets: SubscriptionSecrets,
): EndpointTarget {
  const headers: Record<string, string> = {};
  for (const h of s.headers) headers[h.name] = secrets.open(s, h.value);
  if (s.authorization) headers['authorization'] = secrets.open(s, s.authorization);
  else if (s.basicAuth) {
    const token = Buffer.from(`${s.basicAuth.user}:${secrets.open(s, s.basicAuth.password)}`, 'utf8').toString('base64');
    headers['authorization'] = `Basic ${token}`;
  }
  return { url: s.url, httpVerb: s.httpVerb, timeoutMs: s.timeoutMs, headers, successContract: s.successContract };
}

/** The `status-ok` contract's URL check, within 5 s whatever the hook's own timeout. */
export async function assertEndpointVerified(probe: EndpointProbe, target: EndpointTarget): Promise<void> {
  const answer = await probe.verify({ ...target, timeoutMs: 5_000, successContract: 'status-ok' });
  if (answer.ok) return;
  const reason =
    answer.errorMessage ??
    (answer.httpStatus === null
      ? (answer.errorClass ?? 'no answer')
      : `answered HTTP ${answer.httpStatus}${answer.bodyExcerpt ? ` ${answer.bodyExcerpt.slice(0, 200)}` : ''}`);
  throw new EndpointVerificationError(target.url, `${reason} (expected HTTP 200 with JSON {"status":"OK"} within 5 s)`);
}

/** The next version of a row: every change gets one, and with it a new snapshot. */
export function bumped<T extends Pick<SubscriptionEntity, 'version' | 'updatedAt'>>(s: T, now: Date): T {
  s.version += 1;
  s.updatedAt = now;
  return s;
}

/**
 * The row's secrets as they are sealed now: bound to this tenant and subscription, under the
 * current key. Called on every write of a row, so values sealed before binding (or under an
 * older key) do not outlive the next change.
 */
export function resealed<T extends SubscriptionEntity>(s: T, secrets: SubscriptionSecrets): T {
  return mapSecretFields(s, (v) => secrets.reseal(s, v));
}
