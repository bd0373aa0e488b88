/**
 * Row tables derived from a run, shared by the CLI's outputs and the notebooks:
 * scored test plays, monthly completion, feature importance. Functions return data.
 */
import { civilFromDays, OffsetCache } from "../features/time";
import type { FeatureSet, SplitPlan } from "../features";
import { valueAt } from "../ingest/types";
import type { PlayTable } from "../ingest/types";
import { featureImportance } from "../model/types";
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
 * Every labelled play of the chosen roles (default: the test window) with the primary
 * model's calibrated `p_complete` and one calibrated probability column per model.
 */
export function scoredSamples(plays: PlayTable, features: FeatureSet, run: ModelRun, zone: string, roles: number[] = [2]): ScoredRow[] {
  const cache = new OffsetCache(zone);
  const primary = run.models.find((m) => m.name === run.primary);
  if (!primary) throw new Error(`primary model ${run.primary} missing from the run`);
  const rows: ScoredRow[] = [];
  const columns = run.models.map((m) => ({ key: `p_${m.name}` as const, scores: m.calibrated }));
  for (let r = 0; r < features.rows; r++) {
    if (!roles.includes(features.role[r])) continue;
    const i = features.playIndex[r];
    const local = localParts(cache, plays.startMs[i]);
    const row: ScoredRow = {
      ts: plays.ts[i],
      start_local: local.iso,
      hour_local: local.hour,
      day_of_week: local.dayOfWeekMon0,
      session_id: features.sessionId[r],
      session_position: features.sessionPosition[r],
      spotify_track_uri: valueAt(plays.trackUri, i) ?? "",
      track: valueAt(plays.trackName, i) ?? "",
      artist: valueAt(plays.artistName, i) ?? "",
      album: valueAt(plays.albumName, i) ?? "",
      platform: valueAt(plays.platformRaw, i) ?? "",
      platform_family: valueAt(plays.platformFamily, i) ?? "unknown",
      conn_country: valueAt(plays.connCountry, i) ?? "",
      shuffle: plays.shuffle[i] < 0 ? null : plays.shuffle[i],
      split: ROLE_NAMES[features.role[r]] ?? "other",
      label: features.y[r] === 1 ? 1 : 0,
      p_complete: primary.calibrated[r],
    };
    for (const c of columns) row[c.key] = c.scores[r];
    rows.push(row);
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
