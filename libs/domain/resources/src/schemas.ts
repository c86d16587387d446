import { z } from 'zod';
import { EMAIL_PATTERN, queryInt, safeText } from '@herald/domain/tenancy';
import { KEY_DATE_PARENT_TYPES } from './entities/task.entity';
import { PROJECT_STATUSES } from './entities/project.entity';
import { CURSOR_PATTERN } from './resource.repository';

/**
 * The native API's DTOs. Every object is strict (an unknown field is a 400). Field names are the
 * resource's state names; user references are given as ids (`userIds`, `managerIds`, …) and
 * stored expanded (id, full name, e-mail) so events carry what every dialect prints.
 *
 * Each bound is the column's: text has no NUL and no unpaired surrogate (PostgreSQL's `text` and
 * `jsonb` refuse the first, UTF-8 cannot carry the second), an `int` column takes a 32-bit
 * integer, a `double precision` column a finite number. The OpenAPI document is generated from
 * these schemas, so what it promises is what is accepted.
 */
const id = z.uuid();
const name = safeText(500, { notBlank: true, trim: true });
const text = safeText(20_000);
const dateTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time, e.g. 2022-02-14T12:00:00Z' });
/** An `int` column. */
const int = z.int32();
/** A `double precision` column (JSON has no NaN or Infinity; zod refuses them anyway). */
const num = z.number();
/** Days (a task's duration, a template task's offset): at most a century, so dates derived from them stay dates. */
const days = z.number().min(0).max(36_500);
const percent = z.int32().min(0).max(100);
const userIds = z.array(id).max(200);
/** A link: http(s), a host name or address, printable ASCII after it (one pattern, read alike by every regex dialect). */
const httpUrl = z
  .string()
  .max(2000)
  .regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?$/, 'an http(s) URL, e.g. https://example.com/discussion/1');
/** An e-mail address, by pattern (JSON Schema's `format: email` is read differently by every validator). */
const emailAddress = z.string().max(320).regex(EMAIL_PATTERN, 'a valid e-mail address');

/** How deep `attributes` values may nest (objects and arrays). */
export const MAX_ATTRIBUTE_DEPTH = 3;
const attributeKey = safeText(200).min(1);
/** A JSON value nested at most `depth` more levels; every string and key safe text. */
function attributeValue(depth: number): z.ZodType {
  const scalars = [z.null(), z.boolean(), z.number(), safeText(2_000)] as const;
  if (depth === 0) return z.union(scalars).meta({ id: 'AttributeScalar' });
  const inner = attributeValue(depth - 1);
  return z
    .union([...scalars, z.array(inner).max(100), z.record(attributeKey, inner)])
    .meta({ id: `AttributeValue${depth}`, description: `A JSON value; objects and arrays nest at most ${depth} more levels.` });
}
const attributes = z
  .record(attributeKey, attributeValue(MAX_ATTRIBUTE_DEPTH))
  .describe(
    `Extra attributes (custom fields); on update, keys are merged and a null value removes a key. Values nest at most ${MAX_ATTRIBUTE_DEPTH} levels.`,
  );
const groupRef = z.strictObject({ id: safeText(200).min(1), name: safeText(200), color: safeText(32).nullable() });

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
  tags: z.array(safeText(100).min(1)).max(100).optional(),
  sponsorId: id.nullish(),
  submitterId: id.nullish(),
  challenge: z.strictObject({ id: safeText(200).min(1), name: safeText(500) }).nullish(),
  childProjectId: id.nullish(),
  discussionUrl: httpUrl.nullish(),
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
  duration: days.nullish(),
  isMilestone: z.boolean().optional(),
  priority: int.optional(),
  external: z.boolean().optional().describe('Synced from another tool (PPM Express fires no Task webhook for these).'),
  externalSource: safeText(200).nullish(),
  externalId: safeText(500).nullish(),
});
/** A task stays in its project (its subtasks and comments carry the project too). */
export const TaskUpdateSchema = TaskCreateSchema.omit({ projectId: true }).partial();

export const SubtaskCreateSchema = z.strictObject({ taskId: id, ...workItem });
export const SubtaskUpdateSchema = SubtaskCreateSchema.omit({ taskId: true }).partial();

/** At most 10,000 characters: a comment, not a document (and what a test generator can still draw). */
const commentBody = safeText(10_000, { notBlank: true, trim: true });

export const CommentCreateSchema = z
  .strictObject({
    taskId: id.optional().describe('Comment on a task (its project is taken from the task).'),
    projectId: id.optional().describe('Comment on a project (when no taskId).'),
    body: commentBody,
    attributes: attributes.optional(),
  })
  .refine((c) => c.taskId !== undefined || c.projectId !== undefined, {
    message: 'taskId or projectId is required',
    path: ['taskId'],
  })
  // The refinement, as JSON Schema says it.
  .meta({ anyOf: [{ required: ['taskId'] }, { required: ['projectId'] }] });
export const CommentUpdateSchema = z.strictObject({
  body: commentBody.optional(),
  attributes: attributes.optional(),
});

export const ClientCreateSchema = z.strictObject({
  name,
  contactName: safeText(500).nullish(),
  email: emailAddress.nullish(),
  phone: safeText(100).nullish(),
  website: safeText(2000).nullish(),
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
  location: safeText(1000).nullish(),
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
  description: safeText(2_000).nullish(),
  startOffsetDays: z.int32().min(0).max(3650).optional(),
  duration: days.optional(),
  isMilestone: z.boolean().optional(),
  priority: int.optional(),
  group: groupRef.nullish(),
});

export const ProjectTemplateCreateSchema = z.strictObject({
  name,
  description: text.nullish(),
  projectDefaults: ProjectCreateSchema.partial().optional(),
  tasks: z.array(TemplateTaskSchema).max(100).optional(),
  attributes: attributes.optional(),
});
export const ProjectTemplateUpdateSchema = ProjectTemplateCreateSchema.partial();

const limit = queryInt(1, 1000).default(50);
const offset = queryInt(0, 2_147_483_647).optional();

/**
 * `?limit&offset&cursor&projectId…`: the filters each resource allows are added per resource.
 * With a cursor, offset skips that many rows after the cursor's position.
 */
export function listQuerySchema(filters: readonly string[]) {
  return z.strictObject({
    limit,
    offset,
    cursor: z
      .string()
      .regex(CURSOR_PATTERN, 'page.nextCursor of the previous page (<createdAt>_<id>)')
      .optional()
      .describe('page.nextCursor of the previous page: the position after which the page starts'),
    ...Object.fromEntries(filters.map((f) => [f, f.endsWith('Id') ? id.optional() : safeText(200).optional()])),
  });
}
