import { randomUUID } from 'node:crypto';
import { ConsumerGroups, PrincipalSnapshotContract, Topics } from '@herald/contracts';
import { decodeMessage, type KafkaClient } from '@herald/platform/kafka';
import type { TenantPrincipal } from './principal-directory';

/**
 * The tenant with this slug as `herald.principals.v1` has it now, read once from the start of
 * the compacted topic to its end (for a command-line tool; the service keeps `PrincipalsView`).
 */
export async function readTenantBySlug(client: KafkaClient, slug: string, timeoutMs = 30_000): Promise<TenantPrincipal | undefined> {
  const topic = client.topic(Topics.Principals);
  const admin = client.kafka.admin();
  const groupId = `${client.group(ConsumerGroups.SubscriptionRegistryCli)}.${randomUUID()}`;
  const consumer = client.kafka.consumer({ groupId });
  const tenants = new Map<string, TenantPrincipal | null>();
  try {
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
    if (pending.size > 0) {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reading herald.principals.v1 took more than ${timeoutMs / 1000} s`)), timeoutMs);
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              const d = decodeMessage(PrincipalSnapshotContract, message);
              if (d.kind === 'value' && d.value.kind === 'tenant') tenants.set(d.key, d.value);
              else if (d.kind === 'tombstone') tenants.set(d.key, null);
              if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) pending.delete(partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  const wanted = slug.trim().toLowerCase();
  return [...tenants.values()].find((t): t is TenantPrincipal => t !== null && t.slug.toLowerCase() === wanted);
}
