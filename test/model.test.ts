import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../src/model/backend";
import { Standardizer } from "../src/model/standardize";
import { ClosedLoopLogistic } from "../src/model/closedLoop";
import { TfjsLogistic } from "../src/model/tfjsLogistic";
import { TfjsMlp } from "../src/model/tfjsMlp";
import { PopularityModel, PriorHeuristic } from "../src/model/heuristics";
import { makeSynthetic, splitRows } from "../src/model/synthetic";
import { featureImportance, selectRole } from "../src/model/types";
import { rocAuc } from "../src/evaluate/metrics";
import { mulberry32 } from "../src/common/rng";
import { seededPermutation } from "../src/model/tfjsTrain";

// Small so the whole file runs in seconds; batch size scaled down to keep many Adam steps.
const small = { batchSize: 128, maxEpochs: 30, patience: 3, learningRate: 0.02 };
const data = makeSynthetic({ rows: 6000, cols: 10, seed: 11 });
const parts = splitRows(data, { train: 0.6, validation: 0.2 });
const fitOpts = { XVal: parts.validation.X, yVal: parts.validation.y, seed: 3 };
const auc = (y: Float64Array, p: Float64Array) => rocAuc(y, p).value!;

test("initBackend picks a working backend, once", async () => {
  const a = await initBackend();
  const b = await initBackend({ prefer: "cpu" });
  assert.equal(a, b);
  assert.ok(["tensorflow", "wasm", "cpu"].includes(a.name));
});

test("Standardizer uses train rows only; constant columns get std 1", () => {
  // Column 0: train rows 1, 3 → mean 2, std 1; column 1 constant → std 1.
  const X = Float64Array.from([1, 10, 3, 10, 50, 10]);
  const s = new Standardizer().fit(X, 3, 2, [1, 1, 0]);
  assert.deepEqual(Array.from(s.mean), [2, 10]);
  assert.deepEqual(Array.from(s.std), [1, 1]);
  assert.deepEqual(Array.from(s.transform(X)), [-1, 0, 1, 0, 48, 0]);
  assert.throws(() => new Standardizer().fit(X, 2, 2), /rows\*cols/);
});

test("closed loop: loss decreases, converges, recovers planted signs", () => {
  const m = new ClosedLoopLogistic().fit(parts.train.X, parts.train.y);
  const L = m.history.loss;
  for (let i = 1; i < L.length; i++) assert.ok(L[i] <= L[i - 1] + 1e-12, `loss rose at ${i}`);
  assert.ok(m.history.converged);
  for (let j = 0; j < 8; j++) assert.equal(Math.sign(m.weights[j]), Math.sign(data.weights[j]), `weight ${j}`);
  // Standardised weights ≈ planted ones (the synthetic signal is defined on unit-variance values).
  assert.ok(Math.abs(m.weights[0] - 1) < 0.15, `w0 = ${m.weights[0]}`);
  assert.ok(auc(parts.test.y, m.predictProba(parts.test.X)) > 0.8);
});

test("closed loop with a fixed learning rate reaches the same optimum", () => {
  const bb = new ClosedLoopLogistic().fit(parts.train.X, parts.train.y);
  const fixed = new ClosedLoopLogistic({ stepRule: "fixed", learningRate: 1, maxIter: 2000, tol: 1e-10 }).fit(parts.train.X, parts.train.y);
  for (let j = 0; j < 10; j++) assert.ok(Math.abs(bb.weights[j] - fixed.weights[j]) < 5e-3, `weight ${j}`);
});

test("tfjs logistic agrees with the closed loop (test AUC within 0.005) and recovers signs", async () => {
  const cl = new ClosedLoopLogistic().fit(parts.train.X, parts.train.y);
  const tf = await new TfjsLogistic(small).fit(parts.train.X, parts.train.y, fitOpts);
  const aCl = auc(parts.test.y, cl.predictProba(parts.test.X));
  const aTf = auc(parts.test.y, tf.predictProba(parts.test.X));
  assert.ok(Math.abs(aCl - aTf) < 0.005, `closed loop ${aCl} vs tfjs ${aTf}`);
  const coef = tf.coefficients();
  for (let j = 0; j < 8; j++) assert.equal(Math.sign(coef.weights[j]), Math.sign(data.weights[j]), `weight ${j}`);
  const h = tf.history!;
  assert.equal(h.valLoss.length, h.epochsRun);
  assert.ok(h.bestEpoch >= 1 && h.bestEpoch <= h.epochsRun);
  const names = Array.from({ length: 10 }, (_, j) => `f${j}`);
  // |planted| is 1 for f0 and f1, then 0.8, …: the two largest must be f0 and f1, in some order.
  const top = featureImportance(names, coef);
  assert.deepEqual(top.slice(0, 2).map((r) => r.feature).sort(), ["f0", "f1"]);
  assert.equal(top[0].rank, 1);
  tf.dispose();
});

test("tfjs training is deterministic: same seed → identical predictions", async () => {
  const opts = { ...small, maxEpochs: 3 };
  const a = await new TfjsLogistic(opts).fit(parts.train.X, parts.train.y, fitOpts);
  const b = await new TfjsLogistic(opts).fit(parts.train.X, parts.train.y, fitOpts);
  assert.deepEqual(a.predictProba(parts.test.X), b.predictProba(parts.test.X));
  const c = await new TfjsLogistic(opts).fit(parts.train.X, parts.train.y, { ...fitOpts, seed: 99 });
  assert.notDeepEqual(a.predictProba(parts.test.X), c.predictProba(parts.test.X));
  const m1 = await new TfjsMlp({ ...opts, hiddenUnits: 8 }).fit(parts.train.X, parts.train.y, fitOpts);
  const m2 = await new TfjsMlp({ ...opts, hiddenUnits: 8 }).fit(parts.train.X, parts.train.y, fitOpts);
  assert.deepEqual(m1.predictProba(parts.test.X), m2.predictProba(parts.test.X));
  [a, b, c, m1, m2].forEach((m) => m.dispose());
});

test("shuffled labels → test AUC ≈ 0.5", async () => {
  const shuffle = (y: Float64Array, seed: number) => {
    const perm = seededPermutation(y.length, mulberry32(seed));
    return Float64Array.from(perm, (i) => y[i]);
  };
  const yTrain = shuffle(parts.train.y, 1);
  const yVal = shuffle(parts.validation.y, 2);
  const yTest = shuffle(parts.test.y, 3);
  const cl = new ClosedLoopLogistic().fit(parts.train.X, yTrain);
  const tf = await new TfjsLogistic(small).fit(parts.train.X, yTrain, { ...fitOpts, yVal });
  for (const p of [cl.predictProba(parts.test.X), tf.predictProba(parts.test.X)]) {
    const a = auc(yTest, p);
    assert.ok(Math.abs(a - 0.5) < 0.05, `AUC ${a}`);
  }
  tf.dispose();
});

test("MLP learns an interaction the linear model cannot", async () => {
  // Signal only in sign(x0·x1) + sign(x2·x3): invisible to any linear score.
  const d = makeSynthetic({ rows: 6000, cols: 6, seed: 5, weights: [0, 0, 0, 0, 0, 0], interactionStrength: 1.5 });
  const s = splitRows(d, { train: 0.6, validation: 0.2 });
  const o = { XVal: s.validation.X, yVal: s.validation.y, seed: 1 };
  const lin = new ClosedLoopLogistic().fit(s.train.X, s.train.y);
  const mlp = await new TfjsMlp({ ...small, hiddenUnits: 16 }).fit(s.train.X, s.train.y, o);
  const aLin = auc(s.test.y, lin.predictProba(s.test.X));
  const aMlp = auc(s.test.y, mlp.predictProba(s.test.X));
  assert.ok(Math.abs(aLin - 0.5) < 0.05, `linear ${aLin}`);
  assert.ok(aMlp > 0.7, `mlp ${aMlp}`);
  mlp.dispose();
});

test("heuristics find columns by name and compute by hand", () => {
  const names = ["hour", "track_train_skip_rate", "artist_train_skip_rate", "track_train_play_count"];
  // Row 0: n = 5 plays → w = 5/(5+5) = ½ → skip = ½·0.2 + ½·0.6 = 0.4 → p = 0.6.
  // Row 1: n = 0 → artist only → p = 1 − 0.5 = 0.5.
  const X = Float64Array.from([8, 0.2, 0.6, 5, 20, 0.9, 0.5, 0]);
  const prior = new PriorHeuristic(names).fit(X, Float64Array.from([1, 0]));
  const p = prior.predictProba(X);
  assert.ok(Math.abs(p[0] - 0.6) < 1e-12 && Math.abs(p[1] - 0.5) < 1e-12, `${p}`);
  assert.throws(() => new PriorHeuristic(["hour"]), /track_train_skip_rate/);

  // Popularity: mid-rank of the count among TRAIN rows [5, 0] → 5 ↦ (1 + ½)/2, 0 ↦ ½/2, 9 ↦ 1.
  const pop = new PopularityModel(names).fit(X, Float64Array.from([1, 0]));
  const q = pop.predictProba(Float64Array.from([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 9]));
  assert.deepEqual(Array.from(q), [0.75, 0.25, 1]);
  assert.throws(() => new PopularityModel(["hour"]), /play_count/);
});

test("selectRole copies the rows of one role", () => {
  const fs = { names: ["a"], X: Float64Array.from([1, 2, 3]), rows: 3, cols: 1, y: Float64Array.from([0, 1, 1]), role: Uint8Array.from([0, 2, 0]) };
  const t = selectRole(fs, 0);
  assert.deepEqual(Array.from(t.X), [1, 3]);
  assert.deepEqual(Array.from(t.index), [0, 2]);
});
