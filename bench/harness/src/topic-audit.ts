import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ConsumerGroups, Headers, RetryTierTopics, Topics, groupId as groupName, topicName, type TopicSpec } from '@herald/contracts';

/** Every committed consumer group of Herald and each topic it reads (the dispatcher's one group reads the deliveries topic and every retry tier). */
export function committedGroups(): { group: string; topic: TopicSpec; label: string }[] {
  return [
    { group: ConsumerGroups.EventRouter, topic: Topics.ResourceChanges, label: 'router ← resource-changes' },
    { group: ConsumerGroups.SubscriptionRegistryResourceChanges, topic: Topics.ResourceChanges, label: 'registry ← resource-changes' },
    { group: ConsumerGroups.SubscriptionRegistryOutcomes, topic: Topics.DeliveryOutcomes, label: 'registry ← delivery-outcomes' },
    { group: ConsumerGroups.SubscriptionRegistryDeliveries, topic: Topics.Deliveries, label: 'registry ← deliveries' },
    { group: ConsumerGroups.DeliveryDispatcher, topic: Topics.Deliveries, label: 'dispatcher ← deliveries' },
    ...RetryTierTopics.map((t) => ({ group: ConsumerGroups.DeliveryDispatcher, topic: t, label: `dispatcher ← ${t.name.replace('herald.deliveries.', '')}` })),
  ];
}

export interface GroupLag {
  label: string;
  group: string;
  topic: string;
  /** Σ over partitions of (end offset − committed offset). */
  lag: number;
  /** Messages the topic ever held (Σ end offsets): a tier that saw no traffic has 0. */
  produced: number;
}

/** Consumer-group lag of every committed group (0 everywhere: every topic and retry tier drained). */
export async function groupLags(admin: Admin, namespace: string | undefined): Promise<GroupLag[]> {
  const out: GroupLag[] = [];
  for (const g of committedGroups()) {
    const topic = topicName(g.topic, namespace);
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId: groupName(g.group, namespace), topics: [topic] });
    const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    let lag = 0;
    let produced = 0;
    for (const p of ends) {
      const end = Number(p.high);
      const low = Number(p.low);
      produced += end;
      const c = byPartition.get(p.partition) ?? -1;
      lag += Math.max(0, end - (c >= 0 ? c : low));
    }
    out.push({ label: g.label, group: g.group, topic: g.topic.name, lag, produced });
  }
  return out;
}

export interface TopicAudit {
  /** herald.resource-changes.v1: messages, and event ids found more than once (with how many copies). */
  resourceChanges: { messages: number; offsets: number; copies: Map<string, number> };
  /** herald.deliveries.v1 (what the router produced): messages, copies per (subscription, event). */
  deliveries: { messages: number; offsets: number; copies: Map<string, number> };
  /** herald.deliveries.dlq: (subscription, event, reason). */
  dlq: { subscriptionId: string; eventId: string; reason: string }[];
  lags: GroupLag[];
  seconds: number;
}

/**
 * Reads what the run left on its topics (read_committed, from the beginning, up to the end
 * offsets at the time of the call) to tell where each duplicate was made: an event on
 * resource-changes more than once was re-published (outbox relay, or the harness's own
 * re-send); a (subscription, event) on deliveries more than once was re-produced by the router;
 * the rest of the receivers' duplicates were re-sent by the dispatcher.
 */
export async function auditTopics(brokers: string, namespace: string | undefined): Promise<TopicAudit> {
  const started = Date.now();
  const kafka = new Kafka({ clientId: 'herald-chaos-audit', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const lags = await groupLags(admin, namespace);
    const rc = await readTopic(kafka, admin, topicName(Topics.ResourceChanges, namespace), (value) => {
      const m = /"eventId":"([^"]+)"/.exec(value);
      return m ? m[1] : undefined;
    });
    const dl = await readTopic(kafka, admin, topicName(Topics.Deliveries, namespace), (value) => {
      const e = /"eventId":"([^"]+)"/.exec(value);
      const s = /"subscriptionId":"([^"]+)"/.exec(value);
      return e && s ? `${s[1]}|${e[1]}` : undefined;
    });
    const dlq: TopicAudit['dlq'] = [];
    await readTopic(kafka, admin, topicName(Topics.DeliveriesDlq, namespace), (value, headers) => {
      const e = /"eventId":"([^"]+)"/.exec(value);
      const s = /"subscriptionId":"([^"]+)"/.exec(value);
      dlq.push({ subscriptionId: s?.[1] ?? '', eventId: e?.[1] ?? '', reason: headers[Headers.DlqReason] ?? '' });
      return undefined;
    });
    return {
      resourceChanges: { messages: rc.messages, offsets: rc.offsets, copies: rc.copies },
      deliveries: { messages: dl.messages, offsets: dl.offsets, copies: dl.copies },
      dlq,
      lags,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await admin.disconnect();
  }
}

async function readTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  idOf: (value: string, headers: Record<string, string>) => string | undefined,
): Promise<{ messages: number; offsets: number; copies: Map<string, number> }> {
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map<number, bigint>();
  let offsets = 0;
  for (const p of ends) {
    if (BigInt(p.high) > BigInt(p.low)) remaining.set(p.partition, BigInt(p.high) - 1n);
    offsets += Number(p.high) - Number(p.low);
  }
  const counts = new Map<string, number>();
  let messages = 0;
  if (remaining.size === 0) return { messages, offsets, copies: new Map() };
  const group = `herald-chaos-audit-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId: group, maxBytes: 50 * 1024 * 1024, maxBytesPerPartition: 10 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A partition that ends with a transaction marker never hands over its last offset: also
      // done once nothing new came for a while after the first batch (joining the group can take
      // long on a loaded machine), and in any case after 10 minutes.
      const started = Date.now();
      let lastProgress = 0;
      const idle = setInterval(() => {
        if ((lastProgress && Date.now() - lastProgress > 15_000) || Date.now() - started > 600_000) done();
      }, 500);
      const done = () => {
        clearInterval(idle);
        resolve();
      };
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const last = remaining.get(batch.partition);
            if (last === undefined) return;
            lastProgress = Date.now();
            for (const m of batch.messages) {
              if (BigInt(m.offset) > last) break;
              messages += 1;
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v ?? '');
              const id = idOf(m.value?.toString('utf8') ?? '', headers);
              if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
              if (BigInt(m.offset) >= last) {
                remaining.delete(batch.partition);
                break;
              }
            }
            if (remaining.size === 0 || Number(batch.offsetLag()) <= 0) {
              if (Number(batch.offsetLag()) <= 0) remaining.delete(batch.partition);
              if (remaining.size === 0) done();
            }
          },
        })
        .catch((e: unknown) => {
          clearInterval(idle);
          reject(e);
        });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([group]).catch(() => undefined);
  }
  const copies = new Map<string, number>();
  for (const [id, n] of counts) if (n > 1) copies.set(id, n);
  return { messages, offsets, copies };
}
