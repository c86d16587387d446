import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { ConsumerGroups, ResourceChangeContract, Topics, type ResourceChange } from '@herald/contracts';
import { ConsumerDeps, ContractConsumer } from '@herald/platform/kafka';
import { CopyTemplateHooks } from '../use-cases/copy-template-hooks';

/**
 * Project templates carry their project-level hooks: a `project.created` change whose project
 * was made from a template (`after.templateId`) gets copies of that template's hooks.
 */
@Injectable()
export class TemplateHooksConsumer extends ContractConsumer<ResourceChange> implements BeforeApplicationShutdown {
  protected readonly contract = ResourceChangeContract;
  protected readonly topics = [Topics.ResourceChanges];
  protected readonly groupId = ConsumerGroups.SubscriptionRegistryResourceChanges;
  private stopped?: Promise<void>;

  constructor(
    deps: ConsumerDeps,
    private readonly copyTemplateHooks: CopyTemplateHooks,
  ) {
    super(deps);
  }

  /** Starts disconnecting before the other modules' hooks run: every consumer of the app stops at once, not one after another. */
  beforeApplicationShutdown(): void {
    this.stopped ??= super.onApplicationShutdown();
  }

  override async onApplicationShutdown(): Promise<void> {
    this.beforeApplicationShutdown();
    await this.stopped;
  }

  protected override async handle(change: ResourceChange | null): Promise<void> {
    if (!change || change.resourceType !== 'project' || change.action !== 'created') return;
    const templateId = change.after?.['templateId'];
    if (typeof templateId !== 'string' || templateId.length === 0) return;
    const { copied } = await this.copyTemplateHooks.execute({ tenantId: change.tenantId, templateId, projectId: change.resourceId });
    if (copied > 0) this.logger.log(`copied ${copied} hook(s) of template ${templateId} to project ${change.resourceId}`);
  }
}
