export * from './base';
export * from './portfolio.entity';
export * from './project.entity';
export * from './task.entity';

import { PortfolioEntity, ProgramEntity } from './portfolio.entity';
import { ClientEntity, IdeaEntity, ProjectEntity, ProjectTemplateEntity } from './project.entity';
import { CalendarEventEntity, CommentEntity, KeyDateEntity, SubtaskEntity, TaskEntity } from './task.entity';

export const RESOURCE_ENTITIES = [
  PortfolioEntity,
  ProgramEntity,
  ProjectEntity,
  ProjectTemplateEntity,
  TaskEntity,
  SubtaskEntity,
  CommentEntity,
  ClientEntity,
  CalendarEventEntity,
  IdeaEntity,
  KeyDateEntity,
];
