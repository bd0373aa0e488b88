/**
 * --compare-labels: the same split and primary model under several rules; the table, the
 * per-platform disagreement and the figure, checked against counts made here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chronologicalSplit } from "../src/features";
import { ingestExport, labelsFor, parseLabelRules, valueAt } from "../src/ingest";
import { compareLabels, LABEL_COMPARISON_COLUMNS, labelComparisonSentence } from "../src/pipeline/labelComparison";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { evaluateModels } from "../src/pipeline/evaluate";
import { prepareWithSplit } from "../src/pipeline/prepare";
import { trainModels } from "../src/pipeline/train";
import { writeCsv } from "../src/report";
import { buildFigureData, FIGURES, renderSvg } from "../src/report/figures";
import { figureTakeaways } from "../src/report/summary";
import { readSchema, validateCsvAgainstSchema, validateJsonValue, type CsvSchema, type JsonSchema } from "../src/report/schema";

const root = path.resolve(__dirname, "..");
const schemaDir = path.join(root, "outputs-template", "schema", "optional");

test("compare-labels on data-sample: rows, agreement and per-platform disagreement match independent counts; outputs fit their schemas", { timeout: 180_000 }, async () => {
  const ingest = ingestExport({ export: path.join(root, "data-sample") });
  const split = chronologicalSplit(ingest.plays, { testFraction: DEFAULT_PARAMS.testFraction, validationFraction: DEFAULT_PARAMS.validationFraction });
  const rules = parseLabelRules("reason-end,played-30s,played-fraction=0.5");
  const c = await compareLabels(ingest, split, DEFAULT_PARAMS, rules);
  assert.deepEqual(c.rows.map((r) => r.rule), ["reason-end", "played-30s", "played-fraction=0.5"]);

  const p = ingest.plays;
  const ref = Array.from(p.reasonEnd.codes, (code) => (code < 0 ? null : p.reasonEnd.values[code]));
  for (const [k, rule] of rules.entries()) {
    const row = c.rows[k];
    const y = labelsFor(p, rule).completed;
    let labelled = 0, completed = 0, agree = 0, onlyRule = 0, onlyReason = 0, test = 0, testDone = 0;
    for (let i = 0; i < p.length; i++) {
      if (ref[i] === null || ref[i] === "unknown") continue;
      labelled++;
      completed += y[i];
      const r = ref[i] === "trackdone" ? 1 : 0;
      if (y[i] === r) agree++;
      else if (y[i] === 1) onlyRule++;
      else onlyReason++;
      if (split.role[i] === 2) {
        test++;
        testDone += y[i];
      }
    }
    assert.equal(row.labelled_plays, labelled);
    assert.equal(row.completed_plays, completed);
    assert.equal(row.base_rate, completed / labelled);
    assert.equal(row.test_plays, test, "one split for every rule");
    assert.equal(row.test_base_rate, testDone / test);
    assert.equal(row.agreement_with_reason_end, agree / labelled);
    assert.equal(row.finished_only_by_rule, onlyRule);
    assert.equal(row.finished_only_by_reason_end, onlyReason);
    assert.ok(row.test_auc !== null && row.test_auc > 0.6 && row.test_auc < 1, `${row.rule}: AUC ${row.test_auc}`);
    assert.ok(row.test_logloss !== null && row.test_logloss > 0);
    const lengths = [row.length_from_track, row.length_from_artist, row.length_from_global, row.length_from_default];
    if (rule.kind === "played-fraction") assert.equal(lengths.reduce((s, n) => (s as number) + (n as number), 0), labelled);
    else assert.deepEqual(lengths, [null, null, null, null]);
  }
  assert.equal(c.rows[0].agreement_with_reason_end, 1);

  // per platform family, for each rule but reason-end
  assert.deepEqual([...new Set(c.byPlatform.map((r) => r.rule))].sort(), ["played-30s", "played-fraction=0.5"]);
  for (const row of c.byPlatform) {
    const rule = rules.find((r) => c.rows[rules.indexOf(r)].rule === row.rule)!;
    const y = labelsFor(p, rule).completed;
    let labelled = 0, disagree = 0;
    for (let i = 0; i < p.length; i++) {
      if (valueAt(p.platformFamily, i) !== row.platform_family || ref[i] === null || ref[i] === "unknown") continue;
      labelled++;
      if (y[i] !== (ref[i] === "trackdone" ? 1 : 0)) disagree++;
    }
    assert.deepEqual([row.labelled, row.disagree], [labelled, disagree], `${row.rule} on ${row.platform_family}`);
  }

  // given the run's own evaluation, the rule it was trained with takes that run's primary model:
  // the same row as a fresh fit (which starts at the closed loop's minimiser), to the tolerance
  const prepared = prepareWithSplit(ingest, split, DEFAULT_PARAMS);
  const trained = await trainModels(prepared, DEFAULT_PARAMS);
  const evaluated = evaluateModels(prepared.features, trained);
  const reused = await compareLabels(ingest, split, DEFAULT_PARAMS, rules, undefined, { run: trained, evaluation: evaluated });
  assert.deepStrictEqual({ ...reused, rows: reused.rows.slice(1) }, { ...c, rows: c.rows.slice(1) });
  const { test_auc: reusedAuc, test_logloss: reusedLoss, ...reusedCounts } = reused.rows[0];
  const { test_auc: freshAuc, test_logloss: freshLoss, ...freshCounts } = c.rows[0];
  assert.deepStrictEqual(reusedCounts, freshCounts);
  assert.ok(Math.abs(reusedAuc! - freshAuc!) < 1e-4 && Math.abs(reusedLoss! - freshLoss!) < 1e-5, `reused ${reusedAuc} / ${reusedLoss}, fresh ${freshAuc} / ${freshLoss}`);
  // (it is taken, not fitted again: a marked copy shows through in reason-end's row alone)
  const marked = { ...evaluated, comparison: evaluated.comparison.map((r) => (r.model === "tfjs_logistic" ? { ...r, test_auc: 0.123 } : r)) };
  const withMarked = await compareLabels(ingest, split, DEFAULT_PARAMS, rules, undefined, { run: trained, evaluation: marked });
  assert.deepEqual(withMarked.rows.map((r) => r.test_auc), [0.123, c.rows[1].test_auc, c.rows[2].test_auc]);
  // a run trained with another seed is not taken for this one's
  const otherSeed = await compareLabels(ingest, split, DEFAULT_PARAMS, rules.slice(0, 1), undefined, { run: { ...trained, budgets: { ...trained.budgets, seed: 7 } }, evaluation: marked });
  assert.equal(otherSeed.rows[0].test_auc, c.rows[0].test_auc);

  // each refit's primary starts at its closed loop's minimiser: no Adam epochs, tfjs's gradient within the tolerance
  const refit = await trainModels(prepared, DEFAULT_PARAMS, undefined, { only: ["tfjs_logistic", "closed_loop_logistic"], primaryFromClosedLoop: true });
  const newton = refit.histories.tfjs_logistic!.newton!;
  assert.equal(refit.histories.tfjs_logistic!.epochsRun, 0);
  assert.ok(newton.converged && newton.iterations <= 1, JSON.stringify(newton));
  await assert.rejects(trainModels(prepared, DEFAULT_PARAMS, undefined, { only: ["tfjs_logistic"], primaryFromClosedLoop: true }), /needs closed_loop_logistic/);

  // outputs
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "label-comparison-"));
  const file = path.join(dir, "label_comparison.csv");
  writeCsv(file, c.rows, LABEL_COMPARISON_COLUMNS);
  assert.deepEqual(validateCsvAgainstSchema(file, readSchema<CsvSchema>(path.join(schemaDir, "label_comparison.csv.schema.json"))), []);
  const json = JSON.parse(JSON.stringify({ primary_model: c.primaryModel, rules: c.rows, by_platform: c.byPlatform })) as unknown;
  assert.deepEqual(validateJsonValue(json, readSchema<JsonSchema>(path.join(schemaDir, "label_comparison.json.schema.json"))), []);
  fs.rmSync(dir, { recursive: true });

  // the sentence is computed from the rows
  const sentence = labelComparisonSentence(c);
  const lo = c.rows.reduce((a, b) => ((b.base_rate as number) < (a.base_rate as number) ? b : a));
  assert.ok(sentence.includes(`${(100 * (lo.base_rate as number)).toFixed(1)}% (${lo.rule})`), sentence);

  // the figure: registered, drawn, with a takeaway naming the largest disagreement
  const data = buildFigureData({ scored: [], models: [], labelDisagreement: c.byPlatform });
  const fig = FIGURES.find((f) => f.id === "label_disagreement_by_platform")!;
  const built = fig.build(data);
  assert.ok("spec" in built);
  assert.match(await renderSvg(built.spec), /^<svg/);
  const worst = c.byPlatform.reduce((a, b) => (b.disagreement > a.disagreement ? b : a));
  assert.match(figureTakeaways(data).label_disagreement_by_platform, new RegExp(`${worst.rule}.* on ${worst.platform_family}`));
  assert.deepEqual(fig.build(buildFigureData({ scored: [], models: [] })), { skipped: "no label comparison (run the pipeline with --compare-labels)" });
});
