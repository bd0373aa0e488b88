/**
 * Behaviour priors: per-track and per-artist skip rates and play counts from TRAIN
 * rows only, plus as-of counts from strictly earlier plays.
 *
 * Skip rates are additively smoothed toward the global train rate g:
 *   rate = (skips + m·g) / (plays + m).
 * Training rows get leave-one-out statistics (their own label and play removed, g
 * too) so the model cannot read its own label through the prior; validation and test
 * rows get the full train statistics. Caveat of LOO: within one track, a skipped train
 * row sees a slightly higher prior than a completed one; smoothing (m) damps this, and
 * validation/test metrics (full statistics) are unaffected by it.
 */
import type { DictColumn, PlayTable } from "../ingest/types";

/** `_log` columns hold log1p(count). */
export const BEHAVIOUR_COLUMNS = [
  "track_train_skip_rate",
  "artist_train_skip_rate",
  "track_train_play_count_log",
  "artist_train_play_count_log",
  "track_plays_before_log1p",
  "artist_plays_before_log1p",
  "is_first_play_of_track",
] as const;

/** Train statistics keyed by string, so they apply to any PlayTable's dictionary. */
export interface PriorStats {
  /** Labelled train plays. */
  n: number;
  /** Skipped (completed = 0) among them. */
  skips: number;
  track: Map<string, { n: number; skips: number }>;
  artist: Map<string, { n: number; skips: number }>;
  /** Smoothing strength m. */
  m: number;
}

function accumulate(col: DictColumn, i: number, counts: Float64Array, skipCounts: Float64Array, skip: number): void {
  const c = col.codes[i];
  if (c < 0) return;
  counts[c]++;
  skipCounts[c] += skip;
}

function toMap(values: string[], counts: Float64Array, skipCounts: Float64Array): Map<string, { n: number; skips: number }> {
  const out = new Map<string, { n: number; skips: number }>();
  for (let c = 0; c < values.length; c++) {
    if (counts[c] === 0) continue;
    const prev = out.get(values[c]); // dictionaries are distinct, but merge defensively
    out.set(values[c], { n: (prev?.n ?? 0) + counts[c], skips: (prev?.skips ?? 0) + skipCounts[c] });
  }
  return out;
}

/** Fits priors on rows where `role[i] === 0` (labelled train plays). */
export function fitPriors(plays: PlayTable, role: Uint8Array, m: number): PriorStats {
  const tc = new Float64Array(plays.trackUri.values.length);
  const ts = new Float64Array(tc.length);
  const ac = new Float64Array(plays.artistName.values.length);
  const as = new Float64Array(ac.length);
  let n = 0;
  let skips = 0;
  for (let i = 0; i < plays.length; i++) {
    if (role[i] !== 0 || plays.completed[i] < 0) continue;
    const skip = plays.completed[i] === 0 ? 1 : 0;
    n++;
    skips += skip;
    accumulate(plays.trackUri, i, tc, ts, skip);
    accumulate(plays.artistName, i, ac, as, skip);
  }
  return { n, skips, m, track: toMap(plays.trackUri.values, tc, ts), artist: toMap(plays.artistName.values, ac, as) };
}

export function globalSkipRate(p: PriorStats): number {
  return p.n > 0 ? p.skips / p.n : 0.5;
}

/** Smoothed skip rate; `n`/`skips` already exclude whatever must be left out. */
export function smoothedRate(skips: number, n: number, g: number, m: number): number {
  return (skips + m * g) / (n + m);
}

/** Per-dictionary-code train stats for one column of a given PlayTable: [values] arrays. */
export function statsByCode(col: DictColumn, stats: Map<string, { n: number; skips: number }>) {
  const n = new Float64Array(col.values.length);
  const skips = new Float64Array(col.values.length);
  col.values.forEach((v, c) => {
    const s = stats.get(v);
    if (s) {
      n[c] = s.n;
      skips[c] = s.skips;
    }
  });
  return { n, skips };
}

/** Counts of strictly earlier plays (start order, labelled or not) with the same code: [n plays]. */
export function playsBefore(col: DictColumn, length: number): Int32Array {
  const seen = new Int32Array(col.values.length);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const c = col.codes[i];
    if (c < 0) continue;
    out[i] = seen[c];
    seen[c]++;
  }
  return out;
}

/** Plays (labelled or not) with start < `beforeMs`, by dictionary code: [values]. */
export function playsBeforeTime(col: DictColumn, startMs: Float64Array, length: number, beforeMs: number): Int32Array {
  const seen = new Int32Array(col.values.length);
  for (let i = 0; i < length && startMs[i] < beforeMs; i++) {
    const c = col.codes[i];
    if (c >= 0) seen[c]++;
  }
  return seen;
}
