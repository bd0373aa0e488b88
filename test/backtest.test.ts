/** Rolling-origin backtest: folds in time order, training strictly before testing, rows valid against the optional schema. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ingestExport } from "../src/ingest";
import { BACKTEST_COLUMNS, backtestSummary, runBacktest } from "../src/pipeline/backtest";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { MODEL_NAMES } from "../src/pipeline/train";
import { writeCsv } from "../src/report";
import { readSchema, validateCsvAgainstSchema } from "../src/report/schema";
import type { CsvSchema } from "../src/report/schema";

const root = path.resolve(__dirname, "..");

test("a 2-fold backtest on data-sample: ordered, non-overlapping folds, every model, schema-valid", { timeout: 120_000 }, async () => {
  const ingest = ingestExport({ export: path.join(root, "data-sample") });
  const rows = await runBacktest(ingest, DEFAULT_PARAMS, { folds: 2, foldFraction: 0.1 });
  assert.equal(rows.length, 2 * MODEL_NAMES.length);
  const folds = [0, 1].map((f) => rows.filter((r) => r.fold === f));
  for (const fold of folds) assert.deepEqual(fold.map((r) => r.model), MODEL_NAMES);
  // Fold 0's test block ends where fold 1's begins; fold 1 trains on more plays.
  assert.equal(folds[0][0].test_end, folds[1][0].test_start);
  assert.ok(folds[1][0].train_plays > folds[0][0].train_plays);
  for (const r of rows) assert.ok(r.test_start < r.test_end);
  for (const r of rows.filter((r) => r.model === "tfjs_logistic")) assert.ok((r.test_auc ?? 0) > 0.6, `fold ${r.fold} AUC ${r.test_auc}`);

  const summary = backtestSummary(rows).find((s) => s.model === "tfjs_logistic")!;
  const aucs = folds.map((f) => f[0].test_auc as number);
  assert.equal(summary.mean_auc, (aucs[0] + aucs[1]) / 2);
  assert.equal(summary.min_auc, Math.min(...aucs));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backtest-"));
  const file = path.join(dir, "backtest.csv");
  writeCsv(file, rows, BACKTEST_COLUMNS);
  const schema = readSchema<CsvSchema>(path.join(root, "outputs-template", "schema", "optional", "backtest.csv.schema.json"));
  assert.deepEqual(validateCsvAgainstSchema(file, schema), []);
  fs.rmSync(dir, { recursive: true });
});
