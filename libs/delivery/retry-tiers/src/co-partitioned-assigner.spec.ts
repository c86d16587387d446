import { AssignerProtocol } from 'kafkajs';
import { coPartitionedAssigner, coPartitionedAssignment } from './co-partitioned-assigner';

const sizes = (m: Map<string, number[]>) => [...m.values()].map((l) => l.length).sort();

describe('coPartitionedAssignment', () => {
  it('gives every partition number one owner, balanced', () => {
    const m = coPartitionedAssignment([{ memberId: 'b', owned: [] }, { memberId: 'a', owned: [] }, { memberId: 'c', owned: [] }], 12);
    expect(sizes(m)).toEqual([4, 4, 4]);
    expect([...m.values()].flat().sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
  });

  it('keeps what each member owned when one leaves: only the leaver\'s partitions move', () => {
    const before = coPartitionedAssignment(['a', 'b', 'c'].map((memberId) => ({ memberId, owned: [] })), 12);
    const after = coPartitionedAssignment(
      ['a', 'c'].map((memberId) => ({ memberId, owned: before.get(memberId) ?? [] })),
      12,
    );
    for (const id of ['a', 'c']) for (const p of before.get(id) ?? []) expect(after.get(id)).toContain(p);
    expect(sizes(after)).toEqual([6, 6]);
  });

  it('gives a joiner its share from the others, and ignores what no one may own twice or out of range', () => {
    const m = coPartitionedAssignment(
      [
        { memberId: 'a', owned: [0, 1, 2, 3, 4, 5, 99, -1] },
        { memberId: 'b', owned: [0, 6, 7, 8, 9, 10, 11] },
        { memberId: 'new', owned: [] },
      ],
      12,
    );
    expect(sizes(m)).toEqual([4, 4, 4]);
    expect(m.get('a')).toEqual([0, 1, 2, 3]);
    expect(m.get('b')).toEqual([6, 7, 8, 9]);
    expect(m.get('new')).toEqual([4, 5, 10, 11]);
  });
});

describe('coPartitionedAssigner', () => {
  it('assigns partition p of every topic to the same member, and sends what this member owns with its join', async () => {
    const partitions = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId }));
    const cluster = { findTopicPartitionMetadata: () => partitions(6) };
    const assigner = coPartitionedAssigner(() => [1, 4])({ cluster: cluster as never, groupId: 'g', logger: {} as never });
    const meta = (owned: number[]) => AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['main', 'tier'], userData: Buffer.from(JSON.stringify({ owned })) });
    const own = assigner.protocol({ topics: ['main', 'tier'] });
    expect(JSON.parse(AssignerProtocol.MemberMetadata.decode(own.metadata)?.userData.toString() ?? '')).toEqual({ owned: [1, 4] });
    const result = await assigner.assign({
      members: [
        { memberId: 'm1', memberMetadata: meta([0, 1, 2]) },
        { memberId: 'm2', memberMetadata: meta([3, 4, 5]) },
        { memberId: 'm3', memberMetadata: meta([]) },
      ],
      topics: ['main', 'tier'],
    } as never);
    const byMember = new Map(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]));
    for (const a of byMember.values()) expect(a?.['main']).toEqual(a?.['tier']);
    expect(byMember.get('m1')?.['main']).toEqual([0, 1]);
    expect(byMember.get('m2')?.['main']).toEqual([3, 4]);
    expect(byMember.get('m3')?.['main']).toEqual([2, 5]);
  });
});
