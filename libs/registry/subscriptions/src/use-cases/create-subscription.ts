import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SubscriptionLimitError } from '../model/errors';
import { plainSettingsOf } from '../model/plain-settings';
import { settingsForCreate, type SubscriptionPatch } from '../model/settings';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionEntity } from '../persistence/subscription.entity';
import { SubscriptionRepository } from '../persistence/subscription.repository';
import { SubscriptionSettingsChange } from './subscription-change';

export interface CreateSubscriptionCommand {
  tenantId: string;
  /** The user whose key created it (owner-only scope fires on this user's changes). */
  ownerUserId: string;
  /** 'native' or the dialect's name. */
  dialect?: string;
  /** The caller's settings (`SubscriptionSettingsInputSchema`: url and eventTypes required), secrets in clear. */
  settings: unknown;
  /** A dialect's policies, under the caller's settings (e.g. Worksection: status-ok, auto-disable after 10). */
  dialectDefaults?: SubscriptionPatch;
  /** Default 'active'. An active hook with the `status-ok` contract has its URL verified first. */
  initialStatus?: 'active' | 'disabled';
}

export interface CreatedSubscription {
  subscription: SubscriptionView;
  /** The signing secret in clear: shown once, here. */
  signingSecret: string;
}

@Injectable()
export class CreateSubscription extends SubscriptionSettingsChange {
  async execute(c: CreateSubscriptionCommand): Promise<CreatedSubscription> {
    const settings = settingsForCreate(c.settings, c.dialectDefaults);
    this.assertWithinLimits(settings);
    await this.assertUrlAllowed(settings.url);
    const status = c.initialStatus ?? 'active';
    const owner = { tenantId: c.tenantId, id: randomUUID() };
    const signing = this.secrets.newSigningSecret(owner);
    const now = new Date();
    const entity = Object.assign(new SubscriptionEntity(), {
      id: owner.id,
      tenantId: c.tenantId,
      ownerUserId: c.ownerUserId,
      dialect: c.dialect ?? 'native',
      status,
      statusReason: status === 'active' ? 'created' : 'created disabled',
      statusChangedAt: now,
      consecutiveFailures: 0,
      ...plainSettingsOf(settings),
      copiedFromId: null,
      headers: settings.headers.map((h) => ({ name: h.name, value: this.secrets.seal(owner, h.value) })),
      authorization: settings.authorization === null ? null : this.secrets.seal(owner, settings.authorization),
      basicAuth: settings.basicAuth
        ? { user: settings.basicAuth.user, password: this.secrets.seal(owner, settings.basicAuth.password) }
        : null,
      signingSecrets: [{ secret: signing.sealed, expiresAt: null }],
      version: 1,
      publishedVersion: 0,
      createdAt: now,
      updatedAt: now,
    } satisfies Omit<SubscriptionEntity, 'externalId'>);
    if (status === 'active' && settings.successContract === 'status-ok') await this.assertEndpointVerified(entity);
    const saved = await this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      await repo.lockTenantForInsert(c.tenantId);
      const count = await repo.countForTenant(c.tenantId);
      if (count >= this.limits.hooksPerTenant) {
        throw new SubscriptionLimitError(
          'hooksPerTenant',
          this.limits.hooksPerTenant,
          `the tenant has ${count} webhooks, the most it may have (${this.limits.hooksPerTenant}): delete one first`,
        );
      }
      return repo.insert(c.tenantId, entity);
    });
    await this.publisher.publishAfterCommit();
    return { subscription: toView(saved, this.secrets), signingSecret: signing.plaintext };
  }
}
