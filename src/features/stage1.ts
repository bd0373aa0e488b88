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
 * Leakage: only rows with role 0 (train) and their labels are read. A training row's own
 * label is one of ≤ maxRows in a fit of ~40 coefficients, so its influence on p̂ of OTHER
 * plays is O(1/rows); validation and test rows are untouched by their labels.
 */

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
  // scaled (not centred, so one-hot zeros stay zero and rows are sparse) design [m * p]
  const Z = new Float64Array(m * p);
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
  // per row: its non-zero columns (CSR), so a Newton step costs Σ nnz² instead of m·p²
  const nzStart = new Int32Array(m + 1);
  const nzCol: number[] = [];
  rows.forEach((r, k) => {
    for (let c = 0; c < p; c++) {
      const v = X[r * cols + columns[c]] / scale[c];
      Z[k * p + c] = v;
      if (v !== 0) nzCol.push(c);
    }
    nzStart[k + 1] = nzCol.length;
  });
  const nz = Int32Array.from(nzCol);
  const yy = Float64Array.from(rows, (r) => y[r]);
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
    H.fill(0);
    g.fill(0);
    for (let k = 0; k < m; k++) {
      const o = k * p;
      const lo = nzStart[k];
      const hi = nzStart[k + 1];
      let z = b;
      for (let t = lo; t < hi; t++) z += w[nz[t]] * Z[o + nz[t]];
      const pr = 1 / (1 + Math.exp(-z));
      const e = pr - yy[k];
      const v = pr * (1 - pr);
      g[p] += e;
      H[p * q + p] += v;
      for (let t = lo; t < hi; t++) {
        const c = nz[t];
        const zc = Z[o + c];
        g[c] += e * zc;
        const vz = v * zc;
        H[c * q + p] += vz;
        for (let u = lo; u <= t; u++) H[c * q + nz[u]] += vz * Z[o + nz[u]];
      }
    }
    // mean loss + λ‖w‖²: gradient/m + 2λw, Hessian/m + 2λI (intercept unpenalised)
    for (let c = 0; c < q; c++) {
      g[c] /= m;
      for (let d = 0; d <= c; d++) H[c * q + d] /= m;
    }
    for (let c = 0; c < p; c++) H[p * q + c] = H[c * q + p];
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
