/**
 * The pipeline CLI as a user runs it: bad input gives exit 1 and one clear message (never a
 * stack trace), --help exits 0, and the seed design's flags still produce the outputs
 * (one full run in this file).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_FIGURES } from "../src/report/figures/registry";
import { readSchema, validateCsvAgainstSchema, validateJsonAgainstSchema } from "../src/report/schema";
import type { CsvSchema, JsonSchema } from "../src/report/schema";

const ROOT = path.join(__dirname, "..");
const CLI = path.join(ROOT, "src", "cli", "pipeline.ts");
const SAMPLE = path.join(ROOT, "data-sample");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-test-"));

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user-facing failure: exit 1, something on stderr, no stack frame lines, nothing written. */
function assertCleanFailure(r: ReturnType<typeof run>, outDir: string) {
  assert.equal(r.code, 1, `exit 1; stderr: ${r.stderr}`);
  assert.ok(r.stderr.trim().length > 0, "a message on stderr");
  assert.doesNotMatch(r.stderr + r.stdout, /^ {4}at /m, "no stack trace");
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.ok(!fs.existsSync(outDir), "no output folder on bad input");
}

test("no input flags: exit 1 with a usage message", () => {
  const outDir = path.join(tmp, "none");
  const r = run(["--output-dir", outDir]);
  assertCleanFailure(r, outDir);
  assert.match(r.stderr, /--export/);
  assert.match(r.stderr, /--account-dir/);
  assert.match(r.stderr, /--help/);
});

test("a non-existent --export path: exit 1, the message names the path", () => {
  const missing = path.join(tmp, "no-such-export.zip");
  const outDir = path.join(tmp, "missing");
  const r = run(["--export", missing, "--output-dir", outDir]);
  assertCleanFailure(r, outDir);
  assert.ok(r.stderr.includes(missing), `message names ${missing}: ${r.stderr}`);
});

test("only the Account Data folder: exit 1, asks for the Extended streaming history package", () => {
  const outDir = path.join(tmp, "account-only");
  const r = run(["--account-dir", path.join("data-sample", "Spotify Account Data"), "--output-dir", outDir]);
  assertCleanFailure(r, outDir);
  assert.match(r.stderr, /Extended streaming history/i);
});

test("--help: exit 0 with usage and every flag", () => {
  const r = run(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: pipeline/m);
  for (const flag of ["--export", "--account-dir", "--extended-dir", "--tech-dir", "--output-dir", "--seed", "--test-fraction", "--timezone", "--top-n", "--lenient"]) {
    assert.ok(r.stdout.includes(flag), `--help lists ${flag}`);
  }
});

test("the original flags (--account-dir --extended-dir --tech-dir --output-dir) produce the outputs", () => {
  const outDir = path.join(tmp, "original");
  const r = run([
    "--account-dir", path.join(SAMPLE, "Spotify Account Data"),
    "--extended-dir", path.join(SAMPLE, "Spotify Extended Streaming History"),
    "--tech-dir", path.join(SAMPLE, "Spotify Technical Log Information"),
    "--output-dir", outDir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\d+ plays → \d+ test plays; tfjs AUC 0\.\d{3}, closed-loop AUC 0\.\d{3}; .* 12 outputs \+ \d+ figures in /);
  assert.ok(r.stdout.includes(`+ ${DEFAULT_FIGURES.length} figures`), "every registered figure drawn (optional ones need their option)");
  assert.doesNotMatch(r.stderr, /^ {4}at /m);

  const standard = [
    "model_metrics.json", "model_comparison.csv", "model_comparison.json", "feature_importance.csv", "scored_samples.csv",
    "top_resume_playlist.csv", "monthly_completion.csv", "ingest_report.json", "RESULTS.md", "resume_project_summary.md",
  ];
  for (const f of [...standard, ...DEFAULT_FIGURES.map((x) => `figures/${x.file}`), "figures/dashboard.html", "figures/visualization_summary.md"]) {
    assert.ok(fs.existsSync(path.join(outDir, f)), `${f} written`);
  }
  const schemas = path.join(ROOT, "outputs-template", "schema");
  for (const s of fs.readdirSync(schemas).filter((f) => f.endsWith(".schema.json"))) {
    const name = s.replace(/\.schema\.json$/, "");
    const problems = name.endsWith(".csv")
      ? validateCsvAgainstSchema(path.join(outDir, name), readSchema<CsvSchema>(path.join(schemas, s)))
      : validateJsonAgainstSchema(path.join(outDir, name), readSchema<JsonSchema>(path.join(schemas, s)));
    assert.deepEqual(problems, [], `${name} valid`);
  }
  // Same data as --export data-sample: the three packages given one by one.
  const metrics = JSON.parse(fs.readFileSync(path.join(outDir, "model_metrics.json"), "utf8")) as { data: { music_plays: number; split: { test_plays: number } }; parity: { agree: boolean } };
  assert.ok(metrics.data.music_plays > 0 && metrics.data.split.test_plays > 0);
  assert.ok(metrics.parity.agree);
});
