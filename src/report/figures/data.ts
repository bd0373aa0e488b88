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

const isLabelled = (s: ScoredSample) => s.label === 0 || s.label === 1;
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
/** v when it is an integer in [0, n), else -1 (a play outside every hour / day is counted in none). */
const slot = (v: number, n: number) => (Number.isInteger(v) && v >= 0 && v < n ? v : -1);

/** Session-position buckets in order: 1 … 10 individually, then 11-20, 21-50, 51+. */
const SESSION_BUCKETS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11-20", "21-50", "51+"];

/** A position's bucket as its 1-based place in SESSION_BUCKETS (below 1 and fractions: by their floor, at least 1). */
const sessionOrder = (position: number): number =>
  position <= 10 ? Math.max(1, Math.floor(position)) : position <= 20 ? 11 : position <= 50 ? 12 : 13;

/**
 * Every per-play aggregate of the figures, from one pass over the scored plays: rates per
 * hour, hour × weekday, session bucket, artist and platform family, and the labelled and
 * labelled test plays (the rows the score figures evaluate).
 */
class PlayTally {
  readonly hours = Array.from({ length: 24 }, () => new RateAcc());
  /** day_of_week * 24 + hour */
  readonly cells = Array.from({ length: 7 * 24 }, () => new RateAcc());
  /** Indexed by bucket order (1-13). */
  readonly sessions: (RateAcc | undefined)[] = [];
  readonly artists = new Map<string, RateAcc>();
  readonly platforms = new Map<string, RateAcc>();
  readonly labelled: ScoredSample[] = [];
  readonly test: ScoredSample[] = [];

  constructor(samples: readonly ScoredSample[]) {
    for (const s of samples) this.add(s);
  }

  private add(s: ScoredSample): void {
    const hour = slot(s.hour_local, 24);
    const day = slot(s.day_of_week, 7);
    if (hour >= 0) this.hours[hour].add(s);
    if (hour >= 0 && day >= 0) this.cells[day * 24 + hour].add(s);
    (this.sessions[sessionOrder(s.session_position)] ??= new RateAcc()).add(s);
    groupOf(this.artists, s.artist ?? "").add(s);
    groupOf(this.platforms, s.platform_family || "unknown").add(s);
    if (isLabelled(s)) {
      this.labelled.push(s);
      if (s.split === "test") this.test.push(s);
    }
  }
}

function groupOf(groups: Map<string, RateAcc>, key: string): RateAcc {
  let acc = groups.get(key);
  if (!acc) groups.set(key, (acc = new RateAcc()));
  return acc;
}

function hourly(t: PlayTally): HourRow[] {
  return t.hours.map((acc, hour) => ({ hour, ...acc.row() }));
}

function topArtists(t: PlayTally): ArtistRow[] {
  return [...t.artists.entries()]
    .map(([artist, acc]) => ({ artist, ...acc.row() }))
    .sort((a, b) => b.plays - a.plays || compareText(a.artist, b.artist))
    .slice(0, TOP_ARTISTS)
    .map((r, i) => ({ ...r, rank: i + 1 }));
}

function platformMix(t: PlayTally, plays: number): PlatformRow[] {
  return [...t.platforms.entries()]
    .map(([platform_family, acc]) => ({ platform_family, ...acc.row(), share: acc.plays / plays }))
    .sort((a, b) => b.plays - a.plays || compareText(a.platform_family, b.platform_family));
}

function sessionPosition(t: PlayTally): SessionRow[] {
  const rows: SessionRow[] = [];
  t.sessions.forEach((acc, order) => {
    if (acc) rows.push({ bucket: SESSION_BUCKETS[order - 1], order, ...acc.row() });
  });
  return rows;
}

function hourWeekday(t: PlayTally): HeatCell[] {
  return t.cells.map((acc, i) => {
    const d = Math.floor(i / 24);
    return { day_of_week: d, day: DAY_NAMES[d], hour: i % 24, ...acc.row() };
  });
}

function histogram(scores: ArrayLike<number>, labels: ArrayLike<number>): HistogramBin[] {
  const bins: HistogramBin[] = [];
  const counts = { completed: new Array<number>(HISTOGRAM_BINS).fill(0), skipped: new Array<number>(HISTOGRAM_BINS).fill(0) };
  for (let i = 0; i < scores.length; i++) {
    const b = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(scores[i] * HISTOGRAM_BINS)));
    counts[labels[i] === 1 ? "completed" : "skipped"][b]++;
  }
  for (const outcome of ["completed", "skipped"] as const) {
    counts[outcome].forEach((count, b) =>
      bins.push({ bin_start: b / HISTOGRAM_BINS, bin_end: (b + 1) / HISTOGRAM_BINS, outcome, count }),
    );
  }
  return bins;
}

/** Mean score of the rows labelled `label` (summed in row order), null without any. */
function meanScore(scores: ArrayLike<number>, labels: ArrayLike<number>, label: 0 | 1): number | null {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] === label) {
      sum += scores[i];
      n++;
    }
  }
  return n > 0 ? sum / n : null;
}

interface ModelScores {
  scores: Float64Array;
  labels: Uint8Array;
}

/**
 * Per model: the scores (clamped to [0, 1]) and labels of the labelled rows where its score is
 * a finite number. One pass reading each row once for every model (a pass per model re-reads
 * every row object from memory).
 */
function scoreColumns(rows: readonly ScoredSample[], models: readonly string[]): Map<string, ModelScores> {
  const keys = [...new Set(models)];
  const scores = keys.map(() => new Float64Array(rows.length));
  const labels = keys.map(() => new Uint8Array(rows.length));
  const counts = new Int32Array(keys.length);
  for (const s of rows) {
    if (!isLabelled(s)) continue;
    for (let m = 0; m < keys.length; m++) {
      const p = field(s, keys[m]);
      if (finite(p)) {
        scores[m][counts[m]] = Math.min(1, Math.max(0, p));
        labels[m][counts[m]++] = s.label as number;
      }
    }
  }
  return new Map(keys.map((k, m) => [k, { scores: scores[m].subarray(0, counts[m]), labels: labels[m].subarray(0, counts[m]) }]));
}

/** ROC and PR curves per model; each model's scores are sorted once for both. */
function curves(models: string[], scores: Map<string, ModelScores>) {
  const roc = { points: [] as CurvePoint[], summary: [] as CurveSummary[] };
  const pr = { points: [] as CurvePoint[], summary: [] as CurveSummary[] };
  for (const model of models) {
    const s = scores.get(model)!;
    const both = plotCurves(s.labels, s.scores);
    for (const [out, curve] of [[roc, both.roc], [pr, both.pr]] as const) {
      for (const [x, y] of curve.points) out.points.push({ model, x, y });
      out.summary.push({ model, value: curve.value, n: s.scores.length });
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
  const tally = new PlayTally(scored);
  const { labelled, test } = tally;
  const evalRows = test.length > 0 ? test : labelled;
  const scores = scoreColumns(evalRows, [primaryModel, ...models]);
  const primary = scores.get(primaryModel)!;
  const calibration = plotReliability(primary.labels, primary.scores, RELIABILITY_BINS);
  const { roc, pr } = curves(models, scores);
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
    hourly: hourly(tally),
    predictionHistogram: histogram(primary.scores, primary.labels),
    predictionMeans: {
      completed: meanScore(primary.scores, primary.labels, 1),
      skipped: meanScore(primary.scores, primary.labels, 0),
    },
    topArtists: topArtists(tally),
    platformMix: platformMix(tally, scored.length),
    reliability: calibration.bins,
    calibrationError: calibration.ece,
    roc,
    pr: { ...pr, positiveRate: evalRows.length > 0 ? positives / evalRows.length : null },
    featureImportance: featureRows(inputs.featureImportance),
    sessionPosition: sessionPosition(tally),
    hourWeekday: hourWeekday(tally),
    modelComparison: comparisonRows(inputs.modelComparison),
    monthly: monthRows(inputs.monthly),
    recommendations: inputs.recommendations ? inputs.recommendations.slice(0, 20) : null,
    labelDisagreement: inputs.labelDisagreement ? inputs.labelDisagreement.filter((r) => r.labelled > 0 && Number.isFinite(r.disagreement)).map((r) => ({ ...r })) : null,
    training: inputs.training ? trainingRows(inputs.training) : null,
  };
}
