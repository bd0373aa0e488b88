/**
 * Which training rows a tfjs model sees, and the blocks it scores rows in: seeded permutations
 * and subsamples, and the scoring batch. No tfjs here, so a caller that only chooses rows
 * (pipeline/prepare's leaky pieces) does not load it.
 */
import { mulberry32 } from "../common/rng";

/** Fisher–Yates permutation of 0..n-1 driven by `rand` (seeded → reproducible). */
export function seededPermutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** The rows (ascending) of `rows` that `seededSubsample` keeps; null when all `rows` fit in `maxRows`. */
export function seededSubsampleRows(rows: number, maxRows: number, seed: number): Int32Array | null {
  if (!(rows > maxRows)) return null;
  return seededPermutation(rows, mulberry32(seed ^ 0x5ab5)).subarray(0, maxRows).sort();
}

/**
 * At most `maxRows` rows drawn without replacement (seeded), kept in their original order;
 * the inputs themselves when they already fit.
 */
export function seededSubsample(X: Float64Array, y: Float64Array, cols: number, maxRows: number, seed: number): { X: Float64Array; y: Float64Array } {
  const pick = seededSubsampleRows(y.length, maxRows, seed);
  if (!pick) return { X, y };
  const Xs = new Float64Array(maxRows * cols);
  const ys = new Float64Array(maxRows);
  for (let k = 0; k < maxRows; k++) {
    const i = pick[k];
    Xs.set(X.subarray(i * cols, (i + 1) * cols), k * cols);
    ys[k] = y[i];
  }
  return { X: Xs, y: ys };
}

/**
 * Rows per tfjs batch when scoring: a caller scoring rows in pieces cut at multiples of it gets
 * the very batches (and bytes) of one call on all of them.
 */
export const PREDICT_CHUNK_ROWS = 16384;

/**
 * [start, end): the feature rows a run scores, given each row's role (0 train, 1 validation,
 * 2 test): its validation and test rows, from the first of them rounded down to a multiple of
 * PREDICT_CHUNK_ROWS, to the last. Feature rows run in time order (training, then validation,
 * then test), so `end` is the last row and a tfjs model's batches are those of one call on
 * every row: the same bytes on any backend (on wasm the scores measured the same from any row).
 * Nothing reads a training row's score: calibration reads the validation rows; evaluation, the
 * outputs and the figures the test rows. At 1M plays the training rows were ~70 % of every
 * model's scoring. Empty (start = end) without validation or test rows.
 */
export function scoredRowRange(role: ArrayLike<number>): { start: number; end: number } {
  let first = -1;
  let last = -1;
  for (let i = 0; i < role.length; i++) {
    if (role[i] !== 1 && role[i] !== 2) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) return { start: 0, end: 0 };
  return { start: first - (first % PREDICT_CHUNK_ROWS), end: last + 1 };
}

/** [rows] `values` at the rows from `start` on, NaN elsewhere: the scores of `scoredRowRange`'s rows as a run holds them. */
export function onRowsFrom(rows: number, start: number, values: Float64Array): Float64Array {
  const out = new Float64Array(rows).fill(NaN);
  out.set(values, start);
  return out;
}
