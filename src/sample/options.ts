/** Generator options, their defaults, folder names and the real-export schema changes it reproduces. */
import { utcDate } from "./time";

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

export type ResolvedOptions = Required<Omit<GenerateOptions, "outDir">>;

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
export const SKIPPED_FROM = Date.parse(CHANGES.skippedReliableFrom);
export const COARSE_FROM = Date.parse(CHANGES.coarsePlatformFrom);
export const IP_RENAME_FROM = Date.parse(CHANGES.ipRenameFrom);
export const AUDIOBOOK_FROM = Date.parse(CHANGES.audiobookFieldsFrom);

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

export type RowKind = "music" | "podcast" | "audiobook" | "local" | "video";

export function resolveOptions(options: GenerateOptions): ResolvedOptions {
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

/** Placeholder for the `ReadMeFirst_*.pdf` every package carries (not a real PDF body). */
export function pdfBytes(title: string): string {
  return `%PDF-1.4\n% ${title} (synthetic placeholder, not a real PDF body)\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
}
