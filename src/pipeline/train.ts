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

export async function trainModels(prepared: Prepared, params: PipelineParams, progress: Progress = silentProgress): Promise<ModelRun> {
  const backend = await initBackend();
  const models: ModelResult[] = [];
  const coefficients: Record<string, LinearCoefficients> = {};
  const histories: ModelRun["histories"] = { tfjs_logistic: null, tfjs_mlp: null, closed_loop_logistic: { loss: [], iterations: 0, converged: false, valLoss: null, seconds: 0 } };
  let primaryScorer: LinearScorerParams | null = null;

  for (const spec of modelSpecs()) {
    progress.start(spec.name);
    const fs = spec.leaky ? prepared.leaky : prepared.features;
    const train = selectRole(fs, 0);
    const val = selectRole(fs, 1);
    if (train.y.length === 0) throw new Error("no labelled plays in the training window");
    const started = Date.now();
    const model = spec.make(fs);
    await model.fit(train.X, train.y, { XVal: val.X, yVal: val.y, seed: params.seed });
    const trainSeconds = (Date.now() - started) / 1000;
    const raw = model.predictProba(fs.X);
    const { apply, ...calibration } = calibrate(raw, fs);
    const calibrated = apply ? apply.predict(raw) : raw;
    models.push({ name: spec.name, deployable: spec.deployable, description: spec.description, trainSeconds, raw, calibrated, calibration });

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
    progress.done(spec.name, `${trainSeconds.toFixed(1)} s`);
  }
  if (!primaryScorer) throw new Error("the primary model was not trained");
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
