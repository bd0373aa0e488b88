/**
 * What both TensorFlow.js classifiers (TfjsLogistic, TfjsMlp) are: a Layers model on inputs
 * standardised with statistics from every training row, and the history of its last fit. Each
 * builds and trains its own model; predicting and disposing are the same for both.
 */
import type * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend";
import { Standardizer } from "./standardize";
import { seededSubsample } from "./rows";
import { predictLayersModel, TfjsHistory, TfjsTrainOptions } from "./tfjsTrain";
import { FitOptions, inferCols } from "./types";

export abstract class TfjsLayersClassifier {
  readonly scaler = new Standardizer();
  model: tf.LayersModel | null = null;
  history: TfjsHistory | null = null;

  /**
   * @param options the training loop's options, resolved against the model's defaults
   * @param maxTrainRows the cap on the seeded training subsample (`seededSubsample`)
   */
  constructor(
    readonly options: Required<TfjsTrainOptions>,
    readonly maxTrainRows: number,
  ) {}

  /** @param X [rows * cols] raw rows → [rows] P(completed). */
  predictProba(X: Float64Array): Float64Array {
    return predictLayersModel(this.fitted(), this.scaler, X);
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }

  /**
   * How every fit starts: the backend chosen (the seeded initial weights are created on it), the
   * standardisation from every training row, and the seeded subsample of at most `maxTrainRows`
   * of them to train on. `label` names the caller in a shape error.
   */
  protected async standardizeAndSample(X: Float64Array, y: Float64Array, options: FitOptions, label: string) {
    const cols = inferCols(X, y.length, label);
    const seed = options.seed ?? 0;
    await initBackend();
    const pre = options.presampled;
    if (pre) {
      this.scaler.fitOr(pre, X, y.length, cols);
      return { cols, seed, sample: { X, y }, rowsGiven: pre.rowsGiven };
    }
    this.scaler.fitOr(options.trainStats, X, y.length, cols);
    return { cols, seed, sample: seededSubsample(X, y, cols, this.maxTrainRows, seed), rowsGiven: y.length };
  }

  /** The trained model; throws before `fit`. */
  protected fitted(): tf.LayersModel {
    if (!this.model) throw new Error(`${this.constructor.name}: call fit() first`);
    return this.model;
  }
}
