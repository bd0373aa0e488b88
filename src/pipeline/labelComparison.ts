/**
 * `--compare-labels`: the same export, the same split and the same primary model under
 * several completion rules. For each rule: its base rate, the primary model's test AUC and
 * log loss, how often it agrees with `reason-end`, and (for `played-fraction`) where its
 * track lengths came from; plus the disagreement with `reason-end` per platform family.
 *
 * Every rule labels the same plays (those with a known reason_end), so one split serves
 * all of them; each rule gets its own features, because history features follow the label
 * (but the rule the run itself was trained with, which takes the run's model), and its own λ.
 * Both logistic regressions reach the objective's one minimum to the gradient tolerance, so a
 * rule's primary model starts at its closed loop's minimiser (see `fitPrimary`).
 */
import type { SplitPlan } from "../features";
import { labelRuleName, relabel } from "../ingest/label";
import { DEFAULT_LABEL_RULE } from "../ingest/label";
import type { IngestResult, LabelRule, PlayTable } from "../ingest/types";
import type { LabelDisagreementRow } from "../report/figures/types";
import { evaluateModels } from "./evaluate";
import type { Evaluation } from "./evaluate";
import type { PipelineParams } from "./params";
import { prepareWithSplit } from "./prepare";
import type { Progress } from "./progress";
import { silentProgress } from "./progress";
import { PRIMARY_MODEL, trainModels } from "./train";
import type { ModelRun } from "./train";

/** One row of label_comparison.csv / .json. */
export interface LabelComparisonRow {
  rule: string;
  labelled_plays: number;
  completed_plays: number;
  /** completed / labelled over the whole export. */
  base_rate: number | null;
  test_plays: number;
  test_base_rate: number | null;
  /** Primary model, calibrated, test window. */
  test_auc: number | null;
  test_logloss: number | null;
  /** Share of labelled plays this rule labels as reason-end does. */
  agreement_with_reason_end: number | null;
  /** Finished under this rule, not under reason-end. */
  finished_only_by_rule: number;
  /** Finished under reason-end, not under this rule. */
  finished_only_by_reason_end: number;
  /** played-fraction only (else null): labelled plays whose length came from each source. */
  length_from_track: number | null;
  length_from_artist: number | null;
  length_from_global: number | null;
  length_from_default: number | null;
}

export const LABEL_COMPARISON_COLUMNS = [
  "rule", "labelled_plays", "completed_plays", "base_rate", "test_plays", "test_base_rate", "test_auc", "test_logloss",
  "agreement_with_reason_end", "finished_only_by_rule", "finished_only_by_reason_end",
  "length_from_track", "length_from_artist", "length_from_global", "length_from_default",
] as const;

export interface LabelComparison {
  primaryModel: string;
  rows: LabelComparisonRow[];
  /** Rules other than reason-end × platform families (by labelled plays, most first). */
  byPlatform: LabelDisagreementRow[];
}

/**
 * The primary model, on its own features for these labels, with its own λ. Only its scores are
 * read here, not a training curve: it starts at the closed loop's minimiser and tfjs checks it
 * (`primaryFromClosedLoop`; at 1M plays 12–16 s a rule instead of 19–26 with Adam then Newton,
 * and a peak 0.45–0.7 GB lower). Only the primary is evaluated: its row is all the comparison reads.
 */
async function fitPrimary(ingest: IngestResult, split: SplitPlan, params: PipelineParams): Promise<Evaluation> {
  const prepared = prepareWithSplit(ingest, split, params);
  const run = await trainModels(prepared, params, silentProgress, { only: [PRIMARY_MODEL, "closed_loop_logistic"], primaryFromClosedLoop: true });
  return evaluateModels(prepared.features, { ...run, models: run.models.filter((m) => m.name === PRIMARY_MODEL) });
}

/** Per platform family: labelled plays and how many `completed` labels differ from `reference`. */
function disagreementByPlatform(rule: string, plays: PlayTable, reference: Int8Array): LabelDisagreementRow[] {
  const k = plays.platformFamily.values.length;
  const labelled = new Float64Array(k);
  const disagree = new Float64Array(k);
  for (let i = 0; i < plays.length; i++) {
    const c = plays.platformFamily.codes[i];
    if (c < 0 || reference[i] < 0) continue;
    labelled[c]++;
    if (plays.completed[i] !== reference[i]) disagree[c]++;
  }
  return plays.platformFamily.values
    .map((platform_family, c) => ({ rule, platform_family, labelled: labelled[c], disagree: disagree[c], disagreement: labelled[c] > 0 ? disagree[c] / labelled[c] : 0 }))
    .filter((r) => r.labelled > 0);
}

/**
 * @param evaluated the run's own models and their evaluation (trained on `ingest` and `split`):
 *   the rule that labels the plays as `ingest` does takes its primary model's numbers (a fresh
 *   fit's to the gradient tolerance: the same features, λ and objective) instead of building its
 *   features and fitting it again. Not when the run was trained with another seed than
 *   `params.seed` (a notebook 04 given another SEED than 03).
 */
export async function compareLabels(
  ingest: IngestResult,
  split: SplitPlan,
  params: PipelineParams,
  rules: LabelRule[],
  progress: Progress = silentProgress,
  evaluated?: { run: ModelRun; evaluation: Evaluation },
): Promise<LabelComparison> {
  const reusable = evaluated && evaluated.run.budgets.seed === params.seed ? evaluated.evaluation : undefined;
  const reference = relabel(ingest.plays, DEFAULT_LABEL_RULE).plays.completed;
  const rows: LabelComparisonRow[] = [];
  const byPlatform: LabelDisagreementRow[] = [];
  for (const rule of rules) {
    const name = labelRuleName(rule);
    const stage = `labels ${name}`;
    progress.start(stage);
    const { plays, report } = relabel(ingest.plays, rule);
    // A rule that labels every play as the run did gives the run's own features and primary model.
    const sameLabels = reusable !== undefined && plays.completed.every((c, i) => c === ingest.plays.completed[i]);
    const evaluation = sameLabels ? reusable : await fitPrimary({ ...ingest, plays, report: { ...ingest.report, label: report } }, split, params);
    const primary = evaluation.comparison.find((r) => r.model === PRIMARY_MODEL);
    const test = evaluation.models.find((m) => m.name === PRIMARY_MODEL)?.test;
    let agree = 0;
    let onlyRule = 0;
    let onlyReason = 0;
    for (let i = 0; i < plays.length; i++) {
      if (reference[i] < 0) continue;
      const a = plays.completed[i];
      if (a === reference[i]) agree++;
      else if (a === 1) onlyRule++;
      else onlyReason++;
    }
    const src = report.lengthEstimate?.sources;
    rows.push({
      rule: name,
      labelled_plays: report.labelled,
      completed_plays: report.completed,
      base_rate: report.labelled > 0 ? report.completed / report.labelled : null,
      test_plays: test?.n ?? 0,
      test_base_rate: test && test.n > 0 ? test.positives / test.n : null,
      test_auc: primary?.test_auc ?? null,
      test_logloss: primary?.test_logloss ?? null,
      agreement_with_reason_end: report.labelled > 0 ? agree / report.labelled : null,
      finished_only_by_rule: onlyRule,
      finished_only_by_reason_end: onlyReason,
      length_from_track: src ? src.track : null,
      length_from_artist: src ? src.artist : null,
      length_from_global: src ? src.global : null,
      length_from_default: src ? src.default : null,
    });
    if (rule.kind !== "reason-end") byPlatform.push(...disagreementByPlatform(name, plays, reference));
    progress.done(stage, `base rate ${rows[rows.length - 1].base_rate?.toFixed(3) ?? "n/a"}, test AUC ${primary?.test_auc?.toFixed(3) ?? "n/a"}`);
  }
  // platforms by labelled plays (most first), then rule order
  const volume = new Map<string, number>();
  for (const r of byPlatform) volume.set(r.platform_family, Math.max(volume.get(r.platform_family) ?? 0, r.labelled));
  const ruleOrder = new Map(rows.map((r, k) => [r.rule, k]));
  byPlatform.sort(
    (a, b) =>
      (volume.get(b.platform_family) as number) - (volume.get(a.platform_family) as number) ||
      a.platform_family.localeCompare(b.platform_family) ||
      (ruleOrder.get(a.rule) as number) - (ruleOrder.get(b.rule) as number),
  );
  return { primaryModel: PRIMARY_MODEL, rows, byPlatform };
}

/**
 * The comparison in one computed sentence (RESULTS.md, the notebook): which rule finishes
 * the most and the fewest plays, which the model predicts best, and the rule furthest from
 * reason-end.
 */
export function labelComparisonSentence(c: LabelComparison): string {
  const rated = c.rows.filter((r) => r.base_rate !== null);
  if (rated.length === 0) return "No rule labelled any play, so the rules cannot be compared.";
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const by = <K extends keyof LabelComparisonRow>(rows: LabelComparisonRow[], key: K, dir: 1 | -1) =>
    rows.reduce((best, r) => ((r[key] as number) * dir > (best[key] as number) * dir ? r : best), rows[0]);
  const hi = by(rated, "base_rate", 1);
  const lo = by(rated, "base_rate", -1);
  const parts = [
    rated.length === 1
      ? `Under ${hi.rule}, ${pct(hi.base_rate as number)} of ${hi.labelled_plays} labelled plays count as finished.`
      : `How many plays count as finished depends on the rule: from ${pct(lo.base_rate as number)} (${lo.rule}) to ${pct(hi.base_rate as number)} (${hi.rule}) of ${hi.labelled_plays} labelled plays.`,
  ];
  const others = rated.filter((r) => r.rule !== "reason-end" && r.agreement_with_reason_end !== null);
  if (others.length > 0) {
    const far = by(others, "agreement_with_reason_end", -1);
    parts.push(
      `${far.rule} agrees least with reason-end (${pct(far.agreement_with_reason_end as number)} of plays; ${far.finished_only_by_rule} finished only under ${far.rule}, ${far.finished_only_by_reason_end} only under reason-end).`,
    );
  }
  const scored = rated.filter((r) => r.test_auc !== null);
  if (scored.length >= 2) {
    const best = by(scored, "test_auc", 1);
    const worst = by(scored, "test_auc", -1);
    parts.push(`The ${c.primaryModel} model predicts ${best.rule} best (test AUC ${(best.test_auc as number).toFixed(3)}) and ${worst.rule} worst (${(worst.test_auc as number).toFixed(3)}).`);
  }
  return parts.join(" ");
}
