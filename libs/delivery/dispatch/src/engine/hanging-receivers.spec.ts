import { HangingReceivers } from './hanging-receivers';
import { Lane } from './lanes';

const hanging = new HangingReceivers({ maxInFlightPerSubscription: 4, hangingAfterMs: 1_000 });

function hangingLane(now: number) {
  const lane = new Lane('sub-A');
  lane.startedAt.add(now - 2_000);
  return lane;
}

describe('HangingReceivers', () => {
  it('gives a hanging or ordered hook one attempt in flight, a healthy one maxInFlightPerSubscription', () => {
    const now = 10_000;
    const healthy = new Lane('sub-A');
    healthy.startedAt.add(now - 500);
    expect(hanging.cap(healthy, false, now)).toBe(4);
    expect(hanging.cap(healthy, true, now)).toBe(1);
    expect(hanging.cap(hangingLane(now), false, now)).toBe(1);
    expect(hanging.isHanging(hangingLane(now), now)).toBe(true);
    const timedOut = new Lane('sub-A');
    timedOut.timingOut = true;
    expect(hanging.cap(timedOut, false, now)).toBe(1);
  });
});
