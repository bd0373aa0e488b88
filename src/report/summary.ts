/** `visualizationSummary`: markdown with one computed takeaway per figure. */
import { fmtInt, fmtPct } from "./figures/common";
import { FIGURES } from "./figures/registry";
import type { FigureData, RateRow, TrainingHistory } from "./figures/types";
import { mdEscape } from "./markdown";

/** Minimum labelled plays for a weekday×hour cell to be named as best/worst. */
export const HEATMAP_MIN_PLAYS = 10;

/** How a name (artist, model, feature…) is written into a sentence: escaped for markdown, or as-is. */
type Name = (text: string) => string;

const rated = <T extends RateRow>(rows: T[]) => rows.filter((r) => r.labelled > 0 && r.completion_rate !== null);
const rateOf = (r: RateRow) => r.completion_rate as number;

/** First row with the highest / lowest completion rate (ties: earliest in the given order). */
function extremes<T extends RateRow>(rows: T[]): { best: T; worst: T } | null {
  const rs = rated(rows);
  if (rs.length === 0) return null;
  let best = rs[0];
  let worst = rs[0];
  for (const r of rs) {
    if (rateOf(r) > rateOf(best)) best = r;
    if (rateOf(r) < rateOf(worst)) worst = r;
  }
  return { best, worst };
}

const plural = (n: number, word: string) => `${fmtInt(n)} ${word}${n === 1 ? "" : "s"}`;
const rateText = (r: RateRow) => `${fmtPct(rateOf(r))} of ${plural(r.labelled, "labelled play")}`;
const hh = (h: number) => `${String(h).padStart(2, "0")}:00`;
const f3 = (v: number) => v.toFixed(3);

/** Hours with fewer labelled plays are too noisy to be named as the peak or the low. */
export const HOUR_MIN_PLAYS = 10;

function hourly(d: FigureData): string {
  const e = extremes(d.hourly);
  if (!e) return "No labelled plays, so no hourly completion rate.";
  const hours = rated(d.hourly).length;
  if (hours === 1) return `Only ${hh(e.best.hour)} has labelled plays (${rateText(e.best)}).`;
  const busy = d.hourly.filter((r) => r.labelled >= HOUR_MIN_PLAYS);
  const b = busy.length >= 2 ? extremes(busy) : null;
  if (!b) return `Completion peaks at ${hh(e.best.hour)} (${rateText(e.best)}) and is lowest at ${hh(e.worst.hour)} (${rateText(e.worst)}); ${hours} of 24 hours have labelled plays, too few per hour to be sure.`;
  return `Among the ${busy.length} hours with at least ${HOUR_MIN_PLAYS} labelled plays, completion peaks at ${hh(b.best.hour)} (${rateText(b.best)}) and is lowest at ${hh(b.worst.hour)} (${rateText(b.worst)}); ${hours} of 24 hours have labelled plays.`;
}

function distribution(d: FigureData, n: Name): string {
  const { completed, skipped } = d.predictionMeans;
  const where = `${fmtInt(d.meta.evalRows)} ${d.meta.evalSplit} plays, ${n(d.meta.primaryModel)}`;
  if (completed === null && skipped === null) return "No scored labelled plays to compare.";
  if (completed === null || skipped === null) {
    const [name, v] = completed === null ? ["skipped", skipped as number] : ["completed", completed];
    return `Only ${name} plays are present (mean predicted ${f3(v)}; ${where}), so class separation cannot be judged.`;
  }
  const gap = completed - skipped;
  return `Completed plays average a predicted ${f3(completed)} vs ${f3(skipped)} for skipped plays (gap ${gap >= 0 ? "+" : ""}${f3(gap)}; ${where}).`;
}

function artists(d: FigureData, n: Name): string {
  const e = extremes(d.topArtists);
  if (!e) return "No labelled plays for the most played artists.";
  if (rated(d.topArtists).length === 1) return `Only ${n(e.best.artist)} has labelled plays (${rateText(e.best)}).`;
  return `Among the ${d.topArtists.length} most played artists, ${n(e.best.artist)} is completed most often (${rateText(e.best)}) and ${n(e.worst.artist)} least (${rateText(e.worst)}).`;
}

function platforms(d: FigureData, n: Name): string {
  const rows = d.platformMix;
  if (rows.length === 0) return "No plays.";
  const top = rows[0];
  const head = `${n(top.platform_family)} has the most plays (${fmtPct(top.share)}, ${fmtInt(top.plays)} of ${fmtInt(d.meta.plays)})`;
  const e = extremes(rows);
  if (rows.length === 1) return `All plays are on ${n(top.platform_family)}${e ? ` (completion ${fmtPct(rateOf(e.best))})` : ""}.`;
  if (!e || rated(rows).length < 2) return `${head}; too few labelled platforms to compare completion.`;
  return `${head}; completion ranges from ${fmtPct(rateOf(e.worst))} (${n(e.worst.platform_family)}) to ${fmtPct(rateOf(e.best))} (${n(e.best.platform_family)}) across ${rows.length} platform families.`;
}

function reliability(d: FigureData): string {
  const ece = d.calibrationError;
  const bins = d.reliability.filter((b) => b.count > 0 && b.mean_predicted !== null && b.observed_rate !== null);
  if (ece === null || bins.length === 0) return "No scored labelled plays to calibrate.";
  let worst = bins[0];
  const gap = (b: (typeof bins)[number]) => Math.abs((b.observed_rate as number) - (b.mean_predicted as number));
  for (const b of bins) if (gap(b) > gap(worst)) worst = b;
  const total = bins.reduce((s, b) => s + b.count, 0);
  return `Expected calibration error is ${f3(ece)} over ${fmtInt(total)} ${d.meta.evalSplit} plays; the largest gap is in bin ${worst.bin_start.toFixed(1)}-${worst.bin_end.toFixed(1)} (mean predicted ${f3(worst.mean_predicted as number)}, observed ${f3(worst.observed_rate as number)}, ${plural(worst.count, "play")}).`;
}

function ranked(summary: { model: string; value: number | null }[]) {
  return summary.filter((s) => s.value !== null).sort((a, b) => (b.value as number) - (a.value as number));
}

function roc(d: FigureData, n: Name): string {
  const r = ranked(d.roc.summary);
  if (r.length === 0) return "AUC cannot be computed: the evaluation plays lack a completed or a skipped play.";
  const rest = r.slice(1).map((s) => `${n(s.model)} ${f3(s.value as number)}`).join(", ");
  return `Best ${d.meta.evalSplit} AUC: ${n(r[0].model)} ${f3(r[0].value as number)}${rest ? ` (others: ${rest})` : ""}.`;
}

function pr(d: FigureData, n: Name): string {
  const r = ranked(d.pr.summary);
  if (r.length === 0 || d.pr.positiveRate === null) return "Average precision cannot be computed: the evaluation plays lack a completed or a skipped play.";
  const rest = r.slice(1).map((s) => `${n(s.model)} ${f3(s.value as number)}`).join(", ");
  return `Highest average precision: ${n(r[0].model)} ${f3(r[0].value as number)} against a completion base rate of ${f3(d.pr.positiveRate)}${rest ? ` (others: ${rest})` : ""}.`;
}

function features(d: FigureData, n: Name): string {
  const rows = d.featureImportance;
  if (!rows || rows.length === 0) return "No feature importance available.";
  const sign = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(2)}`;
  const top = rows[0];
  const other = rows.find((r) => (r.coefficient >= 0) !== (top.coefficient >= 0));
  const otherText = other ? `; strongest ${other.coefficient >= 0 ? "positive" : "negative"}: ${n(other.feature)} (${sign(other.coefficient)})` : "";
  return `Largest |coefficient|: ${n(top.feature)} (${sign(top.coefficient)}, ${top.direction})${otherText}.`;
}

function session(d: FigureData): string {
  const rs = rated(d.sessionPosition);
  const e = extremes(d.sessionPosition);
  if (!e || rs.length === 0) return "No labelled plays by session position.";
  const first = rs[0];
  const last = rs[rs.length - 1];
  if (rs.length === 1) return `Only position ${first.bucket} has labelled plays (${rateText(first)}).`;
  return `Completion is ${fmtPct(rateOf(first))} at position ${first.bucket} and ${fmtPct(rateOf(last))} at position ${last.bucket}; highest at ${e.best.bucket} (${rateText(e.best)}), lowest at ${e.worst.bucket} (${rateText(e.worst)}).`;
}

function heatmap(d: FigureData): string {
  const withLabels = rated(d.hourWeekday);
  if (withLabels.length === 0) return "No labelled plays by weekday and hour.";
  let min = HEATMAP_MIN_PLAYS;
  let cells = withLabels.filter((c) => c.labelled >= min);
  if (cells.length === 0) {
    min = 1;
    cells = withLabels;
  }
  const e = extremes(cells) as NonNullable<ReturnType<typeof extremes>>;
  const best = e.best as (typeof cells)[number];
  const worst = e.worst as (typeof cells)[number];
  return `Among the ${cells.length} weekday-hour cells with at least ${plural(min, "labelled play")}, completion is highest on ${best.day} ${hh(best.hour)} (${rateText(best)}) and lowest on ${worst.day} ${hh(worst.hour)} (${rateText(worst)}).`;
}

function comparison(d: FigureData, n: Name): string {
  const rows = d.modelComparison;
  if (!rows || rows.length === 0) return "No model comparison available.";
  const parts: string[] = [];
  const auc = rows.filter((r) => r.metric === "AUC");
  const ll = rows.filter((r) => r.metric === "log loss");
  if (auc.length > 0) {
    const best = auc.reduce((a, b) => (b.value > a.value ? b : a));
    parts.push(`highest test AUC: ${n(best.model)} (${f3(best.value)})`);
  }
  if (ll.length > 0) {
    const best = ll.reduce((a, b) => (b.value < a.value ? b : a));
    parts.push(`lowest log loss: ${n(best.model)} (${f3(best.value)})`);
  }
  const models = new Set(rows.map((r) => r.model)).size;
  return `Across ${models} models, ${parts.join("; ")}.`;
}

function monthly(d: FigureData): string {
  const rows = d.monthly;
  if (!rows || rows.length === 0) return "No monthly data available.";
  const span = `${rows.length} months (${rows[0].month} to ${rows[rows.length - 1].month})`;
  const withRate = rows.filter((r) => r.completion_rate !== null);
  const gaps = rows.filter((r) => r.status === "no labels" && r.plays > 0).map((r) => r.month);
  const gapText = gaps.length === 0 ? "every month has labelled plays" : `${gaps.length} month${gaps.length === 1 ? "" : "s"} with plays but no labels (${gaps.join(", ")})`;
  if (withRate.length === 0) return `Across ${span}, no month has labelled plays.`;
  let best = withRate[0];
  let worst = withRate[0];
  for (const r of withRate) {
    if ((r.completion_rate as number) > (best.completion_rate as number)) best = r;
    if ((r.completion_rate as number) < (worst.completion_rate as number)) worst = r;
  }
  return `Across ${span}, monthly completion ranges from ${fmtPct(worst.completion_rate as number)} (${worst.month}) to ${fmtPct(best.completion_rate as number)} (${best.month}); ${gapText}.`;
}

function labelDisagreement(d: FigureData, n: Name): string {
  const rows = d.labelDisagreement;
  if (!rows || rows.length === 0) return "No label comparison: run the pipeline with --compare-labels.";
  const worst = rows.reduce((a, b) => (b.disagreement > a.disagreement ? b : a));
  const rules = new Set(rows.map((r) => r.rule)).size;
  const platforms = new Set(rows.map((r) => r.platform_family)).size;
  return `Across ${rules} rule${rules === 1 ? "" : "s"} and ${platforms} platform famil${platforms === 1 ? "y" : "ies"}, the largest disagreement with reason-end is ${n(worst.rule)} on ${n(worst.platform_family)}: ${fmtPct(worst.disagreement)} of ${plural(worst.labelled, "labelled play")}.`;
}

function training(d: FigureData, n: Name): string {
  return trainingTakeaway(d.training ?? [], n);
}

/** One sentence per iteratively trained model: epochs run, early stop, best validation loss. */
export function trainingTakeaway(rows: TrainingHistory[], n: Name = mdEscape): string {
  if (rows.length === 0) return "No training history available.";
  const parts = rows.map((h) => {
    const epochs = Math.max(h.train.length, h.validation.length);
    if (h.validation.length === 0) return `${n(h.model)} ran ${plural(epochs, "epoch")} (no validation slice)`;
    let best = 0;
    h.validation.forEach((v, i) => {
      if (v < h.validation[best]) best = i;
    });
    const stop = h.stoppedEarly ? ", stopped by the validation loss" : "";
    return `${n(h.model)} ran ${plural(epochs, "epoch")}${stop}; its lowest validation log loss is ${f3(h.validation[best])} at epoch ${best + 1}`;
  });
  return `${parts.join("; ")}.`;
}

/** Takeaway per figure id, computed from the data. */
export const TAKEAWAYS: Record<string, (d: FigureData, n: Name) => string> = {
  completion_rate_by_hour: hourly,
  prediction_distribution: distribution,
  top_artists_completion_rate: artists,
  platform_mix: platforms,
  reliability_diagram: reliability,
  roc_curves: roc,
  pr_curves: pr,
  feature_importance: features,
  completion_by_session_position: session,
  hour_weekday_heatmap: heatmap,
  model_comparison: comparison,
  completion_over_time: monthly,
  label_disagreement_by_platform: labelDisagreement,
  training_curves: training,
};

/**
 * Computed takeaways for every figure, keyed by figure id (shared with the dashboard).
 * "markdown" escapes names with `mdEscape`; "text" leaves them raw (escape at output time).
 */
export function figureTakeaways(d: FigureData, format: "markdown" | "text" = "markdown"): Record<string, string> {
  const name: Name = format === "markdown" ? mdEscape : (t) => t;
  const out: Record<string, string> = {};
  for (const fig of FIGURES) out[fig.id] = TAKEAWAYS[fig.id](d, name);
  return out;
}

/** Markdown: overview line, then per figure its image link and takeaway (or why it was skipped). */
export function visualizationSummary(d: FigureData): string {
  const m = d.meta;
  const lines = ["# Visualization summary", ""];
  if (m.plays === 0) {
    lines.push("No scored plays: nothing to summarise.", "");
    return lines.join("\n");
  }
  const rate = m.labelled > 0 ? `, ${fmtPct(m.completed / m.labelled)} of them completed` : "";
  lines.push(
    `Computed from ${fmtInt(m.plays)} scored plays (${fmtInt(m.labelled)} labelled${rate}). ` +
      `Evaluation figures use ${fmtInt(m.evalRows)} ${m.evalSplit} plays; models: ${m.models.map(mdEscape).join(", ")}.`,
    "",
  );
  const takeaways = figureTakeaways(d);
  FIGURES.forEach((fig, i) => {
    const result = fig.build(d);
    lines.push(`## ${i + 1}) ${fig.title}`);
    if ("skipped" in result) {
      lines.push(`_Not generated: ${mdEscape(result.skipped)}._`, "");
      return;
    }
    lines.push(`![${mdEscape(fig.title)}](./${fig.file})`, `**Takeaway:** ${takeaways[fig.id]}`, "");
  });
  return lines.join("\n");
}
