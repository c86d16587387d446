import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ApiKeyScope } from '@herald/contracts';
import type { GeneratedApiKey } from '../api-key-secret';
import { ApiKeyEntity, UserEntity } from '../entities';
import { ConflictError, isUniqueViolation } from '../errors';
import type { PrincipalChangeListener } from '../principals/principal-publisher';
import { TenancyRepository } from '../tenancy.repository';

/**
 * A use case that writes principals: its work in one transaction on the tenancy tables, then the
 * principal publisher told (after the commit, so that what it reads is what was written).
 */
export abstract class PrincipalChange {
  constructor(
    private readonly ds: DataSource,
    private readonly principals?: PrincipalChangeListener,
  ) {}

  /**
   * `conflict`: the message of the 409 that a unique violation becomes (two callers racing past the
   * existence check). `changed`: whether to tell the publisher (always, unless it answers no).
   * `acknowledged`: resolve only once Kafka acknowledged the change (the listener's
   * `principalsAcknowledged`; a `NotAcknowledgedError` when it does not in time).
   */
  protected async write<T>(
    work: (repo: TenancyRepository) => Promise<T>,
    options: { conflict?: string; changed?: () => boolean; acknowledged?: boolean } = {},
  ): Promise<T> {
    const result = await this.ds
      .transaction((m) => work(new TenancyRepository(m)))
      .catch((e: unknown) => {
        if (options.conflict !== undefined && isUniqueViolation(e)) throw new ConflictError(options.conflict);
        throw e;
      });
    if (options.changed?.() ?? true) {
      if (options.acknowledged && this.principals?.principalsAcknowledged) await this.principals.principalsAcknowledged();
      else this.principals?.principalsChanged();
    }
    return result;
  }
}

/** What every new principal row starts as: a fresh id, version 1, not yet published. */
function newRow(now: Date) {
  return { id: randomUUID(), version: 1, publishedVersion: 0, createdAt: now, updatedAt: now };
}

export function newUser(now: Date, user: Pick<UserEntity, 'fullName' | 'email' | 'isAdmin'>): UserEntity {
  return Object.assign(new UserEntity(), { ...newRow(now), ...user, active: true });
}

export function newApiKey(now: Date, userId: string, secret: GeneratedApiKey, scopes: ApiKeyScope[], label: string | null): ApiKeyEntity {
  return Object.assign(new ApiKeyEntity(), { ...newRow(now), userId, keyId: secret.keyId, hash: secret.hash, scopes, label, revokedAt: null });
}
