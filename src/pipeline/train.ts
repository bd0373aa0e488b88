/**
 * Stage 3: fit every model on the training rows, choose λ / stop early / calibrate on the
 * validation rows, and score every feature row. Test rows are only scored here.
 *
 * Models (all seeded):
 * - tfjs_logistic         one dense sigmoid unit in tfjs (the primary model)
 * - closed_loop_logistic  the seed design's hand-written full-batch gradient descent; both
 *                         logistic regressions minimise the same penalised log loss, with the
 *                         λ `chooseL2` picks on the validation slice, to `GRADIENT_TOLERANCE`
 * - prior_heuristic       1 − blend of the track/artist train skip rates
 * - popularity            train play count
 * - tfjs_mlp              one small hidden layer, for interactions
 * - leaky_reference       tfjs_logistic plus the same play's reason_end / ms_played: NOT deployable
 */
import {
  ClosedLoopLogistic,
  DEFAULT_L2,
  GRADIENT_TOLERANCE,
  PopularityModel,
  PriorHeuristic,
  TfjsLogistic,
  TfjsMlp,
  chooseL2,
  fitInWorker,
  initBackend,
  plattOnValidation,
  selectRole,
} from "../model";
import type { BackendInfo, Classifier, ClosedLoopHistory, L2Choice, LinearCoefficients, LinearScorerParams, TfjsHistory } from "../model";
import type { FeatureSet } from "../features";
import type { Prepared } from "./prepare";
import type { PipelineParams } from "./params";
import type { Progress } from "./progress";
import { silentProgress } from "./progress";

export { linearScorer } from "../model";
export type { LinearScorerParams } from "../model";

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

export interface ModelRun {
  backend: BackendInfo;
  featureNames: string[];
  models: ModelResult[];
  primary: string;
  primaryScorer: LinearScorerParams;
  coefficients: Record<string, LinearCoefficients>;
  histories: { tfjs_logistic: TfjsHistory | null; tfjs_mlp: TfjsHistory | null; closed_loop_logistic: ClosedLoopHistory };
  /** The λ both logistic regressions (and the leaky reference) minimise with, and how it was chosen. */
  regularisation: L2Choice;
  /** Both logistic regressions stop when every gradient component is at most this. */
  gradientTolerance: number;
}

/** How `trainModels` trains: options object, no module state. */
export interface TrainOptions {
  /**
   * Training rows × columns from which the models that can (`fitJob`) each train in a worker
   * thread, concurrently with the models on the main thread. Below it (data-sample, tests,
   * ~100k plays) starting a thread costs more than it saves. The results are identical either
   * way (the fits are deterministic: the closed loop is pure JS, the MLP runs the same seeded
   * tfjs code on the same backend in its own tfjs instance); 0 forces the workers, Infinity
   * disables them.
   */
  workerMinCells?: number;
  /** Train just these models (e.g. the primary for each rule of `--compare-labels`); must include the primary. */
  only?: string[];
}

export const DEFAULT_WORKER_MIN_CELLS = 10_000_000;

/** The three models whose histories model_metrics.json reports, created per run, and the λ of the logistic ones. */
interface CoreModels {
  l2: number;
  tfjsLogistic: TfjsLogistic;
  closedLoop: ClosedLoopLogistic;
  mlp: TfjsMlp;
}

interface ModelSpec {
  name: string;
  deployable: boolean;
  description: string;
  /** Trains on `Prepared.leaky` (the label-leaking reference), not the deployable features. */
  leaky?: boolean;
  /** Its coefficients and standardisation become `ModelRun.primaryScorer`. */
  primary?: boolean;
  /**
   * At scale, trains in a worker thread started before the main-thread models. "before-leaky":
   * joined before the leaky stage (the memory peak: the leaky matrix is built then), because
   * its job holds a full copy of the training rows; "last": joined at the end.
   */
  worker?: "before-leaky" | "last";
  make: (fs: FeatureSet) => Classifier;
}

function modelSpecs(m: CoreModels): ModelSpec[] {
  return [
    { name: "tfjs_logistic", deployable: true, primary: true, description: "logistic regression, one dense sigmoid unit in tfjs", make: () => m.tfjsLogistic },
    {
      name: "closed_loop_logistic",
      deployable: true,
      worker: "before-leaky",
      description: "logistic regression by hand-written full-batch gradient descent",
      make: () => m.closedLoop,
    },
    { name: "prior_heuristic", deployable: true, description: "1 − blend of track and artist train skip rates", make: (fs) => new PriorHeuristic(fs.names) },
    { name: "popularity", deployable: true, description: "track play count in the training window", make: (fs) => new PopularityModel(fs.names) },
    // Its worker holds only the ≤ 200k-row subsample, so it keeps training through leaky_reference.
    { name: "tfjs_mlp", deployable: true, worker: "last", description: "one hidden layer (tfjs), for interactions", make: () => m.mlp },
    {
      name: "leaky_reference",
      deployable: false,
      description: "tfjs logistic WITH the same play's reason_end and ms_played: leaks the label, not deployable",
      leaky: true,
      make: () => new TfjsLogistic({ l2: m.l2 }),
    },
  ];
}

function coreModels(l2: number): CoreModels {
  return { l2, tfjsLogistic: new TfjsLogistic({ l2 }), closedLoop: new ClosedLoopLogistic({ l2 }), mlp: new TfjsMlp() };
}

export const MODEL_NAMES = modelSpecs(coreModels(DEFAULT_L2)).map((s) => s.name);

/** A worker-thread fit under way: resolves false when the model must be trained inline instead. */
interface PendingFit {
  k: number;
  spec: ModelSpec;
  model: Classifier;
  done: Promise<{ seconds: number } | null>;
}

export async function trainModels(prepared: Prepared, params: PipelineParams, progress: Progress = silentProgress, options: TrainOptions = {}): Promise<ModelRun> {
  const backend = await initBackend();
  const regularisation = chooseL2(selectRole(prepared.features, 0), selectRole(prepared.features, 1));
  const core = coreModels(regularisation.l2);
  const specs = modelSpecs(core).filter((s) => !options.only || options.only.includes(s.name));
  const slots: (ModelResult | undefined)[] = specs.map(() => undefined);
  const coefficients: Record<string, LinearCoefficients> = {};
  let primaryScorer: LinearScorerParams | null = null;
  const fitOptions = (fs: FeatureSet) => {
    const val = selectRole(fs, 1);
    return { XVal: val.X, yVal: val.y, seed: params.seed };
  };

  /** Scores every row with a fitted model, calibrates, records it in its slot, frees it. */
  const finish = (k: number, fs: FeatureSet, model: Classifier, trainSeconds: number, note = "") => {
    const spec = specs[k];
    const raw = model.predictProba(fs.X);
    const fitted = plattOnValidation(raw, fs.y, fs.role);
    const calibration: ModelResult["calibration"] = fitted.method === "platt" ? { method: "platt", a: fitted.a, b: fitted.b } : fitted;
    const calibrated = fitted.method === "platt" ? fitted.platt.predict(raw) : raw;
    slots[k] = { name: spec.name, deployable: spec.deployable, description: spec.description, trainSeconds, raw, calibrated, calibration };
    if (model.coefficients) coefficients[spec.name] = model.coefficients();
    if (spec.primary) {
      const coef = coefficients[spec.name];
      if (!coef || !model.scaler) throw new Error(`the primary model ${spec.name} is not a standardised linear model`);
      const { mean, std } = model.scaler.toJSON();
      primaryScorer = {
        featureNames: fs.names.slice(),
        mean,
        std,
        weights: Array.from(coef.weights),
        intercept: coef.intercept,
        platt: fitted.method === "platt" ? { a: fitted.a, b: fitted.b } : null,
      };
    }
    model.dispose?.();
    progress.done(spec.name, `${trainSeconds.toFixed(1)} s${note}`);
  };

  const trainInline = async (k: number, model?: Classifier) => {
    const spec = specs[k];
    progress.start(spec.name);
    const fs = spec.leaky ? prepared.leaky() : prepared.features;
    const train = selectRole(fs, 0);
    if (train.y.length === 0) throw new Error("no labelled plays in the training window");
    const started = Date.now();
    const fitted = model ?? spec.make(fs);
    await fitted.fit(train.X, train.y, fitOptions(fs));
    finish(k, fs, fitted, (Date.now() - started) / 1000);
  };

  const pending: PendingFit[] = [];
  const join = async (which: (p: PendingFit) => boolean) => {
    for (const p of pending.filter(which)) {
      pending.splice(pending.indexOf(p), 1);
      const done = await p.done;
      if (done) finish(p.k, prepared.features, p.model, done.seconds, " (in a worker thread, alongside the other models)");
      else await trainInline(p.k, p.model);
    }
  };

  try {
    // The workers start first, so they overlap every main-thread stage.
    const train = selectRole(prepared.features, 0);
    if (train.y.length > 0 && train.X.length >= (options.workerMinCells ?? DEFAULT_WORKER_MIN_CELLS)) {
      specs.forEach((spec, k) => {
        if (!spec.worker) return;
        progress.start(spec.name);
        const model = spec.make(prepared.features);
        pending.push({ k, spec, model, done: fitInWorker(model, train.X, train.y, fitOptions(prepared.features)) });
      });
    }
    for (let k = 0; k < specs.length; k++) {
      if (pending.some((p) => p.k === k)) continue;
      if (specs[k].leaky) await join((p) => p.spec.worker === "before-leaky");
      await trainInline(k);
    }
    await join(() => true);
  } finally {
    // On an error elsewhere, do not leave a worker's rejection unhandled.
    for (const p of pending) p.done.catch(() => undefined);
  }
  if (!primaryScorer) throw new Error("the primary model was not trained");
  const models = slots.filter((m): m is ModelResult => m !== undefined);
  const histories: ModelRun["histories"] = { tfjs_logistic: core.tfjsLogistic.history, tfjs_mlp: core.mlp.history, closed_loop_logistic: core.closedLoop.history };
  return {
    backend,
    featureNames: prepared.features.names.slice(),
    models,
    primary: PRIMARY_MODEL,
    primaryScorer,
    coefficients,
    histories,
    regularisation,
    gradientTolerance: GRADIENT_TOLERANCE,
  };
}
