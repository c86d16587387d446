import { Injectable } from '@nestjs/common';
import { SIGNING_SECRET_GRACE_MS, rotateSigningSecrets } from '../model/signing-secret-rotation';
import { toView, type SubscriptionView } from '../model/view';
import type { SubscriptionRef } from '../persistence/subscription.repository';
import { SubscriptionChange } from './subscription-change';

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
export class RotateSigningSecret extends SubscriptionChange {
  async execute(c: RotateSigningSecretCommand): Promise<RotatedSigningSecret> {
    const { saved, plaintext } = await this.changeAndPublish(c.tenantId, c.subscription, async (s, repo) => {
      const now = new Date();
      // Sealed for this row (its tenant and id are its AAD), so made once the row is found.
      const next = this.secrets.newSigningSecret(s);
      s.signingSecrets = rotateSigningSecrets(s.signingSecrets, next.sealed, now, c.graceMs ?? SIGNING_SECRET_GRACE_MS);
      return { saved: await this.saveNext(repo, c.tenantId, s, now), plaintext: next.plaintext };
    });
    return { subscription: toView(saved, this.secrets), signingSecret: plaintext };
  }
}
