/**
 * Technical-log reliability: error counts in the 24 h BEFORE a play's start.
 * Never a calendar-day count: that would include errors after the play (even ones the
 * play itself caused, e.g. a playback error that ended it).
 */
import type { TechEvents } from "../ingest/types";

export const RELIABILITY_COLUMNS = ["connection_error_24h", "playback_error_24h", "stutter_24h"] as const;
export const RELIABILITY_WINDOW_MS = 24 * 3_600_000;

/** First index k with sorted[k] >= x (sorted.length when none). */
export function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Events with `t - windowMs <= time < t`. */
export function countInWindow(sorted: Float64Array, t: number, windowMs = RELIABILITY_WINDOW_MS): number {
  return lowerBound(sorted, t) - lowerBound(sorted, t - windowMs);
}

/** The array itself when ascending, else a sorted copy (ingest promises order; do not trust blindly). */
export function ensureSorted(times: Float64Array): Float64Array {
  for (let i = 1; i < times.length; i++) {
    if (times[i] < times[i - 1]) return Float64Array.from(times).sort();
  }
  return times;
}

/**
 * Window counts for every play: [n plays]. Two pointers, since starts are ascending;
 * falls back to binary search if they are not.
 */
export function windowCounts(sortedEvents: Float64Array, startMs: Float64Array, length: number, windowMs = RELIABILITY_WINDOW_MS): Float64Array {
  const out = new Float64Array(length);
  let lo = 0; // first event >= start - window
  let hi = 0; // first event >= start
  let prev = -Infinity;
  for (let i = 0; i < length; i++) {
    const s = startMs[i];
    if (s < prev) {
      out[i] = countInWindow(sortedEvents, s, windowMs);
      continue;
    }
    prev = s;
    while (hi < sortedEvents.length && sortedEvents[hi] < s) hi++;
    while (lo < hi && sortedEvents[lo] < s - windowMs) lo++;
    out[i] = hi - lo;
  }
  return out;
}

export function techSeries(tech: TechEvents): Float64Array[] {
  return [ensureSorted(tech.connectionError), ensureSorted(tech.playbackError), ensureSorted(tech.stutter)];
}
