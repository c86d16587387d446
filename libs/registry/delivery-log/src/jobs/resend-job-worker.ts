import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RESEND_JOB_SETTINGS, type ResendJob, type ResendJobSettings } from './resend-job.types';
import { ResendJobsRepository } from './resend-jobs.repository';
import { RunResendJob } from './run-resend-job';

/** Finished jobs are kept as long as the delivery history. */
const KEEP_FINISHED_MS = 28 * 86_400_000;

/**
 * Runs replay and redrive jobs in the registry process: claims queued jobs (or ones whose worker
 * went silent) up to `concurrency` at once, keeps a heartbeat on each, and on shutdown stops
 * them between batches and gives them back (queued again: the next worker resumes them from
 * their cursor). A worker killed outright leaves its jobs `running`; another takes them over once
 * their heartbeat is stale.
 */
@Injectable()
export class ResendJobWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ResendJobWorker.name);
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private polling = false;
  private again = false;
  private lastPurge = 0;

  constructor(
    private readonly jobs: ResendJobsRepository,
    private readonly runner: RunResendJob,
    @Inject(RESEND_JOB_SETTINGS) private readonly settings: ResendJobSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), this.settings.pollMs);
    this.timer.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }

  /** Look for work now (a POST calls it, so its own job starts without waiting for the poll). */
  wake(): void {
    if (this.stopping) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = true;
    void this.poll()
      .catch((e) => this.logger.warn(`resend job poll failed: ${(e as Error).message}`))
      .finally(() => {
        this.polling = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async poll(): Promise<void> {
    while (!this.stopping && this.running.size < this.settings.concurrency) {
      const job = await this.jobs.claim(this.owner, this.settings.staleAfterMs);
      if (!job) break;
      this.start(job);
    }
    if (Date.now() - this.lastPurge > 3_600_000) {
      this.lastPurge = Date.now();
      await this.jobs.purgeFinished(new Date(Date.now() - KEEP_FINISHED_MS));
    }
  }

  private start(job: ResendJob): void {
    const beat = setInterval(() => {
      void this.jobs.heartbeat(job.id, this.owner).catch(() => undefined);
    }, Math.max(1_000, Math.floor(this.settings.staleAfterMs / 5)));
    beat.unref();
    if (job.runs > 1) this.logger.log(`resuming ${job.kind} job ${job.id} (run ${job.runs})`);
    const run = this.runner
      .execute(job, this.owner, () => this.stopping)
      .then(async (result) => {
        // Stopped between batches: give it back at once rather than after the heartbeat goes stale.
        if (result === 'lost' && this.stopping) await this.jobs.release(job.id, this.owner);
      })
      .catch((e) => this.logger.error(`${job.kind} job ${job.id}: ${(e as Error).message}`))
      .finally(() => {
        clearInterval(beat);
        this.running.delete(job.id);
        this.wake();
      });
    this.running.set(job.id, run);
  }
}
