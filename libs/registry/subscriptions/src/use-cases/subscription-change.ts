import { Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionNotFoundError, SubscriptionValidationError } from '../model/errors';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionLimits, limitIssues } from '../model/limits';
import { EndpointProbe, UrlGuard } from '../model/ports';
import type { SubscriptionEntity } from '../persistence/subscription.entity';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { assertEndpointVerified, assertUrlAllowed, bumped, resealed, targetOf } from './support';

/** What a change does to the locked row, inside the transaction. */
export type LockedChange<T> = (s: SubscriptionEntity, repo: SubscriptionRepository, m: EntityManager) => Promise<T>;

/**
 * What every use case that writes a subscription does around its own rule: the row read and
 * locked in one transaction (the tenant's own, else a 404), saved as its next version with its
 * secrets sealed anew, and the snapshots published once the transaction has committed.
 */
@Injectable()
export abstract class SubscriptionChange {
  constructor(
    protected readonly ds: DataSource,
    protected readonly secrets: SubscriptionSecrets,
    protected readonly publisher: SnapshotPublisher,
  ) {}

  /** `change` on the tenant's subscription, locked for the transaction; then the snapshots published. */
  protected async changeAndPublish<T>(tenantId: string, ref: SubscriptionRef, change: LockedChange<T>): Promise<T> {
    const result = await this.inLockedRow(tenantId, ref, change);
    await this.publisher.publishAfterCommit();
    return result;
  }

  /** The tenant's subscription as it is now, unlocked (to check something before the change), else a 404. */
  protected async current(tenantId: string, ref: SubscriptionRef): Promise<SubscriptionEntity> {
    const s = await new SubscriptionRepository(this.ds.manager).find(tenantId, ref);
    if (!s) throw new SubscriptionNotFoundError(describeRef(ref));
    return s;
  }

  /** `change` on the tenant's subscription, locked for the transaction (the caller publishes). */
  protected inLockedRow<T>(tenantId: string, ref: SubscriptionRef, change: LockedChange<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      const s = await repo.find(tenantId, ref, true);
      if (!s) throw new SubscriptionNotFoundError(describeRef(ref));
      return change(s, repo, m);
    });
  }

  /** The changed row saved as its next version: a conflict if the stored row is no longer at the version it was read at. */
  protected saveNext(repo: SubscriptionRepository, tenantId: string, s: SubscriptionEntity, now = new Date()): Promise<SubscriptionEntity> {
    const read = s.version;
    return repo.save(tenantId, resealed(bumped(s, now), this.secrets), read);
  }
}

/**
 * A change to what a subscription calls and how (create, update): also held to the tenant's
 * limits, its URL to the SSRF guard, and a `status-ok` receiver to its URL check.
 */
@Injectable()
export abstract class SubscriptionSettingsChange extends SubscriptionChange {
  constructor(
    ds: DataSource,
    secrets: SubscriptionSecrets,
    publisher: SnapshotPublisher,
    protected readonly probe: EndpointProbe,
    protected readonly urlGuard: UrlGuard,
    @Optional() protected readonly limits: SubscriptionLimits = DEFAULT_SUBSCRIPTION_LIMITS,
  ) {
    super(ds, secrets, publisher);
  }

  /** A 400 naming every setting over the limits. */
  protected assertWithinLimits(settings: Parameters<typeof limitIssues>[0]): void {
    const over = limitIssues(settings, this.limits);
    if (over.length) throw new SubscriptionValidationError(over);
  }

  /** A 400 for a URL the SSRF guard refuses. */
  protected assertUrlAllowed(url: string): Promise<void> {
    return assertUrlAllowed(this.urlGuard, url);
  }

  /** A 400 unless the subscription's receiver passes the `status-ok` URL check. */
  protected assertEndpointVerified(s: Parameters<typeof targetOf>[0]): Promise<void> {
    return assertEndpointVerified(this.probe, targetOf(s, this.secrets));
  }
}
