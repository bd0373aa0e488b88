/**
 * Worker-thread body for `trainModels`: fits the closed-loop logistic regression (pure JS,
 * deterministic) on the transferred float32 standardised training rows (the main thread ran
 * `prepareFit`: input checks, standardisation statistics, the float32 copy) while the main
 * thread trains the other models, and posts back the fitted numbers (the main thread adds the
 * validation loss). Imports only the closed-loop model (no tfjs). Started by
 * `closedLoopInWorker` in ./train.
 */
import { parentPort, workerData } from "worker_threads";
import { ClosedLoopLogistic } from "../model/closedLoop";

export interface ClosedLoopJob {
  /** [rows * cols] `prepareFit`'s float32 standardised copy of the training rows. */
  Xs: Float32Array;
  y: Float64Array;
  /** The standardisation statistics `prepareFit` fitted. */
  mean: Float64Array;
  std: Float64Array;
  seed: number;
}

/** `error` set: the fit threw (name / message / stack); otherwise the fitted numbers. */
export interface ClosedLoopReply {
  error?: { name: string; message: string; stack?: string };
  weights?: Float64Array;
  intercept?: number;
  mean?: Float64Array;
  std?: Float64Array;
  cols?: number;
  history?: ClosedLoopLogistic["history"];
  trainSeconds?: number;
}

if (parentPort) {
  const port = parentPort;
  const job = workerData as ClosedLoopJob;
  let reply: ClosedLoopReply;
  try {
    const started = Date.now();
    const model = new ClosedLoopLogistic();
    model.scaler.setStats(job.mean, job.std);
    model.fitStandardized(job.Xs, job.y, { seed: job.seed });
    const trainSeconds = (Date.now() - started) / 1000;
    reply = { weights: model.weights, intercept: model.intercept, mean: model.scaler.mean, std: model.scaler.std, cols: model.scaler.cols, history: model.history, trainSeconds };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { error: { name: err.name, message: err.message, stack: err.stack } };
  }
  port.postMessage(reply);
}
