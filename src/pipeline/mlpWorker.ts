/**
 * Worker-thread body for `trainModels`: trains the tfjs MLP (its own tfjs + backend
 * instance, same seed) on the transferred training subsample and validation rows while the
 * main thread trains the other models, and posts back the trained weights and history. The
 * main thread rebuilds the network from them and scores every row itself (only the ≤ 200k
 * subsampled rows cross the thread boundary, not all of X). Started by `mlpInWorker` in ./train.
 */
import { parentPort, workerData } from "worker_threads";
import { TfjsMlp } from "../model/tfjsMlp";
import { initBackend } from "../model/backend";

export interface MlpJob {
  /** [sample rows * cols] the seeded subsample `seededSubsample` drew (raw values). */
  X: Float64Array;
  y: Float64Array;
  XVal: Float64Array;
  yVal: Float64Array;
  /** Training rows before subsampling. */
  rowsGiven: number;
  /** Standardisation statistics fitted on every training row by the main thread. */
  mean: Float64Array;
  std: Float64Array;
  seed: number;
}

/** `error` set: training threw (name / message / stack); otherwise the trained numbers. */
export interface MlpReply {
  error?: { name: string; message: string; stack?: string };
  weights?: { shape: number[]; values: Float32Array }[];
  history?: TfjsMlp["history"];
  backend?: string;
  trainSeconds?: number;
}

if (parentPort) {
  const port = parentPort;
  const job = workerData as MlpJob;
  void (async () => {
    let reply: MlpReply;
    try {
      const started = Date.now();
      const backend = (await initBackend()).name;
      const model = new TfjsMlp();
      model.scaler.setStats(job.mean, job.std);
      await model.fitSample(job.X, job.y, job.rowsGiven, { XVal: job.XVal, yVal: job.yVal, seed: job.seed });
      const weights = model.exportWeights();
      model.dispose();
      reply = { weights, history: model.history, backend, trainSeconds: (Date.now() - started) / 1000 };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      reply = { error: { name: err.name, message: err.message, stack: err.stack } };
    }
    port.postMessage(reply, (reply.weights ?? []).map((w) => w.values.buffer as ArrayBuffer));
  })();
}
