/**
 * The notebooks' computed sentences that need the pipeline's own types (a ModelRun, a
 * Prepared). Sentences about figures live in report/summary.ts; these follow the same rule:
 * every number comes from the run, nothing is canned.
 */
import type { ModelRun } from "./train";

/** How the closed-loop baseline's full-batch optimisation ended. */
export function closedLoopSentence(run: ModelRun): string {
  const h = run.histories.closed_loop_logistic;
  return `The closed-loop baseline took ${h.iterations} full-batch iteration${h.iterations === 1 ? "" : "s"} (${h.converged ? "converged" : "not converged"}).`;
}
