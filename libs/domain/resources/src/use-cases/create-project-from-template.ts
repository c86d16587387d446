import { NotFoundError, UnprocessableError, parseCommand } from '@herald/domain/tenancy';
import { definitionOf, type ResourceState } from '../definitions';
import type { ProjectTemplateEntity } from '../entities/project.entity';
import { ResourceRepository } from '../resource.repository';
import { ProjectFromTemplateSchema } from '../schemas';
import type { CreateProjectFromTemplateCommand } from './resource-commands';
import { ResourceWriteUseCase } from './write-resources';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The last instant an ISO 8601 date-time with a 4-digit year (what the API accepts) can name. */
const MAX_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A date derived from the project's start: 422 when it falls past year 9999. */
function derivedDate(ms: number, path: string): Date {
  if (!Number.isFinite(ms) || ms > MAX_DATE_MS) {
    throw new UnprocessableError(`${path}: the template's task would start or end after the year 9999`, [
      { path, message: "the template's task would start or end after the year 9999" },
    ]);
  }
  return new Date(ms);
}

export interface ProjectFromTemplate {
  project: ResourceState;
  tasks: ResourceState[];
}

/**
 * A project from a template: an action of its own. The project starts with the template's
 * defaults (overridden by the input) and its `templateId` set, so its `project.created` event
 * tells the registry to copy the template's project-level hooks; the template's tasks follow as
 * `task.created` events, all in one transaction.
 */
export class CreateProjectFromTemplate extends ResourceWriteUseCase {
  execute(c: CreateProjectFromTemplateCommand): Promise<ProjectFromTemplate> {
    const overrides = parseCommand(ProjectFromTemplateSchema, c.input);
    const projectDef = definitionOf('project');
    return this.ds.transaction(async (m) => {
      const template = (await new ResourceRepository(m, definitionOf('project_template')).get(
        c.tenantId,
        c.templateId,
      )) as ProjectTemplateEntity | null;
      if (!template) throw new NotFoundError('project template', c.templateId);
      const input = parseCommand(projectDef.createSchema, {
        ...template.projectDefaults,
        name: (template.projectDefaults['name'] as string | undefined) ?? template.name,
        ...overrides,
      });
      const project = await this.writer.create(m, c, projectDef, input, { templateId: template.id });
      const start = typeof project['startDate'] === 'string' ? Date.parse(project['startDate']) : null;
      const tasks: ResourceState[] = [];
      for (const t of template.tasks) {
        const startDate = start !== null ? derivedDate(start + (t.startOffsetDays ?? 0) * DAY_MS, 'startDate') : null;
        const dueDate = startDate && t.duration !== undefined ? derivedDate(startDate.getTime() + t.duration * DAY_MS, 'startDate') : null;
        const taskInput = parseCommand(definitionOf('task').createSchema, {
          projectId: project['id'],
          name: t.name,
          description: t.description ?? null,
          startDate: startDate?.toISOString() ?? null,
          dueDate: dueDate?.toISOString() ?? null,
          duration: t.duration ?? null,
          isMilestone: t.isMilestone ?? false,
          priority: t.priority ?? 0,
          group: t.group ?? null,
        });
        tasks.push(await this.writer.create(m, c, definitionOf('task'), taskInput));
      }
      return { project, tasks };
    });
  }
}
