import { z } from 'zod';
import { KEY_DATE_PARENT_TYPES } from './entities/task.entity';
import { PROJECT_STATUSES } from './entities/project.entity';

/**
 * The native API's DTOs. Every object is strict (an unknown field is a 400). Field names are the
 * resource's state names; user references are given as ids (`userIds`, `managerIds`, …) and
 * stored expanded (id, full name, e-mail) so events carry what every dialect prints.
 */
const id = z.uuid();
const name = z.string().trim().min(1, 'must not be empty').max(500);
const text = z.string().max(20_000);
const dateTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time, e.g. 2022-02-14T12:00:00Z' });
const int = z.number().int();
const num = z.number().finite();
const percent = z.number().int().min(0).max(100);
const userIds = z.array(id).max(200);
const attributes = z
  .record(z.string().min(1).max(200), z.unknown())
  .describe('Extra attributes (custom fields); on update, keys are merged and a null value removes a key.');
const groupRef = z.strictObject({ id: z.string().min(1).max(200), name: z.string().max(200), color: z.string().max(32).nullable() });

export const PortfolioCreateSchema = z.strictObject({
  name,
  description: text.nullish(),
  managerIds: userIds.optional(),
  attributes: attributes.optional(),
});
export const PortfolioUpdateSchema = PortfolioCreateSchema.partial();

export const ProgramCreateSchema = z.strictObject({
  name,
  description: text.nullish(),
  portfolioId: id.nullish(),
  managerIds: userIds.optional(),
  attributes: attributes.optional(),
});
export const ProgramUpdateSchema = ProgramCreateSchema.partial();

const scored = {
  description: text.nullish(),
  startDate: dateTime.nullish(),
  finishDate: dateTime.nullish(),
  impact: num.optional(),
  risk: num.optional(),
  cost: num.optional(),
  revenue: num.optional(),
  efforts: num.optional(),
  budget: num.optional(),
  score: num.optional(),
  alignmentScore: num.optional(),
  stage: int.nullish(),
};

const projectFields = {
  ...scored,
  status: z.enum(PROJECT_STATUSES).optional(),
  progress: percent.optional(),
  priority: int.optional(),
  number: int.optional(),
  clientId: id.nullish(),
  portfolioId: id.nullish(),
  programId: id.nullish(),
  parentIdeaId: id.nullish(),
  highLevelScope: text.nullish(),
  risksStatus: int.optional(),
  issuesStatus: int.optional(),
  resourcesStatus: int.optional(),
  costStatus: int.optional(),
  scheduleStatus: int.optional(),
  overallStatus: int.optional(),
  reportedTime: num.optional(),
  plannedWork: num.optional(),
  managerIds: userIds.optional(),
  attributes: attributes.optional(),
};
export const ProjectCreateSchema = z.strictObject({ name, ...projectFields });
export const ProjectUpdateSchema = ProjectCreateSchema.partial();
/** Creating a project from a template: every project field is optional (the template fills them). */
export const ProjectFromTemplateSchema = ProjectCreateSchema.partial();

export const IdeaCreateSchema = z.strictObject({
  name,
  ...scored,
  businessPriority: int.optional(),
  expectedEfforts: num.optional(),
  expectedCost: num.optional(),
  tags: z.array(z.string().min(1).max(100)).max(100).optional(),
  sponsorId: id.nullish(),
  submitterId: id.nullish(),
  challenge: z.strictObject({ id: z.string().min(1).max(200), name: z.string().max(500) }).nullish(),
  childProjectId: id.nullish(),
  discussionUrl: z.url().max(2000).nullish(),
  attributes: attributes.optional(),
});
export const IdeaUpdateSchema = IdeaCreateSchema.partial();

const workItem = {
  name,
  description: text.nullish(),
  startDate: dateTime.nullish(),
  dueDate: dateTime.nullish(),
  progress: percent.optional(),
  userIds: userIds.optional(),
  attributes: attributes.optional(),
};

export const TaskCreateSchema = z.strictObject({
  projectId: id,
  ...workItem,
  status: int.optional(),
  group: groupRef.nullish(),
  duration: num.min(0).nullish(),
  isMilestone: z.boolean().optional(),
  priority: int.optional(),
  external: z.boolean().optional().describe('Synced from another tool (PPM Express fires no Task webhook for these).'),
  externalSource: z.string().max(200).nullish(),
  externalId: z.string().max(500).nullish(),
});
/** A task stays in its project (its subtasks and comments carry the project too). */
export const TaskUpdateSchema = TaskCreateSchema.omit({ projectId: true }).partial();

export const SubtaskCreateSchema = z.strictObject({ taskId: id, ...workItem });
export const SubtaskUpdateSchema = SubtaskCreateSchema.omit({ taskId: true }).partial();

export const CommentCreateSchema = z
  .strictObject({
    taskId: id.optional().describe('Comment on a task (its project is taken from the task).'),
    projectId: id.optional().describe('Comment on a project (when no taskId).'),
    body: z.string().trim().min(1, 'must not be empty').max(20_000),
    attributes: attributes.optional(),
  })
  .refine((c) => c.taskId !== undefined || c.projectId !== undefined, {
    message: 'taskId or projectId is required',
    path: ['taskId'],
  });
export const CommentUpdateSchema = z.strictObject({
  body: z.string().trim().min(1, 'must not be empty').max(20_000).optional(),
  attributes: attributes.optional(),
});

export const ClientCreateSchema = z.strictObject({
  name,
  contactName: z.string().max(500).nullish(),
  email: z.email().max(320).nullish(),
  phone: z.string().max(100).nullish(),
  website: z.string().max(2000).nullish(),
  address: text.nullish(),
  notes: text.nullish(),
  attributes: attributes.optional(),
});
export const ClientUpdateSchema = ClientCreateSchema.partial();

export const CalendarEventCreateSchema = z.strictObject({
  title: name,
  description: text.nullish(),
  startAt: dateTime,
  endAt: dateTime.nullish(),
  allDay: z.boolean().optional(),
  location: z.string().max(1000).nullish(),
  projectId: id.nullish(),
  userIds: userIds.optional(),
  attributes: attributes.optional(),
});
export const CalendarEventUpdateSchema = CalendarEventCreateSchema.partial();

export const KeyDateCreateSchema = z.strictObject({
  parentType: z.enum(KEY_DATE_PARENT_TYPES),
  parentId: id,
  name,
  type: int.optional(),
  date: dateTime,
  isComplete: z.boolean().optional(),
  status: int.optional(),
  description: text.nullish(),
  assignedToIds: userIds.optional(),
  showOnTimeline: z.boolean().optional(),
  external: z.boolean().optional().describe('Synced from another tool.'),
  attributes: attributes.optional(),
});
export const KeyDateUpdateSchema = KeyDateCreateSchema.omit({ parentType: true, parentId: true }).partial();

export const TemplateTaskSchema = z.strictObject({
  name,
  description: text.nullish(),
  startOffsetDays: int.min(0).max(3650).optional(),
  duration: num.min(0).optional(),
  isMilestone: z.boolean().optional(),
  priority: int.optional(),
  group: groupRef.nullish(),
});

export const ProjectTemplateCreateSchema = z.strictObject({
  name,
  description: text.nullish(),
  projectDefaults: ProjectCreateSchema.partial().optional(),
  tasks: z.array(TemplateTaskSchema).max(500).optional(),
  attributes: attributes.optional(),
});
export const ProjectTemplateUpdateSchema = ProjectTemplateCreateSchema.partial();

const limit = z.coerce.number().int().min(1).max(1000, 'at most 1000').default(50);
const offset = z.coerce.number().int().min(0).optional();

/** `?limit&offset|cursor&projectId…`: the filters each resource allows are added per resource. */
export function listQuerySchema(filters: readonly string[]) {
  return z
    .strictObject({
      limit,
      offset,
      cursor: z.string().min(1).max(200).optional(),
      ...Object.fromEntries(filters.map((f) => [f, f.endsWith('Id') ? id.optional() : z.string().optional()])),
    })
    .refine((q) => q.offset === undefined || q.cursor === undefined, {
      message: 'use offset or cursor, not both',
      path: ['cursor'],
    });
}
