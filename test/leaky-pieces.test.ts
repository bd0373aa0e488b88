/**
 * The leaky reference without its whole matrix (Prepared.leakyPieces): fitting on its pieces
 * and scoring piece by piece gives the very bytes of the whole-matrix path (Prepared.leaky()).
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepare } from "../src/pipeline/prepare";
import type { Prepared } from "../src/pipeline/prepare";
import { TfjsLogistic } from "../src/model/tfjsLogistic";
import { selectRole } from "../src/model/types";

const SAMPLE = path.join(__dirname, "..", "data-sample");
let prepared: Prepared;

before(() => {
  prepared = prepare({ export: SAMPLE }, DEFAULT_PARAMS);
});

/** Fitted the old way: on the training rows of the whole leaky matrix, scored on all of it. */
async function whole(maxTrainRows: number) {
  const fs = prepared.leaky();
  const train = selectRole(fs, 0);
  const val = selectRole(fs, 1);
  const model = new TfjsLogistic({ l2: 1e-3, maxTrainRows });
  await model.fit(train.X, train.y, { XVal: val.X, yVal: val.y, seed: 7 });
  return { model, scores: model.predictProba(fs.X), names: fs.names };
}

async function pieces(maxTrainRows: number) {
  const p = prepared.leakyPieces();
  const inputs = p.fitInputs(maxTrainRows, 7);
  const model = new TfjsLogistic({ l2: 1e-3, maxTrainRows });
  await model.fit(inputs.X, inputs.y, inputs.options);
  return { model, scores: p.scores((X) => model.predictProba(X)), names: p.names };
}

/** A history without its timings (every `seconds` / `epochSeconds` field). */
function untimed<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => (/seconds$/i.test(key) ? undefined : v)) as T;
}

for (const maxTrainRows of [Infinity, 700]) {
  test(`leakyPieces: same standardisation, history, coefficients and scores as the whole matrix (${maxTrainRows === Infinity ? "every training row" : `a seeded subsample of ${maxTrainRows}`})`, async () => {
    const a = await whole(maxTrainRows);
    const b = await pieces(maxTrainRows);
    assert.deepEqual(b.names, a.names);
    assert.deepEqual(b.model.scaler.toJSON(), a.model.scaler.toJSON());
    const ha = untimed(a.model.history!);
    const hb = untimed(b.model.history!);
    assert.deepEqual(hb, ha);
    if (maxTrainRows !== Infinity) assert.equal(hb.trainRows, maxTrainRows);
    assert.deepEqual(b.model.coefficients(), a.model.coefficients());
    assert.equal(b.scores.length, prepared.features.rows);
    assert.ok(Buffer.from(b.scores.buffer).equals(Buffer.from(a.scores.buffer)), "scores byte-identical");
    // Only the rows of a range (the run's validation and test rows: scoredRowRange), NaN elsewhere.
    const end = prepared.features.rows - 5;
    const ranged = prepared.leakyPieces().scores((X) => b.model.predictProba(X), { start: 0, end });
    assert.deepEqual(ranged.subarray(0, end), a.scores.subarray(0, end));
    assert.ok(ranged.subarray(end).every(Number.isNaN));
    assert.throws(() => prepared.leakyPieces().scores((X) => b.model.predictProba(X), { start: 3, end }), /multiple of PREDICT_CHUNK_ROWS/);
    a.model.dispose();
    b.model.dispose();
  });
}
