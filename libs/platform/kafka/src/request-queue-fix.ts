import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's RequestQueue (one per broker connection) re-arms a timer in
 * `scheduleCheckPendingRequests` after every check, even with nothing queued and no throttle:
 * `throttledUntil` is -1 then, so the delay is negative and node runs it after 1 ms, which checks
 * and re-arms again — a 1 ms timer loop for as long as the connection lives, from its first
 * response on (tulios/kafkajs#1556, #1704; fixes proposed in #1667 and #1768, never released).
 * Every Herald service has several connections, so at idle each spun ~1,000 wakeups a second per
 * connection, and the garbage they made kept V8 from shrinking an idle service's young
 * generation (bench/e2e/findings.md, "Idle memory, fourth look").
 *
 * With nothing pending and no throttle in effect there is nothing to check: a request that
 * cannot go at once is queued by `push`, which schedules its check, and every answer or timeout
 * checks the queue again. So the check is not scheduled then; otherwise kafkajs' own code runs.
 * Loaded by kafka-client.ts, before any client of a service exists (the same module instance
 * kafkajs uses: its `main` is src/index.js).
 */
interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const load = createRequire(__filename);
const RequestQueue = load('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike };
const proto = RequestQueue.prototype;
const schedule = proto.scheduleCheckPendingRequests;
if (typeof schedule !== 'function') throw new Error('kafkajs: RequestQueue.scheduleCheckPendingRequests is gone; review request-queue-fix.ts');

proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
  schedule.call(this);
};
