/** Inputs and aggregated data shared by the SVG figures, the dashboard and notebooks. */
import type { ReliabilityBin } from "../../evaluate/metrics";

/** One scored play, as in `scored_samples.csv`. */
export interface ScoredSample {
  /** The export's `ts` (UTC time the stream ended). */
  ts: string;
  /** Local start time, ISO without offset, e.g. "2024-03-01T20:15:00". */
  start_local: string;
  /** 0-23, local. */
  hour_local: number;
  /** 0 = Monday … 6 = Sunday. */
  day_of_week: number;
  /** 1-based position in the listening session. */
  session_position: number;
  spotify_track_uri: string;
  track: string;
  artist: string;
  album: string;
  platform: string;
  platform_family: string;
  /** "train" | "validation" | "test" (free text tolerated). */
  split: string;
  /** 1 completed, 0 not; null when unlabelled (ignored by completion rates). */
  label: 0 | 1 | null;
  /** Primary model's completion probability. */
  p_complete: number;
  /** One probability column per model, e.g. `p_tfjs_logistic`. */
  [model: `p_${string}`]: number | null;
}

export interface FigureInputs {
  scored: ScoredSample[];
  /** Probability column names to compare (e.g. "p_complete", "p_tfjs_logistic"). Empty → ["p_complete"]. */
  models: string[];
  featureImportance?: { feature: string; coefficient: number }[];
  /** Rows of model_comparison (any column names: see `comparisonRows`). */
  modelComparison?: readonly object[];
  monthly?: { month: string; plays: number; labelled: number; completion_rate: number | null }[];
  /** Optional top recommendations (e.g. rows of top_resume_playlist.csv) for the dashboard table. */
  recommendations?: readonly object[];
  /** `--compare-labels` only: disagreement of each rule with reason-end per platform family (label_comparison.json `by_platform`). */
  labelDisagreement?: LabelDisagreementRow[];
  /** Optional per-epoch losses of the iteratively trained models (model_metrics.json "training"). */
  training?: TrainingHistory[];
}

/** One rule on one platform family: labelled plays it labels differently from reason-end. */
export interface LabelDisagreementRow {
  rule: string;
  platform_family: string;
  labelled: number;
  disagree: number;
  /** disagree / labelled. */
  disagreement: number;
}

/** One model's loss per epoch, as recorded in model_metrics.json. */
export interface TrainingHistory {
  model: string;
  /** [epochs] training loss (with the L2 penalty). */
  train: number[];
  /** [epochs] validation log loss (empty without a validation slice). */
  validation: number[];
  /** Whether the validation loss stopped training before the epoch limit. */
  stoppedEarly: boolean;
}

export interface RateRow {
  plays: number;
  labelled: number;
  completed: number;
  /** completed / labelled, null when nothing is labelled. */
  completion_rate: number | null;
}

export interface HourRow extends RateRow { hour: number }
export interface ArtistRow extends RateRow { artist: string; rank: number }
export interface PlatformRow extends RateRow { platform_family: string; share: number }
export interface SessionRow extends RateRow { bucket: string; order: number }
export interface HeatCell extends RateRow { day_of_week: number; day: string; hour: number }

export interface HistogramBin {
  bin_start: number;
  bin_end: number;
  outcome: "completed" | "skipped";
  count: number;
}

export type { ReliabilityBin } from "../../evaluate/metrics";

export interface CurvePoint { model: string; x: number; y: number }

export interface CurveSummary {
  model: string;
  /** ROC AUC or average precision; null when one class is missing. */
  value: number | null;
  n: number;
}

export interface FeatureRow { feature: string; coefficient: number; direction: "raises completion" | "lowers completion" }

export interface ComparisonRow { model: string; metric: "AUC" | "log loss"; value: number }

export interface MonthRow {
  month: string;
  plays: number;
  labelled: number;
  completion_rate: number | null;
  status: "labelled" | "no labels";
}

/** Aggregated data for every figure: plain JSON-serialisable values. */
export interface FigureData {
  meta: {
    plays: number;
    labelled: number;
    completed: number;
    /** Rows used by evaluation figures: "test" when the test split has labelled rows, else "all labelled". */
    evalSplit: "test" | "all labelled";
    evalRows: number;
    primaryModel: string;
    models: string[];
  };
  hourly: HourRow[];
  predictionHistogram: HistogramBin[];
  /** Mean primary score per outcome on the evaluation rows. */
  predictionMeans: { completed: number | null; skipped: number | null };
  topArtists: ArtistRow[];
  platformMix: PlatformRow[];
  reliability: ReliabilityBin[];
  /** Expected calibration error of the primary scores over `reliability`'s bins; null without rows. */
  calibrationError: number | null;
  roc: { points: CurvePoint[]; summary: CurveSummary[] };
  pr: { points: CurvePoint[]; summary: CurveSummary[]; positiveRate: number | null };
  featureImportance: FeatureRow[] | null;
  sessionPosition: SessionRow[];
  hourWeekday: HeatCell[];
  modelComparison: ComparisonRow[] | null;
  monthly: MonthRow[] | null;
  recommendations: readonly object[] | null;
  labelDisagreement: LabelDisagreementRow[] | null;
  /** Per-model histories (the training curves figure), null without the input. */
  training: TrainingHistory[] | null;
}
