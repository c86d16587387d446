import { createRequire } from 'node:module';
import './request-queue-fix';

// The module instance the fix patches and the services' kafkajs uses (node's, not jest's registry).
const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue/index.js') as new (opts: object) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = () => new RequestQueue({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: true, clientId: 'spec', broker: 'localhost:9092', logger: quiet });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("kafkajs' request queue (request-queue-fix)", () => {
  it('arms no timer after an answer when nothing is queued and nothing is throttled (kafkajs re-armed a 1 ms timer forever)', async () => {
    const q = queue();
    let checks = 0;
    const check = q.checkPendingRequests.bind(q);
    q.checkPendingRequests = () => {
      checks++;
      check();
    };
    q.checkPendingRequests(); // what every answer (fulfillRequest) does
    expect(q.throttleCheckTimeoutId).toBeNull();
    await sleep(50);
    expect(checks).toBe(1);
    q.destroy();
  });

  it('still sends a request queued during a throttle once the throttle ends', async () => {
    const q = queue();
    const sent: number[] = [];
    q.throttledUntil = Date.now() + 20;
    q.pending.push({ correlationId: 7, expectResponse: true, send: () => sent.push(7) });
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await sleep(100);
    expect(sent).toEqual([7]);
    expect(q.pending).toEqual([]);
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });
});
