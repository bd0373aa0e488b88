/**
 * Writes the standard outputs of a run (names, columns and schemas in outputs-template/).
 * Every file is written atomically; CSV cells are neutralised against formula injection by
 * report/csv.
 */
import * as fs from "fs";
import * as path from "path";
import { ensureDir, writeCsv, writeCsvColumns, writeFileAtomic } from "../report";
import type { ColumnOf, CsvColumn, CsvRowOf, FileDigest } from "../report";
import { buildFigureData } from "../report/figures";
import type { FigureData, FigureInputs, TrainingHistory } from "../report/figures/types";
import { COMPARISON_COLUMNS, IMPORTANCE_COLUMNS, MONTHLY_COLUMNS, PLAYLIST_COLUMNS, SCORED_BASE_COLUMNS } from "../report/columns";
import { saveFigureData } from "./artifacts";
import { BACKTEST_COLUMNS } from "./backtest";
import { LABEL_COMPARISON_COLUMNS } from "./labelComparison";
import { modelMetrics, projectSummaryMarkdown, resultsMarkdown } from "./results";
import type { RunResults } from "./results";
import type { ModelRun } from "./train";
import type { PlayTable } from "../ingest/types";
import { playsParquetInWorker, playsTable, scoredTable, startPlaysParquetWorker, toParquet } from "./parquet";
import type { PlaysParquetWorker } from "./parquet";
import { monthlyCompletion, scoredColumn, scoredColumns, scoredRows } from "./tables";
import type { MonthlyRow, ScoredColumns, ScoredFileColumn, ScoredRow } from "./tables";

// Column lists live with the report stage (one definition, checked against outputs-template/schema).
export { COMPARISON_COLUMNS, IMPORTANCE_COLUMNS, MONTHLY_COLUMNS, PLAYLIST_COLUMNS, SCORED_BASE_COLUMNS } from "../report/columns";

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/** The per-epoch losses of the tfjs models, as model_metrics.json records them (the training curves figure). */
export function trainingHistories(run: ModelRun): TrainingHistory[] {
  const h = run.histories;
  return (["tfjs_logistic", "tfjs_mlp"] as const).flatMap((model) => {
    const m = h[model];
    return m ? [{ model, train: m.trainLoss, validation: m.valLoss, stoppedEarly: m.stoppedEarly }] : [];
  });
}

/** The row tables both the standard outputs and the figures are made of, computed once per run. */
export interface OutputTables {
  /** The scored test plays as columns (scored_samples.csv / .parquet). */
  scoredColumns: ScoredColumns;
  /** The same plays as row objects (most figures). */
  scored: ScoredRow[];
  /** Per local month over every play (monthly_completion.csv, completion over time). */
  monthly: MonthlyRow[];
}

export function outputTables(results: RunResults): OutputTables {
  const { prepared, run } = results;
  const zone = prepared.builder.timeZone.zone;
  const columns = scoredColumns(prepared.ingest.plays, prepared.features, run, zone);
  return { scoredColumns: columns, scored: scoredRows(columns), monthly: monthlyCompletion(prepared.ingest.plays, zone) };
}

/** Inputs of every figure, straight from the run (no CSV round trip). */
export function figureInputs(results: RunResults, tables: OutputTables = outputTables(results)): FigureInputs {
  const { run } = results;
  return {
    scored: tables.scored,
    models: run.models.map((m) => `p_${m.name}`),
    featureImportance: results.importance,
    modelComparison: results.evaluation.comparison,
    monthly: tables.monthly,
    recommendations: results.playlist.rows.slice(0, 20),
    labelDisagreement: results.labelComparison?.byPlatform,
    training: trainingHistories(run),
  };
}

/**
 * The Parquet copies (scored rows, every music play) for pandas / polars / DuckDB (parquet.ts),
 * encoded on this thread. plays.parquet may instead be encoded in a worker thread of its own
 * (`playsParquetInWorker`, the same bytes). scored_samples.parquet is always encoded here, from
 * the columns the CSV is written from (`ScoredColumns`): a worker's start (~0.3 s of CPU) cost
 * more than its encoding (~0.25 s at 200k plays, ~0.3 s at 1M; bench/README.md).
 */
function parquetOutputs(results: RunResults, tables: OutputTables): { scored: () => Uint8Array; plays: () => Uint8Array } {
  return {
    scored: () => toParquet(scoredTable(tables.scoredColumns, scoredFileColumns(results.run))),
    plays: () => toParquet(playsTable(results.prepared.ingest.plays)),
  };
}

/**
 * plays.parquet's bytes, encoded in a worker thread from now on (it only needs the play table):
 * what a run starts before the outputs stage, so the encoding overlaps the work before it
 * (`OutputWriteOptions.playsParquet`).
 * @param worker one started earlier (`startPlaysParquetWorker`), its packages already loaded
 */
export function startPlaysParquet(plays: PlayTable, worker: PlaysParquetWorker = startPlaysParquetWorker()): Promise<Uint8Array> {
  const bytes = worker.encode(plays);
  // Awaited by the outputs stage; a run that fails before it must not leave an unhandled rejection.
  bytes.catch(() => undefined);
  return bytes;
}

const scoredFileColumns = (run: ModelRun): ScoredFileColumn[] => [...SCORED_BASE_COLUMNS, ...run.models.map((m) => `p_${m.name}` as const)];

/** scored_samples.csv from its columns: the shuffle flag's -1 is an empty cell, as a null was. @returns its length and CRC-32 */
function writeScoredCsv(file: string, c: ScoredColumns, names: readonly ScoredFileColumn[]): FileDigest {
  const columns = names.map((name): CsvColumn => {
    const column = scoredColumn(c, name);
    if (name === "shuffle") return { codes: column as Int8Array, labels: ["0", "1"], missing: "" };
    if (name === "ts" || name === "start_local") return { strings: column as string[] };
    return "codes" in column ? column : { numbers: column as ArrayLike<number> };
  });
  return writeCsvColumns(file, names, columns, c.length);
}

/** @returns the paths written. */
export function writeStandardOutputs(results: RunResults, outputDir: string, tables: OutputTables = outputTables(results)): string[] {
  return writeAllInline(results, outputDir, tables).written;
}

/** `writeStandardOutputs`, with the scored CSV's digest (`TextOutputs`). */
function writeAllInline(results: RunResults, outputDir: string, tables: OutputTables): TextOutputs {
  const outputs = writeTextOutputs(results, outputDir, tables);
  const parquet = parquetOutputs(results, tables);
  writeParquet(outputs.written, outputDir, "scored_samples.parquet", parquet.scored());
  writeParquet(outputs.written, outputDir, "plays.parquet", parquet.plays());
  return outputs;
}

/** Writes one Parquet file atomically and lists it in `written`. */
function writeParquet(written: string[], outputDir: string, name: string, bytes: Uint8Array): void {
  writeFileAtomic(path.join(outputDir, name), bytes);
  written.push(path.join(outputDir, name));
}

/**
 * From this many music plays on, plays.parquet is encoded in a worker thread (`outputWorkers`):
 * there its encoding (~0.6 s at 300k plays) outweighs a worker's start (~0.2-0.3 s of CPU);
 * below, it runs on this thread. (The figures render in a worker at every size: run.ts.)
 */
export const OUTPUT_WORKERS_MIN_PLAYS = 100_000;

/** Whether a run's outputs stage uses worker threads by default (`OUTPUT_WORKERS_MIN_PLAYS`). */
export function outputWorkersFor(results: Pick<RunResults, "prepared">): boolean {
  return results.prepared.ingest.plays.length >= OUTPUT_WORKERS_MIN_PLAYS;
}

export interface OutputWriteOptions {
  /** `outputTables(results)`, when already computed. */
  tables?: OutputTables;
  /** Encode plays.parquet in a worker thread (default: `outputWorkersFor(results)`); same bytes either way. */
  inWorker?: boolean;
  /**
   * Also save the figures' data for notebook 05 (`saveFigureData`, artifacts/figure_data.json, once
   * the files it stands for are written): this data, or `true` to build it from the tables (~0.4 s
   * at 1M plays, while the worker encodes plays.parquet).
   */
  figureData?: FigureData | true;
  /** plays.parquet's bytes, already being encoded (`startPlaysParquet`; with `inWorker`). */
  playsParquet?: Promise<Uint8Array>;
}

/**
 * `writeStandardOutputs` with plays.parquet encoded in a worker thread while this one writes
 * the rest (the same files, byte for byte). What `runPipeline` and notebook 04 use.
 */
export async function writeStandardOutputsAsync(results: RunResults, outputDir: string, options: OutputWriteOptions = {}): Promise<string[]> {
  const tables = options.tables ?? outputTables(results);
  const saveFigures = ({ digests }: TextOutputs) => {
    const { figureData } = options;
    if (figureData) saveFigureData(outputDir, figureData === true ? buildFigureData(figureInputs(results, tables)) : figureData, digests);
  };
  if (!(options.inWorker ?? outputWorkersFor(results))) {
    const outputs = writeAllInline(results, outputDir, tables);
    saveFigures(outputs);
    return outputs.written;
  }
  // plays.parquet's worker is started before the other files are written, so its encoding runs beside them.
  const plays = options.playsParquet ?? playsParquetInWorker(results.prepared.ingest.plays);
  let written: string[];
  try {
    const outputs = writeTextOutputs(results, outputDir, tables);
    saveFigures(outputs);
    written = outputs.written;
    writeParquet(written, outputDir, "scored_samples.parquet", parquetOutputs(results, tables).scored());
  } catch (error) {
    await plays.catch(() => undefined);
    throw error;
  }
  writeParquet(written, outputDir, "plays.parquet", await plays);
  return written;
}

/** The paths written, and the length and CRC-32 of the big ones, taken while writing (by file name). */
interface TextOutputs {
  written: string[];
  digests: Record<string, FileDigest>;
}

/** Every standard output but the Parquet files. */
function writeTextOutputs(results: RunResults, outputDir: string, tables: OutputTables): TextOutputs {
  ensureDir(outputDir);
  const { prepared, run } = results;
  const out = (name: string) => path.join(outputDir, name);
  const written: string[] = [];
  const csv = <T extends CsvRowOf<K>, K extends ColumnOf<T>>(name: string, rows: readonly T[], columns: readonly K[]) => {
    writeCsv(out(name), rows, columns);
    written.push(out(name));
  };
  const json = (name: string, value: unknown) => {
    writeJson(out(name), value);
    written.push(out(name));
  };
  const text = (name: string, value: string) => {
    writeFileAtomic(out(name), value);
    written.push(out(name));
  };

  json("model_metrics.json", modelMetrics(results));
  csv("model_comparison.csv", results.evaluation.comparison, COMPARISON_COLUMNS);
  json("model_comparison.json", results.evaluation.comparison);
  csv("feature_importance.csv", results.importance, IMPORTANCE_COLUMNS);
  const scoredDigest = writeScoredCsv(out("scored_samples.csv"), tables.scoredColumns, scoredFileColumns(run));
  written.push(out("scored_samples.csv"));
  csv("top_resume_playlist.csv", results.playlist.rows, PLAYLIST_COLUMNS);
  csv("monthly_completion.csv", tables.monthly, MONTHLY_COLUMNS);
  json("ingest_report.json", prepared.ingest.report);
  if (results.backtest) {
    csv("backtest.csv", results.backtest, BACKTEST_COLUMNS);
    json("backtest.json", results.backtest);
  } else {
    // A run without --backtest must not leave an older run's folds looking current.
    for (const stale of ["backtest.csv", "backtest.json"]) fs.rmSync(out(stale), { force: true });
  }
  const lc = results.labelComparison;
  if (lc) {
    csv("label_comparison.csv", lc.rows, LABEL_COMPARISON_COLUMNS);
    json("label_comparison.json", { primary_model: lc.primaryModel, rules: lc.rows, by_platform: lc.byPlatform });
  } else {
    for (const stale of ["label_comparison.csv", "label_comparison.json"]) fs.rmSync(out(stale), { force: true });
  }
  text("RESULTS.md", resultsMarkdown(results));
  text("resume_project_summary.md", projectSummaryMarkdown(results));
  return { written, digests: { "scored_samples.csv": scoredDigest } };
}
