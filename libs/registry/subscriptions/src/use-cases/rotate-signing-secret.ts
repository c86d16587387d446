import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionNotFoundError } from '../model/errors';
import { SIGNING_SECRET_GRACE_MS, rotateSigningSecrets } from '../model/signing-secret-rotation';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { bumped, resealed } from './support';

export interface RotateSigningSecretCommand {
  tenantId: string;
  subscription: SubscriptionRef;
  /** How long the previous secret keeps signing beside the new one (default 24 h). */
  graceMs?: number;
}

export interface RotatedSigningSecret {
  subscription: SubscriptionView;
  /** The new secret in clear: shown once, here. */
  signingSecret: string;
}

/**
 * A new signing secret. The previous one keeps signing until its expiry, so the snapshot carries
 * both and receivers see two `v1,` signatures in `webhook-signature` meanwhile.
 */
@Injectable()
export class RotateSigningSecret {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
    private readonly publisher: SnapshotPublisher,
  ) {}

  async execute(c: RotateSigningSecretCommand): Promise<RotatedSigningSecret> {
    const { saved, plaintext } = await this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      const s = await repo.find(c.tenantId, c.subscription, true);
      if (!s) throw new SubscriptionNotFoundError(describeRef(c.subscription));
      const now = new Date();
      // Sealed for this row (its tenant and id are its AAD), so made once the row is found.
      const next = this.secrets.newSigningSecret(s);
      s.signingSecrets = rotateSigningSecrets(s.signingSecrets, next.sealed, now, c.graceMs ?? SIGNING_SECRET_GRACE_MS);
      const read = s.version;
      return { saved: await repo.save(c.tenantId, resealed(bumped(s, now), this.secrets), read), plaintext: next.plaintext };
    });
    await this.publisher.publishAfterCommit();
    return { subscription: toView(saved, this.secrets), signingSecret: plaintext };
  }
}
