/**
 * Full-batch Newton steps in tfjs for a logistic regression (one dense sigmoid unit), run until
 * every component of the gradient of
 *   f(w, b) = mean log loss + λ Σ w_j²
 * is at most `gradTol`: the same objective and stopping rule as the closed loop, so both end at
 * its one minimum. tfjs computes each row chunk's loss and gradient X̃ᵀ(p − y) on the float32
 * standardised rows, and the Hessian X̃ᵀ diag(p(1 − p)) X̃ on a sample of chunks (≤ 32k rows, a
 * random sample: the rows are in Adam's seeded order; the gradient always comes from every row);
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
  seconds: number;
}

interface Evaluation {
  loss: number;
  /** [cols + 1] ∇f, intercept last. */
  grad: Float64Array;
}

/**
 * @param xs [rows * cols] float32 standardised training rows; ys [rows] 0/1
 * @param start standardised weights [cols] and intercept to start from (e.g. after Adam)
 * @returns the minimiser (weights, intercept) and how the descent went
 */
export function newtonLogistic(
  xs: Float32Array,
  ys: Float32Array,
  cols: number,
  start: { weights: ArrayLike<number>; intercept: number },
  options: { l2: number; gradTol: number; maxIter: number; chunkRows?: number; hessianRows?: number; refreshBelow?: number },
): { weights: Float64Array; intercept: number; result: NewtonResult } {
  const t0 = Date.now();
  const rows = ys.length;
  const dim = cols + 1;
  const chunk = options.chunkRows ?? 8192;
  let passes = 0;
  let hessians = 0;

  // The Hessian (a cols² pass, ~cols times the cost of the gradient) from at most `hessianRows`
  // rows: every `hessianEvery`-th chunk (the rows are in Adam's seeded random order, so a chunk is
  // a random sample). Its factor only shapes the steps; the gradient and f, which decide
  // convergence, always use every row.
  const nChunks = Math.ceil(rows / chunk);
  const hessianEvery = Math.max(1, Math.ceil(nChunks / Math.max(1, Math.floor((options.hessianRows ?? 32_768) / chunk))));

  // The rows stay on the backend for the whole descent (uploading them was most of a pass), each
  // chunk transposed, xᵀ [cols, n]: on the wasm backend z = w xᵀ and xᵀ r take ~15 ms per pass
  // over 204k × 87 rows where x w and the transposeA xᵀ r on row-major chunks took ~35 and ~65.
  // The Hessian chunks also keep x [n, cols]: (xᵀ diag(s)) x takes ~40 ms on 32k rows, the
  // transposeA product ~420 ms.
  const chunks: { xT: tf.Tensor2D; x: tf.Tensor2D | null; y: tf.Tensor2D; n: number }[] = [];
  let hessianRowsUsed = 0;
  for (let s = 0, k = 0; s < rows; s += chunk, k++) {
    const n = Math.min(chunk, rows - s);
    const x = tf.tensor2d(xs.subarray(s * cols, (s + n) * cols), [n, cols]);
    const keep = k % hessianEvery === 0;
    if (keep) hessianRowsUsed += n;
    chunks.push({ xT: tf.transpose(x), x: keep ? x : null, y: tf.tensor2d(ys.subarray(s, s + n), [1, n]), n });
    if (!keep) x.dispose();
  }

  /** [2, cols] float32 hi and lo parts of θ's weights, and of its intercept (`splitFloat32`). */
  const weightsAt = (theta: Float64Array) => ({ w: tf.tensor2d(splitFloat32(theta.subarray(0, cols)), [2, cols]), b: splitFloat32([theta[cols]]) });
  /** [1, n] logits of a chunk. */
  const logits = (w: tf.Tensor2D, b: Float32Array, xT: tf.Tensor2D) => tf.add(tf.add(tf.sum(tf.matMul(w, xT), 0, true), b[0]), b[1]);

  /** f and ∇f at θ: one pass over every row. */
  const evaluate = (theta: Float64Array): Evaluation => {
    passes++;
    const grad = new Float64Array(dim);
    let loss = 0;
    const { w, b } = weightsAt(theta);
    for (const { xT, y, n } of chunks) {
      // One download per chunk: [each row's loss (n), Σ r x (cols), Σ r]. The losses come per
      // row: a float32 sum would round away the last decreases of f that the line search must
      // see near the minimum.
      const packed = tf.tidy(() => {
        const z = logits(w, b, xT);
        const r = tf.sub(tf.sigmoid(z), y);
        return tf.concat([tf.reshape(tf.sub(tf.softplus(z), tf.mul(y, z)), [n]), tf.reshape(tf.matMul(xT, tf.reshape(r, [n, 1])), [cols]), tf.reshape(tf.sum(r), [1])]);
      });
      const v = packed.dataSync();
      packed.dispose();
      for (let i = 0; i < n; i++) loss += v[i];
      for (let j = 0; j < cols; j++) grad[j] += v[n + j];
      grad[cols] += v[n + cols];
    }
    w.dispose();
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
    const { w, b } = weightsAt(theta);
    for (const { xT, x } of chunks) {
      if (!x) continue;
      // [Σ s x xᵀ (cols²), Σ s x (cols), Σ s], s = p(1 − p)
      const packed = tf.tidy(() => {
        const p = tf.sigmoid(logits(w, b, xT));
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
      c.xT.dispose();
      c.x?.dispose();
      c.y.dispose();
    }
  }
  if (!converged) converged = maxAbs(at.grad) <= options.gradTol;
  return {
    weights: theta.slice(0, cols),
    intercept: theta[cols],
    result: { iterations, gradNorm: maxAbs(at.grad), converged, loss: at.loss, passes, hessians, seconds: (Date.now() - t0) / 1000 },
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
