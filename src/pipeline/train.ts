/**
 * Stage 3: fit every model on the training rows, stop early / calibrate on the
 * validation rows, and score every feature row. Test rows are only scored here.
 *
 * Models (all seeded):
 * - tfjs_logistic         one dense sigmoid unit in tfjs (the primary model)
 * - closed_loop_logistic  the original design's hand-written full-batch gradient descent
 * - prior_heuristic       1 − blend of the track/artist train skip rates
 * - popularity            train play count
 * - tfjs_mlp              one small hidden layer, for interactions
 * - leaky_reference       tfjs_logistic plus the same play's reason_end / ms_played: NOT deployable
 */
import {
  ClosedLoopLogistic,
  PlattCalibrator,
  PopularityModel,
  PriorHeuristic,
  TfjsLogistic,
  TfjsMlp,
  initBackend,
  selectRole,
} from "../model";
import type { BackendInfo, Classifier, ClosedLoopHistory, LinearCoefficients, TfjsHistory } from "../model";
import type { FeatureSet } from "../features";
import type { Prepared } from "./prepare";
import type { PipelineParams } from "./params";
import type { Progress } from "./progress";
import { silentProgress } from "./progress";

export const PRIMARY_MODEL = "tfjs_logistic";

export interface ModelResult {
  name: string;
  deployable: boolean;
  description: string;
  trainSeconds: number;
  /** [rows] the model's own score for every feature row. */
  raw: Float64Array;
  /** [rows] after Platt scaling fitted on the validation rows (= raw when it could not be fitted). */
  calibrated: Float64Array;
  calibration: { method: "platt"; a: number; b: number } | { method: "none"; reason: string };
}

/** The primary model as plain numbers: enough to score new rows without tfjs (recommendations). */
export interface LinearScorerParams {
  featureNames: string[];
  mean: number[];
  std: number[];
  /** Weights on standardised inputs. */
  weights: number[];
  intercept: number;
  platt: { a: number; b: number } | null;
}

export interface ModelRun {
  backend: BackendInfo;
  featureNames: string[];
  models: ModelResult[];
  primary: string;
  primaryScorer: LinearScorerParams;
  coefficients: Record<string, LinearCoefficients>;
  histories: { tfjs_logistic: TfjsHistory | null; tfjs_mlp: TfjsHistory | null; closed_loop_logistic: ClosedLoopHistory };
}

interface ModelSpec {
  name: string;
  deployable: boolean;
  description: string;
  leaky?: boolean;
  make: (fs: FeatureSet) => Classifier;
}

function modelSpecs(): ModelSpec[] {
  return [
    { name: "tfjs_logistic", deployable: true, description: "logistic regression, one dense sigmoid unit in tfjs", make: () => new TfjsLogistic() },
    { name: "closed_loop_logistic", deployable: true, description: "logistic regression by hand-written full-batch gradient descent", make: () => new ClosedLoopLogistic() },
    { name: "prior_heuristic", deployable: true, description: "1 − blend of track and artist train skip rates", make: (fs) => new PriorHeuristic(fs.names) },
    { name: "popularity", deployable: true, description: "track play count in the training window", make: (fs) => new PopularityModel(fs.names) },
    { name: "tfjs_mlp", deployable: true, description: "one hidden layer (tfjs), for interactions", make: () => new TfjsMlp() },
    {
      name: "leaky_reference",
      deployable: false,
      description: "tfjs logistic WITH the same play's reason_end and ms_played: leaks the label, not deployable",
      leaky: true,
      make: () => new TfjsLogistic(),
    },
  ];
}

export const MODEL_NAMES = modelSpecs().map((s) => s.name);

/** Platt scaling fitted on validation rows only; null with a reason when it cannot be fitted. */
function calibrate(raw: Float64Array, fs: FeatureSet): ModelResult["calibration"] & { apply?: PlattCalibrator } {
  const val = [] as number[];
  const yVal = [] as number[];
  for (let i = 0; i < fs.rows; i++) {
    if (fs.role[i] === 1) {
      val.push(raw[i]);
      yVal.push(fs.y[i]);
    }
  }
  const positives = yVal.reduce((s, v) => s + v, 0);
  if (val.length === 0) return { method: "none", reason: "no validation rows" };
  if (positives === 0 || positives === yVal.length) return { method: "none", reason: "validation rows hold one class only" };
  const platt = new PlattCalibrator().fit(val, yVal);
  return { method: "platt", a: platt.a, b: platt.b, apply: platt };
}

/**
 * Training rows × columns from which the closed-loop model trains in a worker thread,
 * concurrently with the models after it (prior_heuristic … tfjs_mlp) on the main thread.
 * Below it (data-sample, tests, ~100k plays) starting a thread costs more than it saves.
 * The results are identical either way (the fit is deterministic and pure JS); set
 * `workerMinCells` to 0 to force the worker, Infinity to disable it.
 */
export const concurrency = { workerMinCells: 10_000_000 };

interface PendingClosedLoop {
  result: Promise<{ model: ClosedLoopLogistic; trainSeconds: number }>;
}

/**
 * Starts fitting a ClosedLoopLogistic in a worker on copies of the rows (transferred, not
 * shared). The worker loads TypeScript through tsx's CommonJS hook, so it works under the
 * tsx CLI, `node --import tsx` and the notebooks' kernel alike. Null when a worker cannot
 * be started (the caller then trains inline); errors thrown by the fit are rethrown with
 * their message.
 */
function closedLoopInWorker(X: Float64Array, y: Float64Array, XVal: Float64Array, yVal: Float64Array, seed: number): PendingClosedLoop | null {
  let worker: import("worker_threads").Worker;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Worker } = require("worker_threads") as typeof import("worker_threads");
    const tsxCjs = require.resolve("tsx/cjs");
    const file = require("path").join(__dirname, "closedLoopWorker.ts") as string;
    const job = { X: X.slice(), y: y.slice(), XVal: XVal.slice(), yVal: yVal.slice(), seed };
    worker = new Worker(`require(${JSON.stringify(tsxCjs)}); require(${JSON.stringify(file)});`, {
      eval: true,
      workerData: job,
      transferList: [job.X.buffer, job.y.buffer, job.XVal.buffer, job.yVal.buffer],
    });
  } catch {
    return null;
  }
  const result = new Promise<{ model: ClosedLoopLogistic; trainSeconds: number }>((resolve, reject) => {
    let settled = false;
    worker.once("message", (reply: import("./closedLoopWorker").ClosedLoopReply) => {
      settled = true;
      void worker.terminate();
      if (reply.error) {
        const err = new Error(reply.error.message);
        err.name = reply.error.name;
        if (reply.error.stack) err.stack = reply.error.stack;
        reject(err);
        return;
      }
      const std = reply.std as Float64Array;
      const model = new ClosedLoopLogistic();
      model.weights = new Float64Array(reply.weights as Float64Array);
      model.intercept = reply.intercept as number;
      model.history = reply.history as ClosedLoopLogistic["history"];
      Object.assign(model.scaler, { mean: reply.mean, std, cols: reply.cols, invStd: std.map((v) => 1 / v) });
      resolve({ model, trainSeconds: reply.trainSeconds as number });
    });
    worker.once("error", (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`closed-loop worker exited with code ${code} before replying`));
      settled = true;
    });
  });
  return { result };
}

export async function trainModels(prepared: Prepared, params: PipelineParams, progress: Progress = silentProgress): Promise<ModelRun> {
  const backend = await initBackend();
  const specs = modelSpecs();
  const slots: (ModelResult | undefined)[] = specs.map(() => undefined);
  const coefficients: Record<string, LinearCoefficients> = {};
  const histories: ModelRun["histories"] = { tfjs_logistic: null, tfjs_mlp: null, closed_loop_logistic: { loss: [], iterations: 0, converged: false, valLoss: null, seconds: 0 } };
  let primaryScorer: LinearScorerParams | null = null;

  /** Scores every row with a fitted model, calibrates, records it in its slot. */
  const finish = (k: number, spec: ModelSpec, fs: FeatureSet, model: Classifier, trainSeconds: number, note = "") => {
    const raw = model.predictProba(fs.X);
    const { apply, ...calibration } = calibrate(raw, fs);
    const calibrated = apply ? apply.predict(raw) : raw;
    slots[k] = { name: spec.name, deployable: spec.deployable, description: spec.description, trainSeconds, raw, calibrated, calibration };

    if (model instanceof TfjsLogistic) {
      coefficients[spec.name] = model.coefficients();
      if (spec.name === PRIMARY_MODEL) {
        histories.tfjs_logistic = model.history;
        const { mean, std } = model.scaler.toJSON();
        const coef = coefficients[spec.name];
        primaryScorer = {
          featureNames: fs.names.slice(),
          mean,
          std,
          weights: Array.from(coef.weights),
          intercept: coef.intercept,
          platt: calibration.method === "platt" ? { a: calibration.a, b: calibration.b } : null,
        };
      }
      model.dispose();
    } else if (model instanceof ClosedLoopLogistic) {
      coefficients[spec.name] = model.coefficients();
      histories.closed_loop_logistic = model.history;
    } else if (model instanceof TfjsMlp) {
      histories.tfjs_mlp = model.history;
      model.dispose();
    }
    progress.done(spec.name, `${trainSeconds.toFixed(1)} s${note}`);
  };

  let pending: { k: number; spec: ModelSpec; job: PendingClosedLoop } | null = null;
  const join = async () => {
    if (!pending) return;
    const { k, spec, job } = pending;
    pending = null;
    const { model, trainSeconds } = await job.result;
    finish(k, spec, prepared.features, model, trainSeconds, " (in a worker thread, alongside the next models)");
  };

  try {
    for (let k = 0; k < specs.length; k++) {
      const spec = specs[k];
      // The leaky stage holds the most memory: the worker's copies must be gone by then.
      if (spec.leaky) await join();
      progress.start(spec.name);
      const fs = spec.leaky ? prepared.leaky : prepared.features;
      const train = selectRole(fs, 0);
      const val = selectRole(fs, 1);
      if (train.y.length === 0) throw new Error("no labelled plays in the training window");
      if (spec.name === "closed_loop_logistic" && train.X.length >= concurrency.workerMinCells) {
        const job = closedLoopInWorker(train.X, train.y, val.X, val.y, params.seed);
        if (job) {
          pending = { k, spec, job };
          continue;
        }
      }
      const started = Date.now();
      const model = spec.make(fs);
      await model.fit(train.X, train.y, { XVal: val.X, yVal: val.y, seed: params.seed });
      finish(k, spec, fs, model, (Date.now() - started) / 1000);
    }
    await join();
  } finally {
    // On an error elsewhere, do not leave the worker's rejection unhandled.
    if (pending) (pending as { job: PendingClosedLoop }).job.result.catch(() => undefined);
  }
  if (!primaryScorer) throw new Error("the primary model was not trained");
  const models = slots.filter((m): m is ModelResult => m !== undefined);
  return { backend, featureNames: prepared.features.names.slice(), models, primary: PRIMARY_MODEL, primaryScorer, coefficients, histories };
}

/**
 * Scores raw feature rows with the primary model's saved numbers (standardise → linear →
 * sigmoid → Platt). @param X [rows * cols] @returns [rows] calibrated P(completed)
 */
export function linearScorer(params: LinearScorerParams): (X: Float64Array, rows: number, cols: number) => Float64Array {
  const platt = params.platt ? Object.assign(new PlattCalibrator(), params.platt) : null;
  return (X, rows, cols) => {
    if (cols !== params.weights.length) throw new Error(`scorer expects ${params.weights.length} columns, got ${cols}`);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let z = params.intercept;
      for (let j = 0; j < cols; j++) z += (params.weights[j] * (X[i * cols + j] - params.mean[j])) / params.std[j];
      out[i] = 1 / (1 + Math.exp(-z));
    }
    return platt ? platt.predict(out) : out;
  };
}
