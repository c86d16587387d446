import { Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { ImmutableFieldError, SubscriptionNotFoundError, SubscriptionValidationError, SubscriptionVersionConflictError } from '../model/errors';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionLimits, limitIssues } from '../model/limits';
import { EndpointProbe, UrlGuard } from '../model/ports';
import { applyPatch, parsePatch } from '../model/settings';
import { toView, type SubscriptionView } from '../model/view';
import type { SubscriptionEntity } from '../persistence/subscription.entity';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';
import { retryOnVersionConflict } from './optimistic';
import { assertEndpointVerified, assertUrlAllowed, bumped, resealed, targetOf } from './support';

export interface UpdateSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
  /**
   * The settings to change (`SubscriptionPatchSchema`), secrets in clear; what is left out keeps
   * its value. `headers` replaces the whole list. `payloadFormat` cannot change.
   */
  patch: unknown;
  /**
   * The version the patch was computed from (a read-modify-write such as Procore's triggers): if
   * the subscription is no longer at it, nothing is written (`SubscriptionVersionConflictError`).
   */
  expectedVersion?: number;
}

@Injectable()
export class UpdateSubscription {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
    private readonly publisher: SnapshotPublisher,
    private readonly probe: EndpointProbe,
    private readonly urlGuard: UrlGuard,
    @Optional() private readonly limits: SubscriptionLimits = DEFAULT_SUBSCRIPTION_LIMITS,
  ) {}

  async execute(c: UpdateSubscriptionCommand): Promise<SubscriptionView> {
    const patch = parsePatch(c.patch);
    if (patch.url !== undefined) await assertUrlAllowed(this.urlGuard, patch.url);
    // Given an expected version, a conflict is the caller's to resolve (it read that version);
    // else only a change during a receiver check is one, and the check is made again.
    const saved = await retryOnVersionConflict(() => this.once(c, patch), c.expectedVersion === undefined ? 3 : 1);
    await this.publisher.publishAfterCommit();
    return toView(saved, this.secrets);
  }

  private async once(c: UpdateSubscriptionCommand, patch: ReturnType<typeof parsePatch>): Promise<SubscriptionEntity> {
    const apply = (current: SubscriptionEntity): SubscriptionEntity => {
      if (patch.payloadFormat !== undefined && patch.payloadFormat !== current.payloadFormat) {
        throw new ImmutableFieldError('payloadFormat', current.payloadFormat, patch.payloadFormat);
      }
      const next = applyPatch(current, patch);
      // Only what the patch sets is held to the limits: a hook over a lowered limit can still change other settings.
      const headersTouched = patch.headers !== undefined || patch.authorization !== undefined;
      const over = limitIssues(
        {
          scope: patch.scope === undefined ? undefined : next.scope,
          formatOptions: patch.formatOptions,
          headers: headersTouched ? (patch.headers ?? current.headers.map((h) => ({ name: h.name, value: this.secrets.open(current, h.value) }))) : undefined,
          authorization: !headersTouched
            ? undefined
            : patch.authorization !== undefined
              ? patch.authorization
              : current.authorization && this.secrets.open(current, current.authorization),
        },
        this.limits,
      );
      if (over.length) throw new SubscriptionValidationError(over);
      if (patch.headers !== undefined) next.headers = patch.headers.map((h) => ({ name: h.name, value: this.secrets.seal(current, h.value) }));
      if (patch.authorization !== undefined) {
        next.authorization = patch.authorization === null ? null : this.secrets.seal(current, patch.authorization);
      }
      if (patch.basicAuth !== undefined) {
        next.basicAuth = patch.basicAuth && { user: patch.basicAuth.user, password: this.secrets.seal(current, patch.basicAuth.password) };
      }
      return next;
    };

    // An active status-ok hook whose URL or contract changes must still answer; checked before
    // the row is locked, so a slow receiver never holds a lock.
    const before = await new SubscriptionRepository(this.ds.manager).find(c.tenantId, c.subscription);
    if (!before) throw new SubscriptionNotFoundError(describeRef(c.subscription));
    if (c.expectedVersion !== undefined && before.version !== c.expectedVersion) throw new SubscriptionVersionConflictError(before.id, c.expectedVersion);
    const preview = apply({ ...before } as SubscriptionEntity);
    const endpointChanged = preview.url !== before.url || preview.successContract !== before.successContract;
    const verify = endpointChanged && preview.status !== 'disabled' && preview.status !== 'auto-disabled' && preview.successContract === 'status-ok';
    if (verify) await assertEndpointVerified(this.probe, targetOf(preview, this.secrets));

    return this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      const current = await repo.find(c.tenantId, c.subscription, true);
      if (!current) throw new SubscriptionNotFoundError(describeRef(c.subscription));
      // What was checked (or what the caller read) must still be what is changed.
      if ((verify || c.expectedVersion !== undefined) && current.version !== before.version) {
        throw new SubscriptionVersionConflictError(current.id, before.version);
      }
      const read = current.version;
      return repo.save(c.tenantId, resealed(bumped(apply(current), new Date()), this.secrets), read);
    });
  }
}
