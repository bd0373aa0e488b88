/**
 * TfjsLogistic: logistic regression as one dense sigmoid unit in TensorFlow.js, minimising
 * mean log loss + λ Σ w_j² on the standardised training rows (the closed loop's objective):
 * a few epochs of Adam on seeded mini-batches (the training curve), then full-batch
 * Newton-preconditioned steps in tfjs (tfjsNewton.ts) until every gradient component is at
 * most `gradTol`. Both models therefore end at the objective's one minimum, whatever the
 * export (no early stopping decides it).
 */
import * as tf from "@tensorflow/tfjs";
import { TfjsLayersClassifier } from "./tfjsLayers";
import {
  TfjsTrainOptions,
  defaultTrainOptions,
  resolveTrainOptions,
  adamRandom,
  historyBeforeEpochs,
  trainLayersModelKeepingRows,
} from "./tfjsTrain";
import { newtonLogistic } from "./tfjsNewton";
import { NewtonHelper } from "./newtonHelper";
import type { ClosedLoopStart } from "./closedLoop";
import { initBackend } from "./backend";
import { seededPermutation } from "./rows";
import { Classifier, FitOptions, GRADIENT_TOLERANCE, LinearCoefficients, checkLabels, inferCols } from "./types";

export interface TfjsLogisticOptions extends TfjsTrainOptions {
  /**
   * Stop the Adam epochs early on the validation loss (default false). Off, Adam runs its
   * warm-up budget; either way the Newton steps then run to `gradTol`.
   */
  earlyStopping?: boolean;
  /** Newton steps stop when every component of the objective's gradient is at most this. */
  gradTol?: number;
  /**
   * At most this many Newton steps (default 100; each a pass and a matrix product, see
   * tfjsNewton.ts): generated exports from 30k to 1M plays take 10–13, the leaky reference
   * (no Adam epochs) 21–23.
   */
  maxNewtonIter?: number;
  /** Newton's Hessian comes from at most this many rows (`newtonLogistic`'s `hessianRows`). */
  hessianRows?: number;
  /** Rows per tfjs pass of the Newton stage (`newtonLogistic`'s `chunkRows`). */
  newtonChunkRows?: number;
  /**
   * From this many training rows, a second thread evaluates every other row chunk of the Newton
   * passes (`NewtonHelper`; the same numbers). Default `NEWTON_HELPER_MIN_ROWS`; Infinity: never, 0: always.
   */
  newtonHelperMinRows?: number;
  /**
   * Train on a seeded random subsample of at most this many training rows (Infinity = all, the
   * default); the standardisation still uses every training row. For the leaky reference, whose
   * leaked columns separate the classes from a few thousand rows. The history records
   * `trainRows` and `trainRowsGiven`.
   */
  maxTrainRows?: number;
  /**
   * A minimiser of the same objective to start from, with the float32 standardised training rows
   * it was found on (a closed-loop fit at this λ: `TrainOptions.primaryFromClosedLoop`). Then no
   * Adam epochs, so no training curve: the Newton steps start at its weights and run until tfjs's
   * own gradient is within `gradTol` (from the closed loop's minimiser: one pass, no step, on the
   * exports measured). The rows are read in a seeded order and uploaded chunk by chunk for each
   * pass, on this thread: no second copy of them, in JS or in the backend's heap. For refits that
   * are only scored: the label comparison. Null (default): Adam first.
   */
  start?: MinimiserStart | null;
}

/** A minimiser to start from (`TfjsLogisticOptions.start`): standardised weights, and the rows standardised with mean / std. */
export interface MinimiserStart extends Pick<ClosedLoopStart, "mean" | "std" | "coefficients"> {
  /** [rows * cols] float32 standardised training rows (a closed loop's: `toDense(start.rows)`). */
  Xs: Float32Array;
}

/**
 * Adam warm-up budget (epochs × training rows): it only brings the weights near the minimum
 * (fewer Newton steps, each a full pass computing a cols² Hessian) and draws the training curve.
 */
export const LOGISTIC_WARMUP_ROW_VISITS = 1_000_000;

/**
 * Training rows from which the Newton passes run on two threads. Below it the helper's start-up
 * (~0.35 s of CPU) outweighs the Newton stage's gain, and the second core is busy with the MLP
 * worker during it anyway (at 200k plays, 133k training rows, the MLP ends after tfjs_logistic).
 */
export const NEWTON_HELPER_MIN_ROWS = 300_000;

export class TfjsLogistic extends TfjsLayersClassifier implements Classifier {
  readonly name = "tfjs_logistic";
  readonly gradTol: number;
  readonly maxNewtonIter: number;
  private readonly newton: { hessianRows?: number; chunkRows?: number };
  private readonly newtonHelperMinRows: number;
  /** `options.start` until the fit that uses it (then dropped: it holds a copy of the training rows). */
  private start: MinimiserStart | null;

  constructor(options: TfjsLogisticOptions = {}) {
    const { earlyStopping = false, gradTol = GRADIENT_TOLERANCE, maxNewtonIter = 100, maxTrainRows = Infinity, hessianRows, newtonChunkRows, newtonHelperMinRows = NEWTON_HELPER_MIN_ROWS, start = null, ...train } = options;
    // Convex model: end at the penalised optimum (see TfjsTrainOptions.restoreBest).
    const warmup = { restoreBest: false, maxEpochs: 5, maxRowVisits: LOGISTIC_WARMUP_ROW_VISITS };
    super(resolveTrainOptions({ ...warmup, ...train, ...(earlyStopping ? {} : { patience: Infinity }) }, defaultTrainOptions), maxTrainRows);
    this.newton = { hessianRows, chunkRows: newtonChunkRows };
    this.gradTol = gradTol;
    this.maxNewtonIter = maxNewtonIter;
    this.newtonHelperMinRows = newtonHelperMinRows;
    if (start && maxTrainRows < Infinity) throw new Error("TfjsLogistic: options.start continues a fit on every training row, so it cannot be combined with maxTrainRows");
    this.start = start;
  }

  /** @param X [rows * cols] raw training rows; y [rows] 0/1; XVal/yVal: the training curve (and early stopping, when on). */
  async fit(X: Float64Array, y: Float64Array, options: FitOptions = {}): Promise<this> {
    if (this.start) return this.continueFit(X, y, options);
    const { cols, seed, sample, rowsGiven } = await this.standardizeAndSample(X, y, options, "TfjsLogistic.fit");
    const model = this.build(cols, seed);
    const t0 = Date.now();
    // Started now, so the helper's tfjs start-up overlaps the Adam epochs.
    const helper = sample.y.length >= this.newtonHelperMinRows ? NewtonHelper.start() : null;
    let trained;
    let newton;
    try {
      trained = await trainLayersModelKeepingRows(model, this.scaler, sample.X, sample.y, { ...options, seed }, this.options, helper !== null);
      // Handed over: the float32 rows are freed once on the backend (see HandedOverRows).
      newton = newtonLogistic(trained.rows, cols, this.coefficients(), { l2: this.options.l2, gradTol: this.gradTol, maxIter: this.maxNewtonIter, ...this.newton, helper });
    } finally {
      helper?.close();
    }
    const { history } = trained;
    if (sample.y !== y || rowsGiven !== y.length) history.trainRowsGiven = rowsGiven;
    const { weights, intercept, result } = newton;
    this.setWeights(model, cols, weights, intercept);
    history.newton = { ...result, gradTol: this.gradTol };
    history.seconds = (Date.now() - t0) / 1000;
    this.history = history;
    return this;
  }

  /** `fit` from `options.start`: its rows and weights, Newton steps only (see `TfjsLogisticOptions.start`). */
  private async continueFit(X: Float64Array, y: Float64Array, options: FitOptions): Promise<this> {
    const start = this.start!;
    // Dropped now, so the fitted model (kept for its history) does not keep the rows alive.
    this.start = null;
    const cols = inferCols(X, y.length, "TfjsLogistic.fit");
    if (start.Xs.length !== X.length || start.mean.length !== cols) throw new Error("TfjsLogistic: options.start was fitted on other rows");
    checkLabels(y, "TfjsLogistic.fit");
    const backend = (await initBackend()).name;
    const seed = options.seed ?? 0;
    this.scaler.setStats(start.mean, start.std);
    const model = this.build(cols, seed);
    const t0 = Date.now();
    const ys = new Float32Array(y);
    // In Adam's own first order (its seeded stream's first draw): in time order (the closed loop's
    // rows) each chunk's float32 sums round alike, which left a gradient floor of ~5e-7 (at 200k
    // plays) above gradTol, and a chunk would be no random sample for the Hessian.
    const order = seededPermutation(y.length, adamRandom(seed));
    const newton = newtonLogistic({ xs: start.Xs, ys, order }, cols, start.coefficients, { l2: this.options.l2, gradTol: this.gradTol, maxIter: this.maxNewtonIter, ...this.newton, helper: null, streamed: true });
    this.setWeights(model, cols, newton.weights, newton.intercept);
    this.history = { ...historyBeforeEpochs(backend, y.length), seconds: (Date.now() - t0) / 1000, newton: { ...newton.result, gradTol: this.gradTol } };
    return this;
  }

  /** A fresh model: one dense sigmoid unit over `cols` inputs, L2 on its kernel (not its bias). */
  private build(cols: number, seed: number): tf.Sequential {
    this.model?.dispose();
    const model = tf.sequential();
    model.add(
      tf.layers.dense({
        inputShape: [cols],
        units: 1,
        activation: "sigmoid",
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: "zeros",
        // The bias is not regularised, like the closed-loop intercept.
        kernelRegularizer: tf.regularizers.l2({ l2: this.options.l2 }),
      }),
    );
    this.model = model;
    return model;
  }

  /** Sets the dense unit's kernel [cols, 1] and bias from float64 weights (stored as float32). */
  private setWeights(model: tf.Sequential, cols: number, weights: Float64Array, intercept: number): void {
    const kernel = tf.tensor2d(Float32Array.from(weights), [cols, 1]);
    const bias = tf.tensor1d([intercept]);
    model.layers[0].setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
  }

  /** Weights on standardised inputs (with sign) + intercept, for feature_importance.csv. */
  coefficients(): LinearCoefficients {
    const [kernel, bias] = this.fitted().layers[0].getWeights();
    return { weights: Float64Array.from(kernel.dataSync()), intercept: bias.dataSync()[0] };
  }
}
