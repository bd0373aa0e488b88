/**
 * Fitting a model in a worker thread, through the model's own `fitJob` / `restore` pair: the
 * main thread prepares the job (input checks, standardisation, subsampling), a worker runs it,
 * and the main thread adopts the fitted state, so the model scores exactly as after `fit`.
 */
import * as path from "path";
import { startWorkerJob } from "../common/worker";
import { TFJS_PACKAGES } from "./backend";
import type { FitReply } from "./fitWorker";
import type { Classifier, FitJob, FitOptions } from "./types";

/** A fit worker started before its model is known (`startFitWorker`). */
export interface FitWorker {
  /**
   * Prepares `model`'s job here (synchronously, before the first await), fits it in the worker,
   * and resolves with the worker's training seconds once `model` holds the result. Null when it
   * should be fitted inline instead: it has no `fitJob`, the job could not be prepared (`fit`
   * then throws the input error as usual), the worker could not start or died, or `restore`
   * declined the state. An error the fit itself threw in the worker is rethrown. Call it once.
   */
  fit(model: Classifier, X: Float64Array, y: Float64Array, options?: FitOptions): Promise<{ seconds: number } | null>;
  /** Stops the worker when no model will come; nothing once `fit` was called. */
  cancel(): void;
}

/**
 * Starts a fit worker now: it loads tfjs and starts its backend (~0.7 s on the bench machine)
 * while this thread computes the rows its model will train on.
 */
export function startFitWorker(): FitWorker {
  const worker = startWorkerJob<Omit<FitJob, "transfer">, FitReply>(path.join(__dirname, "fitWorker.ts"), { preload: TFJS_PACKAGES });
  return {
    async fit(model, X, y, options = {}) {
      let job;
      try {
        if (!model.fitJob || !model.restore) throw new Error("no fit job");
        job = model.fitJob(X, y, options);
      } catch {
        worker.cancel();
        return null;
      }
      const { transfer, ...data } = job;
      const reply = await worker.run(data, transfer);
      if (!reply) return null;
      return (await model.restore(reply.state, options)) ? { seconds: reply.seconds } : null;
    },
    cancel: () => worker.cancel(),
  };
}

/** `startFitWorker().fit(...)`, without starting a worker for a model that has no `fitJob`. */
export async function fitInWorker(model: Classifier, X: Float64Array, y: Float64Array, options: FitOptions = {}): Promise<{ seconds: number } | null> {
  if (!model.fitJob || !model.restore) return null;
  return startFitWorker().fit(model, X, y, options);
}
