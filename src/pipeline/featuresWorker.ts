/** Worker-thread body for `prefetchFeatures` (./prepare): the features entry, built from the cached ingest entry. */
import { serveWorkerJob } from "../common/worker";
import type { IngestOptions } from "../ingest/types";
import type { PipelineParams } from "./params";
import { cacheFeaturesFromIngest } from "./prepare";

serveWorkerJob<{ input: IngestOptions; params: PipelineParams; outputDir: string }, Awaited<ReturnType<typeof cacheFeaturesFromIngest>>>(async ({ input, params, outputDir }) => ({
  result: await cacheFeaturesFromIngest(input, params, outputDir),
}));
