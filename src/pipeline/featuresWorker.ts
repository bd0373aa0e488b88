/** Worker-thread body for `prefetchFeatures` (./prepare): the features entry, built from 01's plays once their ingest entry is on disk. */
import { serveWorkerJob } from "../common/worker";
import type { IngestOptions, IngestResult } from "../ingest/types";
import type { PipelineParams } from "./params";
import { cacheFeaturesFromIngest } from "./prepare";

interface Job {
  input: IngestOptions;
  params: PipelineParams;
  outputDir: string;
  /** Set to 1 once the ingest entry is on disk: this thread has nothing else to do until then. */
  ingestOnDisk: Int32Array;
  /** What the entry of `key` holds (01's plays), so its files need not be read back. */
  ingest?: { result: IngestResult; key: string };
}

serveWorkerJob<Job, Awaited<ReturnType<typeof cacheFeaturesFromIngest>>>(async ({ input, params, outputDir, ingestOnDisk, ingest }) => {
  Atomics.wait(ingestOnDisk, 0, 0);
  return { result: await cacheFeaturesFromIngest(input, params, outputDir, ingest) };
});
