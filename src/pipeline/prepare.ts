/**
 * Stage 1–2 of a run: ingest the export, split it chronologically, build leak-free
 * features (and the leaky variant for the reference model). Deterministic, so every
 * notebook can rebuild it from the export instead of sharing kernel memory.
 */
import { chronologicalSplit, FeatureBuilder } from "../features";
import type { FeatureSet, SplitPlan } from "../features";
import { ingestExport } from "../ingest";
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
  /** The same rows plus the same play's reason_end / ms_played: only for `leaky_reference`. */
  leaky: FeatureSet;
}

export function prepare(input: IngestOptions, params: PipelineParams, progress: Progress = silentProgress): Prepared {
  progress.start("ingest");
  const ingest = ingestExport(input);
  progress.done("ingest", `${ingest.report.rowsKept} music plays, ${ingest.report.labelCoverage.labelled} labelled`);

  progress.start("features");
  const data = { plays: ingest.plays, account: ingest.account, tech: ingest.tech };
  const split = chronologicalSplit(ingest.plays, { testFraction: params.testFraction, validationFraction: params.validationFraction });
  const builder = new FeatureBuilder({ timeZone: params.timezone }).fit(data, split);
  const features = builder.transform(data, split);
  const leaky = builder.transform(data, split, { includeLeaky: true });
  progress.done("features", `${features.rows} rows × ${features.cols} features`);
  return { ingest, split, builder, features, leaky };
}
