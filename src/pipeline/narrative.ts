/**
 * The notebooks' computed sentences, one function per takeaway, so a cell is a short call and
 * every number comes from the run (nothing canned). Figure takeaways live in
 * report/summary.ts; these cover the notebooks' tables and checks, and need the pipeline's
 * own types (IngestReport, SplitPlan, evaluation rows, ModelRun).
 */
import type { FeatureSet, SplitPlan } from "../features/types";
import type { IngestReport } from "../ingest/types";
import type { HitRateResult } from "../recommend";
import type { ComparisonRow, Evaluation } from "./evaluate";
import type { PlayRows } from "./explore";
import type { FeaturesHeadStart, LeakyPieces, Prepared } from "./prepare";
import type { PipelineParams } from "./params";
import type { RateByRow } from "./tables";
import type { ModelRun } from "./train";

const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;
const f3 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(3));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

// ---------------------------------------------------------------- 01 ingest

/** Which files were read, per package, and the schema variants seen. */
export function filesSentence(report: IngestReport): string {
  const count = (p: string) => report.files.filter((f) => f.package === p).length;
  const variants = [...new Set(report.files.map((f) => f.variant).filter((v): v is string => !!v))];
  return (
    `${plural(report.files.length, "file")} were read: ${count("extended")} in the streaming history, ${count("account")} in Account Data, ` +
    `${count("tech")} technical logs. Schema variants seen: ${variants.join("; ") || "none"}.`
  );
}

/** Rows read = kept + dropped, and the largest reason for a drop. */
export function rowsAccountedSentence(report: IngestReport): string {
  const dropped = Object.entries(report.dropped);
  const total = dropped.reduce((s, [, n]) => s + n, 0);
  const largest = dropped.slice().sort((a, b) => b[1] - a[1])[0];
  const balance = report.rowsKept + total === report.rowsRead ? "all rows accounted for" : "COUNTS DO NOT ADD UP";
  return `${report.rowsRead} play records were read; ${report.rowsKept} music plays kept and ${total} dropped (${balance}), the largest drop being ${largest && largest[1] > 0 ? largest[0] : "none"}.`;
}

/** Label coverage: share labelled, months without labels, share completed. */
export function coverageSentence(report: IngestReport): string {
  const c = report.labelCoverage;
  return (
    `${pct(c.labelled / Math.max(1, report.rowsKept))} of music plays carry a label; ${c.unlabelledMonths.length} month(s) have none ` +
    `(${c.unlabelledMonths.join(", ") || "—"}). Of the labelled plays, ${pct(c.completed / Math.max(1, c.labelled))} were played to the end.`
  );
}

/** The account and technical-log counts as table rows. */
export function accountRows(report: IngestReport): { source: string; count: number }[] {
  return [
    { source: "library tracks", count: report.account.libraryTracks },
    { source: "playlists", count: report.account.playlists },
    { source: "playlist items", count: report.account.playlistItems },
    { source: "connection errors", count: report.tech.connectionError },
    { source: "playback errors", count: report.tech.playbackError },
    { source: "stutters", count: report.tech.stutter },
    { source: "tracks not played", count: report.tech.trackNotPlayed },
  ];
}

export function accountSentence(report: IngestReport): string {
  return `Profile country: ${report.account.country ?? "unknown"}. ${report.tech.connectionError} connection errors give the reliability features something to count (only errors before a play started may count for it).`;
}

/** What the DataFrame of "ask your own question" holds. */
export function askSentence(table: PlayRows, groups: number): string {
  const held = table.sampled ? `a seeded subsample of ${table.rows.length} of the ${table.total} plays (rates carry sampling noise)` : `all ${table.total} plays`;
  return `The DataFrame \`df\` holds ${held}, with columns ${Object.keys(table.rows[0] ?? {}).join(", ")}; the example splits its labelled plays into ${groups} year × platform groups. Change the \`groupby\` columns or \`query\` to ask your own question.`;
}

/** What 01's head start on 02 did (`prefetchFeatures`), and for which split. */
export function headStartSentence(h: FeaturesHeadStart, params: PipelineParams): string {
  const split = `test fraction ${params.testFraction}, validation fraction ${params.validationFraction}, time zone ${params.timezone ?? "from each play's country"}`;
  const said =
    h.outcome === "built"
      ? `Notebook 02's features (${split}) were built on a second thread while this notebook ran (${h.seconds.toFixed(1)} s) and cached: 02 loads them, unless it is given another split.`
      : h.outcome === "present"
        ? `Notebook 02's features (${split}) were already in the stage cache: 02 loads them.`
        : `Notebook 02's features were not built ahead (${h.reason ?? "no reason given"}): 02 builds its own.`;
  return [said, ...h.notes].join(" ");
}

// ---------------------------------------------------------------- 02 features

/** What a notebook's first data cell loaded, and whether the stage cache supplied it. */
export function preparedSentence(prepared: Prepared): string {
  const c = prepared.cache;
  const how = !c
    ? "computed from the export (stage cache off)"
    : c.features === "hit"
      ? "loaded from the stage cache (no re-parsing of the export)"
      : "computed from the export and cached for the next notebooks";
  return `${prepared.features.rows} labelled plays × ${prepared.features.cols} features, ${how}.`;
}

export function splitSentence(split: SplitPlan): string {
  const c = split.counts;
  return `Labelled plays are split by start time: ${c.train} train, ${c.validation} validation (early stopping, calibration) and ${c.test} test plays from ${split.validationEndIso} on; ${c.unlabelled} unlabelled plays only serve as context.`;
}

/** Highest and lowest completion hour among hours with at least `minPlays` labelled training plays. */
export function hourSentence(byHour: RateByRow[], zoneReason: string, minPlays = 20): string {
  const ranked = byHour.filter((r) => r.labelled >= minPlays && r.completion_rate !== null).sort((a, b) => b.completion_rate! - a.completion_rate!);
  if (ranked.length === 0) return `Time zone: ${zoneReason}. No hour has ${minPlays} labelled training plays yet.`;
  const hi = ranked[0];
  const lo = ranked[ranked.length - 1];
  return (
    `Time zone: ${zoneReason}. In the training window, completion is highest at ${hi.key}:00 (${pct(hi.completion_rate!, 0)}) and lowest at ${lo.key}:00 ` +
    `(${pct(lo.completion_rate!, 0)}) among hours with at least ${minPlays} plays, a non-linear daily shape, hence the sin/cos and day-part encoding.`
  );
}

/** Pooled completion rate of rows (completed / labelled), null without labels. */
export function pooledRate(rows: RateByRow[]): number | null {
  const labelled = rows.reduce((s, r) => s + r.labelled, 0);
  return labelled > 0 ? rows.reduce((s, r) => s + r.completed, 0) / labelled : null;
}

/** Early (1–5) vs late (15+) positions in a session. */
export function sessionSentence(bySession: RateByRow[]): string {
  const early = pooledRate(bySession.filter((r) => r.key <= 5));
  const late = pooledRate(bySession.filter((r) => r.key >= 15));
  const show = (x: number | null) => (x === null ? "n/a (no labelled plays)" : `${pct(x, 0)} of the time`);
  return `Plays 1–5 of a session finish ${show(early)}, plays 15 and later ${show(late)}.`;
}

/** Columns per feature group. */
export function groupCounts(features: FeatureSet): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const g of features.groups) groups[g] = (groups[g] ?? 0) + 1;
  return groups;
}

export function matrixSentence(features: FeatureSet): string {
  return `${features.rows} rows × ${features.cols} columns: ${Object.entries(groupCounts(features)).map(([g, n]) => `${n} ${g}`).join(", ")}.`;
}

/** Deployable columns named after the play's own outcome (there must be none). */
export function bannedColumns(features: FeatureSet): string[] {
  return features.names.filter((n) => /reason_end|ms_played|skipped/.test(n));
}

/** Share of rows whose leaky `leak_reason_end_trackdone` value ([rows]) equals their label; null without rows or the column. */
export function leakAgreement(trackdone: ArrayLike<number> | null, y: ArrayLike<number>): number | null {
  if (!trackdone || y.length === 0) return null;
  let agree = 0;
  for (let r = 0; r < y.length; r++) if (trackdone[r] === y[r]) agree++;
  return agree / y.length;
}

/** @param leaky the leaky columns, read one at a time (`Prepared.leakyPieces()`: never the whole leaky matrix) */
export function leakageSentence(features: FeatureSet, leaky: Pick<LeakyPieces, "column">): string {
  const banned = bannedColumns(features);
  const agree = leakAgreement(leaky.column("leak_reason_end_trackdone"), features.y);
  return (
    `Deployable features using the play's own outcome: ${banned.length === 0 ? "none" : banned.join(", ")}. ` +
    `In the leaky variant, \`leak_reason_end_trackdone\` equals the label on ${agree === null ? "n/a" : pct(agree)} of rows: it IS the label.`
  );
}

// ---------------------------------------------------------------- 03 model

/** How the closed-loop baseline's full-batch optimisation ended. */
export function closedLoopSentence(run: ModelRun): string {
  const h = run.histories.closed_loop_logistic;
  return `The closed-loop baseline took ${plural(h.iterations, "full-batch iteration")} (${h.converged ? "converged" : "not converged"}).`;
}

export function trainedSentence(run: ModelRun, trainPlays: number, cols: number, seed: number): string {
  return `${run.models.length} models trained on ${trainPlays} plays (${cols} features) with the **${run.backend.name}** tfjs backend; seed ${seed}.`;
}

export function paritySentence(evaluation: Evaluation): string {
  const p = evaluation.parity;
  return `Test AUC: tfjs ${p.tfjsAuc?.toFixed(4) ?? "n/a"}, closed loop ${p.closedLoopAuc?.toFixed(4) ?? "n/a"}, a difference of ${p.difference?.toFixed(4) ?? "n/a"}, ${p.agree ? "within" : "OUTSIDE"} the ${p.tolerance} tolerance.`;
}

// ---------------------------------------------------------------- 04 evaluate and rank

const rowOf = (rows: ComparisonRow[], name: string): ComparisonRow | undefined => rows.find((r) => r.model === name);

/** Best deployable model, MLP vs logistic, and the leaky reference's inflation. */
export function comparisonSentence(rows: ComparisonRow[]): string {
  const best = rows.filter((r) => r.deployable && r.test_auc !== null).sort((a, b) => b.test_auc! - a.test_auc!)[0];
  const mlp = rowOf(rows, "tfjs_mlp")?.test_auc ?? null;
  const lin = rowOf(rows, "tfjs_logistic")?.test_auc ?? null;
  const verdict = mlp === null || lin === null ? "one of them could not be evaluated" : mlp > lin ? "the MLP wins" : "the MLP does not beat the linear model here";
  const leaky = rowOf(rows, "leaky_reference")?.test_auc ?? null;
  return (
    `Best deployable model: **${best?.model ?? "none"}** (AUC ${f3(best?.test_auc)}). MLP vs logistic: ${f3(mlp)} vs ${f3(lin)}, ${verdict}. ` +
    `The leaky reference, fed the play's own reason_end and ms_played, reaches ${f3(leaky)}: what a model that leaks the label would report.`
  );
}

export function rankingSentence(evaluation: Evaluation): string {
  const rows = evaluation.comparison;
  const sessions = evaluation.models[0]?.ranking.eligibleSessions ?? 0;
  return `${sessions} test sessions qualify (≥ 5 labelled plays, ≥ 1 completion). Re-ordering them by the tfjs model gives NDCG@10 ${f3(rowOf(rows, "tfjs_logistic")?.test_ndcg_at_10)} against ${f3(rowOf(rows, "popularity")?.test_ndcg_at_10)} for popularity.`;
}

export function hitRateSentence(hitRate: HitRateResult): string {
  return (
    `Of ${hitRate.testCompletedTracks} distinct tracks finished in the test window, the top-${hitRate.n} list (built before it) holds ${hitRate.model.hits}: ` +
    `recall ${pct(hitRate.model.recall.value ?? 0)} vs ${pct(hitRate.popularity.recall.value ?? 0)} for the most-played list.`
  );
}
