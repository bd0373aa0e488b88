/**
 * Row tables derived from a run, shared by the CLI's outputs and the notebooks:
 * scored test plays, monthly completion, feature importance. Functions return data.
 */
import { gatherRows, valuesAt } from "../common/arrays";
import { civilFromDays, OffsetCache } from "../features/time";
import type { FeatureSet, SplitPlan } from "../features";
import type { DictColumn, PlayTable } from "../ingest/types";
import type { ScoredColumn } from "../report/columns";
import type { CodedColumn } from "../report/csv";
import { featureImportance, roleRows } from "../model/types";
import type { ScoredSample } from "../report/figures/types";
import type { ModelRun } from "./train";

const ROLE_NAMES = ["train", "validation", "test"];

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? "0" : "") + i);

/** "YYYY-MM-DD" of the last day formatted (rows come in time order: most calls hit it). */
let lastDay = NaN;
let lastDate = "";

/** "YYYY-MM-DD" of day `days` since 1970-01-01 (proleptic Gregorian; H. Hinnant's civil_from_days), or null outside years 0–9999. */
function civilDate(days: number): string | null {
  if (days === lastDay) return lastDate;
  const { year: y, month: m, day: d } = civilFromDays(days);
  if (y < 0 || y > 9999) return null;
  lastDay = days;
  lastDate = String(y).padStart(4, "0") + "-" + TWO_DIGITS[m] + "-" + TWO_DIGITS[d];
  return lastDate;
}

/**
 * Local wall-clock parts of an epoch-ms instant in `zone` (DST-aware through OffsetCache).
 * Computed arithmetically from the local epoch; identical to formatting
 * `new Date(ms + offset)` with toISOString / getUTCHours / getUTCDay, which it falls back to
 * outside years 0–9999 or for non-finite instants (so the same RangeError is thrown).
 */
export function localParts(cache: OffsetCache, ms: number): { iso: string; hour: number; dayOfWeekMon0: number; month: string } {
  const t = Math.trunc(ms + cache.offset(ms)) + 0; // Date's TimeClip: truncate, −0 → +0
  const days = Math.floor(t / DAY_MS);
  const date = Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? civilDate(days) : null;
  if (date === null) {
    const local = new Date(ms + cache.offset(ms));
    const iso = local.toISOString().slice(0, 19);
    return { iso, hour: local.getUTCHours(), dayOfWeekMon0: (local.getUTCDay() + 6) % 7, month: iso.slice(0, 7) };
  }
  const inDay = t - days * DAY_MS;
  const hour = Math.floor(inDay / 3_600_000);
  const minute = Math.floor((inDay % 3_600_000) / 60_000);
  const second = Math.floor((inDay % 60_000) / 1000);
  const iso = date + "T" + TWO_DIGITS[hour] + ":" + TWO_DIGITS[minute] + ":" + TWO_DIGITS[second];
  // 1970-01-01 was a Thursday (Mon0 = 3).
  return { iso, hour, dayOfWeekMon0: (((days + 3) % 7) + 7) % 7, month: date.slice(0, 7) };
}

export interface ScoredRow extends ScoredSample {
  session_id: number;
  conn_country: string;
  shuffle: number | null;
}

/**
 * scored_samples' table as columns, each [length] (one row per scored play, in feature-row
 * order): what the CSV and Parquet writers read, with no object per play (`scoredRows` makes
 * the row objects the figures take). Strings stay codes into the play table's dictionaries.
 */
export interface ScoredColumns {
  length: number;
  ts: string[];
  start_local: string[];
  hour_local: Int8Array;
  day_of_week: Int8Array;
  session_id: Int32Array;
  session_position: Int32Array;
  spotify_track_uri: CodedColumn;
  track: CodedColumn;
  artist: CodedColumn;
  album: CodedColumn;
  platform: CodedColumn;
  platform_family: CodedColumn;
  conn_country: CodedColumn;
  /** 1 / 0, -1 unknown (an empty cell, a null). */
  shuffle: Int8Array;
  split: CodedColumn;
  /** 1 completed, 0 not. */
  label: Int8Array;
  /** The primary model's calibrated probability. */
  p_complete: Float64Array;
  /** One calibrated probability column per model, in the run's model order. */
  models: { name: `p_${string}`; scores: Float64Array }[];
}

/** A dictionary column's codes at the given play rows, shown as its values (null → `missing`). */
function codedAt(column: DictColumn, playRows: Int32Array, missing: string): CodedColumn {
  return { codes: gatherRows(new Int32Array(playRows.length), column.codes, playRows), labels: column.values, missing };
}

/**
 * Every labelled play of the test window with the primary model's calibrated `p_complete` and
 * one calibrated probability column per model.
 */
export function scoredColumns(plays: PlayTable, features: FeatureSet, run: ModelRun, zone: string): ScoredColumns {
  const primary = run.models.find((m) => m.name === run.primary);
  if (!primary) throw new Error(`primary model ${run.primary} missing from the run`);
  const featureRows = roleRows(features, 2);
  const n = featureRows.length;
  const playRows = gatherRows(new Int32Array(n), features.playIndex, featureRows);
  const models = run.models.map((m) => ({ name: `p_${m.name}` as const, scores: valuesAt(m.calibrated, featureRows) }));
  const cache = new OffsetCache(zone);
  const ts = new Array<string>(n);
  const startLocal = new Array<string>(n);
  const hour = new Int8Array(n);
  const weekday = new Int8Array(n);
  const label = new Int8Array(n);
  for (let k = 0; k < n; k++) {
    const i = playRows[k];
    const local = localParts(cache, plays.startMs[i]);
    ts[k] = plays.ts[i];
    startLocal[k] = local.iso;
    hour[k] = local.hour;
    weekday[k] = local.dayOfWeekMon0;
    label[k] = features.y[featureRows[k]] === 1 ? 1 : 0;
  }
  return {
    length: n,
    ts,
    start_local: startLocal,
    hour_local: hour,
    day_of_week: weekday,
    session_id: gatherRows(new Int32Array(n), features.sessionId, featureRows),
    session_position: gatherRows(new Int32Array(n), features.sessionPosition, featureRows),
    spotify_track_uri: codedAt(plays.trackUri, playRows, ""),
    track: codedAt(plays.trackName, playRows, ""),
    artist: codedAt(plays.artistName, playRows, ""),
    album: codedAt(plays.albumName, playRows, ""),
    platform: codedAt(plays.platformRaw, playRows, ""),
    platform_family: codedAt(plays.platformFamily, playRows, "unknown"),
    conn_country: codedAt(plays.connCountry, playRows, ""),
    shuffle: gatherRows(new Int8Array(n), plays.shuffle, playRows),
    split: { codes: gatherRows(new Int32Array(n), features.role, featureRows), labels: ROLE_NAMES, missing: "other" },
    label,
    // The primary model's column is p_complete itself (one array: the CSV formats it once).
    p_complete: models[run.models.indexOf(primary)].scores,
    models,
  };
}

/** A column of scored_samples.csv / .parquet: the base columns, then one `p_<model>` per model. */
export type ScoredFileColumn = ScoredColumn | `p_${string}`;

/** Column `name`'s values (`ScoredColumns`' own array; a `p_<model>` column by its model). */
export function scoredColumn(c: ScoredColumns, name: ScoredFileColumn): ScoredColumns[ScoredColumn] {
  if (name === "p_complete" || !name.startsWith("p_")) return c[name as ScoredColumn];
  const model = c.models.find((m) => m.name === name);
  if (!model) throw new Error(`no scored column ${name}`);
  return model.scores;
}

/** The text a coded column shows at row k. */
function codedText(column: CodedColumn, k: number): string {
  const code = column.codes[k];
  return code >= 0 && code < column.labels.length ? column.labels[code] : column.missing;
}

/** The scored plays as row objects (the figures', the notebooks' and the CSV reader's shape). */
export function scoredRows(c: ScoredColumns): ScoredRow[] {
  const rows = new Array<ScoredRow>(c.length);
  for (let k = 0; k < c.length; k++) {
    const row: ScoredRow = {
      ts: c.ts[k],
      start_local: c.start_local[k],
      hour_local: c.hour_local[k],
      day_of_week: c.day_of_week[k],
      session_id: c.session_id[k],
      session_position: c.session_position[k],
      spotify_track_uri: codedText(c.spotify_track_uri, k),
      track: codedText(c.track, k),
      artist: codedText(c.artist, k),
      album: codedText(c.album, k),
      platform: codedText(c.platform, k),
      platform_family: codedText(c.platform_family, k),
      conn_country: codedText(c.conn_country, k),
      shuffle: c.shuffle[k] < 0 ? null : c.shuffle[k],
      split: codedText(c.split, k),
      label: c.label[k] === 1 ? 1 : 0,
      p_complete: c.p_complete[k],
    };
    for (const m of c.models) row[m.name] = m.scores[k];
    rows[k] = row;
  }
  return rows;
}

export interface MonthlyRow {
  month: string;
  plays: number;
  labelled: number;
  completed: number;
  completion_rate: number | null;
}

/** Plays, labelled plays and completion rate per local month over ALL music plays (gaps show unlabelled months). */
export function monthlyCompletion(plays: PlayTable, zone: string): MonthlyRow[] {
  const cache = new OffsetCache(zone);
  const byMonth = new Map<string, MonthlyRow>();
  for (let i = 0; i < plays.length; i++) {
    const month = localParts(cache, plays.startMs[i]).month;
    let row = byMonth.get(month);
    if (!row) byMonth.set(month, (row = { month, plays: 0, labelled: 0, completed: 0, completion_rate: null }));
    row.plays++;
    if (plays.completed[i] >= 0) {
      row.labelled++;
      row.completed += plays.completed[i];
    }
  }
  const rows = [...byMonth.values()].sort((a, b) => a.month.localeCompare(b.month));
  for (const row of rows) row.completion_rate = row.labelled > 0 ? row.completed / row.labelled : null;
  return rows;
}

export interface FeatureImportanceCsvRow {
  rank: number;
  feature: string;
  group: string;
  coefficient: number;
  abs_coefficient: number;
  closed_loop_coefficient: number | null;
}

/** Standardised coefficients of the primary (tfjs) model, with sign, next to the closed-loop ones. */
export function featureImportanceRows(features: FeatureSet, run: ModelRun): FeatureImportanceCsvRow[] {
  const primary = run.coefficients[run.primary];
  const closed = run.coefficients["closed_loop_logistic"];
  return featureImportance(features.names, primary).map((row) => {
    const j = features.names.indexOf(row.feature);
    return {
      rank: row.rank,
      feature: row.feature,
      group: features.groups[j],
      coefficient: row.coefficient,
      abs_coefficient: row.absCoefficient,
      closed_loop_coefficient: closed ? closed.weights[j] : null,
    };
  });
}

export function splitSummary(split: SplitPlan): Record<string, string | number> {
  return {
    train_plays: split.counts.train,
    validation_plays: split.counts.validation,
    test_plays: split.counts.test,
    unlabelled_plays: split.counts.unlabelled,
    train_end: split.trainEndIso,
    validation_end: split.validationEndIso,
    test_end: split.testEndIso,
    test_fraction: split.testFraction,
    validation_fraction: split.validationFraction,
  };
}

export interface RateByRow {
  key: number;
  labelled: number;
  completed: number;
  completion_rate: number | null;
}

/**
 * Completion rate of labelled plays grouped by local hour (0–23), local weekday (0 = Mon)
 * or session position (capped at `maxPosition`), over the rows with the given roles
 * (default: training rows, so exploring features never peeks at the test window).
 */
export function completionBy(
  by: "hour" | "weekday" | "session_position",
  plays: PlayTable,
  features: FeatureSet,
  zone: string,
  options: { roles?: number[]; maxPosition?: number } = {},
): RateByRow[] {
  const { roles = [0], maxPosition = 30 } = options;
  const cache = new OffsetCache(zone);
  const byKey = new Map<number, RateByRow>();
  for (let r = 0; r < features.rows; r++) {
    if (!roles.includes(features.role[r])) continue;
    let key: number;
    if (by === "session_position") key = Math.min(features.sessionPosition[r], maxPosition);
    else {
      const local = localParts(cache, plays.startMs[features.playIndex[r]]);
      key = by === "hour" ? local.hour : local.dayOfWeekMon0;
    }
    let row = byKey.get(key);
    if (!row) byKey.set(key, (row = { key, labelled: 0, completed: 0, completion_rate: null }));
    row.labelled++;
    row.completed += features.y[r];
  }
  const rows = [...byKey.values()].sort((a, b) => a.key - b.key);
  for (const row of rows) row.completion_rate = row.completed / row.labelled;
  return rows;
}
