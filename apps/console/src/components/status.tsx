import type { DeliveryStatus, Hook } from '../api';
import { fmtTime, STATUS_LABEL } from '../format';

/** The hook statuses as Worksection shows them: grey disabled, green working, orange working with failures; red auto-disabled. */
export const HOOK_STATUS: Record<Hook['status'], { label: string; tone: string }> = {
  disabled: { label: 'Disabled', tone: 'grey' },
  active: { label: 'Working', tone: 'green' },
  'active-with-failures': { label: 'Working, but has failed attempts', tone: 'orange' },
  'auto-disabled': { label: 'Auto-disabled', tone: 'red' },
};

export function HookStatus({ hook, detail = false }: { hook: Pick<Hook, 'status' | 'statusReason' | 'statusChangedAt'>; detail?: boolean }) {
  const s = HOOK_STATUS[hook.status];
  return (
    <span className="status-cell">
      <span className={`badge badge-${s.tone}`} data-status={hook.status}>
        <span className="dot" aria-hidden="true" />
        {s.label}
      </span>
      {hook.status === 'auto-disabled' && (detail || hook.statusReason) ? (
        <span className="status-reason">
          {hook.statusReason ?? 'failure policy'} · {fmtTime(hook.statusChangedAt)}
        </span>
      ) : null}
    </span>
  );
}

const DELIVERY_TONE: Record<DeliveryStatus, string> = {
  queued: 'grey',
  retrying: 'orange',
  delivered: 'green',
  failed: 'red',
  discarded: 'grey',
};

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  return (
    <span className={`badge badge-${DELIVERY_TONE[status]}`} data-delivery-status={status}>
      {STATUS_LABEL[status]}
    </span>
  );
}
