import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Action, Initiator } from '@herald/contracts';
import { diffStates, type NewResourceChange, type OutboxInsert } from '@herald/domain/outbox';
import { CompanionCheckFailed } from '@herald/platform/db';
import { ConflictError, NotFoundError, TenancyRepository, UnprocessableError, type FieldError } from '@herald/domain/tenancy';
import type { TenantOwnedEntity, UserRef } from './entities/base';
import { definitionOf, type ResourceDefinition, type ResourceState } from './definitions';
import { ResourceRepository, type ResourceReference } from './resource.repository';
import { dateColumns, expectedState, storedStateSql, toState } from './state';

/** Who changes what, where: every write carries it into its event. */
export interface ChangeContext {
  tenantId: string;
  initiator: Initiator;
}

/** The outbox port (OutboxWriter from @herald/domain/outbox). */
export interface ResourceChangeOutbox {
  append(manager: EntityManager, change: NewResourceChange): Promise<unknown>;
  /** The change's outbox row, for a statement that writes it with the change. */
  row(change: NewResourceChange): OutboxInsert;
}

/**
 * A create in one statement found the row stored differently from the state its event was built
 * from (the database normalised a value): the statement failed and wrote nothing (in a caller's
 * transaction, that transaction must roll back); run the create again without `oneStatement`.
 */
export class StoredStateDiffers extends Error {
  constructor(readonly type: string) {
    super(`the ${type} was stored differently from the state its event was built from`);
    this.name = 'StoredStateDiffers';
  }
}

export interface CreateOptions {
  /**
   * The row and its outbox row in one statement, the event built from the state the row will have
   * (expectedState) and checked by that statement against the row as stored: when they differ the
   * statement fails, writing nothing (StoredStateDiffers). The statement is atomic alone: `m` need
   * not be in a transaction (one round trip per create; where the state cannot be told beforehand,
   * the create opens one for its two statements); in one, it must hold only this create (roll it
   * back and retry without this option on StoredStateDiffers).
   */
  oneStatement?: boolean;
}

/**
 * Types whose create derives columns by looking up what they reference (a subtask's or comment's
 * project from its task, a key date's parent): their references are checked before the INSERT.
 */
const DERIVED_BY_LOOKUP: ReadonlySet<string> = new Set(['subtask', 'comment', 'key_date']);

/** A reference of the input: its field, and the row it names. */
type FieldReference = ResourceReference & { field: string };

/** Fields that change on every write and say nothing about what the user changed. */
const VOLATILE = ['updatedAt'];

/**
 * The one place rows of every resource type are written. Each method runs inside the caller's
 * transaction and appends the change's outbox row there, so the change and its event commit
 * (or roll back) together. A write that changes nothing writes nothing and emits nothing.
 */
export class ResourceWriter {
  constructor(private readonly outbox: ResourceChangeOutbox) {}

  async create(
    m: EntityManager,
    ctx: ChangeContext,
    def: ResourceDefinition,
    input: Record<string, unknown>,
    fixed: Record<string, unknown> = {},
    opts: CreateOptions = {},
  ): Promise<ResourceState> {
    // A reference the create needs no lookup of is checked by the INSERT itself (one round trip fewer).
    const { values, references } = await this.columnValues(m, ctx, def, input, null, !DERIVED_BY_LOOKUP.has(def.type));
    const now = new Date();
    const row = Object.assign(new def.entity(), values, fixed, {
      id: randomUUID(),
      tenantId: ctx.tenantId,
      createdBy: ctx.initiator.userId,
      createdAt: now,
      updatedAt: now,
    });
    if (def.type === 'comment') (row as unknown as { author: UserRef }).author = authorOf(ctx.initiator);
    const metadata = m.connection.getMetadata(def.entity);
    const repo = new ResourceRepository(m, def);
    const expected = opts.oneStatement ? expectedState(metadata, row) : null;
    if (expected) {
      // One round trip for the row, its reference checks and its outbox row; the statement checks
      // the row as stored against the event's `after` (it writes neither when they differ).
      const event = this.outbox.row(this.change(ctx, def, 'created', null, expected, diffStates({}, expected)));
      const outboxRow = { ...event, check: { column: 'payload', path: ['after'], state: storedStateSql(metadata) } };
      let saved: TenantOwnedEntity | null;
      try {
        saved = await repo.insert(ctx.tenantId, row, references, outboxRow);
      } catch (e) {
        throw e instanceof CompanionCheckFailed ? new StoredStateDiffers(def.type) : e;
      }
      if (!saved) throw await this.missingReferences(m, ctx, def, references);
      if (JSON.stringify(toState(metadata, saved)) !== JSON.stringify(expected)) {
        // Committed, with an event the database found equal to the row: only this answer would differ.
        throw new Error(`the ${def.type} ${row.id} as stored differs from its answer, though not from its event`);
      }
      return expected;
    }
    const write = async (t: EntityManager): Promise<ResourceState> => {
      const saved = await new ResourceRepository(t, def).insert(ctx.tenantId, row, references);
      if (!saved) throw await this.missingReferences(t, ctx, def, references);
      const after = toState(metadata, saved);
      await this.outbox.append(t, this.change(ctx, def, 'created', null, after, diffStates({}, after)));
      return after;
    };
    return m.queryRunner?.isTransactionActive ? write(m) : m.transaction(write);
  }

  /** A reference named no row of the tenant (the INSERT inserted nothing): the same 422 as when they are checked first. */
  private async missingReferences(m: EntityManager, ctx: ChangeContext, def: ResourceDefinition, references: readonly FieldReference[]): Promise<Error> {
    const errors = await this.referenceErrors(m, ctx, references);
    if (!errors.length) return new Error(`${def.label} not inserted, yet every reference exists (one was created meanwhile)`);
    return unprocessable(errors);
  }

  async update(
    m: EntityManager,
    ctx: ChangeContext,
    def: ResourceDefinition,
    id: string,
    input: Record<string, unknown>,
  ): Promise<ResourceState> {
    const repo = new ResourceRepository(m, def);
    const row = await repo.get(ctx.tenantId, id, { lock: true });
    if (!row) throw new NotFoundError(def.label, id);
    const metadata = m.connection.getMetadata(def.entity);
    const before = toState(metadata, row);
    const { values } = await this.columnValues(m, ctx, def, input, row);
    const candidate = Object.assign(Object.create(Object.getPrototypeOf(row) as object) as TenantOwnedEntity, row, values);
    if (diffStates(before, toState(metadata, candidate), { ignore: VOLATILE }).length === 0) return before;
    candidate.updatedAt = new Date();
    const saved = await repo.update(ctx.tenantId, candidate);
    const after = toState(metadata, saved);
    const changed = diffStates(before, after, { ignore: VOLATILE });
    await this.outbox.append(m, this.change(ctx, def, 'updated', before, after, changed));
    return after;
  }

  /** Complete or reopen a task or subtask (a no-op when it already is). */
  async setCompleted(
    m: EntityManager,
    ctx: ChangeContext,
    def: ResourceDefinition,
    id: string,
    completed: boolean,
  ): Promise<ResourceState> {
    if (!def.completable) throw new Error(`${def.type} cannot be completed`);
    const repo = new ResourceRepository(m, def);
    const row = (await repo.get(ctx.tenantId, id, { lock: true })) as
      | (TenantOwnedEntity & { completed: boolean; dateCompleted: Date | null; progress: number })
      | null;
    if (!row) throw new NotFoundError(def.label, id);
    const metadata = m.connection.getMetadata(def.entity);
    const before = toState(metadata, row);
    if (row.completed === completed) return before;
    const now = new Date();
    row.completed = completed;
    row.dateCompleted = completed ? now : null;
    if (completed) row.progress = 100;
    row.updatedAt = now;
    const saved = await repo.update(ctx.tenantId, row);
    const after = toState(metadata, saved);
    await this.outbox.append(m, this.change(ctx, def, completed ? 'completed' : 'reopened', before, after, diffStates(before, after, { ignore: VOLATILE })));
    return after;
  }

  async delete(m: EntityManager, ctx: ChangeContext, def: ResourceDefinition, id: string): Promise<void> {
    const repo = new ResourceRepository(m, def);
    const row = await repo.get(ctx.tenantId, id, { lock: true });
    if (!row) throw new NotFoundError(def.label, id);
    const blocking: string[] = [];
    for (const dep of def.dependents) {
      const n = await new ResourceRepository(m, definitionOf(dep.type)).countWhere(ctx.tenantId, { [dep.field]: id });
      if (n > 0) blocking.push(`${n} ${definitionOf(dep.type).label}${n === 1 ? '' : 's'}`);
    }
    if (blocking.length) {
      throw new ConflictError(`the ${def.label} still has ${blocking.join(', ')}; delete them first`);
    }
    const before = toState(m.connection.getMetadata(def.entity), row);
    await repo.delete(ctx.tenantId, id);
    await this.outbox.append(m, this.change(ctx, def, 'deleted', before, null, diffStates(before, {})));
  }

  private change(
    ctx: ChangeContext,
    def: ResourceDefinition,
    action: Action,
    before: ResourceState | null,
    after: ResourceState | null,
    changedFields: string[],
  ): NewResourceChange {
    const state = (after ?? before) as ResourceState;
    return {
      tenantId: ctx.tenantId,
      projectId: def.projectIdOf(state),
      resourceType: def.type,
      resourceId: String(state['id']),
      action,
      initiator: ctx.initiator,
      before,
      after,
      changedFields,
    };
  }

  /**
   * Validated input → column values: user ids expanded to users, references checked within the
   * tenant, derived columns filled (a subtask's project, a comment's project, a key date's
   * project), dates parsed, attributes merged. `deferReferences`: when nothing else is wrong, the
   * references are not checked here but returned, for the INSERT to check (ResourceRepository.insert).
   */
  private async columnValues(
    m: EntityManager,
    ctx: ChangeContext,
    def: ResourceDefinition,
    input: Record<string, unknown>,
    existing: TenantOwnedEntity | null,
    deferReferences = false,
  ): Promise<{ values: Record<string, unknown>; references: FieldReference[] }> {
    const values: Record<string, unknown> = { ...input };
    const errors: FieldError[] = [];

    for (const ref of def.userRefs) {
      if (!(ref.input in values)) continue;
      const raw = values[ref.input];
      delete values[ref.input];
      const ids = raw === null || raw === undefined ? [] : Array.isArray(raw) ? (raw as string[]) : [raw as string];
      const users = await new TenancyRepository(m).findUsers(ctx.tenantId, ids);
      const byId = new Map(users.map((u) => [u.id, u]));
      const missing = ids.filter((i) => !byId.has(i));
      if (missing.length) errors.push({ path: ref.input, message: `unknown user ${missing.join(', ')}` });
      const refs: UserRef[] = [...new Set(ids)].flatMap((i) => {
        const u = byId.get(i);
        return u ? [{ id: u.id, fullName: u.fullName, email: u.email, imageId: null }] : [];
      });
      values[ref.column] = ref.many ? refs : (refs[0] ?? null);
    }

    const references = def.refs.flatMap((ref) => {
      const v = values[ref.field];
      return typeof v === 'string' ? [{ field: ref.field, def: definitionOf(ref.type), id: v }] : [];
    });
    const deferred = deferReferences && errors.length === 0;
    if (!deferred) errors.push(...(await this.referenceErrors(m, ctx, references)));
    if (errors.length) throw unprocessable(errors);

    await this.derive(m, ctx, def, values, existing);

    for (const column of dateColumns(m.connection.getMetadata(def.entity))) {
      const v = values[column];
      if (typeof v === 'string') values[column] = new Date(v);
    }
    if (values['attributes'] !== undefined) {
      values['attributes'] = mergeAttributes(existing?.attributes ?? {}, values['attributes'] as Record<string, unknown>);
    }
    for (const [k, v] of Object.entries(values)) if (v === undefined) delete values[k];
    return { values, references: deferred ? references : [] };
  }

  /** The references that name no row of the tenant. */
  private async referenceErrors(
    m: EntityManager,
    ctx: ChangeContext,
    references: readonly FieldReference[],
  ): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    for (const ref of references) {
      if (!(await new ResourceRepository(m, ref.def).exists(ctx.tenantId, ref.id))) {
        errors.push({ path: ref.field, message: `${ref.def.label} ${ref.id} was not found` });
      }
    }
    return errors;
  }

  private async derive(
    m: EntityManager,
    ctx: ChangeContext,
    def: ResourceDefinition,
    values: Record<string, unknown>,
    existing: TenantOwnedEntity | null,
  ): Promise<void> {
    const projectOfTask = async (taskId: string, path: string): Promise<string> => {
      const task = (await new ResourceRepository(m, definitionOf('task')).get(ctx.tenantId, taskId)) as
        | (TenantOwnedEntity & { projectId: string })
        | null;
      if (!task) throw new UnprocessableError(`${path}: task ${taskId} was not found`, [{ path, message: 'task not found' }]);
      return task.projectId;
    };
    if (def.type === 'subtask' && typeof values['taskId'] === 'string') {
      values['projectId'] = await projectOfTask(values['taskId'], 'taskId');
    }
    if (def.type === 'comment' && !existing) {
      if (typeof values['taskId'] === 'string') {
        const projectId = await projectOfTask(values['taskId'], 'taskId');
        if (values['projectId'] !== undefined && values['projectId'] !== projectId) {
          throw new UnprocessableError('projectId: is not the task\'s project', [
            { path: 'projectId', message: "is not the task's project" },
          ]);
        }
        values['projectId'] = projectId;
      } else {
        values['taskId'] = null;
      }
    }
    if (def.type === 'key_date' && !existing) {
      const parentType = values['parentType'] as 'project' | 'portfolio' | 'program';
      const parentId = values['parentId'] as string;
      if (!(await new ResourceRepository(m, definitionOf(parentType)).exists(ctx.tenantId, parentId))) {
        throw new UnprocessableError(`parentId: ${parentType} ${parentId} was not found`, [
          { path: 'parentId', message: `${parentType} not found` },
        ]);
      }
      values['projectId'] = parentType === 'project' ? parentId : null;
    }
  }
}

/** Well-formed, but naming what the tenant does not have: 422 (400 is for input the schema refuses). */
function unprocessable(errors: FieldError[]): UnprocessableError {
  return new UnprocessableError(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
}

function authorOf(initiator: Initiator): UserRef {
  return { id: initiator.userId, fullName: initiator.fullName, email: initiator.logonAccount, imageId: null };
}

/** PATCH semantics for `attributes`: keys merge, a null value removes the key. */
export function mergeAttributes(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
