/**
 * Local-time features.
 *
 * Zone: an explicit IANA option, else the profile country, else the most common
 * conn_country of TRAIN rows (via COUNTRY_ZONES), else UTC. Intl does the DST
 * arithmetic; it is slow (~7 µs a call), so offsets are cached per UTC hour, filled a
 * day at a time with two Intl calls when the offset does not change that day.
 *
 * Encoding (why): a logistic model sees hour_sin/hour_cos as ONE smooth daily cycle,
 * which cannot represent e.g. "finishes at night and in the evening, skips on the
 * commute". The four day-part one-hots add that step-shaped non-linearity with four
 * columns instead of 23 sparse hour dummies, which stay noisy for exports with a few
 * thousand labelled plays. Day of week is cyclic plus is_weekend (the step that
 * matters), month cyclic.
 */
import type { PlayTable } from "../ingest/types";
import { UserInputError } from "../common/errors";
import type { TimeZoneChoice } from "./types";

/**
 * ISO country → the IANA zone most of its population lives in. Countries spanning
 * several zones get their largest one; the choice is reported.
 */
export const COUNTRY_ZONES: Readonly<Record<string, string>> = {
  US: "America/New_York", CA: "America/Toronto", MX: "America/Mexico_City", BR: "America/Sao_Paulo",
  AR: "America/Argentina/Buenos_Aires", CL: "America/Santiago", CO: "America/Bogota", PE: "America/Lima",
  GB: "Europe/London", IE: "Europe/Dublin", FR: "Europe/Paris", DE: "Europe/Berlin", NL: "Europe/Amsterdam",
  BE: "Europe/Brussels", LU: "Europe/Luxembourg", CH: "Europe/Zurich", AT: "Europe/Vienna", ES: "Europe/Madrid",
  PT: "Europe/Lisbon", IT: "Europe/Rome", SE: "Europe/Stockholm", NO: "Europe/Oslo", DK: "Europe/Copenhagen",
  FI: "Europe/Helsinki", IS: "Atlantic/Reykjavik", PL: "Europe/Warsaw", CZ: "Europe/Prague", SK: "Europe/Bratislava",
  HU: "Europe/Budapest", RO: "Europe/Bucharest", BG: "Europe/Sofia", GR: "Europe/Athens", HR: "Europe/Zagreb",
  UA: "Europe/Kyiv", RU: "Europe/Moscow", TR: "Europe/Istanbul", IL: "Asia/Jerusalem", AE: "Asia/Dubai",
  SA: "Asia/Riyadh", EG: "Africa/Cairo", ZA: "Africa/Johannesburg", NG: "Africa/Lagos", KE: "Africa/Nairobi",
  IN: "Asia/Kolkata", PK: "Asia/Karachi", ID: "Asia/Jakarta", MY: "Asia/Kuala_Lumpur", SG: "Asia/Singapore",
  TH: "Asia/Bangkok", VN: "Asia/Ho_Chi_Minh", PH: "Asia/Manila", HK: "Asia/Hong_Kong", TW: "Asia/Taipei",
  JP: "Asia/Tokyo", KR: "Asia/Seoul", CN: "Asia/Shanghai", AU: "Australia/Sydney", NZ: "Pacific/Auckland",
};

const MULTI_ZONE = new Set(["US", "CA", "MX", "BR", "RU", "AU", "ID", "AR", "CL"]);

/** Throws UserInputError for a zone Intl does not know. */
export function validateTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new UserInputError(`Unknown time zone "${zone}": use an IANA name such as "Europe/Berlin".`);
  }
}

function fromCountry(country: string, source: "profile-country" | "conn-country", what: string): TimeZoneChoice | null {
  const zone = COUNTRY_ZONES[country.toUpperCase()];
  if (!zone) return null;
  const many = MULTI_ZONE.has(country.toUpperCase()) ? ` (${country} spans several zones; its most populous one was taken)` : "";
  return { zone, source, reason: `${what} ${country} → ${zone}${many}` };
}

/**
 * Picks the zone for local-time features. `trainMask[i]` is true for TRAIN rows.
 */
export function resolveTimeZone(
  plays: PlayTable,
  trainMask: (i: number) => boolean,
  profileCountry: string | null,
  option?: string,
): TimeZoneChoice {
  const modal = modalCountry(plays, trainMask);
  if (option) {
    const home = profileCountry ?? modal;
    return { zone: validateTimeZone(option), source: "option", reason: `time zone given as an option: ${option}`, ...(home ? { country: home.toUpperCase() } : {}) };
  }
  const notes: string[] = [];
  if (profileCountry) {
    const c = fromCountry(profileCountry, "profile-country", "profile country");
    if (c) return { ...c, country: profileCountry.toUpperCase() };
    notes.push(`profile country ${profileCountry} is not in the zone map`);
  }
  if (modal !== null) {
    const c = fromCountry(modal, "conn-country", "most common conn_country of training plays");
    if (c) return { ...c, reason: notes.concat(c.reason).join("; "), country: modal.toUpperCase() };
    notes.push(`most common conn_country ${modal} is not in the zone map`);
  }
  notes.push("no usable country: local time is UTC");
  return { zone: "UTC", source: "utc-fallback", reason: notes.join("; ") };
}

/** Most common conn_country of the masked plays (ties by name), or null. */
function modalCountry(plays: PlayTable, mask: (i: number) => boolean): string | null {
  const counts = new Int32Array(plays.connCountry.values.length);
  for (let i = 0; i < plays.length; i++) {
    const code = plays.connCountry.codes[i];
    if (code >= 0 && mask(i)) counts[code]++;
  }
  // most common first, ties by name, so the choice is deterministic
  const order = Array.from(counts.keys())
    .filter((c) => counts[c] > 0)
    .sort((a, b) => counts[b] - counts[a] || (plays.connCountry.values[a] < plays.connCountry.values[b] ? -1 : 1));
  return order.length > 0 ? plays.connCountry.values[order[0]] : null;
}

/** Where a play's local time comes from (counted per play in FeatureSet.localTime). */
export const LOCAL_TIME_SOURCES = ["home", "conn-country", "multi-zone-modal"] as const;
export type LocalTimeSource = (typeof LOCAL_TIME_SOURCES)[number];

/**
 * Per-play zones: a play whose conn_country differs from the home country (a trip, a move)
 * uses that country's zone. A country spanning several zones (US, BR, ...) cannot say which:
 * its modal (most populous) zone is taken, counted apart as "multi-zone-modal" (the home
 * zone would be wrong for certain). Unknown and unmapped countries, and plays at home, use
 * the home zone.
 * @returns for each conn_country code: zone index into `zones` (0 = home) and source index
 */
export function playZones(plays: PlayTable, home: TimeZoneChoice): { zones: string[]; zoneOf: Int32Array; sourceOf: Uint8Array } {
  const zones = [home.zone];
  const values = plays.connCountry.values;
  const zoneOf = new Int32Array(values.length);
  const sourceOf = new Uint8Array(values.length);
  const homeCountry = home.source === "utc-fallback" ? null : home.country ?? null;
  values.forEach((v, c) => {
    const country = v.toUpperCase();
    const zone = COUNTRY_ZONES[country];
    if (homeCountry === null || country === homeCountry || !zone) return;
    let k = zones.indexOf(zone);
    if (k < 0) k = zones.push(zone) - 1;
    zoneOf[c] = k;
    sourceOf[c] = k === 0 ? 0 : MULTI_ZONE.has(country) ? 2 : 1;
  });
  return { zones, zoneOf, sourceOf };
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** UTC → local offset (ms) for one zone, cached per UTC hour bucket. */
export class OffsetCache {
  private readonly fmt: Intl.DateTimeFormat | null;
  private readonly byHour = new Map<number, number>();
  // sorted input hits the same hour many times in a row: skip the Map then
  private lastHour = NaN;
  private lastOffset = 0;
  constructor(readonly zone: string) {
    this.fmt =
      zone === "UTC"
        ? null
        : new Intl.DateTimeFormat("en-US", {
            timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
            hour: "numeric", minute: "numeric", second: "numeric",
          });
  }

  private exact(ms: number): number {
    const fmt = this.fmt as Intl.DateTimeFormat;
    const p = fmt.formatToParts(ms);
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const part of p) {
      const v = Number(part.value);
      switch (part.type) {
        case "year": y = v; break;
        case "month": mo = v; break;
        case "day": d = v; break;
        case "hour": h = v; break;
        case "minute": mi = v; break;
        case "second": s = v; break;
      }
    }
    const whole = Math.floor(ms / 1000) * 1000;
    return Date.UTC(y, mo - 1, d, h, mi, s) - whole;
  }

  /** Offset in ms to add to a UTC epoch to get local wall-clock epoch. */
  offset(ms: number): number {
    if (this.fmt === null) return 0;
    const hour = Math.floor(ms / HOUR);
    if (hour === this.lastHour) return this.lastOffset;
    const hit = this.byHour.get(hour);
    if (hit !== undefined) {
      this.lastHour = hour;
      this.lastOffset = hit;
      return hit;
    }
    // fill the whole UTC day: two Intl calls when no transition happens that day
    const day0 = Math.floor(ms / DAY) * DAY;
    const h0 = day0 / HOUR;
    const a = this.exact(day0);
    const b = this.exact(day0 + DAY - 1000);
    for (let k = 0; k < 24; k++) this.byHour.set(h0 + k, a === b ? a : this.exact(day0 + k * HOUR));
    return this.byHour.get(hour) as number;
  }
}

/** Civil date of day `days` since 1970-01-01, proleptic Gregorian (H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: doy - Math.floor((153 * mp + 2) / 5) + 1 };
}

/** Month 1..12 of day `days` since 1970-01-01. */
export function monthFromDays(days: number): number {
  return civilFromDays(days).month;
}

export const TIME_COLUMNS = [
  "hour_sin", "hour_cos",
  "daypart=night", "daypart=morning", "daypart=afternoon", "daypart=evening",
  "dow_sin", "dow_cos", "is_weekend",
  "month_sin", "month_cos",
] as const;

/** Day parts by local hour: night 0–5, morning 6–11, afternoon 12–17, evening 18–23. */
export const dayPart = (hour: number): number => (hour / 6) | 0;

const TAU = 2 * Math.PI;
const MINUTES = 1440;
// lookup tables: no trig in the per-row loop (hour angle at minute resolution)
const MIN_SIN = Float64Array.from({ length: MINUTES }, (_, m) => Math.sin((TAU * m) / MINUTES));
const MIN_COS = Float64Array.from({ length: MINUTES }, (_, m) => Math.cos((TAU * m) / MINUTES));
// Monday = 0 … Sunday = 6 on the circle, so Sunday sits next to Monday
const DOW_SIN = Float64Array.from({ length: 7 }, (_, d) => Math.sin((TAU * d) / 7));
const DOW_COS = Float64Array.from({ length: 7 }, (_, d) => Math.cos((TAU * d) / 7));
const MONTH_SIN = Float64Array.from({ length: 12 }, (_, m) => Math.sin((TAU * m) / 12));
const MONTH_COS = Float64Array.from({ length: 12 }, (_, m) => Math.cos((TAU * m) / 12));

/**
 * Writes the TIME_COLUMNS of local instants into a row-major matrix. Keeps the last
 * day's month so sorted input costs one civil-date conversion per day.
 */
export class TimeEncoder {
  private lastDay = NaN;
  private lastMonth = 1;

  /**
   * @param localMs UTC epoch + zone offset (a wall-clock epoch).
   * @param out matrix to write into, at `offset` … `offset + 10`.
   */
  write(localMs: number, out: Float64Array, offset: number): void {
    const days = Math.floor(localMs / DAY);
    const minute = Math.floor((localMs - days * DAY) / 60_000); // [0, 1440)
    const hour = (minute / 60) | 0;
    const dow = (((days + 4) % 7) + 7) % 7; // 0 = Sunday (1970-01-01 was a Thursday)
    if (days !== this.lastDay) {
      this.lastDay = days;
      this.lastMonth = monthFromDays(days);
    }
    out[offset] = MIN_SIN[minute];
    out[offset + 1] = MIN_COS[minute];
    const part = dayPart(hour);
    out[offset + 2] = part === 0 ? 1 : 0;
    out[offset + 3] = part === 1 ? 1 : 0;
    out[offset + 4] = part === 2 ? 1 : 0;
    out[offset + 5] = part === 3 ? 1 : 0;
    const mondayBased = (dow + 6) % 7;
    out[offset + 6] = DOW_SIN[mondayBased];
    out[offset + 7] = DOW_COS[mondayBased];
    out[offset + 8] = dow === 0 || dow === 6 ? 1 : 0;
    out[offset + 9] = MONTH_SIN[this.lastMonth - 1];
    out[offset + 10] = MONTH_COS[this.lastMonth - 1];
  }
}

/** One-off version of TimeEncoder.write. */
export function writeTimeFeatures(localMs: number, out: Float64Array, offset: number): void {
  new TimeEncoder().write(localMs, out, offset);
}

/** Local hour (0–23) and weekday (0 = Sunday) of a UTC epoch — for reports and notebooks. */
export function localHourAndDay(ms: number, cache: OffsetCache): { hour: number; dow: number } {
  const local = ms + cache.offset(ms);
  const days = Math.floor(local / DAY);
  return { hour: Math.floor((local - days * DAY) / HOUR), dow: (((days + 4) % 7) + 7) % 7 };
}
