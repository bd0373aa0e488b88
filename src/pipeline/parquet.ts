/**
 * Parquet copies of the play table and the scored plays, for pandas, polars, R or DuckDB:
 * `plays.parquet` and `scored_samples.parquet` next to the CSVs.
 *
 * Built as Apache Arrow tables (`apache-arrow`) and written by `parquet-wasm` (Rust's
 * parquet crate compiled to WebAssembly: 4.9 MB per build on disk, no native binary, so it
 * installs from the npm registry alone). Strings are dictionary-encoded, instants are
 * TIMESTAMP(MILLIS, UTC), local wall-clock times TIMESTAMP(MILLIS) without a zone, flags
 * nullable booleans, scores doubles. Snappy-compressed (every reader has it); byte-identical for identical inputs.
 *
 * Privacy: the play table has no personal-data column (ingestion never keeps one).
 */
import * as path from "path";
import * as A from "apache-arrow";
import { startWorkerJob } from "../common/worker";
import type * as ParquetWasm from "parquet-wasm";
import type { DictColumn, PlayTable, TriBool } from "../ingest/types";
import type { CodedColumn } from "../report/csv";
import { scoredColumn } from "./tables";
import type { ScoredColumns, ScoredFileColumn } from "./tables";

const UTC_MS = new A.TimestampMillisecond("UTC");
const LOCAL_MS = new A.TimestampMillisecond();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TWO_32 = 2 ** 32;

/**
 * Whole numbers (|v| < 2^53, as every millisecond count here) → int64, as `BigInt64Array.from`
 * would store them, without a BigInt per value (~50 ns each: 0.15 s for 3M values at 1M
 * plays): each is written as its two 32-bit words, low word first on a little-endian machine.
 */
export function int64s(values: ArrayLike<number>, n = values.length): BigInt64Array {
  const out = new BigInt64Array(n);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++) out[i] = BigInt(values[i]);
    return out;
  }
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const high = Math.floor(v / TWO_32);
    words[2 * i] = v - high * TWO_32; // in [0, 2^32): stored as its low 32 bits
    words[2 * i + 1] = high;
  }
  return out;
}

function timestamps(ms: ArrayLike<number>, type: A.TimestampMillisecond, valid?: (i: number) => boolean): A.Vector {
  const n = ms.length;
  const rounded = new Float64Array(n);
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid && !valid(i)) {
      nulls++;
      continue;
    }
    rounded[i] = Math.round(ms[i]);
    bitmap[i >> 3] |= 1 << (i & 7);
  }
  return A.makeVector(A.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, data: int64s(rounded) }));
}

/** A dictionary column as Arrow Dictionary<Utf8, Int32> (null where the code is -1). */
function dictionary(col: DictColumn, id: number): A.Vector {
  const n = col.codes.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (col.codes[i] < 0) nulls++;
    else {
      codes[i] = col.codes[i];
      bitmap[i >> 3] |= 1 << (i & 7);
    }
  }
  const type = new A.Dictionary(new A.Utf8(), new A.Int32(), id);
  return A.makeVector(A.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, data: codes, dictionary: A.vectorFromArray(col.values, new A.Utf8()) }));
}

function booleans(get: (i: number) => number | null, n: number): A.Vector {
  const values = new Uint8Array((n + 7) >> 3);
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v === null || v < 0) {
      nulls++;
      continue;
    }
    bitmap[i >> 3] |= 1 << (i & 7);
    if (v > 0) values[i >> 3] |= 1 << (i & 7);
  }
  return A.makeVector(A.makeData({ type: new A.Bool(), length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, data: values }));
}

const tri = (col: TriBool) => (i: number) => col[i];

function numbers<T extends A.Int8 | A.Int32 | A.Int64 | A.Float64>(type: T, values: Int8Array | Int32Array | BigInt64Array | Float64Array): A.Vector {
  return A.makeVector(A.makeData({ type: type as unknown as A.Float64, length: values.length, nullCount: 0, data: values as Float64Array }));
}

/**
 * The columns written without a dictionary (`toParquet`): all but strings (Arrow
 * dictionaries) and 8-bit integers (hours, weekdays: a handful of values).
 */
export function plainColumnsOf(table: A.Table): string[] {
  return table.schema.fields.filter((f) => !A.DataType.isDictionary(f.type) && !(A.DataType.isInt(f.type) && f.type.bitWidth === 8)).map((f) => f.name);
}

/**
 * Arrow table → Parquet bytes: snappy; dictionary pages for every column but `plainColumnsOf`;
 * byte-identical for identical input. A column of mostly distinct values (scores, instants,
 * durations) gains nothing from a dictionary the writer builds and then abandons: at 1M plays,
 * leaving them plain halves scored_samples.parquet's encoding (~0.65 → ~0.3 s) and makes it 6 %
 * smaller.
 */
export function toParquet(table: A.Table): Uint8Array {
  // Loaded on first use: the module compiles its WebAssembly when required (~0.3 s), which
  // notebooks that only import a helper from pipeline/write.ts should not pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; import() would make every writer async
  const pw = require("parquet-wasm") as typeof ParquetWasm;
  const wasm = pw.Table.fromIPCStream(A.tableToIPC(table, "stream"));
  let builder = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setDictionaryEnabled(true).setCreatedBy("spotify-completion-workspace");
  for (const name of plainColumnsOf(table)) builder = builder.setColumnDictionaryEnabled(name, false);
  return pw.writeParquet(wasm, builder.build());
}

/** What plays.parquet holds of the play table: all but the `ts` strings (start_utc and end_utc stand for them). */
export type PlaysColumns = Omit<PlayTable, "ts">;

/** A worker thread started before its play table is known (`startPlaysParquetWorker`). */
export interface PlaysParquetWorker {
  /**
   * plays.parquet's bytes, its table built and encoded in the worker (~0.5 s and ~1 s at 1M
   * plays that this thread spends on the other outputs meanwhile); its columns are shared with
   * the worker (ingestion's are on SharedArrayBuffers; others are copied before this returns).
   * Same bytes as `toParquet(playsTable(p))`, which runs here when the worker cannot start or
   * dies. Call it once.
   */
  encode(p: PlayTable): Promise<Uint8Array>;
  /** Stops the worker when no play table will come; nothing once `encode` was called. */
  cancel(): void;
}

/** Starts plays.parquet's worker now: it loads apache-arrow and parquet-wasm (~0.4 s) while this thread works on what comes before the outputs. */
export function startPlaysParquetWorker(): PlaysParquetWorker {
  const job = startWorkerJob<{ plays: PlaysColumns }, Uint8Array>(path.join(__dirname, "playsParquetWorker.ts"), { preload: ["apache-arrow", "parquet-wasm"] });
  return {
    encode(p) {
      const plays: PlaysColumns = { ...p };
      delete (plays as Partial<PlayTable>).ts;
      return job.run({ plays }).then((bytes) => bytes ?? toParquet(playsTable(p)));
    },
    cancel: () => job.cancel(),
  };
}

/** `startPlaysParquetWorker().encode(p)`. */
export function playsParquetInWorker(p: PlayTable): Promise<Uint8Array> {
  return startPlaysParquetWorker().encode(p);
}

/**
 * The music play table, one row per play in start order: when it started and ended (UTC),
 * how long it played, what and where, the flags and the label (`completed`, null when the
 * export gives no usable reason_end).
 */
export function playsTable(p: PlaysColumns): A.Table {
  const n = p.length;
  const ms = new Float64Array(n);
  for (let i = 0; i < n; i++) ms[i] = Math.round(p.msPlayed[i]);
  return new A.Table({
    start_utc: timestamps(p.startMs, UTC_MS),
    end_utc: timestamps(p.endMs, UTC_MS),
    ms_played: numbers(new A.Int64(), int64s(ms)),
    spotify_track_uri: dictionary(p.trackUri, 1),
    track: dictionary(p.trackName, 2),
    artist: dictionary(p.artistName, 3),
    album: dictionary(p.albumName, 4),
    platform: dictionary(p.platformRaw, 5),
    platform_family: dictionary(p.platformFamily, 6),
    conn_country: dictionary(p.connCountry, 7),
    reason_start: dictionary(p.reasonStart, 8),
    reason_end: dictionary(p.reasonEnd, 9),
    shuffle: booleans(tri(p.shuffle), n),
    offline: booleans(tri(p.offline), n),
    incognito: booleans(tri(p.incognito), n),
    skipped: booleans(tri(p.skipped), n),
    completed: booleans(tri(p.completed), n),
  });
}

/** Local ISO wall-clock time "YYYY-MM-DDTHH:MM:SS" → ms since 1970 in that wall clock (no zone). */
function wallClockMs(iso: string): number {
  return Date.parse(`${iso}Z`);
}

/** Each text's instant (a loop: `Float64Array.from(texts, parse)` goes through the iterator protocol, ~20× slower). */
function instants(texts: readonly string[], parse: (text: string) => number): Float64Array {
  const ms = new Float64Array(texts.length);
  for (let k = 0; k < texts.length; k++) ms[k] = parse(texts[k]);
  return ms;
}

/** A coded column's shown values as a dictionary column (values in first-seen order, as a dictionary of its texts would be). */
function codedDictionary(column: CodedColumn, length: number, id: number): A.Vector {
  const index = new Map<string, number>();
  const recoded = new Int32Array(column.labels.length + 1).fill(-1); // last: `missing`
  const codes = new Int32Array(length);
  for (let k = 0; k < length; k++) {
    const code = column.codes[k];
    const slot = code >= 0 && code < column.labels.length ? code : column.labels.length;
    let c = recoded[slot];
    if (c < 0) {
      const text = slot < column.labels.length ? column.labels[slot] : column.missing;
      c = index.get(text) ?? index.size;
      index.set(text, c);
      recoded[slot] = c;
    }
    codes[k] = c;
  }
  return dictionary({ codes, values: [...index.keys()] }, id);
}

/**
 * scored_samples.csv's rows and columns as a table: `ts` and `start_local` become timestamps
 * (UTC, and local wall clock without a zone), integers stay integers, p_* are doubles.
 */
export function scoredTable(c: ScoredColumns, columns: readonly ScoredFileColumn[]): A.Table {
  const n = c.length;
  const out: Record<string, A.Vector> = {};
  let dictId = 0;
  // apache-arrow's IPC writer breaks on two columns over one buffer (p_complete is its model's scores): such a column goes as a copy.
  const used = new Set<unknown>();
  for (const name of columns) {
    const shared = scoredColumn(c, name);
    const column = used.has(shared) && ArrayBuffer.isView(shared) ? shared.slice() : shared;
    used.add(shared);
    if (name === "ts") out[name] = timestamps(instants(c.ts, Date.parse), UTC_MS);
    else if (name === "start_local") out[name] = timestamps(instants(c.start_local, wallClockMs), LOCAL_MS);
    else if (name === "shuffle" || name === "label") out[name] = booleans((i) => (column as Int8Array)[i], n);
    else if (column instanceof Int8Array) out[name] = numbers(new A.Int8(), column);
    else if (column instanceof Int32Array) out[name] = numbers(new A.Int32(), column);
    else if (column instanceof Float64Array) out[name] = numbers(new A.Float64(), column);
    else out[name] = codedDictionary(column as CodedColumn, n, ++dictId);
  }
  return new A.Table(out);
}
