/**
 * Worker-thread body of `LogitsHelper` (./logitsHelper.ts): for each pass, the logits of every
 * row at θ, in row order, reporting its progress every LOGITS_SEGMENT_ROWS rows. Each logit is
 * summed by the loop `logisticLossAndGrad` sums it with (`logitsInto`). Blocks in
 * `Atomics.wait` between passes.
 */
import { workerData } from "worker_threads";
import { afterCompileCacheWrites } from "../common/worker";
import { logitsInto, passWeights } from "./trainingRows";
import { LOGITS_CTRL, LOGITS_SEGMENT_ROWS } from "./logitsHelper";
import type { LogitsInit } from "./logitsHelper";

function serve(init: LogitsInit): void {
  const ctrl = new Int32Array(init.ctrl);
  const R = init.rows;
  const theta = new Float64Array(init.theta);
  const z = new Float64Array(init.z);
  const rows = R.rows;
  Atomics.store(ctrl, LOGITS_CTRL.state, 1);
  Atomics.notify(ctrl, LOGITS_CTRL.state);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, LOGITS_CTRL.seq, seen);
    seen = Atomics.load(ctrl, LOGITS_CTRL.seq);
    if (Atomics.load(ctrl, LOGITS_CTRL.command) !== 1) return;
    const pw = passWeights(R, theta);
    for (let from = 0; from < rows; from += LOGITS_SEGMENT_ROWS) {
      const to = Math.min(rows, from + LOGITS_SEGMENT_ROWS);
      logitsInto(R, pw, from, to, z, from);
      Atomics.store(ctrl, LOGITS_CTRL.rows, to);
      Atomics.notify(ctrl, LOGITS_CTRL.rows);
    }
  }
}

// Its loop never runs again once it serves: let it land its compile-cache writes first.
void afterCompileCacheWrites().then(() => serve(workerData as LogitsInit));
