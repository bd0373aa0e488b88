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
  Standardizer,
  inferCols,
  meanLogLoss,
  seededSubsample,
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
 * Training rows × columns from which the closed-loop model and the tfjs MLP each train in a
 * worker thread, concurrently with the models on the main thread. Below it (data-sample,
 * tests, ~100k plays) starting a thread costs more than it saves. The results are identical
 * either way (both fits are deterministic: the closed loop is pure JS, the MLP runs the same
 * seeded tfjs code on the same backend in its own tfjs instance); set `workerMinCells` to 0
 * to force the workers, Infinity to disable them.
 */
export const concurrency = { workerMinCells: 10_000_000 };

interface PendingClosedLoop {
  /** null: the worker failed without replying; train inline. */
  result: Promise<{ model: ClosedLoopLogistic; trainSeconds: number } | null>;
}

interface PendingMlp {
  result: Promise<{ model: TfjsMlp; trainSeconds: number } | null>;
}

type WorkerError = { name: string; message: string; stack?: string };

/**
 * Starts `file` (a sibling .ts module) in a worker thread with `job` as its workerData
 * (`transfer` moved, not copied) and resolves with its one reply. The worker loads
 * TypeScript through tsx's CommonJS hook, so it works under the tsx CLI, `node --import tsx`
 * and the notebooks' kernel alike. Null when a worker cannot be started (the caller then
 * trains inline); an error posted by the worker is rethrown with its name, message and stack;
 * a worker that fails without replying rejects with `workerFailure` set (see `orInline`).
 */
function runInWorker<R extends { error?: WorkerError }>(file: string, job: object, transfer: ArrayBufferLike[], what: string): Promise<R> | null {
  let worker: import("worker_threads").Worker;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Worker } = require("worker_threads") as typeof import("worker_threads");
    const tsxCjs = require.resolve("tsx/cjs");
    const full = require("path").join(__dirname, file) as string;
    worker = new Worker(`require(${JSON.stringify(tsxCjs)}); require(${JSON.stringify(full)});`, {
      eval: true,
      workerData: job,
      transferList: transfer as ArrayBuffer[],
    });
  } catch {
    return null;
  }
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    worker.once("message", (reply: R) => {
      settled = true;
      void worker.terminate();
      if (reply.error) {
        const err = new Error(reply.error.message);
        err.name = reply.error.name;
        if (reply.error.stack) err.stack = reply.error.stack;
        reject(err);
        return;
      }
      resolve(reply);
    });
    // The worker itself failed (could not load its modules, crashed, exited): not a training
    // error, so the caller trains inline instead (where a real problem throws as it would have).
    worker.once("error", (e) => {
      if (!settled) reject(Object.assign(e instanceof Error ? e : new Error(String(e)), { workerFailure: true }));
      settled = true;
    });
    worker.once("exit", (code) => {
      if (!settled) reject(Object.assign(new Error(`${what} worker exited with code ${code} before replying`), { workerFailure: true }));
      settled = true;
    });
  });
}

/** Resolves null (train inline) when the worker failed without replying; training errors pass through. */
function orInline<T>(p: Promise<T>): Promise<T | null> {
  return p.catch((e: unknown) => {
    if (e && typeof e === "object" && (e as { workerFailure?: boolean }).workerFailure) return null;
    throw e;
  });
}

/**
 * Starts fitting a ClosedLoopLogistic in a worker: the main thread runs `prepareFit` (input
 * checks, standardisation, the float32 copy) and transfers only that copy and the labels; after
 * the join it adds the validation loss exactly as `fit` computes it. Null when the job cannot
 * be prepared or no worker can be started: the caller then trains inline, where any input
 * error is thrown as before.
 */
function closedLoopInWorker(X: Float64Array, y: Float64Array, XVal: Float64Array, yVal: Float64Array, seed: number): PendingClosedLoop | null {
  let job: import("./closedLoopWorker").ClosedLoopJob;
  try {
    const prep = new ClosedLoopLogistic();
    const Xs = prep.prepareFit(X, y);
    job = { Xs, y: y.slice(), mean: prep.scaler.mean.slice(), std: prep.scaler.std.slice(), seed };
  } catch {
    return null;
  }
  const reply = runInWorker<import("./closedLoopWorker").ClosedLoopReply>(
    "closedLoopWorker.ts",
    job,
    [job.Xs.buffer, job.y.buffer, job.mean.buffer, job.std.buffer],
    "closed-loop",
  );
  if (!reply) return null;
  return {
    result: orInline(reply).then((r) => {
      if (!r) return null;
      const std = r.std as Float64Array;
      const model = new ClosedLoopLogistic();
      model.weights = new Float64Array(r.weights as Float64Array);
      model.intercept = r.intercept as number;
      model.history = r.history as ClosedLoopLogistic["history"];
      model.scaler.setStats(r.mean as Float64Array, std);
      if (yVal.length > 0) model.history.valLoss = meanLogLoss(yVal, model.predictProba(XVal));
      return { model, trainSeconds: r.trainSeconds as number };
    }),
  };
}

/**
 * Starts training a default TfjsMlp in a worker: the main thread fits the standardisation on
 * every training row and draws the seeded subsample exactly as `TfjsMlp.fit` does, and sends
 * only that subsample and the validation rows; the worker runs `fitSample` and returns the
 * weights, from which the main thread rebuilds the network (and scores every row). Null when
 * the job cannot be prepared or no worker can be started: the caller then trains inline, where
 * any input error is thrown as before. Resolves null if the worker's tfjs backend differs from
 * the main thread's (the numbers would differ): the caller then retrains inline.
 */
function mlpInWorker(X: Float64Array, y: Float64Array, XVal: Float64Array, yVal: Float64Array, seed: number, backend: string): PendingMlp | null {
  let job: import("./mlpWorker").MlpJob;
  let scaler: Standardizer;
  try {
    const cols = inferCols(X, y.length, "TfjsMlp.fit");
    scaler = new Standardizer().fit(X, y.length, cols);
    const sample = seededSubsample(X, y, cols, new TfjsMlp().maxTrainRows, seed);
    // The subsample is a fresh array at scale; otherwise the inputs (possibly views of X): copy.
    const fresh = sample.y !== y;
    job = {
      X: fresh ? sample.X : X.slice(),
      y: fresh ? sample.y : y.slice(),
      XVal: XVal.slice(),
      yVal: yVal.slice(),
      rowsGiven: y.length,
      mean: scaler.mean.slice(),
      std: scaler.std.slice(),
      seed,
    };
  } catch {
    return null;
  }
  const reply = runInWorker<import("./mlpWorker").MlpReply>(
    "mlpWorker.ts",
    job,
    [job.X.buffer, job.y.buffer, job.XVal.buffer, job.yVal.buffer, job.mean.buffer, job.std.buffer],
    "tfjs_mlp",
  );
  if (!reply) return null;
  return {
    result: orInline(reply).then(async (r) => {
      if (!r || r.backend !== backend) return null;
      const model = await new TfjsMlp().restore(r.weights!, scaler.mean, scaler.std, r.history!, seed);
      return { model, trainSeconds: r.trainSeconds as number };
    }),
  };
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
  let pendingMlp: { k: number; spec: ModelSpec; job: PendingMlp } | null = null;
  const trainInline = async (k: number, spec: ModelSpec) => {
    progress.start(spec.name);
    const fs = spec.leaky ? prepared.leaky : prepared.features;
    const train = selectRole(fs, 0);
    const val = selectRole(fs, 1);
    if (train.y.length === 0) throw new Error("no labelled plays in the training window");
    const started = Date.now();
    const model = spec.make(fs);
    await model.fit(train.X, train.y, { XVal: val.X, yVal: val.y, seed: params.seed });
    finish(k, spec, fs, model, (Date.now() - started) / 1000);
  };

  const join = async () => {
    if (!pending) return;
    const { k, spec, job } = pending;
    pending = null;
    const done = await job.result;
    if (done) finish(k, spec, prepared.features, done.model, done.trainSeconds, " (in a worker thread, alongside the other models)");
    else await trainInline(k, spec);
  };

  try {
    // Both workers start first, so they overlap every main-thread stage. The closed loop is
    // joined before leaky_reference (the stage with the memory peak: the leaky matrix is built
    // for it); the MLP's worker holds only its ≤ 200k-row subsample and keeps training through
    // leaky_reference, then the main thread scores every row with the returned weights.
    {
      const train = selectRole(prepared.features, 0);
      if (train.y.length > 0 && train.X.length >= concurrency.workerMinCells) {
        const val = selectRole(prepared.features, 1);
        const clk = specs.findIndex((s) => s.name === "closed_loop_logistic");
        if (clk >= 0) {
          progress.start(specs[clk].name);
          const job = closedLoopInWorker(train.X, train.y, val.X, val.y, params.seed);
          if (job) pending = { k: clk, spec: specs[clk], job };
        }
        const mlpk = specs.findIndex((s) => s.name === "tfjs_mlp");
        if (mlpk >= 0) {
          progress.start(specs[mlpk].name);
          const job = mlpInWorker(train.X, train.y, val.X, val.y, params.seed, backend.name);
          if (job) pendingMlp = { k: mlpk, spec: specs[mlpk], job };
        }
      }
    }
    for (let k = 0; k < specs.length; k++) {
      const spec = specs[k];
      if (pending?.k === k || pendingMlp?.k === k) continue;
      // The leaky stage holds the most memory: the closed-loop worker's copy must be gone by then.
      if (spec.leaky) await join();
      await trainInline(k, spec);
    }
    await join();
    if (pendingMlp) {
      const { k, spec, job } = pendingMlp;
      pendingMlp = null;
      const done = await job.result;
      // null: the worker failed without replying, or its tfjs backend differed from this
      // thread's (the numbers would differ): train here instead.
      if (done) finish(k, spec, prepared.features, done.model, done.trainSeconds, " (in a worker thread, alongside the other models)");
      else await trainInline(k, spec);
    }
  } finally {
    // On an error elsewhere, do not leave the worker's rejection unhandled.
    if (pending) (pending as { job: PendingClosedLoop }).job.result.catch(() => undefined);
    if (pendingMlp) (pendingMlp as { job: PendingMlp }).job.result.catch(() => undefined);
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
