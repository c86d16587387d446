import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  SubscriptionSnapshotContract,
  Topics,
  type ResourceChange,
  type SubscriptionSnapshot,
} from '@herald/contracts';
import { CompactedTopicView, ConsumerDeps } from '@herald/platform/kafka';
import { SubscriptionIndex, type SubscriptionMatcher } from './subscription-index';

export class SubscriptionsNotLoadedError extends Error {
  constructor() {
    super('the subscription set has not caught up with herald.subscriptions.v1 yet');
  }
}

/**
 * The router's subscription set: `herald.subscriptions.v1` materialised in memory (newest
 * snapshot version wins, tombstones delete) and kept in a `SubscriptionIndex` that is updated
 * on every snapshot. It refuses to match before it has caught up with the topic, so a change is
 * never routed against a half-loaded set after a restart.
 */
@Injectable()
export class SubscriptionDirectory implements SubscriptionMatcher, OnApplicationShutdown {
  private readonly index = new SubscriptionIndex();
  private readonly view: CompactedTopicView<SubscriptionSnapshot>;

  constructor(deps: ConsumerDeps) {
    this.view = new CompactedTopicView(
      deps,
      SubscriptionSnapshotContract,
      Topics.Subscriptions,
      'subscriptions',
      (incoming, held) => incoming.version >= held.version,
    );
    const routable = deps.metrics.gauge({
      name: 'herald_router_subscriptions',
      help: "Routable (active or active-with-failures) subscriptions in the router's in-memory set",
    });
    const loaded = deps.metrics.gauge({
      name: 'herald_router_subscriptions_loaded',
      help: "1 once the router's subscription set has caught up with herald.subscriptions.v1",
    });
    this.view.onChange((key, value) => {
      if (value) this.index.upsert(value);
      else this.index.remove(key);
      routable.set(this.index.size);
    });
    void this.view.caughtUp.then(() => loaded.set(1));
  }

  /** Starts following the topic; `caughtUp` resolves once it has read what was there at start. */
  start(): Promise<void> {
    return this.view.start();
  }

  get caughtUp(): Promise<void> {
    return this.view.caughtUp;
  }

  get isCaughtUp(): boolean {
    return this.view.isCaughtUp;
  }

  get size(): number {
    return this.index.size;
  }

  get(id: string): SubscriptionSnapshot | undefined {
    return this.index.get(id);
  }

  match(change: ResourceChange): SubscriptionSnapshot[] {
    if (!this.view.isCaughtUp) throw new SubscriptionsNotLoadedError();
    return this.index.match(change);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.view.stop();
  }
}
