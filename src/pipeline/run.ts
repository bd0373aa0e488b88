/**
 * The whole run, stage by stage: prepare (ingest + features) → train → evaluate →
 * recommend → write the standard outputs and figures. The CLI calls `runPipeline`; the
 * notebooks call the same stage functions one section at a time.
 */
import * as path from "path";
import { isUserInputError, UserInputError } from "../common/errors";
import { PARALLEL_MIN_BYTES } from "../ingest";
import type { IngestOptions, IngestResult, LabelRule } from "../ingest/types";
import { startFitWorker } from "../model";
import type { FitWorker } from "../model";
import { buildResumePlaylist, recommendationHitRate } from "../recommend";
import type { HitRateResult, ResumePlaylist } from "../recommend";
import { buildFigureData } from "../report/figures";
import { startFigureWorker, writeFigureFiles } from "../report/visualize";
import type { FigureWorker } from "../report/visualize";
import type { RenderReport } from "../report/figures";
import { runBacktest } from "./backtest";
import type { BacktestOptions } from "./backtest";
import { evaluateModels } from "./evaluate";
import { compareLabels } from "./labelComparison";
import type { Evaluation } from "./evaluate";
import type { StageCacheOptions } from "./cache";
import { OutputFolder } from "./outputFolder";
import type { OutputFolderOptions } from "./outputFolder";
import type { PipelineParams } from "./params";
import { startPlaysParquetWorker } from "./parquet";
import type { PlaysParquetWorker } from "./parquet";
import { prepareAsync, releaseFeatureMatrix } from "./prepare";
import type { Prepared } from "./prepare";
import type { Progress } from "./progress";
import { silentProgress } from "./progress";
import { featureImportanceRows } from "./tables";
import type { RunResults } from "./results";
import { expectsFitWorkers, linearScorer, trainModels, MODEL_NAMES } from "./train";
import type { ModelRun } from "./train";
import { figureInputs, outputTables, outputWorkersFor, startPlaysParquet, writeStandardOutputsAsync } from "./write";

export const PIPELINE_STAGES = ["ingest", "features", ...MODEL_NAMES, "evaluate", "recommend", "outputs", "figures"];

/** The ranked playlist (training data only) and its hit rate on the test window. */
export function recommend(prepared: Prepared, run: ModelRun, params: PipelineParams): { playlist: ResumePlaylist; hitRate: HitRateResult } {
  const data = { plays: prepared.ingest.plays, account: prepared.ingest.account, tech: prepared.ingest.tech };
  const playlist = buildResumePlaylist({
    data,
    split: prepared.split,
    builder: prepared.builder,
    predict: linearScorer(run.primaryScorer),
    topN: params.topN,
    basis: prepared.probeBasis(),
  });
  const hitRate = recommendationHitRate({ playlist, data, split: prepared.split, n: params.topN });
  return { playlist, hitRate };
}

/** Everything the standard outputs are written from (what notebook 04 assembles too). */
export function runResults(
  prepared: Prepared,
  params: PipelineParams,
  run: ModelRun,
  evaluation: Evaluation,
  recommended: { playlist: ResumePlaylist; hitRate: HitRateResult },
  extras: Pick<RunResults, "backtest" | "labelComparison"> = {},
): RunResults {
  return { prepared, params, run, evaluation, ...recommended, importance: featureImportanceRows(prepared.features, run), ...extras };
}

export interface PipelineOutcome {
  /** Its `prepared.features` no longer holds the matrix `X` (see `releaseFeatureMatrix`). */
  results: RunResults;
  written: string[];
  figures: RenderReport;
}

/** Outputs a run writes only when asked (--backtest, --compare-labels): an earlier run's copies go when this run does not write them. */
const OPTIONAL_OUTPUTS = ["backtest.csv", "backtest.json", "label_comparison.csv", "label_comparison.json"];

export interface RunPipelineOptions extends OutputFolderOptions {
  backtest?: BacktestOptions;
  compareLabels?: LabelRule[];
  /**
   * Encode plays.parquet in a worker thread beside the other writes (default: `outputWorkersFor`,
   * from OUTPUT_WORKERS_MIN_PLAYS music plays on), and render the figures in one (default: at every
   * size); false: all on this thread. Same bytes either way.
   */
  outputWorkers?: boolean;
  /** The stage cache in `outputDir`/cache/ (not staged: it outlives runs and other tools share it). */
  cache?: Omit<StageCacheOptions, "outputDir">;
}

/**
 * The whole run into `outputDir`. The folder is locked first (one run at a time), every output
 * is written into a staging folder and swapped in at the end, so the folder holds the previous
 * complete run until this one is complete (see ./outputFolder).
 */
export async function runPipeline(
  input: IngestOptions,
  outputDir: string,
  params: PipelineParams,
  progress: Progress = silentProgress,
  options: RunPipelineOptions = {},
): Promise<PipelineOutcome> {
  const folder = await OutputFolder.open(outputDir, options);
  try {
    const cache = options.cache ? { ...options.cache, outputDir } : undefined;
    const outcome = await runStages(input, folder.staging, params, progress, options, cache);
    await folder.commit([...outcome.figures.skipped.map((s) => `figures/${s.file}`), ...OPTIONAL_OUTPUTS]);
    const moved = (p: string) => path.join(outputDir, path.relative(folder.staging, p));
    return { ...outcome, written: outcome.written.map(moved), figures: { ...outcome.figures, written: outcome.figures.written.map((w) => ({ ...w, path: moved(w.path) })) } };
  } catch (error) {
    folder.abort();
    // Name the file where it was going, not its staging copy.
    if (isUserInputError(error) && error.message.includes(folder.staging)) {
      throw new UserInputError(`${error.message.split(folder.staging).join(outputDir)} The output folder still holds its previous complete outputs (if any).`, error.file);
    }
    throw error;
  }
}

async function runStages(
  input: IngestOptions,
  outputDir: string,
  params: PipelineParams,
  progress: Progress,
  options: RunPipelineOptions,
  cache: StageCacheOptions | undefined,
): Promise<PipelineOutcome> {
  // The figures render in a worker thread (unless `outputWorkers` is false) that loads vega while
  // this thread works: from the start when a small export is parsed on this thread alone (the
  // other core is idle until training), else from the end of training (not beside the models: at
  // lifetime scale its ~40 MB would add to the run's peak).
  // The MLP's fit worker loads tfjs and starts its backend (~0.7 s) from the end of ingestion,
  // while this thread builds the features and chooses λ: started with the MLP, it ended after
  // the main thread's models.
  const figuresInWorker = options.outputWorkers !== false;
  let figureWorker: FigureWorker | null = null;
  let fitWorker: FitWorker | undefined;
  let playsWorker: PlaysParquetWorker | null = null;
  try {
    const onPlan = ({ parallel, extendedBytes }: { parallel: boolean; extendedBytes: number }) => {
      if (figuresInWorker && !parallel && extendedBytes < PARALLEL_MIN_BYTES) figureWorker ??= startFigureWorker();
    };
    const onIngested = (ingest: IngestResult) => {
      if (expectsFitWorkers(ingest.report.labelCoverage.labelled, params)) fitWorker ??= startFitWorker();
    };
    const prepared = await prepareAsync(input, params, progress, cache, { onPlan, onIngested });
    const run = await trainModels(prepared, params, progress, { fitWorker });
    if (figuresInWorker) figureWorker ??= startFigureWorker();
    // plays.parquet's worker loads its packages while the models are evaluated and ranked.
    if (options.outputWorkers ?? outputWorkersFor({ prepared })) playsWorker = startPlaysParquetWorker();
    return await evaluateAndWrite(prepared, run, outputDir, params, progress, figureWorker, playsWorker, options);
  } finally {
    // Stops a worker whose job never came (a no-op once it was handed over).
    figureWorker?.cancel();
    fitWorker?.cancel();
    playsWorker?.cancel();
  }
}

/**
 * Stages 4-6 of `runStages`: evaluate, recommend, write the outputs and (with `figureWorker`, in
 * it) the figures; with `playsWorker`, plays.parquet is encoded in it.
 */
async function evaluateAndWrite(
  prepared: Prepared,
  run: ModelRun,
  outputDir: string,
  params: PipelineParams,
  progress: Progress,
  figureWorker: FigureWorker | null,
  playsWorker: PlaysParquetWorker | null,
  options: RunPipelineOptions,
): Promise<PipelineOutcome> {
  progress.start("evaluate");
  const evaluation = evaluateModels(prepared.features, run);
  progress.done("evaluate", `test AUC ${evaluation.parity.tfjsAuc?.toFixed(3) ?? "n/a"} (tfjs) vs ${evaluation.parity.closedLoopAuc?.toFixed(3) ?? "n/a"} (closed loop)`);

  progress.start("recommend");
  const { playlist, hitRate } = recommend(prepared, run, params);
  progress.done("recommend", `${playlist.rows.length} tracks`);
  // Nothing after this reads the matrix (the backtest and label rules build their own).
  releaseFeatureMatrix(prepared);

  const backtest = options.backtest ? await runBacktest(prepared.ingest, params, options.backtest, progress) : undefined;
  const labelComparison = options.compareLabels?.length ? await compareLabels(prepared.ingest, prepared.split, params, options.compareLabels, progress, { run, evaluation }) : undefined;
  // With output workers, plays.parquet is encoded from here on (the second core is free since
  // training). Not earlier: beside the feature matrix (or a backtest fold's, or a label rule's),
  // its worker's memory would be the run's peak.
  const inWorkers = playsWorker !== null;
  const playsParquet = playsWorker ? startPlaysParquet(prepared.ingest.plays, playsWorker) : undefined;
  const results = runResults(prepared, params, run, evaluation, { playlist, hitRate }, { backtest, labelComparison });
  progress.start("outputs");
  const tables = outputTables(results);
  const figureData = buildFigureData(figureInputs(results, tables));
  const figuresDir = path.join(outputDir, "figures");
  // In its worker, the figures render while this thread writes the other outputs.
  const rendering = figureWorker?.write(figureData, figuresDir) ?? null;
  // Awaited below; a failure while this thread waits for plays.parquet must not go unhandled meanwhile.
  rendering?.catch(() => undefined);
  let written: string[];
  try {
    // With the figures' data that notebook 05 draws from while these outputs stay as written.
    written = await writeStandardOutputsAsync(results, outputDir, { tables, inWorker: inWorkers, figureData, playsParquet });
  } catch (error) {
    // The staging folder is removed on this error: not while the worker still writes into it.
    await rendering?.catch(() => undefined);
    throw error;
  }
  progress.done("outputs", `${written.length} files`);

  progress.start("figures");
  const figures = await (rendering ?? writeFigureFiles(figureData, figuresDir));
  progress.done("figures", `${figures.written.length} figures`);
  // The stage cache's entries were written in the background since the features stage.
  await prepared.cache?.written();
  return { results, written, figures };
}
