import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeCsv } from "../src/report/csv";
import { SCORED_BASE_COLUMNS } from "../src/report/columns";
import { syntheticInputs } from "./helpers/figureInputs";

const ROOT = path.join(__dirname, "..");
const CLI = path.join(ROOT, "src", "cli", "visualize.ts");

function run(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fixture(withSiblings: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viz-"));
  const inputs = syntheticInputs({ n: 300 });
  const file = path.join(dir, "scored_samples.csv");
  writeCsv(file, inputs.scored, [...SCORED_BASE_COLUMNS, "p_baseline"]);
  if (withSiblings) {
    writeCsv(path.join(dir, "feature_importance.csv"), inputs.featureImportance, ["feature", "coefficient"]);
    writeCsv(path.join(dir, "model_comparison.csv"), inputs.modelComparison, ["model", "split", "auc", "log_loss"]);
    writeCsv(path.join(dir, "monthly_completion.csv"), inputs.monthly, ["month", "plays", "labelled", "completion_rate"]);
    writeCsv(path.join(dir, "top_resume_playlist.csv"), inputs.recommendations, ["rank", "track", "artist", "expected_completion"]);
  }
  return file;
}

test("visualize writes every figure, dashboard and summary; output is byte-identical across runs", () => {
  const scored = fixture(true);
  const dir = path.dirname(scored);
  const a = run(["--scored-samples", scored, "--out-dir", path.join(dir, "a")]);
  assert.equal(a.code, 0, a.stderr);
  const b = run(["--scored-samples", scored, "--out-dir", path.join(dir, "b")]);
  assert.equal(b.code, 0, b.stderr);
  const files = fs.readdirSync(path.join(dir, "a")).sort();
  assert.equal(files.filter((f) => f.endsWith(".svg")).length, 12);
  assert.ok(files.includes("dashboard.html") && files.includes("visualization_summary.md"));
  for (const f of files) {
    assert.ok(fs.readFileSync(path.join(dir, "a", f)).equals(fs.readFileSync(path.join(dir, "b", f))), `${f} identical`);
  }
  assert.match(a.stdout, /Read 300 scored plays and feature_importance\.csv, model_comparison\.csv, monthly_completion\.csv, top_resume_playlist\.csv/);
  const html = fs.readFileSync(path.join(dir, "a", "dashboard.html"), "utf8");
  assert.ok(html.includes('<table id="recommendations">'));
  fs.rmSync(dir, { recursive: true });
});

test("without sibling inputs the optional figures are skipped with a reason", () => {
  const scored = fixture(false);
  const out = path.join(path.dirname(scored), "figs");
  const r = run(["--scored-samples", scored, "--out-dir", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /skipped feature_importance\.svg: no feature importance input/);
  assert.equal(fs.readdirSync(out).filter((f) => f.endsWith(".svg")).length, 9);
  fs.rmSync(path.dirname(scored), { recursive: true });
});

test("missing file or missing columns: one clear message, exit 1, no stack trace", () => {
  const missing = run(["--scored-samples", "/nonexistent/scored_samples.csv", "--out-dir", os.tmpdir()]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^visualize: Cannot read Scored samples file "\/nonexistent\/scored_samples\.csv"/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viz-"));
  const bad = path.join(dir, "scored_samples.csv");
  fs.writeFileSync(bad, "hour_local,artist,label\n3,x,1\n");
  const r = run(["--scored-samples", bad, "--out-dir", path.join(dir, "out")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /lacks required columns day_of_week, session_position, platform_family, split, p_complete/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.ok(!fs.existsSync(path.join(dir, "out")), "nothing written on error");
  fs.rmSync(dir, { recursive: true });
});
