import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { IsotonicCalibrator, PlattCalibrator } from "../src/model/calibrate";
import { expectedCalibrationError, logLoss } from "../src/evaluate/metrics";
import { mulberry32 } from "../src/common/rng";

test("isotonic: PAV pools adjacent violators (by hand)", () => {
  // y by score: 0, 1, 1, 0, 0 → pool (.3,.4) = ½ < 1 → pool (.2,.3,.4) = ⅔ → add .5: (.2…,.5) = 2/4.
  const iso = new IsotonicCalibrator().fit([0.1, 0.2, 0.3, 0.4, 0.5], [0, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(iso.predict([0.1, 0.2, 0.35, 0.5])), [0, 0.5, 0.5, 0.5]);
  // 1, 0 pooled to ½ over [.1, .2]; then 1, 1. Interpolates between knots, clips outside.
  const iso2 = new IsotonicCalibrator().fit([0.4, 0.3, 0.2, 0.1], [1, 1, 0, 1]);
  assert.deepEqual(Array.from(iso2.x), [0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(Array.from(iso2.y), [0.5, 0.5, 1, 1]);
  assert.deepEqual(Array.from(iso2.predict([0.0, 0.15, 0.25, 0.9])), [0.5, 0.5, 0.75, 1]);
  // Tied scores get one value.
  const tie = new IsotonicCalibrator().fit([0.5, 0.5, 0.7], [1, 0, 1]);
  assert.deepEqual(Array.from(tie.predict([0.5])), [0.5]);
});

test("property: isotonic fit is non-decreasing and inside [0, 1]", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1)), { minLength: 2, maxLength: 80 }),
      (rows) => {
        if (!rows.some((r) => r[1] === 1) || !rows.some((r) => r[1] === 0)) return true;
        const iso = new IsotonicCalibrator().fit(rows.map((r) => r[0]), rows.map((r) => r[1]));
        const grid = Array.from({ length: 101 }, (_, i) => i / 100);
        const out = iso.predict(grid);
        for (let i = 0; i < out.length; i++) {
          if (out[i] < 0 || out[i] > 1) return false;
          if (i > 0 && out[i] < out[i - 1] - 1e-15) return false;
        }
        return true;
      },
    ),
  );
});

/** Over-confident scores: true logit stretched ×3 and shifted, so calibration has work to do. */
function miscalibrated(n: number, seed: number): { p: Float64Array; y: Float64Array } {
  const rand = mulberry32(seed);
  const p = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = (rand() - 0.5) * 4;
    y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    p[i] = 1 / (1 + Math.exp(-(3 * z + 1)));
  }
  return { p, y };
}

test("Platt improves log loss on miscalibrated scores (fit on validation, judged on test)", () => {
  const val = miscalibrated(3000, 1);
  const tst = miscalibrated(3000, 2);
  const platt = new PlattCalibrator().fit(val.p, val.y);
  // Inverse of the distortion: a ≈ 1/3, b ≈ −1/3.
  assert.ok(Math.abs(platt.a - 1 / 3) < 0.05, `a = ${platt.a}`);
  assert.ok(Math.abs(platt.b + 1 / 3) < 0.1, `b = ${platt.b}`);
  const before = logLoss(tst.y, tst.p).value!;
  const after = logLoss(tst.y, platt.predict(tst.p)).value!;
  assert.ok(after < before - 0.05, `log loss ${before} → ${after}`);
});

test("isotonic improves ECE on miscalibrated scores", () => {
  const val = miscalibrated(3000, 3);
  const tst = miscalibrated(3000, 4);
  const iso = new IsotonicCalibrator().fit(val.p, val.y);
  const before = expectedCalibrationError(tst.y, tst.p).value!;
  const after = expectedCalibrationError(tst.y, iso.predict(tst.p)).value!;
  assert.ok(after < before / 2, `ECE ${before} → ${after}`);
});

test("calibrators refuse one-class data clearly", () => {
  assert.throws(() => new PlattCalibrator().fit([0.2, 0.4], [1, 1]), /both classes/);
  assert.throws(() => new IsotonicCalibrator().fit([0.2, 0.4], [0, 0]), /both classes/);
});
