import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../src/model/backend";
import { Standardizer } from "../src/model/standardize";
import { ClosedLoopLogistic, initialGram, logisticLossAndGrad, meanLogLoss } from "../src/model/closedLoop";
import { DEFAULT_L2, L2_GRID, chooseL2 } from "../src/model/regularisation";
import { LogitsHelper } from "../src/model/logitsHelper";
import { buildTrainingRows, passWeights, toDense } from "../src/model/trainingRows";
import type { TrainingRows } from "../src/model/trainingRows";
import { TfjsLogistic } from "../src/model/tfjsLogistic";
import { TfjsMlp } from "../src/model/tfjsMlp";
import { newtonLogistic } from "../src/model/tfjsNewton";
import { logitsFunction, transposedBatches } from "../src/model/tfjsTrain";
import { PopularityModel, PriorHeuristic } from "../src/model/heuristics";
import { makeSynthetic, splitRows } from "../src/model/synthetic";
import { GRADIENT_TOLERANCE, featureImportance, selectRole } from "../src/model/types";
import { rocAuc } from "../src/evaluate/metrics";
import { mulberry32 } from "../src/common/rng";
import { PREDICT_CHUNK_ROWS, scoredRowRange, seededPermutation } from "../src/model/rows";

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

test("a model given the run's training statistics (FitOptions.trainStats) ends exactly where fitting its own leads", async () => {
  const { X, y } = parts.train;
  const cols = X.length / y.length;
  const own = new Standardizer().fit(X, y.length, cols);
  const given = new Standardizer().fitOr({ mean: own.mean, std: own.std }, X, y.length, cols);
  assert.deepEqual([Array.from(given.mean), Array.from(given.std)], [Array.from(own.mean), Array.from(own.std)]);
  assert.deepEqual(Array.from(new Standardizer().fitOr(undefined, X, y.length, cols).std), Array.from(own.std));
  assert.throws(() => new Standardizer().fitOr({ mean: own.mean.subarray(1), std: own.std.subarray(1) }, X, y.length, cols), /statistics have \d+ columns/);
  const stats = { mean: own.mean, std: own.std };
  const a = await new TfjsLogistic({ l2: 1e-3 }).fit(X, y, { seed: 3 });
  const b = await new TfjsLogistic({ l2: 1e-3 }).fit(X, y, { seed: 3, trainStats: stats });
  assert.deepEqual(Array.from(b.predictProba(parts.test.X)), Array.from(a.predictProba(parts.test.X)));
  const c = new ClosedLoopLogistic({ l2: 1e-3 }).fit(X, y);
  const d = new ClosedLoopLogistic({ l2: 1e-3 }).fit(X, y, { trainStats: stats });
  assert.deepEqual(Array.from(d.predictProba(parts.test.X)), Array.from(c.predictProba(parts.test.X)));
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

test("plain gradient descent (fixed step) and L-BFGS reach the same minimum, to the gradient tolerance", () => {
  const lbfgs = new ClosedLoopLogistic({ l2: 1e-3 }).fit(parts.train.X, parts.train.y);
  const plain = new ClosedLoopLogistic({ l2: 1e-3, stepRule: "fixed", learningRate: 1, maxIter: 5000 }).fit(parts.train.X, parts.train.y);
  for (const m of [lbfgs, plain]) {
    assert.ok(m.history.converged, `${m.options.stepRule} did not converge`);
    assert.ok(m.history.gradNorm! <= GRADIENT_TOLERANCE, `${m.options.stepRule}: gradient ${m.history.gradNorm}`);
  }
  // Plain GD takes many more (cheap) steps along the same descent.
  assert.ok(plain.history.iterations > 5 * lbfgs.history.iterations, `${plain.history.iterations} vs ${lbfgs.history.iterations}`);
  for (let j = 0; j < 10; j++) assert.ok(Math.abs(lbfgs.weights[j] - plain.weights[j]) < 1e-5, `weight ${j}`);
  assert.ok(Math.abs(lbfgs.intercept - plain.intercept) < 1e-5);
});

test("closed loop warm start along a λ path ends at the same minimum as a cold start", () => {
  const cold = new ClosedLoopLogistic({ l2: 1e-4 }).fit(parts.train.X, parts.train.y);
  const first = new ClosedLoopLogistic({ l2: 1e-2 }).fit(parts.train.X, parts.train.y);
  const warm = new ClosedLoopLogistic({ l2: 1e-4 });
  const R = warm.prepareFit(parts.train.X, parts.train.y);
  warm.fitStandardized(R, parts.train.y, {}, Date.now(), { start: first.coefficients() });
  assert.ok(warm.history.converged);
  for (let j = 0; j < 10; j++) assert.ok(Math.abs(cold.weights[j] - warm.weights[j]) < 1e-5, `weight ${j}`);
});

test("chooseL2 picks the grid value whose minimiser has the lowest validation log loss", () => {
  const choice = chooseL2(parts.train, parts.validation);
  assert.equal(choice.grid.length, L2_GRID.length);
  const losses = choice.grid.map((g) => g.validationLogLoss!);
  assert.equal(choice.l2, choice.grid[losses.indexOf(Math.min(...losses))].l2);
  // Each reported loss is its own λ's minimiser's (refitted here from a cold start; the grid stops at a 10× looser gradient).
  for (const g of choice.grid) {
    const m = new ClosedLoopLogistic({ l2: g.l2 }).fit(parts.train.X, parts.train.y);
    const loss = meanLogLoss(parts.validation.y, m.predictProba(parts.validation.X));
    assert.ok(Math.abs(loss - g.validationLogLoss!) < 1e-6, `λ ${g.l2}: ${loss} vs ${g.validationLogLoss}`);
  }
  const none = chooseL2(parts.train, { X: new Float64Array(0), y: new Float64Array(0) });
  assert.equal(none.l2, DEFAULT_L2);
  assert.match(none.reason, /no validation rows/);
  assert.ok(none.grid.every((g) => g.validationLogLoss === null));
});

/**
 * [rows * cols] raw rows: continuous columns and 0/1 ones (one sparse, one all 0, one all 1, a
 * one-hot pair), so `buildTrainingRows` stores some densely and some by their ones.
 */
function mixedRows(rows: number, seed: number): { X: Float64Array; cols: number; binary: number[] } {
  const cols = 8;
  const rand = mulberry32(seed);
  const X = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    X[o] = rand() * 4 - 2;
    X[o + 1] = rand() < 0.1 ? 1 : 0;
    X[o + 2] = rand() * 10;
    X[o + 3] = 0;
    X[o + 4] = 1;
    const hot = rand() < 0.6 ? 1 : 0;
    X[o + 5] = hot;
    X[o + 6] = 1 - hot;
    X[o + 7] = rand() < 0.5 ? 0 : rand() < 0.5 ? 1 : 2; // 0, 1 and 2: stored densely
  }
  return { X, cols, binary: [1, 3, 4, 5, 6] };
}

test("TrainingRows: the 0/1 columns stored by their ones, the same float32 values as the dense standardised copy", () => {
  const rows = 517;
  const { X, cols, binary } = mixedRows(rows, 3);
  const scaler = new Standardizer().fit(X, rows, cols);
  const R = buildTrainingRows(X, scaler);
  assert.deepEqual(Array.from(R.binaryCols), binary);
  assert.deepEqual(Array.from(R.denseCols), [0, 2, 7]);
  let ones = 0;
  for (let i = 0; i < rows; i++) for (const j of binary) ones += X[i * cols + j];
  assert.equal(R.ones.length, ones);
  assert.equal(R.rowStart[rows], ones);
  // Bit for bit what the standardiser writes into a float32 array.
  const dense = new Float32Array(rows * cols);
  scaler.transformInto(X, 0, rows, dense);
  assert.deepEqual(toDense(R), dense);
  // A column holding −0 stays dense: its standardised −0 is kept, byte for byte.
  const signed = Float64Array.from({ length: 4 * 2 }, (_, k) => (k % 2 === 0 ? [0, -0, 0, 0][k >> 1] : k));
  const signedScaler = new Standardizer().fit(signed, 4, 2);
  const signedRows = buildTrainingRows(signed, signedScaler);
  assert.deepEqual(Array.from(signedRows.binaryCols), []);
  const signedDense = new Float32Array(8);
  signedScaler.transformInto(signed, 0, 4, signedDense);
  assert.ok(Buffer.from(toDense(signedRows).buffer).equals(Buffer.from(signedDense.buffer)));
  const shared = buildTrainingRows(X, scaler, true);
  assert.ok(shared.dense.buffer instanceof SharedArrayBuffer && shared.ones.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(toDense(shared), dense);
});

/** The pass's sums one row at a time, in `logisticLossAndGrad`'s order (z: base, dense, ones; each gradient sum in row order). */
function passRowByRow(R: TrainingRows, y: Float64Array, theta: Float64Array, l2: number): { loss: number; grad: number[] } {
  const { rows, cols, denseCols, dense, binaryCols, low, high, rowStart, ones } = R;
  const nd = denseCols.length;
  const pw = passWeights(R, theta);
  const rx = new Float64Array(nd);
  const rOnes = new Float64Array(binaryCols.length);
  let loss = 0;
  let rSum = 0;
  for (let i = 0; i < rows; i++) {
    let z = pw.base;
    for (let k = 0; k < nd; k++) z += pw.dense[k] * dense[i * nd + k];
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) z += pw.step[ones[e]];
    const e = Math.exp(-Math.abs(z));
    loss += (z > 0 ? z : 0) + Math.log1p(e) - y[i] * z;
    const r = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - y[i];
    rSum += r;
    for (let k = 0; k < nd; k++) rx[k] += r * dense[i * nd + k];
    for (let q = rowStart[i]; q < rowStart[i + 1]; q++) rOnes[ones[q]] += r;
  }
  const grad = new Array<number>(cols + 1);
  denseCols.forEach((j, k) => (grad[j] = rx[k]));
  binaryCols.forEach((j, m) => (grad[j] = low[m] * rSum + (high[m] - low[m]) * rOnes[m]));
  let penalty = 0;
  for (let j = 0; j < cols; j++) {
    grad[j] = grad[j] / rows + 2 * l2 * theta[j];
    penalty += theta[j] * theta[j];
  }
  grad[cols] = rSum / rows;
  return { loss: loss / rows + l2 * penalty, grad };
}

test("closed-loop pass: the 8-row blocks give the row-at-a-time loop's numbers, bit for bit, and the dense formula's to rounding", () => {
  const rows = 1003; // not a multiple of 8: the last block is short
  const { X, cols } = mixedRows(rows, 5);
  const rand = mulberry32(6);
  const y = Float64Array.from({ length: rows }, () => (rand() < 0.4 ? 1 : 0));
  const theta = Float64Array.from({ length: cols + 1 }, () => rand() - 0.5);
  const l2 = 0.01;
  const R = buildTrainingRows(X, new Standardizer().fit(X, rows, cols));
  const grad = new Float64Array(cols + 1);
  const loss = logisticLossAndGrad(R, y, theta, l2, grad);
  const reference = passRowByRow(R, y, theta, l2);
  assert.equal(loss, reference.loss);
  assert.deepEqual(Array.from(grad), reference.grad);
  // The plain dense pass over the float32 standardised rows: the same objective and gradient.
  const Xs = toDense(R);
  const rx = new Float64Array(cols);
  let dense = 0;
  let rSum = 0;
  for (let i = 0; i < rows; i++) {
    let z = theta[cols];
    for (let j = 0; j < cols; j++) z += theta[j] * Xs[i * cols + j];
    dense += Math.log1p(Math.exp(z)) - y[i] * z;
    const r = 1 / (1 + Math.exp(-z)) - y[i];
    rSum += r;
    for (let j = 0; j < cols; j++) rx[j] += r * Xs[i * cols + j];
  }
  let penalty = 0;
  for (let j = 0; j < cols; j++) penalty += theta[j] * theta[j];
  assert.ok(Math.abs(loss - (dense / rows + l2 * penalty)) < 1e-12, `${loss}`);
  for (let j = 0; j < cols; j++) assert.ok(Math.abs(grad[j] - (rx[j] / rows + 2 * l2 * theta[j])) < 1e-12, `∂${j}: ${grad[j]} vs ${rx[j] / rows + 2 * l2 * theta[j]}`);
  assert.ok(Math.abs(grad[cols] - rSum / rows) < 1e-12);
});

test("initialGram: the blocked sums give the row-at-a-time Gram's numbers, bit for bit, on every row or a stride of them", () => {
  // 20,013 rows: every row, not a multiple of the block; 45,001: every 2nd row (the 20k-row cap)
  for (const rows of [3, 20_013, 45_001]) {
    const { X, cols } = mixedRows(rows, 9);
    const R = buildTrainingRows(X, new Standardizer().fit(X, rows, cols));
    const Xs = toDense(R);
    const dim = cols + 1;
    const stride = Math.max(1, Math.floor(rows / 20_000));
    const H = new Float64Array(dim * dim);
    let m = 0;
    for (let i = 0; i < rows; i += stride, m++) {
      const x = [...Xs.subarray(i * cols, (i + 1) * cols), 1];
      for (let a = 0; a < dim; a++) for (let c = 0; c <= a; c++) H[a * dim + c] += x[a] * x[c];
    }
    for (let a = 0; a < dim; a++) for (let c = 0; c <= a; c++) H[a * dim + c] = H[c * dim + a] = (0.25 * H[a * dim + c]) / m;
    assert.deepEqual(Array.from(initialGram(R)), Array.from(H), `${rows} rows`);
  }
});

test("closed-loop pass with a logits thread (LogitsHelper): the same numbers, bit for bit; the λ selection with it too", () => {
  // 20003 rows: several of the helper's 4096-row segments, and a remainder after the 8-row blocks.
  const data = makeSynthetic({ rows: 20_003, cols: 9, seed: 11 });
  const { rows, cols } = data;
  const { y } = data;
  // Two columns made 0/1: the helper sums their ones too.
  const X = data.X.map((v, k) => (k % cols === 1 ? (v > 10 ? 1 : 0) : k % cols === 4 ? (v > 12 ? 1 : 0) : v));
  const rand = mulberry32(11);
  const R = buildTrainingRows(X, new Standardizer().fit(X, rows, cols), true);
  assert.deepEqual(Array.from(R.binaryCols), [1, 4]);
  assert.equal(LogitsHelper.start(buildTrainingRows(X, new Standardizer().fit(X, rows, cols))), null, "rows not in shared memory: no helper");
  const helper = LogitsHelper.start(R);
  assert.ok(helper && helper.waitUntilRunning(60_000), "the logits thread runs");
  try {
    for (let k = 0; k < 4; k++) {
      const theta = Float64Array.from({ length: cols + 1 }, () => (rand() - 0.5) * 3);
      const alone = new Float64Array(cols + 1);
      const helped = new Float64Array(cols + 1);
      assert.equal(logisticLossAndGrad(R, y, theta, 0.01, helped, helper), logisticLossAndGrad(R, y, theta, 0.01, alone));
      assert.deepEqual(helped, alone);
    }
  } finally {
    helper.close();
  }
  assert.equal(helper.begin(new Float64Array(cols + 1)), false, "a closed helper computes nothing");
  const split = splitRows(data, { train: 0.7, validation: 0.15 });
  const plain = chooseL2(split.train, split.validation, { helperMinRows: Infinity });
  const withHelper = chooseL2(split.train, split.validation, { helperMinRows: 0 });
  const logits = withHelper.selected?.logits;
  assert.ok(logits, "the selection hands its logits thread on to the continuation");
  assert.equal(plain.selected?.logits, null);
  const untimed = (c: typeof plain) => ({ ...c, seconds: 0, selected: { ...c.selected, logits: null } });
  assert.deepEqual(untimed(withHelper), untimed(plain));
  // The closed loop continues on it, closes it, and ends where the continuation without it does.
  const l2 = plain.l2;
  const continued = new ClosedLoopLogistic({ l2, start: withHelper.selected }).fit(split.train.X, split.train.y);
  const reference = new ClosedLoopLogistic({ l2, start: plain.selected }).fit(split.train.X, split.train.y);
  assert.deepEqual(continued.coefficients(), reference.coefficients());
  assert.deepEqual({ ...continued.history, seconds: 0 }, { ...reference.history, seconds: 0 });
  assert.equal(logits.begin(new Float64Array(cols + 1)), false, "closed after the continuation");
});

test("tfjs logistic reaches the closed loop's minimum (test AUC within 0.001, coefficients within 0.01) and recovers signs", async () => {
  const cl = new ClosedLoopLogistic().fit(parts.train.X, parts.train.y);
  const tf = await new TfjsLogistic(small).fit(parts.train.X, parts.train.y, fitOpts);
  const aCl = auc(parts.test.y, cl.predictProba(parts.test.X));
  const aTf = auc(parts.test.y, tf.predictProba(parts.test.X));
  assert.ok(Math.abs(aCl - aTf) <= 0.001, `closed loop ${aCl} vs tfjs ${aTf}`);
  const coef = tf.coefficients();
  for (let j = 0; j < 10; j++) assert.ok(Math.abs(coef.weights[j] - cl.weights[j]) <= 0.01, `weight ${j}: ${coef.weights[j]} vs ${cl.weights[j]}`);
  assert.ok(tf.history!.newton!.converged && tf.history!.newton!.gradNorm <= GRADIENT_TOLERANCE, JSON.stringify(tf.history!.newton));
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

/** Synthetic rows standardised to float32, as a Newton descent takes them: xs [rows * cols], ys [rows]. */
function standardisedRows(rows: number, cols: number, seed: number): { xs: Float32Array; ys: Float32Array } {
  const d = makeSynthetic({ rows, cols, seed });
  const scaler = new Standardizer().fit(d.X, rows, cols);
  const xs = new Float32Array(rows * cols);
  scaler.transformInto(d.X, 0, rows, xs);
  return { xs, ys: Float32Array.from(d.y) };
}

test("newtonLogistic takes the rows over: it empties the holder (so their float32 copy can be freed during the passes) and refuses a second use", async () => {
  await initBackend();
  const cols = 4;
  const { xs, ys } = standardisedRows(3000, cols, 11);
  const input = { xs: xs as Float32Array | null, ys: ys as Float32Array | null };
  const options = { l2: 1e-4, gradTol: GRADIENT_TOLERANCE, maxIter: 100 };
  const fit = newtonLogistic(input, cols, { weights: new Float64Array(cols), intercept: 0 }, options);
  assert.ok(fit.result.converged, JSON.stringify(fit.result));
  assert.equal(input.xs, null);
  assert.equal(input.ys, null);
  assert.throws(() => newtonLogistic(input, cols, { weights: new Float64Array(cols), intercept: 0 }, options), /already handed over/);
});

test("newtonLogistic below the float32 rounding floor (an unreachable tolerance) stops soon, near the floor, unconverged", async () => {
  await initBackend();
  // A one-hot group (collinear with the intercept), correlated columns and a duplicate: the
  // valley the real exports' features make, nearly separable.
  const rand = mulberry32(7);
  const rows = 20_000;
  const [groups, dense] = [6, 12];
  const cols = groups + dense + 1;
  const beta = Array.from({ length: cols }, () => (rand() - 0.5) * 8);
  const X = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = X.subarray(i * cols, (i + 1) * cols);
    row[Math.floor(rand() * groups)] = 1;
    for (let j = 0; j < dense; j++) row[groups + j] = rand() * 2 - 1 + (j > 0 ? 0.9 * row[groups] : 0);
    row[cols - 1] = row[groups];
    y[i] = rand() < 1 / (1 + Math.exp(-row.reduce((z, v, j) => z + beta[j] * v, 0))) ? 1 : 0;
  }
  const scaler = new Standardizer().fit(X, rows, cols);
  const xs = new Float32Array(rows * cols);
  scaler.transformInto(X, 0, rows, xs);
  const fit = newtonLogistic({ xs, ys: Float32Array.from(y) }, cols, { weights: new Float64Array(cols), intercept: 0 }, { l2: 1e-5, gradTol: 1e-12, maxIter: 100, chunkRows: 4096, hessianRows: 8192 });
  assert.equal(fit.result.converged, false);
  assert.ok(fit.result.iterations < 40 && fit.result.gradNorm < 1e-8, JSON.stringify(fit.result));
});

test("newtonLogistic with a helper that fails to load its chunks evaluates them on this thread: the one-thread fit, bit for bit", async () => {
  await initBackend();
  const cols = 5;
  const rows = 6000;
  const options = { l2: 1e-4, gradTol: GRADIENT_TOLERANCE, maxIter: 100, chunkRows: 1000, hessianRows: 2000 };
  const start = { weights: new Float64Array(cols), intercept: 0 };
  const calls: string[] = [];
  const failing = {
    load: () => (calls.push("load"), true),
    loaded: () => (calls.push("loaded"), false),
    begin: () => assert.fail("a helper that failed was given a pass"),
    beginDirection: () => assert.fail("a helper that failed was given a pass"),
    wait: () => assert.fail("a helper that failed was waited for"),
    packed: () => assert.fail("a helper that failed was read"),
    close: () => undefined,
  };
  const helped = newtonLogistic(standardisedRows(rows, cols, 13), cols, start, { ...options, helper: failing });
  const alone = newtonLogistic(standardisedRows(rows, cols, 13), cols, start, options);
  assert.deepEqual(calls, ["load", "loaded"]);
  assert.equal(helped.result.helperChunks, 0);
  assert.ok(alone.result.converged, JSON.stringify(alone.result));
  assert.deepEqual([helped.weights, helped.intercept, helped.result.passes], [alone.weights, alone.intercept, alone.result.passes]);
});

test("newtonLogistic streamed in a row order (TfjsLogisticOptions.start): the resident descent's numbers on the rows permuted beforehand, bit for bit", async () => {
  await initBackend();
  const cols = 4;
  const rows = 3000;
  const { xs, ys } = standardisedRows(rows, cols, 12);
  const order = seededPermutation(rows, mulberry32(5));
  const permuted = { xs: new Float32Array(rows * cols), ys: new Float32Array(rows) };
  for (let i = 0; i < rows; i++) {
    permuted.xs.set(xs.subarray(order[i] * cols, (order[i] + 1) * cols), i * cols);
    permuted.ys[i] = ys[order[i]];
  }
  // Small chunks, a Hessian from a few of them: most chunks are streamed, each pass.
  const options = { l2: 1e-4, gradTol: GRADIENT_TOLERANCE, maxIter: 100, chunkRows: 256, hessianRows: 512 };
  const start = { weights: new Float64Array(cols), intercept: 0 };
  const resident = newtonLogistic(permuted, cols, start, options);
  const streamed = newtonLogistic({ xs, ys, order }, cols, start, { ...options, streamed: true });
  assert.ok(resident.result.converged && resident.result.iterations > 1, JSON.stringify(resident.result));
  assert.deepEqual(streamed.weights, resident.weights);
  assert.equal(streamed.intercept, resident.intercept);
  assert.deepEqual({ ...streamed.result, seconds: 0 }, { ...resident.result, seconds: 0 });
  assert.throws(() => newtonLogistic({ xs, ys, order }, cols, start, { ...options, helper: { load: () => true } as never }), /cannot be combined with a helper/);
});

test("TfjsLogistic started at the closed loop's minimiser (options.start): no Adam epochs, tfjs's gradient within the tolerance, the scores of Adam then Newton", async () => {
  const choice = chooseL2(parts.train, parts.validation);
  const selected = choice.selected!;
  const cl = new ClosedLoopLogistic({ l2: choice.l2, start: selected }).fit(parts.train.X, parts.train.y);
  const from = { Xs: toDense(selected.rows), mean: selected.mean, std: selected.std, coefficients: cl.coefficients() };
  const started = await new TfjsLogistic({ l2: choice.l2, start: from }).fit(parts.train.X, parts.train.y, fitOpts);
  const adam = await new TfjsLogistic({ ...small, l2: choice.l2 }).fit(parts.train.X, parts.train.y, fitOpts);
  const h = started.history!;
  assert.deepEqual([h.epochsRun, h.trainLoss.length, h.valLoss.length], [0, 0, 0]);
  // it starts where the closed loop ended: tfjs's own gradient there is within the tolerance, or a step away
  assert.ok(h.newton!.converged && h.newton!.gradNorm <= GRADIENT_TOLERANCE && h.newton!.iterations <= 1, JSON.stringify(h.newton));
  const a = started.coefficients();
  const b = adam.coefficients();
  for (let j = 0; j < 10; j++) assert.ok(Math.abs(a.weights[j] - b.weights[j]) <= 1e-4, `weight ${j}: ${a.weights[j]} vs ${b.weights[j]}`);
  assert.ok(Math.abs(auc(parts.test.y, started.predictProba(parts.test.X)) - auc(parts.test.y, adam.predictProba(parts.test.X))) <= 1e-4);
  // the start is used once, on the rows it was found on, and never with a subsample
  assert.throws(() => new TfjsLogistic({ start: from, maxTrainRows: 100 }), /cannot be combined with maxTrainRows/);
  await assert.rejects(new TfjsLogistic({ start: from }).fit(parts.validation.X, parts.validation.y), /fitted on other rows/);
  started.dispose();
  adam.dispose();
});

test("logitsFunction with the batch transposed: the same logits, and the same gradients to float32 rounding", async () => {
  await initBackend();
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 6, activation: "relu", inputShape: [5], kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }), tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })] });
  const rand = mulberry32(8);
  const xs = tf.tensor2d(Float32Array.from({ length: 7 * 5 }, () => rand() * 2 - 1), [7, 5]);
  const xsT = tf.transpose(xs);
  const forward = logitsFunction(model);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const gradients = (withTranspose: boolean, transpose = xsT) => tf.variableGrads(() => tf.sum<tf.Scalar>(tf.square(forward(xs, withTranspose ? transpose : undefined))), trainable);
  const plain = gradients(false);
  const transposed = gradients(true);
  assert.deepEqual(forward(xs, xsT).arraySync(), forward(xs).arraySync());
  assert.equal(Object.keys(transposed.grads).length, trainable.length);
  for (const [name, g] of Object.entries(plain.grads)) {
    const a = g.dataSync();
    const b = transposed.grads[name].dataSync();
    assert.equal(b.length, a.length);
    a.forEach((v, k) => assert.ok(Math.abs(v - b[k]) <= 1e-5 * (1 + Math.abs(v)), `${name}[${k}]: ${v} vs ${b[k]}`));
  }
  // The first layer's kernel gradient is the one taken from xsT: another xsT changes it (and only it).
  const first = trainable[0].name;
  const other = gradients(true, tf.zerosLike(xsT));
  assert.ok(other.grads[first].dataSync().every((v) => v === 0), "the kernel gradient comes from xsT");
  assert.deepEqual(other.grads[trainable[2].name].dataSync(), transposed.grads[trainable[2].name].dataSync());
  for (const g of [plain, transposed, other]) tf.dispose([g.value, ...Object.values(g.grads)]);
  tf.dispose([xs, xsT]);
  model.dispose();
});

test("transposedBatches: each batch [cols, b] at its own offset, the last one shorter", () => {
  const rows = 10;
  const cols = 3;
  const xs = Float32Array.from({ length: rows * cols }, (_, k) => k);
  const out = transposedBatches(xs, cols, 4);
  for (const [start, b] of [[0, 4], [4, 4], [8, 2]]) {
    const batch = tf.tensor2d(xs.subarray(start * cols, (start + b) * cols), [b, cols]);
    const t = tf.transpose(batch);
    assert.deepEqual(Array.from(out.subarray(start * cols, (start + b) * cols)), Array.from(t.dataSync()), `batch at ${start}`);
    tf.dispose([batch, t]);
  }
});

test("tfjs training is deterministic: same seed → identical predictions", async () => {
  const opts = { ...small, maxEpochs: 3 };
  const a = await new TfjsLogistic(opts).fit(parts.train.X, parts.train.y, fitOpts);
  const b = await new TfjsLogistic(opts).fit(parts.train.X, parts.train.y, fitOpts);
  assert.deepEqual(a.predictProba(parts.test.X), b.predictProba(parts.test.X));
  // Another seed shuffles Adam's batches differently, yet the Newton steps end at the same minimum.
  const c = await new TfjsLogistic(opts).fit(parts.train.X, parts.train.y, { ...fitOpts, seed: 99 });
  assert.notDeepEqual(a.history!.trainLoss, c.history!.trainLoss);
  const [wa, wc] = [a.coefficients().weights, c.coefficients().weights];
  for (let j = 0; j < wa.length; j++) assert.ok(Math.abs(wa[j] - wc[j]) < 1e-3, `weight ${j}`);
  const m1 = await new TfjsMlp({ ...opts, hiddenUnits: 8 }).fit(parts.train.X, parts.train.y, fitOpts);
  const m2 = await new TfjsMlp({ ...opts, hiddenUnits: 8 }).fit(parts.train.X, parts.train.y, fitOpts);
  assert.deepEqual(m1.predictProba(parts.test.X), m2.predictProba(parts.test.X));
  [a, b, c, m1, m2].forEach((m) => m.dispose());
});

test("scoredRowRange: the validation and test rows, from the first rounded down to a scoring batch's start, to the last", () => {
  const role = new Uint8Array(3 * PREDICT_CHUNK_ROWS).fill(0);
  assert.deepEqual(scoredRowRange(role), { start: 0, end: 0 }, "no validation or test rows: none scored");
  role.fill(1, PREDICT_CHUNK_ROWS + 5, PREDICT_CHUNK_ROWS + 9);
  role.fill(2, PREDICT_CHUNK_ROWS + 9, 2 * PREDICT_CHUNK_ROWS + 3);
  role.fill(255, 2 * PREDICT_CHUNK_ROWS + 3); // rows of any other role after the last test row are not scored
  assert.deepEqual(scoredRowRange(role), { start: PREDICT_CHUNK_ROWS, end: 2 * PREDICT_CHUNK_ROWS + 3 });
  assert.deepEqual(scoredRowRange([0, 0, 2, 0, 1]), { start: 0, end: 5 }, "a training row between them is scored too");
});

test("tfjs scores of rows from a scoring batch's start (scoredRowRange) are those of one call on every row, bit for bit", { timeout: 120_000 }, async () => {
  // More rows than two scoring batches, so the range really starts past row 0.
  const d = makeSynthetic({ rows: 2 * PREDICT_CHUNK_ROWS + 1000, cols: 6, seed: 8 });
  const cols = 6;
  const opts = { batchSize: 1024, maxEpochs: 1 };
  const models = [await new TfjsLogistic(opts).fit(d.X, d.y, { seed: 1 }), await new TfjsMlp({ ...opts, hiddenUnits: 8 }).fit(d.X, d.y, { seed: 1 })];
  for (const start of [PREDICT_CHUNK_ROWS, 2 * PREDICT_CHUNK_ROWS]) {
    for (const m of models) {
      const all = m.predictProba(d.X);
      assert.deepEqual(m.predictProba(d.X.subarray(start * cols)), all.subarray(start), `${m.name} from row ${start}`);
    }
  }
  models.forEach((m) => m.dispose());
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
  assert.ok(Math.abs(p[0] - 0.6) < 1e-12 && Math.abs(p[1] - 0.5) < 1e-12, p.join(","));
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
