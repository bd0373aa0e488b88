/**
 * End to end: two `runPipeline` runs on data-sample/ (one shared by every assertion, the
 * second only for determinism), checked against outputs-template/ — every documented file
 * exists and validates against its schema, the numbers are consistent across files, the
 * planted signal is recovered, and nothing personal leaks.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { FIGURE_DATA_FILE, loadFigureData } from "../src/pipeline/artifacts";
import { loadFigureInputs } from "../src/report/inputs";
import { buildFigureData } from "../src/report/figures";
import { runPipeline } from "../src/pipeline/run";
import { MODEL_NAMES } from "../src/pipeline/train";
import { COMPARISON_COLUMNS, IMPORTANCE_COLUMNS, MONTHLY_COLUMNS, PLAYLIST_COLUMNS, SCORED_BASE_COLUMNS } from "../src/pipeline/write";
import { readCsv } from "../src/report/csv";
import { DEFAULT_FIGURES } from "../src/report/figures/registry";
import { readSchema, validateCsvAgainstSchema, validateJsonAgainstSchema } from "../src/report/schema";
import type { CsvSchema, JsonSchema } from "../src/report/schema";

const ROOT = path.join(__dirname, "..");
const SAMPLE = path.join(ROOT, "data-sample");
const TEMPLATE = path.join(ROOT, "outputs-template");
const SCHEMAS = path.join(TEMPLATE, "schema");

/** The standard outputs (original names, the contract) and the figures folder. */
const STANDARD = [
  "model_metrics.json", "model_comparison.csv", "model_comparison.json", "feature_importance.csv", "scored_samples.csv",
  "top_resume_playlist.csv", "monthly_completion.csv", "ingest_report.json", "RESULTS.md", "resume_project_summary.md",
];
const FIGURE_FILES = [...DEFAULT_FIGURES.map((f) => `figures/${f.file}`), "figures/dashboard.html", "figures/visualization_summary.md"];
const EXPECTED_MODELS = ["tfjs_logistic", "closed_loop_logistic", "prior_heuristic", "popularity", "tfjs_mlp", "leaky_reference"];

let tmp = "";
let outA = "";
let outB = "";
type Row = Record<string, string | number | null>;
/** The parts of model_metrics.json these tests read (the schema test checks the whole file). */
interface MetricsJson {
  params: { top_n: number };
  data: { music_plays: number; labelled_plays: number; feature_columns: number; split: Record<string, number> };
  test: { n: number; auc: number; ece: number };
  parity: { agree: boolean; tfjsAuc: number; closedLoopAuc: number };
  models: Record<string, { deployable: boolean; test: { auc: number; positives: number } }>;
  recommendation: { window_end: string; test_completed_tracks: number; model: { hits: number } };
  comparison_models: { leaky_reference: { adam_epochs: number; converged: boolean; gradient_norm: number } };
}
let metrics: MetricsJson;

const out = (name: string) => path.join(outA, name);
const csvRows = (name: string): Row[] => readCsv(out(name));

function listFiles(dir: string, prefix = ""): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

/** Every record of the export's Extended streaming history files, parsed. */
function extendedRecords(): Record<string, unknown>[] {
  const dir = path.join(SAMPLE, "Spotify Extended Streaming History");
  return fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Record<string, unknown>[]);
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-test-"));
  outA = path.join(tmp, "a");
  outB = path.join(tmp, "b");
  await runPipeline({ export: SAMPLE }, outA, DEFAULT_PARAMS);
  await runPipeline({ export: SAMPLE }, outB, DEFAULT_PARAMS);
  metrics = JSON.parse(fs.readFileSync(out("model_metrics.json"), "utf8")) as MetricsJson;
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("outputs-template documents every output and every schema matches the writer's columns", () => {
  const readme = fs.readFileSync(path.join(TEMPLATE, "README.md"), "utf8");
  for (const f of [...STANDARD, ...FIGURE_FILES]) assert.ok(readme.includes(path.basename(f)), `README.md documents ${f}`);
  assert.match(readme, /notebooks\/.*\.ipynb/);

  const names = (file: string) => readSchema<CsvSchema>(path.join(SCHEMAS, `${file}.schema.json`)).columns.map((c) => c.name);
  assert.deepEqual(names("model_comparison.csv"), COMPARISON_COLUMNS);
  assert.deepEqual(names("feature_importance.csv"), IMPORTANCE_COLUMNS);
  assert.deepEqual(names("scored_samples.csv"), [...SCORED_BASE_COLUMNS, ...MODEL_NAMES.map((m) => `p_${m}`)]);
  assert.deepEqual(names("top_resume_playlist.csv"), PLAYLIST_COLUMNS);
  assert.deepEqual(names("monthly_completion.csv"), MONTHLY_COLUMNS);
  const comparisonJson = readSchema<JsonSchema>(path.join(SCHEMAS, "model_comparison.json.schema.json"));
  assert.deepEqual(comparisonJson.items?.required, COMPARISON_COLUMNS, "model_comparison.json rows have the CSV's columns");
  for (const f of fs.readdirSync(SCHEMAS).filter((f) => f.endsWith(".csv.schema.json"))) {
    for (const c of readSchema<CsvSchema>(path.join(SCHEMAS, f)).columns) assert.ok(readme.includes(`\`${c.name}\``), `README.md describes ${f.replace(".schema.json", "")} column ${c.name}`);
  }
});

test("every documented output exists and validates against its schema", () => {
  for (const f of [...STANDARD, ...FIGURE_FILES]) {
    assert.ok(fs.existsSync(out(f)) && fs.statSync(out(f)).size > 0, `${f} written`);
  }
  const schemas = fs.readdirSync(SCHEMAS).filter((f) => f.endsWith(".schema.json"));
  assert.equal(schemas.length, 8, "a schema per CSV and JSON output");
  for (const s of schemas) {
    const name = s.replace(/\.schema\.json$/, "");
    assert.ok(STANDARD.includes(name), `${s} names a standard output`);
    const problems = name.endsWith(".csv")
      ? validateCsvAgainstSchema(out(name), readSchema<CsvSchema>(path.join(SCHEMAS, s)))
      : validateJsonAgainstSchema(out(name), readSchema<JsonSchema>(path.join(SCHEMAS, s)));
    assert.deepEqual(problems, [], `${name} valid`);
  }
});

test("JSON outputs hold no NaN or Infinity", () => {
  for (const f of STANDARD.filter((f) => f.endsWith(".json"))) {
    const text = fs.readFileSync(out(f), "utf8");
    assert.doesNotMatch(text, /[:[,]\s*-?(NaN|Infinity)\b/, `${f} has no NaN/Infinity token`);
    const walk = (v: unknown, at: string): void => {
      if (typeof v === "number") assert.ok(Number.isFinite(v), `${f} ${at} finite`);
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
    };
    walk(JSON.parse(text), "$");
  }
});

test("scored_samples.csv: one row per labelled test-window play, export's own ts strings, probabilities", () => {
  const rows = csvRows("scored_samples.csv");
  const split = metrics.data.split;
  assert.equal(rows.length, split.test_plays, "rows = data.split.test_plays");
  assert.equal(rows.length, metrics.test.n);
  assert.ok(rows.every((r) => r.split === "test" && (r.label === 0 || r.label === 1)), "only labelled test plays");
  assert.equal(rows.reduce((s, r) => s + (r.label as number), 0), metrics.models.tfjs_logistic.test.positives);
  const keys = new Set(rows.map((r) => `${r.ts}|${r.spotify_track_uri}`));
  assert.equal(keys.size, rows.length, "no play twice");

  // ts is the export's string verbatim (readCsv with typed: false would be identical: ts is never numeric).
  const exportTs = new Set(extendedRecords().map((r) => r.ts as string));
  const foreign = rows.filter((r) => !exportTs.has(r.ts as string));
  assert.deepEqual(foreign.map((r) => r.ts).slice(0, 5), [], "every ts appears verbatim in the export");

  for (const r of rows) {
    const p = r.p_complete as number;
    assert.ok(typeof p === "number" && p >= 0 && p <= 1, `p_complete ${p} in [0, 1]`);
    assert.equal(p, r.p_tfjs_logistic, "p_complete is the primary model's score");
  }
});

test("model_comparison: one row per model, leaky reference not deployable, tfjs/closed-loop parity", () => {
  const rows = csvRows("model_comparison.csv");
  assert.deepEqual(rows.map((r) => r.model), EXPECTED_MODELS);
  for (const r of rows) assert.equal(r.deployable, r.model === "leaky_reference" ? "false" : "true", `${r.model} deployable flag`);
  const json = JSON.parse(fs.readFileSync(out("model_comparison.json"), "utf8")) as Row[];
  assert.deepEqual(json.map((r) => r.model), EXPECTED_MODELS);
  assert.equal(json.find((r) => r.model === "leaky_reference")?.deployable, false);
  assert.equal(metrics.models.leaky_reference.deployable, false);
  // The leaky reference: no Adam epochs, its second-order steps to the tolerance from the initial weights.
  const leaky = metrics.comparison_models.leaky_reference;
  assert.ok(leaky.adam_epochs === 0 && leaky.converged === true && leaky.gradient_norm <= 1e-7, JSON.stringify(leaky));

  const auc = (m: string) => rows.find((r) => r.model === m)?.test_auc as number;
  assert.ok(auc("tfjs_logistic") > 0.5, `tfjs AUC ${auc("tfjs_logistic")} > 0.5`);
  assert.ok(Math.abs(auc("tfjs_logistic") - auc("closed_loop_logistic")) <= 0.001, `parity: ${auc("tfjs_logistic")} vs ${auc("closed_loop_logistic")}`);
  assert.equal(metrics.parity.agree, true);
  assert.equal(metrics.parity.tfjsAuc, auc("tfjs_logistic"));
  assert.equal(metrics.test.auc, auc("tfjs_logistic"));
});

test("top_resume_playlist: evidence behind every row, tracks from the training window or the library", () => {
  const rows = csvRows("top_resume_playlist.csv");
  assert.equal(rows.length, metrics.params.top_n);
  for (const r of rows) {
    const zeroEvidence = r.train_labelled_plays === 0 && r.artist_labelled_plays === 0;
    assert.ok(!(r.predicted_completion === 1 && zeroEvidence), `rank ${r.rank}: no default 1.0 without evidence`);
    assert.ok(!zeroEvidence, `rank ${r.rank} has labelled plays of its own or of its artist`);
    if ((r.train_labelled_plays as number) > 0) {
      assert.ok(Math.abs((r.observed_completion_rate as number) - (r.train_completions as number) / (r.train_labelled_plays as number)) < 1e-12);
    }
  }
  const windowEnd = Date.parse(metrics.recommendation.window_end);
  const trainUris = new Set(
    extendedRecords()
      .filter((r) => typeof r.spotify_track_uri === "string" && Date.parse(r.ts as string) - (r.ms_played as number) < windowEnd)
      .map((r) => r.spotify_track_uri as string),
  );
  const library = JSON.parse(fs.readFileSync(path.join(SAMPLE, "Spotify Account Data", "YourLibrary.json"), "utf8")) as { tracks: { uri: string }[] };
  const libraryUris = new Set(library.tracks.map((t) => t.uri));
  for (const r of rows) {
    const uri = r.spotify_track_uri as string;
    assert.ok(r.source === "history" ? trainUris.has(uri) : libraryUris.has(uri), `rank ${r.rank} ${uri} (${r.source}) is in the training window or library`);
  }
});

test("RESULTS.md and resume_project_summary.md quote model_metrics.json", () => {
  const results = fs.readFileSync(out("RESULTS.md"), "utf8");
  const summary = fs.readFileSync(out("resume_project_summary.md"), "utf8");
  const tfjsAuc = metrics.models.tfjs_logistic.test.auc.toFixed(3);
  assert.ok(results.includes(tfjsAuc) && summary.includes(`AUC ${tfjsAuc}`), `tfjs test AUC ${tfjsAuc} in both`);
  assert.ok(results.includes(metrics.parity.tfjsAuc.toFixed(4)) && results.includes(metrics.parity.closedLoopAuc.toFixed(4)), "parity AUCs to 4 decimals");
  assert.ok(summary.includes(metrics.models.prior_heuristic.test.auc.toFixed(3)), "heuristic AUC in summary");
  assert.ok(summary.includes(metrics.models.popularity.test.auc.toFixed(3)), "popularity AUC in summary");
  const { music_plays, labelled_plays, split } = metrics.data;
  assert.ok(results.includes(`Export: ${music_plays} music plays (${labelled_plays} labelled`));
  assert.ok(results.includes(`${split.train_plays} train, ${split.validation_plays} validation, ${split.test_plays} test plays`));
  assert.ok(summary.includes(`${music_plays} music plays`) && summary.includes(`${metrics.data.feature_columns} leak-free features`));
  const rec = metrics.recommendation;
  assert.ok(results.includes(`Of the ${rec.test_completed_tracks} distinct tracks completed in the test window, it contains ${rec.model.hits}`));
});

test("the figures' takeaways quote model_metrics.json: ECE, AUC and AP come from the same metrics code", () => {
  const viz = fs.readFileSync(out("figures/visualization_summary.md"), "utf8");
  assert.ok(viz.includes(`Expected calibration error is ${metrics.test.ece.toFixed(3)} over ${metrics.test.n} test plays`), "ECE");
  for (const [name, m] of Object.entries(metrics.models)) {
    assert.ok(viz.includes(`p\\_${name.replace(/_/g, "\\_")} ${m.test.auc.toFixed(3)}`), `${name} AUC ${m.test.auc.toFixed(3)}`);
  }
});

test("planted signal is recovered with the planted sign (src/sample/signal.ts)", () => {
  const rows = csvRows("feature_importance.csv");
  const coef = (feature: string, column: "coefficient" | "closed_loop_coefficient") => {
    const row = rows.find((r) => r.feature === feature);
    assert.ok(row, `feature ${feature} present`);
    return row[column] as number;
  };
  // Only effects that are large, main (not interactions) and map onto ONE feature, so both
  // logistic regressions recover their sign robustly on 2,677 training plays:
  //  - CONNECTION_ERROR_24H_EFFECT = -1.0, the largest binary effect → connection_error_24h < 0
  //  - SHUFFLE_EFFECT = -0.3 (+ shuffle × negative taste, also ≤ 0) → shuffle=true below shuffle=false, and < 0
  //  - IN_LIBRARY_EFFECT = +0.6 → in_library > 0
  //  - session position: flat for 15 plays then slope -0.08 to -1.2 → session_position_log1p < 0
  //  - REASON_START_EFFECT fwdbtn -0.5 → a play started by skipping, after a skipped play, lowers
  //    completion: reason_start=fwdbtn + prev_end_reason=fwdbtn < 0. On data-sample 91% of the
  //    plays started with fwdbtn follow a play that ended with fwdbtn (1,137 of 1,246), so the two
  //    columns are nearly collinear and share the effect; neither alone is identifiable (nor is
  //    clickrow's level within its one-hot group, which the L2 penalty centres).
  //  - per-artist latent taste (sd 0.9) → shows up as artist_train_skip_rate < 0
  // Left out on purpose: WEEKEND_EFFECT -0.15 is outweighed by the +0.8 weekend × evening
  // interaction (is_weekend comes out positive); the hour effect is non-linear and spread over
  // hour_sin/hour_cos/daypart=*; the previous-not-completed effect is spread over several
  // prev_end_reason=* levels whose signs differ between the two models.
  for (const column of ["coefficient", "closed_loop_coefficient"] as const) {
    const c = (f: string) => coef(f, column);
    assert.ok(c("connection_error_24h") < 0, `${column}: connection_error_24h ${c("connection_error_24h")} < 0`);
    assert.ok(c("shuffle=true") < 0 && c("shuffle=true") < c("shuffle=false"), `${column}: shuffle=true ${c("shuffle=true")} lowers completion`);
    assert.ok(c("in_library") > 0, `${column}: in_library ${c("in_library")} > 0`);
    assert.ok(c("session_position_log1p") < 0, `${column}: session_position_log1p ${c("session_position_log1p")} < 0`);
    const skipChain = c("reason_start=fwdbtn") + c("prev_end_reason=fwdbtn");
    assert.ok(skipChain < 0, `${column}: reason_start=fwdbtn + prev_end_reason=fwdbtn = ${skipChain} < 0`);
    assert.ok(c("artist_train_skip_rate") < 0, `${column}: artist_train_skip_rate < 0`);
  }
});

test("no personal data from the export reaches an output", () => {
  const secrets = new Set<string>();
  for (const r of extendedRecords()) {
    for (const k of ["username", "ip_addr_decrypted", "ip_addr", "user_agent_decrypted"]) {
      const v = r[k];
      if (typeof v === "string" && v) secrets.add(v);
    }
  }
  const account = path.join(SAMPLE, "Spotify Account Data");
  const user = JSON.parse(fs.readFileSync(path.join(account, "Userdata.json"), "utf8")) as Record<string, string | undefined>;
  const identity = JSON.parse(fs.readFileSync(path.join(account, "Identity.json"), "utf8")) as Record<string, string | undefined>;
  for (const v of [user.username, user.email, user.birthdate, identity.displayName, identity.firstName, identity.lastName]) if (v) secrets.add(v);
  assert.ok(secrets.size >= 6);
  for (const f of listFiles(outA)) {
    const text = fs.readFileSync(out(f), "utf8");
    for (const s of secrets) assert.ok(!text.includes(s), `${f} does not contain ${s}`);
  }
});

test("determinism: a second run writes byte-identical files except model_metrics.json timings", () => {
  const files = listFiles(outA);
  assert.deepEqual(listFiles(outB), files, "same file list");
  assert.ok(files.includes("figures/dashboard.html") && files.filter((f) => f.endsWith(".svg")).length === DEFAULT_FIGURES.length);
  for (const f of files) {
    const a = fs.readFileSync(path.join(outA, f));
    const b = fs.readFileSync(path.join(outB, f));
    if (f === "model_metrics.json") {
      const strip = (buf: Buffer) => {
        const json = JSON.parse(buf.toString("utf8")) as { timings?: unknown };
        assert.ok(json.timings, "timings present");
        delete json.timings;
        return JSON.stringify(json, null, 2);
      };
      assert.equal(strip(a), strip(b), "model_metrics.json identical without timings");
    } else {
      assert.ok(a.equals(b), `${f} byte-identical`);
    }
  }
});

test("the figure data saved with the outputs is the data built from the output files; a changed, missing or damaged file sends 05 back to the files", () => {
  const fromFiles = (dir: string) => buildFigureData(loadFigureInputs(path.join(dir, "scored_samples.csv")).inputs);
  const saved = loadFigureData(outA);
  assert.equal(saved.saved, true, "the run's own outputs: the saved copy is used");
  assert.deepStrictEqual(saved.data, fromFiles(outA), "built from the run in memory = built from the files it wrote");
  assert.deepEqual(saved.found, loadFigureInputs(path.join(outA, "scored_samples.csv")).found);

  const copy = (name: string) => {
    const dir = path.join(tmp, `figure-data-${name}`);
    fs.cpSync(outA, dir, { recursive: true });
    return dir;
  };
  // One test play's label flipped in scored_samples.csv (same length): the figures follow the file.
  const edited = copy("edited");
  const csv = fs.readFileSync(path.join(edited, "scored_samples.csv"), "utf8");
  assert.ok(csv.includes(",test,0,"));
  fs.writeFileSync(path.join(edited, "scored_samples.csv"), csv.replace(",test,0,", ",test,1,"));
  const afterEdit = loadFigureData(edited);
  assert.equal(afterEdit.saved, false);
  assert.deepStrictEqual(afterEdit.data, fromFiles(edited));
  assert.notDeepStrictEqual(afterEdit.data, saved.data, "the edit shows in the figures' data");

  // A sibling removed, or one added (label_comparison.json), is a change too.
  const removed = copy("removed");
  fs.rmSync(path.join(removed, "feature_importance.csv"));
  assert.equal(loadFigureData(removed).saved, false);
  assert.ok(!loadFigureData(removed).found.includes("feature_importance.csv"));
  const added = copy("added");
  fs.writeFileSync(path.join(added, "label_comparison.json"), JSON.stringify({ by_platform: [] }));
  assert.equal(loadFigureData(added).saved, false);

  // model_metrics.json's timings (every run's own; no figure reads them) do not count; its other numbers do.
  const timed = copy("timed");
  const metricsFile = path.join(timed, "model_metrics.json");
  const metricsJson = JSON.parse(fs.readFileSync(metricsFile, "utf8")) as { timings: Record<string, unknown>; params: Record<string, unknown> };
  fs.writeFileSync(metricsFile, JSON.stringify({ ...metricsJson, timings: { ...metricsJson.timings, extra_seconds: 1.5 } }, null, 2));
  assert.equal(loadFigureData(timed).saved, true);
  fs.writeFileSync(metricsFile, JSON.stringify({ ...metricsJson, params: { ...metricsJson.params, seed: -1 } }, null, 2));
  assert.equal(loadFigureData(timed).saved, false);

  // A damaged or truncated copy is not read; nor one saved by other figure code.
  const damaged = copy("damaged");
  const file = path.join(damaged, "artifacts", FIGURE_DATA_FILE);
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, text.slice(0, text.length / 2));
  assert.equal(loadFigureData(damaged).saved, false);
  fs.writeFileSync(file, text.replace(/"code":"[0-9a-f]+"/, `"code":"${"0".repeat(64)}"`));
  assert.equal(loadFigureData(damaged).saved, false);
  fs.writeFileSync(file, text);
  assert.equal(loadFigureData(damaged).saved, true);
});
