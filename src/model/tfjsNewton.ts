/**
 * Full-batch Newton steps in tfjs for a logistic regression (one dense sigmoid unit), run until
 * every component of the gradient of
 *   f(w, b) = mean log loss + λ Σ w_j²
 * is at most `gradTol`: the same objective and stopping rule as the closed loop, so both end at
 * its one minimum. tfjs computes each row chunk's loss, gradient X̃ᵀ(p − y) and Hessian
 * X̃ᵀ diag(p(1 − p)) X̃ on the float32 standardised rows; the chunks are summed in float64 (one
 * float32 sum over 300k rows would round away the digits the tolerance needs), and the
 * (cols + 1)² Newton system is solved by Cholesky in JS, with Armijo backtracking. The Hessian
 * pass costs ~cols gradient passes, so its factor is kept while chord steps keep shrinking the
 * gradient by ≥ 10 % (`refreshBelow`), and recomputed when they stall; above 32k rows it comes
 * from a 32k-row random sample of chunks (the gradient always from every row).
 *
 * Convergence is linear, not quadratic, on real exports even with the exact Hessian: the
 * collinear one-hot groups leave a direction curved only by the small λ (2λ ≈ 2e-5), and a fresh
 * Hessian shrinks the gradient ~3× a step, a kept one ~1.5–2×. So refreshing it at every
 * slowdown (the old rule: < 2×) bought little: at 200k plays 16 Hessian passes and 66 passes in
 * all against 5 and 76 now, ~35 % less CPU (bench/README.md).
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
  /** Full passes over the rows (loss + gradient, with the Hessian or not) ... */
  passes: number;
  /** ... of which computed the Hessian. */
  hessians: number;
  seconds: number;
}

interface Evaluation {
  loss: number;
  /** [cols + 1] ∇f, intercept last. */
  grad: Float64Array;
  /** [(cols + 1)²] ∇²f. */
  hess: Float64Array;
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

  // The rows stay on the backend for the whole descent (uploading them was most of a pass).
  const chunks: { x: tf.Tensor2D; y: tf.Tensor2D; n: number }[] = [];
  for (let s = 0; s < rows; s += chunk) {
    const n = Math.min(chunk, rows - s);
    chunks.push({ x: tf.tensor2d(xs.subarray(s * cols, (s + n) * cols), [n, cols]), y: tf.tensor2d(ys.subarray(s, s + n), [n, 1]), n });
  }

  // The Hessian (a cols² pass, ~cols times the cost of the gradient) from at most `hessianRows`
  // rows: every `hessianEvery`-th chunk (the rows are in Adam's seeded random order, so a chunk is
  // a random sample). Its factor only shapes the steps; the gradient and f, which decide
  // convergence, always use every row.
  const hessianEvery = Math.max(1, Math.ceil(chunks.length / Math.max(1, Math.floor((options.hessianRows ?? 32_768) / chunk))));
  let hessianRowsUsed = 0;
  chunks.forEach((c, k) => {
    if (k % hessianEvery === 0) hessianRowsUsed += c.n;
  });

  /** f and ∇f at θ, plus ∇²f when `withHessian`. */
  const evaluate = (theta: Float64Array, withHessian: boolean): Evaluation => {
    passes++;
    if (withHessian) hessians++;
    const grad = new Float64Array(dim);
    const hess = new Float64Array(withHessian ? dim * dim : 0);
    let loss = 0;
    const w = tf.tensor2d(Float32Array.from(theta.subarray(0, cols)), [cols, 1]);
    const b = theta[cols];
    for (let k = 0; k < chunks.length; k++) {
      const { x, y, n } = chunks[k];
      const hessHere = withHessian && k % hessianEvery === 0;
      // One download per chunk: [each row's loss (n), Σ r x (cols), Σ r, then with the Hessian
      // Σ s x xᵀ (cols²), Σ s x (cols), Σ s]. The losses come per row: a float32 sum would round
      // away the last decreases of f that the line search must see near the minimum.
      const packed = tf.tidy(() => {
        const z = tf.add(tf.matMul(x, w), b);
        const p = tf.sigmoid(z);
        const r = tf.sub(p, y);
        const parts = [tf.reshape(tf.sub(tf.softplus(z), tf.mul(y, z)), [n]), tf.reshape(tf.matMul(x, r, true, false), [cols]), tf.reshape(tf.sum(r), [1])];
        if (hessHere) {
          const sw = tf.mul(p, tf.sub(1, p));
          const xsw = tf.mul(x, sw);
          parts.push(tf.reshape(tf.matMul(x, xsw, true, false), [cols * cols]), tf.reshape(tf.sum(xsw, 0), [cols]), tf.reshape(tf.sum(sw), [1]));
        }
        return tf.concat(parts);
      });
      const v = packed.dataSync();
      packed.dispose();
      for (let i = 0; i < n; i++) loss += v[i];
      for (let j = 0; j < cols; j++) grad[j] += v[n + j];
      grad[cols] += v[n + cols];
      if (!hessHere) continue;
      const h = n + 1 + cols;
      for (let a = 0; a < cols; a++) for (let c = 0; c < cols; c++) hess[a * dim + c] += v[h + a * cols + c];
      for (let a = 0; a < cols; a++) {
        hess[a * dim + cols] += v[h + cols * cols + a];
        hess[cols * dim + a] += v[h + cols * cols + a];
      }
      hess[cols * dim + cols] += v[h + cols * cols + cols];
    }
    w.dispose();
    let penalty = 0;
    for (let j = 0; j < dim; j++) grad[j] /= rows;
    for (let k = 0; k < hess.length; k++) hess[k] /= hessianRowsUsed;
    for (let j = 0; j < cols; j++) {
      grad[j] += 2 * options.l2 * theta[j];
      if (withHessian) hess[j * dim + j] += 2 * options.l2;
      penalty += theta[j] * theta[j];
    }
    return { loss: loss / rows + options.l2 * penalty, grad, hess };
  };

  const theta = new Float64Array(dim);
  for (let j = 0; j < cols; j++) theta[j] = start.weights[j];
  theta[cols] = start.intercept;
  let at = evaluate(theta, true);
  // Cholesky factor of the last Hessian computed. It is reused while the gradient keeps
  // shrinking fast (a chord step costs one cheap pass), recomputed when progress slows.
  let factor = choleskyInPlace(at.hess, dim);
  let fresh = true;
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
      let step = 1;
      let next: Evaluation | null = null;
      for (let halvings = 0; halvings < 30; halvings++) {
        for (let j = 0; j < dim; j++) trial[j] = theta[j] + step * dir[j];
        const e = evaluate(trial, false);
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
        at = evaluate(theta, true);
        factor = choleskyInPlace(at.hess, dim);
        fresh = true;
        continue;
      }
      theta.set(trial);
      const slow = maxAbs(next.grad) > (options.refreshBelow ?? NEWTON_REFRESH_BELOW) * gNorm;
      at = next;
      fresh = false;
      if (slow && maxAbs(at.grad) > options.gradTol) {
        at = evaluate(theta, true);
        factor = choleskyInPlace(at.hess, dim);
        fresh = true;
      }
    }
  } finally {
    for (const c of chunks) {
      c.x.dispose();
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
