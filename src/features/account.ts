/**
 * Account features: whether the track is in the saved library, and how many
 * playlists held it before the play started.
 *
 * `in_library` reads a snapshot taken at export time (YourLibrary.json has no dates),
 * so it can reflect saves made AFTER a play — possibly because the play was enjoyed.
 * The builder option `useLibrarySnapshot: false` drops it for a strict evaluation.
 * Playlist membership is dated (`addedMs`) and counted strictly before the start.
 */
import type { AccountData, DictColumn } from "../ingest/types";
import { lowerBound } from "./reliability";

export const ACCOUNT_COLUMNS = ["in_library", "playlists_with_track_before"] as const;

export interface AccountIndex {
  /** [track dictionary values] 1 when the URI is in the library. */
  inLibrary: Uint8Array;
  /** [track dictionary values] sorted addedMs of playlist entries holding the track (undated ones omitted). */
  addedTimes: (Float64Array | null)[];
}

/** Index of the account data against a track-URI dictionary. */
export function indexAccount(account: AccountData, trackUri: DictColumn): AccountIndex {
  const library = new Set<string>();
  for (const t of account.libraryTracks) if (t.uri) library.add(t.uri);
  const added = new Map<string, number[]>();
  for (const m of account.playlistMemberships) {
    if (m.addedMs === null || !Number.isFinite(m.addedMs)) continue;
    const list = added.get(m.trackUri);
    if (list) list.push(m.addedMs);
    else added.set(m.trackUri, [m.addedMs]);
  }
  const inLibrary = new Uint8Array(trackUri.values.length);
  const addedTimes: (Float64Array | null)[] = new Array<Float64Array | null>(trackUri.values.length).fill(null);
  trackUri.values.forEach((uri, c) => {
    inLibrary[c] = library.has(uri) ? 1 : 0;
    const list = added.get(uri);
    if (list) addedTimes[c] = Float64Array.from(list).sort();
  });
  return { inLibrary, addedTimes };
}

/** Playlist entries for this track added strictly before `ms`. */
export function playlistsBefore(times: Float64Array | null, ms: number): number {
  return times === null ? 0 : lowerBound(times, ms);
}
