/**
 * The training protocol shared by the tfjs models: standardise with training statistics,
 * our own seeded shuffle (tfjs's shuffling is not seeded), mini-batches built on the fly from
 * the Float64Array (never a full float32 copy of X), early stopping on the validation slice
 * with the best weights restored.
 */
import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../common/rng";
import { BackendName, initBackend } from "./backend";
import { meanLogLoss } from "./closedLoop";
import { Standardizer } from "./standardize";
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
}

export const defaultTrainOptions: Required<TfjsTrainOptions> = {
  // 1M × 80 on 2 cores (wasm): ~1.5 s/epoch at 4096; the val loss bottoms out in 2–4 epochs.
  batchSize: 4096,
  maxEpochs: 60,
  patience: 1,
  minDelta: 1e-4,
  learningRate: 0.01,
  l2: 1e-4,
  maxSeconds: Infinity,
  restoreBest: true,
  minSteps: 1500,
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

/** Fisher–Yates permutation of 0..n-1 driven by `rand` (seeded → reproducible). */
export function seededPermutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Trains `model` (already built, one sigmoid output) in place.
 * @param X [rows * cols] raw training rows; y [rows] 0/1.
 */
export async function trainLayersModel(
  model: tf.LayersModel,
  scaler: Standardizer,
  X: Float64Array,
  y: Float64Array,
  fitOptions: FitOptions,
  options: Required<TfjsTrainOptions>,
): Promise<TfjsHistory> {
  const t0 = Date.now();
  const backend = (await initBackend()).name;
  const rows = y.length;
  const cols = inferCols(X, rows, "tfjs fit");
  checkLabels(y, "tfjs fit");
  const { XVal, yVal } = fitOptions;
  const hasVal = !!XVal && !!yVal && yVal.length > 0;
  const rand = mulberry32((fitOptions.seed ?? 0) ^ 0x5eed);

  model.compile({ optimizer: tf.train.adam(options.learningRate), loss: "binaryCrossentropy" });

  const batchSize = Math.min(options.batchSize, autoBatchSize(rows), rows);
  const patience = Math.max(options.patience, hasVal ? autoPatience(yVal!.length) : 0);
  const xBuf = new Float32Array(batchSize * cols);
  const yBuf = new Float32Array(batchSize);
  const history: TfjsHistory = {
    trainLoss: [],
    valLoss: [],
    epochsRun: 0,
    bestEpoch: 0,
    stoppedEarly: false,
    backend,
    seconds: 0,
    epochSeconds: [],
  };
  let best = Infinity;
  let bestWeights: tf.Tensor[] | null = null;
  let wait = 0;

  for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
    const epochStart = Date.now();
    // 1/√epoch decay: Adam's last iterates settle near the optimum instead of jittering around it.
    if (epoch > 1) model.compile({ optimizer: tf.train.adam(options.learningRate / Math.sqrt(epoch)), loss: "binaryCrossentropy" });
    const order = seededPermutation(rows, rand);
    let lossSum = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const b = Math.min(batchSize, rows - start);
      const index = order.subarray(start, start + b);
      scaler.gatherInto(X, index, xBuf);
      for (let r = 0; r < b; r++) yBuf[r] = y[index[r]];
      const xs = tf.tensor2d(xBuf.subarray(0, b * cols), [b, cols]);
      const ys = tf.tensor2d(yBuf.subarray(0, b), [b, 1]);
      const loss = await model.trainOnBatch(xs, ys);
      xs.dispose();
      ys.dispose();
      lossSum += (Array.isArray(loss) ? loss[0] : loss) * b;
    }
    history.trainLoss.push(lossSum / rows);
    history.epochsRun = epoch;

    if (hasVal) {
      const v = meanLogLoss(yVal!, predictLayersModel(model, scaler, XVal!));
      history.valLoss.push(v);
      if (v < best - options.minDelta) {
        best = v;
        history.bestEpoch = epoch;
        bestWeights?.forEach((t) => t.dispose());
        bestWeights = model.getWeights().map((w) => w.clone());
        wait = 0;
      } else if (++wait >= patience && epoch * Math.ceil(rows / batchSize) >= options.minSteps) {
        history.stoppedEarly = true;
        break;
      }
    } else {
      history.bestEpoch = epoch;
    }
    history.epochSeconds.push((Date.now() - epochStart) / 1000);
    if ((Date.now() - t0) / 1000 > options.maxSeconds) break;
  }
  if (bestWeights) {
    if (options.restoreBest) model.setWeights(bestWeights);
    else history.bestEpoch = history.epochsRun;
    bestWeights.forEach((t) => t.dispose());
  }
  history.seconds = (Date.now() - t0) / 1000;
  return history;
}

/**
 * @param X [rows * cols] raw rows → [rows] P(completed), in float64.
 * Predicts in chunks so 1M rows never need a full float32 copy.
 */
export function predictLayersModel(model: tf.LayersModel, scaler: Standardizer, X: Float64Array, chunk = 16384): Float64Array {
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
