/**
 * The training protocol shared by the tfjs models: standardise with training statistics,
 * our own seeded shuffle (tfjs's shuffling is not seeded) into a float32 copy whose contiguous
 * batches are the mini-batches, early stopping on the validation slice with the best weights
 * restored.
 */
import * as tf from "@tensorflow/tfjs";
import { prefaultPages } from "../common/bigBuffers";
import { mulberry32 } from "../common/rng";
import { BackendName, initBackend } from "./backend";
import { meanLogLoss } from "./closedLoop";
import { PREDICT_CHUNK_ROWS, seededPermutation } from "./rows";
import { Standardizer } from "./standardize";
import type { HandedOverRows, NewtonResult } from "./tfjsNewton";
import { FitOptions, checkLabels, inferCols } from "./types";

export interface TfjsTrainOptions {
  /** Rows per Adam step. Larger is faster per epoch but needs more epochs (see README numbers). */
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without a validation-loss improvement > minDelta before stopping. */
  patience?: number;
  minDelta?: number;
  learningRate?: number;
  /** λ of the l2 kernel regulariser: adds λ Σ w² to each batch loss. */
  l2?: number;
  /** Stop after this many seconds of training (checked between epochs); Infinity = no limit. */
  maxSeconds?: number;
  /**
   * Stop once epochs × training rows reaches this (checked between epochs); Infinity = no limit.
   * A deterministic work budget for lifetime-scale exports (a time budget would make the
   * result depend on the machine's load); recorded as `history.stoppedByBudget`.
   */
  maxRowVisits?: number;
  /**
   * Restore the weights of the best validation epoch when stopping (Keras' restore_best_weights).
   * Off for the convex logistic model: with a chronological validation slice the best epoch is
   * often an early, noisy one, and the model should end near the L2-penalised optimum that the
   * closed-loop baseline converges to (their test AUCs must agree).
   */
  restoreBest?: boolean;
  /**
   * Early stopping may not end training before this many optimiser steps: on a small export
   * an epoch is a few dozen steps and the first validation dip is noise, not convergence.
   */
  minSteps?: number;
  /**
   * ... unless it has already seen this many training rows (epochs × rows): on a big export
   * 1500 steps of 4096 rows is 6M row-visits, several epochs past the point where the
   * validation loss (and the test AUC) has settled.
   */
  minRowVisits?: number;
}

export interface TfjsHistory {
  /** Mean batch loss per epoch (includes the L2 penalty, as Keras reports it). */
  trainLoss: number[];
  /** Mean validation log loss per epoch (no penalty); empty without validation rows. */
  valLoss: number[];
  epochsRun: number;
  /** 1-based epoch whose weights were kept (the best validation loss, else the last). */
  bestEpoch: number;
  stoppedEarly: boolean;
  backend: BackendName;
  seconds: number;
  /** Wall-clock seconds per epoch (training + validation pass). */
  epochSeconds: number[];
  /** Rows per optimiser step actually used (after `autoBatchSize`). */
  batchSize?: number;
  /** Training rows the model saw (fewer than given when a model subsamples at scale, e.g. the MLP). */
  trainRows?: number;
  /** Training rows given to fit(), when `trainRows` is a seeded subsample of them. */
  trainRowsGiven?: number;
  /** True when training ended on `maxSeconds`, not on early stopping or `maxEpochs`. */
  stoppedByTimeBudget?: boolean;
  /** True when training ended on `maxRowVisits` (the work budget), not on early stopping or `maxEpochs`. */
  stoppedByBudget?: boolean;
  /** Full-batch Newton steps after the epochs (`TfjsLogistic`), to the gradient tolerance `gradTol`. */
  newton?: NewtonResult & { gradTol: number };
}

/** The seeded stream Adam draws its row order (first) and batch orders from. */
export function adamRandom(seed: number): () => number {
  return mulberry32(seed ^ 0x5eed);
}

/** A history before any epoch (what a fit with no Adam epochs reports, `batchSize` then unset). */
export function historyBeforeEpochs(backend: BackendName, trainRows: number, batchSize?: number): TfjsHistory {
  const history: TfjsHistory = { trainLoss: [], valLoss: [], epochsRun: 0, bestEpoch: 0, stoppedEarly: false, backend, seconds: 0, epochSeconds: [] };
  if (batchSize !== undefined) history.batchSize = batchSize;
  history.trainRows = trainRows;
  return history;
}

export const defaultTrainOptions: Required<TfjsTrainOptions> = {
  // 1M plays (706k training rows × 68) on 2 cores (wasm): ~0.25 s/epoch at 4096; the val loss settles in ~5 epochs.
  batchSize: 4096,
  maxEpochs: 60,
  patience: 1,
  minDelta: 1e-4,
  learningRate: 0.01,
  l2: 1e-4,
  maxSeconds: Infinity,
  maxRowVisits: Infinity,
  restoreBest: true,
  minSteps: 1500,
  minRowVisits: 3_000_000,
};

/**
 * Small exports need small batches: with 2,600 training rows a 4096 batch is one Adam step
 * per epoch and the model stops far from the optimum (test AUC 0.03 below the closed-loop
 * baseline on data-sample/). Aim for ≥ 32 steps per epoch, batches of 64…`batchSize` (a power of 2).
 */
export function autoBatchSize(rows: number): number {
  return Math.max(64, 2 ** Math.floor(Math.log2(Math.max(rows / 32, 1))));
}

/** A small validation slice gives a noisy loss: wait longer before stopping (3 epochs under 20k rows). */
export function autoPatience(validationRows: number): number {
  return validationRows < 20_000 ? 3 : 1;
}

/** Trains `model` (already built, one sigmoid output) in place; parameters as `trainLayersModelKeepingRows`. */
export async function trainLayersModel(...args: Parameters<typeof trainLayersModelKeepingRows>): Promise<TfjsHistory> {
  return (await trainLayersModelKeepingRows(...args)).history;
}

/**
 * @param X [rows * cols] raw training rows; y [rows] 0/1.
 * Trains like `trainLayersModel`, also returning the float32 standardised training rows it trained on
 * (a seeded permutation of them, with their labels) for a full-batch stage after it.
 * `shared`: the rows (and labels) in shared memory, so a worker thread reads them without a copy
 * (`NewtonHelper`); only where batches are large (one shuffle for every epoch).
 * @returns rows: xs [rows * cols], ys [rows], for `newtonLogistic` to take over
 */
export async function trainLayersModelKeepingRows(
  model: tf.LayersModel,
  scaler: Standardizer,
  X: Float64Array,
  y: Float64Array,
  fitOptions: FitOptions,
  options: Required<TfjsTrainOptions>,
  shared = false,
): Promise<{ history: TfjsHistory; rows: HandedOverRows }> {
  const t0 = Date.now();
  const backend = (await initBackend()).name;
  const rows = y.length;
  const cols = inferCols(X, rows, "tfjs fit");
  checkLabels(y, "tfjs fit");
  const { XVal, yVal } = fitOptions;
  const hasVal = !!XVal && !!yVal && yVal.length > 0;
  const rand = adamRandom(fitOptions.seed ?? 0);

  // A direct optimiser step (optimizer.minimize → tf.variableGrads) instead of
  // model.trainOnBatch, which runs the Layers training machinery and reads the loss back per
  // batch; the forward pass is written with the Dense layers' own variables (`logitsFunction`).
  // With the float32 batches below a step at 4096 × 69 takes ~1 ms instead of ~4.7 ms
  // (bench/README.md). The loss is binary cross-entropy plus the layers' L2 penalty λ Σ w² on
  // the kernels (biases free): what `compile({ loss: "binaryCrossentropy" })` with
  // `kernelRegularizer: l2` optimised.
  const forward = logitsFunction(model);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const kernels = model.trainableWeights.filter((w) => /kernel/.test(w.originalName ?? w.name)).map((w) => w.read());
  const optimizer = tf.train.adam(options.learningRate);

  const batchSize = Math.min(options.batchSize, autoBatchSize(rows), rows);
  const patience = Math.max(options.patience, hasVal ? autoPatience(yVal.length) : 0);
  // Standardise the training rows into a float32 copy in a seeded random row order; each epoch
  // visits its contiguous batches in a new seeded order, so a batch is a subarray handed to tfjs.
  // Gathering shuffled rows per step was the largest JS cost of an epoch at scale (random
  // 550-byte row reads, ~2.8 ms per 4096 rows vs ~1 ms for the tfjs step itself), so large
  // batches keep the row order of the first shuffle (fixed batch membership, harmless for these
  // models at 30+ steps per epoch). Small batches (small exports) re-shuffle the rows every
  // epoch: there a step costs ~15 µs per row against ~0.7 µs per row for the re-shuffle, and
  // re-mixed 64-row batches end nearer the optimum (data-sample: tfjs AUC 0.7604 vs 0.7586 with
  // fixed batches; the closed loop's is 0.7630).
  // Each re-shuffle writes into the first one's arrays: a fresh array's first writes fault its
  // pages in, which costs more than the writes (~22 of ~26 ms per epoch at 19712 × 84 on the bench
  // machine).
  const nBatches = Math.ceil(rows / batchSize);
  const reshuffleEveryEpoch = batchSize <= 512;
  const { xs: xAll, ys: yAll } = shuffledStandardized(scaler, X, y, seededPermutation(rows, rand), shared && !reshuffleEveryEpoch);
  // A first layer of several units (the MLP) gets its kernel's gradient xᵀ·δ from a transposed
  // copy of each batch: tfjs's wasm backend computes a product with a transposed operand in a
  // generic loop, ~10× slower than the plain one (1.6 vs 0.15 ms at 1024 × 85 × 16). A single
  // unit's (the logistic regression's) is cheap either way: no copy.
  const transposed = plainFirstLayerUnits(model) > 1;
  const xAllT = transposed ? transposedBatches(xAll, cols, batchSize) : null;
  const xValAll = hasVal ? standardizedF32(scaler, XVal) : null;
  const history = historyBeforeEpochs(backend, rows, batchSize);
  let best = Infinity;
  let bestWeights: tf.Tensor[] | null = null;
  let wait = 0;

  for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
    const epochStart = Date.now();
    // 1/√epoch decay: Adam's last iterates settle near the optimum instead of jittering around it.
    (optimizer as unknown as { learningRate: number }).learningRate = options.learningRate / Math.sqrt(epoch);
    if (reshuffleEveryEpoch && epoch > 1) {
      shuffledStandardized(scaler, X, y, seededPermutation(rows, rand), false, { xs: xAll, ys: yAll });
      if (xAllT) transposedBatches(xAll, cols, batchSize, xAllT);
    }
    const order = seededPermutation(nBatches, rand);
    let lossSum = 0;
    for (let k = 0; k < nBatches; k++) {
      const start = order[k] * batchSize;
      const b = Math.min(batchSize, rows - start);
      const cost = tf.tidy(() => {
        const xs = tf.tensor2d(xAll.subarray(start * cols, (start + b) * cols), [b, cols]);
        const xsT = xAllT ? tf.tensor2d(xAllT.subarray(start * cols, (start + b) * cols), [cols, b]) : undefined;
        const ys = tf.tensor2d(yAll.subarray(start, start + b), [b, 1]);
        return optimizer.minimize(
          () => {
            // Mean binary cross-entropy from the logits, log(1 + e^z) − y z (stable, unclipped).
            const z = forward(xs, xsT);
            let loss = tf.mean<tf.Scalar>(tf.sub(tf.softplus(z), tf.mul(ys, z)));
            for (const kernel of kernels) loss = tf.add(loss, tf.mul(options.l2, tf.sum(tf.square(kernel))));
            return loss;
          },
          true,
          trainable,
        )!;
      });
      lossSum += cost.dataSync()[0] * b;
      cost.dispose();
    }
    history.trainLoss.push(lossSum / rows);
    history.epochsRun = epoch;

    if (hasVal) {
      const v = meanLogLoss(yVal, predictStandardized(forward, xValAll!, cols));
      history.valLoss.push(v);
      if (v < best - options.minDelta) {
        best = v;
        history.bestEpoch = epoch;
        bestWeights?.forEach((t) => t.dispose());
        bestWeights = model.getWeights().map((w) => w.clone());
        wait = 0;
      } else if (++wait >= patience && (epoch * nBatches >= options.minSteps || epoch * rows >= options.minRowVisits)) {
        history.stoppedEarly = true;
        break;
      }
    } else {
      history.bestEpoch = epoch;
    }
    history.epochSeconds.push((Date.now() - epochStart) / 1000);
    if (epoch * rows >= options.maxRowVisits && epoch < options.maxEpochs) {
      history.stoppedByBudget = true;
      break;
    }
    if ((Date.now() - t0) / 1000 > options.maxSeconds) {
      history.stoppedByTimeBudget = true;
      break;
    }
  }
  optimizer.dispose();
  if (bestWeights) {
    if (options.restoreBest) model.setWeights(bestWeights);
    else history.bestEpoch = history.epochsRun;
    bestWeights.forEach((t) => t.dispose());
  }
  history.seconds = (Date.now() - t0) / 1000;
  return { history, rows: { xs: xAll, ys: yAll } };
}

/**
 * [index.length * cols] standardised float32 rows in `index` order (rows of X, none twice), with
 * their labels (in shared memory when `shared`, its pages mapped from a second thread meanwhile),
 * written into `into` when given (arrays of those lengths).
 */
function shuffledStandardized(
  scaler: Standardizer,
  X: Float64Array,
  y: Float64Array,
  index: Int32Array,
  shared = false,
  into?: { xs: Float32Array; ys: Float32Array },
): { xs: Float32Array; ys: Float32Array } {
  const cols = scaler.cols;
  const floats = (n: number) => (shared ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n));
  const xs = into?.xs ?? floats(index.length * cols);
  const ys = into?.ys ?? floats(index.length);
  // Where each row of X goes (−1: not in `index`).
  const position = new Int32Array(X.length / cols).fill(-1);
  for (let k = 0; k < index.length; k++) {
    if (position[index[k]] !== -1) throw new Error(`shuffledStandardized: row ${index[k]} is listed twice`);
    position[index[k]] = k;
    ys[k] = y[index[k]];
  }
  const stopPrefault = prefaultPages(xs);
  try {
    scaler.scatterInto(X, position, xs);
  } finally {
    stopPrefault();
  }
  return { xs, ys };
}

/**
 * xs [rows * cols] with each batch of `batchSize` rows (the last one shorter) stored transposed,
 * [cols * b] at the batch's own offset. @returns [rows * cols], `out` when given
 */
export function transposedBatches(xs: Float32Array, cols: number, batchSize: number, out: Float32Array = new Float32Array(xs.length)): Float32Array {
  const rows = xs.length / cols;
  for (let start = 0; start < rows; start += batchSize) {
    const b = Math.min(batchSize, rows - start);
    const base = start * cols;
    for (let i = 0; i < b; i++) for (let j = 0; j < cols; j++) out[base + j * b + i] = xs[base + i * cols + j];
  }
  return out;
}

interface PlainDense {
  l: { kernel?: { read(): tf.Tensor }; bias?: { read(): tf.Tensor }; units: number };
  activation?: string;
}

/** The model's layers when all are Dense (relu / linear hidden layers, a sigmoid output): what `logitsFunction` writes the forward pass from; else null. */
function plainDenseLayers(model: tf.LayersModel): PlainDense[] | null {
  const dense = model.layers.map((layer): PlainDense | null => {
    const config = layer.getConfig() as { activation?: string; useBias?: boolean };
    const l = layer as unknown as PlainDense["l"];
    return layer.getClassName() === "Dense" && l.kernel && (config.useBias === false || l.bias) ? { l, activation: config.activation } : null;
  });
  const layers = dense.filter((d): d is PlainDense => d !== null);
  const plain =
    layers.length > 0 &&
    layers.length === dense.length &&
    layers[layers.length - 1].activation === "sigmoid" &&
    layers.slice(0, -1).every((d) => d.activation === "relu" || d.activation === "linear");
  return plain ? layers : null;
}

/** Units of the first layer when `logitsFunction` writes the forward pass from the Dense layers (0 when it falls back to `model.apply`, which takes no transposed batch). */
function plainFirstLayerUnits(model: tf.LayersModel): number {
  const layers = plainDenseLayers(model);
  return layers ? layers[0].l.units : 0;
}

/** x·W, its gradient in W taken as xT·dy from the given transpose xT = xᵀ (no gradient in x: x is data). */
function matMulWithTranspose(x: tf.Tensor, xT: tf.Tensor, W: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((w) => ({
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => tf.matMul(xT, dy),
  }));
  return op(W);
}

function standardizedF32(scaler: Standardizer, X: Float64Array): Float32Array {
  const rows = X.length / scaler.cols;
  const out = new Float32Array(X.length);
  scaler.transformInto(X, 0, rows, out);
  return out;
}

/** P(completed) for standardised float32 rows through `forward` (in chunks). */
function predictStandardized(forward: (xs: tf.Tensor) => tf.Tensor, Xs: Float32Array, cols: number, chunk = 32768): Float64Array {
  const rows = Xs.length / cols;
  const out = new Float64Array(rows);
  for (let start = 0; start < rows; start += chunk) {
    const b = Math.min(chunk, rows - start);
    const p = tf.tidy(() => tf.sigmoid(forward(tf.tensor2d(Xs.subarray(start * cols, (start + b) * cols), [b, cols]))));
    out.set(p.dataSync(), start);
    p.dispose();
  }
  return out;
}

/**
 * The model's pre-sigmoid output as a function of a [b, cols] batch, built from its Dense
 * layers' variables (relu / linear hidden layers, a sigmoid output). Falls back to
 * `model.apply` + logit for any other layer (e.g. dropout), at the Layers API's speed.
 * `xsT` [cols, b], the batch transposed: the first layer's kernel gradient is taken from it.
 */
export function logitsFunction(model: tf.LayersModel): (xs: tf.Tensor, xsT?: tf.Tensor) => tf.Tensor {
  const layers = plainDenseLayers(model);
  if (!layers) {
    return (xs) => {
      const p = tf.clipByValue(model.apply(xs, { training: true }) as tf.Tensor, 1e-7, 1 - 1e-7);
      return tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
    };
  }
  return (xs, xsT) => {
    let h = xs;
    layers.forEach((d, k) => {
      h = k === 0 && xsT ? matMulWithTranspose(h, xsT, d.l.kernel!.read()) : tf.matMul(h, d.l.kernel!.read());
      if (d.l.bias) h = tf.add(h, d.l.bias.read());
      if (k < layers.length - 1 && d.activation === "relu") h = tf.relu(h);
    });
    return h;
  };
}

/**
 * @param X [rows * cols] raw rows → [rows] P(completed), in float64.
 * Predicts in chunks so 1M rows never need a full float32 copy.
 */
export function predictLayersModel(model: tf.LayersModel, scaler: Standardizer, X: Float64Array, chunk = PREDICT_CHUNK_ROWS): Float64Array {
  const cols = scaler.cols;
  const rows = X.length / cols;
  const out = new Float64Array(rows);
  const buf = new Float32Array(Math.min(chunk, Math.max(rows, 1)) * cols);
  for (let start = 0; start < rows; start += chunk) {
    const b = Math.min(chunk, rows - start);
    scaler.transformInto(X, start, b, buf);
    const xs = tf.tensor2d(buf.subarray(0, b * cols), [b, cols]);
    // Layers predict() defaults to batches of 32, which is ~50× slower here.
    const ps = model.predict(xs, { batchSize: b }) as tf.Tensor;
    out.set(ps.dataSync(), start);
    xs.dispose();
    ps.dispose();
  }
  return out;
}

export function resolveTrainOptions(options: TfjsTrainOptions, defaults: Required<TfjsTrainOptions>): Required<TfjsTrainOptions> {
  const merged = { ...defaults };
  for (const key of Object.keys(options) as (keyof TfjsTrainOptions)[]) {
    const v = options[key];
    if (v !== undefined) (merged as Record<string, unknown>)[key] = v;
  }
  return merged;
}
