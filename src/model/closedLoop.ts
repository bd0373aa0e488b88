/**
 * ClosedLoopLogistic: the original design's NumPy logistic regression, by hand over
 * Float64Arrays. Full-batch gradient descent on standardised inputs with L2 on the
 * weights (intercept unpenalised). No tfjs: it is the reference the tfjs models must match.
 *
 * Standardisation is folded into the weights instead of materialising a standardised copy
 * of X (which would double memory at 1M × 80): with a_j = w_j / σ_j and c = b − Σ a_j μ_j,
 * z_i = Σ_j a_j x_ij + c, and ∂L/∂w_j = (Σ_i r_i x_ij − μ_j Σ_i r_i) / (n σ_j) + 2λ w_j.
 */
import { Standardizer } from "./standardize";
import { Classifier, FitOptions, LinearCoefficients, checkLabels, inferCols } from "./types";

export interface ClosedLoopOptions {
  /** λ in  mean log loss + λ Σ w_j²  (same convention as a tfjs l2 kernel regulariser). */
  l2?: number;
  maxIter?: number;
  /** Converged when |ΔL| < tol · max(1, L) between iterations ... */
  tol?: number;
  /** ... or when every gradient component is below gradTol. */
  gradTol?: number;
  /**
   * "bb": Barzilai–Borwein step with Armijo backtracking (converges in tens of iterations);
   * "fixed": constant `learningRate` (the NumPy original; slow but simple).
   */
  stepRule?: "bb" | "fixed";
  /** Fixed step, and the first trial step for "bb". Standardised inputs make 1 a safe start. */
  learningRate?: number;
}

export interface ClosedLoopHistory {
  /** Penalised training loss before each accepted step, then the final loss. */
  loss: number[];
  iterations: number;
  converged: boolean;
  /** Mean validation log loss at the end, when validation rows were given. */
  valLoss: number | null;
  seconds: number;
}

export class ClosedLoopLogistic implements Classifier {
  readonly name = "closed_loop_logistic";
  readonly options: Required<ClosedLoopOptions>;
  readonly scaler = new Standardizer();
  /** [cols] weights on standardised inputs. */
  weights = new Float64Array(0);
  intercept = 0;
  history: ClosedLoopHistory = { loss: [], iterations: 0, converged: false, valLoss: null, seconds: 0 };

  constructor(options: ClosedLoopOptions = {}) {
    this.options = {
      l2: options.l2 ?? 1e-4,
      maxIter: options.maxIter ?? 200,
      tol: options.tol ?? 1e-9,
      gradTol: options.gradTol ?? 1e-5,
      stepRule: options.stepRule ?? "bb",
      learningRate: options.learningRate ?? 1,
    };
  }

  /** @param X [rows * cols] raw training rows; @param y [rows] 0/1. Deterministic (seed unused). */
  fit(X: Float64Array, y: Float64Array, options: FitOptions = {}): this {
    const t0 = Date.now();
    const rows = y.length;
    const cols = inferCols(X, rows, "ClosedLoopLogistic.fit");
    checkLabels(y, "ClosedLoopLogistic.fit");
    this.scaler.fit(X, rows, cols);
    const { l2, maxIter, tol, gradTol, stepRule, learningRate } = this.options;

    // θ = [w_0..w_{cols-1}, b]; everything below works on θ in standardised space.
    const theta = new Float64Array(cols + 1);
    const grad = new Float64Array(cols + 1);
    let loss = this.lossAndGrad(X, y, theta, grad);
    const lossHistory = [loss];
    const trial = new Float64Array(cols + 1);
    const trialGrad = new Float64Array(cols + 1);
    let step = learningRate;
    let converged = false;
    let iter = 0;

    for (; iter < maxIter; iter++) {
      if (maxAbs(grad) < gradTol) {
        converged = true;
        break;
      }
      const g2 = dot(grad, grad);
      let trialLoss = Infinity;
      // Armijo backtracking: halve until the loss drops enough (only for "bb").
      for (let halvings = 0; halvings < 30; halvings++) {
        for (let j = 0; j <= cols; j++) trial[j] = theta[j] - step * grad[j];
        trialLoss = this.lossAndGrad(X, y, trial, trialGrad);
        if (stepRule === "fixed" || trialLoss <= loss - 1e-4 * step * g2) break;
        step /= 2;
      }
      // BB1 step for the next iteration: s·s / s·(Δg), the inverse curvature along the last move.
      let ss = 0;
      let sg = 0;
      for (let j = 0; j <= cols; j++) {
        const s = trial[j] - theta[j];
        ss += s * s;
        sg += s * (trialGrad[j] - grad[j]);
      }
      const done = Math.abs(loss - trialLoss) < tol * Math.max(1, loss);
      theta.set(trial);
      grad.set(trialGrad);
      loss = trialLoss;
      lossHistory.push(loss);
      if (done) {
        converged = true;
        iter++;
        break;
      }
      if (stepRule === "bb") step = sg > 1e-300 ? Math.min(Math.max(ss / sg, 1e-6), 1e6) : learningRate;
    }

    this.weights = theta.slice(0, cols);
    this.intercept = theta[cols];
    let valLoss: number | null = null;
    if (options.XVal && options.yVal && options.yVal.length > 0) {
      valLoss = meanLogLoss(options.yVal, this.predictProba(options.XVal));
    }
    this.history = { loss: lossHistory, iterations: iter, converged, valLoss, seconds: (Date.now() - t0) / 1000 };
    return this;
  }

  /** @param X [rows * cols] raw rows → [rows] P(completed). */
  predictProba(X: Float64Array): Float64Array {
    const cols = this.weights.length;
    if (cols === 0) throw new Error("ClosedLoopLogistic: call fit() first");
    const rows = X.length / cols;
    const { a, c } = this.rawSpace(this.weights, this.intercept);
    const p = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let z = c;
      const off = i * cols;
      for (let j = 0; j < cols; j++) z += a[j] * X[off + j];
      p[i] = sigmoid(z);
    }
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

  /** One fused pass over X: penalised mean log loss at θ, gradient written into `grad`. */
  private lossAndGrad(X: Float64Array, y: Float64Array, theta: Float64Array, grad: Float64Array): number {
    const cols = theta.length - 1;
    const rows = y.length;
    const { a, c } = this.rawSpace(theta.subarray(0, cols), theta[cols]);
    const rx = new Float64Array(cols); // Σ_i r_i x_ij
    let rSum = 0;
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      let z = c;
      for (let j = 0; j < cols; j++) z += a[j] * X[off + j];
      // log(1 + e^z) − y z, stable for large |z|.
      loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y[i] * z;
      const r = sigmoid(z) - y[i];
      rSum += r;
      for (let j = 0; j < cols; j++) rx[j] += r * X[off + j];
    }
    const { mean, std } = this.scaler;
    const l2 = this.options.l2;
    let penalty = 0;
    for (let j = 0; j < cols; j++) {
      grad[j] = (rx[j] - mean[j] * rSum) / (rows * std[j]) + 2 * l2 * theta[j];
      penalty += theta[j] * theta[j];
    }
    grad[cols] = rSum / rows;
    return loss / rows + l2 * penalty;
  }
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

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
