/**
 * Stage 4: every model's test-window metrics (classification on calibrated scores, the
 * calibration before/after, within-session ranking), the comparison table and the
 * tfjs-vs-closed-loop parity check.
 */
import { classificationReport, compareCalibration, RANKING_KS, RANKING_METRICS, rankingMetrics } from "../evaluate";
import type { CalibrationComparison, ClassificationReport, RankingReport } from "../evaluate";
import { rankingColumn } from "../report/columns";
import type { RankingColumn } from "../report/columns";
import type { FeatureSet } from "../features";
import { roleRows } from "../model/types";
import { valuesAt } from "../common/arrays";
import type { ModelRun } from "./train";

export interface ModelEvaluation {
  name: string;
  deployable: boolean;
  description: string;
  trainSeconds: number;
  /** Test rows, calibrated scores. */
  test: ClassificationReport;
  /** Test rows: raw vs calibrated log loss / Brier / ECE. */
  calibration: CalibrationComparison;
  /** Within test sessions (≥ 5 labelled plays, ≥ 1 completion). */
  ranking: RankingReport;
}

/** One row of model_comparison.csv / .json (columns: report/columns.ts `COMPARISON_COLUMNS`). */
export interface ComparisonRow extends Record<RankingColumn, number | null> {
  model: string;
  deployable: boolean;
  test_auc: number | null;
  test_pr_auc: number | null;
  test_logloss: number | null;
  test_brier: number | null;
  test_ece: number | null;
  test_accuracy: number | null;
  test_f1: number | null;
}

export interface Evaluation {
  testRows: number;
  models: ModelEvaluation[];
  comparison: ComparisonRow[];
  /**
   * tfjs and closed-loop logistic regressions minimise one objective, so they must agree: test
   * AUC within `tolerance` and every standardised coefficient within `coefficientTolerance`.
   */
  parity: {
    tfjsAuc: number | null;
    closedLoopAuc: number | null;
    difference: number | null;
    tolerance: number;
    /** max_j |w_tfjs,j − w_closed,j| on standardised inputs; null when either model has none. */
    coefficientGap: number | null;
    coefficientTolerance: number;
    agree: boolean | null;
  };
}

export const PARITY_TOLERANCE = 0.001;
export const COEFFICIENT_TOLERANCE = 0.01;

/** The ranking columns of a comparison row, in `RANKING_COLUMNS` order. */
function rankingValues(ranking: RankingReport): Record<RankingColumn, number | null> {
  const row: Partial<Record<RankingColumn, number | null>> = {};
  for (const metric of RANKING_METRICS) for (const k of RANKING_KS) row[rankingColumn(metric, k)] = ranking.metrics[`${metric}@${k}`]?.value ?? null;
  return row as Record<RankingColumn, number | null>;
}

export function evaluateModels(features: FeatureSet, run: ModelRun): Evaluation {
  const test = roleRows(features, 2);
  const y = valuesAt(features.y, test);
  const mask = new Uint8Array(features.rows);
  for (const r of test) mask[r] = 1;
  const models: ModelEvaluation[] = run.models.map((m) => {
    const calibrated = valuesAt(m.calibrated, test);
    const raw = valuesAt(m.raw, test);
    return {
      name: m.name,
      deployable: m.deployable,
      description: m.description,
      trainSeconds: m.trainSeconds,
      test: classificationReport(y, calibrated),
      calibration: compareCalibration(y, raw, calibrated),
      ranking: rankingMetrics({ sessionId: features.sessionId, y: features.y, score: m.calibrated, mask }),
    };
  });
  const comparison: ComparisonRow[] = models.map((m) => ({
    model: m.name,
    deployable: m.deployable,
    test_auc: m.test.rocAuc.value,
    test_pr_auc: m.test.prAuc.value,
    test_logloss: m.test.logLoss.value,
    test_brier: m.test.brier.value,
    test_ece: m.test.ece.value,
    test_accuracy: m.test.accuracy.value,
    test_f1: m.test.f1.value,
    ...rankingValues(m.ranking),
  }));
  const auc = (name: string) => comparison.find((r) => r.model === name)?.test_auc ?? null;
  const tfjsAuc = auc("tfjs_logistic");
  const closedLoopAuc = auc("closed_loop_logistic");
  const difference = tfjsAuc !== null && closedLoopAuc !== null ? Math.abs(tfjsAuc - closedLoopAuc) : null;
  const wt = run.coefficients["tfjs_logistic"]?.weights;
  const wc = run.coefficients["closed_loop_logistic"]?.weights;
  const coefficientGap = wt && wc ? wt.reduce((m, w, j) => Math.max(m, Math.abs(w - wc[j])), 0) : null;
  const agree = difference === null ? null : difference <= PARITY_TOLERANCE && (coefficientGap === null || coefficientGap <= COEFFICIENT_TOLERANCE);
  return {
    testRows: test.length,
    models,
    comparison,
    parity: { tfjsAuc, closedLoopAuc, difference, tolerance: PARITY_TOLERANCE, coefficientGap, coefficientTolerance: COEFFICIENT_TOLERANCE, agree },
  };
}
