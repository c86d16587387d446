import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { spawnService, startReceiver, waitFor, type ReceivedRequest, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from './herald-stack';

// Issue 7, "one trace per change": the four services as processes over the real broker, each
// exporting OTLP/HTTP JSON to a receiver of the test's own; one task change must be ONE trace
// from the domain API's request to the dispatcher's outbound call, in parent/child order.
jest.setTimeout(240_000);

/** OTLP span kinds (opentelemetry-proto `Span.SpanKind`). */
const Kind = { Internal: 1, Server: 2, Client: 3, Producer: 4, Consumer: 5 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

/** One exported span, flattened: its service and its attributes as a plain object. */
interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

const valueOf = (v: OtlpValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue ?? ''));
const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** Every span the collector received so far (OTLP/HTTP JSON, gzip or not). */
function spansOf(requests: readonly ReceivedRequest[]): ExportedSpan[] {
  const out: ExportedSpan[] = [];
  for (const r of requests) {
    if (r.method !== 'POST' || r.path !== '/v1/traces') continue;
    const body = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;
    const exported = JSON.parse(body.toString('utf8')) as OtlpExport;
    for (const rs of exported.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          out.push({
            service,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: s.kind,
            attributes: attributesOf(s.attributes),
          });
    }
  }
  return out;
}

describe('tracing: one change is one trace across the four services', () => {
  let stack: HeraldStack;
  let tenant: Tenant;
  let collector: Receiver;
  let receiver: Receiver;

  beforeAll(async () => {
    collector = await startReceiver({ defaultResponse: { status: 200, body: {} } });
    receiver = await startReceiver();
    stack = await HeraldStack.start(
      'tracing',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      // The request log line is where the test finds the domain API's trace_id (a request that
      // went well has its line at debug level).
      { 'domain-api': { LOG_LEVEL: 'debug' } },
    );
    tenant = await stack.createTenant(`tr-${randomUUID().slice(0, 8)}`);
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([collector, receiver].map((r) => r?.close()));
  });

  it('request → outbox.publish → route → deliver → HTTP call (and its retry), registry outcomes: one trace id, parent before child', async () => {
    const project = await stack.call<{ id: string }>('domain-api', 'POST', '/v1/projects', tenant.apiKey, {
      name: 'Traced',
    });
    expect(project.status).toBe(201);
    // First attempt fails, the retry (through a retry tier) succeeds: both belong to the change's trace.
    receiver.enqueue({ status: 503, body: 'not yet' });
    let hook: { status: number; body: { id: string } } | undefined;
    const until = Date.now() + 30_000;
    do {
      hook = await stack.call<{ id: string }>('subscription-registry', 'POST', '/v1/webhooks', tenant.apiKey, {
        url: `${receiver.url}/hooks/traced`,
        eventTypes: ['task.created'],
        scope: { kind: 'project', projectId: project.body.id },
        retryPolicy: { scheduleMs: [1_000], maxAttempts: 3 },
      });
      if (hook.status !== 401) break;
      await new Promise((r) => setTimeout(r, 250)); // the key reaches the registry over herald.principals.v1
    } while (Date.now() < until);
    expect(hook.status).toBe(201);
    await stack.routerHasSubscriptions(1);

    const created = await stack.call<{ id: string }>('domain-api', 'POST', '/v1/tasks', tenant.apiKey, {
      projectId: project.body.id,
      name: 'Follow me',
    });
    expect(created.status).toBe(201);
    const attempts = await receiver.waitForRequests(2, { timeoutMs: 60_000 });
    expect(attempts.map((r) => r.response.status)).toEqual([503, 200]);
    // Nothing is added to what the receiver gets.
    expect(attempts[0].headers['traceparent']).toBeUndefined();

    // The change's trace: the one holding the dispatcher's calls to this hook.
    const hookUrl = `${receiver.url}/hooks/traced`;
    let trace: ExportedSpan[] = [];
    await waitFor(
      () => {
        const spans = spansOf(collector.requests);
        const calls = spans.filter((s) => s.kind === Kind.Client && s.attributes['url.full'] === hookUrl);
        if (calls.length < 2) return false;
        trace = spans.filter((s) => s.traceId === calls[0].traceId);
        // Every span of the chain, the registry's three log writes (queued, retrying, delivered) and its read of the change.
        return trace.filter((s) => s.service === 'subscription-registry').length >= 4 && trace.length >= 11;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: "the change's spans at the OTLP receiver" },
    ).catch((e: Error) => {
      const seen = spansOf(collector.requests).map((s) => `${s.service} ${s.name} ${s.traceId}/${s.spanId}<-${s.parentSpanId}`);
      throw new Error(`${e.message}\nspans received:\n${seen.join('\n')}`);
    });

    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const parentOf = (s: ExportedSpan) => byId.get(s.parentSpanId);
    const one = (what: string, spans: ExportedSpan[]) => {
      expect({ what, count: spans.length }).toEqual({ what, count: 1 });
      return spans[0];
    };

    expect(new Set(trace.map((s) => s.traceId)).size).toBe(1);
    expect([...new Set(trace.map((s) => s.service))].sort()).toEqual([
      'delivery-dispatcher',
      'domain-api',
      'event-router',
      'subscription-registry',
    ]);

    // domain-api: the request's server span is the root; the outbox row's publish is its child.
    const request = one(
      'domain-api server span',
      trace.filter((s) => s.service === 'domain-api' && s.kind === Kind.Server),
    );
    expect(request.parentSpanId).toBe('');
    expect([request.name, request.attributes['http.route']]).toEqual(['POST /v1/tasks', '/v1/tasks']);
    expect(request.attributes['http.method'] ?? request.attributes['http.request.method']).toBe('POST');
    expect(String(request.attributes['http.target'] ?? request.attributes['url.path'])).toBe('/v1/tasks');
    const publish = one('outbox.publish', trace.filter((s) => s.name === 'outbox.publish'));
    expect([publish.service, publish.kind, parentOf(publish)]).toEqual(['domain-api', Kind.Producer, request]);

    // event-router: the routing of the change, child of the publish.
    const route = one('route resource-change', trace.filter((s) => s.name === 'route resource-change'));
    expect([route.service, route.kind, parentOf(route)]).toEqual(['event-router', Kind.Consumer, publish]);

    // delivery-dispatcher: one `deliver` span per attempt, the retry a child of the first
    // attempt (its tier message carried that span), each with its HTTP call as child.
    const delivers = trace.filter((s) => s.name === 'deliver');
    expect(delivers.map((s) => [s.service, s.kind])).toEqual([
      ['delivery-dispatcher', Kind.Consumer],
      ['delivery-dispatcher', Kind.Consumer],
    ]);
    const first = one('first attempt', delivers.filter((s) => parentOf(s) === route));
    const retry = one('retry', delivers.filter((s) => parentOf(s) === first));
    const calls = trace.filter((s) => s.kind === Kind.Client && s.service === 'delivery-dispatcher');
    expect(
      calls
        .map((c) => [parentOf(c)?.spanId, c.name, c.attributes['url.full'], c.attributes['http.status_code']])
        .sort((a, b) => Number(a[3]) - Number(b[3])),
    ).toEqual([
      [retry.spanId, 'POST', hookUrl, 200],
      [first.spanId, 'POST', hookUrl, 503],
    ].sort((a, b) => Number(a[3]) - Number(b[3])));

    // subscription-registry: each log write is a consumer span, child of what wrote the message
    // it logs: the delivery itself (the router's routing) for Queued, read from the deliveries
    // topic, and each attempt's outcome for `retrying` and `delivered`; its project-template
    // consumer reads the change itself, next to the router.
    const registry = trace.filter((s) => s.service === 'subscription-registry');
    expect(registry.every((s) => s.kind === Kind.Consumer)).toBe(true);
    const logged = registry.filter((s) => s.name === 'process delivery-outcome');
    expect(logged.map((s) => parentOf(s)?.spanId).sort()).toEqual([first.spanId, retry.spanId].sort());
    expect(registry.filter((s) => s.name === 'log queued delivery').map(parentOf)).toEqual([route]);
    expect(registry.filter((s) => s.name === 'process resource-change').map(parentOf)).toEqual([publish]);

    // pino: the domain API's log line for the request carries its trace and span ids.
    const lines = stack.services
      .get('domain-api')!
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { trace_id?: string; span_id?: string; req?: { url?: string; method?: string } });
    expect(lines.filter((l) => l.req?.method === 'POST' && l.req.url === '/v1/tasks').map((l) => [l.trace_id, l.span_id])).toEqual([
      [request.traceId, request.spanId],
    ]);
    console.log(
      `one trace ${request.traceId}: ${trace.length} spans — ${trace
        .map((s) => `${s.service}:${s.name}`)
        .join(', ')}`,
    );
  });

  it('SIGTERM flushes the spans still buffered before the process exits', async () => {
    // A batch delay far longer than the test: the span can only leave with the shutdown flush.
    const router = await spawnService('event-router', {
      ...stack.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    const path = `/not-a-route-${randomUUID()}`;
    expect((await fetch(`${router.url}${path}`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 500));
    const served = () =>
      spansOf(collector.requests).filter(
        (s) => s.service === 'event-router' && s.kind === Kind.Server && String(s.attributes['http.target'] ?? s.attributes['url.path']) === path,
      );
    expect(served()).toEqual([]);
    const exit = await router.stop();
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(served()).toHaveLength(1);
  });
});
