/**
 * Full-batch second-order steps in tfjs for a logistic regression (one dense sigmoid unit), run
 * until every component of the gradient of
 *   f(w, b) = mean log loss + λ Σ w_j²
 * is at most `gradTol`: the same objective and stopping rule as the closed loop, so both end at
 * its one minimum. tfjs computes each row chunk's logits and gradient X̃ᵀ(p − y) on the float32
 * standardised rows, and the Hessian X̃ᵀ diag(p(1 − p)) X̃ on a sample of chunks (≤ 32k rows, a
 * random sample: the rows are in Adam's seeded order, or read in `HandedOverRows.order`; the
 * gradient always comes from every row);
 * the chunks are summed in float64 (one float32 sum over 300k rows would round away the digits
 * the tolerance needs). θ enters each pass as float32 hi + lo parts (`splitFloat32`): rounded to
 * float32, the leaky reference's weights (|w| ≈ 5) left a gradient floor of 3e-7 on data-sample.
 *
 * The steps: conjugate gradients preconditioned by that Hessian (its Cholesky factor, computed
 * again when a step fails or the gradient stops halving every three steps), each with an exact
 * line search. Plain Newton steps
 * converge linearly, not quadratically, here even with the exact Hessian (a float64 Newton with
 * the full Hessian shrinks the gradient ~3× a step between 1e-5 and 1e-7 at 300k plays): the
 * collinear one-hot groups leave a direction curved mostly by the small λ, and the minimum along
 * a Newton direction lies anywhere from 0.1 to 1 times it. Conjugate directions take that
 * curvature into account. The line search costs one matrix product per step, not a pass per
 * trial: tfjs gives every row's logit z at θ with the gradient, and its change x·d along the
 * direction d; f along the line then follows from those in JS (`lineMinimum`). At 1M plays this
 * took 45 passes (18 steps) down to 13 passes and 12 products (12 steps).
 */
import * as tf from "@tensorflow/tfjs";
import { choleskyInPlace, choleskySolve, dot, maxAbs } from "./linalg";

/**
 * Evaluates some of the Newton stage's row chunks on a second thread, synchronously from this
 * one's view (`NewtonHelper`, ./newtonHelper.ts): `begin` starts them at θ's float32 parts, this
 * thread evaluates its own chunks meanwhile, `wait` returns once they are done, and each chunk's
 * results are read back and summed here in chunk order, as if computed here: the same numbers.
 */
export interface ChunkHelper {
  /**
   * Starts taking over the chunks `chunks` of `xs` [rows * cols] / `ys` [rows] (chunkRows rows
   * each), so this thread uploads its own meanwhile; false when it cannot.
   */
  load(xs: Float32Array, ys: Float32Array, cols: number, chunkRows: number, chunks: readonly number[]): boolean;
  /** Blocks until the chunks `load` sent are on the helper's backend; false when it failed (this thread then evaluates them itself). */
  loaded(): boolean;
  /** Starts evaluating its chunks at θ: w [2, cols] and b [2], float32 hi and lo parts (`splitFloat32`). */
  begin(w: Float32Array, b: Float32Array): void;
  /** Starts computing its chunks' `chunkDirection` along the direction's weights d [cols]. */
  beginDirection(d: Float32Array): void;
  /** Blocks until they are evaluated; throws if the helper failed. */
  wait(): void;
  /** Chunk k's result of the last command: `chunkPass`'s, or `chunkDirection`'s in its first n values (valid until the next command). */
  packed(k: number): Float32Array;
  close(): void;
}

/**
 * One chunk's pass at θ: [each row's logit z (n), Σ r x (cols), Σ r] as float32, r = σ(z) − y.
 * The logits come per row: f is summed from them in float64 (a float32 sum would round away
 * the last decreases of f), and the line search moves along them. One download per chunk.
 * Shared with the helper thread (./newtonWorker.ts), so both compute a chunk alike.
 * @param w [2, cols] hi and lo parts of the weights; b [2] of the intercept; xT [cols, n]; y [1, n]
 */
export function chunkPass(w: tf.Tensor2D, b: ArrayLike<number>, xT: tf.Tensor2D, y: tf.Tensor2D, n: number, cols: number): Float32Array {
  const packed = tf.tidy(() => {
    const z = chunkLogits(w, b, xT);
    const r = tf.sub(tf.sigmoid(z), y);
    return tf.concat([tf.reshape(z, [n]), tf.reshape(tf.matMul(xT, tf.reshape(r, [n, 1])), [cols]), tf.reshape(tf.sum(r), [1])]);
  });
  const v = packed.dataSync() as Float32Array;
  packed.dispose();
  return v;
}

/** A chunk's x·d for each row (n), float32: how its logits move along a direction's weights d [1, cols]. */
export function chunkDirection(d: tf.Tensor2D, xT: tf.Tensor2D): Float32Array {
  const dz = tf.matMul(d, xT);
  const v = dz.dataSync() as Float32Array;
  dz.dispose();
  return v;
}

/** [1, n] logits of a chunk: w's hi and lo rows times xᵀ, summed, plus b's parts. */
function chunkLogits(w: tf.Tensor2D, b: ArrayLike<number>, xT: tf.Tensor2D): tf.Tensor {
  return tf.add(tf.add(tf.sum(tf.matMul(w, xT), 0, true), b[0]), b[1]);
}

/** xᵀ [cols, n] and y [1, n] of rows [start, start + n) of the float32 rows `xs` / labels `ys`, on the backend. */
export function uploadChunk(xs: Float32Array, ys: Float32Array, cols: number, start: number, n: number, keepRows = false): { xT: tf.Tensor2D; x: tf.Tensor2D | null; y: tf.Tensor2D } {
  const x = tf.tensor2d(xs.subarray(start * cols, (start + n) * cols), [n, cols]);
  const xT = tf.transpose(x);
  const y = tf.tensor2d(ys.subarray(start, start + n), [1, n]);
  if (keepRows) return { xT, x, y };
  x.dispose();
  return { xT, x: null, y };
}

export interface NewtonResult {
  /** Steps taken (conjugate directions preconditioned by the Newton Hessian). */
  iterations: number;
  /** max_j |∂f/∂θ_j| at the end (weights and intercept). */
  gradNorm: number;
  /** gradNorm reached gradTol (not stopped by maxIter, nor by a step that rounding kept from descending). */
  converged: boolean;
  /** f at the end. */
  loss: number;
  /** Full passes over the rows (loss and gradient). */
  passes: number;
  /** Passes computing each row's x·d along a step's direction (one matrix product: the line search's). */
  directionPasses: number;
  /** Hessians computed (on the sample chunks, each ~one pass of work at 300k plays). */
  hessians: number;
  /** Row chunks a second thread evaluated in each pass (`ChunkHelper`); 0: all on this one. */
  helperChunks: number;
  seconds: number;
}

interface Evaluation {
  loss: number;
  /** [cols + 1] ∇f, intercept last. */
  grad: Float64Array;
}

/**
 * The rows a descent starts from: xs [rows * cols] float32 standardised training rows, ys [rows]
 * 0/1. `newtonLogistic` takes them out (sets both to null) once they are on the backend, so
 * this copy (240 MB at 1M plays) is garbage during the passes, where the backend's chunks and
 * XNNPACK's packed copies of them grow: its owner must keep no other reference to them. Streamed
 * (`newtonLogistic`'s `streamed`), the descent reads them in place for every pass instead.
 */
export interface HandedOverRows {
  xs: Float32Array | null;
  ys: Float32Array | null;
  /**
   * Upload the rows in this order (a seeded permutation of 0..rows-1), chunk by chunk, when they
   * are not already shuffled: each chunk is then a random sample (the Hessian's) and its float32
   * sums round as on shuffled rows. Not with a helper thread.
   */
  order?: Int32Array | null;
}

/**
 * The rows of a descent on the backend, in chunks (rows start .. start + n); a null xT: the helper
 * holds that chunk, or (`streamed`) it is uploaded for each pass.
 */
interface UploadedChunks {
  rows: number;
  chunks: { xT: tf.Tensor2D | null; x: tf.Tensor2D | null; y: tf.Tensor2D | null; n: number; start: number; helped: boolean }[];
  /** The rows the chunks not on the backend are read from, each pass; null when every chunk is uploaded once. */
  streamed: { xs: Float32Array; ys: Float32Array; order: Int32Array | null } | null;
  hessianRowsUsed: number;
  /** The helper, once it holds its chunks; null when there is none or it declined. */
  helper: ChunkHelper | null;
  /** [rows] the labels in chunk order (the line search's). */
  labels: Float32Array;
}

/**
 * Uploads the handed-over rows chunk by chunk (the helper's chunks to the helper) and empties
 * `input`: when this returns, no frame holds the float32 rows any more, only their labels (4 bytes
 * a row, for the line search). Unless `streamed`: then only the Hessian chunks are uploaded now,
 * the others for each pass, from the rows kept in `streamed`.
 *
 * The Hessian (a cols² pass, ~cols times the cost of the gradient) comes from at most
 * `hessianRows` rows: every `hessianEvery`-th chunk (the rows are in Adam's seeded random order,
 * or read in `order`, so a chunk is a random sample). Its factor only shapes the steps; the
 * gradient and f, which decide convergence, always use every row.
 */
function uploadChunks(input: HandedOverRows, cols: number, chunk: number, hessianRows: number, helper: ChunkHelper | null, streamed: boolean): UploadedChunks {
  const { xs, ys, order = null } = input;
  if (!xs || !ys) throw new Error("newtonLogistic: the rows were already handed over");
  if ((order || streamed) && helper) throw new Error("newtonLogistic: a row order or streamed chunks cannot be combined with a helper thread");
  input.xs = input.ys = input.order = null;
  const rows = ys.length;
  const nChunks = Math.ceil(rows / chunk);
  const hessianEvery = Math.max(1, Math.ceil(nChunks / Math.max(1, Math.floor(hessianRows / chunk))));
  const helped = helper ? Array.from({ length: nChunks }, (_, k) => k).filter((k) => k % 2 === 1) : [];
  // The helper uploads its chunks while this thread uploads its own.
  let useHelper = helper !== null && helped.length > 0 && helper.load(xs, ys, cols, chunk, helped);
  const chunks: UploadedChunks["chunks"] = [];
  let hessianRowsUsed = 0;
  const upload = (s: number, n: number, keep: boolean) => ({ ...uploadChunk(...rowsOf(xs, ys, order, cols, s, n), cols, 0, n, keep), n, start: s, helped: false });
  for (let s = 0, k = 0; s < rows; s += chunk, k++) {
    const n = Math.min(chunk, rows - s);
    const keep = k % hessianEvery === 0;
    if (keep) hessianRowsUsed += n;
    const byHelper = useHelper && k % 2 === 1;
    if ((byHelper || streamed) && !keep) chunks.push({ xT: null, x: null, y: null, n, start: s, helped: byHelper });
    else chunks.push({ ...upload(s, n, keep), helped: byHelper });
  }
  if (useHelper && !helper!.loaded()) {
    // It failed: this thread evaluates its chunks too.
    useHelper = false;
    chunks.forEach((c, k) => {
      if (c.helped && !c.xT) chunks[k] = upload(c.start, c.n, false);
      c.helped = false;
    });
  }
  const labels = order ? Float32Array.from(order, (r) => ys[r]) : ys;
  return { rows, chunks, streamed: streamed ? { xs, ys, order } : null, hessianRowsUsed, helper: useHelper ? helper : null, labels };
}

/**
 * Rows s .. s+n of xs [rows * cols] and ys [rows]: views, or with an order, rows order[s .. s+n)
 * gathered into fresh arrays (a backend may keep the arrays it is given).
 */
function rowsOf(xs: Float32Array, ys: Float32Array, order: Int32Array | null, cols: number, s: number, n: number): [Float32Array, Float32Array] {
  if (!order) return [xs.subarray(s * cols, (s + n) * cols), ys.subarray(s, s + n)];
  const x = new Float32Array(n * cols);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = order[s + i];
    y[i] = ys[r];
    x.set(xs.subarray(r * cols, (r + 1) * cols), i * cols);
  }
  return [x, y];
}

/**
 * `rowsOf`, transposed: xT [cols * n] (column j's n values together) and y [n], in fresh arrays.
 * In blocks of 16 rows, so each source row is read from cache for all its columns (0.3 s per pass
 * over 706k × 85 rows; row by row, 1.2 s).
 */
function transposedRowsOf(xs: Float32Array, ys: Float32Array, order: Int32Array | null, cols: number, s: number, n: number): [Float32Array, Float32Array] {
  const xT = new Float32Array(n * cols);
  const y = new Float32Array(n);
  const block = new Int32Array(16);
  for (let i0 = 0; i0 < n; i0 += 16) {
    const m = Math.min(16, n - i0);
    for (let i = 0; i < m; i++) {
      const r = order ? order[s + i0 + i] : s + i0 + i;
      block[i] = r * cols;
      y[i0 + i] = ys[r];
    }
    for (let j = 0; j < cols; j++) {
      const o = j * n + i0;
      for (let i = 0; i < m; i++) xT[o + i] = xs[block[i] + j];
    }
  }
  return [xT, y];
}

/**
 * @param input the rows, handed over (see `HandedOverRows`)
 * @param start standardised weights [cols] and intercept to start from (e.g. after Adam)
 * @returns the minimiser (weights, intercept) and how the descent went
 */
export function newtonLogistic(
  input: HandedOverRows,
  cols: number,
  start: { weights: ArrayLike<number>; intercept: number },
  options: { l2: number; gradTol: number; maxIter: number; chunkRows?: number; hessianRows?: number; helper?: ChunkHelper | null; streamed?: boolean },
): { weights: Float64Array; intercept: number; result: NewtonResult } {
  const t0 = Date.now();
  const dim = cols + 1;
  let passes = 0;
  let directionPasses = 0;
  let hessians = 0;

  // The rows stay on the backend for the whole descent (uploading them was most of a pass), each
  // chunk transposed, xᵀ [cols, n]: on the wasm backend z = w xᵀ and xᵀ r take ~15 ms per pass
  // over 204k × 87 rows where x w and the transposeA xᵀ r on row-major chunks took ~35 and ~65.
  // The Hessian chunks also keep x [n, cols]: (xᵀ diag(s)) x takes ~40 ms on 32k rows, the
  // transposeA product ~420 ms.
  //
  // With a helper thread (`options.helper`), it takes every other chunk: each pass then runs on
  // two cores, and this thread keeps only its own chunks (and the Hessian chunks).
  //
  // Streamed (`options.streamed`), the chunks other than the Hessian's are uploaded again for each
  // pass: slower per pass, but the backend never holds the rows (the wasm heap, which never shrinks,
  // grew by their size at 1M plays), for a descent of a few passes (`TfjsLogisticOptions.start`).
  const { rows, chunks, streamed, hessianRowsUsed, helper: activeHelper, labels } = uploadChunks(input, cols, options.chunkRows ?? 8192, options.hessianRows ?? 32_768, options.helper ?? null, options.streamed === true);

  /** [2, cols] float32 hi and lo parts of θ's weights, and of its intercept (`splitFloat32`). */
  const partsAt = (theta: Float64Array) => ({ w: splitFloat32(theta.subarray(0, cols)), b: splitFloat32([theta[cols]]) });

  /** `pass` on chunk c: its resident xᵀ and y, or (streamed) rows uploaded for it alone (gathered already transposed: tfjs's transpose cost 3× the gather). */
  const onChunk = (c: UploadedChunks["chunks"][number], pass: (xT: tf.Tensor2D, y: tf.Tensor2D) => Float32Array): Float32Array => {
    if (c.xT) return pass(c.xT, c.y!);
    const [xTValues, yValues] = transposedRowsOf(streamed!.xs, streamed!.ys, streamed!.order, cols, c.start, c.n);
    const xT = tf.tensor2d(xTValues, [cols, c.n]);
    const y = tf.tensor2d(yValues, [1, c.n]);
    try {
      return pass(xT, y);
    } finally {
      xT.dispose();
      y.dispose();
    }
  };

  /**
   * Runs `pass` on this thread's chunks while the helper runs its command on the others, then
   * hands each chunk's result to `take` in chunk order, whichever thread computed it.
   */
  const overChunks = (pass: (xT: tf.Tensor2D, y: tf.Tensor2D, n: number) => Float32Array, take: (v: Float32Array, chunk: { n: number; start: number }) => void) => {
    const own = chunks.map((c) => (c.helped ? null : onChunk(c, (xT, y) => pass(xT, y, c.n))));
    activeHelper?.wait();
    chunks.forEach((c, k) => take(own[k] ?? activeHelper!.packed(k), c));
  };

  /** f, ∇f and every row's logit at θ: one pass over every row. `z` [rows] receives the logits. */
  const evaluate = (theta: Float64Array, z: Float32Array): Evaluation => {
    passes++;
    const grad = new Float64Array(dim);
    let loss = 0;
    const { w: wParts, b } = partsAt(theta);
    activeHelper?.begin(wParts, b);
    const w = tf.tensor2d(wParts, [2, cols]);
    try {
      overChunks(
        (xT, y, n) => chunkPass(w, b, xT, y, n, cols),
        (v, { n, start }) => {
          z.set(v.subarray(0, n), start);
          for (let i = 0; i < n; i++) loss += rowLoss(v[i], labels[start + i]);
          for (let j = 0; j < cols; j++) grad[j] += v[n + j];
          grad[cols] += v[n + cols];
        },
      );
    } finally {
      w.dispose();
    }
    let penalty = 0;
    for (let j = 0; j < dim; j++) grad[j] /= rows;
    for (let j = 0; j < cols; j++) {
      grad[j] += 2 * options.l2 * theta[j];
      penalty += theta[j] * theta[j];
    }
    return { loss: loss / rows + options.l2 * penalty, grad };
  };

  /** Every row's change of logit along the direction d [dim] (float32 weights, float64 intercept), into dz [rows]. */
  const alongDirection = (d: Float64Array, dz: Float32Array): void => {
    directionPasses++;
    const dw = Float32Array.from(d.subarray(0, cols));
    activeHelper?.beginDirection(dw);
    const dTensor = tf.tensor2d(dw, [1, cols]);
    try {
      overChunks(
        (xT) => chunkDirection(dTensor, xT),
        (v, { n, start }) => dz.set(v.subarray(0, n), start),
      );
    } finally {
      dTensor.dispose();
    }
    // The intercept's part, d_b, is added in lineMinimum (in float64).
  };

  /** ∇²f at θ from the Hessian chunks, Cholesky-factored. */
  const hessianFactor = (theta: Float64Array): Float64Array => {
    hessians++;
    const hess = new Float64Array(dim * dim);
    const parts = partsAt(theta);
    const w = tf.tensor2d(parts.w, [2, cols]);
    const b = parts.b;
    try {
      for (const { xT, x } of chunks) {
        if (!x || !xT) continue;
        // [Σ s x xᵀ (cols²), Σ s x (cols), Σ s], s = p(1 − p)
        const packed = tf.tidy(() => {
          const p = tf.sigmoid(chunkLogits(w, b, xT));
          const sw = tf.mul(p, tf.sub(1, p));
          const xsw = tf.mul(xT, sw); // [cols, n]
          return tf.concat([tf.reshape(tf.matMul(xsw, x), [cols * cols]), tf.reshape(tf.sum(xsw, 1), [cols]), tf.reshape(tf.sum(sw), [1])]);
        });
        const v = packed.dataSync();
        packed.dispose();
        for (let a = 0; a < cols; a++) for (let c = 0; c < cols; c++) hess[a * dim + c] += v[a * cols + c];
        for (let a = 0; a < cols; a++) {
          hess[a * dim + cols] += v[cols * cols + a];
          hess[cols * dim + a] += v[cols * cols + a];
        }
        hess[cols * dim + cols] += v[cols * cols + cols];
      }
    } finally {
      w.dispose();
    }
    for (let k = 0; k < hess.length; k++) hess[k] /= hessianRowsUsed;
    for (let j = 0; j < cols; j++) hess[j * dim + j] += 2 * options.l2;
    return choleskyInPlace(hess, dim);
  };

  const theta = new Float64Array(dim);
  for (let j = 0; j < cols; j++) theta[j] = start.weights[j];
  theta[cols] = start.intercept;
  // The logits at θ and at the trial point, swapped when a step is taken; their change along the direction.
  let z = new Float32Array(rows);
  let zTrial = new Float32Array(rows);
  const dz = new Float32Array(rows);
  // The preconditioner: Cholesky factor of the last Hessian computed (see the file's comment).
  let factor: Float64Array;
  let gNormAtFactor: number;
  // The previous step's gradient, preconditioned gradient and direction (conjugacy); null: restart.
  let previous: { grad: Float64Array; s: Float64Array; dir: Float64Array } | null = null;
  let fresh = true;
  // The gradient's max norm after each step since the preconditioner was computed.
  let norms: number[] = [];
  let converged = false;
  let iterations = 0;
  const trial = new Float64Array(dim);
  let at: Evaluation;
  try {
    at = evaluate(theta, z);
    factor = hessianFactor(theta);
    gNormAtFactor = maxAbs(at.grad);
    for (; iterations < options.maxIter; iterations++) {
      const gNorm = maxAbs(at.grad);
      if (gNorm <= options.gradTol) {
        converged = true;
        break;
      }
      const s = at.grad.slice();
      choleskySolve(factor, dim, s);
      const dir = new Float64Array(dim);
      for (let j = 0; j < dim; j++) dir[j] = -s[j];
      if (previous) {
        // Polak–Ribière+, preconditioned: β = gᵀ(s − s₋) / g₋ᵀs₋, never negative.
        let num = 0;
        for (let j = 0; j < dim; j++) num += at.grad[j] * (s[j] - previous.s[j]);
        const beta = Math.max(0, num / dot(previous.grad, previous.s));
        for (let j = 0; j < dim; j++) dir[j] += beta * previous.dir[j];
        if (!(dot(at.grad, dir) < 0)) for (let j = 0; j < dim; j++) dir[j] = -s[j];
      }
      // The step's weights as tfjs multiplies them (float32), so θ moves exactly along the dz measured.
      for (let j = 0; j < cols; j++) dir[j] = Math.fround(dir[j]);
      const slope = dot(at.grad, dir);
      let next: Evaluation | null = null;
      if (slope < 0) {
        alongDirection(dir, dz);
        const curvature = quadraticForm(factor, dim, dir);
        let step = lineMinimum(z, dz, labels, theta, dir, cols, options.l2, slope, curvature);
        // At the rounding floor the float32 logits cannot place the minimum along the line: take
        // the Hessian's quadratic model's step, which the gradient must then confirm.
        if (!(step > 0)) step = -slope / curvature;
        if (step > 0 && Number.isFinite(step)) {
          for (let j = 0; j < dim; j++) trial[j] = theta[j] + step * dir[j];
          const e = evaluate(trial, zTrial);
          // A step counts when f falls; or, where f's changes fall within the float32 rounding of
          // the logits (~1e-7 relative), when f stays within it and the gradient shrinks. A step
          // that changes nothing (the line search at the rounding floor) does not count.
          if (e.loss < at.loss || (e.loss <= at.loss + 1e-7 * Math.abs(at.loss) && maxAbs(e.grad) < gNorm)) next = e;
        }
      }
      if (next) {
        theta.set(trial);
        [z, zTrial] = [zTrial, z];
        previous = { grad: at.grad, s, dir };
        at = next;
        fresh = false;
        norms.push(maxAbs(at.grad));
        // A preconditioner gone stale (the Hessian moves with the weights: far on near-separable
        // rows, the leaky reference's) shows as a gradient not halved in three steps: recompute it,
        // unless the steps since it was computed gained less than 10 % (the rounding floor).
        const k = norms.length;
        const latest = norms[k - 1];
        if (k < 3 || latest <= 0.5 * (k > 3 ? norms[k - 4] : gNormAtFactor) || latest <= options.gradTol) continue;
        if (latest > 0.9 * gNormAtFactor) break;
      } else if (fresh) break; // even a fresh preconditioner's direction cannot descend: rounding floor
      factor = hessianFactor(theta);
      gNormAtFactor = maxAbs(at.grad);
      norms = [];
      fresh = true;
      previous = null;
    }
  } finally {
    for (const c of chunks) {
      c.xT?.dispose();
      c.x?.dispose();
      c.y?.dispose();
    }
  }
  if (!converged) converged = maxAbs(at.grad) <= options.gradTol;
  return {
    weights: theta.slice(0, cols),
    intercept: theta[cols],
    result: { iterations, gradNorm: maxAbs(at.grad), converged, loss: at.loss, passes, directionPasses, hessians, helperChunks: chunks.filter((c) => c.helped).length, seconds: (Date.now() - t0) / 1000 },
  };
}

/** dᵀ H d = ‖Lᵀd‖² for H's Cholesky factor L (`choleskyInPlace`'s lower triangle). */
function quadraticForm(L: Float64Array, n: number, d: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < n; k++) {
    let v = 0;
    for (let i = k; i < n; i++) v += L[i * n + k] * d[i];
    sum += v * v;
  }
  return sum;
}

/** log(1 + e^z) − y z, stable for large |z|. */
function rowLoss(z: number, y: number): number {
  return (z > 0 ? z : 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
}

/**
 * The step t > 0 that minimises f(θ + t d) along the direction d, from every row's logit z and
 * its change dz (+ d_b) along d: a safeguarded one-dimensional Newton method (f is convex in t),
 * so the line search costs no pass over the rows. It starts at the minimum of the quadratic
 * model f′(0) t + ½ dᵀHd t², with f′(0) = ∇fᵀd and `curvature` = dᵀHd from the preconditioner's
 * Hessian, and stops once |f′(t)| ≤ 1e-2 |f′(0)| (or the bracket is narrow: `brentRoot`).
 */
function lineMinimum(z: Float32Array, dz: Float32Array, y: Float32Array, theta: Float64Array, dir: Float64Array, cols: number, l2: number, slope0: number, curvature: number): number {
  const rows = z.length;
  const dIntercept = dir[cols];
  let wd = 0;
  let dd = 0;
  for (let j = 0; j < cols; j++) {
    wd += theta[j] * dir[j];
    dd += dir[j] * dir[j];
  }
  /** [f′(t), f″(t)] along the line. */
  const slopes = (t: number): [number, number] => {
    let d1 = 0;
    let d2 = 0;
    for (let i = 0; i < rows; i++) {
      const v = dz[i] + dIntercept;
      // exp overflows to Infinity for very negative logits, where p = 0 is the right limit.
      const p = 1 / (1 + Math.exp(-(z[i] + t * v)));
      d1 += (p - y[i]) * v;
      d2 += p * (1 - p) * v * v;
    }
    return [d1 / rows + 2 * l2 * (wd + t * dd), d2 / rows + 2 * l2 * dd];
  };
  const tolerance = 1e-2 * -slope0;
  // Newton steps from the quadratic model's minimum while they stay inside the bracket [lo, hi]
  // of the minimum (f′(lo) < 0 < f′(hi)) and at least halve the slope (two or three evaluations
  // on most lines); then Brent's method in the bracket.
  let lo = 0;
  let loSlope = slope0;
  let hi = Infinity;
  let hiSlope = NaN;
  let t = -slope0 / curvature;
  if (!(t > 0 && Number.isFinite(t))) t = 1;
  let lastSize = Infinity;
  for (let k = 0; k < 60; k++) {
    const [d1, d2] = slopes(t);
    if (Math.abs(d1) <= tolerance) return t;
    if (d1 < 0) [lo, loSlope] = [t, d1];
    else [hi, hiSlope] = [t, d1];
    const next = t - d1 / d2;
    const slow = Math.abs(d1) > lastSize / 2;
    lastSize = Math.abs(d1);
    if (!slow && next > lo && next < hi) t = next;
    else if (hi === Infinity) t = 2 * t;
    else {
      // Brent's lower end needs f′ from the same logits: at t = 0 it may differ from ∇fᵀd near the
      // rounding floor, and then the line holds no descent this search can find.
      if (lo === 0) loSlope = slopes(0)[0];
      if (!(loSlope < 0)) return 0;
      return brentRoot((u) => slopes(u)[0], lo, loSlope, hi, hiSlope, tolerance, 60 - k);
    }
  }
  return t;
}

/**
 * A root of the increasing f′ in [a, b] (f′(a) < 0 < f′(b)) by Brent's method (inverse quadratic
 * interpolation, secant and bisection; Brent 1973, `zbrent` in Numerical Recipes): robust where a
 * few steep rows, rare categories' large standardised values, make f′ bend sharply and Newton
 * crawl. Stops when |f′| ≤ `tolerance`, when the bracket is 1e-4 of the step wide, or after
 * `maxEvaluations`.
 */
function brentRoot(slope: (t: number) => number, a: number, fa: number, b: number, fb: number, tolerance: number, maxEvaluations: number): number {
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let k = 0; k < maxEvaluations; k++) {
    if (fb > 0 === fc > 0) {
      [c, fc] = [a, fa];
      d = e = b - a;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      [a, fa] = [b, fb];
      [b, fb] = [c, fc];
      [c, fc] = [a, fa];
    }
    const xTolerance = 0.5e-4 * Math.abs(b);
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= xTolerance || Math.abs(fb) <= tolerance) return b;
    if (Math.abs(e) >= xTolerance && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(xTolerance * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else d = e = m;
    } else d = e = m;
    [a, fa] = [b, fb];
    b += Math.abs(d) > xTolerance ? d : m > 0 ? xTolerance : -xTolerance;
    fb = slope(b);
  }
  return b;
}

/**
 * [hi (v.length), lo (v.length)]: float32 parts with hi + lo = v to ~float64 precision, so a pass
 * evaluates f at θ itself, not at θ rounded to float32 (the rounding of large weights, |w| ≈ 5 on
 * the leaky reference, shifts every logit alike and set a gradient floor above the tolerance).
 */
function splitFloat32(v: ArrayLike<number>): Float32Array {
  const out = new Float32Array(2 * v.length);
  for (let j = 0; j < v.length; j++) {
    out[j] = v[j];
    out[v.length + j] = v[j] - out[j];
  }
  return out;
}
