import { Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SubscriptionSecrets, mapSecretFields } from '@herald/registry/secrets';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionLimits } from '../model/limits';
import { liveSigningSecrets } from '../model/signing-secret-rotation';
import { SubscriptionEntity } from '../persistence/subscription.entity';
import { SubscriptionRepository } from '../persistence/subscription.repository';
import { SnapshotPublisher } from '../publishing/snapshot-publisher';

export interface CopyTemplateHooksCommand {
  tenantId: string;
  templateId: string;
  /** The project just created from the template. */
  projectId: string;
}

/**
 * A project created from a template gets a copy of each of the template's project-level hooks,
 * scoped to the new project (same receiver, settings and secrets, sealed for the copy; the copy belongs to the
 * project, not the template). Idempotent: a redelivered `project.created` copies nothing twice.
 */
@Injectable()
export class CopyTemplateHooks {
  constructor(
    private readonly ds: DataSource,
    private readonly publisher: SnapshotPublisher,
    private readonly secrets: SubscriptionSecrets,
    @Optional() private readonly limits: SubscriptionLimits = DEFAULT_SUBSCRIPTION_LIMITS,
  ) {}

  private readonly logger = new Logger('CopyTemplateHooks');

  async execute(c: CopyTemplateHooksCommand): Promise<{ copied: number }> {
    const copied = await this.ds.transaction(async (m) => {
      const repo = new SubscriptionRepository(m);
      await repo.lockTenantForInsert(c.tenantId);
      // Copies count toward the tenant's hooks: a template cannot multiply them past the limit.
      let room = this.limits.hooksPerTenant - (await repo.countForTenant(c.tenantId));
      let n = 0;
      let skipped = 0;
      let after = 0;
      for (;;) {
        const page = await repo.list(c.tenantId, { templateId: c.templateId }, 200, after);
        for (const source of page) {
          if (room <= 0) skipped += 1;
          else if (await repo.insertCopyIfAbsent(c.tenantId, this.copyOf(source, c.projectId))) {
            n += 1;
            room -= 1;
          }
        }
        if (page.length < 200) break;
        after = page[page.length - 1].externalId;
      }
      if (skipped > 0) {
        this.logger.warn(
          `tenant ${c.tenantId}: ${skipped} hook(s) of template ${c.templateId} not copied to project ${c.projectId} (unless copied before): the tenant has ${this.limits.hooksPerTenant} hooks, the most it may have`,
        );
      }
      return n;
    });
    if (copied > 0) await this.publisher.publishAfterCommit();
    return { copied };
  }

  private copyOf(source: SubscriptionEntity, projectId: string): SubscriptionEntity {
    const now = new Date();
    const on = source.status === 'active' || source.status === 'active-with-failures';
    const { externalId: _e, ...fields } = source;
    const copy = Object.assign(new SubscriptionEntity(), {
      ...fields,
      id: randomUUID(),
      scope: { kind: 'project', projectId },
      templateId: null,
      copiedFromId: source.id,
      status: on ? 'active' : 'disabled',
      statusReason: `copied from template hook ${source.id}`,
      statusChangedAt: now,
      consecutiveFailures: 0,
      signingSecrets: liveSigningSecrets(source.signingSecrets, now),
      version: 1,
      publishedVersion: 0,
      createdAt: now,
      updatedAt: now,
    });
    // Each value is bound to its subscription: the copy's are sealed again for the copy.
    return mapSecretFields(copy, (v) => this.secrets.moved(source, copy, v));
  }
}
