/**
 * The run's results as data (`model_metrics.json`) and as computed prose
 * (`RESULTS.md`, `resume_project_summary.md`). Every number in the prose comes from
 * the run; nothing here is a canned sentence.
 */
import type { Metric } from "../evaluate";
import type { HitRateResult, ResumePlaylist } from "../recommend";
import { CLASSIFICATION_COLUMNS, RANKING_COLUMNS } from "../report/columns";
import { mdEscape, mdTable } from "../report/markdown";
import { backtestSummary } from "./backtest";
import type { BacktestRow } from "./backtest";
import type { Evaluation } from "./evaluate";
import { labelComparisonSentence } from "./labelComparison";
import type { LabelComparison } from "./labelComparison";
import type { PipelineParams } from "./params";
import type { Prepared } from "./prepare";
import { splitSummary } from "./tables";
import type { FeatureImportanceCsvRow } from "./tables";
import type { ModelRun } from "./train";

export interface RunResults {
  prepared: Prepared;
  params: PipelineParams;
  run: ModelRun;
  evaluation: Evaluation;
  playlist: ResumePlaylist;
  hitRate: HitRateResult;
  importance: FeatureImportanceCsvRow[];
  /** Rolling-origin folds, when the run asked for a backtest. */
  backtest?: BacktestRow[];
  /** The rules of `--compare-labels`, when the run asked for them. */
  labelComparison?: LabelComparison;
}

/** Metric → value, collecting the reason of every null under `path` (JSON never holds NaN). */
function collector(reasons: Record<string, string>) {
  return (path: string, metric: Metric | undefined): number | null => {
    if (!metric) return null;
    if (metric.value === null || !Number.isFinite(metric.value)) {
      reasons[path] = metric.reason ?? "undefined for this data";
      return null;
    }
    return metric.value;
  };
}

export function modelMetrics(results: RunResults): Record<string, unknown> {
  const { prepared, params, run, evaluation, playlist, hitRate } = results;
  const reasons: Record<string, string> = {};
  const value = collector(reasons);
  const report = prepared.ingest.report;
  const models: Record<string, unknown> = {};
  for (const m of evaluation.models) {
    const trained = run.models.find((r) => r.name === m.name);
    const rank: Record<string, number | null> = {};
    for (const [k, metric] of Object.entries(m.ranking.metrics)) rank[k.replace("@", "_at_")] = value(`models.${m.name}.ranking.${k}`, metric);
    models[m.name] = {
      deployable: m.deployable,
      description: m.description,
      calibration: trained?.calibration ?? null,
      test: {
        n: m.test.n,
        positives: m.test.positives,
        auc: value(`models.${m.name}.test.auc`, m.test.rocAuc),
        pr_auc: value(`models.${m.name}.test.pr_auc`, m.test.prAuc),
        logloss: value(`models.${m.name}.test.logloss`, m.test.logLoss),
        brier: value(`models.${m.name}.test.brier`, m.test.brier),
        ece: value(`models.${m.name}.test.ece`, m.test.ece),
        accuracy: value(`models.${m.name}.test.accuracy`, m.test.accuracy),
        f1: value(`models.${m.name}.test.f1`, m.test.f1),
      },
      calibration_effect_on_test: {
        before: {
          logloss: value(`models.${m.name}.cal.before.logloss`, m.calibration.before.logLoss),
          brier: value(`models.${m.name}.cal.before.brier`, m.calibration.before.brier),
          ece: value(`models.${m.name}.cal.before.ece`, m.calibration.before.ece),
        },
        after: {
          logloss: value(`models.${m.name}.cal.after.logloss`, m.calibration.after.logLoss),
          brier: value(`models.${m.name}.cal.after.brier`, m.calibration.after.brier),
          ece: value(`models.${m.name}.cal.after.ece`, m.calibration.after.ece),
        },
      },
      ranking: { eligible_sessions: m.ranking.eligibleSessions, ...rank },
    };
  }
  const primary = evaluation.models.find((m) => m.name === run.primary);
  const history = run.histories;
  return {
    schema_version: 1,
    primary_model: run.primary,
    backend: run.backend,
    params: { seed: params.seed, test_fraction: params.testFraction, validation_fraction: params.validationFraction, top_n: params.topN },
    time_zone: prepared.builder.timeZone,
    data: {
      music_plays: report.rowsKept,
      labelled_plays: report.labelCoverage.labelled,
      unlabelled_plays: report.labelCoverage.unlabelled,
      completed_plays: report.labelCoverage.completed,
      unlabelled_months: report.labelCoverage.unlabelledMonths,
      date_range: report.dateRange,
      rows_read: report.rowsRead,
      dropped: report.dropped,
      feature_rows: prepared.features.rows,
      feature_columns: prepared.features.cols,
      split: splitSummary(prepared.split),
    },
    test: primary
      ? {
          n: primary.test.n,
          completion_rate: primary.test.positiveRate,
          auc: value("test.auc", primary.test.rocAuc),
          pr_auc: value("test.pr_auc", primary.test.prAuc),
          logloss: value("test.logloss", primary.test.logLoss),
          brier: value("test.brier", primary.test.brier),
          ece: value("test.ece", primary.test.ece),
          accuracy: value("test.accuracy", primary.test.accuracy),
          f1: value("test.f1", primary.test.f1),
          reliability: primary.test.reliability,
        }
      : null,
    parity: evaluation.parity,
    objective: {
      loss: "mean log loss + l2 * sum of squared weights, on the standardised training rows (intercept unpenalised)",
      l2: run.regularisation.l2,
      l2_reason: run.regularisation.reason,
      l2_grid: run.regularisation.grid.map((g) => ({ l2: g.l2, validation_logloss: g.validationLogLoss })),
      gradient_tolerance: run.gradientTolerance,
      gradient_norm: "max over weights and intercept of |partial derivative|",
      tfjs_logistic: history.tfjs_logistic?.newton
        ? { gradient_norm: history.tfjs_logistic.newton.gradNorm, converged: history.tfjs_logistic.newton.converged, adam_epochs: history.tfjs_logistic.epochsRun, newton_steps: history.tfjs_logistic.newton.iterations }
        : null,
      closed_loop_logistic: {
        gradient_norm: history.closed_loop_logistic.gradNorm ?? null,
        converged: history.closed_loop_logistic.converged,
        iterations: history.closed_loop_logistic.iterations,
        // It continues the λ selection's fit at the chosen λ (the passes that fit took, and where it stopped).
        warm_start: history.closed_loop_logistic.warmStart
          ? { from: "l2_selection", passes: history.closed_loop_logistic.warmStart.passes, gradient_norm: history.closed_loop_logistic.warmStart.gradNorm }
          : null,
      },
    },
    comparison_models: comparisonModels(run),
    ranking: primary ? (models[run.primary] as { ranking: unknown }).ranking : null,
    recommendation: {
      list_length: hitRate.n,
      test_completed_tracks: hitRate.testCompletedTracks,
      model: listScore("model", hitRate.model, value),
      popularity: listScore("popularity", hitRate.popularity, value),
      candidates: playlist.candidates,
      excluded: playlist.excluded,
      window_end: playlist.windowEnd,
    },
    models,
    backtest: results.backtest ? { folds: new Set(results.backtest.map((r) => r.fold)).size, per_model: backtestSummary(results.backtest) } : null,
    label: report.label ?? null,
    label_comparison: results.labelComparison ? { rules: results.labelComparison.rows.map((r) => r.rule), sentence: labelComparisonSentence(results.labelComparison) } : null,
    training: {
      tfjs_logistic: history.tfjs_logistic && pickHistory(history.tfjs_logistic),
      tfjs_mlp: history.tfjs_mlp && pickHistory(history.tfjs_mlp),
      closed_loop_logistic: {
        iterations: history.closed_loop_logistic.iterations,
        converged: history.closed_loop_logistic.converged,
        loss: history.closed_loop_logistic.loss,
        val_loss: history.closed_loop_logistic.valLoss,
      },
    },
    null_reasons: reasons,
    // Wall-clock numbers: the only part of the outputs that differs between two identical runs.
    timings: {
      train_seconds: Object.fromEntries(evaluation.models.map((m) => [m.name, m.trainSeconds])),
      tfjs_logistic_seconds: history.tfjs_logistic?.seconds ?? null,
      tfjs_mlp_seconds: history.tfjs_mlp?.seconds ?? null,
      closed_loop_seconds: history.closed_loop_logistic.seconds,
      l2_selection_seconds: run.regularisation.seconds,
    },
  };
}

/** How the two comparison models were bounded (seeded subsamples, work budgets) and what they used. */
function comparisonModels(run: ModelRun) {
  const b = run.budgets;
  const mlp = run.histories.tfjs_mlp;
  const leaky = run.histories.leaky_reference ?? null;
  return {
    seed: b.seed,
    tfjs_mlp: b.tfjs_mlp
      ? {
          max_train_rows: b.tfjs_mlp.maxTrainRows,
          max_row_visits: b.tfjs_mlp.maxRowVisits,
          patience: b.tfjs_mlp.patience,
          train_rows: mlp?.trainRows ?? null,
          train_rows_given: mlp ? (mlp.trainRowsGiven ?? mlp.trainRows ?? null) : null,
          epochs_run: mlp?.epochsRun ?? null,
          stopped_early: mlp?.stoppedEarly ?? null,
          stopped_by_budget: mlp ? (mlp.stoppedByBudget ?? false) : null,
        }
      : null,
    leaky_reference: b.leaky_reference
      ? {
          max_train_rows: b.leaky_reference.maxTrainRows,
          max_newton_steps: b.leaky_reference.maxNewtonSteps,
          train_rows: leaky?.trainRows ?? null,
          train_rows_given: leaky ? (leaky.trainRowsGiven ?? leaky.trainRows ?? null) : null,
          adam_epochs: leaky?.epochsRun ?? null,
          newton_steps: leaky?.newton?.iterations ?? null,
          converged: leaky?.newton?.converged ?? null,
          gradient_norm: leaky?.newton?.gradNorm ?? null,
        }
      : null,
  };
}

/** "a seeded subsample of 50000 of the 204307 training rows" or "all 19712 training rows". */
function trainRowsPhrase(h: { trainRows?: number; trainRowsGiven?: number } | null | undefined): string | null {
  if (!h || h.trainRows === undefined) return null;
  const given = h.trainRowsGiven ?? h.trainRows;
  return given > h.trainRows ? `a seeded subsample of ${h.trainRows} of the ${given} training rows` : `all ${given} training rows`;
}

function listScore(name: string, score: HitRateResult["model"], value: ReturnType<typeof collector>) {
  return {
    hits: score.hits,
    recall: value(`recommendation.${name}.recall`, score.recall),
    precision: value(`recommendation.${name}.precision`, score.precision),
    test_plays: score.testPlays,
    test_completion_rate: value(`recommendation.${name}.test_completion_rate`, score.testCompletionRate),
  };
}

function pickHistory(h: NonNullable<ModelRun["histories"]["tfjs_logistic"]>) {
  return {
    epochs_run: h.epochsRun,
    best_epoch: h.bestEpoch,
    stopped_early: h.stoppedEarly,
    // Work caps at scale (e.g. the MLP's seeded subsample) must show in the metrics.
    batch_size: h.batchSize ?? null,
    train_rows: h.trainRows ?? null,
    train_rows_given: h.trainRowsGiven ?? h.trainRows ?? null,
    stopped_by_budget: h.stoppedByBudget ?? false,
    train_loss: h.trainLoss,
    val_loss: h.valLoss,
    backend: h.backend,
  };
}

const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits));
const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : `${(100 * x).toFixed(1)}%`);

/** Facts every prose output draws from, computed once. */
function facts(results: RunResults) {
  const { evaluation, run, prepared, hitRate } = results;
  const row = (name: string) => evaluation.comparison.find((r) => r.model === name);
  const primary = row(run.primary);
  const closed = row("closed_loop_logistic");
  const mlp = row("tfjs_mlp");
  const leaky = row("leaky_reference");
  const heuristic = row("prior_heuristic");
  const popularity = row("popularity");
  const deployable = evaluation.comparison.filter((r) => r.deployable && r.test_auc !== null);
  const best = deployable.slice().sort((a, b) => (b.test_auc as number) - (a.test_auc as number))[0];
  const primaryEval = evaluation.models.find((m) => m.name === run.primary);
  return { primary, closed, mlp, leaky, heuristic, popularity, best, primaryEval, report: prepared.ingest.report, hitRate, histories: run.histories };
}

function sentenceMlp(f: ReturnType<typeof facts>): string {
  if (!f.mlp || !f.primary || f.mlp.test_auc === null || f.primary.test_auc === null) return "The MLP comparison is undefined on this test window.";
  const delta = f.mlp.test_auc - f.primary.test_auc;
  const rows = trainRowsPhrase(f.histories.tfjs_mlp);
  // The MLP's training is bounded (a comparison model): say how, so a small gap is read as such.
  const trained = rows ? ` (it trained on ${rows}, with early stopping, for ${f.histories.tfjs_mlp!.epochsRun} epochs)` : "";
  if (delta > 0.002) return `The one-hidden-layer MLP beats the logistic regression on held-out plays (AUC ${fmt(f.mlp.test_auc)} vs ${fmt(f.primary.test_auc)}, +${fmt(delta)}), so interactions carry signal the linear model misses${trained}.`;
  if (delta < -0.002) return `The one-hidden-layer MLP does NOT beat the logistic regression on held-out plays (AUC ${fmt(f.mlp.test_auc)} vs ${fmt(f.primary.test_auc)}, ${fmt(delta)}): on this export the extra capacity does not pay off${trained}.`;
  return `The one-hidden-layer MLP and the logistic regression are level on held-out plays (AUC ${fmt(f.mlp.test_auc)} vs ${fmt(f.primary.test_auc)}): no interaction signal beyond what the linear model captures${trained}.`;
}

function sentenceLeak(f: ReturnType<typeof facts>): string {
  if (!f.leaky || !f.primary || f.leaky.test_auc === null || f.primary.test_auc === null) return "The leaky reference could not be evaluated.";
  const rows = trainRowsPhrase(f.histories.leaky_reference);
  return `Adding the play's own reason_end and ms_played (what the leaky seed design fed its model${rows ? `, here fitted on ${rows}` : ""}) lifts test AUC from ${fmt(f.primary.test_auc)} to ${fmt(f.leaky.test_auc)}: an inflation of ${fmt(f.leaky.test_auc - f.primary.test_auc)} that no real recommender could achieve, since those values exist only after the play.`;
}

function sentenceParity(results: RunResults): string {
  const p = results.evaluation.parity;
  if (p.difference === null) return "The tfjs / closed-loop parity check is undefined (test AUC undefined).";
  const l2 = results.run.regularisation;
  const coef = p.coefficientGap === null ? "" : ` Their standardised coefficients differ by at most ${fmt(p.coefficientGap, 4)} (tolerance ${p.coefficientTolerance}).`;
  return `Both logistic regressions minimise the same penalised log loss (λ = ${l2.l2}, chosen by ${l2.reason}) until every gradient component is below ${results.run.gradientTolerance}. They reach test AUC ${fmt(p.tfjsAuc, 4)} (tfjs) and ${fmt(p.closedLoopAuc, 4)} (closed loop): a difference of ${fmt(p.difference, 4)}, ${p.agree ? "within" : "OUTSIDE"} the ${p.tolerance} tolerance.${coef}`;
}

function topFeatureSentence(importance: FeatureImportanceCsvRow[], n = 3): string {
  const top = importance.slice(0, n);
  if (top.length === 0) return "No feature importance is available.";
  return `Strongest standardised effects: ${top.map((r) => `${r.feature} (${r.coefficient >= 0 ? "+" : ""}${fmt(r.coefficient)}, ${r.coefficient >= 0 ? "more" : "less"} likely to finish)`).join("; ")}.`;
}

function completionVerdict(h: HitRateResult): string {
  const m = h.model.testCompletionRate.value;
  const p = h.popularity.testCompletionRate.value;
  if (m === null || p === null) return "the completion comparison is undefined on this test window";
  if (m > p) return "ranking by expected completion picks tracks that are finished more often, while popularity recalls more of what gets replayed";
  if (m < p) return "on this export the popularity list is finished more often too: the model's ranking does not pay off here";
  return "both lists are finished equally often";
}

export function resultsMarkdown(results: RunResults): string {
  const { evaluation, run, prepared, playlist, importance } = results;
  const f = facts(results);
  const report = f.report;
  const p = f.primaryEval;
  const out: string[] = [];
  out.push("# Results", "");
  out.push(
    `Export: ${report.rowsKept} music plays (${report.labelCoverage.labelled} labelled, ${report.labelCoverage.unlabelled} without a usable reason_end) from ${report.dateRange?.first ?? "n/a"} to ${report.dateRange?.last ?? "n/a"}. ` +
      `Chronological split by start time: ${prepared.split.counts.train} train, ${prepared.split.counts.validation} validation, ${prepared.split.counts.test} test plays; the test window starts ${prepared.split.validationEndIso}. ` +
      `Local time: ${prepared.builder.timeZone.reason}. Backend: ${run.backend.name}.`,
    "",
  );
  out.push("## Classification (test window, calibrated scores)", "");
  out.push(
    mdTable(
      ["model", "deployable", ...CLASSIFICATION_COLUMNS],
      evaluation.comparison,
    ),
  );
  out.push(sentenceParity(results), "", sentenceMlp(f), "", sentenceLeak(f), "");
  if (p) {
    out.push("## Calibration", "");
    const cal = run.models.find((m) => m.name === run.primary)?.calibration;
    out.push(
      `Platt scaling fitted on the validation slice${cal && cal.method === "platt" ? ` (a = ${fmt(cal.a)}, b = ${fmt(cal.b)})` : cal && cal.method === "none" ? ` could not be fitted: ${cal.reason}` : ""}. ` +
        `On the test window it moves ECE from ${fmt(p.calibration.before.ece.value)} to ${fmt(p.calibration.after.ece.value)} and log loss from ${fmt(p.calibration.before.logLoss.value)} to ${fmt(p.calibration.after.logLoss.value)}.`,
      "",
    );
    out.push(
      mdTable(
        [
          { key: "range", header: "predicted" },
          { key: "count", align: "right" },
          { key: "mean_predicted", header: "mean predicted", align: "right" },
          { key: "observed_rate", header: "observed rate", align: "right" },
        ],
        p.test.reliability.map((b) => ({ ...b, range: `${b.bin_start.toFixed(1)}–${b.bin_end.toFixed(1)}` })),
      ),
    );
  }
  out.push("## Ranking within test sessions", "");
  const eligible = evaluation.models[0]?.ranking.eligibleSessions ?? 0;
  out.push(`${eligible} test sessions have at least 5 labelled plays and one completion; each is re-ordered by the model's score.`, "");
  out.push(mdTable(["model", ...RANKING_COLUMNS], evaluation.comparison));
  out.push("## Recommendations", "");
  const h = results.hitRate;
  out.push(
    `The top-${h.n} list is built from the training window only. Of the ${h.testCompletedTracks} distinct tracks completed in the test window, it contains ${h.model.hits} (recall ${pct(h.model.recall.value)}, precision ${pct(h.model.precision.value)}); ` +
      `the popularity baseline (most-played training tracks) contains ${h.popularity.hits} (recall ${pct(h.popularity.recall.value)}, precision ${pct(h.popularity.precision.value)}). ` +
      `When the listed tracks were played in the test window, the listener finished ${pct(h.model.testCompletionRate.value)} of ${h.model.testPlays} plays for the model's list and ${pct(h.popularity.testCompletionRate.value)} of ${h.popularity.testPlays} for the popularity list — ` +
      `${completionVerdict(h)}.`,
    "",
  );
  out.push(
    mdTable(
      ["rank", "track", "artist", "source", "train_plays", "observed_completion_rate", "predicted_completion", "confidence_weighted_score", "reason"],
      playlist.rows.slice(0, 10),
    ),
  );
  if (results.backtest) {
    const summary = backtestSummary(results.backtest);
    const folds = new Set(results.backtest.map((r) => r.fold)).size;
    out.push("## Rolling-origin backtest", "");
    out.push(`The protocol repeated at ${folds} cut points (expanding training window, test blocks in time order; per-fold rows in backtest.csv). Test AUC across folds:`, "");
    out.push(mdTable(["model", "folds", "mean_auc", "min_auc", "max_auc"], summary));
  }
  if (results.labelComparison) {
    out.push("## What counts as finished?", "");
    out.push(`The same split and the same ${results.labelComparison.primaryModel} model under each completion rule (label_comparison.csv); this run's rule is ${report.label?.rule ?? "reason-end"}.`, "");
    out.push(
      mdTable(
        ["rule", "labelled_plays", "base_rate", "test_base_rate", "test_auc", "test_logloss", "agreement_with_reason_end", "finished_only_by_rule", "finished_only_by_reason_end"],
        results.labelComparison.rows,
      ),
    );
    out.push(labelComparisonSentence(results.labelComparison), "");
  }
  out.push("## Top features (tfjs logistic, standardised coefficients)", "");
  out.push(topFeatureSentence(importance), "");
  out.push(mdTable(["rank", "feature", "group", "coefficient", "closed_loop_coefficient"], importance.slice(0, 15)));
  out.push("## Data coverage", "");
  out.push(
    mdTable(
      ["reason", "rows"],
      [{ reason: "kept (music plays)", rows: report.rowsKept }, ...Object.entries(report.dropped).map(([reason, rows]) => ({ reason: `dropped: ${reason}`, rows }))],
    ),
  );
  out.push(
    report.labelCoverage.unlabelledMonths.length > 0
      ? `Months with no labelled play (reason_end null or unknown): ${report.labelCoverage.unlabelledMonths.map(mdEscape).join(", ")}. Their plays still feed session and as-of features.`
      : "Every month with plays has labelled plays.",
    "",
  );
  return out.join("\n");
}

export function projectSummaryMarkdown(results: RunResults): string {
  const f = facts(results);
  const { prepared, playlist, importance } = results;
  const report = f.report;
  const top = playlist.rows[0];
  const lines = [
    "# Which plays do I finish? — summary",
    "",
    `- **Data:** ${report.rowsKept} music plays from ${report.dateRange?.first.slice(0, 10) ?? "n/a"} to ${report.dateRange?.last.slice(0, 10) ?? "n/a"}; ${pct(report.labelCoverage.labelled > 0 ? report.labelCoverage.completed / report.labelCoverage.labelled : null)} of the ${report.labelCoverage.labelled} labelled plays were played to the end.`,
    `- **Model:** a calibrated tfjs logistic regression on ${prepared.features.cols} leak-free features predicts completion of unseen later plays with AUC ${fmt(f.primary?.test_auc)} (log loss ${fmt(f.primary?.test_logloss)}, ECE ${fmt(f.primary?.test_ece)}), against ${fmt(f.heuristic?.test_auc)} for the track/artist skip-rate heuristic and ${fmt(f.popularity?.test_auc)} for popularity.`,
    `- **Best deployable model:** ${f.best ? `${f.best.model} (AUC ${fmt(f.best.test_auc)})` : "n/a"}. ${sentenceMlp(f)}`,
    `- **Parity:** ${sentenceParity(results)}`,
    `- **Leakage:** ${sentenceLeak(f)}`,
    `- **What drives completion:** ${topFeatureSentence(importance)}`,
    `- **Recommendations:** the top-${f.hitRate.n} list from training data recovers ${pct(f.hitRate.model.recall.value)} of the tracks completed later (most-played list: ${pct(f.hitRate.popularity.recall.value)}); when its tracks came up later they were finished ${pct(f.hitRate.model.testCompletionRate.value)} of the time (most-played list: ${pct(f.hitRate.popularity.testCompletionRate.value)}).${top ? ` First pick: “${mdEscape(top.track ?? top.spotify_track_uri)}” by ${mdEscape(top.artist ?? "unknown artist")} — ${mdEscape(top.reason)}.` : ""}`,
    "",
  ];
  return lines.join("\n");
}
