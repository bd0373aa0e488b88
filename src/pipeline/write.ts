/**
 * Writes the standard outputs of a run (names, columns and schemas in outputs-template/).
 * Every file is written atomically; CSV cells are neutralised against formula injection by
 * report/csv.
 */
import * as fs from "fs";
import * as path from "path";
import { ensureDir, writeCsv, writeFileAtomic } from "../report";
import type { ColumnOf, CsvRowOf } from "../report";
import type { FigureInputs, TrainingHistory } from "../report/figures/types";
import { COMPARISON_COLUMNS, IMPORTANCE_COLUMNS, MONTHLY_COLUMNS, PLAYLIST_COLUMNS, SCORED_BASE_COLUMNS } from "../report/columns";
import { BACKTEST_COLUMNS } from "./backtest";
import { LABEL_COMPARISON_COLUMNS } from "./labelComparison";
import { modelMetrics, projectSummaryMarkdown, resultsMarkdown } from "./results";
import type { RunResults } from "./results";
import type { ModelRun } from "./train";
import { playsTable, scoredTable, writeParquetFile } from "./parquet";
import { monthlyCompletion, scoredSamples } from "./tables";

// Column lists live with the report stage (one definition, checked against outputs-template/schema).
export { COMPARISON_COLUMNS, IMPORTANCE_COLUMNS, MONTHLY_COLUMNS, PLAYLIST_COLUMNS, SCORED_BASE_COLUMNS } from "../report/columns";

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/** Inputs of every figure, straight from the run (no CSV round trip). */
/** The per-epoch losses of the tfjs models, as model_metrics.json records them (the training curves figure). */
export function trainingHistories(run: ModelRun): TrainingHistory[] {
  const h = run.histories;
  return (["tfjs_logistic", "tfjs_mlp"] as const).flatMap((model) => {
    const m = h[model];
    return m ? [{ model, train: m.trainLoss, validation: m.valLoss, stoppedEarly: m.stoppedEarly }] : [];
  });
}

export function figureInputs(results: RunResults): FigureInputs {
  const { prepared, run } = results;
  return {
    scored: scoredSamples(prepared.ingest.plays, prepared.features, run, prepared.builder.timeZone.zone),
    models: run.models.map((m) => `p_${m.name}`),
    featureImportance: results.importance,
    modelComparison: results.evaluation.comparison,
    monthly: monthlyCompletion(prepared.ingest.plays, prepared.builder.timeZone.zone),
    recommendations: results.playlist.rows.slice(0, 20),
    labelDisagreement: results.labelComparison?.byPlatform,
    training: trainingHistories(run),
  };
}

/** @returns the paths written. */
export function writeStandardOutputs(results: RunResults, outputDir: string): string[] {
  ensureDir(outputDir);
  const { prepared, run } = results;
  const zone = prepared.builder.timeZone.zone;
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
  const scored = scoredSamples(prepared.ingest.plays, prepared.features, run, zone);
  const scoredColumns = [...SCORED_BASE_COLUMNS, ...run.models.map((m) => `p_${m.name}` as const)];
  csv("scored_samples.csv", scored, scoredColumns);
  // The same rows, and the whole music play table, for pandas / polars / DuckDB (parquet.ts).
  const parquet = (name: string, table: Parameters<typeof writeParquetFile>[1]) => {
    writeParquetFile(out(name), table);
    written.push(out(name));
  };
  parquet("scored_samples.parquet", scoredTable(scored, scoredColumns));
  parquet("plays.parquet", playsTable(prepared.ingest.plays));
  csv("top_resume_playlist.csv", results.playlist.rows, PLAYLIST_COLUMNS);
  csv("monthly_completion.csv", monthlyCompletion(prepared.ingest.plays, zone), MONTHLY_COLUMNS);
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
  return written;
}
