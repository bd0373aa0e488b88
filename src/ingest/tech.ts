/**
 * Technical Log Information → per-type event timestamps. Only four event types
 * feed features; the rest are counted. Device fields in the envelope are never read.
 */
import type { TechEvents } from "./types";
import { parseEpochMs, parseUtcMs } from "./time";

export const TECH_TYPES: Record<string, keyof TechEvents> = {
  ConnectionError: "connectionError",
  PlaybackError: "playbackError",
  Stutter: "stutter",
  TrackNotPlayed: "trackNotPlayed",
};

/** Event type from a file name: `ConnectionError_Hourly (1).json` → `ConnectionError`. */
export function techEventType(base: string): string {
  return base
    .replace(/\.json$/i, "")
    .replace(/ \(\d+\)$/, "")
    .replace(/_Hourly$/i, "");
}

/** True when an object carries the technical-log envelope. */
export function isTechEvent(v: Record<string, unknown>): boolean {
  return "timestamp_utc" in v || "context_time" in v;
}

/** Epoch ms of one event: `timestamp_utc`, falling back to `context_time`; NaN when neither parses. */
export function eventTimeMs(e: unknown): number {
  if (typeof e !== "object" || e === null) return NaN;
  const r = e as Record<string, unknown>;
  const ts = r.timestamp_utc;
  if (typeof ts === "string") {
    const t = parseUtcMs(ts);
    if (t === t) return t;
  }
  return parseEpochMs(r.context_time);
}

export class TechCollector {
  private readonly times: Record<keyof TechEvents, number[]> = {
    connectionError: [],
    playbackError: [],
    stutter: [],
    trackNotPlayed: [],
  };

  /** Adds one file's events; returns how many had no usable timestamp. */
  add(type: keyof TechEvents, events: unknown[]): number {
    const out = this.times[type];
    let bad = 0;
    for (const e of events) {
      const t = eventTimeMs(e);
      if (t === t) out.push(t);
      else bad++;
    }
    return bad;
  }

  finish(): TechEvents {
    const sorted = (a: number[]): Float64Array => Float64Array.from(a).sort();
    return {
      connectionError: sorted(this.times.connectionError),
      playbackError: sorted(this.times.playbackError),
      stutter: sorted(this.times.stutter),
      trackNotPlayed: sorted(this.times.trackNotPlayed),
    };
  }
}
