/**
 * The closed loop's pass over its training rows: penalised mean log loss and its gradient at θ,
 * from float32 standardised rows. The rows are summed in two fixed halves, [0, mid) and
 * [mid, rows), added at the end; a `PassHelper` thread computes the second half while the
 * calling thread computes the first (from ~46k training rows: the λ selection's ~50 passes).
 * The numbers never depend on whether the helper ran: without it the caller sums both halves
 * itself, in the same order.
 */
import * as path from "path";
import type { Worker } from "worker_threads";
import { startWorker } from "../common/worker";

/** Rows per block of `logisticPartialSums`: each weight and each gradient sum is loaded once per block. */
const BLOCK_ROWS = 8;

/** Training rows × columns from which the λ selection starts a helper thread (below, its start-up costs more than it saves). */
export const PASS_HELPER_MIN_CELLS = 4_000_000;

/** The first row of a pass's second half: the middle, rounded down to a whole block. */
export function passSplitRow(rows: number): number {
  return Math.floor(rows / (2 * BLOCK_ROWS)) * BLOCK_ROWS;
}

/**
 * Sums over rows [from, to) of `Xs` [rows * cols] (float32, standardised) with labels `y`
 * [rows], at θ = [w (cols), b], written into `out` [cols + 2]: Σ r_i x_ij (cols), Σ r_i, then
 * Σ log-loss_i, with r_i = p_i − y_i. Rows go in blocks of 8: the 8 logits are independent sums
 * (8 chains in flight instead of one) and each Σ r_i x_ij is loaded and stored once per block;
 * every sum still adds its terms in row order (~2.5× the row-at-a-time loop's speed).
 */
export function logisticPartialSums(Xs: Float32Array, y: Float64Array, theta: Float64Array, from: number, to: number, out: Float64Array): void {
  const cols = theta.length - 1;
  const w = theta.subarray(0, cols);
  const b = theta[cols];
  const rx = out.subarray(0, cols);
  rx.fill(0);
  const zr = new Float64Array(BLOCK_ROWS); // a block's logits, then its residuals p − y
  const sums = new Float64Array(2); // Σ log-loss_i, Σ r_i
  let i = from;
  for (; i + BLOCK_ROWS <= to; i += BLOCK_ROWS) {
    const o0 = i * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols, o4 = o3 + cols, o5 = o4 + cols, o6 = o5 + cols, o7 = o6 + cols;
    let z0 = b, z1 = b, z2 = b, z3 = b, z4 = b, z5 = b, z6 = b, z7 = b;
    for (let j = 0; j < cols; j++) {
      const wj = w[j];
      z0 += wj * Xs[o0 + j];
      z1 += wj * Xs[o1 + j];
      z2 += wj * Xs[o2 + j];
      z3 += wj * Xs[o3 + j];
      z4 += wj * Xs[o4 + j];
      z5 += wj * Xs[o5 + j];
      z6 += wj * Xs[o6 + j];
      z7 += wj * Xs[o7 + j];
    }
    zr[0] = z0; zr[1] = z1; zr[2] = z2; zr[3] = z3; zr[4] = z4; zr[5] = z5; zr[6] = z6; zr[7] = z7;
    residuals(zr, y, i, BLOCK_ROWS, sums);
    const r0 = zr[0], r1 = zr[1], r2 = zr[2], r3 = zr[3], r4 = zr[4], r5 = zr[5], r6 = zr[6], r7 = zr[7];
    for (let j = 0; j < cols; j++) {
      let s = rx[j];
      s += r0 * Xs[o0 + j];
      s += r1 * Xs[o1 + j];
      s += r2 * Xs[o2 + j];
      s += r3 * Xs[o3 + j];
      s += r4 * Xs[o4 + j];
      s += r5 * Xs[o5 + j];
      s += r6 * Xs[o6 + j];
      s += r7 * Xs[o7 + j];
      rx[j] = s;
    }
  }
  // The last (to − from) % 8 rows, one at a time.
  for (; i < to; i++) {
    const off = i * cols;
    let z = b;
    for (let j = 0; j < cols; j++) z += w[j] * Xs[off + j];
    zr[0] = z;
    residuals(zr, y, i, 1, sums);
    for (let j = 0; j < cols; j++) rx[j] += zr[0] * Xs[off + j];
  }
  out[cols] = sums[1];
  out[cols + 1] = sums[0];
}

/**
 * Logits zr[0..n) of rows first.. → their residuals p − y, in place; adds each row's log loss
 * and residual to sums[0] and sums[1], in row order.
 */
function residuals(zr: Float64Array, y: Float64Array, first: number, n: number, sums: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const z = zr[k];
    // log(1 + e^z) − y z, stable for large |z|; one exp serves the loss and the sigmoid.
    const e = Math.exp(-Math.abs(z));
    const yi = y[first + k];
    sums[0] += (z > 0 ? z : 0) + Math.log1p(e) - yi * z;
    const r = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
    sums[1] += r;
    zr[k] = r;
  }
}

/**
 * f(θ) = mean log loss + λ Σ w_j² over `Xs` [rows * cols] and `y` [rows], θ = [w (cols), b];
 * ∇f written into `grad` [cols + 1]. One pass, in the two halves (the second on `helper` when
 * it is running). @returns f(θ)
 */
export function logisticLossAndGrad(Xs: Float32Array, y: Float64Array, theta: Float64Array, l2: number, grad: Float64Array, helper: PassHelper | null = null): number {
  const cols = theta.length - 1;
  const rows = y.length;
  const mid = passSplitRow(rows);
  const first = new Float64Array(cols + 2);
  const second = new Float64Array(cols + 2);
  const handed = helper !== null && helper.begin(theta);
  logisticPartialSums(Xs, y, theta, 0, mid, first);
  if (!(handed && helper.finish(second))) logisticPartialSums(Xs, y, theta, mid, rows, second);
  let penalty = 0;
  for (let j = 0; j < cols; j++) {
    grad[j] = (first[j] + second[j]) / rows + 2 * l2 * theta[j];
    penalty += theta[j] * theta[j];
  }
  grad[cols] = (first[cols] + second[cols]) / rows;
  return (first[cols + 1] + second[cols + 1]) / rows + l2 * penalty;
}

/** ctrl[0]: 0 idle, 1 a pass is asked for, 2 close; ctrl[1]: 1 once the helper is ready. */
const CMD = 0;
const READY = 1;

/** What the helper thread is started with: shared memory only. */
export interface PassHelperData {
  Xs: Float32Array;
  y: Float64Array;
  /** Int32Array [2] over a SharedArrayBuffer (see CMD, READY). */
  ctrl: Int32Array;
  /** [cols + 1] θ in, then [cols + 2] sums out (`logisticPartialSums`). */
  io: Float64Array;
  from: number;
  to: number;
}

/**
 * A worker thread that computes the second half of each pass (`logisticPartialSums` over
 * [passSplitRow(rows), rows)) while the caller computes the first, through shared memory: the
 * calling thread stays synchronous (Atomics). Until the thread has started, and if it ever
 * fails to answer, the caller computes both halves itself: the same numbers, only slower.
 * `close()` ends the thread.
 */
export class PassHelper {
  private constructor(
    private readonly worker: Worker,
    private readonly ctrl: Int32Array,
    private readonly io: Float64Array,
    private readonly cols: number,
  ) {}

  private alive = true;

  /**
   * @param Xs [rows * cols], y [rows]: both over SharedArrayBuffers (`sharedCopy`), or null.
   * Null when the rows are not shared or no worker can be started.
   */
  static start(Xs: Float32Array, y: Float64Array, cols: number): PassHelper | null {
    if (!(Xs.buffer instanceof SharedArrayBuffer) || !(y.buffer instanceof SharedArrayBuffer)) return null;
    const ctrl = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const io = new Float64Array(new SharedArrayBuffer((2 * cols + 3) * Float64Array.BYTES_PER_ELEMENT));
    const data: PassHelperData = { Xs, y, ctrl, io, from: passSplitRow(y.length), to: y.length };
    const worker = startWorker(path.join(__dirname, "passWorker.ts"), { workerData: data });
    if (!worker) return null;
    // It only ever blocks in Atomics.wait: never keep the process alive for it.
    worker.unref();
    const helper = new PassHelper(worker, ctrl, io, cols);
    worker.once("error", () => (helper.alive = false));
    worker.once("exit", () => (helper.alive = false));
    return helper;
  }

  /** Hands θ [cols + 1] to the helper; false when it is not ready (the caller then sums that half itself). */
  begin(theta: Float64Array): boolean {
    if (!this.alive || Atomics.load(this.ctrl, READY) !== 1) return false;
    this.io.set(theta);
    Atomics.store(this.ctrl, CMD, 1);
    Atomics.notify(this.ctrl, CMD);
    return true;
  }

  /** Waits for the half `begin` asked for and copies its sums into `out` [cols + 2]; false if it never came. */
  finish(out: Float64Array): boolean {
    // Generous: a half pass takes ~0.1 s at 1M plays; only a dead thread is this late.
    if (Atomics.wait(this.ctrl, CMD, 1, 120_000) === "timed-out") {
      this.alive = false;
      return false;
    }
    out.set(this.io.subarray(this.cols + 1, 2 * this.cols + 3));
    return true;
  }

  close(): void {
    this.alive = false;
    Atomics.store(this.ctrl, CMD, 2);
    Atomics.notify(this.ctrl, CMD);
    void this.worker.terminate();
  }
}

/** The helper thread's loop (passWorker.ts): waits for θ, sums its half, answers; until closed. */
export function servePassHelper(data: PassHelperData): void {
  const { Xs, y, ctrl, io, from, to } = data;
  const cols = Xs.length / y.length;
  const theta = new Float64Array(cols + 1);
  const sums = new Float64Array(cols + 2);
  Atomics.store(ctrl, READY, 1);
  for (;;) {
    Atomics.wait(ctrl, CMD, 0);
    const cmd = Atomics.load(ctrl, CMD);
    if (cmd === 2) return;
    if (cmd !== 1) continue;
    theta.set(io.subarray(0, cols + 1));
    logisticPartialSums(Xs, y, theta, from, to, sums);
    io.set(sums, cols + 1);
    Atomics.store(ctrl, CMD, 0);
    Atomics.notify(ctrl, CMD);
  }
}

/** A copy of `a` over a SharedArrayBuffer (what `PassHelper.start` needs). */
export function sharedCopy<T extends Float32Array | Float64Array>(a: T): T {
  const Ctor = a.constructor as { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new Ctor(new SharedArrayBuffer(a.length * Ctor.BYTES_PER_ELEMENT));
  out.set(a);
  return out;
}
