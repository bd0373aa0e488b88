/**
 * Stage 1–2 of a run: ingest the export, split it chronologically, build leak-free
 * features (and the leaky variant for the reference model). Deterministic, so every
 * notebook can rebuild it from the export instead of sharing kernel memory.
 */
import { chronologicalSplit, FeatureBuilder } from "../features";
import type { FeatureSet, SplitPlan } from "../features";
import { UserInputError } from "../common/errors";
import { ingestExport, ingestExportAsync } from "../ingest";
import type { IngestOptions, IngestResult } from "../ingest/types";
import type { PipelineParams } from "./params";
import type { Progress } from "./progress";
import { silentProgress } from "./progress";

export interface Prepared {
  ingest: IngestResult;
  split: SplitPlan;
  builder: FeatureBuilder;
  /** [rows × cols] leak-free features, one row per labelled play. */
  features: FeatureSet;
  /**
   * The same rows plus the same play's reason_end / ms_played: only for `leaky_reference`.
   * A getter that builds it on EVERY read (~0.3 s and rows × (cols + 6) × 8 bytes at 1M plays)
   * and does not keep it: read it once and hold the result while you need it.
   */
  readonly leaky: FeatureSet;
}

export function prepare(input: IngestOptions, params: PipelineParams, progress: Progress = silentProgress): Prepared {
  progress.start("ingest");
  return afterIngest(input, ingestExport(input), params, progress);
}

/**
 * `prepare` with the export parsed on several threads when it is large (`ingestExportAsync`:
 * the same result as `ingestExport`). What `runPipeline` uses; notebooks keep `prepare`.
 */
export async function prepareAsync(input: IngestOptions, params: PipelineParams, progress: Progress = silentProgress): Promise<Prepared> {
  progress.start("ingest");
  return afterIngest(input, await ingestExportAsync(input), params, progress);
}

/** The steps after ingestion shared by `prepare` and `prepareAsync`: check, split, features. */
function afterIngest(input: IngestOptions, ingest: IngestResult, params: PipelineParams, progress: Progress): Prepared {
  progress.done("ingest", `${ingest.report.rowsKept} music plays, ${ingest.report.labelCoverage.labelled} labelled`);
  checkLearnable(input, ingest);
  progress.start("features");
  const split = chronologicalSplit(ingest.plays, { testFraction: params.testFraction, validationFraction: params.validationFraction });
  const prepared = prepareWithSplit(ingest, split, params);
  progress.done("features", `${prepared.features.rows} rows × ${prepared.features.cols} features`);
  return prepared;
}

/**
 * Features for an ingested export under a given split (the plain chronological split, or one
 * fold of the rolling-origin backtest): fit the builder on the split's training rows, transform.
 */
export function prepareWithSplit(ingest: IngestResult, split: SplitPlan, params: PipelineParams): Prepared {
  const data = { plays: ingest.plays, account: ingest.account, tech: ingest.tech };
  const builder = new FeatureBuilder({ timeZone: params.timezone }).fit(data, split);
  const features = builder.transform(data, split);
  // The leaky matrix (only the leaky_reference model reads it) is the leak-free one plus six
  // columns: built when read, by appending them (not by a second full transform), and not
  // kept, so its 580 MB (1M plays) live only while the leaky model trains and scores.
  return {
    ingest,
    split,
    builder,
    features,
    get leaky(): FeatureSet {
      return builder.appendLeaky(data, features);
    },
  };
}

/**
 * Stops a run that has nothing to learn from with a message naming the export and what
 * ingestion found, instead of failing later in the split or the models.
 */
function checkLearnable(input: IngestOptions, ingest: IngestResult): void {
  const r = ingest.report;
  const given = [input.export, input.extendedDir, input.accountDir, input.techDir].filter((p): p is string => !!p);
  const where = given.map((p) => `"${p}"`).join(", ");
  const filters = r.filters ?? [];
  const excluded = Object.entries(r.dropped).filter(([k, n]) => k.startsWith("excluded-") && n > 0);
  if (filters.length > 0 && r.labelCoverage.labelled === 0 && excluded.length > 0) {
    const removed = excluded.reduce((s, [, n]) => s + n, 0);
    throw new UserInputError(
      `The filters ${filters.join(", ")} left no labelled plays in the export ${where}: they excluded ${removed} play(s) ` +
        `(${excluded.map(([k, n]) => `${k.slice("excluded-".length)} ${n}`).join(", ")}), and the ${r.rowsKept} play(s) left ` +
        `${r.rowsKept === 1 ? "has" : "have"} no usable reason_end. Loosen or remove these filters (check the dates, platform names, country codes and the artists file).`,
    );
  }
  if (r.rowsKept === 0) {
    const drops = Object.entries(r.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
    throw new UserInputError(
      `The export ${where} holds no music plays to model: ${r.rowsRead} records read from the Extended Streaming History` +
        `${drops.length ? `, all dropped (${drops.join(", ")})` : ""}. Check that these are your own, unmodified Streaming_History_Audio / endsong files` +
        `${r.warnings.length ? `; the ingest warnings say which files and records were skipped` : ""}.`,
    );
  }
  if (r.labelCoverage.labelled === 0) {
    throw new UserInputError(
      `The export ${where} holds ${r.rowsKept} music plays but none has a usable reason_end (all are null or "unknown"), so there is nothing to learn completion from. ` +
        `Completion labels come from the reason_end field of the Extended streaming history package: request a fresh one on Spotify's Privacy settings page ("Download your data").`,
    );
  }
}
