import type { DeliveryOutcome, FailurePolicy } from '@herald/contracts';
import { healthTransition, isReceiverFailure } from './health-policy';

let n = 0;
function outcome(p: Partial<DeliveryOutcome>): DeliveryOutcome {
  n += 1;
  return {
    deliveryId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    eventId: `evt-${n}`,
    subscriptionId: 'sub-1',
    tenantId: 't-1',
    eventType: 'task.created',
    resourceType: 'task',
    resourceId: 'r-1',
    status: 'retrying',
    attempt: 1,
    at: new Date(1_000 * n).toISOString(),
    origin: 'event',
    ...p,
  };
}
const fail = (p: Partial<DeliveryOutcome> = {}) =>
  outcome({ status: 'retrying', httpStatus: 500, errorClass: 'http_status', ...p });
const ok = () => outcome({ status: 'delivered', httpStatus: 200 });

const proprofs: FailurePolicy = {
  unsubscribeOn: [401],
  unsubscribeAction: 'delete',
  autoDisableAfter: 3,
  deleteAtThreshold: true,
};
const worksection: FailurePolicy = {
  unsubscribeOn: [],
  unsubscribeAction: 'disable',
  autoDisableAfter: 10,
  deleteAtThreshold: false,
};
const native: FailurePolicy = {
  unsubscribeOn: [410],
  unsubscribeAction: 'disable',
  autoDisableAfter: 2,
  deleteAtThreshold: false,
  countFailures: 'deliveries',
};

describe('healthTransition', () => {
  it('a failed attempt makes an active hook active-with-failures and counts it', () => {
    const t = healthTransition(
      { status: 'active', consecutiveFailures: 0, failurePolicy: worksection },
      [fail()],
    );
    expect(t).toMatchObject({
      kind: 'set',
      status: 'active-with-failures',
      consecutiveFailures: 1,
    });
  });

  it('the 10th consecutive failed attempt auto-disables (Worksection)', () => {
    const nine = healthTransition(
      { status: 'active-with-failures', consecutiveFailures: 8, failurePolicy: worksection },
      [fail()],
    );
    expect(nine).toMatchObject({ kind: 'set', consecutiveFailures: 9 });
    const ten = healthTransition(
      { status: 'active-with-failures', consecutiveFailures: 9, failurePolicy: worksection },
      [fail()],
    );
    expect(ten).toMatchObject({ kind: 'auto-disable', consecutiveFailures: 10 });
  });

  it('the 3rd failed attempt deletes with deleteAtThreshold (ProProfs)', () => {
    const t = healthTransition(
      { status: 'active', consecutiveFailures: 0, failurePolicy: proprofs },
      [fail(), fail({ attempt: 2 }), fail({ attempt: 3, status: 'failed' })],
    );
    expect(t).toMatchObject({ kind: 'unsubscribe', action: 'delete', consecutiveFailures: 3 });
  });

  it('a status in unsubscribeOn ends the hook at once, per unsubscribeAction', () => {
    const del = healthTransition(
      { status: 'active', consecutiveFailures: 0, failurePolicy: proprofs },
      [fail({ httpStatus: 401 })],
    );
    expect(del).toMatchObject({ kind: 'unsubscribe', action: 'delete' });
    const dis = healthTransition(
      { status: 'active', consecutiveFailures: 0, failurePolicy: native },
      [fail({ httpStatus: 410 })],
    );
    expect(dis).toMatchObject({ kind: 'unsubscribe', action: 'disable' });
    const other = healthTransition(
      { status: 'active', consecutiveFailures: 0, failurePolicy: native },
      [fail({ httpStatus: 401 })],
    );
    expect(other.kind).toBe('set');
  });

  it('a success clears failures and brings the hook back to active', () => {
    const t = healthTransition(
      { status: 'active-with-failures', consecutiveFailures: 2, failurePolicy: worksection },
      [fail(), ok()],
    );
    expect(t).toMatchObject({ kind: 'set', status: 'active', consecutiveFailures: 0 });
    expect(
      healthTransition({ status: 'active', consecutiveFailures: 0, failurePolicy: worksection }, [
        ok(),
      ]),
    ).toEqual({ kind: 'none' });
  });

  it("with countFailures 'deliveries' only a delivery's final failure counts", () => {
    const state = { status: 'active' as const, consecutiveFailures: 0, failurePolicy: native };
    const retries = healthTransition(state, [fail(), fail({ attempt: 2 })]);
    expect(retries).toMatchObject({
      kind: 'set',
      status: 'active-with-failures',
      consecutiveFailures: 0,
    });
    const t = healthTransition(state, [
      fail({ status: 'failed', attempt: 3 }),
      fail({ status: 'discarded', attempt: 3 }),
    ]);
    expect(t).toMatchObject({ kind: 'auto-disable', consecutiveFailures: 2 });
  });

  it('leaves disabled hooks alone and ignores outcomes that are not the receiver', () => {
    expect(
      healthTransition(
        { status: 'auto-disabled', consecutiveFailures: 10, failurePolicy: worksection },
        [ok()],
      ),
    ).toEqual({ kind: 'none' });
    const inactive = outcome({
      status: 'discarded',
      errorClass: 'subscription_inactive',
      httpStatus: null,
    });
    expect(isReceiverFailure(inactive)).toBe(false);
    expect(
      healthTransition({ status: 'active', consecutiveFailures: 0, failurePolicy: worksection }, [
        inactive,
      ]),
    ).toEqual({ kind: 'none' });
    expect(
      isReceiverFailure(outcome({ status: 'retrying', errorClass: 'timeout', httpStatus: null })),
    ).toBe(true);
  });
});
