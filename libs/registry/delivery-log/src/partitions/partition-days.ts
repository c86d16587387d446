const DAY_MS = 86_400_000;

/** Midnight UTC of the day `t` falls in. */
export function utcDay(t: Date): Date {
  return new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);
}

export function addDays(day: Date, days: number): Date {
  return new Date(day.getTime() + days * DAY_MS);
}

/** `20261125` for 2026-11-25: the suffix of that day's partitions. */
export function daySuffix(day: Date): string {
  return day.toISOString().slice(0, 10).replace(/-/g, '');
}

export function dayOfSuffix(suffix: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(suffix);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`) : null;
}

/**
 * The days the log keeps at `now`: from the day that holds `now - retention` (rows younger than
 * the retention are never dropped; rows up to one day older may linger until the next day) to
 * `daysAhead` days after today. Rows are only ever written into this window.
 */
export function retentionWindow(
  now: Date,
  retentionDays: number,
  daysAhead: number,
): { firstDay: Date; lastDay: Date } {
  return {
    firstDay: utcDay(new Date(now.getTime() - retentionDays * DAY_MS)),
    lastDay: addDays(utcDay(now), daysAhead),
  };
}

export function daysBetween(first: Date, last: Date): Date[] {
  const out: Date[] = [];
  for (let d = first; d.getTime() <= last.getTime(); d = addDays(d, 1)) out.push(d);
  return out;
}
