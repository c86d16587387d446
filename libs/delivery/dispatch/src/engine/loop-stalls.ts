/** How long this process could not run its callbacks, in total so far (ms): starved of CPU, or busy. */
export interface StallClock {
  stalledMs(): number;
}

/** A clock for tests and callers that do not measure stalls. */
export const NO_STALLS: StallClock = { stalledMs: () => 0 };

/** Epoch ms on a clock that stands still while this process stalls: attempt ages on it are the receiver's, not ours. */
export function activeNow(stalls: StallClock, now = Date.now()): number {
  return now - stalls.stalledMs();
}

/**
 * Measures this process's stalls from how late a repeating timer fires: every `everyMs` it should
 * run; what it runs later than that, it could not (the event loop was busy, or the process was
 * not scheduled — a loaded host). An attempt's time is judged net of the stalls during it
 * (`AttemptRunner`, `LaneBounds`): a receiver that answered at once looks slow when its answer
 * waits for a starved dispatcher, and a healthy hook's burst would be parked as slow or hanging.
 * Generous to the receiver (a stall may overlap time it really took), so a hanging receiver is
 * still found, a little later on a starved host, and a timeout always counts.
 */
export class LoopStalls implements StallClock {
  private total = 0;
  private last: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly everyMs = 20,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = this.now();
  }

  start(): this {
    this.last = this.now();
    this.timer ??= setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The timer ran: how late it was is a stall. */
  tick(): void {
    const now = this.now();
    this.total += Math.max(0, now - this.last - this.everyMs);
    this.last = now;
  }

  /** Stalls so far, the current one included (the timer is late now): monotonic. */
  stalledMs(): number {
    return this.total + Math.max(0, this.now() - this.last - this.everyMs);
  }
}
