import { Injectable } from '@nestjs/common';
import { ImmutableFieldError, SubscriptionVersionConflictError } from '../model/errors';
import { applyPatch, parsePatch } from '../model/settings';
import { toView, type SubscriptionView } from '../model/view';
import type { SubscriptionEntity } from '../persistence/subscription.entity';
import type { SubscriptionRef } from '../persistence/subscription.repository';
import { retryOnVersionConflict } from './optimistic';
import { SubscriptionSettingsChange } from './subscription-change';

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
export class UpdateSubscription extends SubscriptionSettingsChange {
  async execute(c: UpdateSubscriptionCommand): Promise<SubscriptionView> {
    const patch = parsePatch(c.patch);
    if (patch.url !== undefined) await this.assertUrlAllowed(patch.url);
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
      this.assertWithinLimits({
        scope: patch.scope === undefined ? undefined : next.scope,
        formatOptions: patch.formatOptions,
        headers: headersTouched ? (patch.headers ?? current.headers.map((h) => ({ name: h.name, value: this.secrets.open(current, h.value) }))) : undefined,
        authorization: !headersTouched
          ? undefined
          : patch.authorization !== undefined
            ? patch.authorization
            : current.authorization && this.secrets.open(current, current.authorization),
      });
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
    const before = await this.current(c.tenantId, c.subscription);
    if (c.expectedVersion !== undefined && before.version !== c.expectedVersion) throw new SubscriptionVersionConflictError(before.id, c.expectedVersion);
    const preview = apply({ ...before } as SubscriptionEntity);
    const endpointChanged = preview.url !== before.url || preview.successContract !== before.successContract;
    const verify = endpointChanged && preview.status !== 'disabled' && preview.status !== 'auto-disabled' && preview.successContract === 'status-ok';
    if (verify) await this.assertEndpointVerified(preview);

    return this.inLockedRow(c.tenantId, c.subscription, async (current, repo) => {
      // What was checked (or what the caller read) must still be what is changed.
      if ((verify || c.expectedVersion !== undefined) && current.version !== before.version) {
        throw new SubscriptionVersionConflictError(current.id, before.version);
      }
      return this.saveNext(repo, c.tenantId, apply(current));
    });
  }
}
