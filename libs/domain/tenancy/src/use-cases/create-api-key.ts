import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CreateApiKeyCommandSchema, parseCommand, type CreateApiKeyCommand } from '../commands';
import { ApiKeyEntity } from '../entities';
import { NotFoundError, UnprocessableError } from '../errors';
import { generateApiKey } from '../api-key-secret';
import type { PrincipalChangeListener } from '../principals/principal-publisher';
import { TenancyRepository } from '../tenancy.repository';

export interface CreatedApiKey {
  key: ApiKeyEntity;
  /** Shown once: only its hash is stored. */
  apiKey: string;
}

export class CreateApiKey {
  constructor(
    private readonly ds: DataSource,
    private readonly principals?: PrincipalChangeListener,
  ) {}

  async execute(command: CreateApiKeyCommand): Promise<CreatedApiKey> {
    const c = parseCommand(CreateApiKeyCommandSchema, command);
    const secret = generateApiKey();
    const now = new Date();
    const key = await this.ds.transaction(async (m) => {
      const repo = new TenancyRepository(m);
      const user = await repo.findUserByIdOrEmail(c.tenantId, c.user);
      if (!user) throw new NotFoundError('user', c.user);
      if (!user.active) throw new UnprocessableError(`user ${c.user} is deactivated`, [{ path: 'userId', message: 'the user is deactivated' }]);
      return repo.insertApiKey(
        c.tenantId,
        Object.assign(new ApiKeyEntity(), {
          id: randomUUID(),
          userId: user.id,
          keyId: secret.keyId,
          hash: secret.hash,
          scopes: c.scopes,
          label: c.label ?? null,
          revokedAt: null,
          version: 1,
          publishedVersion: 0,
          createdAt: now,
          updatedAt: now,
        }),
      );
    });
    this.principals?.principalsChanged();
    return { key, apiKey: secret.apiKey };
  }
}
