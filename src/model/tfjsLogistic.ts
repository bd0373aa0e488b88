/**
 * TfjsLogistic: logistic regression as one dense sigmoid unit in TensorFlow.js, minimising
 * mean log loss + λ Σ w_j² on the standardised training rows (the closed loop's objective):
 * a few epochs of Adam on seeded mini-batches (the training curve), then full-batch Newton
 * steps in tfjs until every gradient component is at most `gradTol`. Both models therefore
 * end at the objective's one minimum, whatever the export (no early stopping decides it).
 */
import * as tf from "@tensorflow/tfjs";
import { TfjsLayersClassifier } from "./tfjsLayers";
import {
  TfjsTrainOptions,
  defaultTrainOptions,
  resolveTrainOptions,
  trainLayersModelKeepingRows,
} from "./tfjsTrain";
import { newtonLogistic } from "./tfjsNewton";
import { NewtonHelper } from "./newtonHelper";
import { Classifier, FitOptions, GRADIENT_TOLERANCE, LinearCoefficients } from "./types";

export interface TfjsLogisticOptions extends TfjsTrainOptions {
  /**
   * Stop the Adam epochs early on the validation loss (default false). Off, Adam runs its
   * warm-up budget; either way the Newton steps then run to `gradTol`.
   */
  earlyStopping?: boolean;
  /** Newton steps stop when every component of the objective's gradient is at most this. */
  gradTol?: number;
  /**
   * At most this many Newton steps (default 100). Most are chord steps (one cheap pass each,
   * see tfjsNewton.ts): real exports take ~25, the near-separable leaky reference ~50.
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

  constructor(options: TfjsLogisticOptions = {}) {
    const { earlyStopping = false, gradTol = GRADIENT_TOLERANCE, maxNewtonIter = 100, maxTrainRows = Infinity, hessianRows, newtonChunkRows, newtonHelperMinRows = NEWTON_HELPER_MIN_ROWS, ...train } = options;
    // Convex model: end at the penalised optimum (see TfjsTrainOptions.restoreBest).
    const warmup = { restoreBest: false, maxEpochs: 5, maxRowVisits: LOGISTIC_WARMUP_ROW_VISITS };
    super(resolveTrainOptions({ ...warmup, ...train, ...(earlyStopping ? {} : { patience: Infinity }) }, defaultTrainOptions), maxTrainRows);
    this.newton = { hessianRows, chunkRows: newtonChunkRows };
    this.gradTol = gradTol;
    this.maxNewtonIter = maxNewtonIter;
    this.newtonHelperMinRows = newtonHelperMinRows;
  }

  /** @param X [rows * cols] raw training rows; y [rows] 0/1; XVal/yVal: the training curve (and early stopping, when on). */
  async fit(X: Float64Array, y: Float64Array, options: FitOptions = {}): Promise<this> {
    const { cols, seed, sample, rowsGiven } = await this.standardizeAndSample(X, y, options, "TfjsLogistic.fit");
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
    const kernel = tf.tensor2d(Float32Array.from(weights), [cols, 1]);
    const bias = tf.tensor1d([intercept]);
    model.layers[0].setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
    history.newton = { ...result, gradTol: this.gradTol };
    history.seconds = (Date.now() - t0) / 1000;
    this.history = history;
    return this;
  }

  /** Weights on standardised inputs (with sign) + intercept, for feature_importance.csv. */
  coefficients(): LinearCoefficients {
    const [kernel, bias] = this.fitted().layers[0].getWeights();
    return { weights: Float64Array.from(kernel.dataSync()), intercept: bias.dataSync()[0] };
  }
}
