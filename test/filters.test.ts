/**
 * Whose plays count: --exclude-platform / --exclude-country / --since / --until /
 * --exclude-artists remove plays before anything else, every removal is accounted for in
 * the ingestion report, and bad values are refused before any work. Expected counts are
 * computed here from the unfiltered table.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isUserInputError } from "../src/common/errors";
import { ingestExport, parseCountryCode, parseFilterDate, parseLabelRule, parseLabelRules, readArtistsFile, valueAt } from "../src/ingest";
import { relabel } from "../src/ingest/label";
import type { IngestResult, PlayFilters, PlayTable } from "../src/ingest/types";
import { prepare } from "../src/pipeline/prepare";
import { ingestKey } from "../src/pipeline/cache";
import type { ExportFingerprint } from "../src/pipeline/cache";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { spawnSync } from "child_process";

const root = path.resolve(__dirname, "..");
const exportPath = path.join(root, "data-sample");
const all = ingestExport({ export: exportPath });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "filters-"));

const col = (p: PlayTable, name: "platformFamily" | "platformRaw" | "connCountry" | "artistName", i: number) => valueAt(p[name], i);
const count = (pred: (i: number) => boolean) => {
  let n = 0;
  for (let i = 0; i < all.plays.length; i++) if (pred(i)) n++;
  return n;
};
/** The most frequent value of a column in the unfiltered table. */
function mostCommon(name: "platformFamily" | "platformRaw" | "connCountry" | "artistName", skip: (v: string) => boolean = () => false): string {
  const m = new Map<string, number>();
  for (let i = 0; i < all.plays.length; i++) {
    const v = col(all.plays, name, i);
    if (v !== null && !skip(v)) m.set(v, (m.get(v) ?? 0) + 1);
  }
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

function run(filters: PlayFilters): IngestResult {
  const r = ingestExport({ export: exportPath, filters });
  const dropped = Object.values(r.report.dropped).reduce((s, n) => s + n, 0);
  assert.equal(r.report.rowsRead, r.report.rowsKept + dropped, "rowsRead === rowsKept + sum(dropped)");
  assert.equal(r.report.rowsRead, all.report.rowsRead);
  assert.equal(r.plays.length, r.report.rowsKept);
  for (let i = 1; i < r.plays.length; i++) assert.ok(r.plays.startMs[i - 1] <= r.plays.startMs[i]);
  assertShared(r.plays);
  return r;
}

/** Every typed column of the table is on a SharedArrayBuffer: a worker it is posted to shares it (src/ingest/plays.ts). */
function assertShared(p: PlayTable): void {
  for (const [name, value] of Object.entries(p)) {
    const column = ArrayBuffer.isView(value) ? value : value !== null && typeof value === "object" && "codes" in value ? (value as { codes: Int32Array }).codes : null;
    if (column) assert.ok(column.buffer instanceof SharedArrayBuffer, `${name} is not shared`);
  }
}

function excludedOnly(r: IngestResult): Record<string, number> {
  return Object.fromEntries(Object.entries(r.report.dropped).filter(([k]) => k.startsWith("excluded-")));
}

test("no filter: the report holds no excluded-* entry and the table is unchanged", () => {
  assert.deepEqual(excludedOnly(all), {});
  assert.deepEqual(all.report.filters, []);
  assertShared(all.plays);
  assertShared(relabel(all.plays, parseLabelRule("played-30s")).plays);
});

test("--exclude-platform by normalised family and by raw string, case-insensitive", () => {
  const family = mostCommon("platformFamily");
  const r = run({ excludePlatforms: [family.toUpperCase()] });
  const expected = count((i) => col(all.plays, "platformFamily", i) === family);
  assert.ok(expected > 0);
  assert.deepEqual(excludedOnly(r), { "excluded-platform": expected });
  assert.equal(r.report.rowsKept, all.report.rowsKept - expected);
  for (let i = 0; i < r.plays.length; i++) assert.notEqual(col(r.plays, "platformFamily", i), family);
  assert.ok(!r.plays.platformFamily.values.includes(family), "the dictionary holds only kept values");

  const raw = mostCommon("platformRaw", (v) => v.toLowerCase() === v); // a detailed string, not a coarse family name
  const r2 = run({ excludePlatforms: [raw] });
  assert.deepEqual(excludedOnly(r2), { "excluded-platform": count((i) => col(all.plays, "platformRaw", i) === raw) });
  assert.deepEqual(r2.report.filters, [`--exclude-platform ${raw}`]);
});

test("--exclude-country, --since and --until (start time, UTC day included)", () => {
  const cc = mostCommon("connCountry");
  const r = run({ excludeCountries: [cc] });
  assert.deepEqual(excludedOnly(r), { "excluded-country": count((i) => col(all.plays, "connCountry", i) === cc) });

  const mid = all.plays.startMs[Math.floor(all.plays.length / 2)];
  const day = new Date(mid).toISOString().slice(0, 10);
  const since = parseFilterDate("since", day);
  const until = parseFilterDate("until", day);
  assert.equal(since, Date.parse(`${day}T00:00:00Z`));
  assert.equal(until, Date.parse(`${day}T00:00:00Z`) + 86_400_000 - 1);
  const rs = run({ sinceMs: since });
  assert.deepEqual(excludedOnly(rs), { "excluded-since": count((i) => all.plays.startMs[i] < since) });
  assert.ok(rs.plays.startMs[0] >= since);
  const ru = run({ untilMs: until });
  assert.deepEqual(excludedOnly(ru), { "excluded-until": count((i) => all.plays.startMs[i] > until) });
  const both = run({ sinceMs: since, untilMs: until });
  assert.equal(both.report.rowsKept, count((i) => all.plays.startMs[i] >= since && all.plays.startMs[i] <= until));
});

test("--exclude-artists FILE: names matched case-insensitively; unknown names are a warning", () => {
  const artist = mostCommon("artistName");
  const file = path.join(tmp, "artists.txt");
  fs.writeFileSync(file, `\uFEFF  ${artist.toLowerCase()}  \r\n\r\nNobody By This Name\n${artist}\n`);
  const names = readArtistsFile(file);
  assert.deepEqual(names, [artist.toLowerCase(), "Nobody By This Name"]);
  const r = run({ excludeArtists: names, artistsSource: "artists.txt" });
  assert.deepEqual(excludedOnly(r), { "excluded-artists": count((i) => col(all.plays, "artistName", i) === artist) });
  assert.ok(r.report.warnings.some((w) => /artist "Nobody By This Name" matched no play/.test(w)));
  assert.deepEqual(r.report.filters, ["--exclude-artists artists.txt (2 names)"]);
});

test("several filters: each play is counted once, under the first filter that matches", () => {
  const family = mostCommon("platformFamily");
  const cc = mostCommon("connCountry");
  const artist = mostCommon("artistName");
  const since = all.plays.startMs[Math.floor(all.plays.length / 4)];
  const f: PlayFilters = { sinceMs: since, excludePlatforms: [family], excludeCountries: [cc], excludeArtists: [artist] };
  const r = run(f);
  const p = all.plays;
  const expected = { "excluded-since": 0, "excluded-platform": 0, "excluded-country": 0, "excluded-artists": 0 };
  let kept = 0;
  for (let i = 0; i < p.length; i++) {
    if (p.startMs[i] < since) expected["excluded-since"]++;
    else if (col(p, "platformFamily", i) === family) expected["excluded-platform"]++;
    else if (col(p, "connCountry", i) === cc) expected["excluded-country"]++;
    else if (col(p, "artistName", i) === artist) expected["excluded-artists"]++;
    else kept++;
  }
  assert.deepEqual(excludedOnly(r), expected);
  assert.equal(r.report.rowsKept, kept);
  // labels and coverage are computed after the filters
  let labelled = 0;
  for (let i = 0; i < r.plays.length; i++) if (r.plays.completed[i] >= 0) labelled++;
  assert.equal(r.report.labelCoverage.labelled, labelled);
});

test("the stage cache keys ingestion on the completion rule and the filters", () => {
  const fingerprint: ExportFingerprint = { roots: ["x"], files: [], hash: "h" };
  const base = ingestKey(fingerprint, { export: exportPath }, "code");
  assert.equal(ingestKey(fingerprint, { export: exportPath, label: parseLabelRule("reason-end"), filters: {} }, "code"), base, "defaults keep the key");
  const keys = [
    ingestKey(fingerprint, { export: exportPath, label: parseLabelRule("played-30s") }, "code"),
    ingestKey(fingerprint, { export: exportPath, label: parseLabelRule("played-fraction=0.5") }, "code"),
    ingestKey(fingerprint, { export: exportPath, label: parseLabelRule("played-fraction=0.9") }, "code"),
    ingestKey(fingerprint, { export: exportPath, filters: { excludePlatforms: ["cast"] } }, "code"),
    ingestKey(fingerprint, { export: exportPath, filters: { sinceMs: 0 } }, "code"),
  ];
  assert.equal(new Set([base, ...keys]).size, keys.length + 1);
});

test("filters that leave no labelled play end in one message naming them", () => {
  const last = all.plays.startMs[all.plays.length - 1];
  const since = new Date(last + 86_400_000).toISOString().slice(0, 10);
  const filters: PlayFilters = { sinceMs: parseFilterDate("since", since) };
  assert.throws(
    () => prepare({ export: exportPath, filters }, DEFAULT_PARAMS),
    (e: unknown) => isUserInputError(e) && /The filters --since .* left no labelled plays/.test((e as Error).message) && /since \d+/.test((e as Error).message),
  );
});

test("bad values are refused with the option named, before any work", () => {
  const refused = (f: () => unknown, pattern: RegExp) =>
    assert.throws(f, (e: unknown) => isUserInputError(e) && pattern.test((e as Error).message), String(pattern));
  refused(() => parseLabelRule("played-fraction=0"), /--label "played-fraction=0".*0 < F <= 1/);
  refused(() => parseLabelRule("played-fraction=1.5"), /0 < F <= 1/);
  refused(() => parseLabelRule("played-fraction=-0.2"), /0 < F <= 1/);
  refused(() => parseLabelRule("played-fraction=half"), /0 < F <= 1/);
  refused(() => parseLabelRule("played-fraction="), /0 < F <= 1/);
  refused(() => parseLabelRule("finished"), /--label "finished" is not a completion rule/);
  refused(() => parseLabelRules("reason-end,played-60s"), /--compare-labels "played-60s"/);
  refused(() => parseLabelRules(" , "), /--compare-labels needs at least one rule/);
  assert.deepEqual(parseLabelRule(" Played-Fraction=1 "), { kind: "played-fraction", fraction: 1 });
  refused(() => parseFilterDate("since", "2023-02-30"), /--since "2023-02-30" is not a date/);
  refused(() => parseFilterDate("until", "yesterday"), /--until "yesterday" is not a date/);
  refused(() => parseFilterDate("since", "2023-06-01T10:00:00"), /with a zone/);
  refused(() => parseCountryCode("Germany"), /--exclude-country "Germany" is not a two-letter/);
  refused(() => readArtistsFile(path.join(tmp, "missing.txt")), /--exclude-artists ".*missing.txt" cannot be read \(no such file\)/);
  fs.writeFileSync(path.join(tmp, "empty.txt"), "\n  \n");
  refused(() => readArtistsFile(path.join(tmp, "empty.txt")), /holds no artist names/);
});

test("CLI --label played-30s --exclude-platform: ingest_report.json counts the rule and the exclusion", () => {
  const family = mostCommon("platformFamily");
  const out = path.join(tmp, "cli-out");
  // A child process: the in-process runner would capture this file's own test report.
  const args = ["--export", exportPath, "--output-dir", out, "--label", "played-30s", "--exclude-platform", family, "--no-cache"];
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "src", "cli", "pipeline.ts"), ...args], { cwd: root, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(out, "ingest_report.json"), "utf8")) as {
    dropped: Record<string, number>;
    rowsKept: number;
    label: { rule: string };
    labelCoverage: { labelled: number; completed: number };
    filters: string[];
  };
  const kept = (i: number) => col(all.plays, "platformFamily", i) !== family;
  const excluded = count((i) => !kept(i));
  assert.ok(excluded > 0);
  assert.equal(report.dropped["excluded-platform"], excluded);
  assert.equal(report.rowsKept, all.report.rowsKept - excluded);
  assert.equal(report.label.rule, "played-30s");
  // Every rule labels the same plays: those with a known reason_end (labelled under the default rule).
  const labelled = (i: number) => kept(i) && all.plays.completed[i] !== -1;
  assert.equal(report.labelCoverage.labelled, count(labelled));
  assert.equal(report.labelCoverage.completed, count((i) => labelled(i) && all.plays.msPlayed[i] >= 30_000));
  assert.deepEqual(report.filters, [`--exclude-platform ${family}`]);
});
