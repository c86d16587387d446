import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CreateUserCommandSchema, parseCommand, type CreateUserCommand } from '../commands';
import { UserEntity } from '../entities';
import { ConflictError, NotFoundError, isUniqueViolation } from '../errors';
import type { PrincipalChangeListener } from '../principals/principal-publisher';
import { TenancyRepository } from '../tenancy.repository';

export class CreateUser {
  constructor(
    private readonly ds: DataSource,
    private readonly principals?: PrincipalChangeListener,
  ) {}

  async execute(command: CreateUserCommand): Promise<UserEntity> {
    const c = parseCommand(CreateUserCommandSchema, command);
    const now = new Date();
    const user = await this.ds
      .transaction(async (m) => {
        const repo = new TenancyRepository(m);
        if (!(await repo.findTenantById(c.tenantId))) throw new NotFoundError('tenant', c.tenantId);
        if (await repo.findUserByEmail(c.tenantId, c.email)) {
          throw new ConflictError(`a user with e-mail "${c.email}" already exists in this tenant`);
        }
        return repo.insertUser(
          c.tenantId,
          Object.assign(new UserEntity(), {
            id: randomUUID(),
            fullName: c.fullName,
            email: c.email,
            active: true,
            isAdmin: c.isAdmin,
            version: 1,
            publishedVersion: 0,
            createdAt: now,
            updatedAt: now,
          }),
        );
      })
      .catch((e: unknown) => {
        if (isUniqueViolation(e)) throw new ConflictError(`a user with e-mail "${c.email}" already exists in this tenant`);
        throw e;
      });
    this.principals?.principalsChanged();
    return user;
  }
}
