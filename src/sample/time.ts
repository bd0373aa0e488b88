/**
 * Time helpers for the generator. The listener lives in Europe/Berlin; computing its
 * UTC offset with the EU rule directly is ~100x faster than Intl per play, which
 * matters when writing 1M plays. test/sample.test.ts checks it against Intl.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The EU switch instant: last Sunday of `month` (0-based) at 01:00 UTC. */
function lastSundayAt0100Utc(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0);
  const weekday = new Date(lastDay).getUTCDay();
  return lastDay - weekday * DAY_MS + HOUR_MS;
}

const dstCache = new Map<number, [number, number]>();

/** UTC offset of Europe/Berlin at `utcMs`: +1 h (CET) or +2 h (CEST, EU rule since 1996). */
export function berlinOffsetMs(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  let range = dstCache.get(year);
  if (!range) {
    range = [lastSundayAt0100Utc(year, 2), lastSundayAt0100Utc(year, 9)];
    dstCache.set(year, range);
  }
  return utcMs >= range[0] && utcMs < range[1] ? 2 * HOUR_MS : HOUR_MS;
}

export interface LocalParts {
  /** 0-23, Europe/Berlin. */
  hour: number;
  /** 0 Sunday ... 6 Saturday, Europe/Berlin. */
  weekday: number;
}

export function berlinParts(utcMs: number): LocalParts {
  const local = new Date(utcMs + berlinOffsetMs(utcMs));
  return { hour: local.getUTCHours(), weekday: local.getUTCDay() };
}

/** `2021-03-04T18:24:12Z`: the extended-history `ts` format (seconds, no millis). */
export function isoSecondsZ(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

/** `2023-01-01 12:34`: Account Data `endTime` (UTC, minute precision). */
export function utcMinute(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) + " " + iso.slice(11, 16);
}

/** `YYYY-MM-DD` in UTC. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `YYYY-MM` in UTC. */
export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}
