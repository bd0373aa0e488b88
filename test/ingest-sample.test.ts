/** Ingests data-sample/ and checks the report against the generator's planted counts in MANIFEST.json. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { ingestExport, formatIngestReport } from "../src/ingest/index";
import type { SampleManifest } from "../src/sample";

const SAMPLE = path.join(__dirname, "..", "data-sample");
const manifestPath = path.join(SAMPLE, "MANIFEST.json");

test("data-sample report matches MANIFEST.json", { skip: !fs.existsSync(manifestPath) && "data-sample/ not generated" }, () => {
  const m = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as SampleManifest;
  const e = m.extended;
  const dup = e.duplicateFile;
  assert.ok(dup, "data-sample plants a byte-identical copy of an audio file");
  const r = ingestExport({ export: SAMPLE });
  const rep = r.report;

  assert.equal(rep.rowsRead, e.recordsInFiles);
  assert.equal(rep.rowsKept, e.musicPlays);
  assert.deepEqual(rep.dropped, {
    "invalid-record": 0,
    duplicate: e.exactDuplicateRecordsInclDuplicateFile,
    video: e.videoRows,
    audiobook: e.audiobookRows,
    podcast: e.podcastRows,
    "no-track-uri": e.localFileRows,
  });
  // The byte-identical copy is dropped entirely, as duplicates.
  const copy = rep.files.find((f) => path.basename(f.file) === dup.name);
  assert.equal(copy?.rows, dup.records);
  assert.match(copy?.note ?? "", new RegExp(`kept 0; dropped duplicate ${dup.records}$`));

  assert.deepEqual(rep.dateRange, e.dateRange);
  assert.deepEqual(rep.labelCoverage, {
    labelled: e.labelled,
    unlabelled: e.unlabelled,
    completed: e.completed,
    unlabelledMonths: e.unlabelledMonths,
  });
  let zeroMs = 0;
  for (let i = 0; i < r.plays.length; i++) if (r.plays.msPlayed[i] === 0) zeroMs++;
  assert.equal(zeroMs, e.zeroMsMusicPlays);

  assert.equal(rep.account.country, m.account.country);
  assert.equal(r.account.creationMs, Date.parse(`${m.account.creationTime}T00:00:00Z`));
  assert.equal(rep.account.libraryTracks, m.account.libraryTracks);
  assert.equal(r.account.bannedTrackUris.length, m.account.bannedTracks);
  assert.equal(rep.account.playlists, m.account.playlists);
  assert.equal(rep.account.playlistItems, m.account.playlistItems);
  assert.equal(rep.account.playlistTrackItems, m.account.playlistTrackItems);

  const c = m.tech.counts;
  assert.equal(rep.tech.connectionError, c.ConnectionError);
  assert.equal(rep.tech.playbackError, c.PlaybackError);
  assert.equal(rep.tech.stutter, c.Stutter);
  assert.equal(rep.tech.trackNotPlayed, c.TrackNotPlayed);
  assert.equal(rep.tech.eventFiles, m.tech.eventFiles);
  const used = ["ConnectionError", "PlaybackError", "Stutter", "TrackNotPlayed"];
  for (const [type, n] of Object.entries(c)) {
    const f = rep.files.find((x) => x.kind === `tech:${type}`);
    if (used.includes(type)) {
      assert.equal(f?.rows, n, `tech file ${type}`);
      assert.equal(f?.bytes, undefined);
    } else {
      // No stage reads this event type: listed with its size, never opened.
      const size = fs.statSync(path.join(SAMPLE, f?.file ?? "")).size;
      assert.deepEqual({ rows: f?.rows, bytes: f?.bytes }, { rows: 0, bytes: size }, `tech file ${type}`);
      assert.match(f?.note ?? "", /^not read \(\d+ (bytes|KB)\): no stage uses these events$/);
    }
  }
  const history = rep.files.filter((f) => f.kind === "account-streaming-history");
  assert.equal(history.length, 2);
  for (const f of history) assert.deepEqual({ rows: f.rows, bytes: f.bytes }, { rows: 0, bytes: fs.statSync(path.join(SAMPLE, f.file)).size });
  assert.deepEqual(rep.unread, {
    files: 6,
    bytes: [...history, ...rep.files.filter((f) => f.package === "tech" && f.bytes !== undefined)].reduce((s, f) => s + (f.bytes ?? 0), 0),
  });

  // Every planted file is accounted for in the report.
  for (const [pkg, names] of Object.entries(m.filesPerPackage as Record<string, string[]>)) {
    for (const name of names) {
      assert.ok(rep.files.some((f) => f.package === pkg && path.basename(f.file) === name), `${pkg}/${name} in report`);
    }
  }
  assert.deepEqual(rep.warnings, []);

  // Planted personal values never leave ingestion.
  const dump = JSON.stringify(r, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v)) + formatIngestReport(rep);
  for (const [name, value] of Object.entries(m.pii as Record<string, string>)) {
    assert.ok(!dump.includes(value), `planted ${name} leaked`);
  }
});
