import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { ARTIFACTS_DIR, MODEL_SCORES_FILE, loadEvaluatedRun, loadModelRun, saveModelRun } from "../src/pipeline/artifacts";
import { evaluateModels } from "../src/pipeline/evaluate";
import type { Prepared } from "../src/pipeline/prepare";
import type { ModelRun } from "../src/pipeline/train";
import { PREDICT_CHUNK_ROWS } from "../src/model/rows";

const rows = 5;
const features = { rows, names: ["a", "b"], role: Uint8Array.from([0, 0, 1, 2, 2]), y: Float64Array.from([1, 0, 1, 0, 1]), sessionId: Int32Array.from([0, 0, 1, 1, 1]) };
const prepared = { features } as unknown as Prepared;
const scores = (seed: number) => Float64Array.from({ length: rows }, (_, i) => Math.sin(seed * 7 + i) / 3 + 0.5);
const run = {
  featureNames: ["a", "b"],
  primary: "m1",
  models: [
    { name: "m1", deployable: true, description: "one", trainSeconds: 1.5, raw: scores(1), calibrated: scores(2), calibration: { method: "platt", a: 1, b: 0 } },
    { name: "m2", deployable: false, description: "two", trainSeconds: 0.25, raw: scores(3), calibrated: scores(4), calibration: { method: "none" } },
  ],
  coefficients: { m1: { weights: Float64Array.from([0.5, -1 / 3]), intercept: 0.1 } },
  gradientTolerance: 1e-6,
} as unknown as ModelRun;

test("the saved run loads back identical: scores bit for bit, the rest as saved", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifacts-"));
  saveModelRun(dir, run, features);
  assert.deepStrictEqual(loadModelRun(dir, prepared), run);
  assert.equal(fs.statSync(path.join(dir, ARTIFACTS_DIR, MODEL_SCORES_FILE)).size, 2 * 2 * rows * 8);
});

test("only the scored rows' scores are saved (scoredRowRange: the validation and test rows); the others load back NaN, as the run held them", () => {
  // The first validation row past a scoring batch: the training rows before the batch's start are not scored.
  const n = PREDICT_CHUNK_ROWS + 10;
  const big = { rows: n, names: ["a", "b"], role: Uint8Array.from({ length: n }, (_, i) => (i < PREDICT_CHUNK_ROWS + 3 ? 0 : i < n - 4 ? 1 : 2)), y: Float64Array.from({ length: n }, (_, i) => i % 2), sessionId: Int32Array.from({ length: n }, (_, i) => i >> 3) };
  const scored = (seed: number) => Float64Array.from({ length: n }, (_, i) => (i < PREDICT_CHUNK_ROWS ? NaN : Math.sin(seed * 7 + i) / 3 + 0.5));
  const bigRun = { ...run, models: run.models.map((m, k) => ({ ...m, raw: scored(2 * k + 1), calibrated: scored(2 * k + 2) })) } as ModelRun;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifacts-"));
  saveModelRun(dir, bigRun, big);
  assert.equal(fs.statSync(path.join(dir, ARTIFACTS_DIR, MODEL_SCORES_FILE)).size, 2 * 2 * 10 * 8);
  assert.deepStrictEqual(loadModelRun(dir, { features: big } as unknown as Prepared), bigRun);
  // A file in the layout before (every row's scores), its JSON naming its length and checksum: refused, not misread.
  const old = Buffer.alloc(2 * 2 * n * 8);
  const json = path.join(dir, ARTIFACTS_DIR, "model_run.json");
  const saved = JSON.parse(fs.readFileSync(json, "utf8")) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, ARTIFACTS_DIR, MODEL_SCORES_FILE), old);
  fs.writeFileSync(json, JSON.stringify({ ...saved, scores: { bytes: old.length, crc32: zlib.crc32(old) } }));
  assert.throws(() => loadModelRun(dir, { features: big } as unknown as Prepared), /written by an older version of this project: re-run notebooks\/03_model/);
});

test("a damaged, truncated or missing scores file is refused with the fix, never read", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifacts-"));
  saveModelRun(dir, run, features);
  const file = path.join(dir, ARTIFACTS_DIR, MODEL_SCORES_FILE);
  const good = fs.readFileSync(file);
  const damaged = Buffer.from(good);
  damaged[10] ^= 0xff;
  for (const bytes of [damaged, good.subarray(0, good.length - 8), null]) {
    if (bytes) fs.writeFileSync(file, bytes);
    else fs.rmSync(file);
    assert.throws(() => loadModelRun(dir, prepared), (e: Error) => e.name === "UserInputError" && /model_run\.f64 is missing, damaged, from another run.*re-run notebooks\/03_model/.test(e.message));
  }
});

test("a run trained on other features is refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifacts-"));
  saveModelRun(dir, run, features);
  const other = { features: { ...features, rows: rows + 1 } } as unknown as Prepared;
  assert.throws(() => loadModelRun(dir, other), /trained on other data or parameters/);
  // Another split (TEST_FRACTION, VALIDATION_FRACTION) keeps the rows and columns, not the roles.
  const otherSplit = { features: { ...features, role: Uint8Array.from([0, 0, 0, 1, 2]) } } as unknown as Prepared;
  assert.throws(() => loadModelRun(dir, otherSplit), /trained on other data or parameters/);
});

test("the evaluation saved with a run loads back equal to evaluating the loaded run, and one saved without is computed", () => {
  // 40 rows, half of them test rows in four sessions of five, labels and scores that give every metric a value.
  const n = 40;
  const features = {
    rows: n,
    names: ["a", "b"],
    role: Uint8Array.from({ length: n }, (_, i) => (i < 20 ? 0 : 2)),
    y: Float64Array.from({ length: n }, (_, i) => (i * 7) % 3 === 0 ? 0 : 1),
    sessionId: Int32Array.from({ length: n }, (_, i) => Math.floor(i / 5)),
  };
  const score = (seed: number) => Float64Array.from({ length: n }, (_, i) => Math.min(0.99, Math.max(0.01, 0.5 + Math.sin(seed * 11 + i * 1.7) / 2.2)));
  const real = {
    ...run,
    models: run.models.map((m, k) => ({ ...m, raw: score(2 * k + 1), calibrated: score(2 * k + 2) })),
  } as ModelRun;
  const preparedN = { features } as unknown as Prepared;
  const evaluation = evaluateModels(features as unknown as Prepared["features"], real);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifacts-"));
  saveModelRun(dir, real, features, evaluation);
  const loaded = loadEvaluatedRun(dir, preparedN);
  assert.deepStrictEqual(loaded.evaluation, evaluation);
  assert.deepStrictEqual(loaded.evaluation, evaluateModels(features as unknown as Prepared["features"], loaded.run));
  assert.ok(loaded.evaluation.comparison.every((r) => r.test_auc !== null), "every model's test AUC has a value");
  // Saved without one (other scores): computed from the loaded run, not left over from the file before.
  const rescored = { ...real, models: real.models.map((m) => ({ ...m, calibrated: Float64Array.from(m.calibrated, (v) => 1 - v) })) } as ModelRun;
  saveModelRun(dir, rescored, features);
  assert.equal("evaluation" in JSON.parse(fs.readFileSync(path.join(dir, ARTIFACTS_DIR, "model_run.json"), "utf8")), false);
  const recomputed = loadEvaluatedRun(dir, preparedN).evaluation;
  assert.notDeepStrictEqual(recomputed, evaluation);
  assert.deepStrictEqual(recomputed, evaluateModels(features as unknown as Prepared["features"], rescored));
});
