/**
 * Stage 1 of the two-stage (empirical-Bayes) residual features: a CONTEXT-ONLY logistic
 * model, p̂ = σ(b + w·x_context), fitted on TRAINING rows only. Its residuals y − p̂ of
 * earlier, ended plays, summed per track / artist / session and shrunk (asof.ts), say how
 * much more or less that track, artist or session is finished than its context predicts.
 *
 * Why a small solver here: the features stage cannot import the model stage (stages import
 * one way), and stage 1 needs an exact, deterministic fit on a few dozen columns, not the
 * model stage's training loop. Newton–Raphson (IRLS) with a ridge on standardised columns
 * converges in a handful of steps; it runs on at most `maxRows` training rows (an even
 * stride, so deterministic) to keep the features stage O(n) at a million plays.
 *
 * Leakage: only rows with role 0 (train) and their labels are read. The builder fits two
 * models, one per half of the training rows (cross-fitting), and a training row reads the
 * residuals of the model fitted on the other half: no label reaches its own row through
 * stage 1 (a single fit would move a training row's residual features with its own label by
 * O(columns / rows), 0.03 at 300 training rows). Validation and test labels are never read.
 */
import { valuesAt } from "../common/arrays";

export interface Stage1Model {
  /** Columns of the full feature row the model reads. */
  columns: Int32Array;
  /** Column scales (population sd over the fitted rows; 1 for constant columns). */
  scale: Float64Array;
  /** Weights on scaled columns. */
  weights: Float64Array;
  intercept: number;
  /** Rows fitted on and Newton steps taken. */
  rows: number;
  iterations: number;
}

export interface Stage1Options {
  maxRows?: number;
  /** Ridge λ in  mean log loss + λ‖w‖². */
  l2?: number;
  maxIter?: number;
}

/**
 * Fits stage 1 on the rows r with role[r] === 0 of X [rows * cols].
 * @param columns which columns of a row are context
 */
export function fitStage1(
  X: Float64Array,
  cols: number,
  y: Float64Array,
  role: Uint8Array,
  columns: Int32Array,
  options: Stage1Options = {},
): Stage1Model {
  const maxRows = options.maxRows ?? 8_000;
  const l2 = options.l2 ?? 1e-3;
  const maxIter = options.maxIter ?? 8;
  let trainRows = 0;
  for (let r = 0; r < y.length; r++) if (role[r] === 0) trainRows++;
  const stride = Math.max(1, Math.ceil(trainRows / maxRows));
  const rows: number[] = [];
  for (let r = 0, k = 0; r < y.length; r++) if (role[r] === 0 && k++ % stride === 0) rows.push(r);
  const p = columns.length;
  const m = rows.length;
  const scale = columnScales(X, cols, rows, columns);
  const design = sparseDesign(X, cols, rows, columns, scale);
  const yy = valuesAt(y, rows);
  let rate = 0;
  for (let k = 0; k < m; k++) rate += yy[k];
  rate = m ? Math.min(1 - 1e-6, Math.max(1e-6, rate / m)) : 0.5;
  let b = Math.log(rate / (1 - rate));
  const w = new Float64Array(p);
  const q = p + 1;
  const H = new Float64Array(q * q);
  const g = new Float64Array(q);
  let it = 0;
  for (; it < maxIter && m > 0; it++) {
    accumulate(design, yy, w, b, H, g);
    // the intercept's cross terms were summed above the diagonal: mirror them into the lower
    // triangle (the one scaled and factorised below) first
    for (let c = 0; c < p; c++) H[p * q + c] = H[c * q + p];
    // mean loss + λ‖w‖²: gradient/m + 2λw, Hessian/m + 2λI (intercept unpenalised)
    for (let c = 0; c < q; c++) {
      g[c] /= m;
      for (let d = 0; d <= c; d++) H[c * q + d] /= m;
    }
    for (let c = 0; c < p; c++) {
      g[c] += 2 * l2 * w[c];
      H[c * q + c] += 2 * l2;
    }
    H[p * q + p] += 1e-9;
    const step = solveSymmetric(H, g, q);
    let maxStep = 0;
    for (let c = 0; c < p; c++) {
      w[c] -= step[c];
      maxStep = Math.max(maxStep, Math.abs(step[c]));
    }
    b -= step[p];
    maxStep = Math.max(maxStep, Math.abs(step[p]));
    if (maxStep < 1e-5) {
      it++;
      break;
    }
  }
  return { columns, scale, weights: w, intercept: b, rows: m, iterations: it };
}

/** Scaled design rows in CSR form: row k's non-zero columns `nz[start[k] .. start[k+1])`, values `val`. */
interface SparseRows {
  start: Int32Array;
  nz: Int32Array;
  val: Float64Array;
  /** Columns. */
  p: number;
}

/**
 * Gradient and Hessian sums of the log loss at (w, b) into g [p + 1] and the lower triangle
 * of H [(p + 1)²] (intercept last; its cross terms go above the diagonal, row c column p).
 * Its own function (not a loop inside fitStage1) so V8 optimises it once instead of
 * deoptimising a long function phase by phase, which cost ~0.1 s per fit at first call.
 */
function accumulate(d: SparseRows, y: Float64Array, w: Float64Array, b: number, H: Float64Array, g: Float64Array): void {
  const { start, nz, val, p } = d;
  const q = p + 1;
  H.fill(0);
  g.fill(0);
  for (let k = 0; k < y.length; k++) {
    const lo = start[k];
    const hi = start[k + 1];
    let z = b;
    for (let t = lo; t < hi; t++) z += w[nz[t]] * val[t];
    const pr = 1 / (1 + Math.exp(-z));
    const e = pr - y[k];
    const v = pr * (1 - pr);
    g[p] += e;
    H[p * q + p] += v;
    for (let t = lo; t < hi; t++) {
      const c = nz[t];
      const zc = val[t];
      g[c] += e * zc;
      const vz = v * zc;
      const row = c * q;
      H[row + p] += vz;
      for (let u = lo; u <= t; u++) H[row + nz[u]] += vz * val[u];
    }
  }
}

/** Population sd of each of `columns` over `rows` of X (1 for a constant column): the scaling of stage 1's design. */
function columnScales(X: Float64Array, cols: number, rows: number[], columns: Int32Array): Float64Array {
  const p = columns.length;
  const m = rows.length;
  const scale = new Float64Array(p).fill(1);
  for (let c = 0; c < p; c++) {
    let s = 0;
    let s2 = 0;
    for (const r of rows) {
      const v = X[r * cols + columns[c]];
      s += v;
      s2 += v * v;
    }
    const mu = m ? s / m : 0;
    const sd = m ? Math.sqrt(Math.max(0, s2 / m - mu * mu)) : 0;
    scale[c] = sd > 1e-9 ? sd : 1;
  }
  return scale;
}

/**
 * The scaled design (not centred, so one-hot zeros stay zero and rows stay sparse) as CSR,
 * so a Newton step costs Σ nnz² instead of m·p².
 */
function sparseDesign(X: Float64Array, cols: number, rows: number[], columns: Int32Array, scale: Float64Array): SparseRows {
  const p = columns.length;
  const start = new Int32Array(rows.length + 1);
  const nz: number[] = [];
  const val: number[] = [];
  for (let k = 0; k < rows.length; k++) {
    const o = rows[k] * cols;
    for (let c = 0; c < p; c++) {
      const v = X[o + columns[c]] / scale[c];
      if (v === 0) continue;
      nz.push(c);
      val.push(v);
    }
    start[k + 1] = nz.length;
  }
  return { start, nz: Int32Array.from(nz), val: Float64Array.from(val), p };
}

/** Weights on the raw columns (w / scale), for `stage1Proba`. */
export function rawWeights(model: Stage1Model): Float64Array {
  return Float64Array.from(model.weights, (w, c) => w / model.scale[c]);
}

/** p̂ of the row of X starting at `base`; `a` = rawWeights(model). */
export function stage1Proba(model: Stage1Model, a: Float64Array, X: Float64Array, base: number): number {
  const columns = model.columns;
  let z = model.intercept;
  for (let c = 0; c < columns.length; c++) z += a[c] * X[base + columns[c]];
  return 1 / (1 + Math.exp(-z));
}

/** Solves A x = b for symmetric positive definite A [q * q] (lower triangle used), Cholesky. */
function solveSymmetric(A: Float64Array, b: Float64Array, q: number): Float64Array {
  const L = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * q + j];
      for (let k = 0; k < j; k++) s -= L[i * q + k] * L[j * q + k];
      if (i === j) L[i * q + i] = Math.sqrt(Math.max(s, 1e-12));
      else L[i * q + j] = s / L[j * q + j];
    }
  }
  const z = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * q + k] * z[k];
    z[i] = s / L[i * q + i];
  }
  const x = new Float64Array(q);
  for (let i = q - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < q; k++) s -= L[k * q + i] * x[k];
    x[i] = s / L[i * q + i];
  }
  return x;
}
