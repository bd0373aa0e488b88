/**
 * The stage cache (src/pipeline/cache.ts through prepare): a hit returns exactly what a fresh
 * run computes; the export, the parameters and the code version each invalidate it; damaged
 * files are detected and rebuilt; an unwritable folder is a warning; CACHE=0 turns it off.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheEnabledByEnv, exportFingerprint, ingestKey, StageStore, writeIngest } from "../src/pipeline/cache";
import { OFF_THREAD_MIN_BYTES } from "../src/common/bigBuffers";
import { decodeMatrix, encodeMatrix } from "../src/pipeline/cacheCodec";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { ingestCached, prefetchFeatures, prepare, releaseFeatureMatrix } from "../src/pipeline/prepare";
import type { Prepared } from "../src/pipeline/prepare";
import { PLANTED_PII } from "../src/sample/names";
import { describeFeatures, FeatureBuilder, probeBasis } from "../src/features";
import { buildResumePlaylist } from "../src/recommend/playlist";
import { loadEvaluatedRun, saveModelRun } from "../src/pipeline/artifacts";
import { evaluateModels } from "../src/pipeline/evaluate";
import { recommend, runResults } from "../src/pipeline/run";
import { trainModels } from "../src/pipeline/train";
import { writeStandardOutputsAsync } from "../src/pipeline/write";

const SAMPLE = path.join(__dirname, "..", "data-sample");
const EXTENDED = "Spotify Extended Streaming History";

/** Typed arrays as plain arrays, so deepStrictEqual compares values, not buffers. */
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));

let fresh: Prepared;
let freshBasis: ReturnType<typeof probeBasis>;
before(() => {
  fresh = prepare({ export: SAMPLE }, DEFAULT_PARAMS);
  freshBasis = probeBasis(fresh.builder, { plays: fresh.ingest.plays, account: fresh.ingest.account, tech: fresh.ingest.tech }, fresh.features);
});

/** The resume playlist of `p` (a fixed scorer: its rows depend on the representative rows alone). */
function playlistOf(p: Prepared, from: "basis" | "features") {
  const data = { plays: p.ingest.plays, account: p.ingest.account, tech: p.ingest.tech };
  const predict = (X: Float64Array, rows: number, cols: number) => Float64Array.from({ length: rows }, (_, r) => 1 / (1 + Math.exp(-X.subarray(r * cols, (r + 1) * cols).reduce((s, v, j) => s + v * Math.sin(j + 1), 0) / cols)));
  return buildResumePlaylist({ data, split: p.split, builder: p.builder, predict, ...(from === "basis" ? { basis: p.probeBasis() } : { features: p.features }) });
}

function sampleCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cache-export-"));
  fs.cpSync(SAMPLE, dir, { recursive: true });
  return dir;
}

/** prepare() with the cache in `outputDir`, once its cache writes are on disk; `use`: the cache report without its `written`. */
async function run(exportDir: string, outputDir: string, params = DEFAULT_PARAMS, enabled = true) {
  const notes: string[] = [];
  const prepared = prepare({ export: exportDir }, params, undefined, { outputDir, enabled, log: (m) => notes.push(m) });
  await prepared.cache?.written();
  const c = prepared.cache;
  return { prepared, notes, use: c && { ingest: c.ingest, features: c.features, notes: c.notes } };
}

const outDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "cache-out-"));
const entries = (out: string) => fs.readdirSync(path.join(out, "cache")).filter((n) => n !== "last-export.json").sort();

test("a miss writes both stages; the hit returns exactly what a fresh run computes", async () => {
  const out = outDir();
  const first = await run(SAMPLE, out);
  assert.deepEqual(first.use, { ingest: "miss", features: "miss", notes: [] });
  assert.deepEqual(entries(out).map((n) => n.split("-")[0]), ["features", "ingest"]);
  // Counts the builder fits of the hit: none (it adopts the state the miss saved).
  const proto = FeatureBuilder.prototype;
  const fit = Object.getOwnPropertyDescriptor(proto, "fit")!.value as FeatureBuilder["fit"];
  let fits = 0;
  proto.fit = function (this: FeatureBuilder, ...args: Parameters<FeatureBuilder["fit"]>) {
    fits++;
    return fit.apply(this, args);
  };
  let second: Awaited<ReturnType<typeof run>>;
  try {
    second = await run(SAMPLE, out);
  } finally {
    proto.fit = fit;
  }
  assert.equal(fits, 0, "a hit does not fit the builder again");
  assert.deepEqual(second.use, { ingest: "hit", features: "hit", notes: [] });
  assert.deepStrictEqual(plain(second.prepared.ingest), plain(fresh.ingest));
  assert.deepStrictEqual(plain(second.prepared.features), plain(fresh.features));
  assert.deepStrictEqual(plain(second.prepared.split), plain(fresh.split));
  assert.deepStrictEqual(plain(second.prepared.leaky()), plain(fresh.leaky()));
  // the column summary and the recommendations' basis the entry holds (the CLI wrote it) equal the fresh ones
  assert.deepStrictEqual(second.prepared.featureSummary(), describeFeatures(fresh.features));
  assert.deepStrictEqual(plain(second.prepared.probeBasis()), plain(freshBasis));
  assert.deepEqual(second.prepared.builder.summary(), fresh.builder.summary());
  // The hit's builder adopted what the miss's fit learnt (not fitted again), and works as a fitted one.
  assert.deepStrictEqual(second.prepared.builder.fitted, fresh.builder.fitted);
  const data = { plays: second.prepared.ingest.plays, account: second.prepared.ingest.account, tech: second.prepared.ingest.tech };
  assert.deepStrictEqual(plain(second.prepared.builder.transform(data, second.prepared.split)), plain(fresh.features));
  // notebook 01's entry point reads the same entry
  assert.equal((await ingestCached({ export: SAMPLE }, { outputDir: out })).cache.ingest, "hit");
});

test("01's head start: a worker builds 02's features from the cached plays, 02 loads them; a second start finds them; other params and the cache off do not", async () => {
  const out = outDir();
  const cache = { outputDir: out, log: () => {} };
  const ingest = await ingestCached({ export: SAMPLE }, cache);
  assert.equal(ingest.cache.ingest, "miss");
  const built = await prefetchFeatures({ export: SAMPLE }, DEFAULT_PARAMS, cache, ingest);
  assert.equal(built.outcome, "built", built.reason);
  assert.deepEqual(entries(out).map((n) => n.split("-")[0]), ["features", "ingest"]);
  const next = await run(SAMPLE, out);
  assert.deepEqual(next.use, { ingest: "hit", features: "hit", notes: [] });
  // the entry holds the column summary: 02's table comes without reading the matrix, and equals the computed one
  let matrixReads = 0;
  const lazy = Object.getOwnPropertyDescriptor(next.prepared.features, "X") as { get: () => Float64Array };
  Object.defineProperty(next.prepared.features, "X", { get: (): Float64Array => (matrixReads++, lazy.get()), configurable: true, enumerable: true });
  assert.deepStrictEqual(next.prepared.featureSummary(), describeFeatures(fresh.features));
  assert.equal(matrixReads, 0, "the summary came from the entry");
  // and the recommendations' basis: 04's playlist comes without reading the matrix, the same rows as from it
  assert.deepStrictEqual(plain(next.prepared.probeBasis()), plain(freshBasis));
  assert.deepStrictEqual(plain(playlistOf(next.prepared, "basis")), plain(playlistOf(fresh, "features")));
  assert.equal(matrixReads, 0, "the basis came from the entry");
  assert.deepStrictEqual(plain(next.prepared.features), plain(fresh.features));
  assert.deepStrictEqual(next.prepared.builder.fitted, fresh.builder.fitted);
  assert.equal((await prefetchFeatures({ export: SAMPLE }, DEFAULT_PARAMS, cache, ingest)).outcome, "present");
  // another split: its own entry, which 02 with that split then loads
  const other = { ...DEFAULT_PARAMS, testFraction: 0.3 };
  assert.equal((await prefetchFeatures({ export: SAMPLE }, other, cache, ingest)).outcome, "built");
  assert.equal((await run(SAMPLE, out, other)).use?.features, "hit");
  assert.equal((await run(SAMPLE, out)).use?.features, "miss", "one features entry is kept: the latest");
  // from plays 01 read from the cache (a hit): the same features as a fresh build
  const third = { ...DEFAULT_PARAMS, testFraction: 0.25 };
  const hit = await ingestCached({ export: SAMPLE }, cache);
  assert.equal(hit.cache.ingest, "hit");
  assert.equal((await prefetchFeatures({ export: SAMPLE }, third, cache, hit)).outcome, "built");
  assert.deepStrictEqual(plain((await run(SAMPLE, out, third)).prepared.features), plain(prepare({ export: SAMPLE }, third).features));
  // plays of another version of the export (another key): the worker reads this version's entry instead
  const fourth = { ...DEFAULT_PARAMS, testFraction: 0.35 };
  const stale = { ...hit, plays: { ...hit.plays, completed: hit.plays.completed.map((c) => (c < 0 ? c : 1 - c)) }, cache: { ...hit.cache, ingestKey: "an earlier version's key" } };
  assert.equal((await prefetchFeatures({ export: SAMPLE }, fourth, cache, stale)).outcome, "built");
  assert.deepStrictEqual(plain((await run(SAMPLE, out, fourth)).prepared.features), plain(prepare({ export: SAMPLE }, fourth).features));
  const off = await prefetchFeatures({ export: SAMPLE }, DEFAULT_PARAMS, { ...cache, enabled: false }, await ingestCached({ export: SAMPLE }, { ...cache, enabled: false }));
  assert.deepEqual([off.outcome, off.reason], ["skipped", "the stage cache is off"]);
  // no ingest entry (another output folder): says so, builds nothing
  const empty = outDir();
  const none = await prefetchFeatures({ export: SAMPLE }, DEFAULT_PARAMS, { outputDir: empty }, ingest);
  assert.equal(none.outcome, "skipped");
  assert.match(none.reason ?? "", /not cached/);
  assert.ok(!fs.existsSync(path.join(empty, "cache")) || !fs.readdirSync(path.join(empty, "cache")).some((n) => n.startsWith("features")), "no features entry");
});

test("04 from 01's head start never reads the feature matrix, and its playlist equals the one made from the matrix", async () => {
  const out = outDir();
  const cache = { outputDir: out, log: () => {} };
  const ingest = await ingestCached({ export: SAMPLE }, cache);
  assert.equal((await prefetchFeatures({ export: SAMPLE }, DEFAULT_PARAMS, cache, ingest)).outcome, "built");
  // 03: trains on the cached entry and saves its run
  const trained = await run(SAMPLE, out);
  const models = await trainModels(trained.prepared, DEFAULT_PARAMS, undefined, { only: ["tfjs_logistic", "closed_loop_logistic"] });
  saveModelRun(out, models, trained.prepared.features, evaluateModels(trained.prepared.features, models));
  // 04, in a fresh load of the entry, with every read of the matrix counted
  const { prepared } = await run(SAMPLE, out);
  let matrixReads = 0;
  const lazy = Object.getOwnPropertyDescriptor(prepared.features, "X") as { get: () => Float64Array };
  Object.defineProperty(prepared.features, "X", { get: (): Float64Array => (matrixReads++, lazy.get()), configurable: true, enumerable: true });
  const { run: loaded, evaluation } = loadEvaluatedRun(out, prepared);
  const recommended = recommend(prepared, loaded, DEFAULT_PARAMS);
  await writeStandardOutputsAsync(runResults(prepared, DEFAULT_PARAMS, loaded, evaluation, recommended), path.join(out, "04"));
  assert.equal(matrixReads, 0, "04 read the feature matrix");
  // the same playlist as from the basis computed from the matrix (the CLI's on a cache miss)
  const fromMatrix = { ...fresh, probeBasis: () => freshBasis };
  assert.deepStrictEqual(plain(recommended), plain(recommend(fromMatrix, models, DEFAULT_PARAMS)));
});

test("the cache holds no personal data: no IP address, username, e-mail or user agent from the export", async () => {
  const out = outDir();
  await run(SAMPLE, out);
  const raw = fs.readFileSync(path.join(SAMPLE, EXTENDED, fs.readdirSync(path.join(SAMPLE, EXTENDED)).find((f) => f.startsWith("Streaming_History_Audio"))!), "utf8");
  const records = JSON.parse(raw) as Record<string, unknown>[];
  const secrets = new Set<string>();
  for (const r of records) {
    for (const k of ["ip_addr", "ip_addr_decrypted", "username", "user_agent_decrypted"]) {
      const v = r[k];
      if (typeof v === "string" && v.length > 3) secrets.add(v);
    }
  }
  for (const v of Object.values(PLANTED_PII).flat()) if (String(v).length >= 6) secrets.add(String(v));
  assert.ok(secrets.size > 5, "the sample should carry personal fields to look for");
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(path.join(out, "cache"))) {
    const text = fs.readFileSync(file).toString("latin1");
    for (const s of secrets) assert.ok(!text.includes(s), `${path.basename(file)} holds "${s}"`);
  }
});

test("a changed export invalidates both stages and the later run says so in one sentence", async () => {
  const exp = sampleCopy();
  const out = outDir();
  await run(exp, out);
  const file = path.join(exp, EXTENDED, fs.readdirSync(path.join(exp, EXTENDED)).find((f) => f.startsWith("Streaming_History_Audio"))!);
  const records = JSON.parse(fs.readFileSync(file, "utf8")) as unknown[];
  fs.writeFileSync(file, JSON.stringify(records.slice(0, records.length - 5)));
  const after = await run(exp, out);
  assert.equal(after.prepared.cache?.ingest, "miss");
  assert.equal(after.prepared.cache?.features, "miss");
  assert.equal(after.notes.length, 1);
  assert.match(after.notes[0], /^The export at .* changed since the previous run read it \(1 file\(s\) new or modified, 0 removed\)/);
  assert.equal(after.prepared.ingest.report.rowsRead, fresh.ingest.report.rowsRead - 5);
  assert.equal(entries(out).length, 2, "the stale entries are replaced, not kept");
  // a file whose size and mtime are unchanged but whose content is not is still noticed (head/tail hash)
  const text = fs.readFileSync(file, "utf8");
  const stat = fs.statSync(file);
  fs.writeFileSync(file, text.replace(/"ms_played": ?(\d)/, (_m, d: string) => `"ms_played":${d === "9" ? "8" : "9"}`).padEnd(text.length));
  fs.utimesSync(file, stat.atime, stat.mtime);
  assert.equal(fs.statSync(file).size, stat.size);
  assert.equal((await run(exp, out)).prepared.cache?.ingest, "miss");
});

test("parameters that change the features invalidate the feature stage only", async () => {
  const out = outDir();
  await run(SAMPLE, out);
  const other = await run(SAMPLE, out, { ...DEFAULT_PARAMS, testFraction: 0.25 });
  assert.deepEqual(other.use, { ingest: "hit", features: "miss", notes: [] });
  assert.deepStrictEqual(plain(other.prepared.features), plain(prepare({ export: SAMPLE }, { ...DEFAULT_PARAMS, testFraction: 0.25 }).features));
  // seed and top-N do not change ingestion or the features
  assert.deepEqual((await run(SAMPLE, out, { ...DEFAULT_PARAMS, testFraction: 0.25, seed: 7, topN: 10 })).use, { ingest: "hit", features: "hit", notes: [] });
  // lenient is an ingest option: a different key
  const lenient = prepare({ export: SAMPLE, lenient: true }, DEFAULT_PARAMS, undefined, { outputDir: out, log: () => {} });
  assert.equal(lenient.cache?.ingest, "miss");
  await lenient.cache?.written();
});

test("an entry written by another code version is not read", async () => {
  const out = outDir();
  const fp = exportFingerprint({ export: SAMPLE })!;
  const store = new StageStore(out, () => {});
  assert.ok(await writeIngest(store, ingestKey(fp, { export: SAMPLE }, "an older version of src/ingest"), fresh.ingest));
  assert.notEqual(ingestKey(fp, { export: SAMPLE }, "an older version of src/ingest"), ingestKey(fp, { export: SAMPLE }));
  const r = await run(SAMPLE, out);
  assert.equal(r.prepared.cache?.ingest, "miss");
  assert.equal(entries(out).filter((n) => n.startsWith("ingest-")).length, 1, "the old version's entry is replaced");
});

for (const damage of ["truncated", "flipped"] as const) {
  test(`a ${damage} cache file is detected, never trusted, and rebuilt`, async () => {
    const out = outDir();
    await run(SAMPLE, out);
    const dir = path.join(out, "cache", entries(out).find((n) => n.startsWith("features-"))!);
    const file = path.join(dir, "features.arrow");
    const bytes = fs.readFileSync(file);
    if (damage === "truncated") fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    else {
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      fs.writeFileSync(file, bytes);
    }
    const r = await run(SAMPLE, out);
    assert.deepEqual([r.prepared.cache?.ingest, r.prepared.cache?.features], ["hit", "miss"]);
    assert.match(r.prepared.cache!.notes.join(" "), damage === "truncated" ? /features\.arrow could not be trusted \(\d+ bytes where \d+ were written \(truncated\)\)/ : /features\.arrow could not be trusted \(its CRC-32 does not match/);
    assert.deepStrictEqual(plain(r.prepared.features), plain(fresh.features));
    assert.equal((await run(SAMPLE, out)).prepared.cache?.features, "hit", "rewritten after the rebuild");
  });
}

test("a hit reads the feature matrix on first use, checks it then, and rebuilds and rewrites a damaged one", async () => {
  const out = outDir();
  await run(SAMPLE, out);
  const hit = await run(SAMPLE, out);
  assert.equal(hit.prepared.cache?.features, "hit");
  // Damaged after prepare returned, before X was first read: the damage is still caught.
  const file = path.join(out, "cache", entries(out).find((n) => n.startsWith("features-"))!, "X.arrow");
  const bytes = fs.readFileSync(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  fs.writeFileSync(file, bytes);
  assert.deepEqual(hit.notes, []);
  assert.deepStrictEqual(plain(hit.prepared.features.X), plain(fresh.features.X));
  assert.match(hit.notes.join(" "), /X\.arrow could not be trusted \(its CRC-32 does not match/);
  assert.deepEqual(hit.prepared.cache?.notes, hit.notes, "the note is in the run's cache report too");
  assert.deepStrictEqual(plain(hit.prepared.leaky()), plain(fresh.leaky()));
  await hit.prepared.cache?.written(); // the rebuilt matrix's entry
  const again = await run(SAMPLE, out);
  assert.deepStrictEqual(plain(again.prepared.features), plain(fresh.features));
  assert.deepEqual(again.notes, [], "rewritten after the rebuild");
  const rewritten = JSON.parse(fs.readFileSync(path.join(path.dirname(file), "meta.json"), "utf8")) as { data: Record<string, unknown>; files: Record<string, unknown> };
  assert.ok(rewritten.data.summary && rewritten.data.probe && rewritten.files["residuals.arrow"], "the rewritten entry still holds the summary and the basis");
  assert.deepStrictEqual(plain(again.prepared.probeBasis()), plain(freshBasis));
  fs.rmSync(file);
  const missing = await run(SAMPLE, out);
  assert.deepStrictEqual(plain(missing.prepared.features.X), plain(fresh.features.X));
  assert.match(missing.notes.join(" "), /X\.arrow could not be trusted \(missing\)/);
});

test("the recommendations' basis kept with a head-start entry is checked when read: damaged, it is computed from the matrix and the entry rewritten", async () => {
  const out = outDir();
  const cache = { outputDir: out, log: () => {} };
  const ingest = await ingestCached({ export: SAMPLE }, cache);
  assert.equal((await prefetchFeatures({ export: SAMPLE }, DEFAULT_PARAMS, cache, ingest)).outcome, "built");
  const file = path.join(out, "cache", entries(out).find((n) => n.startsWith("features-"))!, "residuals.arrow");
  const bytes = fs.readFileSync(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  fs.writeFileSync(file, bytes);
  const hit = await run(SAMPLE, out);
  assert.equal(hit.prepared.cache?.features, "hit", "the rest of the entry is still used");
  assert.deepEqual(hit.notes, []);
  assert.deepStrictEqual(plain(hit.prepared.probeBasis()), plain(freshBasis));
  assert.match(hit.notes.join(" "), /residuals\.arrow could not be trusted \(its CRC-32 does not match.*computed from the feature matrix and the entry rewritten/);
  await hit.prepared.cache?.written();
  // rewritten: the next reader takes the basis from the entry again, without the matrix
  const repaired = await run(SAMPLE, out);
  let matrixReads = 0;
  const lazy = Object.getOwnPropertyDescriptor(repaired.prepared.features, "X") as { get: () => Float64Array };
  Object.defineProperty(repaired.prepared.features, "X", { get: (): Float64Array => (matrixReads++, lazy.get()), configurable: true, enumerable: true });
  assert.deepStrictEqual(plain(repaired.prepared.probeBasis()), plain(freshBasis));
  assert.deepEqual([matrixReads, repaired.notes], [0, []]);
  fs.rmSync(file);
  const missing = await run(SAMPLE, out);
  assert.deepStrictEqual(plain(missing.prepared.probeBasis()), plain(freshBasis));
  assert.match(missing.notes.join(" "), /residuals\.arrow could not be trusted \(missing\)/);
});

test("a run's write leaves the entry complete once written() settles; temporary folders of dead runs are swept, live or foreign ones kept", async () => {
  const out = outDir();
  const host = os.hostname();
  const gone = spawnSync(process.execPath, ["-e", ""]).pid; // exited: its pid names no process now
  const tmp = (suffix: string) => {
    fs.mkdirSync(path.join(out, "cache", `features-0123.tmp-${suffix}`), { recursive: true });
    return path.join(out, "cache", `features-0123.tmp-${suffix}`);
  };
  tmp(`${gone}-dead@${host}`);
  tmp(`${process.pid}-live@${host}`);
  tmp(`${gone}-elsewhere@another-host`); // a run on another machine sharing the folder: its pid means nothing here
  const old = tmp(`${gone}-old@another-host`);
  fs.utimesSync(old, new Date(Date.now() - 2 * 86400_000), new Date(Date.now() - 2 * 86400_000));
  const prepared = prepare({ export: SAMPLE }, DEFAULT_PARAMS, undefined, { outputDir: out, log: () => {} });
  await prepared.cache!.written();
  const left = entries(out).map((n) => n.replace(/-[0-9a-f]{24}$/, "")).sort();
  assert.deepEqual(left, ["features", `features-0123.tmp-${gone}-elsewhere@another-host`, `features-0123.tmp-${process.pid}-live@${host}`, "ingest"].sort());
  assert.equal((await run(SAMPLE, out)).use?.features, "hit");
});

test("an entry's late part (data and small files computed while its big file is written) lands with it; a late part that throws leaves nothing", async () => {
  const out = outDir();
  const store = new StageStore(out, () => {});
  // Big and shared: written by the writing thread, while the late part is computed here.
  const big = new Uint8Array(new SharedArrayBuffer(OFF_THREAD_MIN_BYTES));
  for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 255;
  let calledDuringWrite = false;
  const written = store.write("demo", "k1", { "big.bin": [big] }, () => {
    calledDuringWrite = true;
    return { data: { answer: 42 }, files: { "small.bin": [Uint8Array.of(1, 2, 3)] } };
  });
  assert.ok(calledDuringWrite, "the late part is computed before write returns, with the big file under way");
  assert.equal(await written, true);
  const entry = store.read<{ answer: number }>("demo", "k1");
  assert.ok(!("kind" in entry));
  assert.deepEqual(entry.meta.data, { answer: 42 });
  assert.deepEqual([...entry.files["small.bin"]], [1, 2, 3]);
  assert.ok(entry.files["big.bin"].equals(Buffer.from(big.buffer)));
  // A late part that throws: the error is the caller's, and no entry and no temporary folder remain once the big write ends.
  const boom = new Error("the summary failed");
  assert.throws(() => store.write("demo", "k2", { "big.bin": [big] }, () => { throw boom; }), (e) => e === boom);
  for (let k = 0; k < 200 && entries(out).some((n) => n.includes("k2") || n.includes(".tmp-")); k++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(entries(out).filter((n) => n.startsWith("demo-")), ["demo-k1"], "only the first entry");
  assert.equal(await store.write("demo", "k3", { "small.bin": [Uint8Array.of(7)] }, { answer: 1 }), true, "the store is still writable");
});

test("the feature matrix goes to disk as the Arrow IPC file of X, its body a view of X itself (no copy)", () => {
  const chunks = encodeMatrix(fresh.features);
  assert.ok(chunks.some((c) => c.buffer === fresh.features.X.buffer), "a chunk is a view of X");
  const whole = Buffer.concat(chunks);
  assert.deepStrictEqual(plain(decodeMatrix(whole, fresh.features.rows, fresh.features.cols)), plain(fresh.features.X));
});

test("an unwritable cache folder is one warning and the run continues uncached", async () => {
  const out = outDir();
  fs.writeFileSync(path.join(out, "cache"), "a file where the cache folder would go");
  const r = await run(SAMPLE, out);
  assert.equal(r.notes.length, 1);
  assert.match(r.notes[0], /^warning: the cache folder .*cache is not writable .* continues without the cache; .*--no-cache \/ CACHE=0\.$/);
  assert.deepStrictEqual(plain(r.prepared.features), plain(fresh.features));
  assert.equal((await run(SAMPLE, out)).prepared.cache?.ingest, "miss");
});

test("--no-cache / CACHE=0: nothing is read or written", async () => {
  const out = outDir();
  const r = await run(SAMPLE, out, DEFAULT_PARAMS, false);
  assert.equal(r.prepared.cache, undefined);
  assert.ok(!fs.existsSync(path.join(out, "cache")));
  assert.equal(cacheEnabledByEnv({ CACHE: "0" }), false);
  assert.equal(cacheEnabledByEnv({ CACHE: "off" }), false);
  assert.equal(cacheEnabledByEnv({}), true);
  assert.equal(cacheEnabledByEnv({ CACHE: "1" }), true);
});

test("releaseFeatureMatrix lets the matrix go: nothing `prepared` holds still reaches it", async () => {
  const v8 = await import("v8");
  const vm = await import("vm");
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const prepared = prepare({ export: SAMPLE }, DEFAULT_PARAMS);
  const matrix = new WeakRef(prepared.features.X);
  // what was computed from it before (kept by `prepared`) must not hold it either
  prepared.featureSummary();
  prepared.probeBasis();
  releaseFeatureMatrix(prepared);
  assert.throws(() => prepared.features.X, /released/);
  assert.throws(() => prepared.featureSummary(), /released/);
  assert.throws(() => prepared.probeBasis(), /released/);
  // A WeakRef's target lives to the end of the job that read it, and one collection right after
  // the first turn did not always clear it (the test alone, or a loaded machine): a few turns, each
  // with a full collection. A matrix still held by `prepared` survives them all.
  for (let turn = 0; turn < 5 && matrix.deref() !== undefined; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  assert.equal(matrix.deref(), undefined, "the matrix is still reachable");
  assert.equal(prepared.features.rows, fresh.features.rows);
});
