/**
 * Account Data package → AccountData. Reads only what modelling uses: library and
 * banned tracks, playlist memberships, and from Userdata.json only `country` and
 * `creationTime` (every other profile field is personal data and is never copied).
 */
import type { AccountData, LibraryTrack } from "./types";
import { parseUtcMs } from "./time";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

export function emptyAccount(): AccountData {
  return { country: null, creationMs: null, libraryTracks: [], bannedTrackUris: [], playlistCount: 0, playlistMemberships: [] };
}

export function isLibrary(v: unknown): v is Obj {
  return isObj(v) && (Array.isArray(v.tracks) || Array.isArray(v.bannedTracks));
}
export function isPlaylists(v: unknown): v is Obj {
  return isObj(v) && Array.isArray(v.playlists);
}

/** YourLibrary.json. Returns the number of library tracks read. */
export function readLibrary(v: Obj, into: AccountData): number {
  let n = 0;
  if (Array.isArray(v.tracks)) {
    for (const t of v.tracks) {
      if (!isObj(t)) continue;
      const item: LibraryTrack = { uri: str(t.uri), track: str(t.track), artist: str(t.artist), album: str(t.album) };
      into.libraryTracks.push(item);
      n++;
    }
  }
  if (Array.isArray(v.bannedTracks)) {
    for (const t of v.bannedTracks) {
      const uri = isObj(t) ? str(t.uri) : null;
      if (uri) into.bannedTrackUris.push(uri);
    }
  }
  return n;
}

/**
 * Playlist<n>.json. Returns playlists, all items, track items (the memberships kept;
 * episodes, audiobooks and local tracks have no track URI) and unreadable addedDates.
 */
export function readPlaylists(v: Obj, into: AccountData): { playlists: number; items: number; trackItems: number; badDates: number } {
  let playlists = 0;
  let items = 0;
  let trackItems = 0;
  let badDates = 0;
  for (const p of v.playlists as unknown[]) {
    if (!isObj(p)) continue;
    playlists++;
    if (!Array.isArray(p.items)) continue;
    for (const it of p.items) {
      if (!isObj(it)) continue;
      items++;
      if (!isObj(it.track)) continue; // episodes, audiobooks, local tracks
      const uri = str(it.track.trackUri);
      if (!uri) continue;
      let addedMs: number | null = null;
      const added = str(it.addedDate);
      if (added) {
        const t = parseUtcMs(added);
        if (t === t) addedMs = t;
        else badDates++;
      }
      into.playlistMemberships.push({ trackUri: uri, addedMs });
      trackItems++;
    }
  }
  into.playlistCount += playlists;
  return { playlists, items, trackItems, badDates };
}

/** Userdata.json: country and creationTime only. */
export function readUserdata(v: unknown, into: AccountData): boolean {
  if (!isObj(v)) return false;
  const country = str(v.country);
  if (country) into.country = country;
  const created = str(v.creationTime);
  if (created) {
    const t = parseUtcMs(created);
    if (t === t) into.creationMs = t;
  }
  return true;
}
