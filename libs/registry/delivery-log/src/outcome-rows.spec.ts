import type { DeliveryOutcome } from '@herald/contracts';
import { outcomeWrites } from './outcome-rows';
import { DELIVERY_CURSOR_PATTERN, decodeCursor, decodePosition, encodeCursor, InvalidCursorError } from './cursor';
import { daySuffix, retentionWindow } from './partitions/partition-days';

const D = '0190a3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const base: DeliveryOutcome = {
  deliveryId: D,
  eventId: 'evt-1',
  subscriptionId: 'sub-1',
  tenantId: 't-1',
  eventType: 'task.created',
  resourceType: 'task',
  resourceId: 'r-1',
  status: 'queued',
  attempt: 0,
  at: '2026-11-25T10:00:00.000Z',
  origin: 'event',
};

describe('outcomeWrites', () => {
  it('merges out-of-order and duplicate outcomes: forward-only status, first final wins, first body wins', () => {
    const w = outcomeWrites([
      { ...base, status: 'delivered', attempt: 2, at: '2026-11-25T10:00:07.000Z', httpStatus: 200 },
      {
        ...base,
        status: 'retrying',
        attempt: 1,
        at: '2026-11-25T10:00:01.000Z',
        httpStatus: 503,
        nextAttemptAt: '2026-11-25T10:00:06.000Z',
      },
      { ...base, status: 'queued', attempt: 0, body: '{"a":1}' },
      {
        ...base,
        status: 'discarded',
        attempt: 2,
        at: '2026-11-25T10:00:08.000Z',
        errorClass: 'subscription_inactive',
      },
      { ...base, status: 'retrying', attempt: 1, at: '2026-11-25T10:00:01.000Z', httpStatus: 503 },
    ]);
    expect(w.deliveries).toHaveLength(1);
    expect(w.deliveries[0]).toMatchObject({
      status: 'delivered',
      status_rank: 2,
      body: '{"a":1}',
      at: base.at,
      attempt_count: 2,
      last_http_status: 200,
      next_attempt_at: null,
    });
    expect(w.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'retrying'],
      [2, 'delivered'],
    ]);
  });

  it("files a delivery under its routedAt whichever outcome comes first, an older producer's outcome (without it) under the earliest time", () => {
    const routedAt = '2026-11-25T09:59:59.500Z';
    const attempt = { ...base, status: 'delivered' as const, attempt: 1, at: '2026-11-25T10:00:02.000Z', httpStatus: 200 };
    // Each writer on its own (the outcomes consumer, the Queued consumer) files the same row.
    expect(outcomeWrites([{ ...attempt, routedAt }]).deliveries[0].at).toBe(routedAt);
    expect(outcomeWrites([{ ...base, at: routedAt, routedAt, body: '{}' }]).deliveries[0].at).toBe(routedAt);
    // An older dispatcher's attempt (no routedAt) first in the batch, a newer one's after it.
    expect(outcomeWrites([attempt, { ...attempt, attempt: 2, at: '2026-11-25T10:00:03.000Z', routedAt }]).deliveries[0].at).toBe(routedAt);
    expect(outcomeWrites([attempt]).deliveries[0].at).toBe(attempt.at);
  });

  it('takes the origin from the queued outcome', () => {
    const w = outcomeWrites([
      { ...base, status: 'retrying', attempt: 1, at: '2026-11-25T10:00:01.000Z' },
      { ...base, origin: 'redeliver' },
    ]);
    expect(w.deliveries[0].origin).toBe('redeliver');
  });
});

describe('cursor', () => {
  it('round-trips and refuses what it did not make', () => {
    const c = { epochMicros: '1795860000123456', deliveryId: D };
    expect(encodeCursor(c)).toBe(`1795860000123456_${D}`);
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(() => decodeCursor('bm9wZQ')).toThrow(InvalidCursorError);
  });

  it('takes every string of the documented shape and nothing else (fuzz:api: base64 of "1|<uuid>" reached PostgreSQL as a time)', () => {
    expect(DELIVERY_CURSOR_PATTERN.test(`0_${D.toUpperCase()}`)).toBe(true);
    expect(decodeCursor(`0000_${D.toUpperCase()}`)).toEqual({ epochMicros: '0', deliveryId: D.toLowerCase() });
    expect(decodeCursor(`9999999999999999_${D}`).epochMicros).toBe('9999999999999999');
    for (const bad of [Buffer.from(`1|${D}`).toString('base64url'), `1.5_${D}`, `-1_${D}`, `12345678901234567_${D}`, `1_${D}x`, `1_${D}\u0000`, '']) {
      expect(() => decodeCursor(bad)).toThrow(InvalidCursorError);
    }
  });

  it("resumes a replay job saved with the former position (base64url of '<ISO time>|<id>')", () => {
    const legacy = Buffer.from(`2026-11-25T10:00:00.123456Z|${D}`, 'utf8').toString('base64url');
    expect(decodePosition(legacy)).toEqual({ epochMicros: String(Date.parse('2026-11-25T10:00:00.123Z') * 1000 + 456), deliveryId: D });
    expect(() => decodePosition(Buffer.from(`2026-02-31T10:00:00.123456Z|${D}`).toString('base64url'))).toThrow(InvalidCursorError);
    expect(() => decodePosition(Buffer.from(`1|${D}`).toString('base64url'))).toThrow(InvalidCursorError);
  });
});

describe('retentionWindow', () => {
  it('keeps the day holding now - retention up to daysAhead after today', () => {
    const w = retentionWindow(new Date('2026-11-25T13:00:00Z'), 28, 3);
    expect(daySuffix(w.firstDay)).toBe('20261028');
    expect(daySuffix(w.lastDay)).toBe('20261128');
  });
});
