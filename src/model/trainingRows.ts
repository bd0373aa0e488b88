/**
 * The closed loop's training rows: float32 standardised, as the tfjs models read them, with the
 * 0/1 columns (one-hot groups and flags: 52 of 84 on the bench exports, ~8.5 of them 1 in a row)
 * stored as the list of each row's ones. A column j that only takes 0 and 1 has two standardised
 * values, low_j and high_j, so
 *   z_i = b + Σ_dense w_j x̃_ij + Σ_binary w_j low_j + Σ_{j: x_ij = 1} w_j (high_j − low_j)
 *   Σ_i r_i x̃_ij = low_j Σ_i r_i + (high_j − low_j) Σ_{i: x_ij = 1} r_i   (j binary)
 * and a pass does ~40 multiply-adds a row instead of 84 (like scipy.sparse next to NumPy).
 * Every value is the float32 one `Standardizer.transformInto` writes: `toDense` rebuilds that
 * copy bit for bit (test/model.test.ts).
 */
import { prefaultPages } from "../common/bigBuffers";
import type { Standardizer } from "./standardize";

export interface TrainingRows {
  rows: number;
  cols: number;
  /** [nd] the columns stored densely, ascending. */
  denseCols: Int32Array;
  /** [rows * nd] their float32 standardised values, row-major. */
  dense: Float32Array;
  /** [nb] the 0/1 columns, ascending. */
  binaryCols: Int32Array;
  /** [nb] each 0/1 column's standardised value at 0 and at 1 (float32 values). */
  low: Float64Array;
  high: Float64Array;
  /** [rows + 1] row i's ones are ones[rowStart[i] .. rowStart[i + 1]). */
  rowStart: Int32Array;
  /** Positions in `binaryCols` of each row's ones, row by row, ascending within a row. */
  ones: Uint16Array;
}

/** At most this many 0/1 columns are stored as ones (their positions are 16-bit); the rest stay dense. */
const MAX_BINARY_COLS = 65_535;

/**
 * X's rows standardised by `scaler` (fitted), its 0/1 columns stored by their ones. `shared`: in
 * SharedArrayBuffers, for a worker thread that reads them too (`LogitsHelper`).
 * @param X [rows * cols] raw rows
 */
export function buildTrainingRows(X: Float64Array, scaler: Standardizer, shared = false): TrainingRows {
  const { cols, mean, invStd } = scaler;
  const rows = X.length / cols;
  // Which columns only hold 0 and 1, and how many ones each holds.
  const binary = new Uint8Array(cols).fill(1);
  const onesPerCol = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = X[off + j];
      if (v === 1) onesPerCol[j]++;
      // −0 too stays dense: its standardised value is −0, not low_j's +0 (the copy is bit for bit).
      else if (v !== 0 || 1 / v < 0) binary[j] = 0;
    }
  }
  const binaryCols: number[] = [];
  const denseCols: number[] = [];
  for (let j = 0; j < cols; j++) (binary[j] && binaryCols.length < MAX_BINARY_COLS ? binaryCols : denseCols).push(j);
  const nd = denseCols.length;
  const nb = binaryCols.length;
  const ones = binaryCols.reduce((sum, j) => sum + onesPerCol[j], 0);
  // The standardised values as `Standardizer.transformInto` computes them: (x − mean) · invStd, then float32.
  const low = Float64Array.from(binaryCols, (j) => Math.fround((0 - mean[j]) * invStd[j]));
  const high = Float64Array.from(binaryCols, (j) => Math.fround((1 - mean[j]) * invStd[j]));
  const alloc = <T>(make: (buffer: ArrayBuffer | SharedArrayBuffer) => T, bytes: number): T => make(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const dense = alloc((b) => new Float32Array(b), 4 * rows * nd);
  const rowStart = alloc((b) => new Int32Array(b), 4 * (rows + 1));
  const onesOf = alloc((b) => new Uint16Array(b), 2 * ones);
  const dMean = Float64Array.from(denseCols, (j) => mean[j]);
  const dInv = Float64Array.from(denseCols, (j) => invStd[j]);
  const dCols = Int32Array.from(denseCols);
  const bCols = Int32Array.from(binaryCols);
  const stopPrefault = prefaultPages(dense);
  try {
    let e = 0;
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      const out = i * nd;
      for (let k = 0; k < nd; k++) dense[out + k] = (X[off + dCols[k]] - dMean[k]) * dInv[k];
      rowStart[i] = e;
      for (let m = 0; m < nb; m++) if (X[off + bCols[m]] === 1) onesOf[e++] = m;
    }
    rowStart[rows] = e;
  } finally {
    stopPrefault();
  }
  return { rows, cols, denseCols: dCols, dense, binaryCols: bCols, low, high, rowStart, ones: onesOf };
}

/** The float32 standardised rows as one [rows * cols] row-major array (what `Standardizer.transformInto` writes into a Float32Array). */
export function toDense(R: TrainingRows): Float32Array {
  const out = new Float32Array(R.rows * R.cols);
  const row = new Float64Array(R.cols);
  for (let i = 0; i < R.rows; i++) {
    expandRow(R, i, row, 0);
    out.set(row, i * R.cols);
  }
  return out;
}

/** Row i's standardised values into out[at .. at + cols). */
export function expandRow(R: TrainingRows, i: number, out: Float64Array, at: number): void {
  const { denseCols, dense, binaryCols, low, high, rowStart, ones } = R;
  const nd = denseCols.length;
  for (let k = 0; k < nd; k++) out[at + denseCols[k]] = dense[i * nd + k];
  for (let m = 0; m < binaryCols.length; m++) out[at + binaryCols[m]] = low[m];
  for (let e = rowStart[i]; e < rowStart[i + 1]; e++) out[at + binaryCols[ones[e]]] = high[ones[e]];
}

/** θ = [w (cols), b] as a pass multiplies it (see the file's comment). */
export interface PassWeights {
  /** [nd] w on the dense columns. */
  dense: Float64Array;
  /** [nb] w_j (high_j − low_j) on the 0/1 columns. */
  step: Float64Array;
  /** b + Σ_binary w_j low_j, added in column order. */
  base: number;
}

export function passWeights(R: TrainingRows, theta: ArrayLike<number>): PassWeights {
  const { denseCols, binaryCols, low, high } = R;
  let base = theta[R.cols];
  for (let m = 0; m < binaryCols.length; m++) base += theta[binaryCols[m]] * low[m];
  return {
    dense: Float64Array.from(denseCols, (j) => theta[j]),
    step: Float64Array.from(binaryCols, (j, m) => theta[j] * (high[m] - low[m])),
    base,
  };
}

/**
 * out[at + (i − from)] = z_i for rows [from, to): base, then the dense terms in column order,
 * then the ones' steps in row order; four rows at a time (four independent sums in flight), the
 * same bits as one row at a time. The closed loop's pass and its logits thread's one loop.
 */
export function logitsInto(R: TrainingRows, pw: PassWeights, from: number, to: number, out: Float64Array, at: number): void {
  const { dense: X, rowStart, ones } = R;
  const nd = R.denseCols.length;
  const { dense: w, step, base } = pw;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const o0 = i * nd, o1 = o0 + nd, o2 = o1 + nd, o3 = o2 + nd;
    let z0 = base, z1 = base, z2 = base, z3 = base;
    for (let k = 0; k < nd; k++) {
      const wk = w[k];
      z0 += wk * X[o0 + k];
      z1 += wk * X[o1 + k];
      z2 += wk * X[o2 + k];
      z3 += wk * X[o3 + k];
    }
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) z0 += step[ones[e]];
    for (let e = rowStart[i + 1]; e < rowStart[i + 2]; e++) z1 += step[ones[e]];
    for (let e = rowStart[i + 2]; e < rowStart[i + 3]; e++) z2 += step[ones[e]];
    for (let e = rowStart[i + 3]; e < rowStart[i + 4]; e++) z3 += step[ones[e]];
    const o = at + i - from;
    out[o] = z0;
    out[o + 1] = z1;
    out[o + 2] = z2;
    out[o + 3] = z3;
  }
  for (; i < to; i++) {
    const off = i * nd;
    let z = base;
    for (let k = 0; k < nd; k++) z += w[k] * X[off + k];
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) z += step[ones[e]];
    out[at + i - from] = z;
  }
}

/** The arrays a worker is sent (copied or transferred; shared ones are shared). */
export function trainingRowsBuffers(R: TrainingRows): ArrayBufferLike[] {
  return [R.denseCols, R.dense, R.binaryCols, R.low, R.high, R.rowStart, R.ones].map((a) => a.buffer);
}
