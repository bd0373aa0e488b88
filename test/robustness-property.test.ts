/**
 * Property tests: random records (arbitrary values and types, missing fields) and random
 * file damage (truncation, flipped bytes, inserted garbage, damaged zips) never produce
 * anything but a successful IngestResult or a UserInputError, and the row accounting
 * rowsRead === rowsKept + sum(dropped) always holds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { zipSync } from "fflate";
import { ingestExport } from "../src/ingest/index";
import type { IngestOptions, IngestResult } from "../src/ingest/types";
import { ACC, EXT, TECH, oldRec, tmpDir, zipEntries } from "./fixtures/bad/make-bad";

/** Seeded for reproducibility; ROBUSTNESS_SEED / ROBUSTNESS_RUNS explore further without editing the file. */
const SEED = Number(process.env.ROBUSTNESS_SEED ?? 20240611);
const RUNS = Number(process.env.ROBUSTNESS_RUNS ?? 100);

// ---------------------------------------------------------------- arbitraries

const isoTs = fc
  .date({ min: new Date("2008-01-01T00:00:00Z"), max: new Date("2026-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z"));

/** A plausible value for the field, or anything at all. */
function fieldValue(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "NaN", "1e400", "-0", "2021-13-45T99:99:99Z", "\u0000", "\uFFFD", "null") },
  );
}

const uri = fc.integer({ min: 0, max: 30 }).map((k) => `spotify:track:${String(k).padStart(22, "0")}`);
const shortText = fc.string({ maxLength: 12 });
const bool = fc.boolean();

const recordArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    ts: fieldValue(isoTs),
    ms_played: fieldValue(fc.oneof(fc.integer({ min: 0, max: 600_000 }), fc.double({ noNaN: false }))),
    platform: fieldValue(fc.constantFrom("android", "ios", "Windows 10 (10.0.19041; x64)", "not_applicable")),
    conn_country: fieldValue(fc.constantFrom("DE", "US", "ZZ")),
    ip_addr: fieldValue(fc.constant("192.0.2.1")),
    username: fieldValue(shortText),
    master_metadata_track_name: fieldValue(shortText),
    master_metadata_album_artist_name: fieldValue(shortText),
    master_metadata_album_album_name: fieldValue(shortText),
    spotify_track_uri: fieldValue(uri),
    episode_name: fc.oneof(fc.constant(null), fieldValue(shortText)),
    episode_show_name: fc.constant(null),
    spotify_episode_uri: fc.oneof(fc.constant(null), fieldValue(fc.constant("spotify:episode:x"))),
    audiobook_title: fc.oneof(fc.constant(null), fieldValue(shortText)),
    reason_start: fieldValue(fc.constantFrom("trackdone", "clickrow", "fwdbtn", "")),
    reason_end: fieldValue(fc.constantFrom("trackdone", "fwdbtn", "endplay", "unknown", "logout")),
    shuffle: fieldValue(bool),
    offline: fieldValue(bool),
    incognito_mode: fieldValue(bool),
    skipped: fieldValue(bool),
    offline_timestamp: fieldValue(fc.integer({ min: 0, max: 2_000_000_000 })),
    surprise_field: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** A record list: mostly records, sometimes non-objects, sometimes exact repeats. */
const recordsArb: fc.Arbitrary<unknown[]> = fc
  .tuple(
    fc.array(fc.oneof({ weight: 8, arbitrary: recordArb }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 25 }),
    fc.array(fc.nat(), { maxLength: 5 }),
  )
  .map(([recs, repeats]) => {
    const out = [...recs];
    if (out.length > 0) for (const r of repeats) out.push(out[r % out.length]);
    // one well-formed record often, so some runs succeed with rows kept
    return out;
  });

type Damage =
  | { kind: "none" }
  | { kind: "truncate"; at: number }
  | { kind: "flip"; positions: number[]; xor: number }
  | { kind: "insert"; at: number; garbage: Uint8Array };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.constant<Damage>({ kind: "none" }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }).map((d) => d as Damage),
  fc
    .record({ kind: fc.constant("flip" as const), positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }), xor: fc.integer({ min: 1, max: 255 }) })
    .map((d) => ({ ...d, positions: d.positions.map((p) => p) })),
  fc.record({ kind: fc.constant("insert" as const), at: fc.double({ min: 0, max: 1, noNaN: true }), garbage: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

/** Applies damage; positions are fractions of the length so they always land inside. */
function damage(bytes: Uint8Array, d: Damage): Uint8Array {
  const pos = (f: number): number => Math.min(bytes.length, Math.floor(f * bytes.length));
  switch (d.kind) {
    case "none":
      return bytes;
    case "truncate":
      return bytes.slice(0, pos(d.at));
    case "flip": {
      const out = bytes.slice();
      for (const f of d.positions) {
        const i = Math.min(out.length - 1, pos(f));
        if (i >= 0) out[i] ^= d.xor;
      }
      return out;
    }
    case "insert": {
      const i = pos(d.at);
      const out = new Uint8Array(bytes.length + d.garbage.length);
      out.set(bytes.subarray(0, i), 0);
      out.set(d.garbage, i);
      out.set(bytes.subarray(i), i + d.garbage.length);
      return out;
    }
  }
}

const FILE_NAMES = [
  `${EXT}/Streaming_History_Audio_2021_0.json`,
  `${EXT}/endsong_1.json`,
  `${EXT}/Streaming_History_Audio_2021_0 (1).json`,
  `${EXT}/Streaming_History_Video_2021.json`,
  "renamed_download.json",
  `${ACC}/Playlist1.json`,
  `${ACC}/YourLibrary.json`,
  `${TECH}/ConnectionError.json`,
];

interface Case {
  files: Array<{ name: string; records: unknown[]; pretty: boolean; damage: Damage; wrap: "array" | "object" | "playlists" }>;
  /** Always present and undamaged, so most runs reach the record reader. */
  baseline: boolean;
  zip: null | { damage: Damage };
  lenient: boolean;
  strictRecords: boolean;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  files: fc.array(
    fc.record({
      name: fc.constantFrom(...FILE_NAMES),
      records: recordsArb,
      pretty: fc.boolean(),
      damage: damageArb,
      wrap: fc.constantFrom<"array" | "object" | "playlists">("array", "array", "array", "object", "playlists"),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  baseline: fc.boolean(),
  zip: fc.option(fc.record({ damage: damageArb }), { freq: 3 }),
  lenient: fc.boolean(),
  strictRecords: fc.boolean(),
});

function materialise(c: Case): { dir: string; options: IngestOptions } {
  const entries: Record<string, Uint8Array> = {};
  if (c.baseline) {
    entries[`${EXT}/Streaming_History_Audio_2020_9.json`] = new TextEncoder().encode(JSON.stringify([oldRec(), oldRec({ ts: "2021-01-01T00:00:00Z" })]));
  }
  for (const f of c.files) {
    const value = f.wrap === "array" ? f.records : f.wrap === "object" ? { records: f.records } : { playlists: f.records };
    const bytes = new TextEncoder().encode(JSON.stringify(value, null, f.pretty ? 2 : undefined));
    entries[f.name] = damage(bytes, f.damage);
  }
  const dir = tmpDir("prop-");
  if (c.zip) {
    const p = path.join(dir, "my_spotify_data.zip");
    fs.writeFileSync(p, damage(zipSync(zipEntries(entries)), c.zip.damage));
    return { dir, options: { export: p, lenient: c.lenient, strictRecords: c.strictRecords } };
  }
  for (const [rel, bytes] of Object.entries(entries)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes);
  }
  return { dir, options: { export: dir, lenient: c.lenient, strictRecords: c.strictRecords } };
}

function checkInvariants(r: IngestResult): void {
  const dropped = Object.values(r.report.dropped).reduce((a, b) => a + b, 0);
  assert.equal(r.report.rowsRead, r.report.rowsKept + dropped, "rowsRead === rowsKept + sum(dropped)");
  assert.equal(r.plays.length, r.report.rowsKept);
  for (const v of Object.values(r.report.dropped)) assert.ok(Number.isInteger(v) && v >= 0);
  for (let i = 1; i < r.plays.length; i++) assert.ok(r.plays.startMs[i - 1] <= r.plays.startMs[i], "sorted by start");
  for (let i = 0; i < r.plays.length; i++) {
    assert.ok(Number.isFinite(r.plays.startMs[i]) && Number.isFinite(r.plays.msPlayed[i]));
    assert.ok(r.plays.completed[i] === -1 || r.plays.completed[i] === 0 || r.plays.completed[i] === 1);
  }
  const lc = r.report.labelCoverage;
  assert.equal(lc.labelled + lc.unlabelled, r.report.rowsKept);
  // the report must serialise (no cycles, no BigInt) and hold no NaN
  assert.doesNotMatch(JSON.stringify(r.report), /\bNaN\b/);
}

/** Runs ingestion; returns "ok" / "user-error", fails on anything else. */
function outcome(c: Case): "ok" | "user-error" {
  const { dir, options } = materialise(c);
  try {
    const r = ingestExport(options);
    checkInvariants(r);
    return "ok";
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    if (e instanceof Error && e.name === "UserInputError") {
      assert.ok(e.message.length > 20 && !e.message.includes("\n"), `one-paragraph message: ${e.message}`);
      assert.doesNotMatch(e.message, /Unexpected token|JSON\.parse|at position \d+/, "never V8's own JSON message");
      return "user-error";
    }
    throw new Error(`ingestExport threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)} for ${JSON.stringify(c).slice(0, 2000)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("random records and random file damage: an IngestResult or a UserInputError, nothing else; rows add up", () => {
  const seen = { ok: 0, "user-error": 0 };
  fc.assert(
    fc.property(caseArb, (c) => {
      seen[outcome(c)]++;
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // both outcomes were exercised
  assert.ok(seen.ok >= RUNS / 10 && seen["user-error"] >= RUNS / 10, JSON.stringify(seen));
});

test("random records alone (undamaged file): always a result, rows add up, invalid ones counted", () => {
  fc.assert(
    fc.property(recordsArb, fc.boolean(), (records, strict) => {
      const c: Case = { files: [{ name: `${EXT}/endsong_0.json`, records, pretty: false, damage: { kind: "none" }, wrap: "array" }], baseline: true, zip: null, lenient: false, strictRecords: strict };
      const { dir, options } = materialise(c);
      try {
        const r = ingestExport(options);
        checkInvariants(r);
        assert.equal(r.report.rowsRead, records.length + 2);
        const invalid = r.report.dropped["invalid-record"];
        if (invalid > 0) assert.ok(r.report.warnings.some((w) => /invalid record\(s\) dropped; first at index \d+, field "/.test(w)));
        assert.ok(!strict || invalid === 0, "strictRecords never counts silently");
      } catch (e) {
        // only strictRecords may refuse an undamaged file, and only for an invalid record
        assert.ok(strict && e instanceof Error && e.name === "UserInputError" && /invalid play record at index \d+/.test(e.message), String(e));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),
    { seed: SEED + 1, numRuns: Math.round(RUNS * 0.8) },
  );
});
