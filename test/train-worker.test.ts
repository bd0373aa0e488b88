/**
 * At scale the closed-loop baseline and the tfjs MLP each train in a worker thread while the
 * main thread trains other models. The suite's exports are too small to reach that path on
 * their own, so this forces it on data-sample/ and requires results identical to inline
 * training: every model's raw and calibrated scores, the closed loop's coefficients and the
 * MLP history fields model_metrics.json reports (all but its timings).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepare } from "../src/pipeline/prepare";
import { concurrency, trainModels } from "../src/pipeline/train";
import { Worker } from "worker_threads";
import { Standardizer, TfjsMlp } from "../src/model";
import type { MlpJob, MlpReply } from "../src/pipeline/mlpWorker";

test("closed-loop and MLP training in worker threads give the same models as inline training", { timeout: 120_000 }, async () => {
  const prepared = prepare({ export: path.resolve(__dirname, "..", "data-sample") }, DEFAULT_PARAMS);
  const saved = concurrency.workerMinCells;
  try {
    concurrency.workerMinCells = Infinity;
    const inline = await trainModels(prepared, DEFAULT_PARAMS);
    concurrency.workerMinCells = 0;
    const notes: Record<string, string> = {};
    const worker = await trainModels(prepared, DEFAULT_PARAMS, { start() {}, update() {}, done: (stage, note = "") => void (notes[stage] = note) });
    // Both really ran in a worker (no silent inline fallback).
    assert.match(notes.tfjs_mlp, /worker thread/);
    assert.match(notes.closed_loop_logistic, /worker thread/);
    assert.deepEqual(worker.models.map((m) => m.name), inline.models.map((m) => m.name));
    for (let k = 0; k < inline.models.length; k++) {
      assert.deepEqual(worker.models[k].raw, inline.models[k].raw, inline.models[k].name);
      assert.deepEqual(worker.models[k].calibrated, inline.models[k].calibrated, inline.models[k].name);
    }
    assert.deepEqual(worker.coefficients.closed_loop_logistic, inline.coefficients.closed_loop_logistic);
    const untimed = (h: typeof inline.histories.tfjs_mlp) => {
      assert.ok(h);
      const { seconds, epochSeconds, ...rest } = h;
      assert.equal(typeof seconds, "number");
      assert.equal(epochSeconds.length > 0, true);
      return rest;
    };
    assert.deepEqual({ ...worker.histories.closed_loop_logistic, seconds: 0 }, { ...inline.histories.closed_loop_logistic, seconds: 0 });
    assert.equal(typeof worker.histories.closed_loop_logistic.valLoss, "number");
    assert.deepEqual(untimed(worker.histories.tfjs_mlp), untimed(inline.histories.tfjs_mlp));
    assert.deepEqual(worker.histories.tfjs_logistic, { ...inline.histories.tfjs_logistic!, seconds: worker.histories.tfjs_logistic!.seconds, epochSeconds: worker.histories.tfjs_logistic!.epochSeconds });
  } finally {
    concurrency.workerMinCells = saved;
  }
});

test("the MLP worker reports a training error with the message inline training throws", { timeout: 120_000 }, async () => {
  const cols = 3;
  const X = Float64Array.from({ length: 40 * cols }, (_, i) => (i * 7919) % 13);
  const y = Float64Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 0.5 : i % 2));
  const inline = await new TfjsMlp().fit(X, y, { seed: 1 }).then(() => null, (e: Error) => e);
  assert.ok(inline);
  const scaler = new Standardizer().fit(X, 40, cols);
  const job: MlpJob = { X, y, XVal: new Float64Array(0), yVal: new Float64Array(0), rowsGiven: 40, mean: scaler.mean, std: scaler.std, seed: 1 };
  const file = path.resolve(__dirname, "..", "src", "pipeline", "mlpWorker.ts");
  const worker = new Worker(`require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(file)});`, { eval: true, workerData: job });
  const reply = await new Promise<MlpReply>((resolve) => worker.once("message", resolve));
  await worker.terminate();
  assert.equal(reply.error?.message, inline.message);
});
