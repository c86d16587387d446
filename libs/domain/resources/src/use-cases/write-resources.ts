import type { DataSource } from 'typeorm';
import { parseCommand } from '@herald/domain/tenancy';
import { definitionOf, type ResourceState } from '../definitions';
import { ResourceWriter, type ResourceChangeOutbox } from '../resource-writer';
import type {
  CreateResourceCommand,
  DeleteResourceCommand,
  SetCompletionCommand,
  UpdateResourceCommand,
} from './resource-commands';

/** Creates a resource of any type: row and outbox row in one transaction. */
export class CreateResource {
  private readonly writer: ResourceWriter;
  constructor(
    private readonly ds: DataSource,
    outbox: ResourceChangeOutbox,
  ) {
    this.writer = new ResourceWriter(outbox);
  }

  execute(c: CreateResourceCommand): Promise<ResourceState> {
    const def = definitionOf(c.type);
    const input = parseCommand(def.createSchema, c.input);
    return this.ds.transaction((m) => this.writer.create(m, c, def, input));
  }
}

/** PATCH: only what the input names changes; an update that changes nothing emits nothing. */
export class UpdateResource {
  private readonly writer: ResourceWriter;
  constructor(
    private readonly ds: DataSource,
    outbox: ResourceChangeOutbox,
  ) {
    this.writer = new ResourceWriter(outbox);
  }

  execute(c: UpdateResourceCommand): Promise<ResourceState> {
    const def = definitionOf(c.type);
    const input = parseCommand(def.updateSchema, c.input);
    return this.ds.transaction((m) => this.writer.update(m, c, def, c.id, input));
  }
}

export class DeleteResource {
  private readonly writer: ResourceWriter;
  constructor(
    private readonly ds: DataSource,
    outbox: ResourceChangeOutbox,
  ) {
    this.writer = new ResourceWriter(outbox);
  }

  execute(c: DeleteResourceCommand): Promise<void> {
    const def = definitionOf(c.type);
    return this.ds.transaction((m) => this.writer.delete(m, c, def, c.id));
  }
}

/** Complete (`completed`) or reopen (`reopened`) a task or subtask. */
export class SetCompletion {
  private readonly writer: ResourceWriter;
  constructor(
    private readonly ds: DataSource,
    outbox: ResourceChangeOutbox,
  ) {
    this.writer = new ResourceWriter(outbox);
  }

  execute(c: SetCompletionCommand): Promise<ResourceState> {
    const def = definitionOf(c.type);
    return this.ds.transaction((m) => this.writer.setCompleted(m, c, def, c.id, c.completed));
  }
}
