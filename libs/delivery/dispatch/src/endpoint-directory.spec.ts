import { randomBytes } from 'node:crypto';
import { subscriptionSecretAad, type SubscriptionSnapshot } from '@herald/contracts';
import { SecretBox } from '@herald/platform/crypto';
import type { ViewListener } from '@herald/platform/kafka';
import { subscriptionSnapshotFixture } from '@herald/platform/testing';
import { activeSecrets, dispatchSnapshot, EndpointDirectory, type DispatchSnapshot } from './endpoint-directory';

const box = SecretBox.fromSpec(randomBytes(32).toString('base64'));

function fakeView() {
  const held = new Map<string, SubscriptionSnapshot>();
  const listeners: ViewListener<SubscriptionSnapshot>[] = [];
  return {
    get: (id: string) => held.get(id),
    onChange: (l: ViewListener<SubscriptionSnapshot>) => void listeners.push(l),
    put(s: SubscriptionSnapshot | null, id = s?.id ?? '') {
      if (s) held.set(id, s);
      else held.delete(id);
      listeners.forEach((l) => l(id, s, undefined));
    },
  };
}

const snap = (version: number, over: Partial<SubscriptionSnapshot> = {}) =>
  ({
    id: 's1',
    version,
    tenantId: 't',
    status: 'active',
    url: 'https://x.example/',
    httpVerb: 'PATCH',
    headers: [{ name: 'X-Key', value: box.encrypt('k') }],
    authorization: null,
    basicAuth: { user: 'u', password: box.encrypt('pw') },
    signingSecrets: [{ secret: box.encrypt('whsec_AAAA'), expiresAt: null }],
    timeoutMs: 5000,
    successContract: 'status-ok',
    rateLimitPerSec: null,
    retryPolicy: { scheduleMs: [1000], maxAttempts: 2, maxAgeMs: 1000, onExhausted: 'dlq' },
    deliveryMode: 'independent',
    failurePolicy: { unsubscribeOn: [], unsubscribeAction: 'disable', autoDisableAfter: null, deleteAtThreshold: false },
    ...over,
  }) as SubscriptionSnapshot;

describe('EndpointDirectory', () => {
  it('decrypts a snapshot once per version, and tells deleted from never seen', () => {
    const view = fakeView();
    const dir = new EndpointDirectory(view, box);
    expect(dir.lookup('s1')).toEqual({ kind: 'unknown' });
    view.put(snap(1));
    const found = dir.lookup('s1');
    expect(found).toMatchObject({ kind: 'found', endpoint: { method: 'PATCH', headers: { 'X-Key': 'k' }, basicAuth: { user: 'u', password: 'pw' } } });
    view.put(null, 's1');
    expect(dir.lookup('s1')).toEqual({ kind: 'gone' });
  });

  it("opens values bound to the snapshot's tenant and subscription, and not a value bound to another", () => {
    const view = fakeView();
    const dir = new EndpointDirectory(view, box);
    const mine = subscriptionSecretAad('t', 's1');
    view.put(
      snap(1, {
        headers: [{ name: 'X-Key', value: box.sealBound('k', mine) }],
        signingSecrets: [{ secret: box.sealBound('whsec_BBBB', mine), expiresAt: null }],
      }),
    );
    expect(dir.lookup('s1')).toMatchObject({ kind: 'found', endpoint: { headers: { 'X-Key': 'k' }, signingSecrets: [{ secret: 'whsec_BBBB' }] } });
    // Another subscription's sealed signing secret copied into this snapshot: refused, not used to sign.
    view.put(snap(2, { signingSecrets: [{ secret: box.sealBound('whsec_CCCC', subscriptionSecretAad('t', 's2')), expiresAt: null }] }));
    expect(() => dir.lookup('s1')).toThrow();
  });

  it('waits for the snapshot version a delivery was routed against', async () => {
    const view = fakeView();
    const dir = new EndpointDirectory(view, box);
    view.put(snap(1));
    setTimeout(() => view.put(snap(2, { url: 'https://y.example/' })), 20);
    const got = await dir.awaitVersion('s1', 2, 2_000);
    expect(got).toMatchObject({ kind: 'found', endpoint: { version: 2, url: 'https://y.example/' } });
    await expect(dir.awaitVersion('s1', 3, 30)).resolves.toMatchObject({ kind: 'found', endpoint: { version: 2 } });
  });

  it('signs with the current secret and a rotated one until it expires; never with none', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const e = { signingSecrets: [{ secret: 'new', expiresAt: null }, { secret: 'old', expiresAt: now + 1000 }] };
    expect(activeSecrets(e, now)).toEqual(['new', 'old']);
    expect(activeSecrets(e, now + 1001)).toEqual(['new']);
    expect(activeSecrets({ signingSecrets: [{ secret: 'a', expiresAt: now - 10 }, { secret: 'b', expiresAt: now - 5 }] }, now)).toEqual(['b']);
  });
});

describe('dispatchSnapshot', () => {
  it('keeps what the directory reads: the endpoint from what it keeps is the endpoint from the whole snapshot; the routing fields are not kept', () => {
    const whole = subscriptionSnapshotFixture({
      id: 's1',
      tenantId: 't',
      httpVerb: 'PUT',
      headers: [{ name: 'X-Key', value: box.encrypt('k') }],
      authorization: box.encrypt('Bearer b'),
      basicAuth: { user: 'u', password: box.encrypt('pw') },
      signingSecrets: [{ secret: box.encrypt('whsec_AAAA'), expiresAt: null }],
      rateLimitPerSec: 5,
      deliveryMode: 'ordered',
      eventTypes: ['task.created'],
      scope: { kind: 'project', projectId: 'p1' },
    });
    const kept = dispatchSnapshot(whole);
    const endpointOf = (s: SubscriptionSnapshot | DispatchSnapshot) => new EndpointDirectory({ get: () => s, onChange: () => undefined }, box).lookup('s1');
    expect(endpointOf(kept)).toEqual(endpointOf(whole));
    expect(endpointOf(kept)).toMatchObject({ kind: 'found', endpoint: { method: 'PUT', headers: { 'X-Key': 'k', authorization: 'Bearer b' }, rateLimitPerSec: 5, deliveryMode: 'ordered' } });
    for (const routing of ['ownerUserId', 'dialect', 'eventTypes', 'scope', 'ownerOnly', 'fieldFilters', 'resourceFilters', 'payloadFormat', 'formatOptions', 'updatedAt']) {
      expect(kept).not.toHaveProperty(routing);
    }
  });
});
