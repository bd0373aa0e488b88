/**
 * TfjsMlp: one small relu hidden layer, for interactions a linear model cannot represent
 * (shuffle × artist taste, weekend × evening). Same protocol as TfjsLogistic.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend";
import { seededSubsample } from "./rows";
import { TfjsLayersClassifier } from "./tfjsLayers";
import {
  TfjsHistory,
  TfjsTrainOptions,
  defaultTrainOptions,
  resolveTrainOptions,
  trainLayersModel,
} from "./tfjsTrain";
import { Classifier, FitJob, FitOptions, inferCols } from "./types";

export interface TfjsMlpOptions extends TfjsTrainOptions {
  hiddenUnits?: number;
  /**
   * Dropout rate after the hidden layer; 0 (default) disables it. tfjs draws the dropout
   * mask from the layer's fixed seed, so with a seed the same mask repeats for equal batch
   * shapes: it is deterministic but regularises less than Keras dropout.
   */
  dropout?: number;
  /**
   * Train on a seeded random subsample of at most this many training rows (Infinity = all).
   * The MLP's cost is compute per row-visit (~1.5 µs per row and epoch at 16 hidden units, 2
   * cores, wasm), so at lifetime scale it is capped; the history records `trainRows` (used) and
   * `trainRowsGiven`, and the standardisation statistics still come from every training row.
   */
  maxTrainRows?: number;
}

/**
 * patience 2, early stopping from the first epoch (no minimum number of steps; on a 30k-play
 * export 11 epochs instead of 39, test AUC 0.7799 vs 0.7787); at most 1M row-visits (20 epochs
 * of the 50k-row subsample). The MLP is a comparison model: its cost is bounded at every export
 * size, not grown with it (numbers in bench/README.md).
 */
export const defaultMlpOptions: Required<TfjsTrainOptions> = { ...defaultTrainOptions, patience: 2, minSteps: 0, minRowVisits: 0, maxRowVisits: 1_000_000 };

/** Default `maxTrainRows`: see the trade-off measured in bench/README.md. */
export const MLP_MAX_TRAIN_ROWS = 50_000;

export class TfjsMlp extends TfjsLayersClassifier implements Classifier {
  readonly name = "tfjs_mlp";
  readonly hiddenUnits: number;
  readonly dropout: number;

  constructor(options: TfjsMlpOptions = {}) {
    const { hiddenUnits = 16, dropout = 0, maxTrainRows = MLP_MAX_TRAIN_ROWS, ...train } = options;
    super(resolveTrainOptions(train, defaultMlpOptions), maxTrainRows);
    this.hiddenUnits = hiddenUnits;
    this.dropout = dropout;
  }

  /** @param X [rows * cols] raw training rows; y [rows] 0/1; XVal/yVal drive early stopping. */
  async fit(X: Float64Array, y: Float64Array, options: FitOptions = {}): Promise<this> {
    const { sample } = await this.standardizeAndSample(X, y, options, "TfjsMlp.fit");
    return this.fitSample(sample.X, sample.y, y.length, options);
  }

  /**
   * The second half of `fit`: trains on rows already drawn by `seededSubsample` (`rowsGiven`
   * training rows before it), with `scaler` already fitted on every training row. What a
   * worker thread runs on the transferred subsample (`fitJob`).
   */
  async fitSample(X: Float64Array, y: Float64Array, rowsGiven: number, options: FitOptions = {}): Promise<this> {
    const seed = options.seed ?? 0;
    await initBackend();
    const model = this.build(this.scaler.cols, seed);
    this.history = await trainLayersModel(model, this.scaler, X, y, { ...options, seed }, this.options);
    if (rowsGiven !== y.length) this.history.trainRowsGiven = rowsGiven;
    return this;
  }

  /**
   * The standardisation (every training row) and the seeded subsample drawn here, exactly as
   * `fit` draws them; `fitSample` in a worker on only that subsample (and the validation rows),
   * in its own tfjs instance with the same seed. See `Classifier.fitJob`.
   */
  fitJob(X: Float64Array, y: Float64Array, options: FitOptions = {}): FitJob {
    const cols = inferCols(X, y.length, "TfjsMlp.fit");
    const seed = options.seed ?? 0;
    this.scaler.fitOr(options.trainStats, X, y.length, cols);
    const sample = seededSubsample(X, y, cols, this.maxTrainRows, seed);
    // The subsample is a fresh array at scale; otherwise the inputs (possibly views of X): copy.
    const fresh = sample.y !== y;
    const payload: MlpJob = {
      options: { ...this.options, hiddenUnits: this.hiddenUnits, dropout: this.dropout, maxTrainRows: this.maxTrainRows },
      X: fresh ? sample.X : X.slice(),
      y: fresh ? sample.y : y.slice(),
      XVal: (options.XVal ?? new Float64Array(0)).slice(),
      yVal: (options.yVal ?? new Float64Array(0)).slice(),
      rowsGiven: y.length,
      mean: this.scaler.mean.slice(),
      std: this.scaler.std.slice(),
      seed,
    };
    const transfer = [payload.X, payload.y, payload.XVal, payload.yVal, payload.mean, payload.std].map((a) => a.buffer as ArrayBuffer);
    return { module: __filename, entry: "runTfjsMlpFitJob", payload, transfer };
  }

  /**
   * Rebuilds the network from the worker's trained weights (the scaler is `fitJob`'s). Null
   * when the worker's tfjs backend differs from this thread's: its numbers would differ.
   */
  async restore(state: unknown, options: FitOptions = {}): Promise<this | null> {
    const s = state as MlpState;
    if (s.backend !== (await initBackend()).name) return null;
    const model = this.build(this.scaler.cols, options.seed ?? 0);
    const tensors = s.weights.map((w) => tf.tensor(w.values, w.shape, "float32"));
    model.setWeights(tensors);
    tensors.forEach((t) => t.dispose());
    this.history = s.history;
    return this;
  }

  /** The trained weights as plain arrays (for `restore`). */
  exportWeights(): MlpWeights {
    return this.fitted().getWeights().map((w) => ({ shape: w.shape.slice(), values: Float32Array.from(w.dataSync() as Float32Array) }));
  }

  /** Builds (and keeps) the network for `cols` inputs with its seeded initial weights. */
  private build(cols: number, seed: number): tf.LayersModel {
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
    return model;
  }
}

type MlpWeights = { shape: number[]; values: Float32Array }[];

/** An MLP fit for a worker: the subsample `fitJob` drew, the validation rows, the model's options. */
interface MlpJob {
  options: TfjsMlpOptions;
  /** [sample rows * cols] raw values. */
  X: Float64Array;
  y: Float64Array;
  XVal: Float64Array;
  yVal: Float64Array;
  /** Training rows before subsampling. */
  rowsGiven: number;
  /** [cols] standardisation fitted on every training row. */
  mean: Float64Array;
  std: Float64Array;
  seed: number;
}

interface MlpState {
  /** As `model.getWeights()` lists them. */
  weights: MlpWeights;
  history: TfjsHistory | null;
  backend: string;
}

/** The worker's half of `TfjsMlp.fitJob`. */
export async function runTfjsMlpFitJob(payload: unknown): Promise<{ state: MlpState; transfer: ArrayBuffer[] }> {
  const job = payload as MlpJob;
  const backend = (await initBackend()).name;
  const model = new TfjsMlp(job.options);
  model.scaler.setStats(job.mean, job.std);
  await model.fitSample(job.X, job.y, job.rowsGiven, { XVal: job.XVal, yVal: job.yVal, seed: job.seed });
  const weights = model.exportWeights();
  model.dispose();
  return { state: { weights, history: model.history, backend }, transfer: weights.map((w) => w.values.buffer as ArrayBuffer) };
}
