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

/**
 * Local hour / weekday in any IANA zone. Europe/Berlin uses the fast EU rule above; other zones
 * ask Intl once per (zone, UTC hour) for the offset (every zone the generator uses changes
 * offset on the hour) and cache it in this instance.
 */
export class ZoneClock {
  private readonly formats = new Map<string, Intl.DateTimeFormat>();
  private readonly offsets = new Map<string, number>();

  offsetMs(zone: string, utcMs: number): number {
    if (zone === "Europe/Berlin") return berlinOffsetMs(utcMs);
    const hour = Math.floor(utcMs / HOUR_MS);
    const key = zone + "|" + hour;
    let off = this.offsets.get(key);
    if (off === undefined) {
      let f = this.formats.get(zone);
      if (!f) {
        f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" });
        this.formats.set(zone, f);
      }
      const at = hour * HOUR_MS;
      const parts: Record<string, number> = {};
      for (const p of f.formatToParts(new Date(at))) if (p.type !== "literal") parts[p.type] = Number(p.value);
      off = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - at;
      this.offsets.set(key, off);
    }
    return off;
  }

  parts(zone: string, utcMs: number): LocalParts {
    const local = new Date(utcMs + this.offsetMs(zone, utcMs));
    return { hour: local.getUTCHours(), weekday: local.getUTCDay() };
  }
}
