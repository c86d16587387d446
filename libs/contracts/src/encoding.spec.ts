import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { describeIssues, encodeMessage, encodeOwn, issueLines, messageHeaders, traceHeaders, tryEncode } from './encoding';
import { Headers } from './headers';
import { ResourceChangeContract, type MessageContract } from './messages';
import type { ResourceChange } from './resource-change';

const change = (over: Partial<ResourceChange> = {}): ResourceChange => ({
  eventId: randomUUID(),
  tenantId: 't1',
  resourceType: 'task',
  resourceId: 'r1',
  action: 'created',
  occurredAt: '2026-11-25T10:00:00.000Z',
  initiator: { userId: 'u1', fullName: 'Ann', logonAccount: 'ann@example.com' },
  after: { id: 'r1' },
  changedFields: [],
  ...over,
});
const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('encodeOwn', () => {
  it('encodes a value the service built like encodeMessage: same key, value and headers', () => {
    const c = change({ projectId: 'p1', traceparent: tp });
    const opts = { trace: { [Headers.TraceParent]: tp }, headers: { [Headers.Producer]: 'router' } };
    const own = encodeOwn(ResourceChangeContract, c, opts);
    const checked = encodeMessage(ResourceChangeContract, c, opts);
    expect({ ...own, value: JSON.parse(own.value) }).toEqual({ ...checked, value: JSON.parse(checked.value) });
  });

  it('does not parse it again: what was built is what is sent (the builders\' specs check it parses to itself)', () => {
    const c = { ...change(), extra: 'kept' } as ResourceChange;
    expect(JSON.parse(encodeOwn(ResourceChangeContract, c).value)).toEqual(c);
    expect(() => encodeMessage(ResourceChangeContract, { ...c, tenantId: '' })).toThrow();
    expect(encodeOwn(ResourceChangeContract, { ...c, tenantId: '' }).key).toBe(':task:r1');
  });
});

describe('encodeMessage', () => {
  it("keys by the contract, sends the parsed value and sets the schema header", () => {
    const c = change();
    const m = encodeMessage(ResourceChangeContract, { ...c, extra: 'dropped' } as ResourceChange);
    expect(m.key).toBe('t1:task:r1');
    expect(JSON.parse(m.value)).toEqual(c);
    expect(m.headers).toEqual({ [Headers.Schema]: 'resource-change/1' });
  });

  it('takes traceparent and tracestate from the trace carrier and nothing else; further headers come last', () => {
    const m = encodeMessage(ResourceChangeContract, change(), {
      trace: { [Headers.TraceParent]: tp, [Headers.TraceState]: 'a=1', baggage: 'x', 'herald-due-at': '1' },
      headers: { [Headers.Producer]: 'billing', [Headers.Schema]: 'overridden/9' },
    });
    expect(m.headers).toEqual({
      [Headers.Schema]: 'overridden/9',
      [Headers.TraceParent]: tp,
      [Headers.TraceState]: 'a=1',
      [Headers.Producer]: 'billing',
    });
    expect(traceHeaders({ [Headers.TraceParent]: '', [Headers.TraceState]: undefined })).toEqual({});
    expect(traceHeaders(undefined)).toEqual({});
  });

  it('throws the validation error for an invalid value', () => {
    expect(() => encodeMessage(ResourceChangeContract, change({ action: 'completed', resourceType: 'client' }))).toThrow(z.ZodError);
  });
});

describe('tryEncode', () => {
  it('verbatim: validates but sends the value exactly as given', () => {
    const given = { extra: 1, ...change() };
    const r = tryEncode(ResourceChangeContract, given, { verbatim: true });
    expect(r.ok && r.message.value).toBe(JSON.stringify(given));
  });

  it('an invalid value: the error and the headers it would have had, nothing thrown', () => {
    const r = tryEncode(ResourceChangeContract, { ...change(), eventId: 'nope' }, { headers: { [Headers.Producer]: 'p' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.headers).toEqual({ [Headers.Schema]: 'resource-change/1', [Headers.Producer]: 'p' });
    expect(describeIssues(r.error)).toMatch(/^eventId: /);
  });

  it('names an issue about the whole value by the root label given, and limits how many are listed', () => {
    const contract: MessageContract<string> = {
      type: 't',
      version: 2,
      schema: z.string(),
      key: (v) => v,
      dlq: ResourceChangeContract.dlq,
      tombstones: false,
    };
    const r = tryEncode(contract, 42);
    if (r.ok) throw new Error('expected invalid');
    expect(issueLines(r.error)[0]).toMatch(/^\(root\): /);
    expect(describeIssues(r.error, '')).toMatch(/^: /);
    const many = tryEncode(ResourceChangeContract, {});
    if (many.ok) throw new Error('expected invalid');
    expect(describeIssues(many.error, '(root)', 2).split('; ')).toHaveLength(2);
    expect(messageHeaders(contract)).toEqual({ [Headers.Schema]: 't/2' });
  });
});
