/**
 * At scale the closed-loop baseline trains in a worker thread while the main thread trains
 * other models. The suite's exports are too small to reach that path on their own, so this
 * forces it on data-sample/ and requires results identical to inline training.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepare } from "../src/pipeline/prepare";
import { concurrency, trainModels } from "../src/pipeline/train";

test("closed-loop training in a worker thread gives the same model as inline training", { timeout: 120_000 }, async () => {
  const prepared = prepare({ export: path.resolve(__dirname, "..", "data-sample") }, DEFAULT_PARAMS);
  const saved = concurrency.workerMinCells;
  try {
    concurrency.workerMinCells = Infinity;
    const inline = await trainModels(prepared, DEFAULT_PARAMS);
    concurrency.workerMinCells = 0;
    const worker = await trainModels(prepared, DEFAULT_PARAMS);
    assert.deepEqual(worker.models.map((m) => m.name), inline.models.map((m) => m.name));
    for (let k = 0; k < inline.models.length; k++) {
      assert.deepEqual(worker.models[k].raw, inline.models[k].raw, inline.models[k].name);
      assert.deepEqual(worker.models[k].calibrated, inline.models[k].calibrated, inline.models[k].name);
    }
    assert.deepEqual(worker.coefficients.closed_loop_logistic, inline.coefficients.closed_loop_logistic);
  } finally {
    concurrency.workerMinCells = saved;
  }
});
