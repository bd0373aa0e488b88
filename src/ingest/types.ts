/**
 * Shapes produced by ingestion and consumed by every later stage.
 *
 * The play table is columnar: one typed array (or dictionary-encoded column) per
 * field, so a 1M-play lifetime export costs a few tens of MB instead of a million
 * objects. Row i of every column describes the same play; rows are sorted by
 * START time (`ts - ms_played`), ties broken by end time then by input order.
 *
 * Personal data (IP addresses, username, e-mail, user agent, profile names) is
 * dropped while parsing and has no column here.
 */
/** A dictionary-encoded string column: `values[codes[i]]`, or null where `codes[i] === -1`. */
export interface DictColumn {
  /** [n] index into `values`, -1 for null. */
  codes: Int32Array;
  /** Distinct values in first-seen order. */
  values: string[];
}

/** Tri-state boolean column: 1 true, 0 false, -1 null/unknown. */
export type TriBool = Int8Array;

export interface PlayTable {
  /** Number of plays (rows). */
  length: number;
  /** [n] The export's own `ts` string, unchanged (UTC time the stream ENDED). */
  ts: string[];
  /** [n] Epoch ms the play started: `Date.parse(ts) - ms_played`. Sorted ascending. */
  startMs: Float64Array;
  /** [n] Epoch ms the play ended (`ts`). */
  endMs: Float64Array;
  /** [n] Milliseconds played. Known only after the play: never a feature of its own play. */
  msPlayed: Float64Array;
  trackUri: DictColumn;
  trackName: DictColumn;
  artistName: DictColumn;
  albumName: DictColumn;
  /** Platform string as exported (detailed before 2023-10-19, coarse after). */
  platformRaw: DictColumn;
  /** Normalised family: android, ios, windows, macos, linux, web, cast, console, other, unknown. */
  platformFamily: DictColumn;
  connCountry: DictColumn;
  reasonStart: DictColumn;
  /** Known only after the play: never a feature of its own play. */
  reasonEnd: DictColumn;
  shuffle: TriBool;
  offline: TriBool;
  incognito: TriBool;
  /** Exported `skipped` flag, kept for reporting only: unreliable and never the label. */
  skipped: TriBool;
  /** The label: 1 when reason_end == "trackdone", 0 for another known reason, -1 unlabelled (null/unknown). */
  completed: Int8Array;
}

export interface LibraryTrack {
  uri: string | null;
  track: string | null;
  artist: string | null;
  album: string | null;
}

export interface PlaylistMembership {
  trackUri: string;
  /** Epoch ms of `addedDate`, or null when the export has none (then it never counts as "before" a play). */
  addedMs: number | null;
}

export interface AccountData {
  /** Profile country (ISO code) from Userdata.json, or null. */
  country: string | null;
  /** Account creation time (epoch ms) from Userdata.json, or null. */
  creationMs: number | null;
  libraryTracks: LibraryTrack[];
  bannedTrackUris: string[];
  playlistCount: number;
  playlistMemberships: PlaylistMembership[];
}

/** Per-event-type epoch-ms timestamps from the Technical Log Information package, each sorted ascending. */
export interface TechEvents {
  connectionError: Float64Array;
  playbackError: Float64Array;
  stutter: Float64Array;
  trackNotPlayed: Float64Array;
}

export type PackageName = "account" | "extended" | "tech";

export interface FileReport {
  package: PackageName;
  /** Path relative to the package folder (or inside the zip). Never an absolute home path. */
  file: string;
  /** What the file was recognised as, e.g. "extended-audio", "endsong", "tech:ConnectionError", "readme", "skipped-duplicate". */
  kind: string;
  rows: number;
  /** Size in bytes of a file listed but not read because no stage uses it (then `rows` is 0). */
  bytes?: number;
  /** Schema variant seen, e.g. "ip_addr_decrypted+username (pre-Nov-2024)", "ip_addr (Nov-2024+)", "audiobook fields (2025+)". */
  variant?: string;
  note?: string;
}

export interface IngestReport {
  files: FileReport[];
  /** Records read from Extended Streaming History files (before any drop). */
  rowsRead: number;
  /** Music plays kept in the play table. rowsRead === rowsKept + sum(dropped). */
  rowsKept: number;
  /** Rows not in the play table, by reason (e.g. podcast, audiobook, video, no-track-uri, duplicate, invalid-record). */
  dropped: Record<string, number>;
  /** First start and last end of kept plays (ISO UTC), or null when none. */
  dateRange: { first: string; last: string } | null;
  labelCoverage: {
    labelled: number;
    unlabelled: number;
    completed: number;
    /** Months (YYYY-MM, UTC) in which no kept play carries a label. */
    unlabelledMonths: string[];
  };
  account: {
    libraryTracks: number;
    playlists: number;
    /** All playlist items (tracks, episodes, audiobooks, local tracks). */
    playlistItems: number;
    /** Items that are Spotify tracks: the playlist memberships kept. Optional for hand-built reports. */
    playlistTrackItems?: number;
    bannedTracks?: number;
    country: string | null;
  };
  tech: {
    connectionError: number;
    playbackError: number;
    stutter: number;
    trackNotPlayed: number;
    eventFiles: number;
    /** Event files of types not kept (ConnectionInfo, ...): counted only. Optional for hand-built reports. */
    otherEventFiles?: number;
  };
  /** Files listed but not read because no stage uses them: how many and their total size. Optional for hand-built reports. */
  unread?: { files: number; bytes: number };
  warnings: string[];
  /** The exclusion filters applied (as options, e.g. "--exclude-platform cast"); their counts are `dropped["excluded-<filter>"]`. Optional for hand-built reports. */
  filters?: string[];
  /** The completion rule that made `completed`, and for `played-fraction` how track lengths were estimated. Optional for hand-built reports. */
  label?: LabelReport;
}

export interface IngestResult {
  plays: PlayTable;
  account: AccountData;
  tech: TechEvents;
  report: IngestReport;
}

export interface IngestOptions {
  /** One path: a folder holding the packages, or the downloaded zip. */
  export?: string;
  accountDir?: string;
  extendedDir?: string;
  techDir?: string;
  /** Skip a broken file with a warning in the report instead of failing. */
  lenient?: boolean;
  /**
   * Throw on the first invalid play record instead of counting it under
   * `dropped["invalid-record"]` with a warning (the default).
   */
  strictRecords?: boolean;
  /** Plays to remove before anything else (see ./filters). */
  filters?: PlayFilters;
  /** The completion rule for `completed` (see ./label). Default `reason-end`. */
  label?: LabelRule;
}

/** Whose plays count: exclusions applied before anything else (./filters). All optional; empty lists exclude nothing. */
export interface PlayFilters {
  /** Platform families (`android`, `cast`…) or raw platform strings; case-insensitive, whole value. */
  excludePlatforms?: string[];
  /** `conn_country` codes (ISO 3166 alpha-2), case-insensitive. */
  excludeCountries?: string[];
  /** Keep plays that STARTED at or after this instant (epoch ms). */
  sinceMs?: number;
  /** Keep plays that STARTED at or before this instant (epoch ms). */
  untilMs?: number;
  /** Album-artist names; case-insensitive after trimming and Unicode normalisation. */
  excludeArtists?: string[];
  /** Where `excludeArtists` came from, for messages (the file name). */
  artistsSource?: string;
}

/** What "finished" means (./label): `reason-end` (default), `played-30s`, `played-fraction=F`. */
export type LabelRule = { kind: "reason-end" } | { kind: "played-30s" } | { kind: "played-fraction"; fraction: number };

export const LENGTH_SOURCES = ["track", "artist", "global", "default"] as const;
export type LengthSource = (typeof LENGTH_SOURCES)[number];

export interface LabelReport {
  /** The rule's name, e.g. "played-fraction=0.5". */
  rule: string;
  labelled: number;
  completed: number;
  /** Only for `played-fraction`: how many labelled plays took their track length from each source. */
  lengthEstimate?: { minPlays: number; defaultMs: number; sources: Record<LengthSource, number> };
}

/** A dictionary column from plain values (null → code -1), values in first-seen order. */
export function dictColumnOf(values: readonly (string | null)[]): DictColumn {
  const index = new Map<string, number>();
  const codes = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (v === null) {
      codes[i] = -1;
      return;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = index.size;
      index.set(v, c);
    }
    codes[i] = c;
  });
  return { codes, values: [...index.keys()] };
}

/** The value of a dictionary column at row i. */
export function valueAt(column: DictColumn, i: number): string | null {
  const code = column.codes[i];
  return code < 0 ? null : column.values[code];
}
