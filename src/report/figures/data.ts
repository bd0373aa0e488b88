/** `buildFigureData`: every figure's aggregated data from scored plays and optional extras. */
import { field } from "../rows";
import { plotCurves, plotReliability } from "./curves";
import type {
  ArtistRow, ComparisonRow, CurvePoint, CurveSummary, FeatureRow, FigureData, FigureInputs,
  HeatCell, HistogramBin, HourRow, MonthRow, PlatformRow, RateRow, ScoredSample, SessionRow, TrainingHistory,
} from "./types";

export const TOP_ARTISTS = 15;
export const TOP_FEATURES = 20;
export const HISTOGRAM_BINS = 20;
export const RELIABILITY_BINS = 10;
export const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Plain code-unit string order (locale-independent, deterministic). */
export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

class RateAcc {
  plays = 0;
  labelled = 0;
  completed = 0;
  add(s: ScoredSample): void {
    this.plays++;
    if (s.label === 0 || s.label === 1) {
      this.labelled++;
      this.completed += s.label;
    }
  }
  row(): RateRow {
    const { plays, labelled, completed } = this;
    return { plays, labelled, completed, completion_rate: labelled > 0 ? completed / labelled : null };
  }
}

function groupRates(samples: ScoredSample[], key: (s: ScoredSample) => string): Map<string, RateAcc> {
  const groups = new Map<string, RateAcc>();
  for (const s of samples) {
    const k = key(s);
    let acc = groups.get(k);
    if (!acc) groups.set(k, (acc = new RateAcc()));
    acc.add(s);
  }
  return groups;
}

const isLabelled = (s: ScoredSample) => s.label === 0 || s.label === 1;
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function hourly(samples: ScoredSample[]): HourRow[] {
  const g = groupRates(samples, (s) => String(s.hour_local));
  return Array.from({ length: 24 }, (_, hour) => ({ hour, ...(g.get(String(hour)) ?? new RateAcc()).row() }));
}

function topArtists(samples: ScoredSample[]): ArtistRow[] {
  const g = groupRates(samples, (s) => s.artist ?? "");
  return [...g.entries()]
    .map(([artist, acc]) => ({ artist, ...acc.row() }))
    .sort((a, b) => b.plays - a.plays || compareText(a.artist, b.artist))
    .slice(0, TOP_ARTISTS)
    .map((r, i) => ({ ...r, rank: i + 1 }));
}

function platformMix(samples: ScoredSample[]): PlatformRow[] {
  const g = groupRates(samples, (s) => s.platform_family || "unknown");
  return [...g.entries()]
    .map(([platform_family, acc]) => ({ platform_family, ...acc.row(), share: acc.plays / samples.length }))
    .sort((a, b) => b.plays - a.plays || compareText(a.platform_family, b.platform_family));
}

/** Session-position buckets: 1 … 10 individually, then 11-20, 21-50, 51+. */
export function sessionBucket(position: number): { bucket: string; order: number } {
  if (position <= 10) return { bucket: String(Math.max(1, Math.floor(position))), order: Math.max(1, Math.floor(position)) };
  if (position <= 20) return { bucket: "11-20", order: 11 };
  if (position <= 50) return { bucket: "21-50", order: 12 };
  return { bucket: "51+", order: 13 };
}

function sessionPosition(samples: ScoredSample[]): SessionRow[] {
  const g = groupRates(samples, (s) => sessionBucket(s.session_position).bucket);
  return [...g.entries()]
    .map(([bucket, acc]) => ({ bucket, order: sessionBucket(bucket === "51+" ? 51 : parseInt(bucket, 10)).order, ...acc.row() }))
    .sort((a, b) => a.order - b.order);
}

function hourWeekday(samples: ScoredSample[]): HeatCell[] {
  const g = groupRates(samples, (s) => `${s.day_of_week}:${s.hour_local}`);
  const cells: HeatCell[] = [];
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++) {
      cells.push({ day_of_week: d, day: DAY_NAMES[d], hour: h, ...(g.get(`${d}:${h}`) ?? new RateAcc()).row() });
    }
  }
  return cells;
}

function histogram(scores: number[], labels: number[]): HistogramBin[] {
  const bins: HistogramBin[] = [];
  const counts = { completed: new Array<number>(HISTOGRAM_BINS).fill(0), skipped: new Array<number>(HISTOGRAM_BINS).fill(0) };
  scores.forEach((p, i) => {
    const b = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(p * HISTOGRAM_BINS)));
    counts[labels[i] === 1 ? "completed" : "skipped"][b]++;
  });
  for (const outcome of ["completed", "skipped"] as const) {
    counts[outcome].forEach((count, b) =>
      bins.push({ bin_start: b / HISTOGRAM_BINS, bin_end: (b + 1) / HISTOGRAM_BINS, outcome, count }),
    );
  }
  return bins;
}

const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Scores and labels of rows where `model` is a finite number and the label is known. */
function scoresFor(rows: ScoredSample[], model: string): { scores: number[]; labels: number[] } {
  const scores: number[] = [];
  const labels: number[] = [];
  for (const s of rows) {
    const p = field(s, model);
    if (finite(p) && isLabelled(s)) {
      scores.push(Math.min(1, Math.max(0, p)));
      labels.push(s.label as number);
    }
  }
  return { scores, labels };
}

/** ROC and PR curves per model; each model's scores are gathered and sorted once for both. */
function curves(rows: ScoredSample[], models: string[]) {
  const roc = { points: [] as CurvePoint[], summary: [] as CurveSummary[] };
  const pr = { points: [] as CurvePoint[], summary: [] as CurveSummary[] };
  for (const model of models) {
    const { scores, labels } = scoresFor(rows, model);
    const both = plotCurves(labels, scores);
    for (const [out, curve] of [[roc, both.roc], [pr, both.pr]] as const) {
      for (const [x, y] of curve.points) out.points.push({ model, x, y });
      out.summary.push({ model, value: curve.value, n: scores.length });
    }
  }
  return { roc, pr };
}

function featureRows(input: FigureInputs["featureImportance"]): FeatureRow[] | null {
  if (!input) return null;
  return input
    .filter((r) => finite(r.coefficient))
    .sort((a, b) => Math.abs(b.coefficient) - Math.abs(a.coefficient) || compareText(a.feature, b.feature))
    .slice(0, TOP_FEATURES)
    .map((r) => ({
      feature: String(r.feature),
      coefficient: r.coefficient,
      direction: r.coefficient >= 0 ? "raises completion" : "lowers completion",
    }));
}

function pickColumn(keys: string[], preferred: string[], pattern: RegExp, exclude?: RegExp): string | undefined {
  const lower = new Map(keys.map((k) => [k.toLowerCase(), k]));
  for (const p of preferred) if (lower.has(p)) return lower.get(p);
  return keys.find((k) => pattern.test(k) && !(exclude && exclude.test(k)));
}

/**
 * Long-format test AUC / log loss per model from model_comparison rows. Tolerates column names
 * such as model|name, test_auc|auc|roc_auc, test_log_loss|log_loss; keeps split=test rows when a
 * split column exists.
 */
export function comparisonRows(input: FigureInputs["modelComparison"]): ComparisonRow[] | null {
  if (!input) return null;
  const keys = [...new Set(input.flatMap((r) => Object.keys(r)))];
  const modelKey = pickColumn(keys, ["model", "name", "model_name"], /model/i);
  if (!modelKey) return [];
  const splitKey = pickColumn(keys, ["split"], /^split$/i);
  const rows = splitKey && input.some((r) => field(r, splitKey) === "test") ? input.filter((r) => field(r, splitKey) === "test") : input;
  const aucKey = pickColumn(keys, ["test_auc", "auc_test", "test_roc_auc", "roc_auc", "auc"], /auc/i, /pr|valid|train/i);
  const llKey = pickColumn(keys, ["test_log_loss", "log_loss_test", "test_logloss", "log_loss", "logloss"], /log.?loss/i, /valid|train/i);
  const out: ComparisonRow[] = [];
  for (const [metric, key] of [["AUC", aucKey], ["log loss", llKey]] as const) {
    if (!key) continue;
    for (const r of rows) {
      const v = field(r, key);
      if (finite(v)) out.push({ model: String(field(r, modelKey)), metric, value: v });
    }
  }
  return out;
}

/** Monthly rows (plays, labelled, completion_rate) → figure rows with a labelled / no-labels status. */
export function monthRows(input: FigureInputs["monthly"]): MonthRow[] | null {
  if (!input) return null;
  return [...input]
    .sort((a, b) => compareText(a.month, b.month))
    .map((m) => ({
      month: m.month,
      plays: m.plays,
      labelled: m.labelled,
      completion_rate: m.labelled > 0 && finite(m.completion_rate) ? m.completion_rate : null,
      status: m.labelled > 0 ? "labelled" : "no labels",
    }));
}

/** Aggregate everything the figures, dashboard and summary need. Pure and deterministic. */
/** Finite losses only (JSON turns NaN into null), models with at least one. */
function trainingRows(histories: TrainingHistory[]): TrainingHistory[] {
  return histories
    .map((h) => ({ ...h, train: h.train.filter(Number.isFinite), validation: h.validation.filter(Number.isFinite) }))
    .filter((h) => h.train.length > 0 || h.validation.length > 0);
}

export function buildFigureData(inputs: FigureInputs): FigureData {
  const scored = inputs.scored;
  const models = inputs.models.length > 0 ? [...inputs.models] : ["p_complete"];
  // Every scored play carries p_complete (the primary model, calibrated): the single-score
  // figures use it whichever per-model columns are compared in the curves.
  const primaryModel = "p_complete";
  const labelled = scored.filter(isLabelled);
  const test = labelled.filter((s) => s.split === "test");
  const evalRows = test.length > 0 ? test : labelled;
  const primary = scoresFor(evalRows, primaryModel);
  const calibration = plotReliability(primary.labels, primary.scores, RELIABILITY_BINS);
  const { roc, pr } = curves(evalRows, models);
  const positives = evalRows.filter((s) => s.label === 1).length;
  return {
    meta: {
      plays: scored.length,
      labelled: labelled.length,
      completed: labelled.filter((s) => s.label === 1).length,
      evalSplit: test.length > 0 ? "test" : "all labelled",
      evalRows: evalRows.length,
      primaryModel,
      models,
    },
    hourly: hourly(scored),
    predictionHistogram: histogram(primary.scores, primary.labels),
    predictionMeans: {
      completed: mean(primary.scores.filter((_, i) => primary.labels[i] === 1)),
      skipped: mean(primary.scores.filter((_, i) => primary.labels[i] === 0)),
    },
    topArtists: topArtists(scored),
    platformMix: platformMix(scored),
    reliability: calibration.bins,
    calibrationError: calibration.ece,
    roc,
    pr: { ...pr, positiveRate: evalRows.length > 0 ? positives / evalRows.length : null },
    featureImportance: featureRows(inputs.featureImportance),
    sessionPosition: sessionPosition(scored),
    hourWeekday: hourWeekday(scored),
    modelComparison: comparisonRows(inputs.modelComparison),
    monthly: monthRows(inputs.monthly),
    recommendations: inputs.recommendations ? inputs.recommendations.slice(0, 20) : null,
    labelDisagreement: inputs.labelDisagreement ? inputs.labelDisagreement.filter((r) => r.labelled > 0 && Number.isFinite(r.disagreement)).map((r) => ({ ...r })) : null,
    training: inputs.training ? trainingRows(inputs.training) : null,
  };
}
