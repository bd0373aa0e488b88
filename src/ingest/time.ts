/**
 * Timestamp parsing. Exports use UTC everywhere; strings without a zone designator
 * (`2023-01-01 12:34`, `2020-10-09T10:36:07.879Z[UTC]`) are read as UTC, never local time.
 */

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Epoch ms of a UTC timestamp, or NaN. The fast path covers the extended-history shape
 * `YYYY-MM-DDTHH:MM:SSZ` (and `.fffZ`) without Date.parse, which matters at 1M rows.
 */
export function parseUtcMs(s: string): number {
  const n = s.length;
  if (
    (n === 20 || n === 24) &&
    s.charCodeAt(4) === 45 && // -
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 && // T
    s.charCodeAt(13) === 58 && // :
    s.charCodeAt(16) === 58 &&
    s.charCodeAt(n - 1) === 90 && // Z
    (n === 20 || s.charCodeAt(19) === 46) // .
  ) {
    const y = digits(s, 0, 4);
    const mo = digits(s, 5, 2);
    const d = digits(s, 8, 2);
    const h = digits(s, 11, 2);
    const mi = digits(s, 14, 2);
    const se = digits(s, 17, 2);
    const ms = n === 24 ? digits(s, 20, 3) : 0;
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || ms < 0) {
      return NaN;
    }
    const v = Date.UTC(y, mo - 1, d, h, mi, se, ms);
    // Date.UTC rolls 2021-02-30 over into March; an impossible date is invalid instead.
    if (d > 28 && new Date(v).getUTCDate() !== d) return NaN;
    return v;
  }
  return parseLooseUtcMs(s);
}

const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Slow path: ISO-like strings only (no locale formats), missing zone = UTC. */
function parseLooseUtcMs(raw: string): number {
  let s = raw.trim();
  if (!ISO_PREFIX.test(s)) return NaN;
  s = s.replace(/\[UTC\]$/i, "").replace(/ UTC$/i, "Z");
  if (s.length > 10 && s.charAt(10) === " ") s = s.slice(0, 10) + "T" + s.slice(11);
  if (s.length === 10) s += "T00:00:00Z";
  else if (!HAS_ZONE.test(s)) s += "Z";
  const v = Date.parse(s);
  return Number.isFinite(v) ? v : NaN;
}

/** Epoch ms from an epoch number or numeric string (tech `context_time`), or NaN. */
export function parseEpochMs(value: unknown): number {
  const v = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof v === "number" && Number.isFinite(v) ? v : NaN;
}

/** `YYYY-MM` of an epoch ms, in UTC. */
export function utcMonth(ms: number): string {
  const d = new Date(ms);
  const m = d.getUTCMonth() + 1;
  return `${d.getUTCFullYear()}-${m < 10 ? "0" : ""}${m}`;
}
