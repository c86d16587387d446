import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SubscriptionStatusSchema, type SubscriptionStatus } from '@herald/contracts';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionValidationError } from '../model/errors';
import { toView, type SubscriptionView } from '../model/view';
import { SubscriptionRepository } from '../persistence/subscription.repository';

export const MAX_PAGE_SIZE = 200;

export interface ListSubscriptionsCommand {
  tenantId: string;
  status?: SubscriptionStatus;
  /** Hooks that receive this event type ("*" hooks included). */
  eventType?: string;
  dialect?: string;
  url?: string;
  templateId?: string;
  /** Default 50, at most 200. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
  /** Header values as given, not redacted (see `ViewOptions`). */
  revealHeaders?: boolean;
}

export interface SubscriptionPage {
  items: SubscriptionView[];
  /** null on the last page. */
  nextCursor: string | null;
}

/**
 * A page's position: the external id of the last hook on the page before, in digits — a shape the
 * API documents (CURSOR_PATTERN), so every cursor its document allows is a page (the first hooks
 * after that position) and anything else is refused naming `cursor`.
 */
export const CURSOR_PATTERN = /^[0-9]{1,15}$/;
const encodeCursor = (externalId: number) => String(externalId);

function decodeCursor(cursor: string): number {
  if (!CURSOR_PATTERN.test(cursor)) throw new SubscriptionValidationError([{ path: 'cursor', message: 'not a cursor this API gives out (digits)' }]);
  return Number(cursor);
}

/** A tenant's subscriptions, oldest first, a page at a time (cursor-based: stable while hooks are added). */
@Injectable()
export class ListSubscriptions {
  constructor(
    private readonly ds: DataSource,
    private readonly secrets: SubscriptionSecrets,
  ) {}

  async execute(c: ListSubscriptionsCommand): Promise<SubscriptionPage> {
    const limit = c.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new SubscriptionValidationError([{ path: 'limit', message: `between 1 and ${MAX_PAGE_SIZE}` }]);
    }
    if (c.status !== undefined && !SubscriptionStatusSchema.safeParse(c.status).success) {
      throw new SubscriptionValidationError([{ path: 'status', message: `one of ${SubscriptionStatusSchema.options.join(', ')}` }]);
    }
    const after = c.cursor ? decodeCursor(c.cursor) : 0;
    const rows = await new SubscriptionRepository(this.ds.manager).list(
      c.tenantId,
      { status: c.status, eventType: c.eventType, dialect: c.dialect, url: c.url, templateId: c.templateId },
      limit + 1,
      after,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((s) => toView(s, this.secrets, new Date(), { revealHeaders: c.revealHeaders })),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].externalId) : null,
    };
  }
}
