import { test } from "node:test";
import assert from "node:assert/strict";
import { buildFigureData, FIGURES } from "../src/report/figures";
import { figureTakeaways, HOUR_MIN_PLAYS, visualizationSummary } from "../src/report/summary";
import { HOSTILE_NAME, syntheticInputs } from "./helpers/figureInputs";
import type { ScoredSample } from "../src/report/figures/types";

const inputs = syntheticInputs();
const data = buildFigureData(inputs);
const md = visualizationSummary(data);
const text = figureTakeaways(data, "text");
const pct = (r: number) => `${Math.round(r * 100)}%`;

function rates(rows: ScoredSample[], key: (s: ScoredSample) => string) {
  const m = new Map<string, { n: number; c: number }>();
  for (const s of rows) {
    if (s.label === null) continue;
    const a = m.get(key(s)) ?? { n: 0, c: 0 };
    a.n++;
    a.c += s.label;
    m.set(key(s), a);
  }
  return [...m.entries()].map(([k, a]) => ({ k, n: a.n, r: a.c / a.n }));
}

test("hourly takeaway names the computed best and worst hours among hours with enough plays", () => {
  const all = rates(inputs.scored, (s) => String(s.hour_local)).sort((a, b) => Number(a.k) - Number(b.k));
  const hours = all.filter((h) => h.n >= HOUR_MIN_PLAYS);
  assert.ok(hours.length >= 2, "fixture: several busy hours");
  const best = hours.reduce((a, b) => (b.r > a.r ? b : a));
  const worst = hours.reduce((a, b) => (b.r < a.r ? b : a));
  const hh = (k: string) => `${k.padStart(2, "0")}:00`;
  assert.ok(
    text.completion_rate_by_hour.startsWith(
      `Among the ${hours.length} hours with at least ${HOUR_MIN_PLAYS} labelled plays, completion peaks at ${hh(best.k)} (${pct(best.r)} of ${best.n} labelled plays) and is lowest at ${hh(worst.k)} (${pct(worst.r)} of ${worst.n} labelled plays)`,
    ),
    text.completion_rate_by_hour,
  );
});

test("artist, ROC, comparison and monthly takeaways carry the data's numbers", () => {
  const top = new Set(data.topArtists.map((a) => a.artist));
  const artists = rates(inputs.scored.filter((s) => top.has(s.artist)), (s) => s.artist);
  const worst = artists.reduce((a, b) => (b.r < a.r ? b : a));
  assert.equal(worst.k, HOSTILE_NAME, "fixture: hostile artist completes least");
  assert.ok(text.top_artists_completion_rate.includes(`${HOSTILE_NAME} least (${pct(worst.r)} of ${worst.n} labelled plays)`));
  assert.ok(md.includes("&lt;script&gt;alert(1)&lt;/script&gt; least"), "markdown escapes the name");
  assert.ok(!md.includes(HOSTILE_NAME), "raw hostile name never in markdown");

  const best = [...data.roc.summary].sort((a, b) => b.value! - a.value!)[0];
  assert.ok(text.roc_curves.startsWith(`Best test AUC: ${best.model} ${best.value!.toFixed(3)}`));
  assert.equal(text.model_comparison, "Across 2 models, highest test AUC: p_complete (0.710); lowest log loss: p_complete (0.610).");
  const gaps = inputs.monthly.filter((m) => m.labelled === 0).map((m) => m.month);
  assert.deepEqual(gaps, ["2023-03", "2023-04"]);
  assert.ok(text.completion_over_time.includes(`2 months with plays but no labels (2023-03, 2023-04)`));
});

test("summary lists every figure with image link or skip reason", () => {
  assert.equal((md.match(/^## \d+\) /gm) ?? []).length, FIGURES.length);
  assert.equal((md.match(/\*\*Takeaway:\*\*/g) ?? []).length, FIGURES.length);
  const partial = visualizationSummary(buildFigureData({ scored: inputs.scored, models: [] }));
  assert.match(partial, /_Not generated: no training history input/);
  assert.match(partial, /_Not generated: no feature importance input/);
  assert.match(partial, /_Not generated: no label comparison \(run the pipeline with --compare-labels\)/);
  assert.equal((partial.match(/\*\*Takeaway:\*\*/g) ?? []).length, 9);
});

test("empty and degenerate data give sentences, not crashes or NaN", () => {
  assert.equal(visualizationSummary(buildFigureData({ scored: [], models: [] })), "# Visualization summary\n\nNo scored plays: nothing to summarise.\n");
  const one = inputs.scored.slice(0, 1).map((s) => ({ ...s, label: 1 as const, split: "test" }));
  const t = figureTakeaways(buildFigureData({ scored: one, models: [] }), "text");
  for (const [id, sentence] of Object.entries(t)) assert.doesNotMatch(sentence, /NaN|undefined|Infinity/, id);
  assert.match(t.roc_curves, /^AUC cannot be computed: the evaluation plays lack/);
  assert.match(t.completion_rate_by_hour, /^Only \d\d:00 has labelled plays \(100% of 1 labelled play\)\.$/);
});

test("the training-curves takeaway reads epochs, the early stop and the best validation loss from the histories", () => {
  const histories = [
    { model: "tfjs_logistic", train: [0.7, 0.6, 0.55], validation: [0.69, 0.61, 0.62], stoppedEarly: true },
    { model: "tfjs_mlp", train: [0.7], validation: [], stoppedEarly: false },
  ];
  const d = buildFigureData({ ...inputs, training: histories });
  assert.equal(
    figureTakeaways(d, "text").training_curves,
    "tfjs_logistic ran 3 epochs, stopped by the validation loss; its lowest validation log loss is 0.610 at epoch 2; tfjs_mlp ran 1 epoch (no validation slice).",
  );
  assert.equal(FIGURES.find((f) => f.id === "training_curves")!.build(buildFigureData({ ...inputs, training: [] })).hasOwnProperty("skipped"), true);
});
