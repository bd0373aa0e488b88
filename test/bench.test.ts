/**
 * Lifetime-scale paths: the cheap leaky append equals the full leaky transform, the L-BFGS
 * closed loop reaches the BB optimum, the MLP's scale cap is recorded, and a tiny smoke of the
 * benchmark harness (bench/run.ts) writes its results. Timings themselves are `npm run bench`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepare } from "../src/pipeline/prepare";
import { ClosedLoopLogistic } from "../src/model/closedLoop";
import { TfjsMlp } from "../src/model/tfjsMlp";
import { selectRole } from "../src/model/types";
import { makeSynthetic, splitRows } from "../src/model/synthetic";
import { spawnSync } from "child_process";
import { bench, MALLOC_TUNABLES, markdownTable } from "../bench/run";

const SAMPLE = path.resolve(__dirname, "../data-sample");

test("appendLeaky gives exactly transform(…, { includeLeaky: true })", () => {
  const prepared = prepare({ export: SAMPLE }, DEFAULT_PARAMS);
  const data = { plays: prepared.ingest.plays, account: prepared.ingest.account, tech: prepared.ingest.tech };
  const full = prepared.builder.transform(data, prepared.split, { includeLeaky: true });
  const appended = prepared.leaky();
  assert.deepEqual(appended.names, full.names);
  assert.deepEqual(appended.groups, full.groups);
  assert.equal(appended.cols, full.cols);
  assert.equal(appended.rows, full.rows);
  assert.deepEqual(Array.from(appended.X), Array.from(full.X));
  assert.deepEqual(Array.from(appended.y), Array.from(full.y));
  assert.deepEqual(Array.from(appended.role), Array.from(full.role));
  assert.deepEqual(Array.from(appended.playIndex), Array.from(full.playIndex));
  assert.throws(() => prepared.builder.appendLeaky(data, full), /not a leak-free transform/);
});

test("selectRole: zero-copy views for the chronological split's contiguous roles", () => {
  const prepared = prepare({ export: SAMPLE }, DEFAULT_PARAMS);
  const fs = prepared.features;
  for (const role of [0, 1, 2]) {
    const s = selectRole(fs, role);
    assert.equal(s.X.buffer, fs.X.buffer, `role ${role} is a view`);
    for (let k = 0; k < s.index.length; k += 97) {
      const i = s.index[k];
      assert.equal(fs.role[i], role);
      assert.deepEqual(Array.from(s.X.subarray(k * fs.cols, (k + 1) * fs.cols)), Array.from(fs.X.subarray(i * fs.cols, (i + 1) * fs.cols)));
      assert.equal(s.y[k], fs.y[i]);
    }
  }
});

test("closed loop: preconditioned L-BFGS reaches the Barzilai–Borwein optimum in far fewer passes", () => {
  const d = makeSynthetic({ rows: 20_000, cols: 12, seed: 3 });
  // Two exactly collinear one-hot-like columns, as real exports have: a flat valley.
  const cols = d.cols + 2;
  const X = new Float64Array(d.rows * cols);
  for (let i = 0; i < d.rows; i++) {
    X.set(d.X.subarray(i * d.cols, (i + 1) * d.cols), i * cols);
    const hot = i % 3 === 0 ? 1 : 0;
    X[i * cols + d.cols] = hot;
    X[i * cols + d.cols + 1] = 1 - hot;
  }
  const lb = new ClosedLoopLogistic().fit(X, d.y);
  const bb = new ClosedLoopLogistic({ stepRule: "bb", maxIter: 2000 }).fit(X, d.y);
  assert.ok(lb.history.converged);
  assert.ok(lb.history.loss.at(-1)! <= bb.history.loss.at(-1)! + 1e-9, `${lb.history.loss.at(-1)} vs ${bb.history.loss.at(-1)}`);
  for (let j = 0; j < cols; j++) assert.ok(Math.abs(lb.weights[j] - bb.weights[j]) < 5e-3, `weight ${j}: ${lb.weights[j]} vs ${bb.weights[j]}`);
  assert.ok(lb.history.passes! < 40, `${lb.history.passes} passes`);
});

test("MLP at scale: a seeded training subsample and a row-visit budget, recorded in its history", async () => {
  const d = makeSynthetic({ rows: 6000, cols: 6, seed: 5 });
  const parts = splitRows(d, { train: 0.7, validation: 0.1 });
  const opts = { maxTrainRows: 1000, maxRowVisits: 3000, batchSize: 256 };
  const a = await new TfjsMlp(opts).fit(parts.train.X, parts.train.y, { XVal: parts.validation.X, yVal: parts.validation.y, seed: 9 });
  const b = await new TfjsMlp(opts).fit(parts.train.X, parts.train.y, { XVal: parts.validation.X, yVal: parts.validation.y, seed: 9 });
  assert.equal(a.history!.trainRows, 1000);
  assert.equal(a.history!.trainRowsGiven, parts.train.y.length);
  assert.equal(a.history!.epochsRun, 3);
  assert.equal(a.history!.stoppedByBudget, true);
  assert.deepEqual(Array.from(a.predictProba(parts.test.X)), Array.from(b.predictProba(parts.test.X)), "deterministic");
  a.dispose();
  b.dispose();
});

test("bench harness smoke: generates, runs the pipeline in a child, records every stage and peak RSS", { timeout: 300_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-test-"));
  try {
    const results = await bench({ sizes: [1500], seed: 3, cacheDir: tmp, outDir: tmp, profile: false, log: () => {} });
    const run = results.runs[0];
    assert.equal(run.size, 1500);
    // Every stage once (the models in the order they finish: the closed loop, which continues the λ selection's fit, first).
    assert.deepEqual(
      run.stages.map((s) => s.stage).sort(),
      ["ingest", "features", "tfjs_logistic", "closed_loop_logistic", "prior_heuristic", "popularity", "tfjs_mlp", "leaky_reference", "evaluate", "recommend", "outputs", "figures"].sort(),
    );
    assert.ok(run.l2SelectionSeconds >= 0);
    assert.ok(run.peakRssMb > 0 && run.endToEndSeconds > 0 && run.inputBytes > 0);
    assert.ok(fs.existsSync(path.join(tmp, "results.json")) && fs.existsSync(path.join(tmp, "results.md")));
    assert.match(markdownTable(results), /\| ingest \(s\) \|/);
    // The generated export carries TRUTH.csv: the run is scored against it and no model leaks.
    assert.ok(run.truth && run.truth.matched === run.truth.testRows && run.truth.bayesAuc !== null, "truth joined to every test row");
    assert.deepEqual(run.truth.leaks, []);
    assert.match(markdownTable(results), /\| Bayes AUC: true p on the test rows \(vs truth\) \| 0\.\d{4} \(0\.\d{4}\) \|/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("the CLI, the notebooks and the bench start Node with the same malloc tunable, and with it big arrays get huge pages where the kernel allows them", () => {
  const root = path.resolve(__dirname, "..");
  const scripts = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  // Unless GLIBC_TUNABLES is already set (even empty: the way to turn it off).
  for (const name of ["pipeline", "start", "notebooks", "bench"]) assert.ok(scripts[name].startsWith(`GLIBC_TUNABLES=\${GLIBC_TUNABLES-${MALLOC_TUNABLES}} `), `package.json's ${name} script`);
  const kernel = JSON.parse(fs.readFileSync(path.join(root, "jupyter/kernels/tslab/kernel.json"), "utf8")) as { env?: Record<string, string> };
  assert.equal(kernel.env?.GLIBC_TUNABLES, MALLOC_TUNABLES, "the notebook kernel's env");
  // Transparent huge pages on request ("madvise") or always: a 64 MB array is mapped in them.
  const thp = fs.existsSync("/sys/kernel/mm/transparent_hugepage/enabled") ? fs.readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8") : "";
  if (process.platform !== "linux" || !/\[(always|madvise)\]/.test(thp)) return;
  const probe = `const a = new Float64Array(8 << 20); a.fill(1); const m = /AnonHugePages:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/smaps_rollup", "utf8")); console.log(m ? m[1] : "none");`;
  const hugeKb = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ["-e", probe], { env, encoding: "utf8" }).stdout.trim();
  const withTunable = hugeKb({ ...process.env, GLIBC_TUNABLES: MALLOC_TUNABLES });
  if (withTunable === "none") return; // no smaps_rollup (an older kernel)
  if (/\[madvise\]/.test(thp)) assert.equal(Number(hugeKb({ ...process.env, GLIBC_TUNABLES: "" })), 0, "without the tunable, no huge pages (THP on request only)");
  assert.ok(Number(withTunable) >= 32 * 1024, `with the tunable: ${withTunable} kB in huge pages`);
});
