import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ARTIFACTS_DIR, MODEL_SCORES_FILE, loadModelRun, saveModelRun } from "../src/pipeline/artifacts";
import type { Prepared } from "../src/pipeline/prepare";
import type { ModelRun } from "../src/pipeline/train";

const rows = 5;
const prepared = { features: { rows, names: ["a", "b"] } } as unknown as Prepared;
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
  saveModelRun(dir, run, rows);
  assert.deepStrictEqual(loadModelRun(dir, prepared), run);
  assert.equal(fs.statSync(path.join(dir, ARTIFACTS_DIR, MODEL_SCORES_FILE)).size, 2 * 2 * rows * 8);
});

test("a damaged, truncated or missing scores file is refused with the fix, never read", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifacts-"));
  saveModelRun(dir, run, rows);
  const file = path.join(dir, ARTIFACTS_DIR, MODEL_SCORES_FILE);
  const good = fs.readFileSync(file);
  const damaged = Buffer.from(good);
  damaged[10] ^= 0xff;
  for (const bytes of [damaged, good.subarray(0, good.length - 8), null]) {
    if (bytes) fs.writeFileSync(file, bytes);
    else fs.rmSync(file);
    assert.throws(() => loadModelRun(dir, prepared), (e: Error) => e.name === "UserInputError" && /model_run\.f64 is missing, damaged or from another run.*re-run notebooks\/03_model/.test(e.message));
  }
});

test("a run trained on other features is refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifacts-"));
  saveModelRun(dir, run, rows);
  const other = { features: { rows: rows + 1, names: ["a", "b"] } } as unknown as Prepared;
  assert.throws(() => loadModelRun(dir, other), /trained on other data or parameters/);
});
