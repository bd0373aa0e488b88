/**
 * TfjsLogistic: logistic regression as one dense sigmoid unit in TensorFlow.js.
 * Same model family as ClosedLoopLogistic, trained by Adam on seeded mini-batches with early
 * stopping; it must agree with the closed-loop baseline (test AUC within 0.005).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend";
import { Standardizer } from "./standardize";
import {
  TfjsHistory,
  TfjsTrainOptions,
  defaultTrainOptions,
  predictLayersModel,
  resolveTrainOptions,
  trainLayersModel,
} from "./tfjsTrain";
import { Classifier, FitOptions, LinearCoefficients, inferCols } from "./types";

export type TfjsLogisticOptions = TfjsTrainOptions;

/**
 * Work budget (epochs × training rows). A real export's model stops early inside it (with
 * `minRowVisits` 3M: 1M plays 5 epochs × 706k rows = 3.5M; 300k 15 × 204k = 3.1M; 100k
 * 46 × 66k = 3.0M). Nearly separable data never stops early (the leaky reference: validation
 * loss keeps falling ~2 % an epoch, 57 epochs at 300k, test AUC 1.000 from the first epoch):
 * the budget bounds it (9 epochs at 1M, 30 at 300k), and `history.stoppedByBudget` says so.
 */
export const LOGISTIC_MAX_ROW_VISITS = 6_000_000;

export class TfjsLogistic implements Classifier {
  readonly name = "tfjs_logistic";
  readonly options: Required<TfjsTrainOptions>;
  readonly scaler = new Standardizer();
  model: tf.LayersModel | null = null;
  history: TfjsHistory | null = null;

  constructor(options: TfjsLogisticOptions = {}) {
    // Convex model: end near the penalised optimum (see TfjsTrainOptions.restoreBest).
    this.options = resolveTrainOptions({ restoreBest: false, maxRowVisits: LOGISTIC_MAX_ROW_VISITS, ...options }, defaultTrainOptions);
  }

  /** @param X [rows * cols] raw training rows; y [rows] 0/1; XVal/yVal drive early stopping. */
  async fit(X: Float64Array, y: Float64Array, options: FitOptions = {}): Promise<this> {
    const cols = inferCols(X, y.length, "TfjsLogistic.fit");
    const seed = options.seed ?? 0;
    // Before building: the seeded initial weights must be created on the chosen backend.
    await initBackend();
    this.scaler.fit(X, y.length, cols);
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
    this.history = await trainLayersModel(model, this.scaler, X, y, { ...options, seed }, this.options);
    return this;
  }

  /** @param X [rows * cols] raw rows → [rows] P(completed). */
  predictProba(X: Float64Array): Float64Array {
    if (!this.model) throw new Error("TfjsLogistic: call fit() first");
    return predictLayersModel(this.model, this.scaler, X);
  }

  /** Weights on standardised inputs (with sign) + intercept, for feature_importance.csv. */
  coefficients(): LinearCoefficients {
    if (!this.model) throw new Error("TfjsLogistic: call fit() first");
    const [kernel, bias] = this.model.layers[0].getWeights();
    return { weights: Float64Array.from(kernel.dataSync()), intercept: bias.dataSync()[0] };
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
