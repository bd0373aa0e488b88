/**
 * Column lists of the standard CSV outputs, in file order: the one definition the writers
 * (`pipeline/write.ts`), the readers (`report/inputs.ts`), RESULTS.md's tables and the
 * comparison rows use, and that `outputs-template/schema/*.csv.schema.json` is tested against.
 */
import { RANKING_KS, RANKING_METRICS } from "../evaluate/ranking";
import type { RankingK, RankingMetricName } from "../evaluate/ranking";

/** Classification metrics of model_comparison, on the test window. */
export const CLASSIFICATION_COLUMNS = [
  "test_auc", "test_pr_auc", "test_logloss", "test_brier", "test_ece", "test_accuracy", "test_f1",
] as const;
export type ClassificationColumn = (typeof CLASSIFICATION_COLUMNS)[number];

export type RankingColumn = `test_${RankingMetricName}_at_${RankingK}`;

/** The column of ranking metric `metric` at cut-off `k` (rankingMetrics' key `${metric}@${k}`). */
export const rankingColumn = (metric: RankingMetricName, k: RankingK): RankingColumn => `test_${metric}_at_${k}`;

/** Within-session ranking metrics of model_comparison: each metric at each cut-off. */
export const RANKING_COLUMNS: readonly RankingColumn[] = RANKING_METRICS.flatMap((m) => RANKING_KS.map((k) => rankingColumn(m, k)));

export const COMPARISON_COLUMNS = ["model", "deployable", ...CLASSIFICATION_COLUMNS, ...RANKING_COLUMNS] as const;

/** scored_samples.csv's columns before the per-model `p_<model>` ones, in file order. */
export const SCORED_BASE_COLUMNS = [
  "ts", "start_local", "hour_local", "day_of_week", "session_id", "session_position", "spotify_track_uri", "track", "artist", "album",
  "platform", "platform_family", "conn_country", "shuffle", "split", "label", "p_complete",
] as const;
export type ScoredColumn = (typeof SCORED_BASE_COLUMNS)[number];

export const PLAYLIST_COLUMNS = [
  "rank", "spotify_track_uri", "track", "artist", "album", "source", "train_plays", "train_labelled_plays", "train_completions",
  "observed_completion_rate", "artist_completion_rate", "artist_labelled_plays", "predicted_completion", "confidence_weighted_score", "reason",
] as const;
export const IMPORTANCE_COLUMNS = ["rank", "feature", "group", "coefficient", "abs_coefficient", "closed_loop_coefficient"] as const;
export const MONTHLY_COLUMNS = ["month", "plays", "labelled", "completed", "completion_rate"] as const;
