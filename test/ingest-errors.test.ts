import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { zipSync } from "fflate";
import { ingestExport } from "../src/ingest/index";
import { JSON_PIECE_BYTES, decodeText, describePosition, findJsonErrorOffset, parseJson, parseJsonArrayInPieces, parseJsonBytes } from "../src/ingest/json";
import { ACC, EXT, TECH, accountFiles, oldRec, techEvent, tmpDir, writeTree, zipEntries } from "./fixtures/ingest/make-export";

/** Asserts a UserInputError whose message matches every pattern. */
function throwsUser(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.equal(e.name, "UserInputError", `got ${e.name}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.ok(!e.message.includes("\n"), "one paragraph");
    return true;
  });
}

test("a path that does not exist", () => {
  const missing = path.join(tmpDir(), "nope");
  throwsUser(() => ingestExport({ export: missing }), /does not exist/, /nope/);
  throwsUser(() => ingestExport({ extendedDir: missing }), /Extended Streaming History folder/, /nope/);
});

test("no path at all", () => {
  throwsUser(() => ingestExport({}), /No export given/);
});

test("an empty folder, and an extended folder without play files", () => {
  const empty = tmpDir();
  throwsUser(() => ingestExport({ export: empty }), /is empty/, new RegExp(path.basename(empty)));
  const onlyPdf = writeTree(tmpDir(), { "ReadMeFirst_ExtendedStreamingHistory.pdf": "%PDF" });
  throwsUser(() => ingestExport({ extendedDir: onlyPdf }), /contains no play history files/, /Extended streaming history/);
});

test("invalid JSON names the file and the line/column", () => {
  const text = '[\n  {"ts": "2021-01-01T00:00:00Z",\n   "ms_played": 5 "oops": 1}\n]';
  const dir = writeTree(tmpDir(), { [`${EXT}/endsong_3.json`]: text });
  throwsUser(() => ingestExport({ export: dir }), /endsong_3\.json/, /not valid JSON/, /line 3, column 19/);
  // Truncated download
  const dir2 = writeTree(tmpDir(), { [`${EXT}/Streaming_History_Audio_2020_1.json`]: JSON.stringify([oldRec()]).slice(0, 50) });
  throwsUser(() => ingestExport({ export: dir2 }), /Streaming_History_Audio_2020_1\.json/, /unexpected end of the file/);
});

test("lenient skips a broken file with a warning; the rest is read", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [oldRec()],
    [`${EXT}/endsong_1.json`]: "[{]",
    [`${EXT}/endsong_2.json`]: { not: "an array" },
  });
  const r = ingestExport({ export: dir, lenient: true });
  assert.equal(r.report.rowsKept, 1);
  assert.equal(r.report.warnings.length, 2);
  assert.match(r.report.warnings[0], /endsong_1\.json.*not valid JSON.*line 1, column 3/);
  assert.match(r.report.warnings[1], /endsong_2\.json.*object where a list/);
  assert.ok(!r.report.warnings.join(" ").includes(dir), "warnings carry relative paths only");
  assert.deepEqual(r.report.files.filter((f) => f.kind === "error").map((f) => path.basename(f.file)), ["endsong_1.json", "endsong_2.json"]);
});

test("an object where an array belongs names the file", () => {
  const dir = writeTree(tmpDir(), { [`${EXT}/Streaming_History_Audio_2019.json`]: { ts: "2021-01-01T00:00:00Z" } });
  throwsUser(() => ingestExport({ export: dir }), /Streaming_History_Audio_2019\.json/, /JSON object where a list \(JSON array\)/);
  const dir2 = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: [oldRec()], [`${TECH}/ConnectionError.json`]: { a: 1 } });
  throwsUser(() => ingestExport({ export: dir2 }), /ConnectionError\.json/, /JSON object/);
});

test("only Account Data: explains how to request the extended package", () => {
  const dir = writeTree(tmpDir(), accountFiles());
  throwsUser(
    () => ingestExport({ export: dir }),
    /only the Account Data/,
    /Extended streaming history/,
    /Privacy settings/,
    /Download your data/,
    /30 days/,
  );
  throwsUser(() => ingestExport({ accountDir: path.join(dir, ACC) }), /only the Account Data/, /30 days/);
});

test("only technical logs", () => {
  const dir = writeTree(tmpDir(), { [`${TECH}/ConnectionError_Hourly.json`]: [techEvent()] });
  throwsUser(() => ingestExport({ export: dir }), /only the Technical Log Information/, /Extended streaming history/);
});

test("a zip that is not a zip, and an empty zip", () => {
  const dir = tmpDir();
  const fake = path.join(dir, "my_spotify_data.zip");
  fs.writeFileSync(fake, "this is not a zip");
  throwsUser(() => ingestExport({ export: fake }), /my_spotify_data\.zip/, /not a zip archive/);
  const empty = path.join(dir, "empty.zip");
  fs.writeFileSync(empty, zipSync({}));
  throwsUser(() => ingestExport({ export: empty }), /empty\.zip/, /contains no files/);
});

test("a folder or zip with no recognisable Spotify files", () => {
  const files = { "notes.txt": "hello", "data/thing.json": { a: 1 }, "data/list.json": [{ x: 1 }] };
  const dir = writeTree(tmpDir(), files);
  throwsUser(() => ingestExport({ export: dir }), /No recognisable Spotify export files/, new RegExp(path.basename(dir)));
  const zipPath = path.join(tmpDir(), "random.zip");
  fs.writeFileSync(zipPath, zipSync(zipEntries(files)));
  throwsUser(() => ingestExport({ export: zipPath }), /No recognisable Spotify export files/, /random\.zip/);
});

test("JSON error positions come from our scanner, never from V8's message (which quotes content)", () => {
  const cases: Array<[string, number]> = [
    ["[1,2,}", 5],
    ['{"a" 1}', 5],
    ["[1 2]", 3],
    ['["abc\\q"]', 6],
    ["[tru]", 1],
    ["[1,]", 3],
    ["[01]", 2],
    ['{"a":1,}', 7],
    ["[] x", 3],
    ["[", 1],
    ["", 0],
  ];
  for (const [text, offset] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError, text);
    assert.equal(findJsonErrorOffset(text), offset, text);
  }
  const r = parseJson('[{"secret": PLANTED}]');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.where, "line 1, column 13 (character 12)");
    assert.ok(!r.where.includes("PLANTED"));
  }
  assert.equal(describePosition("", 0), "the file is empty");
});

test("a JSON array parsed in pieces is the array parsed whole; anything else is left to the whole parse", () => {
  const bytes = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));
  const whole = (b: Uint8Array) => JSON.parse(decodeText(b).text) as unknown;
  // strings holding the splitter's own bytes (commas, brackets, braces, escaped quotes and
  // backslashes), nesting, non-ASCII text, numbers and literals, odd whitespace
  const records = Array.from({ length: 300 }, (_, k) => ({
    ts: `2024-01-0${(k % 9) + 1}T12:00:00Z`,
    name: k % 5 === 0 ? `a, [b] {c} \\"q\\" \\\\ ${k}` : k % 5 === 1 ? `Björk – 東京 🎵 ${k}` : `track ${k}`,
    nested: { list: [k, [k + 1, { deep: "]}," }], null, true], n: -k * 1.5e-3 },
    ms_played: k * 1000,
  }));
  const texts = [
    JSON.stringify(records),
    JSON.stringify(records, null, 2),
    " \n [ " + records.map((r) => JSON.stringify(r)).join(" ,\r\n\t") + " ] \n ",
    "[]",
    "[ ]",
    "[1]",
    '["a,b", "c]d"]',
  ];
  for (const text of texts) {
    const b = bytes(text);
    for (const piece of [1, 64, 1024, JSON_PIECE_BYTES]) {
      const parsed = parseJsonArrayInPieces(b, piece);
      assert.ok(parsed, `${text.slice(0, 40)}… (${piece}-byte pieces)`);
      assert.deepEqual(parsed, whole(b));
    }
    const viaBytes = parseJsonBytes(b);
    assert.ok(viaBytes.ok && !viaBytes.replacedInvalid);
    assert.deepEqual(viaBytes.ok && viaBytes.value, whole(b));
  }
  // not for the pieces: an object, a scalar, a BOM, trailing text, broken or unbalanced arrays
  // (and a BOM inside the array, which is not JSON whitespace: no piece may drop it)
  for (const text of ['{"a": [1, 2]}', "42", "\uFEFF[1, 2]", "[1, 2] x", "[1, 2", "[1, }, 2]", "[1,, 2]", "[1, 2]]", "", "[\uFEFF1, 2]", "[1,\uFEFF2]"]) {
    assert.equal(parseJsonArrayInPieces(bytes(text), 1), null, JSON.stringify(text));
  }
  // parseJsonBytes then answers as the whole parse does: same value, same error position, same U+FFFD warning
  const bom = bytes("\uFEFF[1, 2]");
  assert.deepEqual(parseJsonBytes(bom), { ok: true, value: [1, 2], replacedInvalid: false });
  const broken = bytes('[{"a": 1},\n {"b": 2}, x]');
  assert.deepEqual(parseJsonBytes(broken), { ...parseJson(decodeText(broken).text), replacedInvalid: false });
  assert.equal(parseJsonBytes(broken).ok, false);
  const invalid = new Uint8Array([...bytes('["ok", "'), 0xff, ...bytes('x"]')]);
  const r = parseJsonBytes(invalid);
  assert.ok(r.ok && r.replacedInvalid);
  assert.deepEqual(r.ok && r.value, ["ok", "\uFFFDx"]);
});
