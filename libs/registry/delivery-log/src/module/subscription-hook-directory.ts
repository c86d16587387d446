import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HookDirectory, type HookRef } from '../hook-directory';
import { SubscriptionRepository } from '@herald/registry/subscriptions';

/** The delivery log's `HookDirectory`, read through the subscriptions repository (tenant first). */
@Injectable()
export class SubscriptionHookDirectory extends HookDirectory {
  constructor(private readonly ds: DataSource) {
    super();
  }

  async find(tenantId: string, subscriptionId: string): Promise<HookRef | null> {
    const s = await new SubscriptionRepository(this.ds.manager).find(tenantId, {
      id: subscriptionId,
    });
    return s ? { id: s.id, tenantId: s.tenantId, status: s.status, version: s.version, payloadFormat: s.payloadFormat } : null;
  }
}
