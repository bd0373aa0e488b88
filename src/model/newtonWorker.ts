/**
 * Worker-thread body of `NewtonHelper` (./newtonHelper.ts): starts tfjs on the main thread's
 * backend, takes its chunks of the training rows, then evaluates them at each θ it is given
 * (`chunkPass`, as the main thread does its own) or along each direction (`chunkDirection`)
 * until told to stop. It blocks in `Atomics.wait` between passes: nothing else runs on this thread.
 */
import { parentPort, workerData } from "worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend";
import { afterCompileCacheWrites } from "../common/worker";
import type { BackendName } from "./backend";
import { chunkDirection, chunkPass, uploadChunk } from "./tfjsNewton";
import { Command, CTRL, HelperState } from "./newtonHelper";
import type { HelperInit, HelperLoad } from "./newtonHelper";

function setState(ctrl: Int32Array, state: number): void {
  Atomics.store(ctrl, CTRL.state, state);
  Atomics.notify(ctrl, CTRL.state);
}

function serve(init: HelperInit): void {
  const port = parentPort;
  if (!port) return;
  const ctrl = new Int32Array(init.ctrl);
  const fail = () => {
    setState(ctrl, HelperState.failed);
    Atomics.notify(ctrl, CTRL.done);
  };
  initBackend({ prefer: init.backend as BackendName })
    .then((info) => {
      // Another backend could compute other bits: decline rather than differ.
      if (info.name !== init.backend) return fail();
      port.once("message", (load: HelperLoad) => {
        try {
          run(ctrl, load);
        } catch {
          fail();
        }
      });
      setState(ctrl, HelperState.ready);
    })
    .catch(fail);
}

function run(ctrl: Int32Array, load: HelperLoad): void {
  const { cols } = load;
  const chunks = load.chunks.map((c) => ({ ...uploadChunk(c.xs, c.ys, cols, 0, c.n), n: c.n }));
  // On the backend now: drop the views, so the rows' float32 copy can be freed during the passes.
  load.chunks = [];
  const params = new Float32Array(load.params);
  const results = new Float32Array(load.results);
  setState(ctrl, HelperState.loaded);
  let seen = 0;
  try {
    for (;;) {
      Atomics.wait(ctrl, CTRL.seq, seen);
      seen = Atomics.load(ctrl, CTRL.seq);
      const command = Atomics.load(ctrl, CTRL.command);
      if (command === Command.stop) return;
      const direction = command === Command.direction;
      const w = direction ? tf.tensor2d(params.subarray(0, cols), [1, cols]) : tf.tensor2d(params.subarray(0, 2 * cols), [2, cols]);
      const b = params.subarray(2 * cols, 2 * cols + 2);
      // Each chunk's result at its slot (n + cols + 1 floats); a direction's fills the first n.
      let at = 0;
      for (const c of chunks) {
        results.set(direction ? chunkDirection(w, c.xT) : chunkPass(w, b, c.xT, c.y, c.n, cols), at);
        at += c.n + cols + 1;
      }
      w.dispose();
      Atomics.store(ctrl, CTRL.done, seen);
      Atomics.notify(ctrl, CTRL.done);
    }
  } finally {
    for (const c of chunks) {
      c.xT.dispose();
      c.y.dispose();
    }
  }
}

// Its loop never runs again once it serves: let it land its compile-cache writes first.
void afterCompileCacheWrites().then(() => serve(workerData as HelperInit));
