/**
 * At scale the tfjs MLP trains in a worker thread while the main thread trains other models
 * (the closed loop continues the λ selection's fit inline; its `fitJob` still runs in a worker
 * when asked), and tfjs_logistic's Newton passes run on two threads (`NewtonHelper`). The suite's exports are too small to reach that path on their own, so this
 * forces it on data-sample/ and requires results identical to inline training: every model's
 * raw and calibrated scores, the closed loop's coefficients and the MLP history fields
 * model_metrics.json reports (all but its timings).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepare } from "../src/pipeline/prepare";
import { MODEL_NAMES, TRAINING_ORDER, linearScorer, trainModels } from "../src/pipeline/train";
import type { Prepared } from "../src/pipeline/prepare";
import { PREDICT_CHUNK_ROWS } from "../src/model/rows";
import { ClosedLoopLogistic, TfjsLogistic, TfjsMlp, chooseL2, fitInWorker, selectRole, startFitWorker } from "../src/model";
import type { FitWorker } from "../src/model";
import { makeSynthetic } from "../src/model/synthetic";

test("the main thread's training order names every model once, the closed loop first and the leaky reference before tfjs_logistic", () => {
  assert.deepEqual([...TRAINING_ORDER].sort(), [...MODEL_NAMES].sort());
  assert.equal(TRAINING_ORDER[0], "closed_loop_logistic");
  assert.ok(TRAINING_ORDER.indexOf("leaky_reference") < TRAINING_ORDER.indexOf("tfjs_logistic"));
});

test("closed-loop and MLP training in worker threads give the same models as inline training", { timeout: 120_000 }, async () => {
  const prepared = prepare({ export: path.resolve(__dirname, "..", "data-sample") }, DEFAULT_PARAMS);
  const inline = await trainModels(prepared, DEFAULT_PARAMS, undefined, { workerMinCells: Infinity });
  const notes: Record<string, string> = {};
  const progress = { start() {}, update() {}, done: (stage: string, note = "") => void (notes[stage] = note) };
  // The MLP takes a worker started beforehand, as a run starts one while it reads the export.
  const worker = await trainModels(prepared, DEFAULT_PARAMS, progress, { workerMinCells: 0, fitWorker: startFitWorker() });
  // The MLP really ran in a worker (no silent inline fallback); the closed loop continued the λ selection's fit.
  assert.match(notes.tfjs_mlp, /worker thread/);
  assert.ok(worker.histories.closed_loop_logistic.warmStart, "the closed loop continues the λ selection's fit");
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

test("a closed-loop fit in a worker, from 0 or continuing the λ selection's fit, equals the inline fit", { timeout: 120_000 }, async () => {
  const { features } = prepare({ export: path.resolve(__dirname, "..", "data-sample") }, DEFAULT_PARAMS);
  const train = selectRole(features, 0);
  const val = selectRole(features, 1);
  const options = { XVal: val.X, yVal: val.y, seed: 42 };
  for (const warm of [false, true]) {
    // chooseL2 per model: a worker job takes over (detaches) the selection's copy of the rows.
    const start = () => (warm ? chooseL2(train, val).selected : null);
    const l2 = chooseL2(train, val).l2;
    const inline = new ClosedLoopLogistic({ l2, start: start() }).fit(train.X, train.y, options);
    const model = new ClosedLoopLogistic({ l2, start: start() });
    assert.ok(await fitInWorker(model, train.X, train.y, options), "ran in a worker");
    assert.deepEqual(model.coefficients(), inline.coefficients());
    assert.deepEqual({ ...model.history, seconds: 0 }, { ...inline.history, seconds: 0 });
    assert.equal(inline.history.warmStart !== undefined, warm);
    assert.ok(inline.history.converged);
  }
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

test("a fit worker started beforehand is cancelled when no model trains in a worker, and a model without a fit job is not sent to it", async () => {
  const data = makeSynthetic({ rows: 3000, cols: 4, seed: 2 });
  const role = Uint8Array.from({ length: 3000 }, (_, i) => (i < 2000 ? 0 : i < 2500 ? 1 : 2));
  const ids = Int32Array.from({ length: 3000 }, (_, i) => i);
  const features = { names: ["a", "b", "c", "d"], groups: [], X: data.X, rows: 3000, cols: 4, y: data.y, playIndex: ids, role, sessionId: ids.map((i) => i >> 4), sessionPosition: ids.map((i) => (i & 15) + 1) };
  const calls: string[] = [];
  const fake: FitWorker = { fit: () => (calls.push("fit"), Promise.resolve(null)), cancel: () => void calls.push("cancel") };
  // Below workerMinCells: every model trains inline.
  await trainModels({ features } as unknown as Prepared, DEFAULT_PARAMS, undefined, { only: ["tfjs_logistic", "closed_loop_logistic", "tfjs_mlp"], fitWorker: fake });
  assert.ok(calls.includes("cancel") && !calls.includes("fit"), calls.join());
  // A real worker asked to fit a model without a fit job declines (null: train inline) and stops.
  const popularity = { name: "stub", fit: () => undefined, predictProba: () => new Float64Array(0) };
  assert.equal(await startFitWorker().fit(popularity as never, data.X, data.y), null);
});

test("tfjs_logistic's Newton passes with a helper thread give the same bits as on one thread", { timeout: 120_000 }, async () => {
  // 1024-row chunks, every other one the helper's, including the second of the two Hessian chunks
  // (0 and 15 at 30k rows). At 30k rows (512-row Adam batches, re-shuffled every epoch) the helper
  // gets copies of its rows; at 40k (1024-row batches) it reads them in shared memory.
  for (const rows of [30_000, 40_000]) {
    const data = makeSynthetic({ rows, cols: 12, seed: 5 });
    const fit = async (newtonHelperMinRows: number) => {
      const model = new TfjsLogistic({ l2: 1e-4, newtonChunkRows: 1024, hessianRows: 2048, newtonHelperMinRows });
      await model.fit(data.X, data.y, { seed: 3 });
      return model;
    };
    const alone = await fit(Infinity);
    const helped = await fit(0);
    assert.equal(alone.history?.newton?.helperChunks, 0);
    assert.equal(helped.history?.newton?.helperChunks, Math.floor(Math.ceil(rows / 1024) / 2), `${rows} rows: the helper evaluated every other chunk (no silent fallback)`);
    assert.ok(helped.history?.newton?.converged);
    assert.deepEqual(helped.coefficients(), alone.coefficients(), `${rows} rows`);
    assert.equal(helped.history?.newton?.passes, alone.history?.newton?.passes);
    assert.equal(helped.history?.newton?.directionPasses, alone.history?.newton?.directionPasses);
    assert.deepEqual(helped.predictProba(data.X), alone.predictProba(data.X));
  }
});

test("trainModels scores the validation and test rows only: NaN before the first of them (rounded down to a scoring batch), each model's own scores from there", { timeout: 120_000 }, async () => {
  // Past one scoring batch, so the range starts after row 0 (data-sample never gets there).
  const rows = PREDICT_CHUNK_ROWS + 8000;
  const cols = 6;
  const data = makeSynthetic({ rows, cols, seed: 4 });
  const firstValidation = PREDICT_CHUNK_ROWS + 600;
  const role = Uint8Array.from({ length: rows }, (_, i) => (i < firstValidation ? 0 : i < firstValidation + 3000 ? 1 : 2));
  const ids = Int32Array.from({ length: rows }, (_, i) => i);
  const features = { names: Array.from({ length: cols }, (_, j) => `x${j}`), groups: [], X: data.X, rows, cols, y: data.y, playIndex: ids, role, sessionId: ids.map((i) => i >> 4), sessionPosition: ids.map((i) => (i & 15) + 1) };
  const run = await trainModels({ features } as unknown as Prepared, DEFAULT_PARAMS, undefined, { only: ["tfjs_logistic", "closed_loop_logistic"] });
  assert.deepEqual(run.models.map((m) => m.name), ["tfjs_logistic", "closed_loop_logistic"]);
  for (const m of run.models) {
    for (const scores of [m.raw, m.calibrated]) {
      assert.equal(scores.length, rows);
      assert.ok(scores.subarray(0, PREDICT_CHUNK_ROWS).every(Number.isNaN), `${m.name}: the training rows before the range are not scored`);
      assert.ok(scores.subarray(PREDICT_CHUNK_ROWS).every(Number.isFinite), `${m.name}: every row from the range's start is scored`);
    }
  }
  // The primary's calibrated scores are its own: its coefficients and Platt scaling in float64, to float32 rounding.
  const expected = linearScorer(run.primaryScorer)(data.X.subarray(PREDICT_CHUNK_ROWS * cols), rows - PREDICT_CHUNK_ROWS, cols);
  const got = run.models[0].calibrated.subarray(PREDICT_CHUNK_ROWS);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `row ${PREDICT_CHUNK_ROWS + i}: ${got[i]} vs ${expected[i]}`);
});
