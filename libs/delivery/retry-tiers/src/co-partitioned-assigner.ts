import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const CO_PARTITIONED_ASSIGNER = 'HeraldCoPartitioned';

/**
 * Which partition numbers each member gets: every partition number has one owner, and that
 * owner gets that partition of every topic of the group (co-partitioned). A member keeps what it
 * owned before (`owned`, from its join metadata) up to its fair share — so a member that leaves
 * or joins moves only the partitions it must — and the rest goes to the least loaded members.
 */
export function coPartitionedAssignment(members: readonly { memberId: string; owned: readonly number[] }[], partitions: number): Map<string, number[]> {
  const ids = members.map((m) => m.memberId).sort();
  const out = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  // Fair shares: `extra` members may hold one more than `base`.
  const base = Math.floor(partitions / ids.length);
  let extra = partitions % ids.length;
  const taken = new Set<number>();
  const byId = new Map(members.map((m) => [m.memberId, m]));
  // Those that owned the most keep first (their share may be the larger one).
  const keepOrder = [...ids].sort((a, b) => (byId.get(b)?.owned.length ?? 0) - (byId.get(a)?.owned.length ?? 0) || (a < b ? -1 : 1));
  for (const id of keepOrder) {
    const mine = out.get(id) as number[];
    const owned = [...new Set(byId.get(id)?.owned ?? [])].filter((p) => Number.isInteger(p) && p >= 0 && p < partitions && !taken.has(p)).sort((a, b) => a - b);
    let share = base;
    if (extra > 0 && owned.length > base) {
      share++;
      extra--;
    }
    for (const p of owned.slice(0, share)) {
      mine.push(p);
      taken.add(p);
    }
  }
  for (let p = 0; p < partitions; p++) {
    if (taken.has(p)) continue;
    let least = ids[0];
    for (const id of ids) if ((out.get(id)?.length ?? 0) < (out.get(least)?.length ?? 0)) least = id;
    out.get(least)?.push(p);
    taken.add(p);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** What a member says it owns when it (re)joins (the assigner's userData). */
function encodeOwned(owned: readonly number[]): Buffer {
  return Buffer.from(JSON.stringify({ owned }));
}

function decodeOwned(userData: Buffer | null | undefined): number[] {
  try {
    const parsed = JSON.parse(userData?.toString() ?? '') as { owned?: unknown };
    return Array.isArray(parsed.owned) ? parsed.owned.filter((p): p is number => typeof p === 'number') : [];
  } catch {
    return [];
  }
}

/**
 * A kafkajs partition assigner that co-partitions the group's topics: partition p of every topic
 * goes to the same member (`coPartitionedAssignment`). The dispatcher reads the deliveries topic
 * and every retry tier in one group with it, so the member that owns a hook's deliveries also
 * owns its retries — an ordered hook's pipe (its failing head and what waits behind it in a
 * tier) is one process's, and moves as a whole. `owned` says what this member holds now (sent
 * with each join, so a rebalance keeps it where it can). The topics must have the same number
 * of partitions (they do: `Topics.Deliveries` and `RetryTierTopics`, 12 each, or the override).
 */
export function coPartitionedAssigner(owned: () => readonly number[]): PartitionAssigner {
  return ({ cluster }) => ({
    name: CO_PARTITIONED_ASSIGNER,
    version: 0,
    async assign({ members, topics }) {
      const partitionsOf = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId)]));
      const count = Math.max(0, ...[...partitionsOf.values()].map((ps) => (ps.length ? Math.max(...ps) + 1 : 0)));
      const owners = coPartitionedAssignment(
        members.map((m) => ({ memberId: m.memberId, owned: decodeOwned(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData) })),
        count,
      );
      return [...owners].map(([memberId, mine]) => {
        const set = new Set(mine);
        const assignment: Record<string, number[]> = {};
        for (const [topic, ps] of partitionsOf) assignment[topic] = ps.filter((p) => set.has(p));
        return { memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) };
      });
    },
    protocol({ topics }) {
      return {
        name: CO_PARTITIONED_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: encodeOwned(owned()) }),
      };
    },
  });
}
