/** MANIFEST.json: exactly what the generator planted, so tests can check ingestion against it. */
import * as fs from "fs";
import { AccountSummary } from "./account-writer";
import { Catalog } from "./catalog";
import { DuplicateFile, ExtendedFiles, ManifestFile } from "./extended-writer";
import { HOSTILE_LIST, PlantedPii } from "./names";
import { CHANGES, FOLDER_EXTENDED, FOLDER_TECH, ResolvedOptions, RowKind, TECH_TYPES, TechNaming, TechType } from "./options";
import { Variants } from "./render";
import { SIGNAL_VERSION } from "./signal";
import { ExportStats, SignalSummary } from "./stats";
import { TRUTH_FILE, TRUTH_HEADER } from "./truth";

export type { ManifestFile } from "./extended-writer";

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
    duplicateFile: DuplicateFile | null;
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
    variants: Variants;
  };
  account: AccountSummary;
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
  signal: SignalSummary;
  /** The side file with every music play's true completion probability (./truth.ts), beside the packages. */
  truth: { file: string; rows: number; columns: string[] };
}

/** Everything the manifest is assembled from. */
export interface ManifestInputs {
  options: ResolvedOptions;
  dirs: { account: string; extended: string; tech: string };
  extended: ExtendedFiles;
  stats: ExportStats;
  variants: Variants;
  nullStretch: [number, number];
  account: AccountSummary;
  techCounts: Record<TechType, number>;
  connectionErrorBursts: number;
  catalog: Catalog;
  pii: PlantedPii | null;
  truthRows: number;
}

export function buildManifest(m: ManifestInputs): SampleManifest {
  const { options: opt, extended: x, stats } = m;
  const dupRecords = x.duplicateFile?.records ?? 0;
  const list = (dir: string): string[] => fs.readdirSync(dir).sort();
  const distinct = stats.distinct;
  return {
    generator: { signalVersion: SIGNAL_VERSION, ...opt },
    changes: CHANGES,
    filesPerPackage: { account: list(m.dirs.account), extended: list(m.dirs.extended), tech: list(m.dirs.tech) },
    extended: {
      folder: FOLDER_EXTENDED,
      audioFiles: x.audioFiles,
      videoFiles: x.videoFiles,
      duplicateFile: x.duplicateFile,
      recordsInFiles: x.recordsInFiles,
      recordsExcludingDuplicateFile: x.recordsInFiles - dupRecords,
      exactDuplicateRecords: x.exactDuplicates,
      exactDuplicateRecordsInclDuplicateFile: x.exactDuplicates + dupRecords,
      distinct,
      musicPlays: distinct.music,
      podcastRows: distinct.podcast,
      audiobookRows: distinct.audiobook,
      videoRows: distinct.video,
      localFileRows: distinct.local,
      localFileRowsWithName: stats.localWithName,
      zeroMsMusicPlays: stats.zeroMs,
      labelled: stats.labelled,
      unlabelled: stats.unlabNull + stats.unlabUnknown,
      unlabelledNull: stats.unlabNull,
      unlabelledUnknown: stats.unlabUnknown,
      completed: stats.completed,
      unlabelledMonths: stats.unlabelledMonths(),
      nullReasonStretch: { from: new Date(m.nullStretch[0]).toISOString(), to: new Date(m.nullStretch[1]).toISOString() },
      dateRange: { first: new Date(stats.firstStart).toISOString(), last: new Date(stats.lastEnd).toISOString() },
      variants: m.variants,
    },
    account: m.account,
    tech: {
      folder: FOLDER_TECH,
      naming: opt.techNaming,
      counts: m.techCounts,
      eventFiles: TECH_TYPES.length,
      connectionErrorBursts: m.connectionErrorBursts,
    },
    catalog: { artists: m.catalog.artists.length, tracks: m.catalog.tracks.length, hostileNames: [...HOSTILE_LIST] },
    pii: m.pii ? { ...m.pii } : null,
    signal: stats.signal(),
    truth: { file: TRUTH_FILE, rows: m.truthRows, columns: TRUTH_HEADER.split(",") },
  };
}
