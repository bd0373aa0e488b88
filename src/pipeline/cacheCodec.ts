/**
 * The stage cache's file format (./cache.ts keeps the entries): ingestion's tables and the
 * feature set as Apache Arrow IPC files. Dictionary columns stay dictionary-encoded and numbers
 * stay typed arrays, so a read returns the arrays a fresh run builds, without re-parsing.
 */
import * as A from "apache-arrow";
import type { FeatureSummaryRow, FittedState, ProbeBasis } from "../features";
import type { FeatureGroup, FeatureSet, LocalTimeSummary } from "../features/types";
import type { AccountData, DictColumn, PlayTable, TechEvents } from "../ingest/types";

/** `id`: the column's dictionary id, unique within its table. */
function dictVector(col: DictColumn, id: number): A.Vector {
  const n = col.codes.length;
  const valid = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (col.codes[i] >= 0) valid[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  const type = new A.Dictionary(new A.Utf8(), new A.Int32(), id);
  const dictionary = A.vectorFromArray(col.values, new A.Utf8());
  // The codes go in as they are (-1 under the null bits), so reading returns them unchanged.
  return A.makeVector(A.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? valid : undefined, data: col.codes, dictionary }));
}

function readDict(vector: A.Vector | null, name: string): DictColumn {
  const data = onlyChunk(vector, name);
  const dictionary = data.dictionary;
  if (!dictionary) throw new Error(`cache column ${name} is not dictionary-encoded`);
  return { codes: valuesOf<Int32Array>(data), values: dictionary.toArray() as string[] };
}

/** A primitive chunk's values, exactly `length` of them (the file's buffers may be padded). */
function valuesOf<T extends ArrayLike<number> & { subarray(a: number, b: number): T }>(data: A.Data): T {
  return (data.values as unknown as T).subarray(data.offset, data.offset + data.length);
}

function onlyChunk(vector: A.Vector<A.DataType> | null, name: string): A.Data {
  if (!vector) throw new Error(`cache column ${name} is missing`);
  if (vector.data.length !== 1) throw new Error(`cache column ${name} has ${vector.data.length} chunks, expected 1`);
  return vector.data[0];
}

function numeric(type: A.Float64 | A.Int32 | A.Int8 | A.Uint8, values: Float64Array | Int32Array | Int8Array | Uint8Array): A.Vector {
  // makeData's overloads are keyed on the concrete type; each of these four takes its own typed array.
  return A.makeVector(A.makeData({ type: type as A.Float64, length: values.length, nullCount: 0, data: values as Float64Array }));
}

/** A Utf8 column of non-null strings, with one encode pass. */
function stringVector(values: string[]): A.Vector {
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += Buffer.byteLength(values[i]);
    offsets[i + 1] = total;
  }
  const bytes = Buffer.from(values.join(""), "utf8");
  return A.makeVector(A.makeData({ type: new A.Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: bytes }));
}

/** Decodes a Utf8 column: one decode of the whole buffer when it is ASCII (timestamps are). */
function readStrings(vector: A.Vector | null, name: string): string[] {
  const data = onlyChunk(vector, name);
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = data.length;
  const out = new Array<string>(n);
  let ascii = true;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const all = buf.toString("latin1");
    for (let i = 0; i < n; i++) out[i] = all.slice(offsets[i], offsets[i + 1]);
  } else {
    for (let i = 0; i < n; i++) out[i] = buf.toString("utf8", offsets[i], offsets[i + 1]);
  }
  return out;
}

function toIPC(columns: Record<string, A.Vector>): Uint8Array {
  return A.tableToIPC(new A.Table(columns), "file");
}

function fromIPC(bytes: Buffer): A.Table {
  return A.tableFromIPC(bytes);
}

const F64 = new A.Float64();
const I32 = new A.Int32();
const I8 = new A.Int8();
const U8 = new A.Uint8();

/** PlayTable → Arrow: dictionary columns stay dictionary-encoded, numbers stay typed arrays. */
export function encodePlays(p: PlayTable): Uint8Array {
  return toIPC({
    ts: stringVector(p.ts),
    startMs: numeric(F64, p.startMs),
    endMs: numeric(F64, p.endMs),
    msPlayed: numeric(F64, p.msPlayed),
    trackUri: dictVector(p.trackUri, 1),
    trackName: dictVector(p.trackName, 2),
    artistName: dictVector(p.artistName, 3),
    albumName: dictVector(p.albumName, 4),
    platformRaw: dictVector(p.platformRaw, 5),
    platformFamily: dictVector(p.platformFamily, 6),
    connCountry: dictVector(p.connCountry, 7),
    reasonStart: dictVector(p.reasonStart, 8),
    reasonEnd: dictVector(p.reasonEnd, 9),
    shuffle: numeric(I8, p.shuffle),
    offline: numeric(I8, p.offline),
    incognito: numeric(I8, p.incognito),
    skipped: numeric(I8, p.skipped),
    completed: numeric(I8, p.completed),
  });
}

export function decodePlays(bytes: Buffer): PlayTable {
  const t = fromIPC(bytes);
  const num = <T extends ArrayLike<number> & { subarray(a: number, b: number): T }>(name: string): T => valuesOf<T>(onlyChunk(t.getChild(name), name));
  const dict = (name: string): DictColumn => readDict(t.getChild(name), name);
  return {
    length: t.numRows,
    ts: readStrings(t.getChild("ts"), "ts"),
    startMs: num<Float64Array>("startMs"),
    endMs: num<Float64Array>("endMs"),
    msPlayed: num<Float64Array>("msPlayed"),
    trackUri: dict("trackUri"),
    trackName: dict("trackName"),
    artistName: dict("artistName"),
    albumName: dict("albumName"),
    platformRaw: dict("platformRaw"),
    platformFamily: dict("platformFamily"),
    connCountry: dict("connCountry"),
    reasonStart: dict("reasonStart"),
    reasonEnd: dict("reasonEnd"),
    shuffle: num<Int8Array>("shuffle"),
    offline: num<Int8Array>("offline"),
    incognito: num<Int8Array>("incognito"),
    skipped: num<Int8Array>("skipped"),
    completed: num<Int8Array>("completed"),
  };
}

const TECH_KINDS = ["connectionError", "playbackError", "stutter", "trackNotPlayed"] as const;

/** The four event series as one table: kind (dictionary) and epoch ms, series after series. */
export function encodeTech(tech: TechEvents): Uint8Array {
  const total = TECH_KINDS.reduce((s, k) => s + tech[k].length, 0);
  const ms = new Float64Array(total);
  const kind = new Int32Array(total);
  let at = 0;
  TECH_KINDS.forEach((k, c) => {
    ms.set(tech[k], at);
    kind.fill(c, at, at + tech[k].length);
    at += tech[k].length;
  });
  return toIPC({ kind: dictVector({ codes: kind, values: [...TECH_KINDS] }, 0), ms: numeric(F64, ms) });
}

export function decodeTech(bytes: Buffer): TechEvents {
  const t = fromIPC(bytes);
  const kind = readDict(t.getChild("kind"), "kind");
  const ms = valuesOf<Float64Array>(onlyChunk(t.getChild("ms"), "ms"));
  const out = {} as TechEvents;
  for (const k of TECH_KINDS) {
    const c = kind.values.indexOf(k);
    let n = 0;
    for (let i = 0; i < kind.codes.length; i++) if (kind.codes[i] === c) n++;
    const series = new Float64Array(n);
    let j = 0;
    for (let i = 0; i < kind.codes.length; i++) if (kind.codes[i] === c) series[j++] = ms[i];
    out[k] = series;
  }
  return out;
}

function nullableStrings(values: (string | null)[]): A.Vector {
  return A.vectorFromArray(values, new A.Utf8());
}

export function encodeLibrary(account: AccountData): Uint8Array {
  const t = account.libraryTracks;
  return toIPC({
    uri: nullableStrings(t.map((r) => r.uri)),
    track: nullableStrings(t.map((r) => r.track)),
    artist: nullableStrings(t.map((r) => r.artist)),
    album: nullableStrings(t.map((r) => r.album)),
  });
}

export function encodePlaylists(account: AccountData): Uint8Array {
  const m = account.playlistMemberships;
  return toIPC({
    trackUri: stringVector(m.map((r) => r.trackUri)),
    addedMs: A.vectorFromArray(m.map((r) => r.addedMs), F64),
  });
}

/** The account fields an ingest entry keeps in meta.json (the two lists go in Arrow files). */
export interface AccountScalars {
  country: string | null;
  creationMs: number | null;
  bannedTrackUris: string[];
  playlistCount: number;
}

export function decodeAccount(library: Buffer, playlists: Buffer, scalars: AccountScalars): AccountData {
  const lib = fromIPC(library);
  const col = (t: A.Table, name: string): (string | null)[] => (t.numRows ? (t.getChild(name)!.toArray() as (string | null)[]) : []);
  const [uri, track, artist, album] = ["uri", "track", "artist", "album"].map((c) => col(lib, c));
  const pl = fromIPC(playlists);
  const trackUri = pl.numRows ? readStrings(pl.getChild("trackUri"), "trackUri") : [];
  const added = pl.numRows ? (pl.getChild("addedMs")!.toArray() as (number | null)[]) : [];
  return {
    country: scalars.country,
    creationMs: scalars.creationMs,
    libraryTracks: uri.map((u, i) => ({ uri: u, track: track[i], artist: artist[i], album: album[i] })),
    bannedTrackUris: scalars.bannedTrackUris,
    playlistCount: scalars.playlistCount,
    playlistMemberships: trackUri.map((u, i) => ({ trackUri: u, addedMs: added[i] ?? null })),
  };
}

/** What a features entry keeps in meta.json: the FeatureSet fields that are not arrays of numbers. */
export interface FeaturesMeta {
  names: string[];
  groups: FeatureGroup[];
  /** FeatureSet.localTime (plain JSON), so a cache hit reports the same local-time sources. */
  localTime?: LocalTimeSummary;
  /** What the builder's `fit` learnt (`encodeFitted`): a cache hit restores it instead of fitting again. */
  fitted?: FittedJson;
  /** `describeFeatures` over every row (every writer stores it; absent in an entry that lost it): 02 shows it without reading the matrix. */
  summary?: FeatureSummaryRow[];
  /** ProbeBasis's template and categories (every writer stores them); its residuals are in their own file (`encodeResiduals`): 04 recommends without reading the matrix. */
  probe?: { template: number[]; categories: Record<string, string> };
}

type Stage1Json = { columns: number[]; scale: number[]; weights: number[]; intercept: number; rows: number; iterations: number };

/** FittedState as plain JSON: its Maps as [key, n, skips] rows in insertion order, typed arrays as arrays (doubles round-trip exactly). */
export interface FittedJson extends Omit<FittedState, "priors" | "stage1"> {
  priors: Omit<FittedState["priors"], "track" | "artist"> & { track: [string, number, number][]; artist: [string, number, number][] };
  stage1: [Stage1Json, Stage1Json];
}

export function encodeFitted(state: FittedState): FittedJson {
  const rows = (m: Map<string, { n: number; skips: number }>) => Array.from(m, ([k, v]): [string, number, number] => [k, v.n, v.skips]);
  const model = (m: FittedState["stage1"][number]): Stage1Json => ({ ...m, columns: Array.from(m.columns), scale: Array.from(m.scale), weights: Array.from(m.weights) });
  return { ...state, priors: { ...state.priors, track: rows(state.priors.track), artist: rows(state.priors.artist) }, stage1: [model(state.stage1[0]), model(state.stage1[1])] };
}

export function decodeFitted(json: FittedJson): FittedState {
  const map = (rows: [string, number, number][]) => new Map(rows.map(([k, n, skips]) => [k, { n, skips }]));
  const model = (m: Stage1Json): FittedState["stage1"][number] => ({ ...m, columns: Int32Array.from(m.columns), scale: Float64Array.from(m.scale), weights: Float64Array.from(m.weights) });
  return { ...json, priors: { ...json.priors, track: map(json.priors.track), artist: map(json.priors.artist) }, stage1: [model(json.stage1[0]), model(json.stage1[1])] };
}

/** FeatureSet's per-row columns → Arrow (X, the bulk, goes to its own file: `encodeMatrix`). */
export function encodeFeatures(features: FeatureSet): Uint8Array {
  return toIPC({
    y: numeric(F64, features.y),
    playIndex: numeric(I32, features.playIndex),
    role: numeric(U8, features.role),
    sessionId: numeric(I32, features.sessionId),
    sessionPosition: numeric(I32, features.sessionPosition),
  });
}

/** FeatureSet without X: its per-row columns and the meta fields. */
export function decodeFeatures(bytes: Buffer, meta: FeaturesMeta): Omit<FeatureSet, "X"> {
  const t = fromIPC(bytes);
  const num = <T extends ArrayLike<number> & { subarray(a: number, b: number): T }>(name: string): T => valuesOf<T>(onlyChunk(t.getChild(name), name));
  const { names, groups, localTime } = meta;
  return {
    names,
    groups,
    rows: t.numRows,
    cols: names.length,
    y: num<Float64Array>("y"),
    playIndex: num<Int32Array>("playIndex"),
    role: num<Uint8Array>("role"),
    sessionId: num<Int32Array>("sessionId"),
    sessionPosition: num<Int32Array>("sessionPosition"),
    ...(localTime ? { localTime } : {}),
  };
}

/** X [rows × cols] → Arrow: one FixedSizeList<Float64>[cols] column, so it reads back as one contiguous Float64Array. */
/** An Arrow writer's sink that keeps the chunks as written, synchronously (views, never joined into one copy). */
class ChunkList extends A.AsyncByteQueue {
  readonly chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }
}

/**
 * X as an Arrow IPC file, in chunks: the body chunk is a view of `features.X` itself (not
 * joined into one 0.67 GB copy at 1M plays).
 */
export function encodeMatrix(features: FeatureSet): Uint8Array[] {
  const x = A.makeData({
    type: new A.FixedSizeList(features.cols, new A.Field("x", F64, false)),
    length: features.rows,
    nullCount: 0,
    child: A.makeData({ type: F64, length: features.rows * features.cols, nullCount: 0, data: features.X }),
  });
  const sink = new ChunkList();
  const writer = new A.RecordBatchFileWriter();
  writer.reset(sink);
  writer.write(new A.Table({ X: A.makeVector(x) }));
  writer.finish();
  return sink.chunks;
}

/** X back (a view on `bytes` when aligned); null when its shape is not rows × cols. */
export function decodeMatrix(bytes: Buffer, rows: number, cols: number): Float64Array | null {
  const t = fromIPC(bytes);
  const X = valuesOf<Float64Array>(onlyChunk(t.getChild("X"), "X").children[0]);
  return t.numRows === rows && X.length === rows * cols ? X : null;
}

/** ProbeBasis.residuals → Arrow ([plays] doubles per stage-1 model; NaN for plays without a row). */
export function encodeResiduals(residuals: ProbeBasis["residuals"]): Uint8Array {
  return toIPC({ residual0: numeric(F64, residuals[0]), residual1: numeric(F64, residuals[1]) });
}

/** The residuals back; null unless both hold `plays` values. */
export function decodeResiduals(bytes: Buffer, plays: number): ProbeBasis["residuals"] | null {
  const t = fromIPC(bytes);
  const r0 = valuesOf<Float64Array>(onlyChunk(t.getChild("residual0"), "residual0"));
  const r1 = valuesOf<Float64Array>(onlyChunk(t.getChild("residual1"), "residual1"));
  return r0.length === plays && r1.length === plays ? [r0, r1] : null;
}
