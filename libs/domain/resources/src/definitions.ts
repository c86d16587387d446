import type { z } from 'zod';
import type { ResourceType } from '@herald/contracts';
import { PortfolioEntity, ProgramEntity } from './entities/portfolio.entity';
import { ClientEntity, IdeaEntity, ProjectEntity, ProjectTemplateEntity } from './entities/project.entity';
import {
  CalendarEventEntity,
  CommentEntity,
  KeyDateEntity,
  SubtaskEntity,
  TaskEntity,
} from './entities/task.entity';
import type { TenantOwnedEntity } from './entities/base';
import * as S from './schemas';

export type ResourceState = Record<string, unknown>;

/** A user-reference input (ids) and the column that stores the expanded users. */
export interface UserRefField {
  input: string;
  column: string;
  many: boolean;
}

/** A reference that must name a row of the caller's tenant (else 400, never a leak). */
export interface RefField {
  field: string;
  type: ResourceType;
}

/** Rows that point at this one and must be deleted first (a delete never cascades silently). */
export interface Dependent {
  type: ResourceType;
  field: string;
  where?: Record<string, unknown>;
}

/**
 * Everything generic code needs to know about one resource type: its table, its DTOs, its
 * references and how its event finds the project. One entry per resource type.
 */
export interface ResourceDefinition {
  type: ResourceType;
  /** `/v1/<path>` */
  path: string;
  /** Human name in messages and the OpenAPI document. */
  label: string;
  entity: new () => TenantOwnedEntity;
  createSchema: z.ZodType<Record<string, unknown>>;
  updateSchema: z.ZodType<Record<string, unknown>>;
  refs: readonly RefField[];
  userRefs: readonly UserRefField[];
  /** List filters (query parameters that are state fields). */
  filters: readonly string[];
  dependents: readonly Dependent[];
  /** Tasks and subtasks: complete / reopen. */
  completable: boolean;
  projectIdOf(state: ResourceState): string | null;
}

const projectIdField = (s: ResourceState) => (typeof s['projectId'] === 'string' ? s['projectId'] : null);
const none = () => null;

export const RESOURCE_DEFINITIONS: Readonly<Record<ResourceType, ResourceDefinition>> = {
  portfolio: {
    type: 'portfolio',
    path: 'portfolios',
    label: 'portfolio',
    entity: PortfolioEntity,
    createSchema: S.PortfolioCreateSchema,
    updateSchema: S.PortfolioUpdateSchema,
    refs: [],
    userRefs: [{ input: 'managerIds', column: 'managers', many: true }],
    filters: [],
    dependents: [
      { type: 'program', field: 'portfolioId' },
      { type: 'project', field: 'portfolioId' },
      { type: 'key_date', field: 'parentId' },
    ],
    completable: false,
    projectIdOf: none,
  },
  program: {
    type: 'program',
    path: 'programs',
    label: 'program',
    entity: ProgramEntity,
    createSchema: S.ProgramCreateSchema,
    updateSchema: S.ProgramUpdateSchema,
    refs: [{ field: 'portfolioId', type: 'portfolio' }],
    userRefs: [{ input: 'managerIds', column: 'managers', many: true }],
    filters: ['portfolioId'],
    dependents: [
      { type: 'project', field: 'programId' },
      { type: 'key_date', field: 'parentId' },
    ],
    completable: false,
    projectIdOf: none,
  },
  project: {
    type: 'project',
    path: 'projects',
    label: 'project',
    entity: ProjectEntity,
    createSchema: S.ProjectCreateSchema,
    updateSchema: S.ProjectUpdateSchema,
    refs: [
      { field: 'clientId', type: 'client' },
      { field: 'portfolioId', type: 'portfolio' },
      { field: 'programId', type: 'program' },
      { field: 'parentIdeaId', type: 'idea' },
    ],
    userRefs: [{ input: 'managerIds', column: 'managers', many: true }],
    filters: ['clientId', 'portfolioId', 'programId', 'templateId'],
    dependents: [
      { type: 'task', field: 'projectId' },
      { type: 'comment', field: 'projectId' },
      { type: 'key_date', field: 'projectId' },
      { type: 'calendar_event', field: 'projectId' },
      { type: 'idea', field: 'childProjectId' },
    ],
    completable: false,
    projectIdOf: (s) => (typeof s['id'] === 'string' ? s['id'] : null),
  },
  project_template: {
    type: 'project_template',
    path: 'project-templates',
    label: 'project template',
    entity: ProjectTemplateEntity,
    createSchema: S.ProjectTemplateCreateSchema,
    updateSchema: S.ProjectTemplateUpdateSchema,
    refs: [],
    userRefs: [],
    filters: [],
    dependents: [],
    completable: false,
    projectIdOf: none,
  },
  task: {
    type: 'task',
    path: 'tasks',
    label: 'task',
    entity: TaskEntity,
    createSchema: S.TaskCreateSchema,
    updateSchema: S.TaskUpdateSchema,
    refs: [{ field: 'projectId', type: 'project' }],
    userRefs: [{ input: 'userIds', column: 'users', many: true }],
    filters: ['projectId'],
    dependents: [
      { type: 'subtask', field: 'taskId' },
      { type: 'comment', field: 'taskId' },
    ],
    completable: true,
    projectIdOf: projectIdField,
  },
  subtask: {
    type: 'subtask',
    path: 'subtasks',
    label: 'subtask',
    entity: SubtaskEntity,
    createSchema: S.SubtaskCreateSchema,
    updateSchema: S.SubtaskUpdateSchema,
    refs: [{ field: 'taskId', type: 'task' }],
    userRefs: [{ input: 'userIds', column: 'users', many: true }],
    filters: ['projectId', 'taskId'],
    dependents: [],
    completable: true,
    projectIdOf: projectIdField,
  },
  comment: {
    type: 'comment',
    path: 'comments',
    label: 'comment',
    entity: CommentEntity,
    createSchema: S.CommentCreateSchema,
    updateSchema: S.CommentUpdateSchema,
    refs: [
      { field: 'taskId', type: 'task' },
      { field: 'projectId', type: 'project' },
    ],
    userRefs: [],
    filters: ['projectId', 'taskId'],
    dependents: [],
    completable: false,
    projectIdOf: projectIdField,
  },
  client: {
    type: 'client',
    path: 'clients',
    label: 'client',
    entity: ClientEntity,
    createSchema: S.ClientCreateSchema,
    updateSchema: S.ClientUpdateSchema,
    refs: [],
    userRefs: [],
    filters: [],
    dependents: [{ type: 'project', field: 'clientId' }],
    completable: false,
    projectIdOf: none,
  },
  calendar_event: {
    type: 'calendar_event',
    path: 'calendar-events',
    label: 'calendar event',
    entity: CalendarEventEntity,
    createSchema: S.CalendarEventCreateSchema,
    updateSchema: S.CalendarEventUpdateSchema,
    refs: [{ field: 'projectId', type: 'project' }],
    userRefs: [{ input: 'userIds', column: 'users', many: true }],
    filters: ['projectId'],
    dependents: [],
    completable: false,
    projectIdOf: projectIdField,
  },
  idea: {
    type: 'idea',
    path: 'ideas',
    label: 'idea',
    entity: IdeaEntity,
    createSchema: S.IdeaCreateSchema,
    updateSchema: S.IdeaUpdateSchema,
    refs: [{ field: 'childProjectId', type: 'project' }],
    userRefs: [
      { input: 'sponsorId', column: 'sponsor', many: false },
      { input: 'submitterId', column: 'submitter', many: false },
    ],
    filters: [],
    dependents: [{ type: 'project', field: 'parentIdeaId' }],
    completable: false,
    // An idea is tenant-level (PPM Express fires Idea hooks per tenant), even once it has a child project.
    projectIdOf: none,
  },
  key_date: {
    type: 'key_date',
    path: 'key-dates',
    label: 'key date',
    entity: KeyDateEntity,
    createSchema: S.KeyDateCreateSchema,
    updateSchema: S.KeyDateUpdateSchema,
    refs: [],
    userRefs: [{ input: 'assignedToIds', column: 'assignedTo', many: true }],
    filters: ['projectId', 'parentId'],
    dependents: [],
    completable: false,
    projectIdOf: projectIdField,
  },
};

export const RESOURCE_DEFINITION_LIST: readonly ResourceDefinition[] = Object.values(RESOURCE_DEFINITIONS);

export function definitionOf(type: ResourceType): ResourceDefinition {
  return RESOURCE_DEFINITIONS[type];
}
