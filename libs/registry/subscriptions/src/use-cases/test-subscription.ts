import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TEST_EVENT_TYPE } from '@herald/contracts';
import { renderTestEvent } from '@herald/payload-formats';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionNotFoundError } from '../model/errors';
import { EndpointProbe, type EndpointAnswer } from '../model/ports';
import { liveSigningSecrets } from '../model/signing-secret-rotation';
import { SubscriptionRepository, describeRef, type SubscriptionRef } from '../persistence/subscription.repository';
import { targetOf } from './support';

export interface TestSubscriptionCommand {
  tenantId: string;
  subscription: SubscriptionRef;
}

export interface TestResult extends EndpointAnswer {
  /** The `webhook-id` the test went out with. */
  webhookId: string;
  eventType: typeof TEST_EVENT_TYPE;
  /** The body that was sent (and signed). */
  body: string;
}

/**
 * Sends a signed `webhook.test` event to the receiver now, whatever the hook's status, and
 * reports the answer. Nothing is retried or logged as a delivery: it is a probe for the user.
 */
@Injectable()
export class TestSubscription {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
    private readonly probe: EndpointProbe,
  ) {}

  async execute(c: TestSubscriptionCommand): Promise<TestResult> {
    const s = await new SubscriptionRepository(this.ds.manager).find(c.tenantId, c.subscription);
    if (!s) throw new SubscriptionNotFoundError(describeRef(c.subscription));
    const now = new Date();
    const webhookId = `msg_${randomUUID().replace(/-/g, '')}`;
    // Standard Webhooks' shape; a CloudEvent in the hook's mode for a CloudEvents hook.
    const { body, contentType, headers } = renderTestEvent(s.payloadFormat, { webhookId, tenantId: s.tenantId, subscriptionId: s.id, now });
    const target = targetOf(s, this.secrets);
    const answer = await this.probe.send({ ...target, headers: { ...headers, ...target.headers } }, {
      id: webhookId,
      timestamp: now,
      body,
      contentType,
      signingSecrets: liveSigningSecrets(s.signingSecrets, now).map((x) => this.secrets.open(s, x.secret)),
    });
    return { ...answer, webhookId, eventType: TEST_EVENT_TYPE, body };
  }
}
