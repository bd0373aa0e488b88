/** Every figure: contract file name, title, and how to build its spec (or why it is skipped). */
import type { VlSpec } from "./common";
import * as byHour from "./completionByHour";
import * as overTime from "./completionOverTime";
import * as features from "./featureImportance";
import * as heatmap from "./hourWeekday";
import * as labels from "./labelDisagreement";
import * as comparison from "./modelComparison";
import * as platforms from "./platformMix";
import * as distribution from "./predictionDistribution";
import * as reliability from "./reliability";
import * as curves from "./rocCurves";
import * as session from "./sessionPosition";
import * as artists from "./topArtists";
import * as training from "./trainingCurves";
import type { FigureData } from "./types";

export type SpecResult = { spec: VlSpec } | { skipped: string };

export interface FigureDef {
  /** Stable id, also the dashboard div id suffix. */
  id: string;
  file: string;
  title: string;
  /** Set for a figure drawn only when the run asks for it: the option that does (its data is missing otherwise). */
  optional?: string;
  build(data: FigureData): SpecResult;
}

const NO_LABELS = { skipped: "no labelled plays" };
const NO_PLAYS = { skipped: "no scored plays" };
const hasCurves = (d: FigureData, which: "roc" | "pr") => d[which].summary.some((s) => s.value !== null);
const primaryRows = (d: FigureData) => d.reliability.reduce((s, b) => s + b.count, 0);

export const FIGURES: FigureDef[] = [
  {
    id: "completion_rate_by_hour", file: byHour.FILE, title: byHour.TITLE,
    build: (d) => (d.meta.labelled === 0 ? NO_LABELS : { spec: byHour.completionByHourSpec(d.hourly) }),
  },
  {
    id: "prediction_distribution", file: distribution.FILE, title: distribution.TITLE,
    build: (d) => primaryRows(d) === 0
      ? { skipped: `no labelled plays with a ${d.meta.primaryModel} score` }
      : { spec: distribution.predictionDistributionSpec(d.predictionHistogram, d.meta.primaryModel, d.meta.evalSplit) },
  },
  {
    id: "top_artists_completion_rate", file: artists.FILE, title: artists.TITLE,
    build: (d) => (d.meta.labelled === 0 ? NO_LABELS : { spec: artists.topArtistsSpec(d.topArtists) }),
  },
  {
    id: "platform_mix", file: platforms.FILE, title: platforms.TITLE,
    build: (d) => (d.meta.plays === 0 ? NO_PLAYS : { spec: platforms.platformMixSpec(d.platformMix) }),
  },
  {
    id: "reliability_diagram", file: reliability.FILE, title: reliability.TITLE,
    build: (d) => primaryRows(d) === 0
      ? { skipped: `no labelled plays with a ${d.meta.primaryModel} score` }
      : { spec: reliability.reliabilitySpec(d.reliability, d.meta.primaryModel, d.meta.evalSplit) },
  },
  {
    id: "roc_curves", file: curves.ROC_FILE, title: curves.ROC_TITLE,
    build: (d) => hasCurves(d, "roc")
      ? { spec: curves.rocSpec(d.roc.points, d.roc.summary, d.meta.evalSplit) }
      : { skipped: "needs both completed and skipped scored plays" },
  },
  {
    id: "pr_curves", file: curves.PR_FILE, title: curves.PR_TITLE,
    build: (d) => hasCurves(d, "pr")
      ? { spec: curves.prSpec(d.pr.points, d.pr.summary, d.pr.positiveRate, d.meta.evalSplit) }
      : { skipped: "needs both completed and skipped scored plays" },
  },
  {
    id: "feature_importance", file: features.FILE, title: features.TITLE,
    build: (d) => d.featureImportance === null
      ? { skipped: "no feature importance input (feature_importance.csv)" }
      : d.featureImportance.length === 0
        ? { skipped: "feature importance input has no finite coefficients" }
        : { spec: features.featureImportanceSpec(d.featureImportance) },
  },
  {
    id: "completion_by_session_position", file: session.FILE, title: session.TITLE,
    build: (d) => (d.meta.labelled === 0 ? NO_LABELS : { spec: session.sessionPositionSpec(d.sessionPosition) }),
  },
  {
    id: "hour_weekday_heatmap", file: heatmap.FILE, title: heatmap.TITLE,
    build: (d) => (d.meta.labelled === 0 ? NO_LABELS : { spec: heatmap.hourWeekdaySpec(d.hourWeekday) }),
  },
  {
    id: "model_comparison", file: comparison.FILE, title: comparison.TITLE,
    build: (d) => d.modelComparison === null
      ? { skipped: "no model comparison input (model_comparison.csv)" }
      : d.modelComparison.length === 0
        ? { skipped: "model comparison input has no recognisable model/AUC/log loss columns" }
        : { spec: comparison.modelComparisonSpec(d.modelComparison) },
  },
  {
    id: "completion_over_time", file: overTime.FILE, title: overTime.TITLE,
    build: (d) => d.monthly === null
      ? { skipped: "no monthly input (monthly_completion.csv)" }
      : d.monthly.length === 0
        ? { skipped: "monthly input is empty" }
        : { spec: overTime.completionOverTimeSpec(d.monthly) },
  },
  {
    id: "label_disagreement_by_platform", file: labels.FILE, title: labels.TITLE, optional: "--compare-labels",
    build: (d) => d.labelDisagreement === null
      ? { skipped: "no label comparison (run the pipeline with --compare-labels)" }
      : d.labelDisagreement.length === 0
        ? { skipped: "the label comparison holds no rule besides reason-end with labelled plays" }
        : { spec: labels.labelDisagreementSpec(d.labelDisagreement) },
  },
  {
    id: "training_curves", file: training.FILE, title: training.TITLE,
    build: (d) => d.training === null
      ? { skipped: "no training history input (model_metrics.json)" }
      : d.training.length === 0
        ? { skipped: "no iteratively trained model recorded a loss" }
        : { spec: training.trainingCurvesSpec(training.trainingCurvePoints(d.training)) },
  },
];

/** The figures every run draws (the optional ones need their option). */
export const DEFAULT_FIGURES = FIGURES.filter((f) => !f.optional);
