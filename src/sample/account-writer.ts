/** Writes the Account Data package: library, playlists, profile, last-year history, searches, extras. */
import * as fs from "fs";
import * as path from "path";
import { Catalog, Track } from "./catalog";
import { jacksonStringify } from "./json";
import { HOSTILE_LIST, HOSTILE_NAMES, LOCAL_TRACKS, PlantedPii } from "./names";
import { FOLDER_ACCOUNT, pdfBytes } from "./options";
import { Rand } from "./rand";
import { PROFILE_COUNTRY } from "./signal";
import { DAY_MS, utcDate, utcMinute } from "./time";

/** What the Account Data package holds, for the manifest. */
export interface AccountSummary {
  folder: string;
  country: string;
  creationTime: string;
  libraryTracks: number;
  libraryAlbums: number;
  libraryArtists: number;
  bannedTracks: number;
  playlists: number;
  playlistItems: number;
  playlistTrackItems: number;
  streamingHistoryMusicRows: number;
  streamingHistoryPodcastRows: number;
  searchQueries: number;
}

/**
 * The plays the Account Data "last year" history may need, kept as a rolling window of plain
 * number arrays (end ms, track index or -1-localIndex, ms played): no object per play.
 */
export class AccountWindow {
  readonly endMs: number[] = [];
  readonly item: number[] = [];
  readonly ms: number[] = [];
  readonly podcasts: { endMs: number; obj: Record<string, unknown> }[] = [];

  push(endMs: number, item: number, ms: number): void {
    this.endMs.push(endMs);
    this.item.push(item);
    this.ms.push(ms);
  }

  /** Drops plays older than 370 days before `now`; amortised O(1): only once the old head is most of the array. */
  trim(now: number): void {
    const n = this.endMs.length;
    if (n < 8192 || this.endMs[n >> 1] >= now - 370 * DAY_MS) return;
    let k = 0;
    while (this.endMs[k] < now - 370 * DAY_MS) k++;
    this.endMs.splice(0, k);
    this.item.splice(0, k);
    this.ms.splice(0, k);
  }
}

export function writeAccount(
  dir: string,
  rng: Rand,
  catalog: Catalog,
  pii: PlantedPii | null,
  startMs: number,
  lastEnd: number,
  acc: AccountWindow,
): AccountSummary {
  const write = (name: string, value: unknown): void => {
    fs.writeFileSync(path.join(dir, name), jacksonStringify(value));
  };
  const { artists, albums, tracks } = catalog;
  const lib = tracks.filter((t) => t.inLibrary);
  const libAlbums = [...new Set(lib.map((t) => t.album))].sort((a, b) => a - b);
  const libArtists = [...new Set(lib.map((t) => t.artist))].filter((a) => a < 12 || rng.chance(0.5)).sort((a, b) => a - b);
  const entry = (t: Track) => ({ artist: artists[t.artist].name, album: albums[t.album].name, track: t.name, uri: t.uri });
  write("YourLibrary.json", {
    tracks: lib.map(entry),
    albums: libAlbums.map((a) => ({ artist: artists[albums[a].artist].name, album: albums[a].name, uri: albums[a].uri })),
    shows: catalog.shows.slice(0, 3).map((s) => ({ name: s.name, publisher: "Synthetic Media", uri: s.uri })),
    episodes: [],
    bannedTracks: catalog.banned.map(entry),
    artists: libArtists.map((a) => ({ name: artists[a].name, uri: artists[a].uri })),
    bannedArtists: [],
    other: [],
  });

  // Playlists: addedDate spans from before the history to its end, so "added before the play" varies.
  const day = (ms: number) => utcDate(ms);
  const from = startMs - 300 * DAY_MS;
  const playlistNames = [
    "Focus", "Evening Chill", "Running 🏃", HOSTILE_NAMES.script, HOSTILE_NAMES.hyperlink, HOSTILE_NAMES.plusCmd,
    HOSTILE_NAMES.quotesCommas, HOSTILE_NAMES.newline, HOSTILE_NAMES.arabic, HOSTILE_NAMES.hebrew, HOSTILE_NAMES.pipes,
    HOSTILE_NAMES.atSum, HOSTILE_NAMES.minusFormula, "Discover Weekly Archive",
  ];
  let items = 0;
  let trackItems = 0;
  const playlists = playlistNames.map((name, p) => {
    const n = p === 13 ? 0 : rng.int(5, 32); // one empty playlist
    const list = [];
    let lastAdded = from;
    for (let i = 0; i < n; i++) {
      const added = from + Math.floor(rng.next() * (lastEnd - from));
      lastAdded = Math.max(lastAdded, added);
      const roll = rng.next();
      let item: Record<string, unknown>;
      if (roll < 0.9) {
        const t = rng.chance(0.5) ? rng.pick(lib) : rng.pick(tracks);
        item = { track: { trackName: t.name, artistName: artists[t.artist].name, albumName: albums[t.album].name, trackUri: t.uri }, episode: null, audiobook: null, localTrack: null, addedDate: day(added) };
        trackItems++;
      } else if (roll < 0.95) {
        const s = rng.pick(catalog.shows);
        const e = rng.pick(s.episodes);
        item = { track: null, episode: { episodeName: e.name, showName: s.name, episodeUri: e.uri }, audiobook: null, localTrack: null, addedDate: day(added) };
      } else if (roll < 0.98) {
        const [tn, an, al] = rng.pick(LOCAL_TRACKS);
        item = { track: null, episode: null, audiobook: null, localTrack: { uri: `spotify:local:${encodeURIComponent(an)}:${encodeURIComponent(al)}:${encodeURIComponent(tn)}:215` }, addedDate: day(added) };
      } else {
        item = { track: null, episode: null, audiobook: null, localTrack: null, addedDate: day(added) };
      }
      list.push(item);
    }
    items += n;
    return {
      name,
      lastModifiedDate: day(lastAdded),
      collaborators: [],
      items: list,
      description: p % 3 === 0 ? `Synthetic playlist, "${p}" | test` : null,
      numberOfFollowers: p % 4 === 0 ? rng.int(1, 9) : 0,
    };
  });
  write("Playlist1.json", { playlists });

  const creationTime = "2015-06-12";
  write("Userdata.json", {
    username: pii ? pii.username : null,
    email: pii ? pii.email : null,
    country: PROFILE_COUNTRY,
    createdFromFacebook: false,
    facebookUid: null,
    birthdate: pii ? pii.birthdate : null,
    gender: "neutral",
    postalCode: null,
    mobileNumber: null,
    mobileOperator: null,
    mobileBrand: null,
    creationTime,
  });
  write("Identity.json", {
    displayName: pii ? pii.displayName : null,
    firstName: pii ? pii.firstName : null,
    lastName: pii ? pii.lastName : null,
    tasteMaker: false,
    imageUrl: "https://i.scdn.co/image/synthetic-profile-image",
  });
  write("Identifiers.json", { identifierType: "email", identifierValue: pii ? pii.email : null });

  // The last year of plays, without reasons or URIs (minute precision), 10k rows per file.
  const cut = lastEnd - 365 * DAY_MS;
  const musicRows: Record<string, unknown>[] = [];
  for (let i = 0; i < acc.endMs.length; i++) {
    if (acc.endMs[i] < cut) continue;
    const it = acc.item[i];
    const [trackName, artistName] = it >= 0 ? [tracks[it].name, artists[tracks[it].artist].name] : LOCAL_TRACKS[-1 - it];
    musicRows.push({ endTime: utcMinute(acc.endMs[i]), artistName, trackName, msPlayed: acc.ms[i] });
  }
  const podcastRows = acc.podcasts.filter((r) => r.endMs >= cut).map((r) => r.obj);
  for (let i = 0; i === 0 || i * 10_000 < musicRows.length; i++) {
    write(`StreamingHistory_music_${i}.json`, musicRows.slice(i * 10_000, (i + 1) * 10_000));
  }
  write("StreamingHistory_podcast_0.json", podcastRows);

  const searches = Array.from({ length: 40 }, () => {
    const t = lastEnd - Math.floor(rng.next() * 120 * DAY_MS);
    const tr = rng.pick(tracks.slice(0, 60));
    return {
      platform: rng.pick(["ANDROID", "DESKTOP", "WEB"]),
      searchTime: new Date(t).toISOString().replace("Z", "Z[UTC]"),
      searchQuery: rng.chance(0.2) ? rng.pick(HOSTILE_LIST) : artists[tr.artist].name.slice(0, rng.int(3, 12)),
      searchInteractionURIs: rng.chance(0.6) ? [tr.uri] : [],
    };
  }).sort((a, b) => (a.searchTime < b.searchTime ? -1 : 1));
  write("SearchQueries.json", searches);
  write(
    "Marquee.json",
    artists.slice(0, 12).map((a, i) => ({ artistName: a.name, segment: ["Super Listeners", "Moderate listeners", "Light listeners", "Previously Active Listeners"][i % 4] })),
  );
  write("Follow.json", { followerCount: 3, followingUsersCount: 7, dismissingUsersCount: 0 });
  write("Inferences.json", { inferences: ["1P_Custom_Synthetic_Listener", "3P_Music_Lovers", "Evening_Listener"] });
  // Newer packages contain files nobody documented yet: ingestion must ignore them.
  write("YourSoundCapsule.json", { highlights: [], stats: [{ date: utcDate(lastEnd), streamCount: 12, secondsPlayed: 2760 }] });
  fs.writeFileSync(path.join(dir, "ReadMeFirst_AccountData.pdf"), pdfBytes("Read Me First: Account Data"));

  return {
    folder: FOLDER_ACCOUNT,
    country: PROFILE_COUNTRY,
    creationTime,
    libraryTracks: lib.length,
    libraryAlbums: libAlbums.length,
    libraryArtists: libArtists.length,
    bannedTracks: catalog.banned.length,
    playlists: playlists.length,
    playlistItems: items,
    playlistTrackItems: trackItems,
    streamingHistoryMusicRows: musicRows.length,
    streamingHistoryPodcastRows: podcastRows.length,
    searchQueries: searches.length,
  };
}
