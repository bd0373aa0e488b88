/**
 * Stage 3: fit every model on the training rows, choose λ / stop early / calibrate on the
 * validation rows, and score the validation and test rows. Test rows are only scored here.
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
  onRowsFrom,
  plattOnValidation,
  scoredRowRange,
  selectRole,
  Standardizer,
  toDense,
} from "../model";
import type { BackendInfo, Classifier, FitOptions, FitWorker, ClosedLoopHistory, ClosedLoopStart, L2Choice, LinearCoefficients, LinearScorerParams, MinimiserStart, TfjsHistory } from "../model";
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
  /**
   * [rows] the model's own score for each validation and test row (`scoredRowRange`: from the
   * first of them, a few training rows before it too); NaN for the training rows before them,
   * which nothing reads.
   */
  raw: Float64Array;
  /** [rows] after Platt scaling fitted on the validation rows (= raw when it could not be fitted); NaN where `raw` is. */
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
  histories: { tfjs_logistic: TfjsHistory | null; tfjs_mlp: TfjsHistory | null; closed_loop_logistic: ClosedLoopHistory; leaky_reference?: TfjsHistory | null };
  /**
   * The comparison models' bounded training, as chosen (null when the model was not trained):
   * both draw their seeded subsample from the run's seed (`seed`).
   */
  budgets: {
    seed: number;
    tfjs_mlp: { maxTrainRows: number; maxRowVisits: number; patience: number } | null;
    leaky_reference: { maxTrainRows: number; maxNewtonSteps: number } | null;
  };
  /** The λ both logistic regressions (and the leaky reference) minimise with, and how it was chosen. */
  regularisation: Omit<L2Choice, "selected">;
  /** Both logistic regressions stop when every gradient component is at most this. */
  gradientTolerance: number;
}

/** How `trainModels` trains: options object, no module state. */
export interface TrainOptions {
  /**
   * Training rows × columns from which the models that can (`fitJob`) each train in a worker
   * thread, concurrently with the models on the main thread (from ~11k training rows, a 20k-play
   * export: the MLP's ~1 s of CPU then runs beside the λ selection and tfjs_logistic; a worker
   * with tfjs preloaded costs ~0.35 s of CPU to start). Below it (data-sample, most tests)
   * starting a thread costs more than it saves. The results are identical either
   * way (the fits are deterministic: the closed loop is pure JS, the MLP runs the same seeded
   * tfjs code on the same backend in its own tfjs instance); 0 forces the workers, Infinity
   * disables them.
   */
  workerMinCells?: number;
  /**
   * A fit worker already started (`startFitWorker`, once the export was ingested): the first model
   * that trains in a worker uses it instead of starting one. Cancelled when none does.
   */
  fitWorker?: FitWorker;
  /** Train just these models (e.g. the primary for each rule of `--compare-labels`); must include the primary. */
  only?: string[];
  /**
   * The primary starts at the closed loop's minimiser (`TfjsLogisticOptions.start`; the closed
   * loop must be among the models): tfjs's Newton steps check and refine it on the λ selection's
   * copy of the training rows, so no Adam epochs and no training curve (its history has no
   * epochs). The same minimiser to the gradient tolerance, for refits that are only scored: each
   * rule of `--compare-labels`. When λ was not chosen by fitting (no training or validation rows:
   * no selection to continue), the primary trains as usual, Adam then Newton.
   */
  primaryFromClosedLoop?: boolean;
}

export const DEFAULT_WORKER_MIN_CELLS = 1_000_000;

/**
 * Whether a run with this many labelled plays will train in worker threads (the MLP), estimated
 * before its features exist: the split's training share of them × 80 feature columns (82-87 on
 * the exports measured) ≥ DEFAULT_WORKER_MIN_CELLS. What a run starts its fit worker on once the
 * export is ingested (`TrainOptions.fitWorker`); near the boundary it may go unused (cancelled).
 */
export function expectsFitWorkers(labelledPlays: number, params: Pick<PipelineParams, "testFraction" | "validationFraction">): boolean {
  return labelledPlays * (1 - params.testFraction - params.validationFraction) * 80 >= DEFAULT_WORKER_MIN_CELLS;
}

/**
 * The leaky reference trains on a seeded subsample of this many training rows (its scaler on
 * all of them): its leaked columns separate the classes from a few thousand rows (test AUC 1.000
 * on 10k rows at 300k plays, as on all of them), so its cost stays fixed whatever the export's
 * size. It has no Adam epochs (no training curve is drawn for it): its Newton steps start at
 * the Glorot weights (~22 steps on the exports measured, at most TfjsLogistic's 100), ~0.4 s
 * sooner than after Adam's warm-up. model_metrics.json records it ("comparison_models").
 */
export const LEAKY_TRAIN_ROWS = 10_000;

/** What a model is built with once λ is chosen. */
interface ModelContext {
  l2: number;
  /** The λ selection's closed-loop fit at `l2` (null when λ was not chosen by fitting). */
  selected: ClosedLoopStart | null;
  /** Where the primary starts (`TrainOptions.primaryFromClosedLoop`): set once the closed loop has its minimiser. */
  primaryStart?: MinimiserStart | null;
}

/** The models whose histories model_metrics.json reports, as `make` created them this run. */
interface CoreModels {
  tfjsLogistic?: TfjsLogistic;
  closedLoop?: ClosedLoopLogistic;
  mlp?: TfjsMlp;
  leaky?: TfjsLogistic;
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
   * At scale, trains in a worker thread started before the λ selection (so it must not use λ:
   * `make` gets the default context) and joined after the main-thread models; below the
   * threshold (`TrainOptions.workerMinCells`) it trains inline, in its place in TRAINING_ORDER.
   */
  worker?: boolean;
  make: (fs: FeatureSet, ctx: ModelContext) => Classifier;
}

/**
 * The main thread's training order (after the λ selection; a worker model is skipped here when
 * it runs in its worker). The closed loop first: it continues the λ selection's fit, whose copy
 * of the training rows it then frees (or expands for the primary: `primaryFromClosedLoop`). The
 * leaky reference next: its pieces (a subsample, the validation rows, its scores chunk by
 * chunk: prepare.ts) come and go before tfjs_logistic's Newton stage grows the wasm heap by a
 * float32 copy of the training rows, which WebAssembly memory never gives back. Then the rest.
 */
export const TRAINING_ORDER: readonly string[] = ["closed_loop_logistic", "leaky_reference", "tfjs_logistic", "prior_heuristic", "popularity", "tfjs_mlp"];

/** The model specs of a run (in model_metrics.json's order); `core` collects the instances whose histories are reported. */
function modelSpecs(core: CoreModels): ModelSpec[] {
  return [
    {
      name: "tfjs_logistic",
      deployable: true,
      primary: true,
      description: "logistic regression, one dense sigmoid unit in tfjs",
      make: (_, c) => (core.tfjsLogistic = new TfjsLogistic({ l2: c.l2, start: c.primaryStart })),
    },
    {
      name: "closed_loop_logistic",
      deployable: true,
      description: "logistic regression by hand-written full-batch gradient descent",
      make: (_, c) => (core.closedLoop = new ClosedLoopLogistic({ l2: c.l2, start: c.selected })),
    },
    { name: "prior_heuristic", deployable: true, description: "1 − blend of track and artist train skip rates", make: (fs) => new PriorHeuristic(fs.names) },
    { name: "popularity", deployable: true, description: "track play count in the training window", make: (fs) => new PopularityModel(fs.names) },
    // Its worker holds only its ≤ 50k-row subsample, so it keeps training through leaky_reference.
    { name: "tfjs_mlp", deployable: true, worker: true, description: "one hidden layer (tfjs), for interactions", make: () => (core.mlp = new TfjsMlp()) },
    {
      name: "leaky_reference",
      deployable: false,
      description: "tfjs logistic WITH the same play's reason_end and ms_played: leaks the label, not deployable",
      leaky: true,
      make: (_, c) => (core.leaky = new TfjsLogistic({ l2: c.l2, maxTrainRows: LEAKY_TRAIN_ROWS, maxEpochs: 0 })),
    },
  ];
}

export const MODEL_NAMES = modelSpecs({}).map((s) => s.name);

/** A worker-thread fit under way: resolves false when the model must be trained inline instead. */
interface PendingFit {
  k: number;
  spec: ModelSpec;
  model: Classifier;
  done: Promise<{ seconds: number } | null>;
}

export async function trainModels(prepared: Prepared, params: PipelineParams, progress: Progress = silentProgress, options: TrainOptions = {}): Promise<ModelRun> {
  const backend = await initBackend();
  const core: CoreModels = {};
  const specs = modelSpecs(core).filter((s) => !options.only || options.only.includes(s.name));
  const fromClosedLoop = options.primaryFromClosedLoop === true;
  if (fromClosedLoop && !specs.some((s) => s.name === "closed_loop_logistic")) throw new Error("primaryFromClosedLoop needs closed_loop_logistic among the models");
  const slots: (ModelResult | undefined)[] = specs.map(() => undefined);
  const coefficients: Record<string, LinearCoefficients> = {};
  let primaryScorer: LinearScorerParams | null = null;
  // Every model standardises with the training rows' statistics: computed here once, not per model.
  const trainRows = selectRole(prepared.features, 0);
  const trainStats = trainRows.y.length > 0 ? new Standardizer().fit(trainRows.X, trainRows.y.length, prepared.features.cols) : undefined;
  const fitOptions = (fs: FeatureSet): FitOptions => {
    const val = selectRole(fs, 1);
    return { XVal: val.X, yVal: val.y, seed: params.seed, trainStats };
  };

  // The rows every model scores: the validation and test rows (see ModelResult.raw).
  const scored = scoredRowRange(prepared.features.role);
  /** [rows] `values(start, end)`, the scored rows' values, in place; NaN elsewhere. */
  const onScoredRows = (rows: number, values: (start: number, end: number) => Float64Array) =>
    onRowsFrom(rows, scored.start, scored.end > scored.start ? values(scored.start, scored.end) : new Float64Array(0));
  /** Scores the validation and test rows with a fitted model, calibrates, records it in its slot, frees it. */
  const finish = (k: number, fs: FeatureSet, model: Classifier, trainSeconds: number, note = "", raw: Float64Array = onScoredRows(fs.rows, (s, e) => model.predictProba(fs.X.subarray(s * fs.cols, e * fs.cols)))) => {
    const spec = specs[k];
    const fitted = plattOnValidation(raw, fs.y, fs.role);
    const calibration: ModelResult["calibration"] = fitted.method === "platt" ? { method: "platt", a: fitted.a, b: fitted.b } : fitted;
    const calibrated = fitted.method === "platt" ? onScoredRows(fs.rows, (s, e) => fitted.platt.predict(raw.subarray(s, e))) : raw;
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

  let context: ModelContext | null = null;
  const trainInline = async (k: number, model?: Classifier) => {
    const spec = specs[k];
    progress.start(spec.name);
    if (spec.leaky) {
      // Its matrix is never built whole: the rows its fit reads, then its scores piece by piece (prepare.ts).
      const pieces = prepared.leakyPieces();
      const inputs = pieces.fitInputs(LEAKY_TRAIN_ROWS, params.seed, trainStats);
      if (inputs.y.length === 0) throw new Error("no labelled plays in the training window");
      const started = Date.now();
      const fitted = model ?? spec.make(prepared.features, context!);
      await fitted.fit(inputs.X, inputs.y, inputs.options);
      finish(k, prepared.features, fitted, (Date.now() - started) / 1000, "", pieces.scores((X) => fitted.predictProba(X), scored));
      return;
    }
    const fs = prepared.features;
    if (trainRows.y.length === 0) throw new Error("no labelled plays in the training window");
    const started = Date.now();
    const fitted = model ?? spec.make(fs, context!);
    await fitted.fit(trainRows.X, trainRows.y, fitOptions(fs));
    finish(k, fs, fitted, (Date.now() - started) / 1000);
  };

  const pending: PendingFit[] = [];
  /** Adopts each worker's fit (or trains the model inline when its worker could not). */
  const joinWorkers = async () => {
    // One at a time: on an error, the fits not yet joined stay in `pending` (see `finally`).
    for (let p = pending.shift(); p; p = pending.shift()) {
      const done = await p.done;
      if (done) finish(p.k, prepared.features, p.model, done.seconds, " (in a worker thread, alongside the other models)");
      else await trainInline(p.k, p.model);
    }
  };

  let regularisation: ModelRun["regularisation"];
  try {
    // The workers start first, so they overlap every main-thread stage, the λ selection included.
    const useWorkers = trainRows.y.length > 0 && trainRows.X.length >= (options.workerMinCells ?? DEFAULT_WORKER_MIN_CELLS);
    let started = options.fitWorker;
    specs.forEach((spec, k) => {
      if (!useWorkers || !spec.worker) return;
      progress.start(spec.name);
      const model = spec.make(prepared.features, { l2: DEFAULT_L2, selected: null });
      const inputs = [model, trainRows.X, trainRows.y, fitOptions(prepared.features)] as const;
      pending.push({ k, spec, model, done: started ? started.fit(...inputs) : fitInWorker(...inputs) });
      started = undefined;
    });
    started?.cancel();
    const chosen = chooseL2(trainRows, selectRole(prepared.features, 1), { trainStats });
    regularisation = { l2: chosen.l2, grid: chosen.grid, reason: chosen.reason, seconds: chosen.seconds };
    context = { l2: chosen.l2, selected: specs.some((s) => s.name === "closed_loop_logistic") ? chosen.selected : null };
    if (!context.selected) chosen.selected?.logits?.close();
    // From here only `context` holds the selection's standardised copy of the training rows (~110 MB
    // at 1M plays), and only until the closed loop has continued from it (its logits thread too).
    chosen.selected = null;
    for (const name of TRAINING_ORDER) {
      const k = specs.findIndex((s) => s.name === name);
      if (k < 0 || pending.some((p) => p.k === k)) continue;
      await trainInline(k);
      // The λ selection's copy of the training rows is only for the model that continues its fit.
      // The primary, when it starts at that model's minimiser, reads them as one dense float32 array.
      if (name === "closed_loop_logistic") {
        const rows: ClosedLoopStart | null = context.selected;
        const from: MinimiserStart | null = fromClosedLoop && rows ? { Xs: toDense(rows.rows), mean: rows.mean, std: rows.std, coefficients: core.closedLoop!.coefficients() } : null;
        context = { ...context, selected: null, primaryStart: from };
      } else if (name === PRIMARY_MODEL) context = { ...context, primaryStart: null };
    }
    await joinWorkers();
  } finally {
    // On an error elsewhere, do not leave a worker's rejection unhandled, nor the selection's logits thread running.
    for (const p of pending) p.done.catch(() => undefined);
    options.fitWorker?.cancel();
    context?.selected?.logits?.close();
  }
  if (!primaryScorer) throw new Error("the primary model was not trained");
  const models = slots.filter((m): m is ModelResult => m !== undefined);
  const histories: ModelRun["histories"] = {
    tfjs_logistic: core.tfjsLogistic?.history ?? null,
    tfjs_mlp: core.mlp?.history ?? null,
    closed_loop_logistic: core.closedLoop?.history ?? { loss: [], iterations: 0, converged: false, valLoss: null, seconds: 0 },
    leaky_reference: core.leaky?.history ?? null,
  };
  const budgets: ModelRun["budgets"] = {
    seed: params.seed,
    tfjs_mlp: core.mlp ? { maxTrainRows: core.mlp.maxTrainRows, maxRowVisits: core.mlp.options.maxRowVisits, patience: core.mlp.options.patience } : null,
    leaky_reference: core.leaky ? { maxTrainRows: core.leaky.maxTrainRows, maxNewtonSteps: core.leaky.maxNewtonIter } : null,
  };
  return {
    backend,
    featureNames: prepared.features.names.slice(),
    models,
    primary: PRIMARY_MODEL,
    primaryScorer,
    coefficients,
    histories,
    budgets,
    regularisation,
    gradientTolerance: GRADIENT_TOLERANCE,
  };
}
