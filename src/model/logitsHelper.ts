/**
 * LogitsHelper: a worker thread that computes the logits z_i = b + Σ_j w_j x̃_ij of a closed-loop
 * pass (`logisticLossAndGrad`) while this thread, a few thousand rows behind, turns them into
 * residuals and sums the gradient: each pass's two halves of the work run on two cores. Each
 * z_i is the same sum in the same order on either thread, and every sum over rows stays on this
 * thread in row order, so the fit is the same to the bit (test/model.test.ts).
 *
 * The rows are read in shared memory (`buildTrainingRows(X, scaler, true)`); the threads meet
 * through `Atomics.wait`, since a pass is synchronous. Used by the λ selection (`chooseL2`) from
 * `CLOSED_LOOP_HELPER_MIN_ROWS` training rows, where the MLP worker leaves the second core idle.
 */
import * as path from "path";
import type { Worker } from "worker_threads";
import { startWorker } from "../common/worker";
import type { TrainingRows } from "./trainingRows";

/** Slots of the shared control array. */
export const LOGITS_CTRL = {
  /** Incremented by this thread for each pass (or the stop). */
  seq: 0,
  /** Rows whose logits are written in the current pass (set to 0 by this thread before it starts one). */
  rows: 1,
  /** 1 once the worker runs; −1 if it failed. */
  state: 2,
  /** 1: compute a pass; 2: stop. */
  command: 3,
} as const;

/** Rows the worker computes between two reports of its progress. */
export const LOGITS_SEGMENT_ROWS = 4096;

export interface LogitsInit {
  ctrl: SharedArrayBuffer;
  /** The standardised rows (their arrays in shared memory). */
  rows: TrainingRows;
  /** [cols + 1] θ = [w, b], written by `begin`. */
  theta: SharedArrayBuffer;
  /** [rows] the logits. */
  z: SharedArrayBuffer;
}

/** How long a wait for a pass's logits may take before the helper counts as failed (a pass takes ~0.1 s at 1M plays). */
const WAIT_MS = 60_000;

/** What a pass reads from a helper (`logisticLossAndGrad`'s `logits`). */
export interface LogitsSource {
  /** [rows] the logits of the pass under way. */
  readonly z: Float64Array;
  /** Starts a pass at θ [cols + 1]; false when the helper is not running (yet, or any more): this thread computes them. */
  begin(theta: Float64Array): boolean;
  /** Blocks until the logits of the first `rows` rows are written; returns how many are (≥ rows). */
  ready(rows: number): number;
}

export class LogitsHelper implements LogitsSource {
  readonly z: Float64Array;
  private readonly ctrl: Int32Array;
  private readonly theta: Float64Array;
  private seq = 0;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    init: LogitsInit,
  ) {
    this.ctrl = new Int32Array(init.ctrl);
    this.theta = new Float64Array(init.theta);
    this.z = new Float64Array(init.z);
  }

  /** Starts the worker on `rows` (in shared memory); null when they are not shared or no worker can start. */
  static start(rows: TrainingRows): LogitsHelper | null {
    const shared = [rows.dense, rows.rowStart, rows.ones].every((a) => a.buffer instanceof SharedArrayBuffer);
    if (!shared || rows.cols <= 0) return null;
    const init: LogitsInit = {
      ctrl: new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT),
      rows,
      theta: new SharedArrayBuffer(8 * (rows.cols + 1)),
      z: new SharedArrayBuffer(8 * rows.rows),
    };
    const worker = startWorker(path.join(__dirname, "logitsWorker.ts"), { workerData: init });
    if (!worker) return null;
    const helper = new LogitsHelper(worker, init);
    const failed = () => {
      Atomics.store(helper.ctrl, LOGITS_CTRL.state, -1);
      Atomics.notify(helper.ctrl, LOGITS_CTRL.rows);
    };
    worker.once("error", failed);
    worker.once("exit", failed);
    worker.unref();
    return helper;
  }

  /** Blocks until the worker runs (at most `timeoutMs`); whether it does. Passes never wait for it: see `begin`. */
  waitUntilRunning(timeoutMs: number): boolean {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const state = Atomics.load(this.ctrl, LOGITS_CTRL.state);
      if (state !== 0) return state === 1;
      const left = until - Date.now();
      if (left <= 0) return false;
      Atomics.wait(this.ctrl, LOGITS_CTRL.state, 0, left);
    }
  }

  begin(theta: Float64Array): boolean {
    // Still starting (its first passes run without it), or failed: never waited for.
    if (this.closed || Atomics.load(this.ctrl, LOGITS_CTRL.state) !== 1) return false;
    this.theta.set(theta);
    // The worker is idle between passes, so the count can be reset before the pass starts.
    Atomics.store(this.ctrl, LOGITS_CTRL.rows, 0);
    this.command(1);
    return true;
  }

  ready(rows: number): number {
    for (;;) {
      const done = Atomics.load(this.ctrl, LOGITS_CTRL.rows);
      if (done >= rows) return done;
      if (Atomics.load(this.ctrl, LOGITS_CTRL.state) === -1) throw new Error("the closed loop's logits thread failed during a pass");
      if (Atomics.wait(this.ctrl, LOGITS_CTRL.rows, done, WAIT_MS) === "timed-out") throw new Error("the closed loop's logits thread did not answer");
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.command(2);
    void this.worker.terminate();
  }

  private command(command: number): void {
    Atomics.store(this.ctrl, LOGITS_CTRL.command, command);
    this.seq++;
    Atomics.store(this.ctrl, LOGITS_CTRL.seq, this.seq);
    Atomics.notify(this.ctrl, LOGITS_CTRL.seq);
  }
}
