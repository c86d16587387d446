import { Column, Entity } from 'typeorm';
import { TenantOwnedEntity, type UserRef } from './base';

export interface TaskGroup {
  id: string;
  name: string;
  color: string | null;
}

/** What tasks and subtasks share: ProProfs' task fields. */
abstract class WorkItemEntity extends TenantOwnedEntity {
  @Column({ name: 'project_id', type: 'uuid' })
  projectId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'start_date', type: 'timestamptz', nullable: true })
  startDate: Date | null;

  @Column({ name: 'due_date', type: 'timestamptz', nullable: true })
  dueDate: Date | null;

  @Column({ name: 'date_completed', type: 'timestamptz', nullable: true })
  dateCompleted: Date | null;

  @Column({ type: 'boolean', default: false })
  completed: boolean;

  /** 0-100. */
  @Column({ type: 'int', default: 0 })
  progress: number;

  /** Assignees. */
  @Column({ type: 'jsonb', default: [] })
  users: UserRef[];
}

/**
 * A task: ProProfs' fields plus PPM Express' (Group, Duration, Status, IsMilestone, Priority).
 * `external` marks a task synced from another tool (PPM Express fires no webhook for those).
 */
@Entity({ name: 'tasks' })
export class TaskEntity extends WorkItemEntity {
  @Column({ type: 'int', default: 0 })
  status: number;

  @Column({ type: 'jsonb', nullable: true })
  group: TaskGroup | null;

  /** Days. */
  @Column({ type: 'double precision', nullable: true })
  duration: number | null;

  @Column({ name: 'is_milestone', type: 'boolean', default: false })
  isMilestone: boolean;

  @Column({ type: 'int', default: 0 })
  priority: number;

  @Column({ type: 'boolean', default: false })
  external: boolean;

  /** For external tasks: the tool they come from and their id there. */
  @Column({ name: 'external_source', type: 'text', nullable: true })
  externalSource: string | null;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId: string | null;
}

@Entity({ name: 'subtasks' })
export class SubtaskEntity extends WorkItemEntity {
  @Column({ name: 'task_id', type: 'uuid' })
  taskId: string;
}

/** A comment on a task (taskId set) or on a project (taskId null). */
@Entity({ name: 'comments' })
export class CommentEntity extends TenantOwnedEntity {
  @Column({ name: 'project_id', type: 'uuid' })
  projectId: string;

  @Column({ name: 'task_id', type: 'uuid', nullable: true })
  taskId: string | null;

  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'jsonb' })
  author: UserRef;
}

@Entity({ name: 'calendar_events' })
export class CalendarEventEntity extends TenantOwnedEntity {
  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'start_at', type: 'timestamptz' })
  startAt: Date;

  @Column({ name: 'end_at', type: 'timestamptz', nullable: true })
  endAt: Date | null;

  @Column({ name: 'all_day', type: 'boolean', default: false })
  allDay: boolean;

  @Column({ type: 'text', nullable: true })
  location: string | null;

  @Column({ name: 'project_id', type: 'uuid', nullable: true })
  projectId: string | null;

  @Column({ type: 'jsonb', default: [] })
  users: UserRef[];
}

export const KEY_DATE_PARENT_TYPES = ['project', 'portfolio', 'program'] as const;
export type KeyDateParentType = (typeof KEY_DATE_PARENT_TYPES)[number];

/** PPM Express' key date, of a project, a portfolio or a program; internal or external. */
@Entity({ name: 'key_dates' })
export class KeyDateEntity extends TenantOwnedEntity {
  @Column({ name: 'parent_type', type: 'text' })
  parentType: KeyDateParentType;

  @Column({ name: 'parent_id', type: 'uuid' })
  parentId: string;

  /** = parentId when the parent is a project: what project-scoped hooks match on. */
  @Column({ name: 'project_id', type: 'uuid', nullable: true })
  projectId: string | null;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'int', default: 0 })
  type: number;

  @Column({ type: 'timestamptz' })
  date: Date;

  @Column({ name: 'is_complete', type: 'boolean', default: false })
  isComplete: boolean;

  @Column({ type: 'int', default: 0 })
  status: number;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'assigned_to', type: 'jsonb', default: [] })
  assignedTo: UserRef[];

  @Column({ name: 'show_on_timeline', type: 'boolean', default: true })
  showOnTimeline: boolean;

  @Column({ type: 'boolean', default: false })
  external: boolean;
}
