import { Inject, Injectable } from '@nestjs/common';
import { assertResendable, HookDirectory } from '../hook-directory';
import { ResendJobsRepository } from './resend-jobs.repository';
import { RESEND_JOB_SETTINGS, type ResendJob, type ResendJobSettings } from './resend-job.types';
import { ResendJobWorker } from './resend-job-worker';

export type StartResendJobCommand =
  | { tenantId: string; subscriptionId: string; kind: 'replay'; since: Date }
  | { tenantId: string; subscriptionId: string; kind: 'redrive' };

/** The tenant has as many unfinished jobs as it may have at once. */
export class TooManyJobsError extends Error {
  constructor(readonly limit: number) {
    super(`at most ${limit} replay or redrive jobs may be queued or running at once for a tenant: wait for one to finish`);
  }
}

/**
 * Records a replay or DLQ redrive job (answered with 202 and the job) and wakes this process's
 * worker. Refused when the hook is missing (404) or off (409), when it already has an unfinished
 * job (409: the database's partial unique index decides, so two replicas racing still make one),
 * or when the tenant has too many (429).
 */
@Injectable()
export class StartResendJob {
  constructor(
    private readonly hooks: HookDirectory,
    private readonly jobs: ResendJobsRepository,
    private readonly worker: ResendJobWorker,
    @Inject(RESEND_JOB_SETTINGS) private readonly settings: ResendJobSettings,
  ) {}

  async execute(cmd: StartResendJobCommand): Promise<ResendJob> {
    const hook = await this.hooks.find(cmd.tenantId, cmd.subscriptionId);
    assertResendable(hook, cmd.subscriptionId);
    if ((await this.jobs.countActive(cmd.tenantId)) >= this.settings.maxActivePerTenant) {
      throw new TooManyJobsError(this.settings.maxActivePerTenant);
    }
    const job = await this.jobs.insert({
      tenantId: cmd.tenantId,
      subscriptionId: hook.id,
      kind: cmd.kind,
      since: cmd.kind === 'replay' ? cmd.since : null,
      // A replay never picks up what it produces itself: everything it sends is logged after this.
      until: new Date(),
    });
    this.worker.wake();
    return job;
  }
}
