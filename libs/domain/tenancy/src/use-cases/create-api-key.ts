import { CreateApiKeyCommandSchema, parseCommand, type CreateApiKeyCommand } from '../commands';
import type { ApiKeyEntity } from '../entities';
import { NotFoundError, UnprocessableError } from '../errors';
import { generateApiKey } from '../api-key-secret';
import { PrincipalChange, newApiKey } from './principal-change';

export interface CreatedApiKey {
  key: ApiKeyEntity;
  /** Shown once: only its hash is stored. */
  apiKey: string;
}

export class CreateApiKey extends PrincipalChange {
  async execute(command: CreateApiKeyCommand): Promise<CreatedApiKey> {
    const c = parseCommand(CreateApiKeyCommandSchema, command);
    const secret = generateApiKey();
    const now = new Date();
    const key = await this.write(async (repo) => {
      const user = await repo.findUserByIdOrEmail(c.tenantId, c.user);
      if (!user) throw new NotFoundError('user', c.user);
      if (!user.active) throw new UnprocessableError(`user ${c.user} is deactivated`, [{ path: 'userId', message: 'the user is deactivated' }]);
      return repo.insertApiKey(c.tenantId, newApiKey(now, user.id, secret, c.scopes, c.label ?? null));
    });
    return { key, apiKey: secret.apiKey };
  }
}
