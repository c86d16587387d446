import { Injectable } from '@nestjs/common';
import { SubscriptionNotFoundError } from '../model/errors';
import type { SubscriptionView } from '../model/view';
import { GetSubscription } from './get-subscription';
import { ListSubscriptions, MAX_PAGE_SIZE } from './list-subscriptions';

export interface DialectViewOptions {
  /** Header values as given, not redacted (see `ViewOptions`). */
  revealHeaders?: boolean;
}

/**
 * What every dialect asks of the core about its own hooks: all of a tenant's at once (its APIs
 * do not page), or one by id or by integer external id — null when there is none, or when it
 * belongs to the native API or to another dialect (each API answers its own 404).
 */
@Injectable()
export class DialectSubscriptions {
  constructor(
    private readonly listSubscriptions: ListSubscriptions,
    private readonly getSubscription: GetSubscription,
  ) {}

  async all(tenantId: string, dialect: string, opts: DialectViewOptions = {}): Promise<SubscriptionView[]> {
    const out: SubscriptionView[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.listSubscriptions.execute({ tenantId, dialect, limit: MAX_PAGE_SIZE, cursor, revealHeaders: opts.revealHeaders });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  async byId(tenantId: string, dialect: string, id: string, opts: DialectViewOptions = {}): Promise<SubscriptionView | null> {
    const s = await orNull(this.getSubscription.execute({ tenantId, subscription: { id }, revealHeaders: opts.revealHeaders }));
    return s?.dialect === dialect ? s : null;
  }

  /** By the integer id the dialect shows (Worksection's and Procore's hook ids), given as text. */
  async byExternalId(tenantId: string, dialect: string, externalId: string): Promise<SubscriptionView | null> {
    if (!/^\d{1,15}$/.test(externalId)) return null;
    return orNull(this.getSubscription.execute({ tenantId, subscription: { externalId: Number(externalId), dialect } }));
  }
}

async function orNull(found: Promise<SubscriptionView>): Promise<SubscriptionView | null> {
  try {
    return await found;
  } catch (e) {
    if (e instanceof SubscriptionNotFoundError) return null;
    throw e;
  }
}
