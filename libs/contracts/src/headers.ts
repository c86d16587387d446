/** Kafka message header names. Values are strings (UTF-8). */
export const Headers = {
  /** W3C trace context, carried on every hop. */
  TraceParent: 'traceparent',
  TraceState: 'tracestate',
  /** `<message type>/<version>`, e.g. `resource-change/1`. */
  Schema: 'herald-schema',
  /** Retry tiers: when the message is due (epoch ms). */
  DueAt: 'herald-due-at',
  /**
   * Retry tiers: when the tier hands the message over (epoch ms): its due time, or the tier's
   * own delay after it was written if that comes first — then it hops on (see `retryTierFor`).
   */
  ReleaseAt: 'herald-release-at',
  /** Why a message was dead-lettered, and where it came from. */
  DlqReason: 'herald-dlq-reason',
  DlqErrorClass: 'herald-dlq-error-class',
  DlqSourceTopic: 'herald-dlq-source-topic',
  DlqSourcePartition: 'herald-dlq-source-partition',
  DlqSourceOffset: 'herald-dlq-source-offset',
  DlqAt: 'herald-dlq-at',
  /** The consumer group whose handler gave the message up (a message that failed on its own). */
  DlqConsumerGroup: 'herald-dlq-consumer-group',
  /** Set when the broker refused even the dead letter as too large: its value was left out (bytes it had). */
  DlqValueOmittedBytes: 'herald-dlq-value-omitted-bytes',
  /** Which producer published a resource change (domain-api, or another internal service). */
  Producer: 'herald-producer',
} as const;

export type HeaderName = (typeof Headers)[keyof typeof Headers];
