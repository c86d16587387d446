import { CreateUserCommandSchema, parseCommand, type CreateUserCommand } from '../commands';
import type { UserEntity } from '../entities';
import { ConflictError, NotFoundError } from '../errors';
import { PrincipalChange, newUser } from './principal-change';

export class CreateUser extends PrincipalChange {
  async execute(command: CreateUserCommand): Promise<UserEntity> {
    const c = parseCommand(CreateUserCommandSchema, command);
    const now = new Date();
    const taken = `a user with e-mail "${c.email}" already exists in this tenant`;
    return this.write(
      async (repo) => {
        if (!(await repo.findTenantById(c.tenantId))) throw new NotFoundError('tenant', c.tenantId);
        if (await repo.findUserByEmail(c.tenantId, c.email)) throw new ConflictError(taken);
        return repo.insertUser(c.tenantId, newUser(now, { fullName: c.fullName, email: c.email, isAdmin: c.isAdmin }));
      },
      { conflict: taken },
    );
  }
}
