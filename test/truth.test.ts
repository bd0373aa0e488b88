/**
 * The generator's truth side file (src/sample/truth.ts): it sits beside the export, ingestion
 * ignores it, every test row joins it, and a run on generated exports is scored against it.
 * No leak-free model may beat the Bayes AUC (the true probabilities' own AUC on the same test
 * rows); leaky_reference, the designed leak, must beat it, which shows the check can fail.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rocAuc } from "../src/evaluate/metrics";
import { ingestExport } from "../src/ingest";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { prepareAsync } from "../src/pipeline/prepare";
import { trainModels } from "../src/pipeline/train";
import { mulberry32 } from "../src/common/rng";
import { TRUTH_FILE, expectedAuc, pairedAucGapSe, readTruth } from "../src/sample/truth";
import type { TruthMetrics } from "../src/sample/truth";
import { writeSample } from "../src/sample/write-sample";
import { truthOfRun } from "../bench/child";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "truth-test-"));
process.on("exit", () => fs.rmSync(tmpRoot, { recursive: true, force: true }));

test("expectedAuc: hand-computed values, and 0/1 probabilities give the ordinary AUC", () => {
  // Pairs (i positive, j negative) weighted p_i (1 − p_j): s = [1, 2], p = [0.2, 0.6].
  // Row 1 above row 0: weight 0.6 × 0.8 = 0.48 counts; the reverse 0.2 × 0.4 = 0.08 does not.
  assert.ok(Math.abs(expectedAuc([1, 2], [0.2, 0.6])! - 0.48 / 0.56) < 1e-12);
  assert.ok(Math.abs(expectedAuc([5, 5], [0.2, 0.6])! - 0.5) < 1e-12, "ties count 1/2");
  const s = [0.1, 0.4, 0.35, 0.8, 0.8, 0.2, 0.9];
  const y = [0, 0, 1, 1, 0, 0, 1];
  assert.ok(Math.abs(expectedAuc(s, y)! - rocAuc(y, s).value!) < 1e-12);
  assert.equal(expectedAuc([1, 2], [1, 1]), null, "no possible negative");
});

test("pairedAucGapSe (DeLong) agrees with a paired bootstrap and is 0 for identical scores", () => {
  const rand = mulberry32(7);
  const n = 1500;
  const y: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = rand() * 4 - 2;
    y.push(rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
    a.push(z + rand());
    b.push(z + 2 * rand());
  }
  assert.equal(pairedAucGapSe(y, a, a), 0);
  const gaps: number[] = [];
  for (let r = 0; r < 300; r++) {
    const idx = Array.from({ length: n }, () => Math.floor(rand() * n));
    const yb = idx.map((k) => y[k]);
    gaps.push(rocAuc(yb, idx.map((k) => a[k])).value! - rocAuc(yb, idx.map((k) => b[k])).value!);
  }
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  const boot = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / (gaps.length - 1));
  const se = pairedAucGapSe(y, a, b)!;
  assert.ok(Math.abs(se / boot - 1) < 0.25, `DeLong ${se} vs bootstrap ${boot}`);
});

/** Generates an export, runs ingest → features → every model on it, and scores against the truth. */
async function runOn(plays: number, seed: number): Promise<{ dir: string; m: TruthMetrics; testRows: number; models: string[] }> {
  const dir = path.join(tmpRoot, `export-${plays}-s${seed}`);
  const manifest = writeSample({ outDir: dir, musicPlays: plays, seed });
  assert.equal(manifest.truth.rows, plays, "one truth row per music play");
  const prepared = await prepareAsync({ export: dir }, DEFAULT_PARAMS);
  const run = await trainModels(prepared, DEFAULT_PARAMS);
  const truth = readTruth(dir);
  assert.ok(truth, `${TRUTH_FILE} is beside the export`);
  assert.equal(truth.size, plays, "truth keys (ts, track uri, ms_played) are unique");
  const m = truthOfRun(dir, prepared, run);
  assert.ok(m);
  const fs_ = prepared.features;
  let testRows = 0;
  for (let i = 0; i < fs_.rows; i++) if (fs_.role[i] === 2) testRows++;
  return { dir, m, testRows, models: run.models.map((r) => r.name) };
}

function checkRun(label: string, r: Awaited<ReturnType<typeof runOn>>): void {
  const { m } = r;
  assert.equal(m.testRows, r.testRows);
  assert.equal(m.matched, m.testRows, `${label}: every test row joins the truth`);
  assert.ok(m.bayesAuc !== null && m.bayesAucVsTruth !== null);
  const table = Object.entries(m.models)
    .map(([k, v]) => `${k} ${v.auc?.toFixed(4)} (vs truth ${v.aucVsTruth?.toFixed(4)}, gap ${v.gapToBayes?.toFixed(4)} ± ${v.gapSe?.toFixed(4)})`)
    .join("; ");
  console.log(`${label}: ${m.testRows} test rows, Bayes AUC ${m.bayesAuc.toFixed(4)} (vs truth ${m.bayesAucVsTruth.toFixed(4)}); ${table}`);
  for (const name of r.models) {
    const v = m.models[name];
    assert.ok(v, `${name} scored`);
    if (name === "leaky_reference") continue;
    assert.equal(v.beatsBayes, false, `${label}: ${name} AUC ${v.auc} beats Bayes ${m.bayesAuc} by ${v.gapToBayes} (> ${v.gapSe} × 3): a leak`);
    // Ranking by the true p maximises the expected AUC pair by pair: nothing ranks better.
    assert.ok(v.aucVsTruth! <= m.bayesAucVsTruth + 1e-12, `${label}: ${name} ranks better than the truth`);
  }
  assert.deepEqual(m.leaks, [], `${label}: no leak-free model beats Bayes`);
  const leaky = m.models.leaky_reference;
  assert.ok(leaky.beatsBayes, `${label}: leaky_reference (${leaky.auc}) must beat Bayes (${m.bayesAuc}): the check can fail`);
}

test("ingestion ignores TRUTH.csv: the same plays with and without it", () => {
  const dir = path.join(tmpRoot, "ignore");
  writeSample({ outDir: dir, musicPlays: 600, seed: 5 });
  const withTruth = ingestExport({ export: dir });
  const moved = path.join(tmpRoot, "truth-moved.csv");
  fs.renameSync(path.join(dir, TRUTH_FILE), moved);
  const without = ingestExport({ export: dir });
  assert.equal(readTruth(dir), null, "no truth, no error");
  assert.deepEqual(withTruth.plays.ts, without.plays.ts);
  assert.deepEqual(Array.from(withTruth.plays.completed), Array.from(without.plays.completed));
  assert.deepEqual(withTruth.report.rowsKept, without.report.rowsKept);
});

test("light export (~3k plays): no model beats Bayes except leaky_reference", async () => {
  checkRun("3k s11", await runOn(3000, 11));
});

test("medium export (~20k plays): no model beats Bayes except leaky_reference", async () => {
  checkRun("20k s12", await runOn(20_000, 12));
});
