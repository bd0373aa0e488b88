import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { zipSync } from "fflate";
import { ingestExport, formatIngestReport, valueAt, type IngestResult, type PlayTable } from "../src/ingest/index";
import {
  ACC,
  EXT,
  PII,
  TECH,
  accountFiles,
  audiobookRec,
  newRec,
  oldRec,
  podcastRec,
  techEvent,
  tmpDir,
  writeTree,
  zipEntries,
} from "./fixtures/ingest/make-export";

function column(plays: PlayTable, name: "trackName" | "reasonEnd" | "trackUri" | "platformFamily"): Array<string | null> {
  return Array.from({ length: plays.length }, (_, i) => valueAt(plays[name], i));
}

function droppedSum(r: IngestResult): number {
  return Object.values(r.report.dropped).reduce((a, b) => a + b, 0);
}

function assertInvariant(r: IngestResult): void {
  assert.equal(r.report.rowsRead, r.report.rowsKept + droppedSum(r), "rowsRead === rowsKept + sum(dropped)");
  assert.equal(r.report.rowsKept, r.plays.length);
  for (let i = 1; i < r.plays.length; i++) assert.ok(r.plays.startMs[i - 1] <= r.plays.startMs[i], "sorted by start");
}

test("old (endsong, ip_addr_decrypted) and new (Streaming_History_Audio, ip_addr, audiobook) schemas both load", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [oldRec({ master_metadata_track_name: "Old A" }), oldRec({ master_metadata_track_name: "Old B", ts: "2021-03-04T19:00:00Z" })],
    [`${EXT}/Streaming_History_Audio_2024-2025_0.json`]: [newRec({ master_metadata_track_name: "New A" })],
    [`${EXT}/ReadMeFirst_ExtendedStreamingHistory.pdf`]: "%PDF-1.4",
  });
  const r = ingestExport({ export: dir });
  assertInvariant(r);
  assert.deepEqual(column(r.plays, "trackName"), ["Old A", "Old B", "New A"]);
  const byFile = new Map(r.report.files.map((f) => [path.basename(f.file), f]));
  assert.equal(byFile.get("endsong_0.json")?.kind, "endsong");
  assert.match(byFile.get("endsong_0.json")?.variant ?? "", /ip_addr_decrypted/);
  assert.equal(byFile.get("Streaming_History_Audio_2024-2025_0.json")?.kind, "extended-audio");
  assert.match(byFile.get("Streaming_History_Audio_2024-2025_0.json")?.variant ?? "", /ip_addr \(Nov-2024\+\).*audiobook/);
  assert.equal(byFile.get("ReadMeFirst_ExtendedStreamingHistory.pdf")?.kind, "readme");
  assert.equal(byFile.get("ReadMeFirst_ExtendedStreamingHistory.pdf")?.package, "extended");
  assert.deepEqual(column(r.plays, "platformFamily"), ["android", "android", "android"]);
  assert.equal(r.plays.shuffle[2], 1);
  assert.equal(r.plays.skipped[0], -1);
  assert.equal(r.plays.skipped[2], 1);
});

test("rows are sorted by start time (ts - ms_played), ties by end time then input order", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/Streaming_History_Audio_1.json`]: [
      // ends last but started first: a long play
      oldRec({ master_metadata_track_name: "long", ts: "2021-01-01T12:00:00Z", ms_played: 3_600_000 }),
      oldRec({ master_metadata_track_name: "tie-later-end", ts: "2021-01-01T11:30:10Z", ms_played: 10_000 }),
      oldRec({ master_metadata_track_name: "tie-earlier-end", ts: "2021-01-01T11:30:05Z", ms_played: 5_000 }),
    ],
    [`${EXT}/Streaming_History_Audio_0.json`]: [
      oldRec({ master_metadata_track_name: "first-file-but-late", ts: "2021-01-02T00:00:00Z", ms_played: 0 }),
      oldRec({ master_metadata_track_name: "same-start-a", ts: "2021-01-01T11:45:00Z", ms_played: 60_000 }),
      oldRec({ master_metadata_track_name: "same-start-b", ts: "2021-01-01T11:45:00Z", ms_played: 60_000, reason_end: "fwdbtn" }),
    ],
  });
  const r = ingestExport({ export: dir });
  assertInvariant(r);
  assert.deepEqual(column(r.plays, "trackName"), ["long", "tie-earlier-end", "tie-later-end", "same-start-a", "same-start-b", "first-file-but-late"]);
  assert.equal(r.plays.startMs[0], Date.parse("2021-01-01T11:00:00Z"));
  assert.equal(r.plays.endMs[0], Date.parse("2021-01-01T12:00:00Z"));
  assert.equal(r.plays.ts[0], "2021-01-01T12:00:00Z");
  assert.deepEqual(r.report.dateRange, { first: "2021-01-01T11:00:00.000Z", last: "2021-01-02T00:00:00.000Z" });
});

test("label: trackdone → 1, other known reason → 0, null/unknown → -1; skipped never used", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [
      oldRec({ ts: "2021-01-01T00:00:01Z", reason_end: "trackdone", skipped: true }),
      oldRec({ ts: "2021-01-01T00:00:02Z", reason_end: "fwdbtn", skipped: false }),
      oldRec({ ts: "2021-01-01T00:00:03Z", reason_end: null, skipped: false }),
      oldRec({ ts: "2021-01-01T00:00:04Z", reason_end: "unknown", skipped: true }),
      oldRec({ ts: "2021-01-01T00:00:05Z", reason_end: "endplay", skipped: null }),
      // starts 2021-02-28T23:57 (ts - 3 min): months go by START time
      oldRec({ ts: "2021-03-01T00:00:05Z", reason_end: null }),
    ],
  });
  const r = ingestExport({ export: dir });
  assert.deepEqual(Array.from(r.plays.completed), [1, 0, -1, -1, 0, -1]);
  assert.deepEqual(column(r.plays, "reasonEnd"), ["trackdone", "fwdbtn", null, "unknown", "endplay", null]);
  assert.deepEqual(r.report.labelCoverage, { labelled: 3, unlabelled: 3, completed: 1, unlabelledMonths: ["2021-02"] });
});

test("music only: podcast, audiobook, video and local-file rows are counted by reason", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/Streaming_History_Audio_0.json`]: [
      oldRec(),
      oldRec(),
      podcastRec({ ts: "2021-01-01T00:00:01Z" }),
      podcastRec({ ts: "2021-01-01T00:00:02Z" }),
      podcastRec({ ts: "2021-01-01T00:00:03Z" }),
      audiobookRec(),
      oldRec({ spotify_track_uri: null, master_metadata_track_name: "local file" }),
    ],
    [`${EXT}/Streaming_History_Video_2021.json`]: [podcastRec({ ts: "2021-02-01T00:00:01Z" }), podcastRec({ ts: "2021-02-01T00:00:02Z" })],
  });
  const r = ingestExport({ export: dir });
  assertInvariant(r);
  assert.equal(r.report.rowsRead, 9);
  assert.equal(r.report.rowsKept, 2);
  assert.deepEqual(r.report.dropped, { "invalid-record": 0, duplicate: 0, video: 2, audiobook: 1, podcast: 3, "no-track-uri": 1 });
  assert.equal(r.report.files.find((f) => f.file.endsWith("Video_2021.json"))?.kind, "extended-video");
});

test("a second download `(1).json` drops exactly its rows as duplicates", () => {
  const rows = [oldRec({ ts: "2021-05-01T00:00:00Z" }), oldRec({ ts: "2021-05-01T00:05:00Z" }), podcastRec({ ts: "2021-05-01T00:09:00Z" })];
  const dir = writeTree(tmpDir(), {
    [`${EXT}/Streaming_History_Audio_2021_0 (1).json`]: rows,
    [`${EXT}/Streaming_History_Audio_2021_0.json`]: rows,
    [`${EXT}/Streaming_History_Audio_2021_1.json`]: [oldRec({ ts: "2021-06-01T00:00:00Z" })],
  });
  const r = ingestExport({ export: dir });
  assertInvariant(r);
  assert.equal(r.report.rowsRead, 7);
  assert.equal(r.report.dropped.duplicate, 3);
  assert.equal(r.report.dropped.podcast, 1);
  assert.equal(r.report.rowsKept, 3);
  // The copy (not the original) is the one reported as duplicate.
  const copy = r.report.files.find((f) => f.file.endsWith("(1).json"));
  assert.match(copy?.note ?? "", /kept 0; dropped duplicate 3/);
});

test("records differing in any field are not duplicates", () => {
  const base = oldRec({ ts: "2021-05-01T00:00:00Z" });
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [base, { ...base, shuffle: true }, { ...base, offline_timestamp: 1 }, { ...base, reason_start: "fwdbtn" }, { ...base }],
  });
  const r = ingestExport({ export: dir });
  assert.equal(r.report.dropped.duplicate, 1);
  assert.equal(r.report.rowsKept, 4);
});

test("technical logs: plain and _Hourly naming, context_time fallback, other types counted", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [oldRec()],
    [`${TECH}/ConnectionError.json`]: [techEvent({ timestamp_utc: "2021-03-04T12:00:00.000Z" }), techEvent({ timestamp_utc: "2021-03-04T10:00:00.000Z" })],
    [`${TECH}/PlaybackError_Hourly.json`]: [techEvent(), techEvent(), techEvent({ timestamp_utc: null, context_time: 1614850000000 })],
    [`${TECH}/Stutter_Hourly.json`]: [techEvent({ timestamp_utc: undefined, context_time: "1614850000001" })],
    [`${TECH}/TrackNotPlayed.json`]: [],
    [`${TECH}/ConnectionInfo_Hourly.json`]: [techEvent(), techEvent()],
  });
  const r = ingestExport({ export: dir });
  assert.deepEqual(Array.from(r.tech.connectionError), [Date.parse("2021-03-04T10:00:00Z"), Date.parse("2021-03-04T12:00:00Z")]);
  assert.equal(r.tech.playbackError.length, 3);
  assert.equal(r.tech.playbackError[0], 1614850000000, "sorted, with context_time fallback");
  assert.deepEqual(Array.from(r.tech.stutter), [1614850000001]);
  assert.equal(r.tech.trackNotPlayed.length, 0);
  assert.deepEqual(r.report.tech, { connectionError: 2, playbackError: 3, stutter: 1, trackNotPlayed: 0, eventFiles: 5, otherEventFiles: 1 });
  const kinds = r.report.files.filter((f) => f.package === "tech").map((f) => f.kind).sort();
  assert.deepEqual(kinds, ["tech:ConnectionError", "tech:ConnectionInfo", "tech:PlaybackError", "tech:Stutter", "tech:TrackNotPlayed"]);
});

test("account data: library, banned tracks, playlists with addedDate, country and creationTime", () => {
  const dir = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: [oldRec()], ...accountFiles() });
  const r = ingestExport({ export: dir });
  assert.equal(r.account.country, "DE");
  assert.equal(r.account.creationMs, Date.parse("2012-03-04T00:00:00Z"));
  assert.deepEqual(r.account.libraryTracks.map((t) => t.uri), ["spotify:track:lib1", "spotify:track:lib2"]);
  assert.deepEqual(r.account.bannedTrackUris, ["spotify:track:banned1"]);
  assert.equal(r.account.playlistCount, 2);
  assert.deepEqual(r.account.playlistMemberships, [
    { trackUri: "spotify:track:lib1", addedMs: Date.parse("2020-05-04T00:00:00Z") },
    { trackUri: "spotify:track:pl3", addedMs: null },
  ]);
  assert.deepEqual(r.report.account, { libraryTracks: 2, playlists: 2, playlistItems: 3, playlistTrackItems: 2, bannedTracks: 1, country: "DE" });
  const kind = (name: string): string | undefined => r.report.files.find((f) => f.file.endsWith(name))?.kind;
  assert.equal(kind("StreamingHistory_music_0.json"), "account-streaming-history");
  assert.equal(kind("SearchQueries.json"), "ignored");
  assert.equal(kind("Identity.json"), "personal-data (not read)");
  assert.equal(kind("ReadMeFirst_AccountData.pdf"), "readme");
});

test("personal data is absent from the table, account data, report and its text", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [oldRec(), oldRec({ ts: "bad-ts" }), oldRec({ shuffle: "yes" })],
    [`${EXT}/Streaming_History_Audio_2025.json`]: [newRec()],
    ...accountFiles(),
    [`${TECH}/ConnectionError_Hourly.json`]: [techEvent()],
  });
  const r = ingestExport({ export: dir });
  const dump =
    JSON.stringify(r, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v)) + formatIngestReport(r.report);
  for (const [name, value] of Object.entries(PII)) {
    assert.ok(!dump.includes(value), `planted ${name} leaked`);
  }
  assert.ok(!dump.includes("SM-PLANTED"), "tech device model leaked");
  assert.ok(!dump.includes("planted query"), "search query leaked");
  assert.ok(!dump.includes(dir), "absolute export path leaked into the report");
});

test("invalid records are counted and warned about by file, index and field (never value)", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [
      oldRec(),
      oldRec({ ts: "not a time PLANTEDVALUE" }),
      oldRec({ shuffle: "yes" }),
      oldRec({ ms_played: -5 }),
      oldRec({ ms_played: "100" }),
      null,
      oldRec({ ts: "2021-02-30T00:00:00Z" }),
    ],
  });
  const r = ingestExport({ export: dir });
  assertInvariant(r);
  assert.equal(r.report.dropped["invalid-record"], 6);
  assert.equal(r.report.rowsKept, 1);
  const w = r.report.warnings.join("\n");
  assert.match(w, /endsong_0\.json.*6 invalid record\(s\).*index 1, field "ts"/);
  assert.ok(!w.includes("PLANTEDVALUE"));
  assert.throws(
    () => ingestExport({ export: dir, strictRecords: true }),
    (e: Error) => e.name === "UserInputError" && /endsong_0\.json/.test(e.message) && /index 1/.test(e.message),
  );
});

test("zip input: nested folder, several packages, and a folder holding zips", () => {
  const files = {
    [`my_spotify_data/${EXT}/Streaming_History_Audio_2020_0.json`]: [oldRec({ ts: "2020-01-01T00:00:00Z" }), podcastRec()],
    [`my_spotify_data/${EXT}/ReadMeFirst_ExtendedStreamingHistory.pdf`]: "%PDF",
    [`my_spotify_data/${TECH}/Stutter.json`]: [techEvent()],
    ...Object.fromEntries(Object.entries(accountFiles()).map(([k, v]) => [`my_spotify_data/${k}`, v])),
  };
  const dir = tmpDir();
  const zipPath = path.join(dir, "my_spotify_data.zip");
  fs.writeFileSync(zipPath, zipSync(zipEntries(files)));
  const r = ingestExport({ export: zipPath });
  assertInvariant(r);
  assert.equal(r.report.rowsKept, 1);
  assert.equal(r.report.dropped.podcast, 1);
  assert.equal(r.report.tech.stutter, 1);
  assert.equal(r.account.country, "DE");
  assert.ok(r.report.files.some((f) => f.file === `my_spotify_data/${EXT}/Streaming_History_Audio_2020_0.json`));

  // A folder with the downloaded zips in it works too.
  const holder = tmpDir();
  fs.copyFileSync(zipPath, path.join(holder, "my_spotify_data.zip"));
  const r2 = ingestExport({ export: holder });
  assert.equal(r2.report.rowsKept, 1);
});

test("three package folders given separately", () => {
  const root = tmpDir();
  writeTree(root, {
    [`ext/Streaming_History_Audio_0.json`]: [oldRec(), oldRec({ ts: "2021-03-05T00:00:00Z" })],
    ...Object.fromEntries(Object.entries(accountFiles()).map(([k, v]) => [k.replace(ACC, "acc"), v])),
    [`tech/ConnectionError_Hourly.json`]: [techEvent()],
    [`tech/SomeOtherEvent_Hourly.json`]: [techEvent()],
  });
  const r = ingestExport({ extendedDir: path.join(root, "ext"), accountDir: path.join(root, "acc"), techDir: path.join(root, "tech") });
  assertInvariant(r);
  assert.equal(r.report.rowsKept, 2);
  assert.equal(r.account.libraryTracks.length, 2);
  assert.equal(r.report.tech.connectionError, 1);
  assert.equal(r.report.tech.otherEventFiles, 1);
  // Extended alone is enough.
  assert.equal(ingestExport({ extendedDir: path.join(root, "ext") }).report.rowsKept, 2);
});

test("files are recognised by content when renamed", () => {
  const dir = writeTree(tmpDir(), {
    "my history export.json": [oldRec()],
    "errors.json": [techEvent()],
    "whatever.json": { some: "object" },
  });
  const r = ingestExport({ export: dir });
  assert.equal(r.report.rowsKept, 1);
  const kind = (n: string): string | undefined => r.report.files.find((f) => f.file === n)?.kind;
  assert.equal(kind("my history export.json"), "extended");
  assert.equal(kind("errors.json"), "tech:errors");
  assert.equal(kind("whatever.json"), "ignored");
});

test("UTF-8 BOM is stripped; invalid UTF-8 does not crash and is warned about", () => {
  const good = new TextEncoder().encode(JSON.stringify([oldRec({ master_metadata_track_name: "Café" })]));
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...good]);
  const text = JSON.stringify([oldRec({ master_metadata_track_name: "XX", ts: "2021-04-01T00:00:00Z" })]);
  const bad = new TextEncoder().encode(text);
  const at = text.indexOf("XX");
  bad[at] = 0xff; // not valid UTF-8
  const dir = writeTree(tmpDir(), { [`${EXT}/endsong_0.json`]: bom, [`${EXT}/endsong_1.json`]: bad });
  const r = ingestExport({ export: dir });
  assert.equal(r.report.rowsKept, 2);
  assert.equal(valueAt(r.plays.trackName, 0), "Café");
  assert.equal(valueAt(r.plays.trackName, 1), "\ufffdX");
  assert.match(r.report.warnings.join("\n"), /endsong_1\.json.*not valid UTF-8/);
});

test("formatIngestReport prints files, counts, labels and warnings", () => {
  const dir = writeTree(tmpDir(), {
    [`${EXT}/endsong_0.json`]: [oldRec(), podcastRec(), oldRec({ ts: "x" })],
    [`${TECH}/Stutter_Hourly.json`]: [techEvent()],
  });
  const text = formatIngestReport(ingestExport({ export: dir }).report);
  assert.match(text, /endsong_0\.json\s+endsong\s+3/);
  assert.match(text, /music kept\s+1/);
  assert.match(text, /podcast\s+1/);
  assert.match(text, /invalid-record\s+1/);
  assert.match(text, /Stutter\s+1/);
  assert.match(text, /Warnings \(1\)/);
});
