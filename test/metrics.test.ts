import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  accuracy,
  averagePrecision,
  averageRanks,
  brier,
  classificationReport,
  compareCalibration,
  downsample,
  expectedCalibrationError,
  f1,
  logLoss,
  prCurve,
  rocAuc,
  rocCurve,
} from "../src/evaluate/metrics";
import { rankingMetrics } from "../src/evaluate/ranking";

const close = (actual: number | null, expected: number, tol = 1e-9) => {
  assert.ok(actual !== null, "expected a value, got null");
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);
};

test("ROC AUC: classic 4-row example = 3/4", () => {
  // Pairs (pos, neg): (0.35,0.1) ✓ (0.35,0.4) ✗ (0.8,0.1) ✓ (0.8,0.4) ✓ → 3/4.
  close(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).value, 0.75);
});

test("ROC AUC: tied scores count one half", () => {
  // pos {0.5, 0.9} vs neg {0.5, 0.2}: (0.5,0.5)=½, the other three pairs = 1 → 3.5/4.
  close(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]).value, 0.875);
  // All scores equal → every pair a tie → ½.
  close(rocAuc([0, 1, 1, 0, 1], [3, 3, 3, 3, 3]).value, 0.5);
  assert.deepEqual(Array.from(averageRanks([0.5, 0.5, 0.2, 0.9])), [2.5, 2.5, 1, 4]);
});

test("ROC AUC: one class or empty → null with a reason", () => {
  const r = rocAuc([1, 1, 1], [0.2, 0.3, 0.4]);
  assert.equal(r.value, null);
  assert.match(r.reason ?? "", /one class/);
  assert.equal(rocAuc([], []).value, null);
  assert.equal(rocAuc([0, 1], [NaN, 0.3]).value, null);
  assert.throws(() => rocAuc([0, 1], [0.3]), /labels but/);
  assert.throws(() => rocAuc([0, 2], [0.3, 0.4]), /not 0 or 1/);
});

test("average precision, step-wise", () => {
  // Desc: 0.8(+) 0.4(−) 0.35(+) 0.1(−): R .5 P 1 at 0.8; R 1 P 2/3 at 0.35 → ½·1 + ½·⅔.
  close(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).value, 0.5 + 1 / 3);
  // A tie between a positive and a negative moves together: one step, P = ½, R = 1.
  close(averagePrecision([1, 0], [0.5, 0.5]).value, 0.5);
  assert.equal(averagePrecision([0, 0], [0.5, 0.2]).value, null);
  // Only positives: AP is defined and = 1.
  close(averagePrecision([1, 1], [0.5, 0.2]).value, 1);
});

test("log loss, Brier, accuracy, F1 by hand", () => {
  // −(ln 0.8 + ln 0.7) / 2
  close(logLoss([1, 0], [0.8, 0.3]).value, 0.2899092476264711, 1e-12);
  // clipped at eps = 1e-15: −ln(1e-15)
  close(logLoss([1], [0]).value, 34.538776394910684, 1e-9);
  close(brier([1, 0], [0.8, 0.3]).value, (0.04 + 0.09) / 2, 1e-12);
  // p ≥ 0.5 → 1: predictions [1, 0, 0, 1] vs y [1, 0, 1, 0] → 2/4; tp 1, fp 1, fn 1 → F1 = 2/4.
  close(accuracy([1, 0, 1, 0], [0.5, 0.49, 0.2, 0.7]).value, 0.5);
  close(f1([1, 0, 1, 0], [0.5, 0.49, 0.2, 0.7]).value, 0.5);
  assert.equal(f1([0, 0], [0.1, 0.2]).value, null);
  assert.equal(logLoss([1], [1.5]).value, null);
});

test("ECE on a tiny case by hand, with the reliability table", () => {
  // Bins of width 0.1: [0,.1): p .05 y 1 → |.05 − 1| = .95 ; [.1,.2): p .15,.12 (mean .135), y 0,1 (rate .5) → .365
  // [.9,1]: p .95 y 1 → .05. ECE = (1·.95 + 2·.365 + 1·.05) / 4 = .4325.
  const r = expectedCalibrationError([1, 0, 1, 1], [0.05, 0.15, 0.12, 0.95]);
  close(r.value, 0.4325, 1e-12);
  assert.equal(r.bins.length, 10);
  assert.equal(r.bins[1].count, 2);
  close(r.bins[1].mean_predicted, 0.135, 1e-12);
  close(r.bins[1].observed_rate, 0.5);
  assert.equal(r.bins[5].mean_predicted, null);
  // p = 1 falls in the last (closed) bin; 15 bins are allowed.
  const last = expectedCalibrationError([1], [1], 15);
  assert.equal(last.bins[14].count, 1);
  close(last.value, 0);
});

test("ROC/PR curves: end points, and downsampling keeps ≤ 200 points with both ends", () => {
  const roc = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).points;
  assert.deepEqual(roc.map((q) => [q.x, q.y]), [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]]);
  const pr = prCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).points;
  assert.deepEqual(pr.map((q) => [q.x, q.y]), [[0.5, 1], [0.5, 0.5], [1, 2 / 3], [1, 0.5]]);
  const many = Array.from({ length: 1000 }, (_, i) => i);
  const d = downsample(many, 200);
  assert.equal(d.length, 200);
  assert.equal(d[0], 0);
  assert.equal(d[199], 999);
  assert.deepEqual(downsample(many, 1), [0]);
  assert.equal(rocCurve([0, 1, 0], [0.1, 0.2, 0.3], 1).points.length, 1);
  assert.equal(rocCurve([1, 1], [0.1, 0.2]).points.length, 0);
});

test("classificationReport bundles metrics and never holds NaN", () => {
  const r = classificationReport([1, 1, 1], [0.9, 0.8, 0.7]);
  assert.equal(r.rocAuc.value, null);
  assert.ok(!JSON.stringify(r).includes("NaN"));
  close(r.positiveRate, 1);
  const c = compareCalibration([1, 0], [0.8, 0.3], [0.9, 0.1]);
  assert.ok((c.after.logLoss.value ?? Infinity) < (c.before.logLoss.value ?? 0));
});

test("ranking metrics by hand on two sessions", () => {
  // Session 10 (rows 0–5, 3 completions): ranked by score → rel [0,1,0,1,0,1].
  //   NDCG@5 = (1/log2 3 + 1/log2 5) / (1 + 1/log2 3 + 1/log2 4) = 0.498189…
  //   NDCG@10 adds 1/log2 7 → 0.665349…; AP@5 = (½ + 2/4)/3; AP@10 = (½ + 2/4 + 3/6)/3; recall 2/3, 1.
  // Session 20 (rows 6–10, one completion, tied at 0.3 → row order): ranked rel [0,1,0,0,0].
  //   NDCG = 1/log2 3 = 0.630929…; AP = ½; recall 1.
  // Session 30 (4 plays) and 40 (no completion) are not eligible.
  const sessionId = [10, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 30, 30, 30, 30, 40, 40, 40, 40, 40];
  const y = [0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0];
  const score = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.3, 0.9, 0.1, 0.3, 0.5, 0.5, 0.5, 0.5, 0.1, 0.2, 0.3, 0.4, 0.5];
  const r = rankingMetrics({ sessionId, y, score });
  assert.equal(r.eligibleSessions, 2);
  close(r.metrics["ndcg@5"].value, 0.5645595055189352, 1e-12);
  close(r.metrics["ndcg@10"].value, 0.6481397330020363, 1e-12);
  close(r.metrics["map@5"].value, (1 / 3 + 0.5) / 2, 1e-12);
  close(r.metrics["map@10"].value, 0.5, 1e-12);
  close(r.metrics["recall@5"].value, (2 / 3 + 1) / 2, 1e-12);
  close(r.metrics["recall@10"].value, 1, 1e-12);
  // Masking out session 20 leaves one eligible session.
  const masked = rankingMetrics({ sessionId, y, score, mask: sessionId.map((s) => (s === 20 ? 0 : 1)) });
  assert.equal(masked.eligibleSessions, 1);
  close(masked.metrics["map@10"].value, 0.5, 1e-12);
});

test("ranking metrics: no eligible session → null with reason", () => {
  const r = rankingMetrics({ sessionId: [1, 1, 1], y: [1, 0, 1], score: [0.1, 0.2, 0.3] });
  assert.equal(r.eligibleSessions, 0);
  assert.equal(r.metrics["ndcg@5"].value, null);
  assert.match(r.metrics["ndcg@5"].reason ?? "", /no session/);
});

const labelledScores = fc
  .array(
    fc.tuple(
      fc.constantFrom(0, 1),
      // Small integers make ties common; doubles cover the general case.
      fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })),
    ),
    { minLength: 2, maxLength: 60 },
  )
  .filter((rows) => rows.some((r) => r[0] === 1) && rows.some((r) => r[0] === 0));

test("property: AUC is invariant to strictly increasing transforms of the scores", () => {
  fc.assert(
    fc.property(labelledScores, (rows) => {
      const y = rows.map((r) => r[0]);
      const p = rows.map((r) => r[1]);
      // A strictly increasing map that float rounding cannot collapse: through the distinct-value rank.
      const distinct = Array.from(new Set(p)).sort((a, b) => a - b);
      const q = p.map((v) => {
        const k = distinct.indexOf(v);
        return k ** 3 + Math.exp(k / 10);
      });
      const a = rocAuc(y, p).value!;
      const b = rocAuc(y, q).value!;
      return Math.abs(a - b) < 1e-12;
    }),
  );
});

test("property: AUC(y, p) = 1 − AUC(1 − y, p)", () => {
  fc.assert(
    fc.property(labelledScores, (rows) => {
      const y = rows.map((r) => r[0]);
      const p = rows.map((r) => r[1]);
      const flipped = y.map((v) => 1 - v);
      return Math.abs(rocAuc(y, p).value! - (1 - rocAuc(flipped, p).value!)) < 1e-12;
    }),
  );
});
