import { Injectable, Logger } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import { Headers, safeTruncate, type TopicSpec } from '@herald/contracts';
import { HeraldProducer } from './producer';
import { headersOf } from './decode';

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

  async deadLetter(
    dlq: TopicSpec,
    source: MessageSource,
    message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>,
    reason: string,
    errorClass = 'invalid',
  ): Promise<void> {
    this.logger.warn(`dead-lettering ${source.topic}[${source.partition}]@${source.offset} to ${dlq.name}: ${reason}`);
    await this.producer.sendRaw(dlq, [
      {
        key: message.key?.toString('utf8') ?? `${source.topic}:${source.partition}:${source.offset}`,
        value: message.value,
        headers: {
          ...headersOf(message),
          [Headers.DlqReason]: safeTruncate(reason, 1000),
          [Headers.DlqErrorClass]: errorClass,
          [Headers.DlqSourceTopic]: source.topic,
          [Headers.DlqSourcePartition]: String(source.partition),
          [Headers.DlqSourceOffset]: source.offset,
          [Headers.DlqAt]: new Date().toISOString(),
        },
      },
    ]);
  }
}
