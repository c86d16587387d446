import { Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionLimitError, SubscriptionValidationError } from '../model/errors';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionLimits, limitIssues } from '../model/limits';
import { EndpointProbe, UrlGuard } from '../model/ports';
import { settingsForCreate, type SubscriptionPatch } from '../model/settings';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionEntity } from '../persistence/subscription.entity';
import { SubscriptionRepository } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { assertEndpointVerified, assertUrlAllowed, targetOf } from './support';

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
export class CreateSubscription {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
    private readonly publisher: SnapshotPublisher,
    private readonly probe: EndpointProbe,
    private readonly urlGuard: UrlGuard,
    @Optional() private readonly limits: SubscriptionLimits = DEFAULT_SUBSCRIPTION_LIMITS,
  ) {}

  async execute(c: CreateSubscriptionCommand): Promise<CreatedSubscription> {
    const settings = settingsForCreate(c.settings, c.dialectDefaults);
    const over = limitIssues(settings, this.limits);
    if (over.length) throw new SubscriptionValidationError(over);
    await assertUrlAllowed(this.urlGuard, settings.url);
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
      url: settings.url,
      httpVerb: settings.httpVerb,
      eventTypes: settings.eventTypes,
      scope: settings.scope,
      ownerOnly: settings.ownerOnly,
      fieldFilters: settings.fieldFilters,
      resourceFilters: settings.resourceFilters,
      payloadFormat: settings.payloadFormat,
      formatOptions: settings.formatOptions,
      templateId: settings.templateId,
      copiedFromId: null,
      headers: settings.headers.map((h) => ({ name: h.name, value: this.secrets.seal(owner, h.value) })),
      authorization: settings.authorization === null ? null : this.secrets.seal(owner, settings.authorization),
      basicAuth: settings.basicAuth
        ? { user: settings.basicAuth.user, password: this.secrets.seal(owner, settings.basicAuth.password) }
        : null,
      successContract: settings.successContract,
      timeoutMs: settings.timeoutMs,
      rateLimitPerSec: settings.rateLimitPerSec,
      retryPolicy: settings.retryPolicy,
      deliveryMode: settings.deliveryMode,
      failurePolicy: settings.failurePolicy,
      signingSecrets: [{ secret: signing.sealed, expiresAt: null }],
      version: 1,
      publishedVersion: 0,
      createdAt: now,
      updatedAt: now,
    } satisfies Omit<SubscriptionEntity, 'externalId'>);
    if (status === 'active' && settings.successContract === 'status-ok') {
      await assertEndpointVerified(this.probe, targetOf(entity, this.secrets));
    }
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
