import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { CloudEvent, HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import { signatureHeaders } from '@herald/delivery/signing';
import { freePort, startReceiver, waitFor, type ReceivedRequest, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from './herald-stack';
import { LANGUAGES, RunningSnippet, type Language } from './receivers/snippets';

// Issue 16, items 5 and 6: the receiver guide's snippets (docs/receivers/*) run against real
// Herald deliveries, and CloudEvents as a receiver built on the cloudevents SDK parses them.
jest.setTimeout(600_000);

interface Hook {
  id: string;
  signingSecret: string;
}
interface DeliveryRow {
  id: string;
  eventId: string;
  status: string;
  origin: string;
  lastHttpStatus: number | null;
}

describe('receivers: docs/receivers.md against real deliveries', () => {
  let stack: HeraldStack;
  let tenant: Tenant;
  let subscriptions = 0;
  const snippets: RunningSnippet[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    stack = await HeraldStack.start('receivers');
    tenant = await stack.createTenant(`rcv-${randomUUID().slice(0, 8)}`);
  });

  afterAll(async () => {
    await Promise.all(snippets.map((s) => s.stop()));
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  const registry = <T>(method: string, path: string, body?: unknown) =>
    stack.call<T>('subscription-registry', method, path, tenant.apiKey, body);

  async function project(name: string): Promise<string> {
    const res = await stack.call<{ id: string }>('domain-api', 'POST', '/v1/projects', tenant.apiKey, { name });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function task(projectId: string, name: string): Promise<string> {
    const res = await stack.call<{ id: string }>('domain-api', 'POST', '/v1/tasks', tenant.apiKey, { projectId, name });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** Registers a hook (waiting for the registry to know the key), then for the router to hold it. */
  async function registerHook(body: Record<string, unknown>): Promise<Hook> {
    let res = await registry<Hook>('POST', '/v1/webhooks', body);
    for (const until = Date.now() + 30_000; res.status === 401 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 250)); // the key reaches the registry over herald.principals.v1
      res = await registry<Hook>('POST', '/v1/webhooks', body);
    }
    expect(res.status).toBe(201);
    await stack.routerHasSubscriptions(++subscriptions);
    return res.body;
  }

  async function deliveriesOf(hookId: string, count: number, status = 'delivered'): Promise<DeliveryRow[]> {
    let rows: DeliveryRow[] = [];
    await waitFor(
      async () => {
        rows = (await registry<{ data: DeliveryRow[] }>('GET', `/v1/webhooks/${hookId}/deliveries`)).body.data ?? [];
        return rows.filter((r) => r.status === status).length >= count;
      },
      { timeoutMs: 60_000, message: `${count} ${status} deliveries of ${hookId}` },
    );
    return rows;
  }

  async function redeliver(deliveryId: string): Promise<void> {
    const res = await registry('POST', `/v1/deliveries/${deliveryId}/redeliver`);
    expect(res.status).toBe(202);
  }

  describe('the Node, Python and Go snippets, each with its Standard Webhooks library', () => {
    const ports = {} as Record<Language, number>;
    const hooks = {} as Record<Language, Hook>;
    const running = {} as Record<Language, RunningSnippet>;
    let projectId: string;

    beforeAll(async () => {
      projectId = await project('Receivers');
      for (const language of LANGUAGES) {
        ports[language] = await freePort();
        hooks[language] = await registerHook({
          url: `http://127.0.0.1:${ports[language]}/hooks/${language}`,
          eventTypes: ['task.created'],
          scope: { kind: 'project', projectId },
        });
      }
      // Python's venv and the Go build are made here the first time (PyPI, the Go proxy).
      for (const language of LANGUAGES) {
        running[language] = await RunningSnippet.start(language, hooks[language].signingSecret, ports[language]);
        snippets.push(running[language]);
      }
    });

    it('each verifies a real delivery, answers 200 {"status":"OK"}, processes it once, and takes its redelivery as a duplicate', async () => {
      await task(projectId, 'Verify me');
      for (const language of LANGUAGES) {
        const processed = await running[language].line((l) => l.event === 'processed', 'processed delivery');
        expect(processed.type).toBe('task.created');
        const [row] = await deliveriesOf(hooks[language].id, 1);
        // The id the receiver de-duplicates on is the delivery's webhook-id: the change's event id.
        expect(processed.id).toBe(row.eventId);
        expect(row.lastHttpStatus).toBe(200);
        await redeliver(row.id);
        await running[language].line((l) => l.event === 'duplicate' && l.id === row.eventId, 'duplicate of the redelivered event');
        expect(running[language].lines.filter((l) => l.event === 'processed')).toHaveLength(1);
        // The receiver acknowledged the duplicate: the redelivery is delivered too.
        await deliveriesOf(hooks[language].id, 2);
      }
    });

    it('each refuses a forged body and a stale timestamp with 400, and processes neither', async () => {
      for (const language of LANGUAGES) {
        const url = `http://127.0.0.1:${ports[language]}/hooks/${language}`;
        const body = JSON.stringify({ id: randomUUID(), type: 'task.created' });
        const send = async (headers: object, sent = body) =>
          fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(headers as Record<string, string>) }, body: sent });
        const forgedId = `forged-${randomUUID()}`;
        const signed = signatureHeaders({ id: forgedId, secrets: [hooks[language].signingSecret] }, body);
        expect((await send(signed, body.replace('task', 'tusk'))).status).toBe(400);
        const staleId = `stale-${randomUUID()}`;
        const stale = signatureHeaders({ id: staleId, secrets: [hooks[language].signingSecret], timestamp: new Date(Date.now() - 10 * 60_000) }, body);
        expect((await send(stale)).status).toBe(400);
        const other = signatureHeaders({ id: `other-${randomUUID()}`, secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`] }, body);
        expect((await send(other)).status).toBe(400);
        await running[language].line((l) => l.event === 'rejected' && /old/i.test(l.reason ?? ''), 'rejection of the stale timestamp');
        await waitFor(() => running[language].lines.filter((l) => l.event === 'rejected').length >= 3, { message: `${language}: three rejections` });
        expect(running[language].lines.filter((l) => l.event === 'rejected')).toHaveLength(3);
        expect(running[language].lines.some((l) => l.id === forgedId || l.id === staleId)).toBe(false);
      }
    });

    it('after a secret rotation a delivery verifies with the old secret and, sent again, with the new one', async () => {
      // A plain receiver on a fourth hook, rotated too, shows the two signatures themselves.
      const plain = await startReceiver();
      receivers.push(plain);
      const plainHook = await registerHook({ url: `${plain.url}/plain`, eventTypes: ['task.created'], scope: { kind: 'project', projectId } });
      const rotated = {} as Record<Language, string>;
      for (const language of LANGUAGES) {
        const res = await registry<Hook>('POST', `/v1/webhooks/${hooks[language].id}/rotate-secret`);
        expect(res.status).toBe(200);
        rotated[language] = res.body.signingSecret;
        expect(rotated[language]).not.toBe(hooks[language].signingSecret);
      }
      // Rotated last: once the dispatcher signs its deliveries with two secrets, it holds the others' rotations too.
      const plainRotated = await registry<Hook>('POST', `/v1/webhooks/${plainHook.id}/rotate-secret`);
      // The dispatcher signs with both once it holds the rotated snapshot: until then, one more change.
      let signed: ReceivedRequest | undefined;
      for (let n = 1; n <= 15 && !signed; n++) {
        await task(projectId, `Rotate me ${n}`);
        const got = (await plain.waitForRequests(n, { timeoutMs: 60_000 }))[n - 1];
        if (String(got.headers['webhook-signature']).includes(' ')) signed = got;
      }
      if (!signed) throw new Error('no delivery signed with two secrets after the rotation');
      const plainHeaders = { 'webhook-id': String(signed.headers['webhook-id']), 'webhook-timestamp': String(signed.headers['webhook-timestamp']), 'webhook-signature': String(signed.headers['webhook-signature']) };
      expect(plainHeaders['webhook-signature'].split(' ')).toHaveLength(2);
      for (const secret of [plainHook.signingSecret, plainRotated.body.signingSecret]) new Webhook(secret).verify(signed.text, plainHeaders);
      for (const language of LANGUAGES) {
        // Still running with the OLD secret.
        const processed = await running[language].line((l) => l.event === 'processed' && l.id !== running[language].lines.find((x) => x.event === 'processed')?.id, 'the delivery after the rotation');
        expect(processed.type).toBe('task.created');
        await running[language].stop();
        // Now with the NEW secret, on the same port, and nothing seen yet: the same event sent again verifies.
        running[language] = await RunningSnippet.start(language, rotated[language], ports[language]);
        snippets.push(running[language]);
        const rows = await deliveriesOf(hooks[language].id, 3);
        const row = rows.find((r) => r.eventId === processed.id && r.origin === 'event');
        expect(row).toBeDefined();
        await redeliver(row!.id);
        const again = await running[language].line((l) => l.event === 'processed', 'the redelivery verified with the new secret');
        expect(again.id).toBe(processed.id);
        expect(running[language].lines.filter((l) => l.event === 'rejected')).toHaveLength(0);
      }
    });
  });

  describe('CloudEvents 1.0', () => {
    const headersOf = (r: ReceivedRequest): Record<string, string> =>
      Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
    const toEvent = (r: ReceivedRequest): CloudEvent<Record<string, unknown>> => {
      const event = HTTP.toEvent({ headers: headersOf(r), body: r.text });
      if (Array.isArray(event)) throw new Error('a batch');
      return event as CloudEvent<Record<string, unknown>>;
    };

    it('structured and binary: what the receiver got parses with the cloudevents SDK, is signed, and keeps its id across a retry and a redelivery', async () => {
      const projectId = await project('CloudEvents');
      const modes = ['cloudevents-structured', 'cloudevents-binary'] as const;
      const got = {} as Record<(typeof modes)[number], { receiver: Receiver; hook: Hook }>;
      for (const mode of modes) {
        const receiver = await startReceiver();
        receivers.push(receiver);
        receiver.enqueue({ status: 500, body: 'not yet' });
        const hook = await registerHook({
          url: `${receiver.url}/ce`,
          eventTypes: ['task.created'],
          scope: { kind: 'project', projectId },
          payloadFormat: mode,
          retryPolicy: { scheduleMs: [1_000], maxAttempts: 3 },
        });
        got[mode] = { receiver, hook };
      }
      const taskId = await task(projectId, 'Cloud me');
      for (const mode of modes) {
        const { receiver, hook } = got[mode];
        const [first, second] = await receiver.waitForRequests(2, { timeoutMs: 60_000 });
        expect(first.response.status).toBe(500);
        // Signed like every format: Standard Webhooks over the body as sent.
        for (const r of [first, second]) new Webhook(hook.signingSecret).verify(r.text, headersOf(r));
        if (mode === 'cloudevents-structured') {
          expect(second.headers['content-type']).toBe('application/cloudevents+json');
          expect(second.headers['ce-id']).toBeUndefined();
        } else {
          expect(second.headers['content-type']).toBe('application/json');
          expect(second.headers['ce-id']).toBe(second.headers['webhook-id']);
          expect(second.headers['ce-specversion']).toBe('1.0');
        }
        const [a, b] = [toEvent(first), toEvent(second)];
        expect(a.id).toBe(b.id); // stable across the retry…
        expect(b.id).toBe(second.headers['webhook-id']); // …and equal to webhook-id
        expect(b).toMatchObject({
          specversion: '1.0',
          type: 'io.herald.task.created',
          source: `/tenants/${tenant.tenantId}`,
          subject: `task/${taskId}`,
          datacontenttype: 'application/json',
        });
        expect(b.data).toMatchObject({ id: b.id, type: 'task.created', resource: { type: 'task', id: taskId }, data: { name: 'Cloud me' } });
        expect(new Date(b.time!).getTime()).toBe(new Date(String(b.data!['timestamp'])).getTime());

        // What was sent is valid against the schema /v1/event-types publishes for this event and mode.
        const catalog = await registry<{ payloads: Record<string, { schema: object; contentType: string; headers: Record<string, string> }> }>('GET', '/v1/event-types/task.created');
        const published = catalog.body.payloads[mode];
        expect(published.contentType).toBe(second.headers['content-type']);
        expect(Object.keys(published.headers).sort()).toEqual(Object.keys(second.headers).filter((h) => h.startsWith('ce-')).sort());
        const ajv = new Ajv2020({ strict: false, allErrors: true });
        addFormats(ajv);
        const validate = ajv.compile(published.schema);
        expect({ mode, valid: validate(second.json()), errors: validate.errors ?? null }).toEqual({ mode, valid: true, errors: null });

        // A redelivery from the log goes out in the hook's mode again (content type, ce-* headers), same id.
        const [row] = await deliveriesOf(hook.id, 1);
        await redeliver(row.id);
        const [, , third] = await receiver.waitForRequests(3, { timeoutMs: 60_000 });
        expect(third.headers['content-type']).toBe(second.headers['content-type']);
        const c = toEvent(third);
        expect([c.id, c.type, c.source, c.subject, c.time]).toEqual([b.id, b.type, b.source, b.subject, b.time]);

        // The test event is a CloudEvent too.
        const test = await registry<{ ok: boolean; webhookId: string }>('POST', `/v1/webhooks/${hook.id}/test`);
        expect(test.status).toBe(200);
        expect(test.body.ok).toBe(true);
        const [, , , fourth] = await receiver.waitForRequests(4, { timeoutMs: 30_000 });
        expect(toEvent(fourth)).toMatchObject({ id: test.body.webhookId, type: 'io.herald.webhook.test', subject: `webhook/${hook.id}` });

        // The mode is fixed when the hook is made.
        const other = mode === 'cloudevents-binary' ? 'cloudevents-structured' : 'cloudevents-binary';
        const patch = await registry('PATCH', `/v1/webhooks/${hook.id}`, { payloadFormat: other });
        expect(patch.status).toBeGreaterThanOrEqual(400);
        expect(patch.status).toBeLessThan(500);
      }
    });
  });
});
