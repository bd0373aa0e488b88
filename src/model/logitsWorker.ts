/**
 * Worker-thread body of `LogitsHelper` (./logitsHelper.ts): for each pass, the logits of every
 * row at θ, in row order, reporting its progress every LOGITS_SEGMENT_ROWS rows. Each logit is
 * summed exactly as `logisticLossAndGrad` sums it (b, then w_j x_ij for j in order). Blocks in
 * `Atomics.wait` between passes.
 */
import { workerData } from "worker_threads";
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
      let i = from;
      // Four rows at a time: four independent sums in flight, each still b + Σ_j in j order.
      for (; i + 4 <= to; i += 4) {
        const o0 = i * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols;
        let z0 = b, z1 = b, z2 = b, z3 = b;
        for (let j = 0; j < cols; j++) {
          const wj = w[j];
          z0 += wj * xs[o0 + j];
          z1 += wj * xs[o1 + j];
          z2 += wj * xs[o2 + j];
          z3 += wj * xs[o3 + j];
        }
        z[i] = z0;
        z[i + 1] = z1;
        z[i + 2] = z2;
        z[i + 3] = z3;
      }
      for (; i < to; i++) {
        const off = i * cols;
        let s = b;
        for (let j = 0; j < cols; j++) s += w[j] * xs[off + j];
        z[i] = s;
      }
      Atomics.store(ctrl, LOGITS_CTRL.rows, to);
      Atomics.notify(ctrl, LOGITS_CTRL.rows);
    }
  }
}

serve(workerData as LogitsInit);
