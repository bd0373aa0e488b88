/**
 * The output-schema validator (src/report/schema.ts) on small hand-made files: it accepts
 * what the writers produce and reports each kind of problem. No pipeline run.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeCsv } from "../src/report/csv";
import { validateCsvAgainstSchema, validateJsonAgainstSchema, validateJsonValue } from "../src/report/schema";
import type { CsvSchema, JsonSchema } from "../src/report/schema";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "schema-test-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SCHEMA: CsvSchema = {
  columns: [
    { name: "track", type: "string", nullable: true, required: true },
    { name: "n", type: "integer", nullable: false, required: true, minimum: 0 },
    { name: "ok", type: "boolean", nullable: false, required: true },
    { name: "p", type: "probability", nullable: false, required: true },
    { name: "x", type: "number", nullable: true, required: false },
    { name: "split", type: "string", nullable: false, required: true, enum: ["train", "test"] },
  ],
};

function csvFile(name: string, rows: Record<string, string | number | boolean | null>[], columns: string[]): string {
  const file = path.join(tmp, name);
  writeCsv(file, rows, columns);
  return file;
}

test("a CSV written by writeCsv validates; numeric-looking and formula-like strings stay strings", () => {
  const file = csvFile("good.csv", [
    { track: "1984", n: 3, ok: true, p: 0.25, x: -1.5e-7, split: "test" },
    { track: "-=cmd", n: 0, ok: false, p: 1, x: null, split: "train" },
    { track: null, n: 7, ok: true, p: 0, x: 2, split: "test" },
  ], ["track", "n", "ok", "p", "x", "split"]);
  assert.deepEqual(validateCsvAgainstSchema(file, SCHEMA), []);
  // An optional column may be absent.
  const noX = csvFile("no-x.csv", [{ track: "a", n: 1, ok: true, p: 0.5, split: "test" }], ["track", "n", "ok", "p", "split"]);
  assert.deepEqual(validateCsvAgainstSchema(noX, SCHEMA), []);
});

test("CSV problems: missing/extra/out-of-order columns, types, nulls, ranges, enums", () => {
  const header = csvFile("header.csv", [{ n: 1, track: "a", ok: true, extra: 1, split: "test" }], ["n", "track", "ok", "extra", "split"]);
  const h = validateCsvAgainstSchema(header, SCHEMA).join("\n");
  assert.match(h, /missing required column p/);
  assert.match(h, /unexpected columns extra/);
  assert.match(h, /columns out of order/);

  const cells = csvFile("cells.csv", [
    { track: "a", n: 1.5, ok: "yes", p: 1.2, x: "abc", split: "valid" },
    { track: "b", n: -1, ok: true, p: null, x: 1, split: "test" },
  ], ["track", "n", "ok", "p", "x", "split"]);
  const c = validateCsvAgainstSchema(cells, SCHEMA).join("\n");
  assert.match(c, /row 1 column n: "1.5" is not an integer/);
  assert.match(c, /row 1 column ok: "yes" is not true\/false/);
  assert.match(c, /row 1 column p: 1.2 is not a probability/);
  assert.match(c, /row 1 column x: "abc" is not a finite number/);
  assert.match(c, /row 1 column split: "valid" is not one of/);
  assert.match(c, /row 2 column n: -1 < minimum 0/);
  assert.match(c, /row 2 column p: empty but the column is not nullable/);

  assert.match(validateCsvAgainstSchema(path.join(tmp, "absent.csv"), SCHEMA)[0], /cannot read/);
});

test("JSON: required keys, types, nullable, $ref, additionalProperties, NaN in the text", () => {
  const schema: JsonSchema = {
    $defs: { metric: { type: ["number", "null"] } },
    type: "object",
    required: ["n", "auc", "rows"],
    additionalProperties: false,
    properties: {
      n: { type: "integer" },
      auc: { $ref: "#/$defs/metric" },
      rows: { type: "array", minItems: 1, items: { type: "object", required: ["model"], properties: { model: { type: "string", enum: ["a", "b"] } } } },
    },
  };
  assert.deepEqual(validateJsonValue({ n: 3, auc: null, rows: [{ model: "a" }] }, schema), []);
  assert.deepEqual(validateJsonValue({ n: 3, auc: 0.7, rows: [{ model: "b" }] }, schema), []);
  const p = validateJsonValue({ n: 2.5, auc: "x", rows: [{ model: "c" }, {}], extra: 1 }, schema).join("\n");
  assert.match(p, /\$\.n: expected integer, got number 2.5/);
  assert.match(p, /\$\.auc: expected number or null, got string/);
  assert.match(p, /\$\.rows\[0\]\.model: "c" is not one of/);
  assert.match(p, /\$\.rows\[1\]: missing required key model/);
  assert.match(p, /unexpected key extra/);
  assert.match(validateJsonValue({ n: 1, auc: Infinity, rows: [{ model: "a" }] }, schema).join("\n"), /non-finite/);
  assert.match(validateJsonValue({ n: 1, auc: 0.5, rows: [] }, schema).join("\n"), /0 items, expected at least 1/);

  const nanFile = path.join(tmp, "nan.json");
  fs.writeFileSync(nanFile, '{"n": 1, "auc": NaN, "rows": [{"model": "a"}]}');
  assert.match(validateJsonAgainstSchema(nanFile, schema)[0], /not valid JSON/);
});
