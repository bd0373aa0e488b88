/**
 * Rolling-origin backtest (optional, `--backtest`): the whole train → calibrate → test
 * protocol repeated at several cut points, each fold training on everything before its
 * test block (expanding window). One test window can flatter or punish a model by luck;
 * the spread across folds shows how stable the comparison is.
 */
import { rollingOriginSplits } from "../features";
import type { IngestResult } from "../ingest/types";
import { evaluateModels } from "./evaluate";
import type { PipelineParams } from "./params";
import { prepareWithSplit } from "./prepare";
import type { Progress } from "./progress";
import { silentProgress } from "./progress";
import { trainModels } from "./train";

export interface BacktestRow {
  fold: number;
  model: string;
  deployable: boolean;
  train_plays: number;
  test_plays: number;
  test_start: string;
  test_end: string;
  test_auc: number | null;
  test_logloss: number | null;
  test_ece: number | null;
  test_ndcg_at_10: number | null;
}

export const BACKTEST_COLUMNS = [
  "fold", "model", "deployable", "train_plays", "test_plays", "test_start", "test_end", "test_auc", "test_logloss", "test_ece", "test_ndcg_at_10",
] as const;

export interface BacktestOptions {
  folds: number;
  /** Share of labelled plays in each fold's test block. */
  foldFraction: number;
}

/** One row per fold and model, folds in time order. */
export async function runBacktest(
  ingest: IngestResult,
  params: PipelineParams,
  options: BacktestOptions = { folds: 3, foldFraction: 0.1 },
  progress: Progress = silentProgress,
): Promise<BacktestRow[]> {
  const splits = rollingOriginSplits(ingest.plays, { folds: options.folds, testFraction: options.foldFraction, validationFraction: params.validationFraction });
  const rows: BacktestRow[] = [];
  for (const split of splits) {
    const stage = `backtest fold ${split.fold + 1}/${splits.length}`;
    progress.start(stage);
    const prepared = prepareWithSplit(ingest, split, params);
    const run = await trainModels(prepared, params);
    const evaluation = evaluateModels(prepared.features, run);
    for (const r of evaluation.comparison) {
      rows.push({
        fold: split.fold,
        model: r.model,
        deployable: r.deployable,
        train_plays: split.counts.train,
        test_plays: split.counts.test,
        test_start: split.validationEndIso,
        test_end: split.testEndIso,
        test_auc: r.test_auc,
        test_logloss: r.test_logloss,
        test_ece: r.test_ece,
        test_ndcg_at_10: r.test_ndcg_at_10,
      });
    }
    const auc = evaluation.parity.tfjsAuc;
    progress.done(stage, `${split.counts.test} test plays, tfjs AUC ${auc === null ? "n/a" : auc.toFixed(3)}`);
  }
  return rows;
}

/** Mean and range of test AUC per model across folds (null when no fold defines it). */
export function backtestSummary(rows: BacktestRow[]): { model: string; folds: number; mean_auc: number | null; min_auc: number | null; max_auc: number | null }[] {
  const byModel = new Map<string, number[]>();
  for (const r of rows) {
    const list = byModel.get(r.model) ?? [];
    if (r.test_auc !== null) list.push(r.test_auc);
    byModel.set(r.model, list);
  }
  return [...byModel.entries()].map(([model, aucs]) => ({
    model,
    folds: aucs.length,
    mean_auc: aucs.length ? aucs.reduce((s, a) => s + a, 0) / aucs.length : null,
    min_auc: aucs.length ? Math.min(...aucs) : null,
    max_auc: aucs.length ? Math.max(...aucs) : null,
  }));
}
