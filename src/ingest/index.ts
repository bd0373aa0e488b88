/**
 * Ingestion entry point: export folder(s) or zip → PlayTable + AccountData + TechEvents + IngestReport.
 *
 * Files are processed one at a time (read → decode → parse → append to columns) and
 * each parsed array is released before the next file, so peak memory is the columns
 * plus one file, not the whole export. The loop and the per-kind handlers live in ./steps;
 * ./parallel drives the same loop with worker threads.
 */
import { ingestSteps } from "./steps";
import type { IngestOptions, IngestResult } from "./types";

export { formatIngestReport } from "./report";
export { platformFamily, PLATFORM_FAMILIES, type PlatformFamily } from "./platform";
export { labelOf } from "./plays";
export * from "./filters";
export * from "./label";
export * from "./types";
export { ingestExportAsync, PARALLEL_MIN_BYTES, type ParallelIngestOptions, type ParallelIngestStats } from "./parallel";

/** Reads a Spotify data export. Throws UserInputError for input the user has to fix. */
export function ingestExport(options: IngestOptions): IngestResult {
  const steps = ingestSteps(options);
  let step = steps.next();
  while (!step.done) step = steps.next(undefined);
  return step.value;
}
