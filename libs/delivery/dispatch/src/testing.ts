import type { SubscriptionSnapshot, TopicSpec } from '@herald/contracts';
import type { SecretBox } from '@herald/platform/crypto';
import { OutboundBatcher, type RawMessage } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import { EndpointDirectory } from './endpoint-directory';
import { dispatchMetrics } from './dispatch-metrics';
import { DeliveryEngine, DEFAULT_DISPATCH_SETTINGS, type DispatchSettings } from './delivery-engine';
import { NO_STALLS, type StallClock } from './engine/loop-stalls';

/**
 * A `DeliveryEngine` over `snapshots` (sealed with `box`) and `sender`, for specs: its producer
 * and dead-letter writer are stand-ins that record what they were given (`produced`, `dead`), and
 * `held` is the directory's view, to change a hook under it.
 */
export function engineWith(
  snapshots: SubscriptionSnapshot[],
  sender: ConstructorParameters<typeof DeliveryEngine>[1],
  box: SecretBox,
  settings: DispatchSettings = DEFAULT_DISPATCH_SETTINGS,
  stalls: StallClock = NO_STALLS,
) {
  const held = new Map(snapshots.map((s) => [s.id, s]));
  const directory = new EndpointDirectory({ get: (id: string) => held.get(id), onChange: () => undefined }, box);
  const produced: { topic: TopicSpec; message: RawMessage }[] = [];
  const out = new OutboundBatcher(
    { sendRawBatch: async (batches) => void batches.forEach((b) => produced.push(...b.messages.map((message) => ({ topic: b.topic, message })))) },
    { lingerMs: 0, maxBatch: 100, onFailure: 'retry' },
  );
  const dead: string[] = [];
  const metrics = dispatchMetrics(new MetricsRegistry('test'));
  const engine = new DeliveryEngine(
    directory,
    sender,
    out,
    { deadLetter: async (_dlq, _src, msg, reason) => void dead.push(`${msg.key?.toString()}: ${reason}`) },
    metrics,
    settings,
    stalls,
  );
  return { engine, held, produced, dead, metrics };
}
