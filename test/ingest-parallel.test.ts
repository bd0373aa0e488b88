/**
 * `ingestExportAsync` with the parallel path forced (minBytes 0) must give exactly what
 * `ingestExport` gives: every column, dictionary and the whole report, and the same
 * UserInputError for broken input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { zipSync } from "fflate";
import { ingestExport, ingestExportAsync, type ParallelIngestOptions, type ParallelIngestStats } from "../src/ingest/index";
import type { ParsePoolFactory } from "../src/ingest/parallel";
import { workersLoading, workersOnly } from "./helpers/parsePool";
import type { IngestOptions } from "../src/ingest/types";
import { extendedExport, plays, rawExtendedExport } from "./fixtures/bad/make-bad";
import { ACC, EXT, TECH, accountFiles, audiobookRec, newRec, oldRec, podcastRec, techEvent, tmpDir, writeTree, zipEntries } from "./fixtures/ingest/make-export";

/** Every extended file through the worker (with the workersOnly pool: the main thread parses none itself). */
const FORCE: ParallelIngestOptions = { minBytes: 0, workers: 1 };
/** The normal schedule, forced on: worker and main thread share the files. */
const BALANCED: ParallelIngestOptions = { minBytes: 0, workers: 1 };
const sample = path.join(__dirname, "..", "data-sample");

type Outcome = { ok: true; value: unknown } | { ok: false; name: string; message: string };

function syncOutcome(o: IngestOptions): Outcome {
  try {
    return { ok: true, value: ingestExport(o) };
  } catch (e) {
    return { ok: false, name: (e as Error).name, message: (e as Error).message };
  }
}
async function asyncOutcome(o: IngestOptions, p: ParallelIngestOptions, pool?: ParsePoolFactory): Promise<Outcome> {
  try {
    return { ok: true, value: await ingestExportAsync(o, p, pool) };
  } catch (e) {
    return { ok: false, name: (e as Error).name, message: (e as Error).message };
  }
}
let lastStats: ParallelIngestStats | null = null;
/** Who parsed the files in the last `same` call. */
function stats(): ParallelIngestStats {
  assert.ok(lastStats, "onStats was called");
  return lastStats;
}
/** `pool` defaults to workersOnly with FORCE, to the production pool otherwise. */
async function same(o: IngestOptions, p: ParallelIngestOptions = FORCE, pool: ParsePoolFactory | undefined = p === FORCE ? workersOnly : undefined): Promise<Outcome> {
  const want = syncOutcome(o);
  lastStats = null;
  const got = await asyncOutcome(o, { ...p, onStats: (s) => (lastStats = s) }, pool);
  assert.deepStrictEqual(got, want);
  return want;
}

/** Several extended files with cross-file duplicates, podcasts, audiobooks, videos, invalid records, non-ASCII and null fields. */
function mixedExport(files = 9, perFile = 300): Record<string, unknown> {
  const tree: Record<string, unknown> = { ...accountFiles(), [`${TECH}/ConnectionError.json`]: [techEvent()] };
  let prev: unknown[] = [];
  for (let f = 0; f < files; f++) {
    const recs: unknown[] = plays(perFile, { startIso: `2022-0${1 + (f % 9)}-03T08:00:00Z`, tracks: 40 + f });
    recs.push(...prev.slice(0, 20)); // duplicates of the previous file: the first occurrence wins
    recs.push(recs[3], podcastRec(), audiobookRec(), newRec({ master_metadata_track_name: "Ünïcødé ♫ 曲", platform: null }));
    recs.push(oldRec({ ms_played: "x" }), 17, null, oldRec({ ts: "bad" }), oldRec({ shuffle: "yes" }), oldRec({ offline_timestamp: null, skipped: true }));
    recs.push(oldRec({ spotify_track_uri: "" }), oldRec({ spotify_track_uri: null }), newRec({ episode_name: "E" }));
    prev = recs;
    tree[`${EXT}/Streaming_History_Audio_2022_${f}.json`] = recs;
  }
  tree[`${EXT}/Streaming_History_Video_2022.json`] = plays(30);
  tree[`${EXT}/Streaming_History_Audio_2022_3 (1).json`] = prev; // a browser's duplicate download
  return tree;
}

test("data-sample: identical to ingestExport", async () => {
  const r = await same({ export: sample });
  assert.ok(r.ok);
  assert.ok(stats().workersStarted === 1 && stats().worker > 0 && stats().inline === 0 && stats().mainAhead === 0, JSON.stringify(stats()));
  await same({ export: sample }, BALANCED);
});

test("data-sample: identical with 2 workers, and with the default threshold (sequential)", async () => {
  await same({ export: sample }, { minBytes: 0, workers: 2 });
  await same({ export: sample }, {});
  assert.equal(stats().workersStarted, 0);
  await same({ export: sample }, { minBytes: 0, workers: 0 });
});

test("generated export with duplicates, invalid records, podcasts, audiobooks, videos", async () => {
  const dir = writeTree(tmpDir("par-"), mixedExport());
  const r = await same({ export: dir });
  assert.ok(r.ok);
  assert.ok(stats().worker === 11, JSON.stringify(stats()));
  await same({ export: dir }, BALANCED);
  await same({ export: dir, lenient: true });
  await same({ export: dir, strictRecords: true });
  await same({ extendedDir: path.join(dir, EXT), accountDir: path.join(dir, ACC) });
});

test("damaged files: same errors (naming the same file) and, lenient, the same warnings", async () => {
  const tree = mixedExport(5, 100);
  tree[`${EXT}/Streaming_History_Audio_2022_2.json`] = '[{"ts": "2022-01-01T00:00:00Z",';
  tree[`${EXT}/Streaming_History_Audio_2022_4.json`] = { not: "an array" };
  tree[`${EXT}/endsong_7.json`] = "";
  const dir = writeTree(tmpDir("par-bad-"), tree);
  const strict = await same({ export: dir });
  assert.ok(!strict.ok && /endsong_7\.json/.test(strict.message), JSON.stringify(strict).slice(0, 400));
  const lenient = await same({ export: dir, lenient: true });
  assert.ok(lenient.ok, JSON.stringify(lenient).slice(0, 400));
});

test("damaged zip entries: the worker leaves them to the main thread, which names them as ingestExport does", async () => {
  const tree = zipEntries(mixedExport(4, 60));
  tree[`${EXT}/Streaming_History_Audio_2022_2.json`] = new TextEncoder().encode('[{"ts": "2022-01-01T00:00:00Z",');
  const zipped = zipSync(tree, { level: 6 });
  const zip = path.join(tmpDir("par-badzip-"), "my_spotify_data.zip");
  fs.writeFileSync(zip, zipped);
  const truncatedJson = await same({ export: zip });
  assert.ok(!truncatedJson.ok && /Streaming_History_Audio_2022_2\.json/.test(truncatedJson.message), JSON.stringify(truncatedJson).slice(0, 400));
  assert.ok((await same({ export: zip, lenient: true })).ok);
  // A corrupted deflate stream in one entry (its central directory intact): the same UserInputError either way.
  const broken = Uint8Array.from(zipped);
  const name = new TextEncoder().encode(`${EXT}/Streaming_History_Audio_2022_1.json`);
  const at = Buffer.from(broken).indexOf(Buffer.from(name)) + name.length; // the first header is the local one: its data follows
  for (let k = 8; k < 40; k++) broken[at + k] ^= 0xa5;
  fs.writeFileSync(zip, broken);
  const damaged = await same({ export: zip });
  assert.ok(!damaged.ok && damaged.name === "UserInputError", JSON.stringify(damaged).slice(0, 400));
});

test("invalid UTF-8, BOMs, UTF-16, non-extended content under an extended name", async () => {
  const recs = plays(50);
  const text = JSON.stringify(recs, null, 2).replace("Track 1", "Tr\u00e4ck \u2603");
  const bad = Buffer.from(text.replace("Track 2", "Track X"), "utf8");
  const i = bad.indexOf("Track X");
  bad[i + 6] = 0xff;
  const dir = writeTree(tmpDir("par-enc-"), {
    [`${EXT}/Streaming_History_Audio_2022_0.json`]: bad,
    [`${EXT}/Streaming_History_Audio_2022_1.json`]: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(plays(20, { startIso: "2023-01-01T00:00:00Z" })))]),
    [`${EXT}/Streaming_History_Audio_2022_2.json`]: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(plays(20, { startIso: "2023-02-01T00:00:00Z" })), "utf16le")]),
    [`${EXT}/Streaming_History_Audio_2022_3.json`]: [techEvent()],
    [`${EXT}/Streaming_History_Audio_2022_4.json`]: [],
    [`${EXT}/Streaming_History_Audio_2022_5.json`]: [{ endTime: "2023-01-01 12:34", artistName: "A", trackName: "T", msPlayed: 1 }],
    [`${EXT}/notes.json`]: plays(5, { startIso: "2024-01-01T00:00:00Z" }),
    [`${EXT}/other.json`]: { a: 1 },
  });
  await same({ export: dir });
  await same({ export: dir, lenient: true });
  await same({ extendedDir: path.join(dir, EXT) });
  await same({ extendedDir: path.join(dir, EXT), lenient: true, strictRecords: true });
});

test("single-file, fixture helpers, zips and missing paths", async () => {
  const one = extendedExport(plays(40));
  await same({ export: one });
  await same({ export: path.join(one, EXT, "Streaming_History_Audio_2022_0.json") });
  const raw = rawExtendedExport('[{"ts":1}]');
  await same({ export: raw.dir });
  await same({ export: raw.dir, strictRecords: true });
  const zipDir = tmpDir("par-zip-");
  const zip = path.join(zipDir, "my_spotify_data.zip");
  fs.writeFileSync(zip, zipSync(zipEntries(mixedExport(3, 50))));
  await same({ export: zip });
  // Every extended entry of the zip (3 + the video + the duplicate download) is parsed in the worker.
  assert.ok(stats().workersStarted === 1 && stats().worker === 5 && stats().inline === 0, JSON.stringify(stats()));
  await same({ export: zip }, BALANCED);
  await same({ export: zipDir });
  assert.ok(stats().worker === 5, JSON.stringify(stats()));
  await same({ export: path.join(zipDir, "missing") });
  await same({});
  await same({ extendedDir: writeTree(tmpDir("par-empty-"), { "x.txt": "hello" }) });
});

test("a worker that cannot load falls back to the main thread; several workers", async () => {
  const dir = writeTree(tmpDir("par-nw-"), mixedExport(4, 50));
  await same({ export: dir }, FORCE, workersLoading(path.join(dir, "missing-worker.ts")));
  assert.ok(stats().worker === 0 && stats().inline === 6, JSON.stringify(stats()));
  await same({ export: dir }, { minBytes: 0, workers: 3 }, workersOnly);
  assert.ok(stats().workersStarted === 3 && stats().worker === 6, JSON.stringify(stats()));
});

test("onPlan says, before any file is parsed, how many bytes of extended history there are and whether they are parsed on several threads", async () => {
  const plans: { extendedBytes: number; parallel: boolean }[] = [];
  let statsSeen = false;
  const onPlan = (plan: { extendedBytes: number; parallel: boolean }) => {
    assert.equal(statsSeen, false, "before the end");
    plans.push(plan);
  };
  const extendedBytes = fs
    .readdirSync(path.join(sample, "Spotify Extended Streaming History"))
    .filter((f) => /^Streaming_History_.*\.json$/.test(f))
    .reduce((sum, f) => sum + fs.statSync(path.join(sample, "Spotify Extended Streaming History", f)).size, 0);
  await ingestExportAsync({ export: sample }, { onPlan, onStats: () => (statsSeen = true) });
  statsSeen = false;
  await ingestExportAsync({ export: sample }, { ...BALANCED, onPlan, onStats: () => (statsSeen = true) });
  assert.deepEqual(plans, [
    { extendedBytes, parallel: false },
    { extendedBytes, parallel: true },
  ]);
});
