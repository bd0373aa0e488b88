/**
 * Deterministic synthetic Spotify export (see /work/shared/FORMATS.md for the real shapes).
 *
 * Plays are simulated in time order and rendered straight to JSON text, one file chunk
 * (<= 15k records) at a time, so a 1M-play export never holds a million objects.
 * The completion signal lives in ./signal.ts; everything else is realistic mess.
 */
import * as fs from "fs";
import * as path from "path";
import { mulberry32 } from "../common/rng";
import { jacksonStringify } from "./json";
import {
  ADJECTIVES,
  AUDIOBOOKS,
  FIRST_NAMES,
  HOSTILE_LIST,
  HOSTILE_NAMES,
  LOCAL_TRACKS,
  NOUNS,
  PLANTED_PII,
  PlantedPii,
  SHOW_NAMES,
  SURNAMES,
} from "./names";
import {
  CONNECTION_ERROR_WINDOW_MS,
  PROFILE_COUNTRY,
  SIGNAL_VERSION,
  TASTE_SD,
  TRIP_COUNTRIES,
  completionScore,
  isEveningHour,
  sigmoid,
} from "./signal";
import { DAY_MS, HOUR_MS, MINUTE_MS, berlinParts, isoSecondsZ, utcDate, utcMinute, utcMonth } from "./time";

export type TechNaming = "plain" | "hourly";

export interface GenerateOptions {
  outDir: string;
  seed?: number;
  /** Music plays with a track URI after dedup (exact). */
  musicPlays?: number;
  /** `YYYY-MM-DD` (UTC) of the first session. */
  startDate?: string;
  /** Nominal span; the last play lands near startDate + years. */
  years?: number;
  techNaming?: TechNaming;
  /** Write the planted personal data (default true); false writes nulls instead. */
  pii?: boolean;
  /** Max records per extended-history audio file (default: ~1/8 of the export, 400..15000). */
  recordsPerFile?: number;
}

export const FOLDER_ACCOUNT = "Spotify Account Data";
export const FOLDER_EXTENDED = "Spotify Extended Streaming History";
export const FOLDER_TECH = "Spotify Technical Log Information";

/** Defaults reproduce the committed data-sample/. */
export const SAMPLE_DEFAULTS = {
  seed: 42,
  musicPlays: 4000,
  startDate: "2022-03-01",
  years: 38 / 12,
  techNaming: "plain" as TechNaming,
  pii: true,
};

/** Real-export schema/behaviour changes the generator reproduces (by record `ts`). */
export const CHANGES = {
  /** `skipped` is false for every row before this. */
  skippedReliableFrom: "2022-10-16T00:00:00Z",
  /** Detailed platform strings before, coarse after. */
  coarsePlatformFrom: "2023-10-19T00:00:00Z",
  /** `ip_addr_decrypted` + `username` + `user_agent_decrypted` before, `ip_addr` after. */
  ipRenameFrom: "2024-11-01T00:00:00Z",
  /** `audiobook_*` fields present from here (and audiobook rows appear). */
  audiobookFieldsFrom: "2025-01-01T00:00:00Z",
};
const SKIPPED_FROM = Date.parse(CHANGES.skippedReliableFrom);
const COARSE_FROM = Date.parse(CHANGES.coarsePlatformFrom);
const IP_RENAME_FROM = Date.parse(CHANGES.ipRenameFrom);
const AUDIOBOOK_FROM = Date.parse(CHANGES.audiobookFieldsFrom);

/** Technical-log event types written (one file each); AudioDriverInfo is always an empty array. */
export const TECH_TYPES = [
  "ConnectionError",
  "PlaybackError",
  "Stutter",
  "TrackNotPlayed",
  "ConnectionInfo",
  "RawCoreStream",
  "Download",
  "AudioDriverInfo",
] as const;
export type TechType = (typeof TECH_TYPES)[number];
const T_CONN_ERR = 0;
const T_PLAY_ERR = 1;
const T_STUTTER = 2;
const T_NOT_PLAYED = 3;
const T_CONN_INFO = 4;
const T_RAW = 5;
const T_DOWNLOAD = 6;

export interface ManifestFile {
  name: string;
  records: number;
  /** Earliest/latest `ts` in the file. */
  firstTs?: string;
  lastTs?: string;
}

export interface SampleManifest {
  generator: {
    signalVersion: number;
    seed: number;
    musicPlays: number;
    startDate: string;
    years: number;
    techNaming: TechNaming;
    pii: boolean;
    recordsPerFile: number;
  };
  changes: typeof CHANGES;
  /** Every file written, per package folder (JSON and non-JSON), sorted by name. */
  filesPerPackage: { account: string[]; extended: string[]; tech: string[] };
  extended: {
    folder: string;
    audioFiles: ManifestFile[];
    videoFiles: ManifestFile[];
    /** Byte-for-byte copy of another audio file, saved like a second browser download. */
    duplicateFile: { name: string; copyOf: string; records: number; byKind: Record<RowKind, number> } | null;
    /** All records in all extended JSON files, incl. the duplicate file, overlaps and video. */
    recordsInFiles: number;
    /** Same without the duplicate file. */
    recordsExcludingDuplicateFile: number;
    /** Extra identical copies of music records planted where audio files overlap (not counting the duplicate file). */
    exactDuplicateRecords: number;
    /** exactDuplicateRecords + records of the duplicate file. */
    exactDuplicateRecordsInclDuplicateFile: number;
    /** Distinct records per kind (after removing every exact duplicate). */
    distinct: Record<RowKind, number>;
    /** Distinct music plays (rows with spotify_track_uri) = generator.musicPlays. */
    musicPlays: number;
    podcastRows: number;
    audiobookRows: number;
    videoRows: number;
    /** Rows with no track/episode/audiobook URI (local files); `localFileRowsWithName` carry a track name. */
    localFileRows: number;
    localFileRowsWithName: number;
    zeroMsMusicPlays: number;
    /** Distinct music plays whose reason_end is a known value / null / "unknown". */
    labelled: number;
    unlabelled: number;
    unlabelledNull: number;
    unlabelledUnknown: number;
    /** reason_end "trackdone" among distinct music plays. */
    completed: number;
    /** Months (YYYY-MM of the start, UTC) with music plays but no labelled one. */
    unlabelledMonths: string[];
    /** The planted reason_end-null stretch, by start time (UTC, [from, to)). */
    nullReasonStretch: { from: string; to: string };
    /** First start and last end (ISO UTC) of distinct music plays. */
    dateRange: { first: string; last: string };
    /** Distinct rows (audio + video) by schema variant. */
    variants: { oldIpFields: number; newIpField: number; audiobookFields: number };
  };
  account: {
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
  };
  tech: {
    folder: string;
    naming: TechNaming;
    /** Events per type (file name without `_Hourly`). */
    counts: Record<TechType, number>;
    eventFiles: number;
    connectionErrorBursts: number;
  };
  catalog: { artists: number; tracks: number; hostileNames: string[] };
  pii: PlantedPii | null;
  /** Realised ground truth over labelled music plays (for model sanity checks). */
  signal: {
    completionRate: number;
    /** AUC / log loss of the TRUE probabilities: an upper bound for any model. */
    oracleAuc: number;
    oracleLogLoss: number;
    baseRateLogLoss: number;
    share: { shuffle: number; connectionErrorWithin24h: number; inLibrary: number; sessionPositionOver15: number };
    completionBy: Record<string, { n: number; rate: number }>;
  };
}

export type RowKind = "music" | "podcast" | "audiobook" | "local" | "video";

// ---------------------------------------------------------------------------------------------
// Random helpers

class Rand {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** Index from cumulative weights (last entry = total). */
  weighted(cumulative: readonly number[]): number {
    const x = this.next() * cumulative[cumulative.length - 1];
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  base62(n: number): string {
    const abc = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let s = "";
    for (let i = 0; i < n; i++) s += abc[Math.floor(this.next() * 62)];
    return s;
  }
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(this.next() * 16)];
    return s;
  }
}

/** Independent streams per concern, so e.g. account data does not shift when the simulation changes. */
function subSeed(seed: number, stream: number): number {
  return (Math.imul((seed ^ 0x5bd1e995) >>> 0, 0x9e3779b1) + Math.imul(stream, 0x632be5ab)) >>> 0;
}

function cumulative(weights: readonly number[]): number[] {
  let acc = 0;
  return weights.map((w) => (acc += w));
}

function pickWeighted<T extends string>(rng: Rand, table: ReadonlyArray<readonly [T, number]>): T {
  let total = 0;
  for (const [, w] of table) total += w;
  let x = rng.next() * total;
  for (const [v, w] of table) {
    x -= w;
    if (x < 0) return v;
  }
  return table[table.length - 1][0];
}

const q = (s: string | null): string => JSON.stringify(s);

// ---------------------------------------------------------------------------------------------
// Catalog

interface Track {
  name: string;
  artist: number;
  album: number;
  uri: string;
  durationMs: number;
  inLibrary: boolean;
  /** Pre-rendered JSON of the four master_metadata fields + uri (they never change). */
  json: string;
}
interface Album {
  name: string;
  artist: number;
  uri: string;
}
interface Artist {
  name: string;
  uri: string;
  taste: number;
  tracks: number[];
}
interface Catalog {
  artists: Artist[];
  albums: Album[];
  tracks: Track[];
  banned: Track[];
  artistCum: number[];
  shows: { name: string; uri: string; episodes: { name: string; uri: string; durationMs: number }[] }[];
  audiobooks: { title: string; uri: string; chapters: { title: string; uri: string; durationMs: number }[] }[];
  videos: { show: string; name: string; uri: string; durationMs: number }[];
}

const FIELD = "\n        ";

function trackJson(name: string | null, artist: string | null, album: string | null, uri: string | null): string {
  return (
    FIELD + '"master_metadata_track_name": ' + q(name) + "," +
    FIELD + '"master_metadata_album_artist_name": ' + q(artist) + "," +
    FIELD + '"master_metadata_album_album_name": ' + q(album) + "," +
    FIELD + '"spotify_track_uri": ' + q(uri) + ","
  );
}
const NULL_TRACK_JSON = trackJson(null, null, null, null);

function buildCatalog(rng: Rand, musicPlays: number): Catalog {
  const nArtists = Math.max(60, Math.min(150, Math.round(40 + Math.sqrt(musicPlays))));
  const usedArtistNames = new Set<string>();
  const hostileArtist: Record<number, string> = {
    1: HOSTILE_NAMES.script,
    3: HOSTILE_NAMES.emoji,
    4: HOSTILE_NAMES.hyperlink,
    5: HOSTILE_NAMES.arabic,
    7: HOSTILE_NAMES.plusCmd,
    8: HOSTILE_NAMES.hebrew,
    10: HOSTILE_NAMES.quotesCommas,
    12: HOSTILE_NAMES.pipes,
    15: HOSTILE_NAMES.minusFormula,
    18: HOSTILE_NAMES.atSum,
  };
  const hostileAlbum: Record<number, string> = {
    0: 'Album, With "Quotes" | Vol. 1',
    2: "<b>Bold</b> & <i>Loud</i>",
    6: "Side A\nSide B",
  };
  // Artist 0 (the most played) carries one track with each hostile name, all in the library.
  const hostileTracks = HOSTILE_LIST;
  const artists: Artist[] = [];
  const albums: Album[] = [];
  const tracks: Track[] = [];
  for (let a = 0; a < nArtists; a++) {
    let name = hostileArtist[a];
    while (!name || usedArtistNames.has(name)) {
      name = rng.chance(0.5)
        ? `The ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}s`
        : `${rng.pick(FIRST_NAMES)} ${rng.pick(SURNAMES)}`;
      if (usedArtistNames.has(name)) name = `${name} ${rng.int(2, 99)}`;
    }
    usedArtistNames.add(name);
    const artist: Artist = { name, uri: "spotify:artist:" + rng.base62(22), taste: rng.normal() * TASTE_SD, tracks: [] };
    artists.push(artist);
    const nAlbums = rng.int(1, 3);
    const firstAlbum = albums.length;
    for (let b = 0; b < nAlbums; b++) {
      const albumName = b === 0 && hostileAlbum[a] ? hostileAlbum[a] : `${rng.pick(NOUNS)} of ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}s`;
      albums.push({ name: albumName, artist: a, uri: "spotify:album:" + rng.base62(22) });
    }
    const nTracks = rng.int(3, 8) + (a < 10 ? 10 : a < 30 ? 4 : 0);
    const usedTrackNames = new Set<string>();
    for (let k = 0; k < nTracks; k++) {
      const hostile = a === 0 && k < hostileTracks.length ? hostileTracks[k] : null;
      let tname = hostile ?? `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
      if (!hostile && rng.chance(0.08)) tname += rng.chance(0.5) ? " - Remastered 2011" : " (Live)";
      while (usedTrackNames.has(tname)) tname += " II";
      usedTrackNames.add(tname);
      const album = firstAlbum + (k % nAlbums);
      const uri = "spotify:track:" + rng.base62(22);
      const t: Track = {
        name: tname,
        artist: a,
        album,
        uri,
        durationMs: rng.int(120_000, 360_000),
        inLibrary: hostile !== null || rng.chance(0.35),
        json: trackJson(tname, name, albums[album].name, uri),
      };
      artist.tracks.push(tracks.length);
      tracks.push(t);
    }
  }
  // Banned tracks are never played (the listener banned them).
  const banned: Track[] = [];
  for (let i = 0; i < 4; i++) {
    const a = rng.int(0, nArtists - 1);
    const tname = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} (Banned Mix ${i + 1})`;
    const album = albums.findIndex((al) => al.artist === a);
    const uri = "spotify:track:" + rng.base62(22);
    banned.push({ name: tname, artist: a, album, uri, durationMs: 200_000, inLibrary: false, json: "" });
  }
  // Zipf popularity (s = 1).
  const artistCum = cumulative(artists.map((_, i) => 1 / (i + 1)));
  const shows = SHOW_NAMES.map((name) => ({
    name,
    uri: "spotify:show:" + rng.base62(22),
    episodes: Array.from({ length: 30 }, (_, k) => ({
      name: `${name} #${k + 1}: ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`,
      uri: "spotify:episode:" + rng.base62(22),
      durationMs: rng.int(12, 75) * MINUTE_MS + rng.int(0, 59_999),
    })),
  }));
  const audiobooks = AUDIOBOOKS.map((title) => ({
    title,
    uri: "spotify:show:" + rng.base62(22),
    chapters: Array.from({ length: 20 }, (_, k) => ({
      title: `Chapter ${k + 1}`,
      uri: "spotify:episode:" + rng.base62(22),
      durationMs: rng.int(8, 40) * MINUTE_MS + rng.int(0, 59_999),
    })),
  }));
  const videos = Array.from({ length: 12 }, (_, k) => ({
    show: k % 2 ? "Studio Sessions (Video)" : "Kaffee & Code (Video)",
    name: `Video episode ${k + 1}: ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`,
    uri: "spotify:episode:" + rng.base62(22),
    durationMs: rng.int(5, 40) * MINUTE_MS,
  }));
  return { artists, albums, tracks, banned, artistCum, shows, audiobooks, videos };
}

// ---------------------------------------------------------------------------------------------
// Devices

interface Device {
  id: string;
  /** Detailed platform string before 2023-10-19 (may depend on the date: OS upgrades). */
  detailed: (ms: number) => string;
  coarse: string;
  weightBefore: number;
  weightAfter: number;
  env: { manufacturer: string; model: string; type: string; os: string; osVersion: (ms: number) => string };
}

const Y2023 = Date.UTC(2023, 0, 1);
const DEVICES: Device[] = [
  {
    id: "phone",
    detailed: (ms) => (ms < Y2023 ? "Android OS 12 API 31 (samsung, SM-G991B)" : "Android OS 13 API 33 (samsung, SM-G991B)"),
    coarse: "android",
    weightBefore: 0.52,
    weightAfter: 0.52,
    env: { manufacturer: "samsung", model: "SM-G991B", type: "smartphone", os: "android", osVersion: (ms) => (ms < Y2023 ? "12" : ms < COARSE_FROM + 200 * DAY_MS ? "13" : "14") },
  },
  {
    id: "desktop",
    detailed: () => "Windows 10 (10.0.19045; x64)",
    coarse: "windows",
    weightBefore: 0.18,
    weightAfter: 0.2,
    env: { manufacturer: "Microsoft", model: "PC x64", type: "computer", os: "windows", osVersion: () => "10.0.19045" },
  },
  {
    id: "web",
    detailed: () => "web_player windows 10;chrome 96.0.4664.110;desktop",
    coarse: "windows",
    weightBefore: 0.07,
    weightAfter: 0.06,
    env: { manufacturer: "Google", model: "Chrome", type: "computer", os: "windows", osVersion: () => "10" },
  },
  {
    id: "cast",
    detailed: () => "Partner google cast_audio Google;Chromecast_Audio",
    coarse: "not_applicable",
    weightBefore: 0.06,
    weightAfter: 0.06,
    env: { manufacturer: "Google", model: "Chromecast Audio", type: "speaker", os: "cast", osVersion: () => "1.56" },
  },
  {
    id: "linux",
    detailed: () => "Linux [x86-64 0]",
    coarse: "linux",
    weightBefore: 0.05,
    weightAfter: 0.05,
    env: { manufacturer: "unknown", model: "PC x86-64", type: "computer", os: "linux", osVersion: () => "6.1" },
  },
  {
    id: "ipad",
    detailed: () => "iOS 15.1 (iPad13,1)",
    coarse: "ios",
    weightBefore: 0.06,
    weightAfter: 0.05,
    env: { manufacturer: "Apple", model: "iPad13,1", type: "tablet", os: "ios", osVersion: () => "15.1" },
  },
  {
    id: "mac",
    detailed: () => "OS X 10.13.3 [x86 8]",
    coarse: "osx",
    weightBefore: 0.06,
    weightAfter: 0,
    env: { manufacturer: "Apple", model: "MacBookPro14,1", type: "computer", os: "osx", osVersion: () => "10.13.3" },
  },
  {
    id: "playstation",
    detailed: () => "playstation",
    coarse: "playstation",
    weightBefore: 0,
    weightAfter: 0.06,
    env: { manufacturer: "Sony", model: "PS5", type: "game_console", os: "playstation", osVersion: () => "7.0" },
  },
];
const DEVICE_CUM_BEFORE = cumulative(DEVICES.map((d) => d.weightBefore));
const DEVICE_CUM_AFTER = cumulative(DEVICES.map((d) => d.weightAfter));

/** Relative session-start intensity by local hour (night is rare but present so its effect is learnable). */
const START_HOUR_WEIGHT = [
  0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.4, 0.8, 1.0, 0.9, 0.8, 0.8,
  0.9, 0.9, 0.8, 0.9, 1.1, 1.4, 1.6, 1.7, 1.8, 1.7, 1.3, 0.8,
];
const START_HOUR_MAX = Math.max(...START_HOUR_WEIGHT);
const START_ACCEPT_MEAN = START_HOUR_WEIGHT.reduce((a, b) => a + b, 0) / 24 / START_HOUR_MAX;

const FIRST_REASON: ReadonlyArray<readonly [string, number]> = [
  ["clickrow", 0.35], ["playbtn", 0.25], ["appload", 0.2], ["remote", 0.08], ["trackdone", 0.06], ["fwdbtn", 0.04], ["unknown", 0.02],
];
const END_MID: ReadonlyArray<readonly [string, number]> = [
  ["fwdbtn", 0.74], ["backbtn", 0.09], ["endplay", 0.06], ["trackerror", 0.03], ["remote", 0.03], ["unexpected-exit", 0.03], ["unexpected-exit-while-paused", 0.02],
];
const END_LAST: ReadonlyArray<readonly [string, number]> = [
  ["endplay", 0.5], ["fwdbtn", 0.2], ["logout", 0.08], ["unexpected-exit", 0.12], ["unexpected-exit-while-paused", 0.1],
];
/** The next play's reason_start follows how the previous one ended. */
function followReason(rng: Rand, prevEnd: string): string {
  switch (prevEnd) {
    case "trackdone":
    case "fwdbtn":
    case "backbtn":
    case "trackerror":
    case "remote":
      return prevEnd;
    case "endplay":
      return rng.chance(0.5) ? "clickrow" : "playbtn";
    default:
      return "appload";
  }
}

// ---------------------------------------------------------------------------------------------
// Output rows

interface Row {
  text: string;
  tsMs: number;
  kind: RowKind;
}

interface AccountWindow {
  endMs: number[];
  item: number[];
  ms: number[];
  podcasts: { endMs: number; obj: Record<string, unknown> }[];
}

interface TechEvent {
  type: number;
  t: number;
  device: number;
  country: string;
  aux: number;
}

function pdfBytes(title: string): string {
  return `%PDF-1.4\n% ${title} (synthetic placeholder, not a real PDF body)\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
}

function nullStretch(startMs: number, spanMs: number): [number, number] {
  // Three whole calendar months starting after ~40% of the span: real exports have such holes.
  const d = new Date(startMs + 0.4 * spanMs);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 4, 1);
  return [from, to];
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Area under the ROC curve of scores p for labels y (ties averaged). */
function auc(p: Float64Array, y: Uint8Array): number {
  const n = p.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]] === p[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[order[k]]) {
      pos++;
      rankSum += rank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  return pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : 0.5;
}

// ---------------------------------------------------------------------------------------------

export function resolveOptions(options: GenerateOptions): Required<Omit<GenerateOptions, "outDir">> {
  const musicPlays = Math.floor(options.musicPlays ?? SAMPLE_DEFAULTS.musicPlays);
  if (!(musicPlays >= 1)) throw new Error("musicPlays must be >= 1");
  // Heavy exports get a longer history (about 60k plays a year) so sessions stay plausible.
  const years = options.years ?? Math.max(SAMPLE_DEFAULTS.years, musicPlays / 60_000);
  let startDate = options.startDate;
  if (!startDate) {
    const months = Math.round(years * 12);
    startDate = utcDate(Date.UTC(2025, 4 - months, 1)); // ends near 2025-05 by default
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(startDate) || Number.isNaN(Date.parse(startDate))) {
    throw new Error(`startDate must be YYYY-MM-DD, got ${startDate}`);
  }
  const estRecords = Math.ceil(musicPlays * 1.07);
  return {
    seed: (options.seed ?? SAMPLE_DEFAULTS.seed) >>> 0,
    musicPlays,
    startDate,
    years,
    techNaming: options.techNaming ?? SAMPLE_DEFAULTS.techNaming,
    pii: options.pii ?? SAMPLE_DEFAULTS.pii,
    recordsPerFile: options.recordsPerFile ?? Math.min(15_000, Math.max(400, Math.ceil(estRecords / 8))),
  };
}

/** Write a synthetic export (three package folders) under `options.outDir` and describe it. */
export function generateExport(options: GenerateOptions): SampleManifest {
  const opt = resolveOptions(options);
  const N = opt.musicPlays;
  const pii = opt.pii ? PLANTED_PII : null;
  const rngCat = new Rand(subSeed(opt.seed, 1));
  const rng = new Rand(subSeed(opt.seed, 2));
  const rngLayout = new Rand(subSeed(opt.seed, 3));
  const rngTech = new Rand(subSeed(opt.seed, 4));
  const rngAcc = new Rand(subSeed(opt.seed, 5));

  const catalog = buildCatalog(rngCat, N);
  const { artists, tracks } = catalog;

  const extDir = path.join(options.outDir, FOLDER_EXTENDED);
  const accDir = path.join(options.outDir, FOLDER_ACCOUNT);
  const techDir = path.join(options.outDir, FOLDER_TECH);
  for (const d of [extDir, accDir, techDir]) fs.mkdirSync(d, { recursive: true });

  const startMs = Date.parse(opt.startDate + "T00:00:00Z");
  const spanMs = opt.years * 365.25 * DAY_MS;
  const nominalEnd = startMs + spanMs;
  const [nullFrom, nullTo] = nullStretch(startMs, spanMs);

  const usernameJson = q(pii ? pii.username : null);
  const uaJson = q(pii ? pii.userAgent : null);
  const ipv4Json = q(pii ? pii.ipv4 : null);
  const ipv6Json = q(pii ? pii.ipv6 : null);

  // ---- extended-history file writer (chunked; disorder and duplicates planted at flush) ----
  const audioFiles: ManifestFile[] = [];
  let duplicateFile: SampleManifest["extended"]["duplicateFile"] = null;
  let buf: Row[] = [];
  let carry: Row[] = [];
  let prevTail: Row[] = [];
  let crossed2025 = false;
  let exactDuplicates = 0;
  let recordsInFiles = 0;
  const videoRows: Row[] = [];

  const fileText = (rows: Row[]): string => (rows.length ? "[\n" + rows.map((r) => r.text).join(",\n") + "\n]" : "[]");
  const yearsLabel = (rows: Row[]): { label: string; first: number; last: number } => {
    let first = Infinity;
    let last = -Infinity;
    for (const r of rows) {
      if (r.tsMs < first) first = r.tsMs;
      if (r.tsMs > last) last = r.tsMs;
    }
    const y1 = new Date(first).getUTCFullYear();
    const y2 = new Date(last).getUTCFullYear();
    return { label: y1 === y2 ? `${y1}` : `${y1}-${y2}`, first, last };
  };

  const flush = (final: boolean, holdBack: boolean): void => {
    const rows = buf;
    buf = [];
    // Rows held back from the previous file land among the first rows of this one: across-file disorder.
    for (const c of carry) rows.splice(rngLayout.int(0, Math.min(50, rows.length)), 0, c);
    carry = [];
    for (let i = 0; i < rows.length; i++) {
      if (rngLayout.chance(0.02)) {
        const j = i + 1 + rngLayout.int(0, 19);
        if (j < rows.length) [rows[i], rows[j]] = [rows[j], rows[i]];
      }
    }
    if (!final && holdBack && rows.length > 40) {
      const h = rngLayout.int(3, 8);
      carry = rows.splice(rows.length - h - rngLayout.int(0, 20), h);
    }
    const index = audioFiles.length;
    // Overlapping downloads: the tail of the previous file repeated at the head of every third file.
    const is2025 = rows.length > 0 && rows[rows.length - 1].tsMs >= AUDIOBOOK_FROM;
    if (index % 3 === 2 && prevTail.length && prevTail.every((r) => r.tsMs >= AUDIOBOOK_FROM === is2025)) {
      rows.unshift(...prevTail);
      exactDuplicates += prevTail.length;
    }
    const { label, first, last } = yearsLabel(rows);
    const name = `Streaming_History_Audio_${label}_${index}.json`;
    const text = fileText(rows);
    fs.writeFileSync(path.join(extDir, name), text);
    recordsInFiles += rows.length;
    audioFiles.push({ name, records: rows.length, firstTs: isoSecondsZ(first), lastTs: isoSecondsZ(last) });
    if (index === 1) {
      const copy = name.replace(/\.json$/, " (1).json");
      fs.writeFileSync(path.join(extDir, copy), text);
      recordsInFiles += rows.length;
      const byKind: Record<RowKind, number> = { music: 0, podcast: 0, audiobook: 0, local: 0, video: 0 };
      for (const r of rows) byKind[r.kind]++;
      duplicateFile = { name: copy, copyOf: name, records: rows.length, byKind };
    }
    prevTail = rows.filter((r) => r.kind === "music").slice(-6);
  };

  const addRow = (row: Row): void => {
    if (!crossed2025 && row.tsMs >= AUDIOBOOK_FROM) {
      crossed2025 = true;
      // Keep 2025 files pure: the file before the switch holds nothing back.
      if (buf.length) flush(false, false);
    } else if (buf.length >= opt.recordsPerFile) flush(false, true);
    buf.push(row);
  };

  // ---- Account Data "last year" history, kept as a rolling window ----
  // Plain number arrays (end ms, track index or -1-localIndex, ms played): no object per play.
  const acc: AccountWindow = { endMs: [], item: [], ms: [], podcasts: [] };
  // Amortised O(1): only drop the old head once it is most of the array.
  const trimWindow = (now: number): void => {
    const n = acc.endMs.length;
    if (n < 8192 || acc.endMs[n >> 1] >= now - 370 * DAY_MS) return;
    let k = 0;
    while (acc.endMs[k] < now - 370 * DAY_MS) k++;
    acc.endMs.splice(0, k);
    acc.item.splice(0, k);
    acc.ms.splice(0, k);
  };
  const pushAcc = (endMs: number, item: number, ms: number): void => {
    acc.endMs.push(endMs);
    acc.item.push(item);
    acc.ms.push(ms);
  };

  // ---- stats ----
  const distinct: Record<RowKind, number> = { music: 0, podcast: 0, audiobook: 0, local: 0, video: 0 };
  let localWithName = 0;
  let zeroMs = 0;
  let labelled = 0;
  let unlabNull = 0;
  let unlabUnknown = 0;
  let completedCount = 0;
  const variants = { oldIpFields: 0, newIpField: 0, audiobookFields: 0 };
  const monthTotals = new Map<string, [number, number]>();
  let monthStart = 0;
  let monthEnd = 0;
  let monthKey = "";
  const pTrue = new Float64Array(N);
  const yTrue = new Uint8Array(N);
  const isLabelled = new Uint8Array(N);
  const by = new Map<string, [number, number]>();
  const tally = (key: string, done: boolean): void => {
    const e = by.get(key) ?? [0, 0];
    e[0]++;
    if (done) e[1]++;
    by.set(key, e);
  };
  const share = { shuffle: 0, error: 0, lib: 0, pos15: 0 };
  let firstStart = Infinity;
  let lastEnd = -Infinity;

  // ---- tech events (kept compact; rendered at the end) ----
  const techEvents: TechEvent[] = [];
  const connErrTimes: number[] = [];
  let nextBurst = startMs - 2 * DAY_MS + rng.exp(4 * DAY_MS);
  let bursts = 0;
  const ensureBursts = (upTo: number): void => {
    while (nextBurst <= upTo) {
      const n = rng.int(1, 3);
      const times: number[] = [];
      for (let i = 0; i < n; i++) times.push(Math.floor(nextBurst + rng.next() * HOUR_MS));
      times.sort((a, b) => a - b);
      for (const t of times) {
        connErrTimes.push(t);
        techEvents.push({ type: T_CONN_ERR, t, device: 0, country: countryAt(t), aux: 0 });
      }
      bursts++;
      nextBurst += HOUR_MS + rng.exp(4 * DAY_MS);
    }
  };
  let errIdx = 0;

  // ---- trips abroad (Berlin-time countries only) ----
  let tripStart = startMs + rng.exp(70 * DAY_MS);
  let tripEnd = tripStart + rng.int(3, 10) * DAY_MS;
  let tripCountry = rng.pick(TRIP_COUNTRIES);
  function countryAt(t: number): string {
    while (t >= tripEnd) {
      tripStart = tripEnd + rng.exp(70 * DAY_MS);
      tripEnd = tripStart + rng.int(3, 10) * DAY_MS;
      tripCountry = rng.pick(TRIP_COUNTRIES);
    }
    return t >= tripStart ? tripCountry : PROFILE_COUNTRY;
  }

  // ---- record rendering ----
  interface Rec {
    startMs: number;
    ms: number;
    kind: RowKind;
    platform: string;
    country: string;
    ipJson: string;
    trackFields: string;
    episode: [string | null, string | null, string | null];
    audiobook: [string | null, string | null, string | null, string | null];
    reasonStart: string;
    reasonEnd: string | null;
    shuffle: boolean;
    skipped: boolean;
    offline: boolean;
    offlineTs: number | null;
    incognito: boolean;
  }
  // Most of a record is constant within a session: cache the rendered segments (this is the hot path
  // for 1M plays; fewer string pieces also means far less garbage).
  const segPlatform = [new Map<string, string>(), new Map<string, string>()];
  let lastConn = ["", "", "", ""]; // old flag, country, ipJson -> segment
  const connSeg = (old: boolean, country: string, ipJson: string): string => {
    const o = old ? "1" : "0";
    if (lastConn[0] !== o || lastConn[1] !== country || lastConn[2] !== ipJson) {
      lastConn = [
        o,
        country,
        ipJson,
        "," + FIELD + '"conn_country": ' + q(country) + "," +
          (old ? FIELD + '"ip_addr_decrypted": ' + ipJson + "," + FIELD + '"user_agent_decrypted": ' + uaJson + "," : FIELD + '"ip_addr": ' + ipJson + ","),
      ];
    }
    return lastConn[3];
  };
  const episodeSeg = (e: Rec["episode"], book: Rec["audiobook"] | null): string => {
    let s = FIELD + '"episode_name": ' + q(e[0]) + "," + FIELD + '"episode_show_name": ' + q(e[1]) + "," + FIELD + '"spotify_episode_uri": ' + q(e[2]) + ",";
    if (book) {
      s += FIELD + '"audiobook_title": ' + q(book[0]) + "," + FIELD + '"audiobook_uri": ' + q(book[1]) + ",";
      s += FIELD + '"audiobook_chapter_uri": ' + q(book[2]) + "," + FIELD + '"audiobook_chapter_title": ' + q(book[3]) + ",";
    }
    return s + FIELD + '"reason_start": "';
  };
  const NULL_EPISODE: Rec["episode"] = [null, null, null];
  const NULL_BOOK: Rec["audiobook"] = [null, null, null, null];
  const NO_EPISODE_SEG = [episodeSeg(NULL_EPISODE, null), episodeSeg(NULL_EPISODE, NULL_BOOK)];
  const reasonEndSeg = [new Map<string, string>(), new Map<string, string>()];
  const offlineSeg = [false, true].map((v) => "," + FIELD + '"offline": ' + v + "," + FIELD + '"offline_timestamp": ');
  const incognitoSeg = [false, true].map((v) => "," + FIELD + '"incognito_mode": ' + v + "\n    }");
  const render = (r: Rec): Row => {
    const tsMs = Math.floor((r.startMs + r.ms) / 1000) * 1000;
    const old = tsMs < IP_RENAME_FROM;
    const withBook = tsMs >= AUDIOBOOK_FROM;
    if (old) variants.oldIpFields++;
    else variants.newIpField++;
    if (withBook) variants.audiobookFields++;
    const pm = segPlatform[old ? 1 : 0];
    let platformSeg = pm.get(r.platform);
    if (platformSeg === undefined) {
      platformSeg = (old ? FIELD + '"username": ' + usernameJson + "," : "") + FIELD + '"platform": ' + q(r.platform) + "," + FIELD + '"ms_played": ';
      pm.set(r.platform, platformSeg);
    }
    const noEpisode = r.episode[0] === null && r.episode[2] === null && r.audiobook[0] === null && r.audiobook[1] === null;
    const epSeg = noEpisode ? NO_EPISODE_SEG[withBook ? 1 : 0] : episodeSeg(r.episode, withBook ? r.audiobook : null);
    const rm = reasonEndSeg[r.shuffle ? 1 : 0];
    const endKey = r.reasonEnd ?? "";
    let endSeg = rm.get(endKey);
    if (endSeg === undefined) {
      endSeg = '",' + FIELD + '"reason_end": ' + q(r.reasonEnd) + "," + FIELD + '"shuffle": ' + r.shuffle + "," + FIELD + '"skipped": ';
      rm.set(endKey, endSeg);
    }
    const text =
      "    {" + FIELD + '"ts": "' + new Date(tsMs).toISOString().slice(0, 19) + 'Z",' + platformSeg + r.ms +
      connSeg(old, r.country, r.ipJson) + r.trackFields + epSeg + r.reasonStart + endSeg + r.skipped +
      offlineSeg[r.offline ? 1 : 0] + (r.offlineTs === null ? "null" : r.offlineTs) + incognitoSeg[r.incognito ? 1 : 0];
    return { text, tsMs, kind: r.kind };
  };
  const maskReason = (startT: number, trueEnd: string): string | null => {
    if (startT >= nullFrom - 10 * MINUTE_MS && startT < nullTo) return null;
    return rng.chance(0.006) ? "unknown" : trueEnd;
  };
  const skippedFlag = (tsMs: number, completed: boolean, trueEnd: string): boolean =>
    tsMs >= SKIPPED_FROM && !completed && (trueEnd === "fwdbtn" || trueEnd === "backbtn") && rng.chance(0.95);
  const offlineTs = (offline: boolean, t: number): number | null => {
    if (!offline) return null;
    if (rng.chance(0.03)) return 1;
    return t < Y2023 ? Math.floor(t / 1000) : t; // seconds in older rows, ms in newer ones
  };

  interface SessionCtx {
    device: number;
    platform: string;
    ipJson: string;
    offline: boolean;
    incognito: boolean;
  }
  const newSessionCtx = (t: number): SessionCtx => {
    const device = rng.weighted(t < COARSE_FROM ? DEVICE_CUM_BEFORE : DEVICE_CUM_AFTER);
    const d = DEVICES[device];
    return {
      device,
      platform: t < COARSE_FROM ? d.detailed(t) : d.coarse,
      ipJson: d.id === "phone" && rng.chance(0.5) ? ipv6Json : ipv4Json,
      offline: d.id === "phone" && rng.chance(0.1),
      incognito: rng.chance(0.015),
    };
  };

  /** Podcast / local-file / audiobook / video sessions sit in the gaps between music sessions. */
  const nonMusicSession = (kind: RowKind, after: number): number => {
    let t = after + rng.int(35, 120) * MINUTE_MS;
    const ctx = newSessionCtx(t);
    const n = kind === "video" ? 1 : kind === "podcast" ? rng.int(1, 2) : rng.int(2, 4);
    const show = rng.pick(catalog.shows);
    const book = rng.pick(catalog.audiobooks);
    let chapter = rng.int(0, book.chapters.length - 2);
    for (let i = 0; i < n; i++) {
      const country = countryAt(t);
      let duration: number;
      let trackFields = NULL_TRACK_JSON;
      let episode: Rec["episode"] = [null, null, null];
      let audiobook: Rec["audiobook"] = [null, null, null, null];
      let localNames: [string, string, string] | null = null;
      if (kind === "podcast") {
        const e = rng.pick(show.episodes);
        duration = e.durationMs;
        episode = [e.name, show.name, e.uri];
      } else if (kind === "video") {
        const v = rng.pick(catalog.videos);
        duration = v.durationMs;
        episode = [v.name, v.show, v.uri];
      } else if (kind === "audiobook") {
        const c = book.chapters[Math.min(chapter++, book.chapters.length - 1)];
        duration = c.durationMs;
        audiobook = [book.title, book.uri, c.uri, c.title];
      } else {
        duration = rng.int(90_000, 300_000);
        if (rng.chance(0.75)) {
          localNames = rng.pick(LOCAL_TRACKS);
          trackFields = trackJson(localNames[0], localNames[1], localNames[2], null);
          localWithName++;
        }
      }
      const done = rng.chance(kind === "local" ? 0.6 : 0.35);
      const trueEnd = done ? "trackdone" : pickWeighted(rng, [["endplay", 0.6], ["fwdbtn", 0.25], ["unexpected-exit", 0.15]] as const);
      const ms = done ? duration : Math.floor(duration * rng.next());
      const rec: Rec = {
        startMs: t,
        ms,
        kind,
        platform: ctx.platform,
        country,
        ipJson: ctx.ipJson,
        trackFields,
        episode,
        audiobook,
        reasonStart: i === 0 ? pickWeighted(rng, [["clickrow", 0.5], ["playbtn", 0.3], ["appload", 0.2]] as const) : followReason(rng, "trackdone"),
        reasonEnd: maskReason(t, trueEnd),
        shuffle: false,
        skipped: false,
        offline: ctx.offline,
        offlineTs: null,
        incognito: ctx.incognito,
      };
      rec.skipped = skippedFlag(t + ms, done, trueEnd);
      rec.offlineTs = offlineTs(ctx.offline, t);
      const row = render(rec);
      distinct[kind]++;
      if (kind === "video") videoRows.push(row);
      else addRow(row);
      if (localNames) {
        pushAcc(row.tsMs, -1 - LOCAL_TRACKS.indexOf(localNames), ms);
      } else if (kind === "podcast") {
        acc.podcasts.push({ endMs: row.tsMs, obj: { endTime: utcMinute(row.tsMs), podcastName: show.name, episodeName: episode[0], msPlayed: ms } });
      }
      t = row.tsMs + rng.int(1000, 4000);
    }
    return t;
  };

  // ---- the simulation ----
  let music = 0;
  let clock = startMs;
  const meanSessionLen = 0.55 * 4 + 0.45 * 22.5;
  // Running estimate of a session's busy time (music + following non-music sessions), to pace towards nominalEnd.
  let avgBusyMs = meanSessionLen * 150_000;
  while (music < N) {
    // Session start: thinned Poisson process by local hour, paced to finish near nominalEnd.
    const remainingSessions = Math.max(1, (N - music) / meanSessionLen);
    const perSession = (nominalEnd - clock) / remainingSessions;
    const meanWait = Math.max(10 * MINUTE_MS, perSession - avgBusyMs - 32 * MINUTE_MS);
    let s = clock + 32 * MINUTE_MS;
    for (;;) {
      s += rng.exp(meanWait * START_ACCEPT_MEAN);
      if (rng.next() * START_HOUR_MAX < START_HOUR_WEIGHT[berlinParts(s).hour]) break;
    }
    s = Math.floor(s);
    const ctx = newSessionCtx(s);
    const shuffle = rng.chance(0.42);
    const length = rng.chance(0.55) ? 1 + Math.floor(rng.exp(3.5)) : 8 + Math.floor(rng.exp(15));
    if (rng.chance(0.6)) techEvents.push({ type: T_CONN_INFO, t: s - 1500, device: ctx.device, country: countryAt(s), aux: 0 });
    let prevTrack = -1;
    let prevPrevTrack = -1;
    let prevEnd = "";
    let prevCompleted = true;
    let t = s;
    for (let pos = 1; pos <= length && music < N; pos++) {
      const reasonStart = pos === 1 ? pickWeighted(rng, FIRST_REASON) : followReason(rng, prevEnd);
      let trackIdx: number;
      if (reasonStart === "backbtn" && prevTrack >= 0) {
        trackIdx = rng.chance(0.5) || prevPrevTrack < 0 ? prevTrack : prevPrevTrack;
      } else if (!shuffle && prevTrack >= 0 && (reasonStart === "trackdone" || reasonStart === "fwdbtn" || reasonStart === "trackerror") && rng.chance(0.65)) {
        // Album/artist context: next track of the same artist.
        const list = artists[tracks[prevTrack].artist].tracks;
        trackIdx = list[(list.indexOf(prevTrack) + 1) % list.length];
      } else {
        const a = rng.weighted(catalog.artistCum);
        trackIdx = rng.pick(artists[a].tracks);
      }
      const track = tracks[trackIdx];
      const taste = artists[track.artist].taste;
      const country = countryAt(t);
      ensureBursts(t);
      while (errIdx < connErrTimes.length && connErrTimes[errIdx] < t) errIdx++;
      const errorRecent = errIdx > 0 && t - connErrTimes[errIdx - 1] <= CONNECTION_ERROR_WINDOW_MS;
      const local = berlinParts(t);
      const weekend = local.weekday === 0 || local.weekday === 6;
      const p = sigmoid(
        completionScore({
          localHour: local.hour,
          weekend,
          sessionPosition: pos,
          taste,
          shuffle,
          reasonStart,
          connectionErrorWithin24h: errorRecent,
          inLibrary: track.inLibrary,
          previousNotCompleted: pos > 1 && !prevCompleted,
        }),
      );
      const completed = rng.next() < p;
      const last = pos === length || music + 1 === N;
      const trueEnd = completed ? "trackdone" : pickWeighted(rng, last ? END_LAST : END_MID);
      let ms: number;
      const dur = track.durationMs;
      if (completed) ms = dur;
      else if (trueEnd === "trackerror") ms = 0;
      else if (trueEnd === "fwdbtn") ms = rng.chance(0.08) ? 0 : Math.floor(dur * Math.pow(rng.next(), 2.2));
      else if (trueEnd === "backbtn") ms = Math.floor(dur * Math.pow(rng.next(), 3));
      else ms = Math.floor(dur * rng.next());
      ms = Math.min(ms, dur - 1 + (completed ? 1 : 0));
      const reasonEnd = maskReason(t, trueEnd);
      const rec: Rec = {
        startMs: t,
        ms,
        kind: "music",
        platform: ctx.platform,
        country,
        ipJson: ctx.ipJson,
        trackFields: track.json,
        episode: [null, null, null],
        audiobook: [null, null, null, null],
        reasonStart,
        reasonEnd,
        shuffle,
        skipped: false,
        offline: ctx.offline,
        offlineTs: null,
        incognito: ctx.incognito,
      };
      rec.skipped = skippedFlag(t + ms, completed, trueEnd);
      rec.offlineTs = offlineTs(ctx.offline, t);
      const row = render(rec);
      addRow(row);

      // stats (by the start that ingestion will derive: ts - ms_played)
      const derivedStart = row.tsMs - ms;
      distinct.music++;
      if (ms === 0) zeroMs++;
      if (derivedStart >= monthEnd || derivedStart < monthStart) {
        const d = new Date(derivedStart);
        monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
        monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
        monthKey = utcMonth(derivedStart);
      }
      const month = monthKey;
      const mt = monthTotals.get(month) ?? [0, 0];
      mt[0]++;
      if (reasonEnd === null) unlabNull++;
      else if (reasonEnd === "unknown") unlabUnknown++;
      else {
        labelled++;
        mt[1]++;
        if (completed) completedCount++;
        isLabelled[music] = 1;
        tally(local.hour <= 5 ? "hour00to05" : isEveningHour(local.hour) ? "hour18to23" : "hour06to17", completed);
        if (isEveningHour(local.hour)) tally(weekend ? "eveningWeekend" : "eveningWeekday", completed);
        tally(pos > 25 ? "sessionPos26plus" : pos > 15 ? "sessionPos16to25" : "sessionPos1to15", completed);
        if (taste < -0.5) tally(shuffle ? "lowTasteShuffle" : "lowTasteNoShuffle", completed);
        else if (taste > 0.5) tally(shuffle ? "highTasteShuffle" : "highTasteNoShuffle", completed);
        tally(errorRecent ? "connectionErrorWithin24h" : "noConnectionError", completed);
        tally(track.inLibrary ? "inLibrary" : "notInLibrary", completed);
        if (pos > 1) tally(prevCompleted ? "previousCompleted" : "previousNotCompleted", completed);
        tally("reasonStart:" + reasonStart, completed);
        if (shuffle) share.shuffle++;
        if (errorRecent) share.error++;
        if (track.inLibrary) share.lib++;
        if (pos > 15) share.pos15++;
      }
      monthTotals.set(month, mt);
      pTrue[music] = p;
      yTrue[music] = completed ? 1 : 0;
      if (derivedStart < firstStart) firstStart = derivedStart;
      if (row.tsMs > lastEnd) lastEnd = row.tsMs;
      pushAcc(row.tsMs, trackIdx, ms);

      // Noise events in the technical log (no effect on completion; PlaybackError/Stutter are same-day leak traps).
      if (trueEnd === "trackerror") techEvents.push({ type: T_PLAY_ERR, t: t + rng.int(50, 800), device: ctx.device, country, aux: trackIdx });
      if (ms > 0 && rng.chance(0.015)) techEvents.push({ type: T_STUTTER, t: t + Math.floor(rng.next() * ms), device: ctx.device, country, aux: trackIdx });
      if (rng.chance(0.008)) techEvents.push({ type: T_NOT_PLAYED, t: t - 300, device: ctx.device, country, aux: trackIdx });
      if (rng.chance(0.004)) techEvents.push({ type: T_RAW, t: row.tsMs, device: ctx.device, country, aux: trackIdx });
      if (rng.chance(0.002)) techEvents.push({ type: T_DOWNLOAD, t: t + rng.int(0, 5000), device: ctx.device, country, aux: trackIdx });

      music++;
      prevPrevTrack = prevTrack;
      prevTrack = trackIdx;
      prevEnd = trueEnd;
      prevCompleted = completed;
      t = row.tsMs + rng.int(1000, 4000); // back to back: >= 1 s so derived starts never overlap
    }
    clock = t;
    trimWindow(clock);
    if (music >= N) break;
    if (rng.chance(0.1)) clock = nonMusicSession("podcast", clock);
    if (rng.chance(0.035)) clock = nonMusicSession("local", clock);
    if (clock >= AUDIOBOOK_FROM && rng.chance(0.5)) clock = nonMusicSession("audiobook", clock);
    if (rng.chance(0.025)) clock = nonMusicSession("video", clock);
    avgBusyMs += (clock - s - avgBusyMs) * 0.02;
  }
  flush(true, false);
  ensureBursts(lastEnd);

  // ---- video file ----
  const videoFiles: ManifestFile[] = [];
  if (videoRows.length) {
    const { label, first, last } = yearsLabel(videoRows);
    const name = `Streaming_History_Video_${label}.json`;
    fs.writeFileSync(path.join(extDir, name), fileText(videoRows));
    recordsInFiles += videoRows.length;
    videoFiles.push({ name, records: videoRows.length, firstTs: isoSecondsZ(first), lastTs: isoSecondsZ(last) });
  }
  fs.writeFileSync(path.join(extDir, "ReadMeFirst_ExtendedStreamingHistory.pdf"), pdfBytes("Read Me First: Extended Streaming History"));

  // ---- Technical Log Information ----
  const techCounts = writeTech(techDir, techEvents, opt.techNaming, rngTech, catalog);

  // ---- Account Data ----
  const account = writeAccount(accDir, rngAcc, catalog, pii, startMs, lastEnd, acc);

  // ---- manifest ----
  const unlabelledMonths = [...monthTotals.entries()].filter(([, v]) => v[0] > 0 && v[1] === 0).map(([m]) => m).sort();
  const dupRecords = (duplicateFile as SampleManifest["extended"]["duplicateFile"])?.records ?? 0;
  const lp: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < N; i++) if (isLabelled[i]) {
    lp.push(pTrue[i]);
    ly.push(yTrue[i]);
  }
  const P = Float64Array.from(lp);
  const Y = Uint8Array.from(ly);
  const rate = labelled ? completedCount / labelled : 0;
  let ll = 0;
  let llBase = 0;
  for (let i = 0; i < P.length; i++) {
    ll -= Y[i] ? Math.log(P[i]) : Math.log(1 - P[i]);
    llBase -= Y[i] ? Math.log(rate) : Math.log(1 - rate);
  }
  const completionBy: Record<string, { n: number; rate: number }> = {};
  for (const key of [...by.keys()].sort()) {
    const [n, d] = by.get(key)!;
    completionBy[key] = { n, rate: round4(d / n) };
  }
  const list = (dir: string): string[] => fs.readdirSync(dir).sort();
  return {
    generator: { signalVersion: SIGNAL_VERSION, ...opt },
    changes: CHANGES,
    filesPerPackage: { account: list(accDir), extended: list(extDir), tech: list(techDir) },
    extended: {
      folder: FOLDER_EXTENDED,
      audioFiles,
      videoFiles,
      duplicateFile,
      recordsInFiles,
      recordsExcludingDuplicateFile: recordsInFiles - dupRecords,
      exactDuplicateRecords: exactDuplicates,
      exactDuplicateRecordsInclDuplicateFile: exactDuplicates + dupRecords,
      distinct,
      musicPlays: distinct.music,
      podcastRows: distinct.podcast,
      audiobookRows: distinct.audiobook,
      videoRows: distinct.video,
      localFileRows: distinct.local,
      localFileRowsWithName: localWithName,
      zeroMsMusicPlays: zeroMs,
      labelled,
      unlabelled: unlabNull + unlabUnknown,
      unlabelledNull: unlabNull,
      unlabelledUnknown: unlabUnknown,
      completed: completedCount,
      unlabelledMonths,
      nullReasonStretch: { from: new Date(nullFrom).toISOString(), to: new Date(nullTo).toISOString() },
      dateRange: { first: new Date(firstStart).toISOString(), last: new Date(lastEnd).toISOString() },
      variants,
    },
    account,
    tech: {
      folder: FOLDER_TECH,
      naming: opt.techNaming,
      counts: techCounts,
      eventFiles: TECH_TYPES.length,
      connectionErrorBursts: bursts,
    },
    catalog: { artists: artists.length, tracks: tracks.length, hostileNames: [...HOSTILE_LIST] },
    pii: pii ? { ...pii } : null,
    signal: {
      completionRate: round4(rate),
      oracleAuc: round4(auc(P, Y)),
      oracleLogLoss: round4(P.length ? ll / P.length : 0),
      baseRateLogLoss: round4(P.length ? llBase / P.length : 0),
      share: {
        shuffle: round4(share.shuffle / Math.max(1, labelled)),
        connectionErrorWithin24h: round4(share.error / Math.max(1, labelled)),
        inLibrary: round4(share.lib / Math.max(1, labelled)),
        sessionPositionOver15: round4(share.pos15 / Math.max(1, labelled)),
      },
      completionBy,
    },
  };
}

// ---------------------------------------------------------------------------------------------

const APP_VERSIONS: ReadonlyArray<[number, string]> = [
  [Date.UTC(2024, 0, 1), "8.7.78.373"],
  [Date.UTC(2025, 0, 1), "8.8.96.364"],
  [Infinity, "8.9.10.612"],
];

function writeTech(dir: string, events: TechEvent[], naming: TechNaming, rng: Rand, catalog: Catalog): Record<TechType, number> {
  const byType: TechEvent[][] = TECH_TYPES.map(() => []);
  for (const e of events) byType[e.type].push(e);
  const counts = {} as Record<TechType, number>;
  const gid = (i: number): string => {
    const r = new Rand(0x7ec4 + i);
    return r.hex(32);
  };
  TECH_TYPES.forEach((type, ti) => {
    const list = byType[ti];
    // Real technical-log files are unsorted.
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    const objs = list.map((e) => {
      const d = DEVICES[e.device].env;
      const o: Record<string, unknown> = {
        timestamp_utc: new Date(e.t).toISOString(),
        context_time: e.t,
        context_receiver_service_timestamp: e.t + (rng.chance(0.03) ? rng.int(1, 36) * HOUR_MS : rng.int(150, 30_000)),
        context_application_version: APP_VERSIONS.find(([until]) => e.t < until)![1],
        context_conn_country: e.country,
        context_device_manufacturer: d.manufacturer,
        context_device_model: d.model,
        context_device_type: d.type,
        context_os_name: d.os,
        context_os_version: d.osVersion(e.t),
      };
      const track = catalog.tracks[e.aux];
      switch (e.type) {
        case T_CONN_ERR:
          o.message_ap = `ap-gew4.spotify.com:${rng.pick([443, 4070, 80])}`;
          o.message_error_code = rng.pick([-101, -103, -105, -110, 10054]);
          o.message_proxy = rng.chance(0.9) ? "" : null;
          break;
        case T_PLAY_ERR:
          o.message_error_code = rng.pick([1002, 1004, 2001, 4004]);
          o.message_fatal = rng.chance(0.7);
          o.message_bitrate = rng.pick([96000, 160000, 320000]);
          o.message_audiocodec = rng.pick(["vorbis", "aac", "mp3"]);
          o.message_file_id = rng.hex(40);
          o.message_track_id = gid(e.aux);
          o.message_playback_id = rng.hex(32);
          o.message_position_ms = 0;
          o.message_external_track = false;
          break;
        case T_STUTTER:
          o.message_playback_id = rng.hex(32);
          o.message_track_id = gid(e.aux);
          o.message_position_ms = rng.int(0, 200_000);
          o.message_stutter_duration_ms = rng.int(80, 4000);
          break;
        case T_NOT_PLAYED:
          o.message_playback_id = rng.hex(32);
          o.message_track_uri = track.uri;
          o.message_reason_start = rng.pick(["clickrow", "trackdone", "fwdbtn"]);
          o.message_reason_end = rng.pick(["trackerror", "endplay"]);
          o.message_reason_not_played = rng.pick(["content_unavailable", "network_error", "cancelled"]);
          break;
        case T_CONN_INFO:
          o.message_ap = "ap-gew4.spotify.com:4070";
          o.message_connection_type = rng.pick(["wifi", "wifi", "mobile", "ethernet"]);
          o.message_latency_ms = rng.int(12, 180);
          break;
        case T_RAW:
          o.message_playback_id = rng.hex(32);
          o.message_media_type = "audio";
          o.message_bitrate = rng.pick([96000, 160000, 320000]);
          break;
        case T_DOWNLOAD:
          o.message_file_id = rng.hex(40);
          o.message_bytes = rng.int(2_000_000, 12_000_000);
          break;
      }
      return o;
    });
    counts[type] = objs.length;
    const file = naming === "hourly" ? `${type}_Hourly.json` : `${type}.json`;
    // One compact event per line keeps the committed sample small.
    fs.writeFileSync(path.join(dir, file), objs.length ? "[\n" + objs.map((o) => JSON.stringify(o)).join(",\n") + "\n]" : "[]");
  });
  fs.writeFileSync(path.join(dir, "ReadMeFirst_TechnicalLogInformation.pdf"), pdfBytes("Read Me First: Technical Log Information"));
  return counts;
}

function writeAccount(
  dir: string,
  rng: Rand,
  catalog: Catalog,
  pii: PlantedPii | null,
  startMs: number,
  lastEnd: number,
  acc: AccountWindow,
): SampleManifest["account"] {
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
