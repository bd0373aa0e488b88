/**
 * TfjsMlp: one small relu hidden layer, for interactions a linear model cannot represent
 * (shuffle × artist taste, weekend × evening). Same protocol as TfjsLogistic.
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
import { Classifier, FitOptions, inferCols } from "./types";

export interface TfjsMlpOptions extends TfjsTrainOptions {
  hiddenUnits?: number;
  /**
   * Dropout rate after the hidden layer; 0 (default) disables it. tfjs draws the dropout
   * mask from the layer's fixed seed, so with a seed the same mask repeats for equal batch
   * shapes: it is deterministic but regularises less than Keras dropout.
   */
  dropout?: number;
}

export const defaultMlpOptions: Required<TfjsTrainOptions> = { ...defaultTrainOptions, patience: 2 };

export class TfjsMlp implements Classifier {
  readonly name = "tfjs_mlp";
  readonly options: Required<TfjsTrainOptions>;
  readonly hiddenUnits: number;
  readonly dropout: number;
  readonly scaler = new Standardizer();
  model: tf.LayersModel | null = null;
  history: TfjsHistory | null = null;

  constructor(options: TfjsMlpOptions = {}) {
    const { hiddenUnits = 16, dropout = 0, ...train } = options;
    this.options = resolveTrainOptions(train, defaultMlpOptions);
    this.hiddenUnits = hiddenUnits;
    this.dropout = dropout;
  }

  /** @param X [rows * cols] raw training rows; y [rows] 0/1; XVal/yVal drive early stopping. */
  async fit(X: Float64Array, y: Float64Array, options: FitOptions = {}): Promise<this> {
    const cols = inferCols(X, y.length, "TfjsMlp.fit");
    const seed = options.seed ?? 0;
    // Before building: the seeded initial weights must be created on the chosen backend.
    await initBackend();
    this.scaler.fit(X, y.length, cols);
    this.model?.dispose();
    const l2 = this.options.l2;
    const model = tf.sequential();
    model.add(
      tf.layers.dense({
        inputShape: [cols],
        units: this.hiddenUnits,
        activation: "relu",
        kernelInitializer: tf.initializers.heUniform({ seed }),
        biasInitializer: "zeros",
        kernelRegularizer: tf.regularizers.l2({ l2 }),
      }),
    );
    if (this.dropout > 0) model.add(tf.layers.dropout({ rate: this.dropout, seed: seed + 2 }));
    model.add(
      tf.layers.dense({
        units: 1,
        activation: "sigmoid",
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
        biasInitializer: "zeros",
        kernelRegularizer: tf.regularizers.l2({ l2 }),
      }),
    );
    this.model = model;
    this.history = await trainLayersModel(model, this.scaler, X, y, { ...options, seed }, this.options);
    return this;
  }

  /** @param X [rows * cols] raw rows → [rows] P(completed). */
  predictProba(X: Float64Array): Float64Array {
    if (!this.model) throw new Error("TfjsMlp: call fit() first");
    return predictLayersModel(this.model, this.scaler, X);
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
