/**
 * What a file is: first a guess from its name (names changed twice, and browsers append
 * ` (1)`), then the decision from its content (the keys of the first record).
 */
import type { PackageName } from "./types";
import { isLibrary, isPlaylists } from "./account";
import { isTechEvent, techEventType } from "./tech";

export type Role =
  | { role: "extended"; kind: "endsong" | "extended-audio" | "extended-video" | "extended"; video: boolean }
  | { role: "account-history"; kind: "account-streaming-history" }
  | { role: "library" }
  | { role: "playlist" }
  | { role: "userdata" }
  /** Profile files with nothing we use (Identity, Payments...): never opened. */
  | { role: "personal" }
  | { role: "tech"; eventType: string }
  | { role: "unknown" };

const TECH_NAMES = /^(ConnectionError|PlaybackError|Stutter|TrackNotPlayed)$/i;

/** The name without ` (1)` and the extension. */
export function stem(base: string): string {
  return base.replace(/\.json$/i, "").replace(/ \(\d+\)$/, "");
}

export function isJsonName(base: string): boolean {
  return /\.json$/i.test(base);
}

/** Role suggested by the file name alone, or null when only the content can tell. */
export function roleFromName(base: string, hint: PackageName | null): Role | null {
  const s = stem(base);
  if (/^endsong(_\d+)?$/i.test(s)) return { role: "extended", kind: "endsong", video: false };
  if (/^Streaming_History_Audio/i.test(s)) return { role: "extended", kind: "extended-audio", video: false };
  if (/^Streaming_History_Video/i.test(s)) return { role: "extended", kind: "extended-video", video: true };
  if (/^StreamingHistory/i.test(s)) return { role: "account-history", kind: "account-streaming-history" };
  if (/^YourLibrary$/i.test(s)) return { role: "library" };
  if (/^Playlist\d*$/i.test(s)) return { role: "playlist" };
  if (/^Userdata$/i.test(s)) return { role: "userdata" };
  if (/^(Identity|Identifiers|Payments)$/i.test(s)) return { role: "personal" };
  if (/_Hourly$/i.test(s) || TECH_NAMES.test(s) || hint === "tech") return { role: "tech", eventType: techEventType(base) };
  return null;
}

/** Whether a JSON file may hold extended history: named so, or unnamed in the Extended Streaming History package. */
export function mayBeExtended(nameRole: Role | null, hint: PackageName | null): boolean {
  return nameRole?.role === "extended" || (nameRole === null && hint === "extended");
}

/** Role from the parsed value, or null when the content is not recognisable (e.g. `[]`). */
export function roleFromContent(value: unknown, base: string): Role | null {
  if (Array.isArray(value)) {
    let first: Record<string, unknown> | null = null;
    // Look past a few malformed leading entries rather than trusting index 0 alone.
    for (let i = 0; i < value.length && i < 10; i++) {
      const v: unknown = value[i];
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        first = v as Record<string, unknown>;
        break;
      }
    }
    if (!first) return null;
    if ("ts" in first && "ms_played" in first) {
      const video = /^Streaming_History_Video/i.test(stem(base));
      return { role: "extended", kind: video ? "extended-video" : "extended", video };
    }
    if ("endTime" in first && "msPlayed" in first) return { role: "account-history", kind: "account-streaming-history" };
    if (isTechEvent(first)) return { role: "tech", eventType: techEventType(base) };
    return null;
  }
  if (isLibrary(value)) return { role: "library" };
  if (isPlaylists(value)) return { role: "playlist" };
  return null;
}

/** The content decides, except that an extended file keeps the kind its name gives. */
export function resolveRole(nameRole: Role | null, contentRole: Role | null): Role {
  if (contentRole && !(contentRole.role === "extended" && nameRole?.role === "extended")) return contentRole;
  return nameRole ?? { role: "unknown" };
}

/** Whether the role's file must hold a top-level JSON array. */
export function expectsArray(r: Role): boolean {
  return r.role === "extended" || r.role === "account-history" || r.role === "tech";
}

export function packageOf(r: Role, hint: PackageName | null): PackageName {
  switch (r.role) {
    case "extended":
      return "extended";
    case "tech":
      return "tech";
    case "unknown":
      return hint ?? "account";
    default:
      return "account";
  }
}
