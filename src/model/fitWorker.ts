/**
 * Worker-thread body for `fitInWorker` (./fitJob): loads the model module a `FitJob` names, runs
 * its job runner and posts back the state for the model's `restore`, with the seconds it took.
 */
import { serveWorkerJob } from "../common/worker";
import { initBackend } from "./backend";
import type { FitJob, FitJobRunner } from "./types";

export interface FitReply {
  state: unknown;
  seconds: number;
}

// Started now, so a worker started before its job (`startFitWorker`) has its backend ready when
// the job comes; the job's own `initBackend` gets the same one.
void initBackend().catch(() => undefined);

serveWorkerJob<Omit<FitJob, "transfer">, FitReply>(async (job) => {
  // The job names its model module by path at run time (a plugin boundary); require loads it
  // through tsx's CommonJS hook like every other model module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- module path known only at run time
  const run = (require(job.module) as Record<string, FitJobRunner>)[job.entry];
  if (typeof run !== "function") throw new Error(`${job.module} exports no fit-job runner ${job.entry}`);
  const started = Date.now();
  const { state, transfer } = await run(job.payload);
  return { result: { state, seconds: (Date.now() - started) / 1000 }, transfer };
});
