import type { DataSource } from 'typeorm';
import { parseCommand } from '@herald/domain/tenancy';
import { definitionOf, type ResourceState } from '../definitions';
import { ResourceWriter, StoredStateDiffers, type ResourceChangeOutbox } from '../resource-writer';
import type {
  CreateResourceCommand,
  DeleteResourceCommand,
  SetCompletionCommand,
  UpdateResourceCommand,
} from './resource-commands';

/**
 * A use case that writes resources through the `ResourceWriter`: rows and their outbox rows, in a
 * transaction of its own on `ds`.
 */
export abstract class ResourceWriteUseCase {
  protected readonly writer: ResourceWriter;
  constructor(
    protected readonly ds: DataSource,
    outbox: ResourceChangeOutbox,
  ) {
    this.writer = new ResourceWriter(outbox);
  }
}

/**
 * Creates a resource of any type: row and outbox row together — in one statement, atomic alone (no
 * transaction: one round trip), where the stored row can be told beforehand (ResourceWriter's
 * oneStatement), else (or when the database stored it differently) in a transaction, one statement each.
 */
export class CreateResource extends ResourceWriteUseCase {
  async execute(c: CreateResourceCommand): Promise<ResourceState> {
    const def = definitionOf(c.type);
    const input = parseCommand(def.createSchema, c.input);
    try {
      return await this.writer.create(this.ds.manager, c, def, input, {}, { oneStatement: true });
    } catch (e) {
      if (!(e instanceof StoredStateDiffers)) throw e;
      return this.ds.transaction((m) => this.writer.create(m, c, def, input));
    }
  }
}

/** PATCH: only what the input names changes; an update that changes nothing emits nothing. */
export class UpdateResource extends ResourceWriteUseCase {
  execute(c: UpdateResourceCommand): Promise<ResourceState> {
    const def = definitionOf(c.type);
    const input = parseCommand(def.updateSchema, c.input);
    return this.ds.transaction((m) => this.writer.update(m, c, def, c.id, input));
  }
}

export class DeleteResource extends ResourceWriteUseCase {
  execute(c: DeleteResourceCommand): Promise<void> {
    const def = definitionOf(c.type);
    return this.ds.transaction((m) => this.writer.delete(m, c, def, c.id));
  }
}

/** Complete (`completed`) or reopen (`reopened`) a task or subtask. */
export class SetCompletion extends ResourceWriteUseCase {
  execute(c: SetCompletionCommand): Promise<ResourceState> {
    const def = definitionOf(c.type);
    return this.ds.transaction((m) => this.writer.setCompleted(m, c, def, c.id, c.completed));
  }
}
