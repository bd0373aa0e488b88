/**
 * Shared model interfaces. Every model follows docs/CONTRACTS.md:
 * `fit(X, y, { XVal, yVal, seed, ... })` then `predictProba(X)`, with X a raw row-major
 * Float64Array [rows * cols] and y a Float64Array [rows] of 0/1.
 */
import type { Standardizer } from "./standardize";

/**
 * Both logistic regressions stop when every component of the gradient of
 * f(w, b) = mean log loss + λ Σ w_j² (on the standardised training rows) is at most this:
 * far below what moves a test AUC, and above the float32 rounding of tfjs's gradient sums.
 */
export const GRADIENT_TOLERANCE = 1e-7;

export interface FitOptions {
  /** [valRows * cols] validation rows (early stopping). */
  XVal?: Float64Array;
  /** [valRows] */
  yVal?: Float64Array;
  seed?: number;
  /**
   * For a caller that holds the training rows only in pieces (the leaky reference at scale):
   * `X`/`y` are already the rows `seededSubsampleRows(rowsGiven, maxTrainRows, seed)` keeps of
   * the `rowsGiven` training rows, and `mean`/`std` the standardisation of all of them.
   * Fitting on them is fitting on all the rows.
   */
  presampled?: TrainStats & { rowsGiven: number };
  /**
   * The standardisation of exactly these training rows (what `Standardizer.fit` computes on
   * them), computed once per run for every model (`trainModels`) instead of once per model.
   */
  trainStats?: TrainStats;
}

/** [cols] per-column mean and (population) standard deviation of the training rows, as `Standardizer` holds them. */
export interface TrainStats {
  mean: Float64Array;
  std: Float64Array;
}

/**
 * A fit prepared on this thread to run on another (a worker thread): plain data a worker can
 * receive. The worker loads `module` and calls its export `entry(payload)`, a `FitJobRunner`.
 */
export interface FitJob {
  /** Absolute path of the model's module. */
  module: string;
  entry: string;
  payload: unknown;
  /** Buffers inside `payload` to move to the worker rather than copy. */
  transfer: ArrayBuffer[];
}

/** Runs a `FitJob`'s payload in the worker; `state` goes back to the model's `restore`. */
export type FitJobRunner = (payload: unknown) => Promise<{ state: unknown; transfer?: ArrayBuffer[] }>;

export interface Classifier {
  readonly name: string;
  fit(X: Float64Array, y: Float64Array, options?: FitOptions): this | Promise<this>;
  /** @returns [rows] P(completed). */
  predictProba(X: Float64Array): Float64Array;
  /** Linear models: weights on standardised inputs and the intercept. */
  coefficients?(): LinearCoefficients;
  /** Standardisation fitted on the training rows (models that standardise their inputs). */
  readonly scaler?: Standardizer;
  /** What training did (epochs, losses, convergence), once fitted; the shape is the model's own. */
  readonly history?: unknown;
  /** Frees what the model holds outside the JS heap (tfjs tensors); it cannot predict afterwards. */
  dispose?(): void;
  /**
   * The first half of `fit(X, y, options)` (input checks, standardisation, subsampling) done
   * here, and the rest packed as a job for a worker thread. The model's `restore` then adopts
   * the worker's state, scoring exactly as `fit` would have left it.
   */
  fitJob?(X: Float64Array, y: Float64Array, options?: FitOptions): FitJob;
  /**
   * Adopts the `state` a worker returned for this model's `fitJob` (same `options`). Null when
   * it cannot be adopted here (e.g. the worker's tfjs backend differs): fit inline instead.
   */
  restore?(state: unknown, options?: FitOptions): Promise<this | null>;
}

/** The part of the features stage's `FeatureSet` the model stage reads (structurally compatible). */
export interface FeatureMatrix {
  names: string[];
  X: Float64Array;
  rows: number;
  cols: number;
  y: Float64Array;
  role: Uint8Array;
}

/**
 * Rows of `fs` with the given role (0 train, 1 validation, 2 test). When they form one
 * contiguous block (the chronological split in play order: train, then validation, then test)
 * X and y are zero-copy views into `fs` (at 1M × 74, a copy was 400 MB and 0.3 s per model);
 * otherwise contiguous copies. Treat both as read-only.
 */
export function selectRole(fs: FeatureMatrix, role: number): { X: Float64Array; y: Float64Array; index: Int32Array } {
  const index = roleRows(fs, role);
  const n = index.length;
  if (n > 0 && index[n - 1] - index[0] + 1 === n) {
    const first = index[0];
    return { X: fs.X.subarray(first * fs.cols, (first + n) * fs.cols), y: fs.y.subarray(first, first + n), index };
  }
  const X = new Float64Array(n * fs.cols);
  const y = new Float64Array(n);
  index.forEach((i, k) => {
    X.set(fs.X.subarray(i * fs.cols, (i + 1) * fs.cols), k * fs.cols);
    y[k] = fs.y[i];
  });
  return { X, y, index };
}

/** [rows with the role] the ascending indices of the rows of `fs` with the given role (reads only `role`). */
export function roleRows(fs: Pick<FeatureMatrix, "role" | "rows">, role: number): Int32Array {
  let n = 0;
  for (let i = 0; i < fs.rows; i++) if (fs.role[i] === role) n++;
  const index = new Int32Array(n);
  for (let i = 0, k = 0; i < fs.rows; i++) if (fs.role[i] === role) index[k++] = i;
  return index;
}

export interface LinearCoefficients {
  /** [cols] weights on STANDARDISED inputs: comparable across features, sign = direction. */
  weights: Float64Array;
  intercept: number;
}

export interface FeatureImportanceRow {
  feature: string;
  coefficient: number;
  absCoefficient: number;
  /** 1-based rank by |coefficient|. */
  rank: number;
}

/** Rows for `feature_importance.csv`, sorted by |coefficient| (ties by column order). */
export function featureImportance(names: string[], coef: LinearCoefficients): FeatureImportanceRow[] {
  if (names.length !== coef.weights.length) {
    throw new Error(`featureImportance: ${names.length} names for ${coef.weights.length} weights`);
  }
  const order = names.map((_, j) => j);
  order.sort((a, b) => Math.abs(coef.weights[b]) - Math.abs(coef.weights[a]) || a - b);
  return order.map((j, r) => ({
    feature: names[j],
    coefficient: coef.weights[j],
    absCoefficient: Math.abs(coef.weights[j]),
    rank: r + 1,
  }));
}

export function inferCols(X: Float64Array, rows: number, who: string): number {
  if (rows === 0 || X.length % rows !== 0) {
    throw new Error(`${who}: X has ${X.length} values, not a multiple of ${rows} rows`);
  }
  return X.length / rows;
}

export function checkLabels(y: Float64Array, who: string): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`${who}: y[${i}] = ${y[i]} is not 0 or 1`);
  }
}
