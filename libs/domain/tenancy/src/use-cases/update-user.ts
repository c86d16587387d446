import { z } from 'zod';
import { FullNameSchema, parseCommand } from '../commands';
import type { UserEntity } from '../entities';
import { ConflictError, NotFoundError } from '../errors';
import { PrincipalChange } from './principal-change';

export const UpdateUserCommandSchema = z.strictObject({
  tenantId: z.uuid(),
  userId: z.string().min(1),
  fullName: FullNameSchema.optional(),
  /** A deactivated user's keys stop working here and, through the principals topic, in the registry. */
  active: z.boolean().optional(),
  isAdmin: z.boolean().optional(),
  /** Who asks (the API's caller): a user cannot deactivate themselves or drop their own admin role. */
  actingUserId: z.string().optional(),
});
export type UpdateUserCommand = z.input<typeof UpdateUserCommandSchema>;

export class UpdateUser extends PrincipalChange {
  async execute(command: UpdateUserCommand): Promise<UserEntity> {
    const c = parseCommand(UpdateUserCommandSchema, command);
    let changed = false;
    return this.write(
      async (repo) => {
        const found = await repo.findUser(c.tenantId, c.userId, true);
        if (!found) throw new NotFoundError('user', c.userId);
        const next = {
          fullName: c.fullName ?? found.fullName,
          active: c.active ?? found.active,
          isAdmin: c.isAdmin ?? found.isAdmin,
        };
        if (next.fullName === found.fullName && next.active === found.active && next.isAdmin === found.isAdmin) return found;
        // The way a tenant locks itself out: its (last) admin switching itself off. Another admin can.
        if (c.actingUserId === found.id && ((found.active && !next.active) || (found.isAdmin && !next.isAdmin))) {
          throw new ConflictError('you cannot deactivate yourself or drop your own admin role: another administrator can');
        }
        changed = true;
        Object.assign(found, next, { updatedAt: new Date(), version: found.version + 1 });
        return repo.saveUser(c.tenantId, found);
      },
      { changed: () => changed },
    );
  }
}
