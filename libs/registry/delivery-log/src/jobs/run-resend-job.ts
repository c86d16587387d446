import { Inject, Injectable, Logger } from '@nestjs/common';
import { DeliveryContract, Headers, Topics, schemaHeaderValue, type Delivery } from '@herald/contracts';
import { KafkaClient, decodeMessage } from '@herald/platform/kafka';
import { DataSource } from 'typeorm';
import { DLQ_REDRIVE_MARKS_TABLE, qualified } from '../delivery-log.constants';
import { DeliveryLogRepository } from '../delivery-log.repository';
import { HookDirectory, ResendRefusedError, assertResendable, type HookRef } from '../hook-directory';
import { DeliveryResender, type ResendOrigin, type ResendSource } from '../resend/delivery-resender';
import { TopicRangeReader, type ReadMessage } from '../resend/dlq-reader';
import { chunked, Pacer } from './pacing';
import { ResendJobsRepository } from './resend-jobs.repository';
import { RESEND_JOB_SETTINGS, type DlqRange, type ResendJob, type ResendJobSettings } from './resend-job.types';

/** The worker lost the job (another took it over, or it is stopping): leave it as it is. */
export class JobLostError extends Error {}

/** How a run ended: finished (state set), or given back to be resumed. */
export type RunResult = 'succeeded' | 'failed' | 'lost';

interface Counts {
  scanned: number;
  produced: number;
  skipped: number;
}

/**
 * Runs one claimed job to its end, batch by batch: each batch is read, produced in requests of
 * bounded count and bytes, paced to the job rate, and then the job's cursor and counts are saved
 * (one short statement; no transaction is held across the scan). A worker that dies mid-job
 * leaves the cursor at the last saved batch; the job is resumed from there by whichever worker
 * claims it next, so at most one batch is produced twice (same `webhook-id`).
 */
@Injectable()
export class RunResendJob {
  private readonly logger = new Logger(RunResendJob.name);

  constructor(
    private readonly ds: DataSource,
    private readonly client: KafkaClient,
    private readonly reader: TopicRangeReader,
    private readonly log: DeliveryLogRepository,
    private readonly hooks: HookDirectory,
    private readonly resender: DeliveryResender,
    private readonly jobs: ResendJobsRepository,
    @Inject(RESEND_JOB_SETTINGS) private readonly settings: ResendJobSettings,
  ) {}

  async execute(job: ResendJob, owner: string, stopping: () => boolean = () => false): Promise<RunResult> {
    try {
      const hook = await this.activeHook(job);
      if (job.kind === 'replay') await this.replay(job, hook, owner, stopping);
      else await this.redrive(job, hook, owner, stopping);
      await this.jobs.finish(job.id, owner, 'succeeded', null);
      return 'succeeded';
    } catch (e) {
      if (e instanceof JobLostError) return 'lost';
      const message = e instanceof ResendRefusedError ? e.message : `${(e as Error).message ?? e}`;
      this.logger.warn(`${job.kind} job ${job.id} of ${job.subscriptionId} failed: ${message}`);
      await this.jobs.finish(job.id, owner, 'failed', message);
      return 'failed';
    }
  }

  private async activeHook(job: ResendJob): Promise<HookRef> {
    const hook = await this.hooks.find(job.tenantId, job.subscriptionId);
    assertResendable(hook, job.subscriptionId);
    return hook;
  }

  /** Produces sources in bounded requests at the job's pace; returns how many. */
  private async produce(hook: HookRef, sources: ResendSource[], origin: ResendOrigin, pacer: Pacer): Promise<number> {
    const s = this.settings;
    for (const chunk of chunked(sources, s.batchSize, s.batchBytes, (x) => Buffer.byteLength(x.body) + 512)) {
      await this.resender.resend(hook, chunk, origin);
      await pacer.sent(chunk.length);
    }
    return sources.length;
  }

  private async save(job: ResendJob, owner: string, p: Parameters<ResendJobsRepository['progress']>[2]): Promise<void> {
    if (!(await this.jobs.progress(job.id, owner, p))) throw new JobLostError();
  }

  private async replay(job: ResendJob, initialHook: HookRef, owner: string, stopping: () => boolean): Promise<void> {
    const since = job.since ?? job.createdAt;
    const window = { since, until: job.until };
    const span = Math.max(1, job.until.getTime() - since.getTime());
    const pacer = new Pacer(this.settings.ratePerSec);
    const counts: Counts = { scanned: job.scanned, produced: job.produced, skipped: job.skipped };
    let after = job.cursor?.kind === 'replay' ? job.cursor.after : null;
    let hook = initialHook;
    for (;;) {
      if (stopping()) throw new JobLostError();
      const page = await this.log.resendablePage(job.tenantId, job.subscriptionId, window, {
        limit: this.settings.batchSize,
        after,
      });
      if (page.length === 0) return;
      counts.produced += await this.produce(
        hook,
        page.map((d) => ({
          eventId: d.eventId,
          eventType: d.eventType,
          resourceType: d.resourceType,
          resourceId: d.resourceId,
          occurredAt: (d.occurredAt ?? d.createdAt).toISOString(),
          body: d.body,
        })),
        'replay',
        pacer,
      );
      counts.scanned += page.length;
      const last = page[page.length - 1];
      after = last.position;
      const covered = Math.min(1, Math.max(0, (last.createdAt.getTime() - since.getTime()) / span));
      await this.save(job, owner, { cursor: { kind: 'replay', after }, ...counts, progress: covered });
      if (page.length < this.settings.batchSize) return;
      hook = await this.activeHook(job); // disabled or deleted meanwhile: the job fails here
    }
  }

  private async redrive(job: ResendJob, initialHook: HookRef, owner: string, stopping: () => boolean): Promise<void> {
    const topic = this.client.topic(Topics.DeliveriesDlq);
    const counts: Counts = { scanned: job.scanned, produced: job.produced, skipped: job.skipped };
    let ranges: DlqRange[];
    let total: number;
    if (job.cursor?.kind === 'redrive') {
      ranges = job.cursor.ranges;
      total = job.total ?? 0;
    } else {
      // First run: from the hook's marks to the high watermarks now. Later dead letters wait for the next redrive.
      const marks: { partition: number; next_offset: string }[] = await this.ds.query(
        `SELECT partition, next_offset::text AS next_offset FROM ${qualified(DLQ_REDRIVE_MARKS_TABLE)}
          WHERE subscription_id = $1 AND topic = $2`,
        [job.subscriptionId, topic],
      );
      const markOf = new Map(marks.map((m) => [m.partition, BigInt(m.next_offset)]));
      const bounds = await this.reader.bounds(Topics.DeliveriesDlq);
      ranges = bounds.map((b) => {
        const mark = markOf.get(b.partition) ?? 0n;
        const from = mark > BigInt(b.low) ? mark : BigInt(b.low);
        return { partition: b.partition, from: String(from), to: b.high };
      });
      total = ranges.reduce((n, r) => n + Math.max(0, Number(BigInt(r.to) - BigInt(r.from))), 0);
      await this.save(job, owner, { cursor: { kind: 'redrive', ranges }, total, ...counts, progress: total === 0 ? 1 : 0 });
    }
    const pacer = new Pacer(this.settings.ratePerSec);
    const deliverySchema = schemaHeaderValue(DeliveryContract);
    let hook = initialHook;
    const left = (): number => ranges.reduce((n, r) => n + Math.max(0, Number(BigInt(r.to) - BigInt(r.from))), 0);
    await this.reader.scan(
      Topics.DeliveriesDlq,
      ranges,
      async ({ partition, messages, next }) => {
        if (stopping()) throw new JobLostError();
        const deliveries: Delivery[] = [];
        for (const { message } of messages as ReadMessage[]) {
          if (message.key?.toString('utf8') !== job.subscriptionId) continue;
          const schema = message.headers?.[Headers.Schema]?.toString();
          const decoded = decodeMessage(DeliveryContract, message);
          if ((schema && schema !== deliverySchema) || decoded.kind !== 'value' || decoded.value.tenantId !== job.tenantId) {
            counts.skipped += 1;
            continue;
          }
          deliveries.push(decoded.value);
        }
        if (deliveries.length) {
          hook = await this.activeHook(job);
          counts.produced += await this.produce(
            hook,
            deliveries.map((d) => ({
              eventId: d.eventId,
              eventType: d.eventType,
              resourceType: String(d.resourceType),
              resourceId: d.resourceId,
              projectId: d.projectId,
              occurredAt: d.occurredAt,
              body: d.body,
              contentType: d.contentType,
              headers: d.headers,
            })),
            'redrive',
            pacer,
          );
        }
        const range = ranges.find((r) => r.partition === partition);
        if (range) {
          counts.scanned += Math.max(0, Number(BigInt(next) - BigInt(range.from)));
          range.from = next;
        }
        // The mark moves after the produce: a crash in between sends this batch again (same webhook-id), never loses it.
        await this.ds.query(
          `INSERT INTO ${qualified(DLQ_REDRIVE_MARKS_TABLE)} (subscription_id, topic, partition, next_offset, updated_at)
           VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (subscription_id, topic, partition)
           DO UPDATE SET next_offset = GREATEST(${qualified(DLQ_REDRIVE_MARKS_TABLE)}.next_offset, EXCLUDED.next_offset), updated_at = now()`,
          [job.subscriptionId, topic, partition, next],
        );
        await this.save(job, owner, {
          cursor: { kind: 'redrive', ranges },
          total,
          ...counts,
          progress: total === 0 ? 1 : Math.min(1, 1 - left() / total),
        });
      },
      { maxBytes: this.settings.batchBytes * 2 },
    );
    if (counts.produced || counts.skipped) {
      this.logger.log(
        `redrove ${counts.produced} dead-lettered deliveries of ${job.subscriptionId} (${counts.skipped} poison messages left)`,
      );
    }
  }
}
