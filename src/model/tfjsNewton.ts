/**
 * Full-batch Newton steps in tfjs for a logistic regression (one dense sigmoid unit), run until
 * every component of the gradient of
 *   f(w, b) = mean log loss + λ Σ w_j²
 * is at most `gradTol`: the same objective and stopping rule as the closed loop, so both end at
 * its one minimum. tfjs computes each row chunk's loss and gradient X̃ᵀ(p − y) on the float32
 * standardised rows, and the Hessian X̃ᵀ diag(p(1 − p)) X̃ on a sample of chunks (≤ 32k rows, a
 * random sample: the rows are in Adam's seeded order, or read in `HandedOverRows.order`; the
 * gradient always comes from every row);
 * the chunks are summed in float64 (one float32 sum over 300k rows would round away the digits
 * the tolerance needs), and the (cols + 1)² Newton system is solved by Cholesky in JS, with
 * Armijo backtracking. θ enters each pass as float32 hi + lo parts (`splitFloat32`): rounded to
 * float32, the leaky reference's weights (|w| ≈ 5) left a gradient floor of 3e-7 on data-sample.
 *
 * Convergence is linear, not quadratic, on real exports even with the exact Hessian (a float64
 * Newton with the full Hessian shrinks the gradient ~3× a step between 1e-5 and 1e-7 at 300k
 * plays): the collinear one-hot groups leave a direction curved mostly by the small λ. So the
 * Hessian's factor is kept while chord steps shrink the gradient by ≥ 10 % (`refreshBelow`), and a
 * chord step's line search starts at twice the last accepted step rather than at 1 (the sampled
 * Hessian overshoots the valley: from 1 it took 2–3 halvings a step, at 300k 52 → 40 passes).
 */
import * as tf from "@tensorflow/tfjs";
import { choleskyInPlace, choleskySolve, dot, maxAbs } from "./linalg";

/** A chord step that leaves more than this fraction of the gradient's max norm triggers a fresh Hessian. */
export const NEWTON_REFRESH_BELOW = 0.9;

/**
 * Evaluates some of the Newton stage's row chunks on a second thread, synchronously from this
 * one's view (`NewtonHelper`, ./newtonHelper.ts): `begin` starts them at θ's float32 parts, this
 * thread evaluates its own chunks meanwhile, `wait` returns once they are done, and each chunk's
 * results are read back and summed here in chunk order, as if computed here: the same numbers.
 */
export interface ChunkHelper {
  /**
   * Takes over the chunks `chunks` of `xs` [rows * cols] / `ys` [rows] (chunkRows rows each) and
   * blocks until they are ready; false when it cannot (this thread then evaluates them itself).
   */
  load(xs: Float32Array, ys: Float32Array, cols: number, chunkRows: number, chunks: readonly number[]): boolean;
  /** Starts evaluating its chunks at θ: w [2, cols] and b [2], float32 hi and lo parts (`splitFloat32`). */
  begin(w: Float32Array, b: Float32Array): void;
  /** Blocks until they are evaluated; throws if the helper failed. */
  wait(): void;
  /** Chunk k's `chunkPass` result (valid until the next `begin`). */
  packed(k: number): Float32Array;
  close(): void;
}

/**
 * One chunk's pass at θ: [each row's loss (n), Σ r x (cols), Σ r] as float32, r = p − y.
 * The losses come per row: a float32 sum would round away the last decreases of f that the line
 * search must see near the minimum. One download per chunk. Shared with the helper thread
 * (./newtonWorker.ts), so both compute a chunk alike.
 * @param w [2, cols] hi and lo parts of the weights; b [2] of the intercept; xT [cols, n]; y [1, n]
 */
export function chunkPass(w: tf.Tensor2D, b: ArrayLike<number>, xT: tf.Tensor2D, y: tf.Tensor2D, n: number, cols: number): Float32Array {
  const packed = tf.tidy(() => {
    const z = chunkLogits(w, b, xT);
    const r = tf.sub(tf.sigmoid(z), y);
    return tf.concat([tf.reshape(tf.sub(tf.softplus(z), tf.mul(y, z)), [n]), tf.reshape(tf.matMul(xT, tf.reshape(r, [n, 1])), [cols]), tf.reshape(tf.sum(r), [1])]);
  });
  const v = packed.dataSync() as Float32Array;
  packed.dispose();
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
  /** Newton steps taken. */
  iterations: number;
  /** max_j |∂f/∂θ_j| at the end (weights and intercept). */
  gradNorm: number;
  /** gradNorm reached gradTol (not stopped by maxIter, nor by a step that rounding kept from descending). */
  converged: boolean;
  /** f at the end. */
  loss: number;
  /** Full passes over the rows (loss and gradient). */
  passes: number;
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
}

/**
 * Uploads the handed-over rows chunk by chunk (the helper's chunks to the helper) and empties
 * `input`: when this returns, no frame holds the float32 copy any more (unless `streamed`: only
 * the Hessian chunks are uploaded now, the others for each pass, from the rows kept in `streamed`).
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
  const useHelper = helper !== null && helped.length > 0 && helper.load(xs, ys, cols, chunk, helped);
  const chunks: UploadedChunks["chunks"] = [];
  let hessianRowsUsed = 0;
  for (let s = 0, k = 0; s < rows; s += chunk, k++) {
    const n = Math.min(chunk, rows - s);
    const keep = k % hessianEvery === 0;
    if (keep) hessianRowsUsed += n;
    const byHelper = useHelper && k % 2 === 1;
    if ((byHelper || streamed) && !keep) chunks.push({ xT: null, x: null, y: null, n, start: s, helped: byHelper });
    else chunks.push({ ...uploadChunk(...rowsOf(xs, ys, order, cols, s, n), cols, 0, n, keep), n, start: s, helped: byHelper });
  }
  return { rows, chunks, streamed: streamed ? { xs, ys, order } : null, hessianRowsUsed, helper: useHelper ? helper : null };
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
  options: { l2: number; gradTol: number; maxIter: number; chunkRows?: number; hessianRows?: number; refreshBelow?: number; helper?: ChunkHelper | null; streamed?: boolean },
): { weights: Float64Array; intercept: number; result: NewtonResult } {
  const t0 = Date.now();
  const dim = cols + 1;
  let passes = 0;
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
  const { rows, chunks, streamed, hessianRowsUsed, helper: activeHelper } = uploadChunks(input, cols, options.chunkRows ?? 8192, options.hessianRows ?? 32_768, options.helper ?? null, options.streamed === true);

  /** A chunk's pass on rows uploaded for it alone (gathered already transposed: tfjs's transpose cost 3× the gather). */
  const streamedPass = (w: tf.Tensor2D, b: ArrayLike<number>, start: number, n: number): Float32Array => {
    const [xTValues, yValues] = transposedRowsOf(streamed!.xs, streamed!.ys, streamed!.order, cols, start, n);
    const xT = tf.tensor2d(xTValues, [cols, n]);
    const y = tf.tensor2d(yValues, [1, n]);
    try {
      return chunkPass(w, b, xT, y, n, cols);
    } finally {
      xT.dispose();
      y.dispose();
    }
  };

  /** [2, cols] float32 hi and lo parts of θ's weights, and of its intercept (`splitFloat32`). */
  const partsAt = (theta: Float64Array) => ({ w: splitFloat32(theta.subarray(0, cols)), b: splitFloat32([theta[cols]]) });

  /** f and ∇f at θ: one pass over every row. */
  const evaluate = (theta: Float64Array): Evaluation => {
    passes++;
    const grad = new Float64Array(dim);
    let loss = 0;
    const parts = partsAt(theta);
    activeHelper?.begin(parts.w, parts.b);
    const w = tf.tensor2d(parts.w, [2, cols]);
    const own = chunks.map((c) => (c.helped ? null : c.xT ? chunkPass(w, parts.b, c.xT, c.y!, c.n, cols) : streamedPass(w, parts.b, c.start, c.n)));
    w.dispose();
    activeHelper?.wait();
    // Summed in chunk order, whichever thread computed a chunk.
    chunks.forEach(({ n }, k) => {
      const v = own[k] ?? activeHelper!.packed(k);
      for (let i = 0; i < n; i++) loss += v[i];
      for (let j = 0; j < cols; j++) grad[j] += v[n + j];
      grad[cols] += v[n + cols];
    });
    let penalty = 0;
    for (let j = 0; j < dim; j++) grad[j] /= rows;
    for (let j = 0; j < cols; j++) {
      grad[j] += 2 * options.l2 * theta[j];
      penalty += theta[j] * theta[j];
    }
    return { loss: loss / rows + options.l2 * penalty, grad };
  };

  /** ∇²f at θ from the Hessian chunks, Cholesky-factored. */
  const hessianFactor = (theta: Float64Array): Float64Array => {
    hessians++;
    const hess = new Float64Array(dim * dim);
    const parts = partsAt(theta);
    const w = tf.tensor2d(parts.w, [2, cols]);
    const b = parts.b;
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
    w.dispose();
    for (let k = 0; k < hess.length; k++) hess[k] /= hessianRowsUsed;
    for (let j = 0; j < cols; j++) hess[j * dim + j] += 2 * options.l2;
    return choleskyInPlace(hess, dim);
  };

  const theta = new Float64Array(dim);
  for (let j = 0; j < cols; j++) theta[j] = start.weights[j];
  theta[cols] = start.intercept;
  let at = evaluate(theta);
  // Cholesky factor of the last Hessian computed. It is reused while the gradient keeps
  // shrinking fast (a chord step costs one cheap pass), recomputed when progress slows.
  let factor = hessianFactor(theta);
  let fresh = true;
  let lastStep = 1;
  let converged = false;
  let iterations = 0;
  const dir = new Float64Array(dim);
  const trial = new Float64Array(dim);
  try {
    for (; iterations < options.maxIter; iterations++) {
      const gNorm = maxAbs(at.grad);
      if (gNorm <= options.gradTol) {
        converged = true;
        break;
      }
      for (let j = 0; j < dim; j++) dir[j] = -at.grad[j];
      choleskySolve(factor, dim, dir);
      const slope = dot(at.grad, dir);
      let step = fresh ? 1 : Math.min(1, 2 * lastStep);
      let next: Evaluation | null = null;
      for (let halvings = 0; halvings < 30; halvings++) {
        for (let j = 0; j < dim; j++) trial[j] = theta[j] + step * dir[j];
        const e = evaluate(trial);
        // Armijo on f; or, near the minimum, where f's decreases fall below the float32 rounding
        // of each row's loss (~1e-7 relative), a step that shrinks the gradient.
        // Armijo only where its required decrease stands above that rounding: below it, noise in f
        // passed a chord step that grew the gradient 60× (6e-6 → 4e-4), and a fresh step undid it,
        // a two-step cycle that ran out the step budget on a 300k export.
        const armijo = 1e-4 * step * -slope > 1e-7 * Math.abs(at.loss) && e.loss <= at.loss + 1e-4 * step * slope;
        if (armijo || (e.loss <= at.loss + 1e-7 * Math.abs(at.loss) && maxAbs(e.grad) < gNorm)) {
          next = e;
          break;
        }
        step /= 2;
      }
      if (!next) {
        if (fresh) break; // even the exact Newton direction cannot descend: rounding floor
        factor = hessianFactor(theta);
        fresh = true;
        continue;
      }
      theta.set(trial);
      const slow = maxAbs(next.grad) > (options.refreshBelow ?? NEWTON_REFRESH_BELOW) * gNorm;
      at = next;
      lastStep = step;
      fresh = false;
      if (slow && maxAbs(at.grad) > options.gradTol) {
        factor = hessianFactor(theta);
        fresh = true;
      }
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
    result: { iterations, gradNorm: maxAbs(at.grad), converged, loss: at.loss, passes, hessians, helperChunks: chunks.filter((c) => c.helped).length, seconds: (Date.now() - t0) / 1000 },
  };
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
