/**
 * Executes every notebook headlessly (nbconvert/nbclient through the committed tslab kernel
 * spec) on data-sample/, then checks what they recorded and wrote. Also proves a failing
 * cell fails the run with its real error text, and that committed notebooks hold no outputs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SETUP_CHECK, executeNotebooks, notebookEnv, notebookList, runNotebook, runNotebooks } from "../scripts/run-notebooks";
import { isDirty } from "../scripts/clean-notebooks";
import { tslabDiagnostics } from "../scripts/check-tslab-compat";
import { PLANTED_PII } from "../src/sample/names";
import { DEFAULT_FIGURES, FIGURES } from "../src/report/figures";
import type { LabelDisagreementRow } from "../src/report/figures";
import { DEFAULT_COMPARE_RULES, readLabelRules } from "../src/ingest/label";
import { labelComparisonSentence } from "../src/pipeline/labelComparison";
import type { LabelComparisonRow } from "../src/pipeline/labelComparison";

const root = path.resolve(__dirname, "..");
const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), "notebooks-"));

test("src/ compiles the way tslab compiles notebook imports (TypeScript 5.0, not strict)", () => {
  assert.deepEqual(tslabDiagnostics(), []);
});

test("committed notebooks carry no outputs or execution counts", () => {
  const names = fs.readdirSync(path.join(root, "notebooks")).filter((n) => n.endsWith(".ipynb"));
  assert.ok(names.length >= 6);
  for (const name of names) assert.equal(isDirty(fs.readFileSync(path.join(root, "notebooks", name), "utf8")), false, name);
});

test("each parameters cell is tagged `parameters`, shows the defaults as literals, passes them all on, and the environment overrides them", async () => {
  const { paramsFromEnv } = await import("../src/pipeline/params");
  const sample = path.join(root, "data-sample");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "params-"));
  const defaults = paramsFromEnv({}, { SPOTIFY_EXPORT: sample, OUTPUT_DIR: out });
  for (const name of notebookList()) {
    const nb = JSON.parse(fs.readFileSync(path.join(root, "notebooks", name), "utf8")) as { cells: { source: string | string[]; metadata?: { tags?: string[] } }[] };
    const tagged = nb.cells.filter((c) => c.metadata?.tags?.includes("parameters"));
    assert.equal(tagged.length, 1, `${name}: one parameters cell`);
    const text = [tagged[0].source].flat().join("");
    // Every constant is a JSON literal (string, number or list), as papermill-style tools expect.
    const literals: Record<string, string | number | string[]> = {};
    for (const m of text.matchAll(/^const ([A-Z_]+)(?:: [\w[\]]+)? = (.+?);(?: *\/\/.*)?$/gm)) literals[m[1]] = JSON.parse(m[2]) as string | number | string[];
    assert.equal(literals.SPOTIFY_EXPORT, "../data-sample", name);
    assert.equal(literals.OUTPUT_DIR, "../outputs", name);
    const call = /paramsFromEnv\(process\.env, \{ ([A-Z_, ]+) \}\)/.exec(text);
    assert.ok(call, `${name}: the cell passes its constants to paramsFromEnv`);
    assert.deepEqual(call[1].split(", ").sort(), Object.keys(literals).sort(), `${name}: every constant is passed on, and only constants`);
    // The literals are the defaults of the CLI; only 04 turns the label comparison on.
    const fromCell = paramsFromEnv({}, { ...literals, SPOTIFY_EXPORT: sample, OUTPUT_DIR: out });
    if (name.startsWith("04")) assert.ok((fromCell.compareLabels?.length ?? 0) >= 2, "04 compares the completion rules by default");
    assert.deepEqual({ ...fromCell, compareLabels: undefined }, defaults, `${name}: literals are the defaults`);
  }
  const r = paramsFromEnv({ SEED: "7", TEST_FRACTION: "0.3", EXCLUDE_COUNTRY: "jp" }, { SPOTIFY_EXPORT: sample, OUTPUT_DIR: out, SEED: 1, TEST_FRACTION: 0.25, TOP_N: 5, EXCLUDE_COUNTRY: ["GB"], LABEL: "played-30s" });
  assert.deepEqual([r.params.seed, r.params.testFraction, r.params.topN, r.params.validationFraction], [7, 0.3, 5, defaults.params.validationFraction]);
  assert.deepEqual([r.input.label, r.input.filters], [{ kind: "played-30s" }, { excludeCountries: ["JP"] }], "the variable replaces the cell's list");
  assert.equal(r.input.export, sample);
  assert.throws(() => paramsFromEnv({}, { SPOTIFY_EXPORT: sample, OUTPUT_DIR: out, TOPN: 5 }), /sets TOPN, which is not a parameter/);
  assert.throws(() => paramsFromEnv({}, { SPOTIFY_EXPORT: sample, OUTPUT_DIR: out, LABEL: "played-fraction=2" }), /LABEL "played-fraction=2"/);
  fs.rmSync(out, { recursive: true, force: true });
});

test("a failing cell fails the run and reports the real error text", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "failing-nb-"));
  const source = path.join(dir, "broken.ipynb");
  const cell = (src: string) => ({ cell_type: "code", id: String(src.length), metadata: {}, outputs: [], execution_count: null, source: src });
  fs.writeFileSync(source, JSON.stringify({
    cells: [cell("const ok = 1 + 1;"), cell("throw new Error('planted failure 4711');")],
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } },
    nbformat: 4, nbformat_minor: 5,
  }));
  const run = runNotebook(source, path.join(dir, "out.ipynb"), notebookEnv({ OUTPUT_DIR: dir }), false);
  assert.equal(run.ok, false);
  assert.match(run.error ?? "", /failed in cell 2/);
  assert.match(run.error ?? "", /planted failure 4711/);
});

test("the setup check runs beside the next notebook, is still reported first, and its failure stops the run with its error", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beside-nb-"));
  const cell = (src: string) => ({ cell_type: "code", id: String(src.length), metadata: {}, outputs: [], execution_count: null, source: src });
  const write = (name: string, cells: string[]) => {
    const source = path.join(dir, name);
    fs.writeFileSync(source, JSON.stringify({ cells: cells.map(cell), metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } }, nbformat: 4, nbformat_minor: 5 }));
    return { source, target: path.join(dir, `out-${name}`) };
  };
  const next = write("01_next.ipynb", ["const two = 1 + 1;"]);
  const fine = executeNotebooks([write(SETUP_CHECK, ["const one = 1;"]), next], notebookEnv({ OUTPUT_DIR: dir }), false);
  assert.deepEqual(fine.map((r) => [r.notebook, r.ok]), [[SETUP_CHECK, true], ["01_next.ipynb", true]]);
  assert.ok(fine.every((r) => r.seconds >= 0), "each notebook's time counts from the end of the one before");
  fs.rmSync(next.target);
  const failing = executeNotebooks([write(SETUP_CHECK, ["throw new Error('planted setup failure 815');"]), next], notebookEnv({ OUTPUT_DIR: dir }), false);
  assert.deepEqual(failing.map((r) => [r.notebook, r.ok]), [[SETUP_CHECK, false]], "nothing after the failed setup check is reported");
  assert.match(failing[0].error ?? "", /planted setup failure 815/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a cell is type-checked against src/'s types: a wrong use fails the run with the compiler's message", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typed-nb-"));
  fs.symlinkSync(path.join(root, "src"), path.join(dir, "src"));
  const source = path.join(dir, "typed.ipynb");
  const cell = (id: string, src: string) => ({ cell_type: "code", id, metadata: {}, outputs: [], execution_count: null, source: src });
  fs.writeFileSync(source, JSON.stringify({
    cells: [
      cell("imports", 'import { initBackend } from "./src/model";'),
      // initBackend's type names tfjs's backends: the kernel leaves tfjs's typings out, not src/'s.
      cell("wrong", "const backend: number = initBackend();"),
    ],
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } },
    nbformat: 4, nbformat_minor: 5,
  }));
  // Twice: the first kernel compiles and stores the cells (this folder is new, so they are new to
  // the cell cache); the second reads them back, diagnostics included, and stores nothing.
  const cells = path.join(root, "node_modules", ".cache", "tslab-cells");
  const entries = () => (fs.existsSync(cells) ? fs.readdirSync(cells).length : 0);
  const added: number[] = [];
  for (const attempt of [1, 2]) {
    const before = entries();
    const run = runNotebook(source, path.join(dir, "out.ipynb"), notebookEnv({ OUTPUT_DIR: dir }), false);
    added.push(entries() - before);
    assert.equal(run.ok, false, `attempt ${attempt}`);
    assert.match(run.error ?? "", /failed in cell 2/);
    assert.match(run.error ?? "", /Promise<BackendInfo>' is not assignable to type 'number'/);
  }
  assert.ok(added[0] > 0 && added[1] === 0, `cells stored by each run: ${added.join(", ")} (the second must read them back)`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("all notebooks run headlessly on data-sample/ and record sane results", { timeout: 600_000 }, async () => {
  const runs = await runNotebooks({ env: { SPOTIFY_EXPORT: "data-sample", OUTPUT_DIR: outputDir } });
  const failed = runs.find((r) => !r.ok);
  assert.equal(failed, undefined, failed?.error);
  assert.deepEqual(runs.map((r) => r.notebook), notebookList());
  process.stderr.write(`notebooks: ${runs.map((r) => `${r.notebook} ${r.seconds.toFixed(1)} s`).join(", ")}\n`);

  // The fields of each notebook's recordResults call that these checks read.
  const recorded = <T>(name: string) => JSON.parse(fs.readFileSync(path.join(outputDir, "notebook_results", `${name}.json`), "utf8")) as T;
  type Parity = { tfjsAuc: number; difference: number };
  const model = recorded<{ parity: Parity }>("03_model");
  assert.ok(model.parity.tfjsAuc > 0.5, `tfjs AUC ${model.parity.tfjsAuc}`);
  assert.ok(model.parity.difference <= 0.001, `tfjs vs closed-loop AUC differ by ${model.parity.difference}`);
  const evaluation = recorded<{ parity: Parity; labelRules: { rule: string }[] }>("04_evaluate_and_rank");
  assert.deepEqual(evaluation.parity, model.parity, "04 must evaluate the very models 03 trained");
  // Section 4 of 04, "What counts as finished?": the rules compared, with the sentence computed from label_comparison.json.
  const comparison = JSON.parse(fs.readFileSync(path.join(outputDir, "label_comparison.json"), "utf8")) as { primary_model: string; rules: LabelComparisonRow[]; by_platform: LabelDisagreementRow[] };
  assert.deepEqual(evaluation.labelRules.map((r) => r.rule), DEFAULT_COMPARE_RULES.split(","));
  const executed04 = JSON.parse(fs.readFileSync(path.join(outputDir, "notebooks", "04_evaluate_and_rank.ipynb"), "utf8")) as { cells: { source: string | string[]; outputs?: { data?: Record<string, string | string[]> }[] }[] };
  const section = executed04.cells.findIndex((c) => [c.source].flat().join("").startsWith("## 4. What counts as finished?"));
  const shown = (executed04.cells[section + 1].outputs ?? []).map((o) => [o.data?.["text/markdown"] ?? []].flat().join(""));
  assert.ok(shown.includes(labelComparisonSentence({ primaryModel: comparison.primary_model, rows: comparison.rules, byPlatform: comparison.by_platform })), "the computed sentence is shown");
  assert.ok((executed04.cells[section + 1].outputs ?? []).some((o) => o.data?.["image/svg+xml"]), "the disagreement figure is drawn");
  // 01's head start: a worker built 02's features while 01 ran, and 02 loaded them.
  const markdownOf = (name: string) =>
    (JSON.parse(fs.readFileSync(path.join(outputDir, "notebooks", name), "utf8")) as { cells: { outputs?: { data?: Record<string, string | string[]> }[] }[] }).cells
      .flatMap((c) => c.outputs ?? [])
      .map((o) => [o.data?.["text/markdown"] ?? []].flat().join(""))
      .join("\n");
  assert.match(markdownOf("01_ingest.ipynb"), /Notebook 02's features \(test fraction 0\.2, .*\) were built on a second thread/);
  assert.match(markdownOf("02_features.ipynb"), /labelled plays × \d+ features, loaded from the stage cache/);
  const ingest = recorded<{ rowsRead: number; rowsKept: number; dropped: Record<string, number> }>("01_ingest");
  assert.equal(ingest.rowsKept + Object.values(ingest.dropped).reduce((s, n) => s + n, 0), ingest.rowsRead);

  for (const figure of DEFAULT_FIGURES) {
    const svg = fs.readFileSync(path.join(outputDir, "figures", figure.file), "utf8");
    assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/, figure.file);
  }
  for (const file of ["dashboard.html", "visualization_summary.md", "training_curves.svg"]) assert.ok(fs.existsSync(path.join(outputDir, "figures", file)), file);
  for (const file of ["model_metrics.json", "model_comparison.csv", "scored_samples.csv", "top_resume_playlist.csv", "RESULTS.md", "resume_project_summary.md"]) {
    assert.ok(fs.existsSync(path.join(outputDir, file)), file);
  }
  for (const name of notebookList()) {
    assert.ok(fs.existsSync(path.join(outputDir, "notebooks", name.replace(/\.ipynb$/, ".html"))), `${name} HTML rendering`);
  }
});

test("executed notebooks and their HTML renderings read well", () => {
  for (const name of notebookList()) {
    const executed = JSON.parse(fs.readFileSync(path.join(outputDir, "notebooks", name), "utf8")) as { cells: { cell_type: string; execution_count: number | null; outputs?: { name?: string; text?: string | string[]; data?: Record<string, unknown> }[] }[] };
    const code = executed.cells.filter((c) => c.cell_type === "code");
    assert.deepEqual(code.map((c) => c.execution_count), code.map((_, i) => i + 1), `${name}: In [n] numbering`);
    // danfojs's bundled tfjs 3 must not flood a notebook with "kernel already registered" warnings.
    const stderr = code.flatMap((c) => c.outputs ?? []).filter((o) => o.name === "stderr").map((o) => [o.text ?? ""].flat().join("")).join("");
    assert.doesNotMatch(stderr, /already registered|already been set/, `${name}: tfjs registration noise`);

    // Every SVG output shows as an image (nbconvert's sanitizer would strip inline SVG to its text).
    const svgs = code.flatMap((c) => c.outputs ?? []).filter((o) => o.data && "image/svg+xml" in o.data).length;
    const html = fs.readFileSync(path.join(outputDir, "notebooks", name.replace(/\.ipynb$/, ".html")), "utf8");
    assert.equal((html.match(/<img src="data:image\/svg\+xml;base64,/g) ?? []).length, svgs, `${name}: SVG outputs rendered as images`);
    assert.doesNotMatch(html, /<svg class="marks"/, `${name}: a sanitised (blank) SVG`);
    assert.doesNotMatch(html, /&lt;(table|div|svg)\b/, `${name}: HTML shown as text`);
  }
  const visualize = JSON.parse(fs.readFileSync(path.join(outputDir, "notebooks", "05_visualize.ipynb"), "utf8")) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  const figures = visualize.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data && "image/svg+xml" in o.data).length;
  // Every figure, including the optional rule-disagreement one: 04 compared the completion rules.
  assert.equal(figures, FIGURES.length, "05_visualize shows every figure");
  assert.match(JSON.stringify(visualize.cells.flatMap((c) => c.outputs ?? [])), /their figure data as 04 saved it/, "05 drew from the figure data 04 saved with the files");
});

/** What only the notebooks write: their executed copies, recorded results, and state passed between them. */
const NOTEBOOK_ONLY = [/^notebooks\//, /^presentation\//, /^notebook_results\//, /^artifacts\/model_run\.(json|f64)$/, /^feature_summary\.csv$/];
/** What only the CLI writes: the manifest of its staged, swapped-in run (src/pipeline/outputFolder.ts). */
const CLI_ONLY = [/^\.pipeline-run\.json$/];

test("the CLI and the notebooks leave the same output files (apart from the notebooks' own)", { timeout: 600_000 }, async () => {
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-outputs-"));
  const { runPipeline } = await import("../src/pipeline/run");
  const { DEFAULT_PARAMS } = await import("../src/pipeline/params");
  const rules = readLabelRules(DEFAULT_COMPARE_RULES);
  assert.ok("rules" in rules);
  // The notebooks' options: 04 compares the completion rules by default (`--compare-labels` on the CLI).
  await runPipeline({ export: path.join(root, "data-sample") }, cliDir, DEFAULT_PARAMS, undefined, { cache: { log: () => {} }, compareLabels: rules.rules });
  const walk = (dir: string, rel = ""): string[] =>
    fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]));
  const cli = walk(cliDir).filter((f) => !CLI_ONLY.some((re) => re.test(f))).sort();
  const notebooks = walk(outputDir).filter((f) => !NOTEBOOK_ONLY.some((re) => re.test(f))).sort();
  assert.ok(cli.includes(path.join("figures", "training_curves.svg")), "the CLI draws the training curves");
  assert.ok(cli.includes("label_comparison.csv") && cli.includes(path.join("figures", "label_disagreement_by_platform.svg")), "both compared the completion rules");
  assert.ok(cli.some((f) => f.startsWith("cache")), "the CLI writes the stage cache");
  assert.deepEqual(notebooks, cli);
  fs.rmSync(cliDir, { recursive: true, force: true });
});

test("the presentation of the real run: every notebook and numbered section, every figure, headline numbers from the run", async () => {
  const { writePresentation } = await import("../src/report/presentation");
  const files = writePresentation(outputDir);
  assert.deepEqual(files.notebooks.map((f) => path.basename(f)), notebookList());
  const report = fs.readFileSync(files.report, "utf8");
  const slides = fs.readFileSync(files.slides, "utf8");
  let svgs = 0;
  let pages = 0;
  for (const name of notebookList()) {
    const nb = JSON.parse(fs.readFileSync(path.join(outputDir, "notebooks", name), "utf8")) as { cells: { cell_type: string; source: string | string[]; outputs?: { data?: Record<string, unknown> }[] }[] };
    // Per numbered section (`## N. `), its SVG outputs: a slide each, or one slide without a figure.
    const perSection: number[] = [];
    let numbered = false;
    for (const cell of nb.cells) {
      if (cell.cell_type === "markdown") {
        for (const line of [cell.source].flat().join("").split("\n").filter((l) => l.startsWith("## "))) {
          numbered = /^## \d+\. /.test(line);
          if (numbered) perSection.push(0);
          assert.ok(report.includes(`>${line.slice(3).trim().replace(/&/g, "&amp;")}</a>`), `${name}: "${line}" in the table of contents`);
        }
      }
      const figures = (cell.outputs ?? []).filter((o) => o.data && "image/svg+xml" in o.data).length;
      svgs += figures;
      if (numbered) perSection[perSection.length - 1] += figures;
    }
    pages += perSection.reduce((n, f) => n + Math.max(1, f), 0);
  }
  assert.equal(report.match(/<figure class="figure"[^>]*><svg/g)?.length ?? 0, svgs, "every SVG output inline in the report");
  assert.equal(slides.match(/<div class="page">/g)?.length ?? 0, pages, "one slide per numbered section, one per figure where it has several");
  assert.doesNotMatch(report + slides, /paramsFromEnv|import \* as tslab/, "no code");
  const metrics = JSON.parse(fs.readFileSync(path.join(outputDir, "model_metrics.json"), "utf8")) as { test: { auc: number }; data: { date_range: { first: string; last: string } } };
  assert.ok(slides.includes(`Export from ${metrics.data.date_range.first.slice(0, 10)} to ${metrics.data.date_range.last.slice(0, 10)}`), "title slide: the run's date range");
  assert.ok(slides.includes(`test AUC ${metrics.test.auc.toFixed(3)}`), "title slide: the run's test AUC");
});

test("no planted personal data in executed notebooks, their HTML or any output", () => {
  const needles = Object.values(PLANTED_PII).flat().map((v) => String(v).toLowerCase()).filter((v) => v.length >= 6);
  assert.ok(needles.length >= 5);
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const files = walk(outputDir);
  assert.ok(files.some((f) => f.endsWith(".ipynb")), "the notebook run must have happened first");
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8").toLowerCase();
    for (const needle of needles) assert.ok(!text.includes(needle), `${path.relative(outputDir, file)} contains planted PII ${needle}`);
  }
});
