/**
 * Bad-input corpus: every damaged, degenerate or duplicated export either yields a
 * UserInputError naming the file/folder and the problem, or a correct result whose
 * report says what was skipped and counted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import fsModuleObject from "fs";
import * as path from "path";
import { zipSync } from "fflate";
import { ingestExport } from "../src/ingest/index";
import type { IngestResult } from "../src/ingest/types";
import { runPipeline } from "../src/pipeline/run";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { assertCliUserError, runCli } from "./helpers/cli";
import {
  ACC,
  EXT,
  TECH,
  accountFiles,
  extendedExport,
  listFiles,
  oldRec,
  plays,
  rawExtendedExport,
  techEvent,
  tmpDir,
  writeTree,
  zipEntries,
} from "./fixtures/bad/make-bad";
import { makeTechlogExport } from "./fixtures/bad/make-techlog";

// ---------------------------------------------------------------- helpers

/** Asserts a UserInputError, one paragraph, whose message matches every pattern. */
function throwsUser(fn: () => unknown, ...patterns: RegExp[]): string {
  let message = "";
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, "an Error");
    assert.equal(e.name, "UserInputError", `expected UserInputError, got ${e.name}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.ok(!e.message.includes("\n"), "one paragraph");
    message = e.message;
    return true;
  });
  return message;
}

async function rejectsUser(p: Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  let message = "";
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof Error, "an Error");
    assert.equal(e.name, "UserInputError", `expected UserInputError, got ${e.name}: ${e.stack}`);
    for (const pat of patterns) assert.match(e.message, pat);
    message = e.message;
    return true;
  });
  return message;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const sumDropped = (r: IngestResult): number => Object.values(r.report.dropped).reduce((a, b) => a + b, 0);

function assertBalanced(r: IngestResult): void {
  assert.equal(r.report.rowsRead, r.report.rowsKept + sumDropped(r), "rowsRead === rowsKept + sum(dropped)");
  assert.equal(r.plays.length, r.report.rowsKept);
}

/** Every JSON output parses and holds no NaN/Infinity (as text or as the strings JSON.stringify would have hidden). */
function assertCleanJsonOutputs(outDir: string): void {
  const jsons = listFiles(outDir).filter((f) => f.endsWith(".json"));
  assert.ok(jsons.length >= 3, `JSON outputs in ${outDir}`);
  for (const f of jsons) {
    const text = fs.readFileSync(f, "utf8");
    assert.doesNotThrow(() => JSON.parse(text), f);
    assert.doesNotMatch(text, /\bNaN\b|\bInfinity\b/, `${path.basename(f)} holds NaN/Infinity`);
  }
  for (const f of listFiles(outDir).filter((x) => x.endsWith(".csv") || x.endsWith(".md"))) {
    assert.doesNotMatch(fs.readFileSync(f, "utf8"), /\bNaN\b/, `${path.basename(f)} holds NaN`);
  }
}

/**
 * Null test metrics in model_metrics.json (top-level and per model) each carry a reason in
 * the flat `null_reasons` map ("test.auc", "models.tfjs_logistic.test.auc"...). Returns that map.
 */
const METRIC_KEYS = ["auc", "pr_auc", "logloss", "brier", "ece", "accuracy", "f1"];

function assertNullsExplained(outDir: string): Record<string, string> {
  const m = JSON.parse(fs.readFileSync(path.join(outDir, "model_metrics.json"), "utf8")) as {
    test: Record<string, unknown>;
    models: Record<string, { test: Record<string, unknown> }>;
    null_reasons: Record<string, string>;
  };
  const check = (prefix: string, obj: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(obj)) {
      // n / completion_rate / reliability are data summaries, not metrics: null there is self-explaining (n = 0).
      if (v === null && METRIC_KEYS.includes(k)) assert.equal(typeof m.null_reasons[`${prefix}.${k}`], "string", `${prefix}.${k} is null without a reason`);
    }
  };
  check("test", m.test);
  for (const [name, model] of Object.entries(m.models)) check(`models.${name}.test`, model.test);
  return m.null_reasons;
}

// ---------------------------------------------------------------- damaged files

test("truncated JSON: names the file, says where and what to do", () => {
  const text = JSON.stringify(plays(20), null, 2);
  const { dir } = rawExtendedExport(text.slice(0, Math.floor(text.length * 0.6)), "Streaming_History_Audio_2022_3.json");
  throwsUser(
    () => ingestExport({ export: dir }),
    /"Spotify Extended Streaming History\/Streaming_History_Audio_2022_3\.json"/,
    /not valid JSON/,
    /unexpected end of the file/,
    /download or unzip it again/,
  );
});

test("an empty file: names the file and says it is empty; lenient skips it with a warning", () => {
  const dir = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: plays(5), [`${EXT}/endsong_1.json`]: "" });
  throwsUser(() => ingestExport({ export: dir }), /endsong_1\.json/, /the file is empty/);
  const r = ingestExport({ export: dir, lenient: true });
  assert.equal(r.report.rowsKept, 5);
  assert.equal(r.report.warnings.length, 1);
  assert.match(r.report.warnings[0], /endsong_1\.json.*the file is empty/);
  assertBalanced(r);
});

test("a whitespace-only file and a zero-byte unknown JSON file", () => {
  const dir = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: " \n\t " });
  throwsUser(() => ingestExport({ export: dir }), /endsong_0\.json/, /the file is empty/);
  // An unrecognised (unimportant) JSON file that is empty is only a warning.
  const dir2 = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: plays(3), "notes.json": "" });
  const r = ingestExport({ export: dir2 });
  assert.equal(r.report.rowsKept, 3);
  assert.ok(r.report.warnings.some((w) => /notes\.json.*not valid JSON.*ignored/.test(w)), r.report.warnings.join("|"));
});

test("a JSON object (or scalar) where an array belongs names the file", () => {
  const dir = extendedExport({ ts: "2021-01-01T00:00:00Z", ms_played: 1 });
  throwsUser(() => ingestExport({ export: dir }), /Streaming_History_Audio_2022_0\.json/, /JSON object where a list \(JSON array\) of records belongs/);
  const dir2 = extendedExport(42);
  throwsUser(() => ingestExport({ export: dir2 }), /Streaming_History_Audio_2022_0\.json/, /JSON number where a list/);
  const dir3 = extendedExport(null, {}, "endsong_0.json");
  throwsUser(() => ingestExport({ export: dir3 }), /endsong_0\.json/, /JSON null where a list/);
});

test("Account Data files of the wrong shape (null, {}, an array) are skipped with a warning, not a crash", () => {
  for (const [name, content] of [
    ["Playlist1.json", null],
    ["Playlist1.json", {}],
    ["Playlist2.json", [1, 2]],
    ["YourLibrary.json", null],
    ["YourLibrary.json", { tracks: "x" }],
  ] as const) {
    const r = ingestExport({ export: writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: plays(3), [`${ACC}/${name}`]: content }) });
    assert.equal(r.report.rowsKept, 3, name);
    assert.equal(r.report.warnings.length, 1, `${name}: ${r.report.warnings.join("|")}`);
    assert.match(r.report.warnings[0], new RegExp(`${esc(name)}" is not an object with a "(playlists|tracks)" list.*ignored`));
    assert.equal(r.report.files.find((f) => f.file.endsWith(name))?.kind, "ignored");
    assert.equal(r.report.account.playlists, 0);
  }
});

// ---------------------------------------------------------------- bad records

test("wrong-typed records are counted as invalid-record with a warning naming file, index and field", () => {
  const good = plays(6);
  const records = [
    ...good,
    { ...oldRec(), ms_played: "abc" },
    { ...oldRec(), ts: "not a date" },
    { ...oldRec(), ts: "2021-02-30T25:61:00Z" },
    { ...oldRec(), shuffle: "yes" },
    { ...oldRec(), ms_played: -5 },
    { ...oldRec(), spotify_track_uri: 12345 },
    "a string, not a record",
    null,
    [1, 2, 3],
  ];
  const dir = extendedExport(records, {}, "endsong_7.json");
  const r = ingestExport({ export: dir });
  assert.equal(r.report.rowsRead, records.length);
  assert.equal(r.report.rowsKept, 6);
  assert.equal(r.report.dropped["invalid-record"], 9);
  assertBalanced(r);
  assert.equal(r.report.warnings.length, 1);
  assert.match(r.report.warnings[0], /endsong_7\.json.*9 invalid record\(s\) dropped; first at index 6, field "ms_played"/);
  assert.ok(!r.report.warnings[0].includes("abc"), "never the value");
  const fileRow = r.report.files.find((f) => f.file.endsWith("endsong_7.json"));
  assert.match(fileRow?.note ?? "", /kept 6; dropped invalid-record 9/);
  // strictRecords turns the first one into a UserInputError
  throwsUser(() => ingestExport({ export: dir, strictRecords: true }), /endsong_7\.json/, /index 6, field "ms_played"/);
  // each bad field is named when it is the first
  for (const [rec, field] of [
    [{ ...oldRec(), ts: "not a date" }, "ts"],
    [{ ...oldRec(), shuffle: "yes" }, "shuffle"],
  ] as const) {
    const w = ingestExport({ export: extendedExport([rec, ...plays(2)]) }).report.warnings.join(" ");
    assert.match(w, new RegExp(`first at index 0, field "${field}"`));
  }
});

test("an absurd ms_played (start before year 0 / outside the Date range) is an invalid record, not a crash", () => {
  const records = [...plays(3), oldRec({ ms_played: 8_641_199_145_600_001 }), oldRec({ ms_played: 1e300 }), oldRec({ ms_played: 4e12 })];
  const r = ingestExport({ export: extendedExport(records) });
  assert.equal(r.report.rowsKept, 3);
  assert.equal(r.report.dropped["invalid-record"], 3);
  assert.match(r.report.warnings.join(" "), /3 invalid record\(s\) dropped; first at index 3, field "ms_played"/);
  assert.ok(r.report.dateRange && r.report.dateRange.first.startsWith("2022-"));
});

test("unknown extra fields are ignored and the rows kept", () => {
  const records = plays(10).map((r, i) => ({ ...r, brand_new_field_2026: { nested: [i] }, another: "x".repeat(i) }));
  const r = ingestExport({ export: extendedExport(records) });
  assert.equal(r.report.rowsKept, 10);
  assert.equal(sumDropped(r), 0);
  assert.deepEqual(r.report.warnings, []);
});

test("all fields null: invalid (ts is never null) or, with ts and ms_played, counted as no-track-uri", () => {
  const allNull = Object.fromEntries(Object.keys(oldRec()).map((k) => [k, null]));
  const tsOnly = { ...allNull, ts: "2022-01-01T00:00:00Z", ms_played: 1000 };
  const r = ingestExport({ export: extendedExport([allNull, allNull, tsOnly, ...plays(3)]) });
  assert.equal(r.report.rowsRead, 6);
  assert.equal(r.report.dropped["invalid-record"], 2);
  assert.equal(r.report.dropped["no-track-uri"], 1);
  assert.equal(r.report.rowsKept, 3);
  assertBalanced(r);
  assert.match(r.report.warnings.join(" "), /2 invalid record\(s\) dropped; first at index 0, field "ts"/);
  // Only null records: the export has no music plays, the pipeline says so.
  const dir = extendedExport([allNull, allNull]);
  const r2 = ingestExport({ export: dir });
  assert.equal(r2.report.rowsKept, 0);
  assert.equal(r2.report.dropped["invalid-record"], 2);
});

test("non-UTF-8 bytes in a name: replaced, warned about, row kept", () => {
  const json = JSON.stringify(plays(4), null, 2);
  const target = '"Track 0"';
  const at = json.indexOf(target);
  const bytes = Buffer.concat([Buffer.from(json.slice(0, at + 7)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(json.slice(at + 7))]);
  const { dir } = rawExtendedExport(bytes, "endsong_2.json");
  const r = ingestExport({ export: dir });
  assert.equal(r.report.rowsKept, 4);
  assert.match(r.report.warnings.join(" "), /endsong_2\.json.*not valid UTF-8.*replaced/);
  const names = r.plays.trackName.values;
  assert.ok(names.some((n) => n.startsWith("Track") && n.includes("\uFFFD")), names.join("|"));
});

test("a 10 MB track name works and is not quadratic", () => {
  const huge = "Ü".repeat(5 * 1024 * 1024); // 10 MB of UTF-8
  const records = [...plays(50), oldRec({ master_metadata_track_name: huge, ts: "2022-02-01T00:00:00Z" }), oldRec({ master_metadata_track_name: huge, ts: "2022-02-01T00:10:00Z" })];
  const dir = extendedExport(records);
  const t0 = Date.now();
  const r = ingestExport({ export: dir });
  const ms = Date.now() - t0;
  assert.equal(r.report.rowsKept, 52);
  assert.ok(r.plays.trackName.values.includes(huge));
  assert.ok(ms < 5000, `took ${ms} ms`);
  // A truncated file ending inside that name: the error scan is linear too.
  const { dir: d2 } = rawExtendedExport(JSON.stringify(records).slice(0, 8 * 1024 * 1024));
  const t1 = Date.now();
  throwsUser(() => ingestExport({ export: d2 }), /Streaming_History_Audio_2022_0\.json/, /unexpected end of the file/);
  assert.ok(Date.now() - t1 < 5000, `error path took ${Date.now() - t1} ms`);
  for (const d of [dir, d2]) fs.rmSync(d, { recursive: true, force: true });
});

test("100k identical records: 1 kept, 99,999 duplicates", () => {
  const one = JSON.stringify(oldRec({ ts: "2022-03-01T10:00:00Z" }));
  const text = `[${Array(100_000).fill(one).join(",")}]`;
  const { dir } = rawExtendedExport(text);
  const t0 = Date.now();
  const r = ingestExport({ export: dir });
  assert.equal(r.report.rowsRead, 100_000);
  assert.equal(r.report.rowsKept, 1);
  assert.equal(r.report.dropped.duplicate, 99_999);
  assertBalanced(r);
  assert.match(r.report.files[0].note ?? "", /kept 1; dropped duplicate 99999/);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- folders and zips

test("a missing package folder names the option and the path", () => {
  const base = tmpDir();
  const missing = path.join(base, "Spotify Extended Streaming History");
  throwsUser(() => ingestExport({ extendedDir: missing }), /Extended Streaming History folder/, new RegExp(esc(missing)), /does not exist/, /extendedDir/);
  throwsUser(() => ingestExport({ export: path.join(base, "my_spotify_data") }), /export path/, /my_spotify_data/, /does not exist/);
  // the other given folders are fine: still an error for the missing one
  const dir = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: plays(3) });
  throwsUser(() => ingestExport({ extendedDir: path.join(dir, EXT), techDir: path.join(dir, TECH) }), /Technical Log Information folder/, /techDir/, /does not exist/);
});

test("an empty package folder names it and says it is empty", () => {
  const dir = tmpDir();
  fs.mkdirSync(path.join(dir, EXT));
  throwsUser(() => ingestExport({ extendedDir: path.join(dir, EXT) }), new RegExp(esc(path.join(dir, EXT))), /is empty/);
  // An export folder whose only package folder is empty
  throwsUser(() => ingestExport({ export: dir }), new RegExp(esc(dir)), /is empty/);
  // An extended folder holding only hidden/macOS files counts as empty
  writeTree(dir, { [`${EXT}/.DS_Store`]: "x", [`${EXT}/__MACOSX/._endsong_0.json`]: "x" });
  throwsUser(() => ingestExport({ extendedDir: path.join(dir, EXT) }), /is empty/);
});

test("only the Account Data package: says so and how to request Extended streaming history", () => {
  const dir = writeTree(tmpDir(), accountFiles());
  throwsUser(() => ingestExport({ export: dir }), new RegExp(esc(dir)), /only the Account Data/, /Extended streaming history/, /Privacy settings/, /Download your data/);
  // given as a zip too
  const zip = path.join(tmpDir(), "my_spotify_data.zip");
  fs.writeFileSync(zip, zipSync(zipEntries(Object.fromEntries(Object.entries(accountFiles()).map(([k, v]) => [`MyData/${k.split("/").pop()}`, v])))));
  throwsUser(() => ingestExport({ export: zip }), /my_spotify_data\.zip/, /only the Account Data/, /Extended streaming history/);
});

test("only the Technical Log Information package", () => {
  const dir = writeTree(tmpDir(), {
    [`${TECH}/ConnectionError.json`]: [techEvent()],
    [`${TECH}/PlaybackError_Hourly.json`]: [techEvent()],
  });
  throwsUser(() => ingestExport({ export: dir }), new RegExp(esc(dir)), /only the Technical Log Information/, /no play history/, /Extended streaming history/);
  throwsUser(() => ingestExport({ techDir: path.join(dir, TECH) }), /only the Technical Log Information/);
});

test("a zip with extra nesting works", () => {
  const files = { [`${EXT}/Streaming_History_Audio_2022_0.json`]: plays(30), ...accountFiles(), [`${TECH}/Stutter.json`]: [techEvent()] };
  const nested: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(files)) nested[`downloads/2024/my_spotify_data/${k}`] = v;
  const zip = path.join(tmpDir(), "my_spotify_data.zip");
  fs.writeFileSync(zip, zipSync(zipEntries(nested)));
  const r = ingestExport({ export: zip });
  assert.equal(r.report.rowsKept, 30);
  assert.equal(r.report.account.libraryTracks, 2);
  assert.equal(r.report.tech.stutter, 1);
  // and a folder holding a zip that holds a folder
  const outer = tmpDir();
  fs.copyFileSync(zip, path.join(outer, "my_spotify_data.zip"));
  assert.equal(ingestExport({ export: outer }).report.rowsKept, 30);
});

test("a file named .zip that is not a zip", () => {
  const p = path.join(tmpDir(), "my_spotify_data.zip");
  fs.writeFileSync(p, "<html>Download expired</html>");
  throwsUser(() => ingestExport({ export: p }), new RegExp(esc(p)), /is not a zip archive/, /as downloaded from Spotify/);
  // truncated real zip (damaged table of contents)
  const real = zipSync(zipEntries({ [`${EXT}/endsong_0.json`]: plays(20) }));
  fs.writeFileSync(p, real.subarray(0, Math.floor(real.length / 2)));
  throwsUser(() => ingestExport({ export: p }), new RegExp(esc(p)), /damaged zip|cannot be unpacked/);
  // a not-a-zip .zip inside an export folder
  const dir = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: plays(3), "extra.zip": "not a zip" });
  throwsUser(() => ingestExport({ export: dir }), /extra\.zip/, /is not a zip archive/);
});

// ---------------------------------------------------------------- the same export twice

function fullExport(): Record<string, unknown> {
  return {
    [`${EXT}/Streaming_History_Audio_2022_0.json`]: plays(40),
    [`${EXT}/Streaming_History_Audio_2022_1.json`]: plays(30, { startIso: "2022-05-01T10:00:00Z" }),
    ...accountFiles(),
    [`${TECH}/ConnectionError.json`]: [techEvent(), techEvent({ timestamp_utc: "2022-01-01T00:00:00.000Z" })],
    [`${TECH}/Stutter.json`]: [techEvent({ timestamp_utc: "2022-01-02T00:00:00.000Z" })],
  };
}

function sameCounts(a: IngestResult, b: IngestResult): void {
  assert.equal(b.report.rowsKept, a.report.rowsKept);
  assert.deepEqual(Array.from(b.plays.startMs), Array.from(a.plays.startMs));
  assert.deepEqual(b.report.labelCoverage, a.report.labelCoverage);
  assert.deepEqual(b.report.account, a.report.account);
  assert.deepEqual(b.report.tech.connectionError, a.report.tech.connectionError);
  assert.deepEqual(b.report.tech.stutter, a.report.tech.stutter);
  assert.equal(b.account.playlistMemberships.length, a.account.playlistMemberships.length);
  assert.equal(b.tech.connectionError.length, a.tech.connectionError.length);
}

test("the same export twice (two subfolders; zip plus its unzipped folder; export + package option) is not double counted", () => {
  const single = ingestExport({ export: writeTree(tmpDir(), fullExport()) });
  assert.equal(single.report.rowsKept, 70);

  const twoCopies: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fullExport())) {
    twoCopies[`first download/${k}`] = v;
    twoCopies[`second download/${k}`] = v;
  }
  const r1 = ingestExport({ export: writeTree(tmpDir(), twoCopies) });
  sameCounts(single, r1);
  assert.equal(r1.report.rowsRead, 140);
  assert.equal(r1.report.dropped.duplicate, 70);
  assertBalanced(r1);
  assert.ok(r1.report.files.some((f) => f.kind === "skipped-duplicate" && /second download/.test(f.file)));

  const dir = writeTree(tmpDir(), fullExport());
  fs.writeFileSync(path.join(dir, "my_spotify_data.zip"), zipSync(zipEntries(fullExport())));
  const r2 = ingestExport({ export: dir });
  sameCounts(single, r2);
  assert.equal(r2.report.dropped.duplicate, 70);
  assertBalanced(r2);

  const d3 = writeTree(tmpDir(), fullExport());
  const r3 = ingestExport({ export: d3, extendedDir: path.join(d3, EXT), techDir: path.join(d3, TECH), accountDir: path.join(d3, ACC) });
  sameCounts(single, r3);
  assert.equal(r3.report.dropped.duplicate, 70);
});

// ---------------------------------------------------------------- pipeline on degenerate exports

test("pipeline, no labelled plays (all reason_end null): UserInputError naming the export and the problem; CLI exit 1", async () => {
  const dir = extendedExport(plays(80, { reasonEnd: () => null }));
  const out = path.join(tmpDir(), "out");
  await rejectsUser(runPipeline({ export: dir }, out, DEFAULT_PARAMS), new RegExp(esc(dir)), /80 music plays/, /none .*reason_end/i, /Extended streaming history/i);
  assert.ok(!fs.existsSync(path.join(out, "model_metrics.json")), "no half-written outputs");
  const cli = await runCli(["--export", dir, "--output-dir", out]);
  assertCliUserError(cli, new RegExp(esc(dir)), /reason_end/);
  // the same for reason_end "unknown"
  await rejectsUser(runPipeline({ export: extendedExport(plays(30, { reasonEnd: () => "unknown" })) }, out, DEFAULT_PARAMS), /reason_end/);
});

test("pipeline, export whose records are all dropped: says what was dropped", async () => {
  const allNull = Object.fromEntries(Object.keys(oldRec()).map((k) => [k, null]));
  const dir = extendedExport([allNull, allNull, allNull]);
  await rejectsUser(runPipeline({ export: dir }, tmpDir(), DEFAULT_PARAMS), new RegExp(esc(dir)), /no music plays/, /3 records read/, /invalid-record 3/);
});

test("pipeline, one class only (all trackdone / all fwdbtn): metrics null with reasons, no NaN in outputs", async () => {
  for (const reason of ["trackdone", "fwdbtn"]) {
    const out = path.join(tmpDir(), "out");
    const o = await runPipeline({ export: extendedExport(plays(120, { reasonEnd: () => reason })) }, out, DEFAULT_PARAMS);
    const ev = o.results.evaluation;
    assert.ok(ev.testRows > 0);
    for (const row of ev.comparison) assert.equal(row.test_auc, null, `${row.model} AUC`);
    assert.equal(ev.parity.agree, null);
    const reasons = assertNullsExplained(out);
    assert.match(reasons["test.auc"], /only one class/);
    assert.match(reasons["models.tfjs_logistic.test.auc"], /only one class/);
    assertCleanJsonOutputs(out);
  }
});

test("pipeline, a single session / a single day / all plays in one hour: well-defined outputs", async () => {
  const cases = {
    session: plays(60, { gapMs: 1000 }),
    day: plays(150, { gapMs: (i) => (i % 20 === 19 ? 45 * 60_000 : 5000), msPlayed: () => 120_000 }),
    hour: plays(100, { gapMs: 0, msPlayed: () => 30_000 }),
  };
  for (const [name, records] of Object.entries(cases)) {
    const out = path.join(tmpDir(), `out-${name}`);
    const o = await runPipeline({ export: extendedExport(records) }, out, DEFAULT_PARAMS);
    assert.equal(o.results.prepared.ingest.report.rowsKept, records.length, name);
    assert.ok(o.results.evaluation.testRows > 0, name);
    assert.ok(fs.existsSync(path.join(out, "figures", "dashboard.html")), name);
    assertNullsExplained(out);
    assertCleanJsonOutputs(out);
  }
});

test("pipeline, one or two labelled plays: empty validation/test windows give null metrics with reasons", async () => {
  const out = path.join(tmpDir(), "out");
  const o = await runPipeline({ export: extendedExport(plays(50, { reasonEnd: (i) => (i === 10 ? "trackdone" : i === 20 ? "fwdbtn" : null) })) }, out, DEFAULT_PARAMS);
  assert.equal(o.results.evaluation.testRows, 0);
  const reasons = assertNullsExplained(out);
  assert.match(reasons["test.auc"], /no rows/);
  assertCleanJsonOutputs(out);
  // all labelled plays start at one instant: no training window
  const same = plays(20).map((r) => ({ ...r, ts: "2022-01-01T10:00:00Z", ms_played: 1000 }));
  await rejectsUser(runPipeline({ export: extendedExport(same) }, tmpDir(), DEFAULT_PARAMS), /no training plays/, /share one start time/);
});

test("CLI: bad inputs exit 1 with a one-paragraph message and no stack trace", async () => {
  const out = path.join(tmpDir(), "out");
  const notZip = path.join(tmpDir(), "my_spotify_data.zip");
  fs.writeFileSync(notZip, "nope");
  const { dir: truncated } = rawExtendedExport(JSON.stringify(plays(5)).slice(0, 100));
  const cases: Array<[string[], RegExp[]]> = [
    [["--export", path.join(tmpDir(), "missing")], [/does not exist/]],
    [["--export", notZip], [/my_spotify_data\.zip/, /not a zip/]],
    [["--export", truncated], [/Streaming_History_Audio_2022_0\.json/, /not valid JSON/]],
    [["--export", writeTree(tmpDir(), accountFiles())], [/only the Account Data/]],
    [["--extended-dir", tmpDir()], [/is empty/]],
  ];
  for (const [args, patterns] of cases) assertCliUserError(await runCli([...args, "--output-dir", out]), ...patterns);
});

// ---------------------------------------------------------------- files no stage reads

test("files no stage reads are listed by name and size, never opened: an empty or damaged one does not stop a run", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: plays(5),
    [`${TECH}/AudioSessionEvent_Hourly.json`]: "",
    [`${TECH}/ConnectionInfo_Hourly.json`]: "{broken",
    [`${TECH}/ConnectionError_Hourly.json`]: [techEvent()],
    [`${ACC}/StreamingHistory_music_0.json`]: "[{",
  });
  const r = ingestExport({ export: dir });
  assert.deepEqual(r.report.warnings, []);
  const listed = (name: string) => r.report.files.find((f) => f.file.endsWith(name));
  assert.deepEqual(listed("AudioSessionEvent_Hourly.json"), {
    package: "tech", file: `${TECH}/AudioSessionEvent_Hourly.json`, kind: "tech:AudioSessionEvent", rows: 0, bytes: 0, variant: "_Hourly naming", note: "not read (0 bytes): no stage uses these events",
  });
  assert.deepEqual(listed("ConnectionInfo_Hourly.json"), {
    package: "tech", file: `${TECH}/ConnectionInfo_Hourly.json`, kind: "tech:ConnectionInfo", rows: 0, bytes: 7, variant: "_Hourly naming", note: "not read (7 bytes): no stage uses these events",
  });
  assert.deepEqual(listed("StreamingHistory_music_0.json"), {
    package: "account", file: `${ACC}/StreamingHistory_music_0.json`, kind: "account-streaming-history", rows: 0, bytes: 2, note: "not read (2 bytes): no end reasons or URIs, so no stage uses it",
  });
  assert.deepEqual(r.report.unread, { files: 3, bytes: 9 });
  assert.equal(r.report.tech.connectionError, 1);
  assert.deepEqual({ eventFiles: r.report.tech.eventFiles, otherEventFiles: r.report.tech.otherEventFiles }, { eventFiles: 3, otherEventFiles: 2 });
  // A file a stage does read still fails loudly when damaged.
  fs.writeFileSync(path.join(dir, TECH, "ConnectionError_Hourly.json"), "");
  throwsUser(() => ingestExport({ export: dir }), /ConnectionError_Hourly\.json/, /the file is empty/);
});

test("a technical-log package of real shape (180 files, 176 unused, 4 large): only the files a stage uses are opened", () => {
  const made = makeTechlogExport({ largeMb: 1, files: 180 });
  // The fs module object itself (the default import; the namespace import is read-only), to watch which files are opened.
  const fsModule = fsModuleObject as { openSync: typeof fs.openSync; readFileSync: typeof fs.readFileSync };
  const opened: string[] = [];
  const { openSync, readFileSync } = fsModule;
  fsModule.openSync = ((p: fs.PathLike, ...rest: unknown[]) => (opened.push(String(p)), (openSync as (...a: unknown[]) => number)(p, ...rest)));
  fsModule.readFileSync = ((p: fs.PathLike, ...rest: unknown[]) => (opened.push(String(p)), (readFileSync as (...a: unknown[]) => unknown)(p, ...rest))) as typeof fs.readFileSync;
  let r: IngestResult;
  try {
    r = ingestExport({ export: made.dir });
  } finally {
    Object.assign(fsModule, { openSync, readFileSync });
  }
  const techOpened = opened.filter((p) => p.includes("Technical Log Information")).map((p) => path.basename(p)).sort();
  assert.deepEqual(techOpened, ["ConnectionError_Hourly.json", "PlaybackError_Hourly.json", "Stutter_Hourly.json", "TrackNotPlayed_Hourly.json"]);
  assert.equal(r.report.tech.eventFiles, 180);
  assert.equal(r.report.unread?.files, 176 + 2, "176 event files + the Account Data's 2 StreamingHistory files");
  assert.ok((r.report.unread?.bytes ?? 0) > 4 * 1024 * 1024, "the large unused files are counted by size");
  fs.rmSync(made.dir, { recursive: true, force: true });
});
