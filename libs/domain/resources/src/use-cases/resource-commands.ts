import type { ResourceType } from '@herald/contracts';
import type { ChangeContext } from '../resource-writer';

export interface CreateResourceCommand extends ChangeContext {
  type: ResourceType;
  input: unknown;
}

export interface UpdateResourceCommand extends ChangeContext {
  type: ResourceType;
  id: string;
  input: unknown;
}

export interface DeleteResourceCommand extends ChangeContext {
  type: ResourceType;
  id: string;
}

export interface SetCompletionCommand extends ChangeContext {
  type: 'task' | 'subtask';
  id: string;
  completed: boolean;
}

export interface GetResourceQuery {
  tenantId: string;
  type: ResourceType;
  id: string;
}

export interface ListResourcesQuery {
  tenantId: string;
  type: ResourceType;
  /** Raw query-string values; validated here (limit ≤ 1000, offset or cursor, filters). */
  query: Record<string, unknown>;
}

export interface CreateProjectFromTemplateCommand extends ChangeContext {
  templateId: string;
  input: unknown;
}
