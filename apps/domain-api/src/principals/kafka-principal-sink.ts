import { PrincipalSnapshotContract, Topics, type PrincipalSnapshot } from '@herald/contracts';
import type { PrincipalSink } from '@herald/domain/tenancy';
import type { HeraldProducer } from '@herald/platform/kafka';

/** Principal snapshots to the compacted `herald.principals.v1` (idempotent producer, acks=all). */
export class KafkaPrincipalSink implements PrincipalSink {
  constructor(private readonly producer: HeraldProducer) {}

  send(snapshots: PrincipalSnapshot[]): Promise<void> {
    return this.producer.send(PrincipalSnapshotContract, Topics.Principals, snapshots);
  }
}
