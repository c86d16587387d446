import type { DataSource } from 'typeorm';
import type { ResourceType } from '@herald/contracts';
import { NotFoundError } from '@herald/domain/tenancy';
import { definitionOf, type ResourceState } from '../definitions';
import { ResourceRepository } from '../resource.repository';
import { toState } from '../state';
import {
  proprofsClient,
  proprofsEvent,
  proprofsProject,
  proprofsSubtask,
  proprofsTask,
  type ProProfsKind,
  type RelatedNames,
} from './proprofs-views';

const TYPE_OF: Record<ProProfsKind, ResourceType> = {
  projects: 'project',
  tasks: 'task',
  subtasks: 'subtask',
  events: 'calendar_event',
  clients: 'client',
};

export interface GetProProfsResourceQuery {
  tenantId: string;
  kind: ProProfsKind;
  id: string;
}

/** Step 3 of ProProfs' flow: the resource a thin payload's `resource_url` points at. */
export class GetProProfsResource {
  constructor(private readonly ds: DataSource) {}

  async execute(q: GetProProfsResourceQuery): Promise<{ data: Record<string, unknown> }> {
    const state = await this.state(q.tenantId, TYPE_OF[q.kind], q.id);
    if (!state) throw new NotFoundError(q.kind.replace(/s$/, ''), q.id);
    const name = async (type: ResourceType, id: unknown, field = 'name'): Promise<string | null> => {
      if (typeof id !== 'string') return null;
      const s = await this.state(q.tenantId, type, id);
      return s ? (s[field] as string) : null;
    };
    const related: RelatedNames = {
      projectName: await name('project', state['projectId']),
      taskName: await name('task', state['taskId']),
      clientName: await name('client', state['clientId']),
    };
    switch (q.kind) {
      case 'tasks':
        return { data: proprofsTask(state, related) };
      case 'subtasks':
        return { data: proprofsSubtask(state, related) };
      case 'projects':
        return { data: proprofsProject(state, related) };
      case 'events':
        return { data: proprofsEvent(state, related) };
      case 'clients':
        return { data: proprofsClient(state) };
    }
  }

  private async state(tenantId: string, type: ResourceType, id: string): Promise<ResourceState | null> {
    const def = definitionOf(type);
    const row = await new ResourceRepository(this.ds.manager, def).get(tenantId, id);
    return row ? toState(this.ds.getMetadata(def.entity), row) : null;
  }
}
