import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import Papa from "papaparse";
import * as zlib from "zlib";
import { csvColumnChunks, writeCsvColumns, neutraliseCell, parseCsv, readCsv, restoreCell, toCsv, writeCsv } from "../src/report/csv";
import type { CsvColumn } from "../src/report/csv";

const HOSTILE = [
  "<script>alert(1)</script>",
  '=HYPERLINK("http://x","y")',
  "+cmd",
  "-1+2",
  "@SUM(1)",
  '"quoted, with comma"',
  "line one\nline two",
  "cr\r\nlf",
  "\tTabbed",
  "\rCarriage",
  "emoji 🎧🔥",
  "مرحبا",
  "a|b",
  "'=already quoted",
  "''+two quotes",
  "'plain quote",
  "  padded  ",
];

test("hostile names round-trip exactly through writeCsv/readCsv", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-"));
  const file = path.join(dir, "hostile.csv");
  const rows = HOSTILE.map((name, i) => ({ id: i, name, score: -0.5 * i - 0.25, missing: null }));
  writeCsv(file, rows, ["id", "name", "score", "missing"]);
  const back = readCsv(file);
  assert.equal(back.length, rows.length);
  back.forEach((row, i) => {
    assert.equal(row.name, HOSTILE[i]);
    assert.equal(row.id, i);
    assert.equal(row.score, -0.5 * i - 0.25);
    assert.equal(row.missing, null);
  });
  fs.rmSync(dir, { recursive: true });
});

test("formula triggers in string cells are neutralised; numbers stay numbers", () => {
  const text = toCsv(
    [{ s: "=1+1", n: -0.5 }, { s: "+cmd", n: 3 }, { s: "-1+2", n: 0 }, { s: "@SUM(1)", n: 1e-7 }, { s: "\tx", n: null }],
    ["s", "n"],
  );
  // What a spreadsheet would see: no data cell begins with a trigger character.
  const grid = Papa.parse<string[]>(text.trimEnd(), { delimiter: "," }).data.slice(1);
  for (const [s] of grid) assert.match(s, /^'/, `cell ${JSON.stringify(s)} must be neutralised`);
  assert.deepEqual(grid.map((r) => r[1]), ["-0.5", "3", "0", "1e-7", ""]);
  assert.ok(text.startsWith("s,n\n"));
});

test("neutraliseCell/restoreCell rules", () => {
  assert.equal(neutraliseCell("=x"), "'=x");
  assert.equal(neutraliseCell("'=x"), "''=x");
  assert.equal(neutraliseCell("'x"), "'x");
  assert.equal(neutraliseCell("x=1"), "x=1");
  assert.equal(restoreCell("'x"), "'x");
  assert.equal(restoreCell("''=x"), "'=x");
});

test("typed reading: numbers, nulls, and numeric-looking neutralised strings stay strings", () => {
  const { columns, rows } = parseCsv(toCsv([{ a: "007", b: "-3", c: 12.25, d: "" }], ["a", "b", "c", "d"]));
  assert.deepEqual(columns, ["a", "b", "c", "d"]);
  assert.deepEqual(rows, [{ a: "007", b: "-3", c: 12.25, d: null }]);
});

test("header-only CSV round-trips to zero rows", () => {
  assert.equal(toCsv([], ["a", "b"]), "a,b\n");
  assert.deepEqual(parseCsv("a,b\n"), { columns: ["a", "b"], rows: [] });
});

test("single-column CSV keeps trailing null rows and never guesses another delimiter", () => {
  const text = toCsv([{ x: "a|b;c\td" }, { x: null }, { x: null }], ["x"]);
  assert.deepEqual(parseCsv(text).rows, [{ x: "a|b;c\td" }, { x: null }, { x: null }]);
});

test("property: any string round-trips exactly (untyped read)", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" })), { maxLength: 8 }), (pairs) => {
      const rows = pairs.map(([a, b]) => ({ a, b }));
      const back = parseCsv(toCsv(rows, ["a", "b"]), { typed: false }).rows;
      assert.deepEqual(back, rows);
    }),
    { numRuns: 500 },
  );
});

test("property: written data cells never start with a formula trigger", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      const grid = Papa.parse<string[]>(toCsv([{ a: s }], ["a"]), { delimiter: "," }).data;
      assert.doesNotMatch(grid[1][0], /^[=+\-@\t\r]/);
    }),
    { numRuns: 500 },
  );
});

test("property: a table written column by column is the text of its rows written by toCsv", () => {
  const cell = fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom(...HOSTILE));
  const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -0, 1e21, 5e-12));
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 40 }).chain((n) =>
        fc.record({
          labels: fc.array(cell, { minLength: 1, maxLength: 6 }),
          missing: cell,
          codes: fc.array(fc.integer({ min: -1, max: 7 }), { minLength: n, maxLength: n }),
          numbers: fc.array(number, { minLength: n, maxLength: n }),
          strings: fc.array(fc.option(cell), { minLength: n, maxLength: n }),
        }),
      ),
      ({ labels, missing, codes, numbers, strings }) => {
        const n = codes.length;
        const shown = (code: number) => (code >= 0 && code < labels.length ? labels[code] : missing);
        const rows = Array.from({ length: n }, (_, k) => ({ coded: shown(codes[k]), "=number": numbers[k], text: strings[k] }));
        const columns: CsvColumn[] = [{ codes: Int32Array.from(codes), labels, missing }, { numbers: Float64Array.from(numbers) }, { strings }];
        assert.equal([...csvColumnChunks(["coded", "=number", "text"], columns, n)].join(""), toCsv(rows, ["coded", "=number", "text"]));
      },
    ),
    { numRuns: 300 },
  );
});

test("a column-wise table spans several chunks like its rows", () => {
  const n = 10_000;
  const values = Float64Array.from({ length: n }, (_, k) => k / 7);
  const rows = Array.from(values, (v) => ({ p: v }));
  assert.equal([...csvColumnChunks(["p"], [{ numbers: values }], n)].join(""), toCsv(rows, ["p"]));
});

test("two columns of the same numbers are formatted once and both written", () => {
  const values = Float64Array.from({ length: 5000 }, (_, k) => Math.sin(k));
  const rows = Array.from(values, (v) => ({ a: v, b: v, c: -v }));
  const text = [...csvColumnChunks(["a", "b", "c"], [{ numbers: values }, { numbers: values }, { numbers: rows.map((r) => r.c) }], values.length)].join("");
  assert.equal(text, toCsv(rows, ["a", "b", "c"]));
});

test("writeCsvColumns reports the length and CRC-32 of the file it wrote", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-digest-"));
  const file = path.join(dir, "t.csv");
  const values = Float64Array.from({ length: 20_000 }, (_, k) => k / 3);
  const digest = writeCsvColumns(file, ["v", "label"], [{ numbers: values }, { codes: Int32Array.from(values, (_, k) => k % 3), labels: ["a", "=b"], missing: "" }], values.length);
  const bytes = fs.readFileSync(file);
  assert.deepEqual(digest, { bytes: bytes.length, crc32: zlib.crc32(bytes) });
  fs.rmSync(dir, { recursive: true });
});
