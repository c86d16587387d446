import { Injectable, Logger } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import { Headers, safeTruncate, type TopicSpec } from '@herald/contracts';
import { HeraldProducer } from './producer';
import { headersOf } from './decode';
import { classifyFailure } from './failure-class';

export interface MessageSource {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Moves a message that cannot be handled to a dead-letter topic with the reason in its headers,
 * so a consumer never crashes or loops on it and it never vanishes.
 */
@Injectable()
export class DeadLetterWriter {
  private readonly logger = new Logger('DeadLetter');

  constructor(private readonly producer: HeraldProducer) {}

  /**
   * Produces the dead letter (same key, value and headers, plus the reason, error class and
   * source). If the broker refuses even that as too large, the dead letter goes without its
   * value (`herald-dlq-value-omitted-bytes` says how large it was): its key, headers and reason
   * still say what was lost, and nothing waits behind it. Other failures are thrown (the caller
   * retries: a dead letter is never dropped because the broker is away).
   */
  async deadLetter(
    dlq: TopicSpec,
    source: MessageSource,
    message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>,
    reason: string,
    errorClass = 'invalid',
    extraHeaders: Record<string, string> = {},
  ): Promise<void> {
    this.logger.warn(`dead-lettering ${source.topic}[${source.partition}]@${source.offset} to ${dlq.name}: ${reason}`);
    const key = message.key?.toString('utf8') ?? `${source.topic}:${source.partition}:${source.offset}`;
    const headers = {
      ...headersOf(message),
      [Headers.DlqReason]: safeTruncate(reason, 1000),
      [Headers.DlqErrorClass]: errorClass,
      [Headers.DlqSourceTopic]: source.topic,
      [Headers.DlqSourcePartition]: String(source.partition),
      [Headers.DlqSourceOffset]: source.offset,
      [Headers.DlqAt]: new Date().toISOString(),
      ...extraHeaders,
    };
    try {
      await this.producer.sendRaw(dlq, [{ key, value: message.value, headers }]);
    } catch (e) {
      const failure = classifyFailure(e);
      if (failure.kind !== 'message' || message.value === null) throw e;
      const bytes = Buffer.byteLength(message.value);
      this.logger.warn(`the dead letter of ${source.topic}[${source.partition}]@${source.offset} was refused (${failure.label}): written without its ${bytes}-byte value`);
      await this.producer.sendRaw(dlq, [{ key, value: null, headers: { ...headers, [Headers.DlqValueOmittedBytes]: String(bytes) } }]);
    }
  }
}
