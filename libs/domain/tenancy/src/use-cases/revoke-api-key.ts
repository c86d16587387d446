import type { ApiKeyEntity } from '../entities';
import { ConflictError, NotFoundError } from '../errors';
import { PrincipalChange } from './principal-change';

export interface RevokeApiKeyCommand {
  tenantId: string;
  /** The key's row id or its public key id. */
  id: string;
  /** The key id of the caller's key (the API): a key cannot revoke itself. */
  actingKeyId?: string;
}

/**
 * Revocation is a tombstone-free snapshot (`revokedAt` set): the registry refuses it from then on.
 * With a listener that can say so, it resolves only once Kafka acknowledged that snapshot, so an
 * answer means the key is refused everywhere (as soon as each service has read it); otherwise a
 * `NotAcknowledgedError`, and the same call again (the key already revoked) waits for it again.
 */
export class RevokeApiKey extends PrincipalChange {
  async execute(c: RevokeApiKeyCommand): Promise<ApiKeyEntity> {
    return this.write(async (repo) => {
      const found = await repo.findApiKey(c.tenantId, c.id, true);
      if (!found) throw new NotFoundError('api key', c.id);
      if (found.revokedAt) return found;
      // The way a tenant locks itself out: its last administrative key revoking itself.
      if (c.actingKeyId !== undefined && found.keyId === c.actingKeyId) {
        throw new ConflictError('a key cannot revoke itself: revoke it with another administrative key');
      }
      const now = new Date();
      found.revokedAt = now;
      found.updatedAt = now;
      found.version += 1;
      return repo.saveApiKey(c.tenantId, found);
    }, { acknowledged: true });
  }
}
