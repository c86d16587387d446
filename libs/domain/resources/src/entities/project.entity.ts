import { Column, Entity } from 'typeorm';
import { ScoredEntity, TenantOwnedEntity, type UserRef } from './base';

export const PROJECT_STATUSES = ['active', 'on_hold', 'completed', 'archived'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/** PPM Express' Project attributes (see the `Project:Created` example) plus ProProfs' project. */
@Entity({ name: 'projects' })
export class ProjectEntity extends ScoredEntity {
  @Column({ type: 'text', default: 'active' })
  status: ProjectStatus;

  @Column({ type: 'int', default: 0 })
  progress: number;

  @Column({ type: 'int', default: 0 })
  priority: number;

  @Column({ type: 'int', default: 0 })
  number: number;

  @Column({ name: 'client_id', type: 'uuid', nullable: true })
  clientId: string | null;

  @Column({ name: 'portfolio_id', type: 'uuid', nullable: true })
  portfolioId: string | null;

  @Column({ name: 'program_id', type: 'uuid', nullable: true })
  programId: string | null;

  /** Set when the project was created from a template (the registry copies the template's hooks). */
  @Column({ name: 'template_id', type: 'uuid', nullable: true })
  templateId: string | null;

  @Column({ name: 'parent_idea_id', type: 'uuid', nullable: true })
  parentIdeaId: string | null;

  @Column({ name: 'high_level_scope', type: 'text', nullable: true })
  highLevelScope: string | null;

  @Column({ name: 'risks_status', type: 'int', default: -1 })
  risksStatus: number;

  @Column({ name: 'issues_status', type: 'int', default: -1 })
  issuesStatus: number;

  @Column({ name: 'resources_status', type: 'int', default: -1 })
  resourcesStatus: number;

  @Column({ name: 'cost_status', type: 'int', default: -1 })
  costStatus: number;

  @Column({ name: 'schedule_status', type: 'int', default: -1 })
  scheduleStatus: number;

  @Column({ name: 'overall_status', type: 'int', default: -1 })
  overallStatus: number;

  @Column({ name: 'reported_time', type: 'double precision', default: 0 })
  reportedTime: number;

  @Column({ name: 'planned_work', type: 'double precision', default: 0 })
  plannedWork: number;

  @Column({ type: 'jsonb', default: [] })
  managers: UserRef[];
}

export interface ChallengeRef {
  id: string;
  name: string;
}

/** PPM Express' Idea attributes (see the `Idea:Updated` example). */
@Entity({ name: 'ideas' })
export class IdeaEntity extends ScoredEntity {
  @Column({ name: 'business_priority', type: 'int', default: 0 })
  businessPriority: number;

  @Column({ name: 'expected_efforts', type: 'double precision', default: 0 })
  expectedEfforts: number;

  @Column({ name: 'expected_cost', type: 'double precision', default: 0 })
  expectedCost: number;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'jsonb', nullable: true })
  sponsor: UserRef | null;

  @Column({ type: 'jsonb', nullable: true })
  submitter: UserRef | null;

  @Column({ type: 'jsonb', nullable: true })
  challenge: ChallengeRef | null;

  @Column({ name: 'child_project_id', type: 'uuid', nullable: true })
  childProjectId: string | null;

  @Column({ name: 'discussion_url', type: 'text', nullable: true })
  discussionUrl: string | null;
}

export interface TemplateTask {
  name: string;
  description?: string | null;
  /** Days after the project's start date. */
  startOffsetDays?: number;
  duration?: number;
  isMilestone?: boolean;
  priority?: number;
  group?: { id: string; name: string; color: string | null } | null;
}

@Entity({ name: 'project_templates' })
export class ProjectTemplateEntity extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** Project fields a project created from the template starts with. */
  @Column({ name: 'project_defaults', type: 'jsonb', default: {} })
  projectDefaults: Record<string, unknown>;

  /** Tasks a project created from the template starts with. */
  @Column({ type: 'jsonb', default: [] })
  tasks: TemplateTask[];
}

/** ProProfs' clients. */
@Entity({ name: 'clients' })
export class ClientEntity extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'contact_name', type: 'text', nullable: true })
  contactName: string | null;

  @Column({ type: 'text', nullable: true })
  email: string | null;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', nullable: true })
  website: string | null;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ type: 'text', nullable: true })
  notes: string | null;
}

