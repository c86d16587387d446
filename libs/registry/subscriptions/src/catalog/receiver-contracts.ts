import { PPM_DEFAULT_POLICY } from '@herald/dialects/ppm-express';
import { PROCORE_DEFAULT_POLICY } from '@herald/dialects/procore';
import { PROPROFS_DEFAULT_POLICY } from '@herald/dialects/proprofs';
import { WORKSECTION_DEFAULT_POLICY } from '@herald/dialects/worksection';
import { settingsForCreate, type SubscriptionPatch, type SubscriptionSettings } from '../model/settings';

/**
 * What a receiver can count on, per API a hook is made through: the settings a new hook gets
 * from that API (the same `settingsForCreate(…, dialectDefaults)` the controllers call), so the
 * receiver guide's table is generated from the code's policies, never written by hand.
 */
export const HOOK_APIS: readonly { api: string; defaults: SubscriptionPatch }[] = [
  { api: 'native (`/v1/webhooks`)', defaults: {} },
  { api: 'ProProfs (`/v2/hooks`)', defaults: PROPROFS_DEFAULT_POLICY },
  { api: 'Worksection (`/api/admin/v2`)', defaults: WORKSECTION_DEFAULT_POLICY },
  { api: 'Procore (`/rest/…/webhooks`)', defaults: PROCORE_DEFAULT_POLICY },
  { api: 'PPM Express (`/@{tenant}/…/Webhooks`)', defaults: PPM_DEFAULT_POLICY },
];

export function contractOf(defaults: SubscriptionPatch): SubscriptionSettings {
  return settingsForCreate({ url: 'https://receiver.example.com/hook', eventTypes: ['*'] }, defaults);
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** 5000 → "5 s", 120000 → "2 min", 3600000 → "1 h", 64000 → "64 s". */
export function duration(ms: number): string {
  if (ms >= HOUR && ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms >= MINUTE && ms % MINUTE === 0) return `${ms / MINUTE} min`;
  if (ms % SECOND === 0) return `${ms / SECOND} s`;
  return `${ms} ms`;
}

const SUCCESS: Record<SubscriptionSettings['successContract'], string> = {
  '2xx': 'any 2xx',
  '200': 'HTTP 200 only',
  '200-or-204': 'HTTP 200 or 204',
  'status-ok': 'HTTP 200 with JSON `{"status":"OK"}`',
};

function retries(s: SubscriptionSettings): string {
  const r = s.retryPolicy;
  if (r.maxAttempts === 1) return 'none: one attempt';
  const delays = r.scheduleMs.slice(0, r.maxAttempts - 1);
  const repeats = r.maxAttempts - 1 > r.scheduleMs.length;
  return `${delays.map(duration).join(', ')}${repeats ? ' (the last repeats)' : ''}; at most ${r.maxAttempts} attempts within ${duration(r.maxAgeMs)} of the first`;
}

function exhausted(s: SubscriptionSettings): string {
  return s.retryPolicy.onExhausted === 'dlq' ? 'Failed, into the DLQ (redrivable)' : 'Discarded';
}

function ending(s: SubscriptionSettings): string {
  const f = s.failurePolicy;
  const out: string[] = [];
  if (f.unsubscribeOn.length) out.push(`${f.unsubscribeAction === 'delete' ? 'deleted' : 'disabled'} at once on HTTP ${f.unsubscribeOn.join(' or ')}`);
  if (f.autoDisableAfter !== null) {
    const what = f.countFailures === 'deliveries' ? 'failed deliveries' : 'failed attempts';
    out.push(`${f.deleteAtThreshold ? 'deleted' : 'auto-disabled'} after ${f.autoDisableAfter} ${what} in a row`);
  }
  return out.length ? out.join('; ') : 'never';
}

/** The markdown table of `docs/receivers.md` (between its `receiver-contracts` markers). */
export function receiverContractsTable(): string {
  const rows = HOOK_APIS.map(({ api, defaults }) => {
    const s = contractOf(defaults);
    return `| ${api} | ${SUCCESS[s.successContract]} | ${duration(s.timeoutMs)} | ${retries(s)} | ${exhausted(s)} | ${s.deliveryMode} | ${ending(s)} |`;
  });
  return [
    '| hook made through | success | timeout | retries after a failure | then | order | the hook ends |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
