/**
 * ClosedLoopLogistic: the seed design's NumPy logistic regression, by hand over
 * Float64Arrays. Full-batch gradient descent on standardised inputs, minimising
 *   f(w, b) = mean log loss + λ Σ w_j²   (intercept unpenalised)
 * until every gradient component is below `gradTol`: the objective `TfjsLogistic` minimises
 * too, so both land on its one minimum (λ > 0 makes it unique). No tfjs: it is the reference.
 *
 * Training passes read a float32 standardised copy of X (the values the tfjs models train on),
 * its 0/1 columns stored by their ones (`TrainingRows`: ~40 multiply-adds a row instead of 84).
 * Scoring folds the standardisation into the weights instead (a_j = w_j / σ_j,
 * c = b − Σ a_j μ_j, z_i = Σ_j a_j x_ij + c), so the rows to score are not copied.
 */
import { axpy, choleskyInPlace, choleskySolve, dot, maxAbs } from "./linalg";
import type { LogitsHelper, LogitsSource } from "./logitsHelper";
import { Standardizer } from "./standardize";
import { buildTrainingRows, expandRow, logitsInto, passWeights, trainingRowsBuffers } from "./trainingRows";
import type { TrainingRows } from "./trainingRows";
import { Classifier, FitJob, FitOptions, GRADIENT_TOLERANCE, LinearCoefficients, TrainStats, checkLabels, inferCols } from "./types";

export interface ClosedLoopOptions {
  /** λ in  mean log loss + λ Σ w_j²  (same convention as a tfjs l2 kernel regulariser). */
  l2?: number;
  maxIter?: number;
  /** Converged when every component of the gradient of f (weights and intercept) is at most this. */
  gradTol?: number;
  /**
   * "lbfgs" (default): gradient descent along the L-BFGS direction (the last `memory` steps'
   * curvature, starting from the exact Hessian at θ = 0 on a row subsample) with Armijo
   * backtracking; on real exports (collinear one-hot groups) it converges in ~15 full passes
   * where "bb" needs 120–240 (see src/model/README.md).
   * "bb": Barzilai–Borwein step with Armijo backtracking;
   * "fixed": constant `learningRate`: plain gradient descent, the NumPy original (slow on
   * ill-conditioned data but simple; it reaches the same minimum).
   */
  stepRule?: "lbfgs" | "bb" | "fixed";
  /** Step pairs kept by "lbfgs". */
  memory?: number;
  /** Fixed step, and the first trial step for "bb". Standardised inputs make 1 a safe start. */
  learningRate?: number;
  /**
   * Continue from a fit of the same objective on the same training rows (the λ selection's fit
   * at this λ, `L2Choice.selected`) instead of starting at θ = 0: its standardised copy and
   * starting Hessian are reused, and only the steps from its looser tolerance to `gradTol` are
   * taken (a few passes instead of ~20). Null: start at 0.
   */
  start?: ClosedLoopStart | null;
}

/** A closed-loop fit to continue from (see `ClosedLoopOptions.start`). */
export interface ClosedLoopStart {
  /** The standardised training rows, standardised with `mean` / `std` [cols]. */
  rows: TrainingRows;
  mean: Float64Array;
  std: Float64Array;
  /** [(cols + 1)²] the λ-free part of the starting Hessian (`initialGram` of `rows`). */
  gram: Float64Array;
  /** Standardised weights and intercept the earlier fit reached. */
  coefficients: LinearCoefficients;
  /** Full passes the earlier fit took, and its final gradient norm. */
  passes: number;
  gradNorm: number;
  /** The earlier fit's L-BFGS pairs (same λ): the continuation goes on as that fit would have. */
  memory?: LbfgsMemory | null;
  /** The earlier fit's logits thread over `rows` (`WarmStart.logits`): the continuation uses it, then closes it. */
  logits?: LogitsHelper | null;
}

/** L-BFGS curvature pairs, oldest first: s_k = θ_{k+1} − θ_k, y_k = g_{k+1} − g_k, rho_k = 1 / s_k·y_k. */
export interface LbfgsMemory {
  S: Float64Array[];
  Y: Float64Array[];
  rho: number[];
}

/** Where `fitStandardized` starts from (all optional: θ = 0, the Hessian computed, no pairs), and a logits thread for its passes. */
export interface WarmStart {
  start?: LinearCoefficients;
  gram?: Float64Array;
  memory?: LbfgsMemory | null;
  /** Computes each pass's logits on a second thread (`LogitsHelper` over these very rows); same bits. */
  logits?: LogitsSource | null;
}

export interface ClosedLoopHistory {
  /** Penalised training loss before each accepted step, then the final loss. */
  loss: number[];
  iterations: number;
  /** The gradient reached `gradTol` (not stopped by `maxIter` or a line search that could not descend). */
  converged: boolean;
  /** max_j |∂f/∂θ_j| at the end (weights and intercept). */
  gradNorm?: number;
  /** Mean validation log loss at the end, when validation rows were given. */
  valLoss: number | null;
  seconds: number;
  /** Full passes over X (loss + gradient evaluations, backtracking included). */
  passes?: number;
  /** Set when the fit continued from an earlier one (`ClosedLoopOptions.start`): that fit's passes and final gradient norm. */
  warmStart?: { passes: number; gradNorm: number };
}

export class ClosedLoopLogistic implements Classifier {
  readonly name = "closed_loop_logistic";
  readonly options: Required<Omit<ClosedLoopOptions, "start">>;
  readonly scaler = new Standardizer();
  /** `options.start` until the fit that uses it (then dropped: it holds a copy of the training rows). */
  private start: ClosedLoopStart | null;
  /** The L-BFGS pairs the last fit ended with (for a continuation: `ClosedLoopStart.memory`). */
  lbfgsPairs: LbfgsMemory | null = null;
  /** [cols] weights on standardised inputs. */
  weights = new Float64Array(0);
  intercept = 0;
  private passes = 0;
  /** The logits thread of the fit under way (`WarmStart.logits`). */
  private logits: LogitsSource | null = null;
  history: ClosedLoopHistory = { loss: [], iterations: 0, converged: false, valLoss: null, seconds: 0 };

  constructor(options: ClosedLoopOptions = {}) {
    this.options = {
      l2: options.l2 ?? 1e-4,
      maxIter: options.maxIter ?? 500,
      gradTol: options.gradTol ?? GRADIENT_TOLERANCE,
      stepRule: options.stepRule ?? "lbfgs",
      learningRate: options.learningRate ?? 1,
      memory: options.memory ?? 10,
    };
    this.start = options.start ?? null;
  }

  /** @param X [rows * cols] raw training rows; @param y [rows] 0/1. Deterministic (seed unused). */
  fit(X: Float64Array, y: Float64Array, options: FitOptions = {}): this {
    const t0 = Date.now();
    const R = this.prepareFit(X, y, options.trainStats);
    const start = this.start;
    try {
      return this.fitStandardized(R, y, options, t0, start ? { start: start.coefficients, gram: start.gram, memory: start.memory, logits: start.logits } : {});
    } finally {
      start?.logits?.close();
    }
  }

  /**
   * The first half of `fit`: checks the inputs, fits `scaler` on the training rows and
   * returns the standardised rows training reads (`options.start`'s, when continuing from an
   * earlier fit on these rows); `shared`: in shared memory (`LogitsHelper`).
   */
  prepareFit(X: Float64Array, y: Float64Array, trainStats?: TrainStats, shared = false): TrainingRows {
    const rows = y.length;
    const cols = inferCols(X, rows, "ClosedLoopLogistic.fit");
    checkLabels(y, "ClosedLoopLogistic.fit");
    const start = this.start;
    if (start) {
      if (start.rows.rows !== rows || start.mean.length !== cols) throw new Error("ClosedLoopLogistic: options.start was fitted on other rows");
      this.scaler.setStats(start.mean, start.std);
      return start.rows;
    }
    this.scaler.fitOr(trainStats, X, rows, cols);
    // Train on a float32 standardised copy (the values the tfjs models train on): under half the
    // memory traffic of folding the standardisation into a pass over the float64 X.
    return buildTrainingRows(X, this.scaler, shared);
  }

  /**
   * The second half of `fit`, on `prepareFit`'s output (`scaler` already fitted): what a
   * worker thread runs on the transferred rows (`fitJob`).
   * `options.XVal` only sets `history.valLoss` after training. `t0`: when `fit` started.
   * `warm.start`: standardised (w, b) to start from (a warm start along a λ path); default 0.
   * `warm.gram`: `initialGram(R)` when already computed (it does not depend on λ).
   * `warm.memory`: L-BFGS pairs from an earlier fit of this same objective (same λ) that ended
   * at `start`: the continuation then steps as that fit would have gone on.
   */
  fitStandardized(R: TrainingRows, y: Float64Array, options: FitOptions = {}, t0 = Date.now(), warm: WarmStart = {}): this {
    const { start, gram } = warm;
    const cols = this.scaler.cols;
    this.passes = 0;
    this.logits = warm.logits ?? null;
    const { l2, maxIter, gradTol, stepRule, learningRate, memory } = this.options;

    // θ = [w_0..w_{cols-1}, b]; everything below works on θ in standardised space.
    const theta = new Float64Array(cols + 1);
    if (start) {
      theta.set(start.weights);
      theta[cols] = start.intercept;
    }
    const grad = new Float64Array(cols + 1);
    let loss = this.lossAndGrad(R, y, theta, grad);
    const lossHistory = [loss];
    const trial = new Float64Array(cols + 1);
    const trialGrad = new Float64Array(cols + 1);
    let step = learningRate;
    let converged = false;
    let iter = 0;

    const dim = cols + 1;
    const dir = new Float64Array(dim);
    // L-BFGS memory: s_k = θ_{k+1} − θ_k, y_k = g_{k+1} − g_k (ring buffer).
    const S: Float64Array[] = warm.memory ? warm.memory.S.map((v) => v.slice()) : [];
    const Y: Float64Array[] = warm.memory ? warm.memory.Y.map((v) => v.slice()) : [];
    const rho: number[] = warm.memory ? warm.memory.rho.slice() : [];
    const alpha = new Float64Array(memory);
    // L-BFGS's starting inverse Hessian: the exact one at θ = 0 from a strided subsample of rows
    // (p(1 − p) = ¼, plus the L2 term), factored once. It carries the real exports' collinear
    // one-hot groups (a flat valley only the tiny L2 term curves), which plain L-BFGS / BB crawl
    // along for 60–170 passes. With it, ~15–25 passes reach the same optimum.
    const chol = stepRule === "lbfgs" ? choleskyInPlace(initialHessian(gram ?? initialGram(R), cols, l2), dim) : null;

    for (; iter < maxIter; iter++) {
      if (maxAbs(grad) <= gradTol) {
        converged = true;
        break;
      }
      // Search direction: −g (fixed, bb) or −H g by the L-BFGS two-loop recursion.
      let slope = 0; // g·d (< 0 for a descent direction)
      if (stepRule === "lbfgs") {
        for (let j = 0; j < dim; j++) dir[j] = -grad[j];
        const k = S.length;
        for (let m = k - 1; m >= 0; m--) {
          alpha[m] = rho[m] * dot(S[m], dir);
          axpy(-alpha[m], Y[m], dir);
        }
        if (chol) choleskySolve(chol, dim, dir);
        else if (k > 0) {
          const gamma = dot(S[k - 1], Y[k - 1]) / dot(Y[k - 1], Y[k - 1]);
          for (let j = 0; j < dim; j++) dir[j] *= gamma;
        }
        for (let m = 0; m < k; m++) {
          const beta = rho[m] * dot(Y[m], dir);
          axpy(alpha[m] - beta, S[m], dir);
        }
        slope = dot(grad, dir);
        if (!(slope < 0)) {
          // Not a descent direction (numerical trouble): restart from steepest descent.
          S.length = Y.length = rho.length = 0;
          for (let j = 0; j < dim; j++) dir[j] = -grad[j];
          slope = -dot(grad, grad);
        }
        step = S.length > 0 || chol ? 1 : Math.min(learningRate, 1 / Math.sqrt(-slope));
      } else {
        for (let j = 0; j < dim; j++) dir[j] = -grad[j];
        slope = -dot(grad, grad);
      }
      let trialLoss = Infinity;
      let descended = false;
      // Armijo backtracking: halve until the loss drops enough (not for "fixed").
      for (let halvings = 0; halvings < 40; halvings++) {
        for (let j = 0; j < dim; j++) trial[j] = theta[j] + step * dir[j];
        trialLoss = this.lossAndGrad(R, y, trial, trialGrad);
        descended = trialLoss <= loss + 1e-4 * step * slope;
        if (stepRule === "fixed" || descended) break;
        step /= 2;
      }
      // Rounding now hides any decrease (the gradient is at its noise floor): stop, unconverged.
      if (!descended && stepRule !== "fixed") break;
      let ss = 0;
      let sg = 0;
      for (let j = 0; j < dim; j++) {
        const sj = trial[j] - theta[j];
        ss += sj * sj;
        sg += sj * (trialGrad[j] - grad[j]);
      }
      if (stepRule === "lbfgs" && sg > 1e-12 * ss) {
        const sNew = S.length === memory ? S.shift()! : new Float64Array(dim);
        const yNew = Y.length === memory ? Y.shift()! : new Float64Array(dim);
        if (rho.length === memory) rho.shift();
        for (let j = 0; j < dim; j++) {
          sNew[j] = trial[j] - theta[j];
          yNew[j] = trialGrad[j] - grad[j];
        }
        S.push(sNew);
        Y.push(yNew);
        rho.push(1 / sg);
      }
      theta.set(trial);
      grad.set(trialGrad);
      loss = trialLoss;
      lossHistory.push(loss);
      // BB1 step for the next iteration: s·s / s·(Δg), the inverse curvature along the last move.
      if (stepRule === "bb") step = sg > 1e-300 ? Math.min(Math.max(ss / sg, 1e-6), 1e6) : learningRate;
    }

    this.weights = theta.slice(0, cols);
    this.intercept = theta[cols];
    let valLoss: number | null = null;
    if (options.XVal && options.yVal && options.yVal.length > 0) {
      valLoss = meanLogLoss(options.yVal, this.predictProba(options.XVal));
    }
    if (!converged) converged = maxAbs(grad) <= gradTol;
    this.history = { loss: lossHistory, iterations: iter, converged, gradNorm: maxAbs(grad), valLoss, seconds: (Date.now() - t0) / 1000, passes: this.passes };
    this.lbfgsPairs = stepRule === "lbfgs" ? { S, Y, rho } : null;
    this.logits = null;
    const from = this.start;
    if (from && start === from.coefficients) this.history.warmStart = { passes: from.passes, gradNorm: from.gradNorm };
    this.start = null;
    return this;
  }

  /**
   * `prepareFit` here; `fitStandardized` in a worker on the transferred rows (pure JS,
   * deterministic: the same numbers as inline). See `Classifier.fitJob`.
   */
  fitJob(X: Float64Array, y: Float64Array, options: FitOptions = {}): FitJob {
    const R = this.prepareFit(X, y, options.trainStats);
    const start = this.start;
    this.start = null;
    // The worker's fit runs without the logits thread (it cannot be handed to another thread).
    start?.logits?.close();
    const payload: ClosedLoopJob = {
      options: this.options,
      rows: R,
      y: y.slice(),
      mean: this.scaler.mean.slice(),
      std: this.scaler.std.slice(),
      seed: options.seed ?? 0,
      start: start ? { coefficients: start.coefficients, gram: start.gram, passes: start.passes, gradNorm: start.gradNorm, memory: start.memory ?? null } : null,
    };
    // Rows in shared memory (a λ selection's, with its logits thread) are shared, none of their arrays moved.
    const rowsShared = R.dense.buffer instanceof SharedArrayBuffer;
    return { module: __filename, entry: "runClosedLoopFitJob", payload, transfer: [...(rowsShared ? [] : trainingRowsBuffers(R)), ...[payload.y, payload.mean, payload.std].map((a) => a.buffer)].filter((b): b is ArrayBuffer => !(b instanceof SharedArrayBuffer)) };
  }

  /** Adopts `runClosedLoopFitJob`'s state; adds the validation loss as `fit` computes it. */
  restore(state: unknown, options: FitOptions = {}): Promise<this> {
    const s = state as ClosedLoopState;
    this.weights = Float64Array.from(s.weights);
    this.intercept = s.intercept;
    this.history = s.history;
    if (options.XVal && options.yVal && options.yVal.length > 0) this.history.valLoss = meanLogLoss(options.yVal, this.predictProba(options.XVal));
    return Promise.resolve(this);
  }

  /** @param X [rows * cols] raw rows → [rows] P(completed). */
  predictProba(X: Float64Array): Float64Array {
    const cols = this.weights.length;
    if (cols === 0) throw new Error("ClosedLoopLogistic: call fit() first");
    const rows = X.length / cols;
    const { a, c } = this.rawSpace(this.weights, this.intercept);
    const p = new Float64Array(rows);
    linearScoresInto(X, cols, a, c, p);
    for (let i = 0; i < rows; i++) p[i] = sigmoid(p[i]);
    return p;
  }

  coefficients(): LinearCoefficients {
    return { weights: this.weights.slice(), intercept: this.intercept };
  }

  /** Standardised-space (w, b) → raw-space (a, c). */
  private rawSpace(w: Float64Array, b: number): { a: Float64Array; c: number } {
    const { mean, std } = this.scaler;
    const a = new Float64Array(w.length);
    let c = b;
    for (let j = 0; j < w.length; j++) {
      a[j] = w[j] / std[j];
      c -= a[j] * mean[j];
    }
    return { a, c };
  }

  /**
   * One fused pass over the standardised rows: penalised mean log loss at θ, gradient written
   * into `grad`.
   */
  private lossAndGrad(R: TrainingRows, y: Float64Array, theta: Float64Array, grad: Float64Array): number {
    this.passes++;
    return logisticLossAndGrad(R, y, theta, this.options.l2, grad, this.logits);
  }
}

/**
 * out[i] = b + Σ_j w_j x_ij for every row of X [rows * cols], four rows at a time (four
 * independent sums in flight, each adding its terms in j order: the row-at-a-time sums, bit for
 * bit). Scoring's loop, on raw float64 rows (the passes' twin on training rows: `logitsInto`).
 */
function linearScoresInto(X: Float64Array, cols: number, w: Float64Array, b: number, out: Float64Array): void {
  const to = out.length;
  let i = 0;
  for (; i + 4 <= to; i += 4) {
    const o0 = i * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols;
    let z0 = b, z1 = b, z2 = b, z3 = b;
    for (let j = 0; j < cols; j++) {
      const wj = w[j];
      z0 += wj * X[o0 + j];
      z1 += wj * X[o1 + j];
      z2 += wj * X[o2 + j];
      z3 += wj * X[o3 + j];
    }
    out[i] = z0;
    out[i + 1] = z1;
    out[i + 2] = z2;
    out[i + 3] = z3;
  }
  for (; i < to; i++) {
    const off = i * cols;
    let z = b;
    for (let j = 0; j < cols; j++) z += w[j] * X[off + j];
    out[i] = z;
  }
}

/** Rows per block of `logisticLossAndGrad`: each dense weight and gradient sum is loaded once per block. */
const BLOCK_ROWS = 8;

/**
 * f(θ) = mean log loss + λ Σ w_j² over the standardised rows `R` with labels `y` [rows],
 * θ = [w (cols), b]; ∇f written into `grad` [cols + 1]. One pass over R.
 * Rows go in blocks of 8: the 8 logits are independent sums (`logitsInto`) and each dense
 * Σ_i r_i x_ij is loaded and stored once per block; a 0/1 column's sum only adds the residuals
 * of the rows where it is 1 (see ./trainingRows.ts). Every sum adds its terms in row order, so
 * the numbers do not depend on the block size, nor on which thread computed the logits.
 */
export function logisticLossAndGrad(R: TrainingRows, y: Float64Array, theta: Float64Array, l2: number, grad: Float64Array, logits: LogitsSource | null = null): number {
  const cols = theta.length - 1;
  const rows = y.length;
  const { dense: Xd, denseCols, binaryCols, low, high, rowStart, ones } = R;
  const nd = denseCols.length;
  const rx = new Float64Array(nd); // Σ_i r_i x_ij, dense columns
  const rOnes = new Float64Array(binaryCols.length); // Σ_{i: x_ij = 1} r_i, 0/1 columns
  const zr = new Float64Array(BLOCK_ROWS); // a block's logits, then its residuals p − y
  const sums = new Float64Array(2); // Σ log-loss_i, Σ r_i
  // With a helper thread (`logits`), it computes the logits (the same sums) a few thousand rows ahead.
  const Z = logits?.begin(theta) ? logits.z : null;
  const pw = Z ? null : passWeights(R, theta);
  let ready = 0;
  for (let i = 0; i < rows; i += BLOCK_ROWS) {
    const n = Math.min(BLOCK_ROWS, rows - i);
    if (Z) {
      if (ready < i + n) ready = logits!.ready(i + n);
      for (let k = 0; k < n; k++) zr[k] = Z[i + k];
    } else logitsInto(R, pw!, i, i + n, zr, 0);
    residuals(zr, y, i, n, sums);
    if (n === BLOCK_ROWS) {
      const o0 = i * nd, o1 = o0 + nd, o2 = o1 + nd, o3 = o2 + nd, o4 = o3 + nd, o5 = o4 + nd, o6 = o5 + nd, o7 = o6 + nd;
      const r0 = zr[0], r1 = zr[1], r2 = zr[2], r3 = zr[3], r4 = zr[4], r5 = zr[5], r6 = zr[6], r7 = zr[7];
      for (let k = 0; k < nd; k++) {
        let s = rx[k];
        s += r0 * Xd[o0 + k];
        s += r1 * Xd[o1 + k];
        s += r2 * Xd[o2 + k];
        s += r3 * Xd[o3 + k];
        s += r4 * Xd[o4 + k];
        s += r5 * Xd[o5 + k];
        s += r6 * Xd[o6 + k];
        s += r7 * Xd[o7 + k];
        rx[k] = s;
      }
    } else {
      for (let k = 0; k < n; k++) {
        const off = (i + k) * nd;
        for (let c = 0; c < nd; c++) rx[c] += zr[k] * Xd[off + c];
      }
    }
    for (let k = 0; k < n; k++) {
      const r = zr[k];
      for (let e = rowStart[i + k]; e < rowStart[i + k + 1]; e++) rOnes[ones[e]] += r;
    }
  }
  const [loss, rSum] = sums;
  for (let k = 0; k < nd; k++) grad[denseCols[k]] = rx[k];
  for (let m = 0; m < binaryCols.length; m++) grad[binaryCols[m]] = low[m] * rSum + (high[m] - low[m]) * rOnes[m];
  let penalty = 0;
  for (let j = 0; j < cols; j++) {
    grad[j] = grad[j] / rows + 2 * l2 * theta[j];
    penalty += theta[j] * theta[j];
  }
  grad[cols] = rSum / rows;
  return loss / rows + l2 * penalty;
}

/**
 * Logits zr[0..n) of rows first.. → their residuals p − y, in place; adds each row's log loss
 * and residual to sums[0] and sums[1], in row order.
 */
function residuals(zr: Float64Array, y: Float64Array, first: number, n: number, sums: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const z = zr[k];
    // log(1 + e^z) − y z, stable for large |z|; one exp serves the loss and the sigmoid.
    const e = Math.exp(-Math.abs(z));
    const yi = y[first + k];
    sums[0] += (z > 0 ? z : 0) + Math.log1p(e) - yi * z;
    const r = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
    sums[1] += r;
    zr[k] = r;
  }
}

/** A closed-loop fit for a worker: `prepareFit`'s outputs and the model's options. */
interface ClosedLoopJob {
  options: Required<Omit<ClosedLoopOptions, "start">>;
  /** The standardised training rows. */
  rows: TrainingRows;
  /** [rows] */
  y: Float64Array;
  /** [cols] the standardisation `prepareFit` fitted. */
  mean: Float64Array;
  std: Float64Array;
  seed: number;
  /** `ClosedLoopOptions.start` without its rows (they are `rows`). */
  start: Pick<ClosedLoopStart, "coefficients" | "gram" | "passes" | "gradNorm" | "memory"> | null;
}

interface ClosedLoopState {
  weights: Float64Array;
  intercept: number;
  history: ClosedLoopHistory;
}

/** The worker's half of `ClosedLoopLogistic.fitJob`. */
export function runClosedLoopFitJob(payload: unknown): Promise<{ state: ClosedLoopState }> {
  const job = payload as ClosedLoopJob;
  const model = new ClosedLoopLogistic(job.options);
  model.scaler.setStats(job.mean, job.std);
  model.fitStandardized(job.rows, job.y, { seed: job.seed }, Date.now(), job.start ? { start: job.start.coefficients, gram: job.start.gram, memory: job.start.memory } : {});
  if (job.start) model.history.warmStart = { passes: job.start.passes, gradNorm: job.start.gradNorm };
  return Promise.resolve({ state: { weights: model.weights, intercept: model.intercept, history: model.history } });
}

/**
 * [dim * dim], dim = cols + 1: ¼ · mean(x̃ x̃ᵀ) with x̃ = [x, 1] over at most 20,000 rows taken
 * at a fixed stride of the standardised rows `R`: the Hessian of the mean log loss at θ = 0
 * (every p = ½). It does not depend on λ, so a λ path computes it once.
 */
export function initialGram(R: TrainingRows): Float64Array {
  const { rows, cols } = R;
  const dim = cols + 1;
  const H = new Float64Array(dim * dim);
  const stride = Math.max(1, Math.floor(rows / 20_000));
  const m = Math.ceil(rows / stride);
  // Rows in blocks of GRAM_BLOCK (each x̃ = [x, 1], as float64): every H element is loaded and
  // stored once a block instead of once a row (2–3× faster), its products still added in row order.
  const block = new Float64Array(GRAM_BLOCK * dim);
  for (let first = 0; first < m; first += GRAM_BLOCK) {
    const n = Math.min(GRAM_BLOCK, m - first);
    for (let k = 0; k < n; k++) {
      expandRow(R, (first + k) * stride, block, k * dim);
      block[k * dim + cols] = 1;
    }
    if (n === GRAM_BLOCK) addBlockOf8(H, block, dim);
    else for (let k = 0; k < n; k++) addRow(H, block, k * dim, dim);
  }
  for (let a = 0; a < dim; a++) {
    for (let c = 0; c <= a; c++) {
      const v = (0.25 * H[a * dim + c]) / m;
      H[a * dim + c] = v;
      H[c * dim + a] = v;
    }
  }
  return H;
}

/** Rows of `initialGram`'s blocks. */
const GRAM_BLOCK = 8;

/** H's lower triangle += x̃_k x̃_kᵀ for the block's 8 rows (block [8 * dim]), one row after another for each element. */
function addBlockOf8(H: Float64Array, block: Float64Array, dim: number): void {
  const o1 = dim, o2 = 2 * dim, o3 = 3 * dim, o4 = 4 * dim, o5 = 5 * dim, o6 = 6 * dim, o7 = 7 * dim;
  for (let a = 0; a < dim; a++) {
    const x0 = block[a], x1 = block[o1 + a], x2 = block[o2 + a], x3 = block[o3 + a];
    const x4 = block[o4 + a], x5 = block[o5 + a], x6 = block[o6 + a], x7 = block[o7 + a];
    const row = a * dim;
    for (let c = 0; c <= a; c++) {
      let h = H[row + c];
      h += x0 * block[c];
      h += x1 * block[o1 + c];
      h += x2 * block[o2 + c];
      h += x3 * block[o3 + c];
      h += x4 * block[o4 + c];
      h += x5 * block[o5 + c];
      h += x6 * block[o6 + c];
      h += x7 * block[o7 + c];
      H[row + c] = h;
    }
  }
}

/** H's lower triangle += x̃ x̃ᵀ for the row at `off` of `block`. */
function addRow(H: Float64Array, block: Float64Array, off: number, dim: number): void {
  for (let a = 0; a < dim; a++) {
    const xa = block[off + a];
    const row = a * dim;
    for (let c = 0; c <= a; c++) H[row + c] += xa * block[off + c];
  }
}

/**
 * L-BFGS pairs of the objective at λ, re-expressed at λ + `deltaL2`: the penalty's gradient
 * 2λw is linear in the weights, so each y_k gains exactly 2·Δλ·s_k on the weights (not the
 * intercept). Pairs whose curvature s·y is no longer positive are dropped. Lets a λ path
 * carry its curvature from one grid value to the next (new arrays; `pairs` is unchanged).
 */
export function shiftPairs(pairs: LbfgsMemory, cols: number, deltaL2: number): LbfgsMemory {
  const out: LbfgsMemory = { S: [], Y: [], rho: [] };
  pairs.S.forEach((sk, k) => {
    const yk = pairs.Y[k].slice();
    for (let j = 0; j < cols; j++) yk[j] += 2 * deltaL2 * sk[j];
    const sy = dot(sk, yk);
    if (!(sy > 1e-12 * dot(sk, sk))) return;
    out.S.push(sk.slice());
    out.Y.push(yk);
    out.rho.push(1 / sy);
  });
  return out;
}

/** L-BFGS's starting Hessian: `gram` plus 2λ on the weights' diagonal (and 1e-8 on the intercept's). A new array. */
function initialHessian(gram: Float64Array, cols: number, l2: number): Float64Array {
  const dim = cols + 1;
  const H = gram.slice();
  for (let a = 0; a < cols; a++) H[a * dim + a] += 2 * l2;
  H[cols * dim + cols] += 1e-8;
  return H;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Mean binary cross-entropy with p clipped to [1e-15, 1 − 1e-15]. */
export function meanLogLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(Math.max(p[i], 1e-15), 1 - 1e-15);
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / y.length;
}
