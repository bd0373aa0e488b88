import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildFigureData, FIGURES, renderAllFigures, renderSvg } from "../src/report/figures";
import { plotCurves } from "../src/report/figures/curves";
import type { FigureInputs } from "../src/report/figures/types";
import { HOSTILE_NAME, syntheticInputs } from "./helpers/figureInputs";

/** Minimal well-formedness check: every tag matches, attributes quoted, text has no raw '<' or stray '&'. */
function assertWellFormedXml(xml: string): void {
  const tag = /<(\/)?([A-Za-z][\w:.-]*)((?:\s+[^\s=/>]+="[^"]*")*)\s*(\/)?>/y;
  const stack: string[] = [];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    assert.doesNotMatch(text, /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/, `stray & in text near ${i}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    assert.ok(m, `malformed tag at ${lt}: ${xml.slice(lt, lt + 80)}`);
    const [, close, name, attrs, selfClose] = m;
    assert.doesNotMatch(attrs, /[<]/, `raw < in attribute of <${name}>`);
    if (close) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else if (!selfClose) stack.push(name);
    i = tag.lastIndex;
  }
  assert.deepEqual(stack, [], "all elements closed");
}

const inputs = syntheticInputs();
const data = buildFigureData(inputs);

test("every figure renders to a well-formed SVG with its title, hostile names escaped", async () => {
  for (const fig of FIGURES) {
    const result = fig.build(data);
    assert.ok("spec" in result, `${fig.file} should build from full inputs`);
    const warnings: string[] = [];
    const svg = await renderSvg(result.spec, { onWarning: (w) => warnings.push(w) });
    assert.ok(svg.startsWith("<svg"), `${fig.file} starts with <svg`);
    assertWellFormedXml(svg);
    assert.ok(svg.includes(`<title>${fig.title}</title>`), `${fig.file} has <title>`);
    assert.ok(svg.includes(`>${fig.title}</text>`), `${fig.file} shows its title`);
    assert.ok(!svg.includes("<script"), `${fig.file} contains no raw <script`);
    assert.doesNotMatch(svg, /\s(?:xlink:)?href=|\ssrc=/, `${fig.file} has no links or external resources`);
    assert.deepEqual(warnings, [], `${fig.file} compiles without vega warnings`);
  }
  const artists = await renderSvg((FIGURES[2].build(data) as { spec: never }).spec);
  assert.ok(artists.includes("&lt;script&gt;alert(1)"), "hostile artist appears escaped");
});

test("rendering is deterministic and leaves the figure data untouched", async () => {
  const fresh = buildFigureData(syntheticInputs());
  for (const fig of FIGURES) {
    const spec = (fig.build(fresh) as { spec: never }).spec;
    assert.equal(await renderSvg(spec), await renderSvg(spec), fig.file);
  }
  assert.deepEqual(fresh, buildFigureData(syntheticInputs()));
});

test("hourly, artist, platform and session aggregates match a direct count", () => {
  const labelled = inputs.scored.filter((s) => s.label !== null);
  for (const h of data.hourly) {
    const rows = labelled.filter((s) => s.hour_local === h.hour);
    assert.equal(h.labelled, rows.length);
    assert.equal(h.plays, inputs.scored.filter((s) => s.hour_local === h.hour).length);
    assert.equal(h.completion_rate, rows.length ? rows.filter((s) => s.label === 1).length / rows.length : null);
  }
  const plays = new Map<string, number>();
  for (const s of inputs.scored) plays.set(s.artist, (plays.get(s.artist) ?? 0) + 1);
  const expected = [...plays.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 15);
  assert.deepEqual(data.topArtists.map((a) => [a.artist, a.plays]), expected);
  assert.equal(data.topArtists[0].artist, HOSTILE_NAME);
  assert.equal(data.platformMix.reduce((s, p) => s + p.plays, 0), inputs.scored.length);
  assert.equal(data.sessionPosition.reduce((s, p) => s + p.plays, 0), inputs.scored.length);
  assert.equal(data.hourWeekday.length, 168);
  assert.equal(data.hourWeekday.reduce((s, c) => s + c.plays, 0), inputs.scored.length);
});

test("ROC AUC equals the pairwise (Mann-Whitney) probability; reliability bins cover the test rows", () => {
  const test = inputs.scored.filter((s) => s.split === "test" && s.label !== null);
  for (const model of ["p_complete", "p_baseline"] as const) {
    const pos = test.filter((s) => s.label === 1).map((s) => s[model] as number);
    const neg = test.filter((s) => s.label === 0).map((s) => s[model] as number);
    let wins = 0;
    for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
    const auc = data.roc.summary.find((s) => s.model === model)!.value!;
    assert.ok(Math.abs(auc - wins / (pos.length * neg.length)) < 1e-12, `${model} AUC`);
  }
  assert.equal(data.meta.evalSplit, "test");
  assert.equal(data.reliability.reduce((s, b) => s + b.count, 0), test.length);
  const oneClass = plotCurves([1, 1], [0.1, 0.2]);
  assert.equal(oneClass.roc.value, null);
  assert.deepEqual(oneClass.roc.points, []);
});

test("model comparison accepts the pipeline's column names (test_auc, test_logloss)", () => {
  const d = buildFigureData({
    ...inputs,
    modelComparison: [
      { model: "tfjs_logistic", deployable: "true", test_auc: 0.74, test_pr_auc: 0.8, test_logloss: 0.58 },
      { model: "baseline", deployable: "true", test_auc: 0.6, test_pr_auc: 0.7, test_logloss: null },
    ],
  });
  assert.deepEqual(d.modelComparison, [
    { model: "tfjs_logistic", metric: "AUC", value: 0.74 },
    { model: "baseline", metric: "AUC", value: 0.6 },
    { model: "tfjs_logistic", metric: "log loss", value: 0.58 },
  ]);
});

test("renderAllFigures writes what its inputs allow and reports the rest", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "figs-"));
  const only: FigureInputs = { scored: inputs.scored, models: ["p_complete"] };
  const report = await renderAllFigures(only, dir);
  assert.deepEqual(report.skipped.map((s) => s.file).sort(), ["completion_over_time.svg", "feature_importance.svg", "label_disagreement_by_platform.svg", "model_comparison.svg", "training_curves.svg"]);
  assert.equal(report.written.length, 9);
  assert.deepEqual(fs.readdirSync(dir).sort(), report.written.map((w) => w.file).sort());
  const empty = await renderAllFigures({ scored: [], models: [] }, path.join(dir, "empty"));
  assert.equal(empty.written.length, 0);
  assert.equal(empty.skipped.length, FIGURES.length);
  // Re-running into the same folder with less data leaves no stale figure behind.
  const rerun = await renderAllFigures({ scored: [], models: [] }, dir);
  assert.equal(rerun.written.length, 0);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".svg")), []);
  fs.rmSync(dir, { recursive: true });
});
