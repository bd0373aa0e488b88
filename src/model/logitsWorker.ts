/**
 * Worker-thread body of `LogitsHelper` (./logitsHelper.ts): for each pass, the logits of every
 * row at θ, in row order, reporting its progress every LOGITS_SEGMENT_ROWS rows. Each logit is
 * summed exactly as `logisticLossAndGrad` sums it (b, then w_j x_ij for j in order). Blocks in
 * `Atomics.wait` between passes.
 */
import { workerData } from "worker_threads";
import { linearScoresInto } from "./closedLoop";
import { LOGITS_CTRL, LOGITS_SEGMENT_ROWS } from "./logitsHelper";
import type { LogitsInit } from "./logitsHelper";

function serve(init: LogitsInit): void {
  const ctrl = new Int32Array(init.ctrl);
  const { xs, cols } = init;
  const theta = new Float64Array(init.theta);
  const z = new Float64Array(init.z);
  const rows = xs.length / cols;
  const w = theta.subarray(0, cols);
  Atomics.store(ctrl, LOGITS_CTRL.state, 1);
  Atomics.notify(ctrl, LOGITS_CTRL.state);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, LOGITS_CTRL.seq, seen);
    seen = Atomics.load(ctrl, LOGITS_CTRL.seq);
    if (Atomics.load(ctrl, LOGITS_CTRL.command) !== 1) return;
    const b = theta[cols];
    for (let from = 0; from < rows; from += LOGITS_SEGMENT_ROWS) {
      const to = Math.min(rows, from + LOGITS_SEGMENT_ROWS);
      linearScoresInto(xs, cols, w, b, z, from, to);
      Atomics.store(ctrl, LOGITS_CTRL.rows, to);
      Atomics.notify(ctrl, LOGITS_CTRL.rows);
    }
  }
}

serve(workerData as LogitsInit);
