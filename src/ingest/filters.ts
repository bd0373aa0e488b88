/**
 * Whose plays count: the user's exclusion filters, applied to the finished play table
 * before labels, splits or features exist, so an excluded play is as if it had never
 * been exported (it is not even context).
 *
 * A play matched by several filters is counted once, under the first in FILTER_ORDER;
 * the ingestion report adds each count to `dropped` as `excluded-<filter>`, which keeps
 * `rowsRead === rowsKept + sum(dropped)`.
 */
import * as fs from "fs";
import { sharedArray } from "../common/bigBuffers";
import { UserInputError } from "../common/errors";
import { gatherRows } from "../common/arrays";
import { permuteDict } from "./plays";
import type { DictColumn, PlayFilters, PlayTable } from "./types";

export const FILTER_ORDER = ["since", "until", "platform", "country", "artists"] as const;
export type FilterName = (typeof FILTER_ORDER)[number];

export interface FilterOutcome {
  plays: PlayTable;
  /** Plays removed by each active filter (first matching filter only). */
  excluded: Partial<Record<FilterName, number>>;
  /** Filter values that matched no play (likely typos), e.g. `platform "andriod"`. */
  unmatched: string[];
}

const norm = (s: string): string => s.normalize("NFC").trim().toLowerCase();

export function hasFilters(f: PlayFilters | undefined): f is PlayFilters {
  return (
    !!f &&
    ((f.excludePlatforms?.length ?? 0) > 0 ||
      (f.excludeCountries?.length ?? 0) > 0 ||
      f.sinceMs !== undefined ||
      f.untilMs !== undefined ||
      (f.excludeArtists?.length ?? 0) > 0)
  );
}

/** The active filters in words, for the report and for "nothing left" messages. */
export function describeFilters(f: PlayFilters | undefined): string[] {
  if (!hasFilters(f)) return [];
  const out: string[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  if (f.sinceMs !== undefined) out.push(`--since ${iso(f.sinceMs)}`);
  if (f.untilMs !== undefined) out.push(`--until ${iso(f.untilMs)}`);
  for (const p of f.excludePlatforms ?? []) out.push(`--exclude-platform ${p}`);
  for (const c of f.excludeCountries ?? []) out.push(`--exclude-country ${c}`);
  if (f.excludeArtists?.length) out.push(`--exclude-artists ${f.artistsSource ?? "(list)"} (${f.excludeArtists.length} name${f.excludeArtists.length === 1 ? "" : "s"})`);
  return out;
}

/** For each dictionary value: does it match one of `wanted` (normalised)? Also marks which wanted values matched. */
function matchCodes(col: DictColumn, wanted: string[], hit: Set<string>): Uint8Array {
  const set = new Set(wanted.map(norm));
  const out = new Uint8Array(col.values.length);
  col.values.forEach((v, c) => {
    const k = norm(v);
    if (set.has(k)) {
      out[c] = 1;
      hit.add(k);
    }
  });
  return out;
}

/** Removes the plays the filters exclude; the table is returned unchanged when none is active. */
export function applyFilters(plays: PlayTable, filters: PlayFilters | undefined): FilterOutcome {
  if (!hasFilters(filters)) return { plays, excluded: {}, unmatched: [] };
  const f = filters;
  const platformHit = new Set<string>();
  const platforms = f.excludePlatforms ?? [];
  const byFamily = matchCodes(plays.platformFamily, platforms, platformHit);
  const byRaw = matchCodes(plays.platformRaw, platforms, platformHit);
  const countryHit = new Set<string>();
  const countries = f.excludeCountries ?? [];
  const byCountry = matchCodes(plays.connCountry, countries, countryHit);
  const artistHit = new Set<string>();
  const artists = f.excludeArtists ?? [];
  const byArtist = matchCodes(plays.artistName, artists, artistHit);

  const excluded: Partial<Record<FilterName, number>> = {};
  if (f.sinceMs !== undefined) excluded.since = 0;
  if (f.untilMs !== undefined) excluded.until = 0;
  if (platforms.length) excluded.platform = 0;
  if (countries.length) excluded.country = 0;
  if (artists.length) excluded.artists = 0;

  const keep = new Uint32Array(plays.length);
  let kept = 0;
  const at = (col: DictColumn, flags: Uint8Array, i: number) => {
    const c = col.codes[i];
    return c >= 0 && flags[c] === 1;
  };
  for (let i = 0; i < plays.length; i++) {
    const s = plays.startMs[i];
    let why: FilterName | null = null;
    if (f.sinceMs !== undefined && s < f.sinceMs) why = "since";
    else if (f.untilMs !== undefined && s > f.untilMs) why = "until";
    else if (platforms.length && (at(plays.platformFamily, byFamily, i) || at(plays.platformRaw, byRaw, i))) why = "platform";
    else if (countries.length && at(plays.connCountry, byCountry, i)) why = "country";
    else if (artists.length && at(plays.artistName, byArtist, i)) why = "artists";
    if (why === null) keep[kept++] = i;
    else excluded[why] = (excluded[why] as number) + 1;
  }

  const unmatched = [
    ...platforms.filter((p) => !platformHit.has(norm(p))).map((p) => `platform "${p}"`),
    ...countries.filter((c) => !countryHit.has(norm(c))).map((c) => `country "${c}"`),
    ...artists.filter((a) => !artistHit.has(norm(a))).map((a) => `artist "${a}"`),
  ];
  return { plays: kept === plays.length ? plays : selectRows(plays, keep.subarray(0, kept)), excluded, unmatched };
}

/** The rows `rows` (ascending) of a table, dictionaries renumbered to the values still used. */
export function selectRows(plays: PlayTable, rows: Uint32Array): PlayTable {
  const n = rows.length;
  // shared, as ingestion's own columns are (see plays.ts)
  const f64 = (a: Float64Array) => gatherRows(sharedArray(Float64Array, n), a, rows);
  const i8 = (a: Int8Array) => gatherRows(sharedArray(Int8Array, n), a, rows);
  const dict = (d: DictColumn) => permuteDict(d.codes, d.values, rows);
  return {
    length: n,
    ts: Array.from(rows, (i) => plays.ts[i]),
    startMs: f64(plays.startMs),
    endMs: f64(plays.endMs),
    msPlayed: f64(plays.msPlayed),
    trackUri: dict(plays.trackUri),
    trackName: dict(plays.trackName),
    artistName: dict(plays.artistName),
    albumName: dict(plays.albumName),
    platformRaw: dict(plays.platformRaw),
    platformFamily: dict(plays.platformFamily),
    connCountry: dict(plays.connCountry),
    reasonStart: dict(plays.reasonStart),
    reasonEnd: dict(plays.reasonEnd),
    shuffle: i8(plays.shuffle),
    offline: i8(plays.offline),
    incognito: i8(plays.incognito),
    skipped: i8(plays.skipped),
    completed: i8(plays.completed),
  };
}

/**
 * A `--since` / `--until` value as epoch ms, or why it is not a date. `YYYY-MM-DD` is a whole
 * UTC day: since → its first millisecond, until → its last (the day is included). A full ISO
 * timestamp (with `Z` or an offset) is taken as is.
 */
export function readFilterDate(option: "since" | "until", text: string): { ms: number } | { problem: string } {
  const t = text.trim();
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (day) {
    const ms = Date.UTC(+day[1], +day[2] - 1, +day[3]);
    const back = new Date(ms);
    if (back.getUTCFullYear() === +day[1] && back.getUTCMonth() === +day[2] - 1 && back.getUTCDate() === +day[3]) {
      return { ms: option === "since" ? ms : ms + 86_400_000 - 1 };
    }
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return { ms };
  }
  return { problem: "not a date: give YYYY-MM-DD (a UTC day, included) or an ISO timestamp with a zone such as 2023-06-01T18:00:00Z" };
}

export function parseFilterDate(option: "since" | "until", text: string): number {
  const r = readFilterDate(option, text);
  if ("problem" in r) throw new UserInputError(`--${option} "${text}" is ${r.problem}.`);
  return r.ms;
}

/** Names from an artists file: one per line, blank lines ignored, duplicates kept once. */
export function parseArtistList(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    const name = line.trim();
    if (!name || seen.has(norm(name))) continue;
    seen.add(norm(name));
    out.push(name);
  }
  return out;
}

/** The names of an `--exclude-artists` file, or why it cannot be used (missing, unreadable, empty). */
export function readArtistsList(file: string): { names: string[] } | { problem: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { problem: `cannot be read (${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code ?? "read error"}); give a text file with one artist name per line` };
  }
  const names = parseArtistList(text);
  if (names.length === 0) return { problem: "holds no artist names; put one name per line, exactly as Spotify spells it" };
  return { names };
}

/** Reads an `--exclude-artists` file; a missing, unreadable or empty file is refused. */
export function readArtistsFile(file: string): string[] {
  const r = readArtistsList(file);
  if ("problem" in r) throw new UserInputError(`--exclude-artists "${file}" ${r.problem}.`, file);
  return r.names;
}

/** A two-letter conn_country code as Spotify writes them (ZZ: unknown), upper-cased, or why it is not one. */
export function readCountryCode(text: string): { code: string } | { problem: string } {
  const t = text.trim();
  if (!/^[A-Za-z]{2}$/.test(t)) return { problem: "not a two-letter country code (ISO 3166, e.g. GB, US, DE; ZZ for unknown)" };
  return { code: t.toUpperCase() };
}

export function parseCountryCode(text: string): string {
  const r = readCountryCode(text);
  if ("problem" in r) throw new UserInputError(`--exclude-country "${text}" is ${r.problem}.`);
  return r.code;
}
