import { SubscriptionSnapshotContract, Topics, type SubscriptionSnapshot } from '@herald/contracts';
import { subscriptionSnapshotFixture } from '@herald/platform/testing';
import { CompactedTopicView } from './compacted-topic-view';
import type { ConsumerDeps } from './consumer-deps';

const deps = { client: { group: (g: string) => g }, readiness: { register: () => undefined } } as unknown as ConsumerDeps;

describe('CompactedTopicView', () => {
  it('holds what `keep` makes of each value, tells listeners that, and compares kept values (isNewer)', () => {
    const view = new CompactedTopicView<SubscriptionSnapshot, { id: string; version: number }>(
      deps,
      SubscriptionSnapshotContract,
      Topics.Subscriptions,
      'test',
      (a, b) => a.version >= b.version,
      (s) => ({ id: s.id, version: s.version }),
    );
    const seen: unknown[] = [];
    view.onChange((key, value, previous) => seen.push([key, value, previous]));
    view.apply('s1', subscriptionSnapshotFixture({ id: 's1', version: 2 }));
    view.apply('s1', subscriptionSnapshotFixture({ id: 's1', version: 1 }));
    expect(view.get('s1')).toEqual({ id: 's1', version: 2 });
    view.apply('s1', null);
    expect([view.get('s1'), view.size]).toEqual([undefined, 0]);
    expect(seen).toEqual([
      ['s1', { id: 's1', version: 2 }, undefined],
      ['s1', null, { id: 's1', version: 2 }],
    ]);
  });

  it('holds each value whole without `keep`', () => {
    const view = new CompactedTopicView<SubscriptionSnapshot>(deps, SubscriptionSnapshotContract, Topics.Subscriptions, 'test');
    const s = subscriptionSnapshotFixture({ id: 's1' });
    view.apply('s1', s);
    expect(view.get('s1')).toBe(s);
  });
});
