/**
 * Fitting a model in a worker thread, through the model's own `fitJob` / `restore` pair: the
 * main thread prepares the job (input checks, standardisation, subsampling), a worker runs it,
 * and the main thread adopts the fitted state, so the model scores exactly as after `fit`.
 */
import * as path from "path";
import { runWorkerJob } from "../common/worker";
import { TFJS_PACKAGES } from "./backend";
import type { FitReply } from "./fitWorker";
import type { Classifier, FitOptions } from "./types";

/**
 * Starts fitting `model` in a worker (synchronously, before the first await) and resolves with
 * the worker's training seconds once `model` holds the result. Null when it should be fitted
 * inline instead: it has no `fitJob`, the job could not be prepared (`fit` then throws the
 * input error as usual), no worker could start or it died, or `restore` declined the state.
 * An error the fit itself threw in the worker is rethrown.
 */
export async function fitInWorker(model: Classifier, X: Float64Array, y: Float64Array, options: FitOptions = {}): Promise<{ seconds: number } | null> {
  if (!model.fitJob || !model.restore) return null;
  let job;
  try {
    job = model.fitJob(X, y, options);
  } catch {
    return null;
  }
  const { transfer, ...data } = job;
  const reply = await runWorkerJob<FitReply>(path.join(__dirname, "fitWorker.ts"), data, transfer, { preload: TFJS_PACKAGES });
  if (!reply) return null;
  return (await model.restore(reply.state, options)) ? { seconds: reply.seconds } : null;
}
