/**
 * Per-column z-scoring whose statistics come from the TRAINING rows only, then are
 * reused unchanged on validation/test rows (no look-ahead).
 */
export class Standardizer {
  /** [cols] training mean per column. */
  mean = new Float64Array(0);
  /** [cols] training standard deviation per column (population); 0 or non-finite → 1. */
  std = new Float64Array(0);
  cols = 0;
  /**
   * [cols] 1 / std: multiplying is several times faster than dividing in the hot loops. Read by
   * other standardising loops (`buildTrainingRows`), so every copy computes (x − mean) · invStd alike.
   */
  invStd = new Float64Array(0);

  /**
   * @param X [rows * cols] row-major.
   * @param rowMask optional [rows]; only rows with a truthy mask count (e.g. role === 0).
   */
  fit(X: Float64Array, rows: number, cols: number, rowMask?: ArrayLike<number | boolean>): this {
    checkShape(X, rows, cols);
    const mean = new Float64Array(cols);
    const m2 = new Float64Array(cols);
    let n = 0;
    // Two passes (mean, then squared deviations) are exact enough and cache-friendly row-major.
    for (let i = 0; i < rows; i++) {
      if (rowMask && !rowMask[i]) continue;
      n++;
      const off = i * cols;
      for (let j = 0; j < cols; j++) mean[j] += X[off + j];
    }
    if (n === 0) throw new Error("Standardizer.fit: no training rows");
    for (let j = 0; j < cols; j++) mean[j] /= n;
    for (let i = 0; i < rows; i++) {
      if (rowMask && !rowMask[i]) continue;
      const off = i * cols;
      for (let j = 0; j < cols; j++) {
        const d = X[off + j] - mean[j];
        m2[j] += d * d;
      }
    }
    const std = new Float64Array(cols);
    for (let j = 0; j < cols; j++) {
      const s = Math.sqrt(m2[j] / n);
      // Constant columns would divide by zero; leaving them centred (all 0) is harmless.
      std[j] = s > 1e-12 && Number.isFinite(s) ? s : 1;
    }
    this.mean = mean;
    this.std = std;
    this.cols = cols;
    this.invStd = std.map((v) => 1 / v);
    return this;
  }

  /** `fit(X, rows, cols)`, or `stats` when the caller already computed exactly that (`FitOptions.trainStats`). */
  fitOr(stats: { mean: ArrayLike<number>; std: ArrayLike<number> } | undefined, X: Float64Array, rows: number, cols: number): this {
    if (!stats) return this.fit(X, rows, cols);
    checkShape(X, rows, cols);
    if (stats.mean.length !== cols || stats.std.length !== cols) throw new Error(`Standardizer.fitOr: the given statistics have ${stats.mean.length} columns, X has ${cols}`);
    return this.setStats(stats.mean, stats.std);
  }

  /** Adopts statistics computed by `fit` elsewhere (e.g. in another thread): copies of `mean` / `std`. */
  setStats(mean: ArrayLike<number>, std: ArrayLike<number>): this {
    if (mean.length !== std.length || mean.length === 0) throw new Error("Standardizer.setStats: mean and std must have the same non-zero length");
    this.mean = Float64Array.from(mean);
    this.std = Float64Array.from(std);
    this.cols = this.mean.length;
    this.invStd = this.std.map((v) => 1 / v);
    return this;
  }

  /** @returns [rows * cols] new array, (x - mean) / std. */
  transform(X: Float64Array): Float64Array {
    const out = new Float64Array(X.length);
    this.transformInto(X, 0, X.length / this.cols, out);
    return out;
  }

  /**
   * Standardises `count` rows starting at `firstRow` into `out` (Float32 for tfjs batches).
   * @param out [count * cols]
   */
  transformInto(X: Float64Array, firstRow: number, count: number, out: Float64Array | Float32Array): void {
    const cols = this.cols;
    if (cols === 0) throw new Error("Standardizer: call fit() first");
    const { mean, invStd } = this;
    for (let r = 0; r < count; r++) {
      const src = (firstRow + r) * cols;
      const dst = r * cols;
      for (let j = 0; j < cols; j++) out[dst + j] = (X[src + j] - mean[j]) * invStd[j];
    }
  }

  /**
   * Standardises every row i of X with `position[i]` ≥ 0 into row `position[i]` of `out`
   * [rows * cols] (a shuffled copy: X is read in order, each row written where it goes; reading
   * X's 680-byte rows in the shuffled order instead stalled on a cache miss per row).
   */
  scatterInto(X: Float64Array, position: Int32Array, out: Float64Array | Float32Array): void {
    const cols = this.cols;
    const { mean, invStd } = this;
    for (let i = 0; i < position.length; i++) {
      const p = position[i];
      if (p < 0) continue;
      const src = i * cols;
      const dst = p * cols;
      for (let j = 0; j < cols; j++) out[dst + j] = (X[src + j] - mean[j]) * invStd[j];
    }
  }

  toJSON(): { mean: number[]; std: number[] } {
    return { mean: Array.from(this.mean), std: Array.from(this.std) };
  }
}

export function checkShape(X: Float64Array, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols <= 0 || X.length !== rows * cols) {
    throw new Error(`Expected X of length rows*cols = ${rows}*${cols}, got ${X.length}`);
  }
}
