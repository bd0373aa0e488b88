/**
 * NewtonHelper: a worker thread with its own tfjs instance that evaluates every other row chunk
 * of `newtonLogistic`'s passes (its `ChunkHelper`), so a pass over a large training set runs on
 * two cores. Newton's descent is synchronous, so the threads meet through shared memory and
 * `Atomics.wait`, not messages: `begin` writes θ and signals, this thread computes its own
 * chunks, `wait` blocks until the helper's are in the shared results. Each chunk's numbers are
 * those this thread would compute (the same `chunkPass` on the same backend), and
 * `newtonLogistic` sums them in chunk order: a fit with the helper gives the same bits as one
 * without (test/train-worker.test.ts).
 *
 * Started before the Adam epochs (`NewtonHelper.start`), so its ~0.35 s of tfjs start-up
 * overlaps them; worth it only where the second core is otherwise idle during the Newton stage
 * (from ~300k training rows: `TfjsLogisticOptions.newtonHelperMinRows`).
 */
import * as path from "path";
import type { Worker } from "worker_threads";
import { startWorker } from "../common/worker";
import { backendInfo, TFJS_PACKAGES } from "./backend";
import type { ChunkHelper } from "./tfjsNewton";

/** Slots of the shared control array. */
export const CTRL = {
  /** Incremented by this thread for each command. */
  seq: 0,
  /** Set by the helper to the command's seq once done. */
  done: 1,
  /** HelperState */
  state: 2,
  /** The command: evaluate, direction or stop. */
  command: 3,
} as const;

export const HelperState = { starting: 0, ready: 1, loaded: 2, failed: -1 } as const;
export const Command = { evaluate: 1, stop: 2, direction: 3 } as const;

/** What the worker starts with. */
export interface HelperInit {
  ctrl: SharedArrayBuffer;
  /** The backend this thread uses: the helper must compute on the same one, or it declines. */
  backend: string;
}

/**
 * What `load` sends the worker: its chunks' rows (views of the rows in shared memory, or copies
 * moved to it), and the shared buffers of each pass.
 */
export interface HelperLoad {
  cols: number;
  /** Per helper chunk: its index, rows, float32 rows [n * cols] and labels [n]. */
  chunks: { k: number; n: number; xs: Float32Array; ys: Float32Array }[];
  /** [2 * cols + 2] θ's float32 parts, written by `begin` (or a direction's [cols] weights, by `beginDirection`). */
  params: SharedArrayBuffer;
  /** A slot of n + cols + 1 floats per chunk, in `chunks` order: its `chunkPass` result, or `chunkDirection`'s in its first n. */
  results: SharedArrayBuffer;
}

/**
 * How long a wait for the helper may take before it counts as failed (it never should: its tfjs
 * start-up overlaps the Adam epochs, a load takes ~0.3 s and a pass ~0.1 s at 1M plays). Its
 * 'exit' event cannot reach a thread blocked in `Atomics.wait`, so this bounds a dead helper.
 */
const WAIT_MS = 60_000;

export class NewtonHelper implements ChunkHelper {
  private readonly ctrl: Int32Array;
  private params: Float32Array | null = null;
  private results: Float32Array | null = null;
  private readonly offsets = new Map<number, { at: number; length: number }>();
  private seq = 0;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    ctrl: SharedArrayBuffer,
  ) {
    this.ctrl = new Int32Array(ctrl);
  }

  /** Starts the worker (tfjs start-up begins now); null when no worker can start or tfjs has no backend yet. */
  static start(): NewtonHelper | null {
    const backend = backendInfo();
    if (!backend) return null;
    const ctrl = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
    const init: HelperInit = { ctrl, backend: backend.name };
    const worker = startWorker(path.join(__dirname, "newtonWorker.ts"), { workerData: init, preload: TFJS_PACKAGES });
    if (!worker) return null;
    const helper = new NewtonHelper(worker, ctrl);
    // A worker that dies is a failed helper: a thread blocked in `wait` sees the state change.
    const failed = () => {
      Atomics.store(helper.ctrl, CTRL.state, HelperState.failed);
      Atomics.notify(helper.ctrl, CTRL.state);
      Atomics.notify(helper.ctrl, CTRL.done);
    };
    worker.once("error", failed);
    worker.once("exit", failed);
    worker.unref();
    return helper;
  }

  load(xs: Float32Array, ys: Float32Array, cols: number, chunkRows: number, chunks: readonly number[]): boolean {
    if (!this.waitForState(HelperState.ready)) return false;
    const load: HelperLoad = { cols, chunks: [], params: new SharedArrayBuffer(4 * (2 * cols + 2)), results: new SharedArrayBuffer(0) };
    // Rows in shared memory (`trainLayersModelKeepingRows`' `shared`) go as views: no copy.
    const shared = xs.buffer instanceof SharedArrayBuffer && ys.buffer instanceof SharedArrayBuffer;
    let length = 0;
    for (const k of chunks) {
      const start = k * chunkRows;
      const n = Math.min(chunkRows, ys.length - start);
      const [x, y] = [xs.subarray(start * cols, (start + n) * cols), ys.subarray(start, start + n)];
      load.chunks.push({ k, n, xs: shared ? x : x.slice(), ys: shared ? y : y.slice() });
      this.offsets.set(k, { at: length, length: n + cols + 1 });
      length += n + cols + 1;
    }
    load.results = new SharedArrayBuffer(4 * length);
    this.params = new Float32Array(load.params);
    this.results = new Float32Array(load.results);
    this.worker.postMessage(load, shared ? [] : load.chunks.flatMap((c) => [c.xs.buffer as ArrayBuffer, c.ys.buffer as ArrayBuffer]));
    return true;
  }

  loaded(): boolean {
    return this.waitForState(HelperState.loaded);
  }

  begin(w: Float32Array, b: Float32Array): void {
    const params = this.params!;
    params.set(w, 0);
    params.set(b, w.length);
    this.command(Command.evaluate);
  }

  beginDirection(d: Float32Array): void {
    this.params!.set(d, 0);
    this.command(Command.direction);
  }

  wait(): void {
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.done);
      if (done === this.seq) return;
      if (Atomics.load(this.ctrl, CTRL.state) === HelperState.failed) throw new Error("the Newton helper thread failed during a pass");
      if (Atomics.wait(this.ctrl, CTRL.done, done, WAIT_MS) === "timed-out") throw new Error("the Newton helper thread did not answer");
    }
  }

  packed(k: number): Float32Array {
    const o = this.offsets.get(k);
    if (!o || !this.results) throw new Error(`NewtonHelper: chunk ${k} is not the helper's`);
    return this.results.subarray(o.at, o.at + o.length);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (Atomics.load(this.ctrl, CTRL.state) !== HelperState.failed) this.command(Command.stop);
    void this.worker.terminate();
  }

  private command(command: number): void {
    Atomics.store(this.ctrl, CTRL.command, command);
    this.seq++;
    Atomics.store(this.ctrl, CTRL.seq, this.seq);
    Atomics.notify(this.ctrl, CTRL.seq);
  }

  /** Blocks until the helper reaches `state`; false if it failed (or took far too long). */
  private waitForState(state: number): boolean {
    for (;;) {
      const now = Atomics.load(this.ctrl, CTRL.state);
      if (now === HelperState.failed) return false;
      if (now >= state) return true;
      if (Atomics.wait(this.ctrl, CTRL.state, now, WAIT_MS) === "timed-out") return false;
    }
  }
}
