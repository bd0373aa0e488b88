/**
 * plays.parquet and scored_samples.parquet, read back with an independent reader (hyparquet,
 * a pure-JavaScript Parquet implementation: not the Rust writer that made them): row counts,
 * physical and logical types, dictionary-encoded strings, values, and byte-identical re-runs.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_PARAMS } from "../src/pipeline/params";
import { runPipeline } from "../src/pipeline/run";
import { valueAt } from "../src/ingest/types";
import { readCsvTable } from "../src/report/csv";
import { int64s } from "../src/pipeline/parquet";
import type { PipelineOutcome } from "../src/pipeline/run";

const SAMPLE = path.join(__dirname, "..", "data-sample");
let out = "";
let outcome: PipelineOutcome;

interface Meta {
  num_rows: bigint;
  schema: { name: string; type?: string; logical_type?: { type: string; isAdjustedToUTC?: boolean; unit?: string }; repetition_type?: string }[];
  row_groups: { columns: { meta_data: { path_in_schema: string[]; encodings: string[] } }[] }[];
}
// hyparquet is ESM-only: loaded with a dynamic import.
type Hyparquet = {
  parquetMetadataAsync(file: ArrayBuffer): Promise<Meta>;
  parquetReadObjects(options: { file: ArrayBuffer; rowStart?: number; rowEnd?: number }): Promise<Record<string, unknown>[]>;
};
let hp: Hyparquet;

const load = (name: string): ArrayBuffer => {
  const b = fs.readFileSync(path.join(out, name));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const column = (meta: Meta, name: string) => meta.schema.find((s) => s.name === name)!;
const encodings = (meta: Meta, name: string) => meta.row_groups.flatMap((g) => g.columns.filter((c) => c.meta_data.path_in_schema[0] === name).flatMap((c) => c.meta_data.encodings));

before(async () => {
  hp = (await import("hyparquet")) as unknown as Hyparquet;
  out = fs.mkdtempSync(path.join(os.tmpdir(), "parquet-"));
  outcome = await runPipeline({ export: SAMPLE }, out, DEFAULT_PARAMS, undefined, { outputWorkers: false });
});

test("plays.parquet holds every music play with typed columns and dictionary-encoded strings", async () => {
  const plays = outcome.results.prepared.ingest.plays;
  const file = load("plays.parquet");
  const meta = await hp.parquetMetadataAsync(file);
  assert.equal(Number(meta.num_rows), plays.length);
  for (const c of ["start_utc", "end_utc"]) {
    assert.equal(column(meta, c).type, "INT64");
    assert.deepEqual(column(meta, c).logical_type, { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" }, c);
  }
  assert.equal(column(meta, "ms_played").type, "INT64");
  for (const c of ["spotify_track_uri", "track", "artist", "album", "platform", "platform_family", "conn_country", "reason_start", "reason_end"]) {
    assert.equal(column(meta, c).type, "BYTE_ARRAY", c);
    assert.equal(column(meta, c).logical_type?.type, "STRING", c);
    assert.ok(encodings(meta, c).includes("RLE_DICTIONARY"), `${c} dictionary-encoded`);
  }
  for (const c of ["shuffle", "offline", "incognito", "skipped", "completed"]) assert.equal(column(meta, c).type, "BOOLEAN", c);
  // no personal-data column
  assert.deepEqual(meta.schema.map((s) => s.name).filter((n) => /^(ip_addr|username|user_agent|e_?mail|profile)/i.test(n)), []);

  const rows = await hp.parquetReadObjects({ file });
  assert.equal(rows.length, plays.length);
  for (const i of [0, 1, Math.floor(plays.length / 2), plays.length - 1]) {
    const r = rows[i];
    assert.equal((r.start_utc as Date).getTime(), Math.round(plays.startMs[i]));
    assert.equal((r.end_utc as Date).getTime(), plays.endMs[i]);
    assert.equal(Number(r.ms_played), plays.msPlayed[i]);
    assert.equal(r.track, valueAt(plays.trackName, i));
    assert.equal(r.reason_end, valueAt(plays.reasonEnd, i));
    assert.equal(r.completed, plays.completed[i] < 0 ? null : plays.completed[i] === 1);
  }
  const unlabelled = rows.filter((r) => r.completed === null).length;
  assert.equal(unlabelled, Array.from(plays.completed).filter((c) => c < 0).length);
  assert.ok(unlabelled > 0, "the sample has unlabelled plays: nulls must survive");
});

test("scored_samples.parquet has the CSV's rows and columns with proper types", async () => {
  const csv = readCsvTable(path.join(out, "scored_samples.csv"));
  const file = load("scored_samples.parquet");
  const meta = await hp.parquetMetadataAsync(file);
  assert.equal(Number(meta.num_rows), csv.rows.length);
  assert.deepEqual(meta.schema.slice(1).map((s) => s.name), csv.columns);
  assert.deepEqual(column(meta, "ts").logical_type, { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" });
  assert.deepEqual(column(meta, "start_local").logical_type, { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MILLIS" });
  assert.equal(column(meta, "hour_local").type, "INT32");
  assert.equal(column(meta, "hour_local").logical_type?.type, "INTEGER");
  assert.equal(column(meta, "label").type, "BOOLEAN");
  for (const c of csv.columns.filter((c) => c.startsWith("p_"))) assert.equal(column(meta, c).type, "DOUBLE", c);
  for (const c of ["artist", "split", "platform_family"]) assert.ok(encodings(meta, c).includes("RLE_DICTIONARY"), `${c} dictionary-encoded`);
  // Scores and instants are mostly distinct values: written plain, without a dictionary attempt.
  for (const c of ["ts", "p_complete", "session_id"]) assert.ok(!encodings(meta, c).includes("RLE_DICTIONARY"), `${c} plain`);

  const rows = await hp.parquetReadObjects({ file });
  csv.rows.forEach((c, i) => {
    const r = rows[i];
    assert.equal((r.ts as Date).toISOString().replace(".000Z", "Z"), c.ts);
    assert.equal((r.start_local as Date).toISOString().slice(0, 19), c.start_local);
    assert.equal(r.hour_local, c.hour_local);
    assert.equal(r.artist, c.artist);
    assert.equal(r.label, c.label === 1);
    assert.equal(r.p_complete, c.p_complete);
  });
});

/** Every file under `dir` (relative path → bytes), but the run manifest and model_metrics.json (which records timings). */
function outputFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    const rel = path.relative(dir, full);
    if (rel !== "model_metrics.json" && !rel.startsWith(".") && !rel.startsWith("cache")) files.set(rel, fs.readFileSync(full));
  }
  return files;
}

test("the Parquet files are byte-identical across identical runs, and every output whether written on this thread or with worker threads", async () => {
  // `out` was written on this thread (`outputWorkers: false`); this run encodes plays.parquet and renders the figures in workers.
  const again = fs.mkdtempSync(path.join(os.tmpdir(), "parquet-again-"));
  const workers = await runPipeline({ export: SAMPLE }, again, DEFAULT_PARAMS, undefined, { outputWorkers: true });
  for (const name of ["plays.parquet", "scored_samples.parquet"]) {
    assert.ok(fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(path.join(again, name))), name);
  }
  const inline = outputFiles(out);
  const threaded = outputFiles(again);
  assert.deepEqual([...threaded.keys()].sort(), [...inline.keys()].sort());
  assert.ok(inline.size >= 20 && inline.has("figures/dashboard.html") && inline.has("scored_samples.csv"), `${inline.size} files`);
  for (const [name, bytes] of inline) assert.ok(bytes.equals(threaded.get(name)!), name);
  assert.deepEqual(workers.figures.written.map((w) => w.file), outcome.figures.written.map((w) => w.file));
});

test("int64s stores whole numbers as BigInt64Array does, negative and beyond 32 bits included", () => {
  const values = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), 1_700_000_000_123, -1_700_000_000_123, 2 ** 53 - 1, -(2 ** 53 - 1)];
  for (let k = 0; k < 1000; k++) values.push(Math.round(Math.sin(k) * 2 ** (k % 53)));
  assert.deepEqual(int64s(values), BigInt64Array.from(values, (v) => BigInt(v)));
});
