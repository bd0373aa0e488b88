import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  FOLDER_ACCOUNT,
  FOLDER_EXTENDED,
  FOLDER_TECH,
  SampleManifest,
  TECH_TYPES,
  generateExport,
} from "../src/sample/generate";
import { HOSTILE_LIST, PLANTED_PII } from "../src/sample/names";
import { CONTINUITY_MAX_GAP_MS, COUNTRY_ZONE } from "../src/sample/signal";
import { berlinOffsetMs } from "../src/sample/time";
import { writeSample } from "../src/sample/write-sample";

const REPO = path.resolve(__dirname, "..");
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "sample-test-"));
process.on("exit", () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
const tmp = (name: string): string => path.join(tmpRoot, name);

/** Relative path -> bytes, for every file under dir (dotfiles included). */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function assertSameTree(a: Map<string, Buffer>, b: Map<string, Buffer>, hint: string): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `file lists differ (${hint})`);
  for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs (${hint})`);
}

// The default sample is generated once into tmp and shared by the checks below.
const defaultDir = tmp("default");
const manifest: SampleManifest = writeSample({ outDir: defaultDir });

type Rec = Record<string, unknown> & { ts: string; ms_played: number; reason_end: string | null; reason_start: string };

interface ParsedExtended {
  distinct: { rec: Rec; file: string; video: boolean }[];
  filesRecords: Map<string, Rec[]>;
  total: number;
  dupes: number;
}

function parseExtended(root: string): ParsedExtended {
  const dir = path.join(root, FOLDER_EXTENDED);
  const seen = new Set<string>();
  const distinct: ParsedExtended["distinct"] = [];
  const filesRecords = new Map<string, Rec[]>();
  let total = 0;
  let dupes = 0;
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith(".json")) continue;
    const recs = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Rec[];
    total += recs.length;
    if (f.includes(" (1)")) continue; // compared byte-for-byte separately
    filesRecords.set(f, recs);
    for (const r of recs) {
      const key = JSON.stringify(r);
      if (seen.has(key)) dupes++;
      else {
        seen.add(key);
        distinct.push({ rec: r, file: f, video: f.startsWith("Streaming_History_Video") });
      }
    }
  }
  return { distinct, filesRecords, total, dupes };
}

const parsed = parseExtended(defaultDir);
const music = parsed.distinct.filter((d) => !d.video && d.rec.spotify_track_uri).map((d) => d.rec);
const startOf = (r: Rec): number => Date.parse(r.ts) - r.ms_played;
music.sort((a, b) => startOf(a) - startOf(b));

test("generation is byte-for-byte deterministic and depends on the seed", () => {
  const a = tmp("det-a");
  const b = tmp("det-b");
  const c = tmp("det-c");
  generateExport({ outDir: a, musicPlays: 1500, seed: 7 });
  generateExport({ outDir: b, musicPlays: 1500, seed: 7 });
  generateExport({ outDir: c, musicPlays: 1500, seed: 8 });
  const ta = readTree(a);
  assert.ok(ta.size > 20);
  assertSameTree(ta, readTree(b), "same seed");
  const tc = readTree(c);
  const ext = [...ta.keys()].find((k) => k.includes("Streaming_History_Audio") && k.endsWith("_0.json"))!;
  const extC = [...tc.keys()].find((k) => k.includes("Streaming_History_Audio") && k.endsWith("_0.json"))!;
  assert.ok(!ta.get(ext)!.equals(tc.get(extC)!), "another seed must give other plays");
});

test("committed data-sample/ equals a fresh generation with the default options", () => {
  const committed = path.join(REPO, "data-sample");
  assert.ok(fs.existsSync(path.join(committed, "MANIFEST.json")), "data-sample/ missing: run `npx tsx scripts/make-sample.ts`");
  assertSameTree(readTree(defaultDir), readTree(committed), "regenerate with `npx tsx scripts/make-sample.ts`; never hand-edit");
});

test("manifest counts match the extended-history files", () => {
  const e = manifest.extended;
  assert.equal(parsed.total, e.recordsInFiles);
  assert.equal(parsed.dupes, e.exactDuplicateRecords);
  assert.ok(e.exactDuplicateRecords > 0);
  const kind = (d: ParsedExtended["distinct"][number]): string =>
    d.video ? "video" : d.rec.spotify_track_uri ? "music" : d.rec.spotify_episode_uri ? "podcast" : d.rec.audiobook_uri ? "audiobook" : "local";
  const counts: Record<string, number> = { music: 0, podcast: 0, audiobook: 0, local: 0, video: 0 };
  for (const d of parsed.distinct) counts[kind(d)]++;
  assert.deepEqual(counts, e.distinct);
  assert.equal(e.musicPlays, manifest.generator.musicPlays);
  for (const k of ["podcast", "audiobook", "local", "video"]) assert.ok(counts[k] > 0, `no ${k} rows`);
  const locals = parsed.distinct.filter((d) => kind(d) === "local");
  assert.equal(locals.filter((d) => d.rec.master_metadata_track_name !== null).length, e.localFileRowsWithName);

  // Duplicate file: byte-for-byte copy.
  const dir = path.join(defaultDir, FOLDER_EXTENDED);
  assert.ok(e.duplicateFile);
  assert.ok(fs.readFileSync(path.join(dir, e.duplicateFile.name)).equals(fs.readFileSync(path.join(dir, e.duplicateFile.copyOf))));
  assert.equal(e.recordsExcludingDuplicateFile + e.duplicateFile.records, e.recordsInFiles);
  for (const f of [...e.audioFiles, ...e.videoFiles]) assert.equal(parsed.filesRecords.get(f.name)?.length, f.records, f.name);

  // Labels.
  const labelled = music.filter((r) => r.reason_end !== null && r.reason_end !== "unknown");
  assert.equal(labelled.length, e.labelled);
  assert.equal(music.filter((r) => r.reason_end === null).length, e.unlabelledNull);
  assert.equal(music.filter((r) => r.reason_end === "unknown").length, e.unlabelledUnknown);
  assert.equal(labelled.filter((r) => r.reason_end === "trackdone").length, e.completed);
  assert.equal(music.filter((r) => r.ms_played === 0).length, e.zeroMsMusicPlays);
  const rate = e.completed / e.labelled;
  assert.ok(rate > 0.45 && rate < 0.65, `completion rate ${rate}`);

  // Unlabelled months, by start month and by ts month alike.
  for (const monthOf of [(r: Rec) => new Date(startOf(r)).toISOString().slice(0, 7), (r: Rec) => r.ts.slice(0, 7)]) {
    const m = new Map<string, [number, number]>();
    for (const r of music) {
      const v = m.get(monthOf(r)) ?? [0, 0];
      v[0]++;
      if (r.reason_end !== null && r.reason_end !== "unknown") v[1]++;
      m.set(monthOf(r), v);
    }
    assert.deepEqual([...m].filter(([, v]) => v[1] === 0).map(([k]) => k).sort(), e.unlabelledMonths);
  }
  assert.equal(e.unlabelledMonths.length, 3);
});

test("extended records follow the real schema changes", () => {
  const ipRename = Date.parse(manifest.changes.ipRenameFrom);
  const books = Date.parse(manifest.changes.audiobookFieldsFrom);
  const skippedFrom = Date.parse(manifest.changes.skippedReliableFrom);
  const coarseFrom = Date.parse(manifest.changes.coarsePlatformFrom);
  const coarse = new Set(["android", "ios", "windows", "linux", "not_applicable", "playstation", "osx"]);
  let skippedTrue = 0;
  for (const { rec } of parsed.distinct) {
    const t = Date.parse(rec.ts);
    assert.match(rec.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(Number.isInteger(rec.ms_played) && rec.ms_played >= 0, true);
    const old = t < ipRename;
    assert.equal("ip_addr_decrypted" in rec, old, rec.ts);
    assert.equal("username" in rec, old, rec.ts);
    assert.equal("user_agent_decrypted" in rec, old, rec.ts);
    assert.equal("ip_addr" in rec, !old, rec.ts);
    assert.equal("audiobook_uri" in rec, t >= books, rec.ts);
    if (t < skippedFrom) assert.equal(rec.skipped, false);
    else if (rec.skipped) skippedTrue++;
    assert.equal(coarse.has(String(rec.platform)), t >= coarseFrom, `${rec.ts} ${String(rec.platform)}`);
  }
  assert.ok(skippedTrue > 100);
  assert.ok(manifest.extended.audioFiles.some((f) => f.name.includes("2025")));
  // Audiobook rows only from 2025.
  for (const { rec } of parsed.distinct) if (rec.audiobook_uri) assert.ok(Date.parse(rec.ts) >= books);
});

test("rows are out of order within and across files; durations and reasons are consistent", () => {
  const files = [...parsed.filesRecords.entries()].filter(([f]) => f.startsWith("Streaming_History_Audio")).sort((a, b) => Number(a[0].match(/_(\d+)\.json$/)![1]) - Number(b[0].match(/_(\d+)\.json$/)![1]));
  let unsortedFiles = 0;
  let crossFile = 0;
  for (let i = 0; i < files.length; i++) {
    const ts = files[i][1].map((r) => r.ts);
    if (ts.some((t, k) => k > 0 && t < ts[k - 1])) unsortedFiles++;
    if (i > 0) {
      const prevMax = files[i - 1][1].map((r) => r.ts).sort().at(-1)!;
      if (ts.some((t) => t < prevMax)) crossFile++;
    }
  }
  assert.ok(unsortedFiles >= files.length - 1, `only ${unsortedFiles} unsorted files`);
  assert.ok(crossFile >= 2);

  // Each track has one fixed duration: completed plays play all of it, others less.
  const duration = new Map<string, number>();
  for (const r of music) if (r.reason_end === "trackdone") {
    const uri = r.spotify_track_uri as string;
    assert.equal(duration.get(uri) ?? r.ms_played, r.ms_played, uri);
    duration.set(uri, r.ms_played);
    assert.ok(r.ms_played >= 120_000 && r.ms_played <= 360_000);
  }
  for (const r of music) if (r.reason_end !== "trackdone" && r.reason_end !== null && r.reason_end !== "unknown") {
    const d = duration.get(r.spotify_track_uri as string);
    if (d !== undefined) assert.ok(r.ms_played < d);
  }
  // Inside a session (gap <= 30 min) the next reason_start follows the previous reason_end.
  let checked = 0;
  for (let i = 1; i < music.length; i++) {
    const prev = music[i - 1];
    const gap = startOf(music[i]) - Date.parse(prev.ts);
    assert.ok(gap >= 0, "plays overlap");
    if (gap <= 30 * 60_000 && ["trackdone", "fwdbtn", "backbtn"].includes(String(prev.reason_end))) {
      assert.equal(music[i].reason_start, prev.reason_end);
      checked++;
    }
  }
  assert.ok(checked > 2000);
});

test("hostile names and planted personal data are in the files", () => {
  const names = new Set<string>();
  for (const r of music) {
    names.add(String(r.master_metadata_track_name));
    names.add(String(r.master_metadata_album_artist_name));
  }
  for (const h of HOSTILE_LIST) assert.ok(names.has(h), `hostile name never played: ${JSON.stringify(h)}`);
  const all = [...readTree(defaultDir).entries()].filter(([k]) => k.endsWith(".json") && !k.endsWith("MANIFEST.json")).map(([, v]) => v.toString("utf8")).join("\n");
  for (const v of Object.values(PLANTED_PII)) assert.ok(all.includes(JSON.stringify(v).slice(1, -1)), `PII value missing: ${v}`);
  const { playlists } = JSON.parse(fs.readFileSync(path.join(defaultDir, FOLDER_ACCOUNT, "Playlist1.json"), "utf8")) as { playlists: { name: string }[] };
  assert.ok(playlists.some((p) => p.name === "<script>alert(1)</script>"));
});

test("pii: false writes none of the planted personal data", () => {
  const dir = tmp("nopii");
  const m = generateExport({ outDir: dir, musicPlays: 400, pii: false });
  assert.equal(m.pii, null);
  const all = [...readTree(dir).values()].map((b) => b.toString("utf8")).join("\n");
  for (const v of Object.values(PLANTED_PII)) assert.ok(!all.includes(v), `leaked ${v}`);
});

test("account data and technical log match the manifest", () => {
  const acc = path.join(defaultDir, FOLDER_ACCOUNT);
  const read = <T>(f: string) => JSON.parse(fs.readFileSync(path.join(acc, f), "utf8")) as T;
  const lib = read<{ tracks: unknown[]; bannedTracks: unknown[] }>("YourLibrary.json");
  assert.equal(lib.tracks.length, manifest.account.libraryTracks);
  assert.equal(lib.bannedTracks.length, manifest.account.bannedTracks);
  const pl = read<{ playlists: { items: { track: unknown; addedDate: string }[] }[] }>("Playlist1.json").playlists;
  assert.equal(pl.length, manifest.account.playlists);
  assert.equal(pl.reduce((n, p) => n + p.items.length, 0), manifest.account.playlistItems);
  assert.equal(pl.reduce((n, p) => n + p.items.filter((i) => i.track).length, 0), manifest.account.playlistTrackItems);
  assert.ok(pl.every((p) => p.items.every((i) => /^\d{4}-\d\d-\d\d$/.test(i.addedDate))));
  assert.equal(read<{ country: string }>("Userdata.json").country, "DE");
  assert.equal(read<unknown[]>("StreamingHistory_music_0.json").length, manifest.account.streamingHistoryMusicRows);
  assert.match(fs.readFileSync(path.join(acc, "Userdata.json"), "utf8"), /"country" : "DE"/);
  for (const folder of [FOLDER_ACCOUNT, FOLDER_EXTENDED, FOLDER_TECH]) {
    const files = fs.readdirSync(path.join(defaultDir, folder));
    assert.ok(files.some((f) => /^ReadMeFirst_.*\.pdf$/.test(f)), `no pdf in ${folder}`);
  }
  assert.deepEqual(manifest.filesPerPackage.account, fs.readdirSync(acc).sort());

  const tech = path.join(defaultDir, FOLDER_TECH);
  for (const type of TECH_TYPES) {
    const events = JSON.parse(fs.readFileSync(path.join(tech, `${type}.json`), "utf8")) as Record<string, unknown>[];
    assert.equal(events.length, manifest.tech.counts[type], type);
    for (const ev of events) {
      assert.match(String(ev.timestamp_utc), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(ev.context_time, Date.parse(String(ev.timestamp_utc)));
      for (const k of ["context_receiver_service_timestamp", "context_application_version", "context_conn_country", "context_device_model", "context_os_name"]) assert.ok(k in ev, `${type} lacks ${k}`);
    }
    if (events.length > 10) {
      const t = events.map((e) => Date.parse(String(e.timestamp_utc)));
      assert.ok(t.some((x, i) => i > 0 && x < t[i - 1]), `${type} is sorted`);
    }
  }
  assert.ok(manifest.tech.counts.ConnectionError > 50 && manifest.tech.counts.PlaybackError > 0);
});

test("both technical-log namings are produced on request", () => {
  const dir = tmp("hourly");
  generateExport({ outDir: dir, musicPlays: 300, techNaming: "hourly" });
  const files = fs.readdirSync(path.join(dir, FOLDER_TECH));
  for (const t of TECH_TYPES) {
    assert.ok(files.includes(`${t}_Hourly.json`), t);
    assert.ok(!files.includes(`${t}.json`), t);
  }
  assert.ok(fs.readdirSync(path.join(defaultDir, FOLDER_TECH)).includes("ConnectionError.json"));
});

test("the planted signal is visible in the files alone", () => {
  // The planted clock is that of the play's conn_country (travel), as signal.ts says.
  const formats = new Map<string, Intl.DateTimeFormat>();
  const fmtFor = (country: string): Intl.DateTimeFormat => {
    const zone = COUNTRY_ZONE[country];
    assert.ok(zone, `conn_country ${country} has a planted zone`);
    let f = formats.get(zone);
    if (!f) formats.set(zone, (f = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "numeric", hourCycle: "h23", weekday: "short" })));
    return f;
  };
  const errors = (JSON.parse(fs.readFileSync(path.join(defaultDir, FOLDER_TECH, "ConnectionError.json"), "utf8")) as { timestamp_utc: string }[])
    .map((e) => Date.parse(e.timestamp_utc))
    .sort((a, b) => a - b);
  const lib = new Set((JSON.parse(fs.readFileSync(path.join(defaultDir, FOLDER_ACCOUNT, "YourLibrary.json"), "utf8")) as { tracks: { uri: string }[] }).tracks.map((t) => t.uri));
  const groups = new Map<string, [number, number]>();
  const add = (g: string, done: boolean) => {
    const v = groups.get(g) ?? [0, 0];
    v[0]++;
    if (done) v[1]++;
    groups.set(g, v);
  };
  let pos = 0;
  let e = 0;
  for (let i = 0; i < music.length; i++) {
    const r = music[i];
    const s = startOf(r);
    // Device run: same platform, starting within seconds of the previous play's end.
    const prev = music[i - 1];
    pos = i > 0 && prev.platform === r.platform && s - Date.parse(prev.ts) <= CONTINUITY_MAX_GAP_MS ? pos + 1 : 1;
    if (r.reason_end === null || r.reason_end === "unknown") continue;
    const done = r.reason_end === "trackdone";
    const parts = Object.fromEntries(fmtFor(String(r.conn_country)).formatToParts(new Date(s)).map((p) => [p.type, p.value]));
    const hour = Number(parts.hour);
    add(hour <= 5 ? "night" : hour >= 18 ? "evening" : "day", done);
    add(pos > 20 ? "pos>20" : pos <= 15 ? "pos<=15" : "pos16-20", done);
    while (e < errors.length && errors[e] < s) e++;
    add(e > 0 && s - errors[e - 1] <= 24 * 3_600_000 ? "error24h" : "noError", done);
    // Library membership is per track: compare within each artist so artist taste does not confound it.
    add(`${lib.has(String(r.spotify_track_uri)) ? "lib" : "noLib"}|${String(r.master_metadata_album_artist_name)}`, done);
    add(r.shuffle ? "shuffle" : "noShuffle", done);
    add(r.reason_start === "clickrow" || r.reason_start === "playbtn" ? "click" : r.reason_start === "fwdbtn" ? "fwd" : "other", done);
  }
  const rate = (g: string) => {
    const [n, d] = groups.get(g)!;
    assert.ok(n >= 100, `${g}: only ${n} plays`);
    return d / n;
  };
  assert.ok(rate("evening") - rate("night") > 0.2, "hour effect");
  assert.ok(rate("pos<=15") - rate("pos>20") > 0.1, `device-run position effect ${rate("pos<=15")} vs ${rate("pos>20")}`);
  assert.ok(rate("noError") - rate("error24h") > 0.1, "connection error effect");
  let libDiff = 0;
  let libWeight = 0;
  for (const [key, [n, d]] of groups) {
    if (!key.startsWith("lib|")) continue;
    const other = groups.get("noLib|" + key.slice(4));
    if (!other) continue;
    const w = Math.min(n, other[0]);
    libDiff += w * (d / n - other[1] / other[0]);
    libWeight += w;
  }
  assert.ok(libWeight > 500 && libDiff / libWeight > 0.06, `library effect ${libDiff / libWeight}`);
  assert.ok(rate("noShuffle") - rate("shuffle") > 0.05, "shuffle effect");
  assert.ok(rate("click") - rate("fwd") > 0.15, "reason_start effect");
  assert.ok(manifest.signal.oracleAuc > 0.75);
});

test("Europe/Berlin offset matches Intl", () => {
  const fmt = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", timeZoneName: "shortOffset" });
  for (let t = Date.UTC(2008, 0, 1); t < Date.UTC(2027, 0, 1); t += 7 * 3_600_000 + 13 * 60_000) {
    const name = fmt.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")!.value;
    assert.equal(berlinOffsetMs(t) / 3_600_000, Number(name.replace("GMT", "")), new Date(t).toISOString());
  }
  // The switch instants themselves (last Sunday 01:00 UTC).
  assert.equal(berlinOffsetMs(Date.UTC(2024, 2, 31, 0, 59, 59)), 3_600_000);
  assert.equal(berlinOffsetMs(Date.UTC(2024, 2, 31, 1, 0, 0)), 7_200_000);
  assert.equal(berlinOffsetMs(Date.UTC(2024, 9, 27, 0, 59, 59)), 7_200_000);
  assert.equal(berlinOffsetMs(Date.UTC(2024, 9, 27, 1, 0, 0)), 3_600_000);
});

test("writeSample refuses to wipe a folder it did not write", () => {
  const dir = tmp("foreign");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "keep.txt"), "mine");
  assert.throws(() => writeSample({ outDir: dir, musicPlays: 10 }), /refusing to wipe/);
  assert.equal(fs.readFileSync(path.join(dir, "keep.txt"), "utf8"), "mine");
});

test("a 20k-play export generates (timing logged, not asserted)", () => {
  const dir = tmp("20k");
  const t0 = Date.now();
  const m = generateExport({ outDir: dir, musicPlays: 20_000, seed: 3 });
  const ms = Date.now() - t0;
  console.log(`# 20k plays: ${ms} ms, ${m.extended.recordsInFiles} records, ${m.extended.audioFiles.length} audio files`);
  assert.equal(m.extended.musicPlays, 20_000);
  assert.ok(m.extended.audioFiles.every((f) => f.records <= m.generator.recordsPerFile + 20));
  fs.rmSync(dir, { recursive: true, force: true });
});
