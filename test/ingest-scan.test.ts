/**
 * The extended-history scanner (src/ingest/scan.ts) gives exactly what JSON.parse + parseChunk
 * give, or declines. Random records of every field type, random layouts, and single-byte damage;
 * hand-written edges (numbers, escapes, repeated keys, odd shapes); and the committed sample.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { scanExtendedArray } from "../src/ingest/scan";
import { parseChunk, RECORD_FIELDS } from "../src/ingest/extended";
import { preParseBytes } from "../src/ingest/preparse";
import { roleFromName } from "../src/ingest/classify";

const SEED = Number(process.env.SCAN_SEED ?? 20261203);
const RUNS = Number(process.env.SCAN_RUNS ?? 200);

/** What the JSON path gives: the chunk and the first record's keys, or null when the text is not JSON or not an array of objects. */
function viaJson(text: string): { chunk: ReturnType<typeof parseChunk>; keys: string[] } | "not json" | "other" {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not json";
  }
  if (!Array.isArray(value) || value.length === 0) return "other";
  const first: unknown = value[0];
  if (typeof first !== "object" || first === null || Array.isArray(first)) return "other";
  return { chunk: parseChunk(value), keys: Object.keys(first) };
}

/** Scans `text`; when the scanner accepts, its chunk and keys must equal the JSON path's. Returns whether it accepted. */
function agrees(text: string): boolean {
  const scanned = scanExtendedArray(Buffer.from(text, "utf8"));
  if (!scanned) return false;
  const expected = viaJson(text);
  if (typeof expected === "string") assert.fail(`the scanner accepted what the JSON path reads as "${expected}": ${text.slice(0, 200)}`);
  assert.deepStrictEqual(scanned.chunk, expected.chunk);
  assert.deepStrictEqual(Object.keys(scanned.first).sort(), [...new Set(expected.keys)].sort());
  return true;
}

// ---------------------------------------------------------------- arbitraries

const ts = fc
  .date({ min: new Date("2008-01-01T00:00:00Z"), max: new Date("2026-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.000Z$/, "Z"));
/** Strings with quotes, backslashes, controls, non-ASCII and astral characters: JSON.stringify escapes what it must. */
const text = fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: "binary", maxLength: 10 }), fc.constantFrom("AC/DC", "Sigur Rós", "\"quoted\"", "tab\there", "🎵", "<b>x</b>"));
const scalar = fc.oneof(
  text,
  fc.integer({ min: -1e6, max: 4e9 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
/** A plausible value for the field most of the time, anything scalar otherwise, and rarely a nested value. */
function fieldValue(field: string): fc.Arbitrary<unknown> {
  const valid: fc.Arbitrary<unknown> =
    field === "ts" ? ts
    : field === "ms_played" ? fc.integer({ min: 0, max: 400000 })
    : field === "offline_timestamp" ? fc.oneof(fc.constant(null), fc.integer({ min: 1.2e12, max: 1.8e12 }))
    : ["shuffle", "skipped", "offline", "incognito_mode"].includes(field) ? fc.oneof(fc.boolean(), fc.constant(null))
    : fc.oneof(text, fc.constant(null), fc.constantFrom("spotify:track:a", "trackdone", "ES"));
  return fc.oneof({ weight: 12, arbitrary: valid }, { weight: 2, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
}
/** The read fields, personal ones, and keys that start like read fields (a prefix is not a match). */
const KEYS = [...RECORD_FIELDS, "username", "ip_addr", "user_agent_decrypted", "ip_addr_decrypted", "some_new_field", "ts_local", "ms_played_total"];
const record = fc
  .uniqueArray(fc.constantFrom(...KEYS), { minLength: 0, maxLength: KEYS.length })
  .chain((keys) => fc.tuple(...keys.map((k) => fieldValue(k).map((v) => [k, v] as const))))
  .map((pairs) => Object.fromEntries(pairs) as Record<string, unknown>);
/** Mostly records with one key order (as exports have), sometimes shuffled or missing fields. */
const records = fc.array(record, { minLength: 1, maxLength: 8 });
const layout = fc.constantFrom<undefined | number | string>(undefined, 0, 2, 4, "\t");

// ---------------------------------------------------------------- properties

test("scanner = JSON.parse + parseChunk on random records, and it accepts plain ones", () => {
  let accepted = 0;
  let plain = 0;
  fc.assert(
    fc.property(records, layout, (recs, space) => {
      const text = JSON.stringify(recs, null, space);
      const ok = agrees(text);
      if (ok) accepted++;
      // Flat records (no nested values) must be scanned: the fallback is for the unusual.
      const flat = recs.every((r) => Object.values(r).every((v) => v === null || typeof v !== "object"));
      if (flat) {
        plain++;
        assert.ok(ok, `declined a flat array: ${text.slice(0, 300)}`);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  assert.ok(plain > RUNS / 4 && accepted >= plain, `too few flat cases to mean anything (${plain} of ${RUNS})`);
});

test("scanner: one damaged byte is declined or read exactly as JSON.parse reads it", () => {
  const damage = fc.record({ at: fc.nat(), byte: fc.constantFrom(...'{}[]",:\\ 0-.eE+tfnul\n\u00ff'.split("").map((c) => c.charCodeAt(0))), mode: fc.constantFrom("replace", "insert", "delete") });
  fc.assert(
    fc.property(records, layout, damage, (recs, space, d) => {
      const bytes = Buffer.from(JSON.stringify(recs, null, space), "utf8");
      const at = d.at % bytes.length;
      const damaged =
        d.mode === "replace" ? Buffer.concat([bytes.subarray(0, at), Buffer.from([d.byte]), bytes.subarray(at + 1)])
        : d.mode === "insert" ? Buffer.concat([bytes.subarray(0, at), Buffer.from([d.byte]), bytes.subarray(at)])
        : Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
      const scanned = scanExtendedArray(damaged);
      if (!scanned) return;
      // Accepted bytes are valid UTF-8, so this text is exactly them.
      agrees(damaged.toString("utf8"));
    }),
    { seed: SEED, numRuns: RUNS * 5 },
  );
});

// ---------------------------------------------------------------- edges

const base = { ts: "2021-03-04T18:24:12Z", ms_played: 1000, spotify_track_uri: "spotify:track:x", reason_end: "trackdone" };
const wrap = (fieldText: string): string => `[{"ts":"2021-03-04T18:24:12Z","ms_played":${fieldText}}]`;

test("scanner: numbers are read as JSON.parse reads them, and non-JSON numbers are declined", () => {
  for (const good of ["0", "-0", "0.0", "-0.0", "0e0", "1E+2", "1e-2", "12.5", "123456789012345", "123456789012345.5", "1234567890123456", "9007199254740993", "123456789012345678", "99999999999999999999", "1e400", "-1"]) {
    assert.ok(agrees(wrap(good)), good);
    assert.deepStrictEqual(Object.is(scanExtendedArray(Buffer.from(wrap(good)))!.chunk.msPlayed[0], -0), good === "-0" || good === "-0.0", good);
  }
  for (const bad of ["-", "00", "01", "1e+", "1e", "2.", ".5", "+1", "--1", "1.e3", "0x10", "Infinity", "NaN"]) {
    assert.equal(scanExtendedArray(Buffer.from(wrap(bad))), null, bad);
    assert.equal(viaJson(wrap(bad)), "not json", bad);
  }
});

test("scanner: any JSON number text is read as JSON.parse reads it", () => {
  // offline_timestamp keeps any finite number, so the chunk shows the value read.
  const read = (t: string): { scanned: number; parsed: number } => {
    const text = `[{"ts":"2021-03-04T18:24:12Z","ms_played":0,"offline_timestamp":${t}}]`;
    const scanned = scanExtendedArray(Buffer.from(text));
    assert.ok(scanned, t);
    assert.deepStrictEqual(scanned.chunk, parseChunk(JSON.parse(text) as unknown[]), t);
    return { scanned: scanned.chunk.n === 1 ? scanned.chunk.offTs[0] : Infinity, parsed: JSON.parse(t) as number };
  };
  const numberText = fc.stringMatching(/^-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,6})?([eE][+-]?[0-9]{1,3})?$/);
  fc.assert(
    fc.property(numberText, (t) => {
      const { scanned, parsed } = read(t);
      if (Number.isFinite(parsed)) assert.ok(Object.is(scanned, parsed), t);
    }),
    { seed: SEED, numRuns: RUNS * 5 },
  );
  for (const t of ["123456789012345678", "9007199254740993", "18014398509481985", "295147905179352825857", "-0"]) {
    const { scanned, parsed } = read(t);
    assert.ok(Object.is(scanned, parsed), t);
  }
});

test("scanner: escapes, non-ASCII and repeated values are read exactly", () => {
  const recs = [
    { ...base, master_metadata_track_name: "Sigur Rós — Hoppípolla", master_metadata_album_artist_name: "a\"b\\c\u0001\u2028" },
    { ...base, master_metadata_track_name: "Sigur Rós — Hoppípolla", master_metadata_album_artist_name: "🎵" },
    { ...base, master_metadata_track_name: "plain", master_metadata_album_artist_name: "🎵" },
  ];
  assert.ok(agrees(JSON.stringify(recs)));
  // Escapes JSON.stringify never writes: \/ and \u for printable characters.
  assert.ok(agrees('[{"ts":"2021-03-04T18:24:12Z","ms_played":1,"platform":"a\\/b\\u0041\\u00e9"}]'));
  // Bad escapes and raw control characters, in a read field and in an unread one.
  for (const field of ["platform", "username"]) {
    for (const bad of ['"\\x"', '"\\u12"', '"\\u12","a":"b"', '"\\u1",""', '"a\tb"', '"a\u0000"', '"\\ud800"']) {
      const t = `[{"ts":"2021-03-04T18:24:12Z","ms_played":1,"${field}":${bad}}]`;
      if (viaJson(t) === "not json") assert.equal(scanExtendedArray(Buffer.from(t)), null, bad);
      else assert.ok(agrees(t), bad);
    }
  }
});

test("scanner: declines what it leaves to JSON.parse", () => {
  const declined = [
    "", "[]", " [ ] ", "{}", "null", "[1]", "[null]", "[[]]", `[${JSON.stringify(base)},1]`,
    "\ufeff" + JSON.stringify([base]), // a BOM
    JSON.stringify([{ ...base, extra: { nested: 1 } }]),
    JSON.stringify([{ ...base, extra: [1] }]),
    `[{"ts":"2021-03-04T18:24:12Z","ts":"2021-03-04T18:24:13Z","ms_played":1}]`, // a read field twice
    `[{"\\u0074s":"2021-03-04T18:24:12Z","ms_played":1}]`, // an escaped key
    JSON.stringify([base]) + "x", JSON.stringify([base]).slice(0, -1), `[${JSON.stringify(base)},]`, `[{"ts":"x",}]`,
  ];
  for (const t of declined) assert.equal(scanExtendedArray(Buffer.from(t, "utf8")), null, t);
  assert.equal(scanExtendedArray(Buffer.from([0x5b, 0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d, 0x5d])), null, "invalid UTF-8");
  // A personal field given twice is not read, so it does not matter which copy JSON.parse keeps.
  assert.ok(agrees(`[{"ts":"2021-03-04T18:24:12Z","username":"a","username":"b","ms_played":1}]`));
  // Records without the read fields, empty records and a __proto__ key are records like any other.
  assert.ok(agrees(`[{}, {"__proto__": 1, "ts": "2021-03-04T18:24:12Z", "ms_played": 5}, {"a": true}]`));
  assert.ok(agrees(` \n[ {"a": false} ] \n`));
});

test("scanner: a file of many keys is declined past the key table, read below it", () => {
  const wide = (count: number): string => JSON.stringify([Object.fromEntries([...Array(count).keys()].map((k) => [`k${k}`, k]))]);
  assert.ok(agrees(wide(64 - RECORD_FIELDS.length)));
  assert.equal(scanExtendedArray(Buffer.from(wide(64 - RECORD_FIELDS.length + 1))), null);
});

test("scanner: the sample's extended-history files are scanned, not declined, and equal the JSON path", () => {
  const dir = path.join(__dirname, "..", "data-sample", "Spotify Extended Streaming History");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
  assert.ok(files.length > 3);
  for (const f of files) assert.ok(agrees(fs.readFileSync(path.join(dir, f), "utf8")), f);
});

/** preParseBytes for a file of the Extended Streaming History package. */
const fromExtendedFolder = (bytes: Uint8Array, base: string) => preParseBytes(bytes, base, roleFromName(base, "extended"));

test("preParseBytes: extended files become chunks by scan or by parse; other content comes back parsed", () => {
  const extended = Buffer.from(JSON.stringify([base]));
  const scanned = fromExtendedFolder(extended, "Streaming_History_Audio_2021.json");
  assert.ok("pre" in scanned && scanned.pre.chunk.n === 1 && scanned.pre.role.kind === "extended-audio");
  // The same records, not scannable (a nested value), through JSON.parse: the same chunk.
  const nested = fromExtendedFolder(Buffer.from(JSON.stringify([{ ...base, extra: { a: 1 } }])), "Streaming_History_Audio_2021.json");
  assert.ok("pre" in nested);
  assert.deepStrictEqual(nested.pre.chunk.endMs, scanned.pre.chunk.endMs);
  // Named extended but holding another package's records (scanned, then classified by content): parsed, for the caller.
  const accountRecords = fromExtendedFolder(Buffer.from(JSON.stringify([{ endTime: "2021-03-04 18:24", msPlayed: 5, trackName: "t", artistName: "a" }])), "Streaming_History_Audio_2021.json");
  assert.ok("parsed" in accountRecords && accountRecords.parsed.ok);
  // Extended records in a file known by its folder only.
  const byFolder = fromExtendedFolder(extended, "history.json");
  assert.ok("pre" in byFolder && byFolder.pre.role.kind === "extended");
  // An empty array and an array of an empty record, named extended: chunks, as JSON.parse + parseChunk make them.
  for (const t of ["[]", "[{}]"]) {
    const r = fromExtendedFolder(Buffer.from(t), "endsong_0.json");
    assert.ok("pre" in r, t);
    assert.deepStrictEqual(r.pre.chunk, parseChunk(JSON.parse(t) as unknown[]), t);
  }
  const broken = fromExtendedFolder(Buffer.from("[{"), "endsong_0.json");
  assert.ok("parsed" in broken && !broken.parsed.ok);
});
