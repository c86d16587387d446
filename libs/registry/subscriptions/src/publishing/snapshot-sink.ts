import { Injectable } from '@nestjs/common';
import { SubscriptionSnapshotContract, Topics, type SubscriptionSnapshot } from '@herald/contracts';
import { HeraldProducer } from '@herald/platform/kafka';

/** Where snapshots and tombstones go. Resolves once the broker acknowledged (acks=all). */
export abstract class SubscriptionSnapshotSink {
  abstract publish(snapshots: readonly SubscriptionSnapshot[]): Promise<void>;
  abstract tombstone(subscriptionIds: readonly string[]): Promise<void>;
}

/** `herald.subscriptions.v1` (compacted, keyed by subscription id). */
@Injectable()
export class KafkaSubscriptionSnapshotSink extends SubscriptionSnapshotSink {
  constructor(private readonly producer: HeraldProducer) {
    super();
  }

  publish(snapshots: readonly SubscriptionSnapshot[]): Promise<void> {
    return this.producer.send(SubscriptionSnapshotContract, Topics.Subscriptions, snapshots);
  }

  async tombstone(subscriptionIds: readonly string[]): Promise<void> {
    if (subscriptionIds.length === 0) return;
    await this.producer.sendRaw(
      Topics.Subscriptions,
      subscriptionIds.map((id) => ({ key: id, value: null })),
    );
  }
}
