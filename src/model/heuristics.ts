/**
 * Baselines that need no training loop, to show what the learned models add.
 * Both find their inputs by column NAME in the FeatureSet and fail clearly if absent.
 */
import { Classifier, inferCols } from "./types";

/** Index of the first of `candidates` present in `names`; throws naming what was looked for. */
export function findColumn(names: string[], candidates: string[], who: string): number {
  for (const c of candidates) {
    const j = names.indexOf(c);
    if (j >= 0) return j;
  }
  throw new Error(`${who}: none of the columns [${candidates.join(", ")}] is in the feature set (${names.length} columns)`);
}

function findOptionalColumn(names: string[], candidates: string[]): number {
  for (const c of candidates) {
    const j = names.indexOf(c);
    if (j >= 0) return j;
  }
  return -1;
}

export interface PriorHeuristicOptions {
  /** Column names, in FeatureSet.names. */
  trackSkipRate?: string;
  artistSkipRate?: string;
  /** Track play count in the train window: raw count, or log1p(count) if the name ends in "_log". */
  trackPlayCount?: string[];
  /**
   * Plays of a track at which its own skip rate gets half the weight (the rest goes to the
   * artist's): w = n / (n + halfWeightPlays).
   */
  halfWeightPlays?: number;
}

/**
 * P(completed) = 1 − (w · track skip rate + (1 − w) · artist skip rate), w = n / (n + k):
 * trust the track's own history in proportion to how often it was played in train.
 * Without a play-count column, w = 0.5.
 */
export class PriorHeuristic implements Classifier {
  readonly name = "prior_heuristic";
  private readonly track: number;
  private readonly artist: number;
  private readonly count: number;
  private readonly countIsLog: boolean;
  private readonly k: number;
  private readonly cols: number;

  constructor(names: string[], options: PriorHeuristicOptions = {}) {
    const who = "PriorHeuristic";
    this.cols = names.length;
    this.track = findColumn(names, [options.trackSkipRate ?? "track_train_skip_rate"], who);
    this.artist = findColumn(names, [options.artistSkipRate ?? "artist_train_skip_rate"], who);
    const countNames = options.trackPlayCount ?? ["track_train_play_count", "track_train_play_count_log"];
    this.count = findOptionalColumn(names, countNames);
    this.countIsLog = this.count >= 0 && names[this.count].endsWith("_log");
    this.k = options.halfWeightPlays ?? 5;
  }

  /** Nothing to learn: the priors were computed from train rows by the features stage. */
  fit(X: Float64Array, y: Float64Array): this {
    inferCols(X, y.length, "PriorHeuristic.fit");
    return this;
  }

  /** @param X [rows * cols] raw rows → [rows] */
  predictProba(X: Float64Array): Float64Array {
    const cols = this.cols;
    const rows = X.length / cols;
    const p = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      let w = 0.5;
      if (this.count >= 0) {
        const v = X[off + this.count];
        const n = Math.max(0, this.countIsLog ? Math.expm1(v) : v);
        w = n / (n + this.k);
      }
      const skip = w * X[off + this.track] + (1 - w) * X[off + this.artist];
      p[i] = Math.min(1, Math.max(0, 1 - skip));
    }
    return p;
  }
}

export interface PopularityOptions {
  /** Candidate column names, first present wins. */
  playCount?: string[];
}

/**
 * Score = how popular the track was in train, as the mid-rank of its play count in the
 * TRAINING distribution: (#train < v + ½ #train = v) / n_train ∈ [0, 1]. A ranking baseline,
 * not a calibrated probability.
 */
export class PopularityModel implements Classifier {
  readonly name = "popularity";
  private readonly column: number;
  private readonly cols: number;
  /** Sorted training values of the play-count column. */
  private sorted = new Float64Array(0);

  constructor(names: string[], options: PopularityOptions = {}) {
    this.cols = names.length;
    this.column = findColumn(names, options.playCount ?? ["track_train_play_count_log", "track_train_play_count"], "PopularityModel");
  }

  fit(X: Float64Array, y: Float64Array): this {
    const rows = y.length;
    if (inferCols(X, rows, "PopularityModel.fit") !== this.cols) throw new Error("PopularityModel.fit: column count differs from names");
    const v = new Float64Array(rows);
    for (let i = 0; i < rows; i++) v[i] = X[i * this.cols + this.column];
    this.sorted = v.sort();
    return this;
  }

  /** @param X [rows * cols] raw rows → [rows] */
  predictProba(X: Float64Array): Float64Array {
    const n = this.sorted.length;
    if (n === 0) throw new Error("PopularityModel: call fit() first");
    const rows = X.length / this.cols;
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const v = X[i * this.cols + this.column];
      const below = lowerBound(this.sorted, v);
      const equal = lowerBound(this.sorted, v, true) - below;
      out[i] = (below + equal / 2) / n;
    }
    return out;
  }
}

/** First index with a[i] >= v (or > v when `strict`) in ascending `a`. */
function lowerBound(a: Float64Array, v: number, strict = false): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? a[mid] <= v : a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
