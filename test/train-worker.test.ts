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
import { trainModels } from "../src/pipeline/train";
import { ClosedLoopLogistic, TfjsMlp, fitInWorker } from "../src/model";

test("closed-loop and MLP training in worker threads give the same models as inline training", { timeout: 120_000 }, async () => {
  const prepared = prepare({ export: path.resolve(__dirname, "..", "data-sample") }, DEFAULT_PARAMS);
  const inline = await trainModels(prepared, DEFAULT_PARAMS, undefined, { workerMinCells: Infinity });
  const notes: Record<string, string> = {};
  const progress = { start() {}, update() {}, done: (stage: string, note = "") => void (notes[stage] = note) };
  const worker = await trainModels(prepared, DEFAULT_PARAMS, progress, { workerMinCells: 0 });
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
  const tl = (h: typeof inline.histories.tfjs_logistic) => {
    assert.ok(h?.newton);
    return { ...h, seconds: 0, epochSeconds: [], newton: { ...h.newton, seconds: 0 } };
  };
  assert.deepEqual(tl(worker.histories.tfjs_logistic), tl(inline.histories.tfjs_logistic));
  assert.deepEqual(worker.regularisation.grid, inline.regularisation.grid);
});

test("a fit that throws in a worker rethrows the message inline training throws", { timeout: 120_000 }, async () => {
  const cols = 3;
  const X = Float64Array.from({ length: 40 * cols }, (_, i) => (i * 7919) % 13);
  // 0.5 is not a label: the MLP checks labels while training (in the worker), not in fitJob.
  const y = Float64Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 0.5 : i % 2));
  const inline = await new TfjsMlp().fit(X, y, { seed: 1 }).then(() => null, (e: Error) => e);
  assert.ok(inline);
  const inWorker = await fitInWorker(new TfjsMlp(), X, y, { seed: 1 }).then(() => null, (e: Error) => e);
  assert.ok(inWorker, "the worker's training error must reach the caller");
  assert.equal(inWorker.message, inline.message);
});

test("a fit whose job cannot be prepared resolves null (train inline, where the input error is thrown)", async () => {
  // 7 values are not a multiple of 2 rows: fitJob's input check throws on this thread.
  assert.equal(await fitInWorker(new ClosedLoopLogistic(), new Float64Array(7), Float64Array.of(0, 1)), null);
  assert.throws(() => new ClosedLoopLogistic().fit(new Float64Array(7), Float64Array.of(0, 1)), /not a multiple/);
});
