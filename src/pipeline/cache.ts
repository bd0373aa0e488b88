/**
 * The stage cache: ingestion's output (play table, account data, technical events, report)
 * and the leak-free feature set, written once per (export fingerprint, parameters, code
 * version) as Apache Arrow IPC files under OUTPUT_DIR/cache/, so the CLI and every notebook
 * load them instead of re-parsing the export and rebuilding the features.
 *
 * Layout (one entry per stage; a new entry replaces the stage's older ones):
 *   cache/ingest-<key>/   meta.json, plays.arrow, tech.arrow, library.arrow, playlists.arrow
 *   cache/features-<key>/ meta.json, features.arrow
 *   cache/last-export.json  the export path and fingerprint the last run saw
 *
 * - Keys: sha256 of the export fingerprint (every file's path, size, mtime and a sha256 of its
 *   first and last 64 KiB: a full hash of a 1 GB export costs seconds per notebook), the
 *   options that change the stage's result, and the code version (sha256 of the producing
 *   source files and the apache-arrow version).
 * - Integrity: meta.json records every file's length and CRC-32 and is written last; an entry
 *   is written into a temporary folder renamed into place (atomic). A file whose length or
 *   CRC-32 does not match is never trusted: the stage is recomputed and rewritten.
 * - Privacy: only what ingestion keeps goes in (no IP addresses, usernames, e-mail, user
 *   agents or profile names: ingestion drops them while parsing).
 * - An unwritable cache folder is a warning; the run continues uncached.
 */
import { hasFilters } from "../ingest/filters";
import { labelRuleName } from "../ingest/label";
import * as A from "apache-arrow";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { FeatureGroup, FeatureSet, LocalTimeSummary } from "../features/types";
import type { AccountData, DictColumn, IngestOptions, IngestReport, IngestResult, PlayTable, TechEvents } from "../ingest/types";
import { listExportFiles } from "./exportFiles";

export const CACHE_DIR = "cache";
/** Bytes hashed at each end of every export file. */
const EDGE_BYTES = 64 * 1024;

export interface StageCacheOptions {
  /** The run's output folder: the cache is OUTPUT_DIR/cache/. */
  outputDir: string;
  /** false (`--no-cache`, `CACHE=0`): read and write nothing. Default true. */
  enabled?: boolean;
  /** Warnings and notices (unwritable folder, corrupt file, export changed), one sentence each. */
  log?: (message: string) => void;
}

/** Whether CACHE in the environment turns the cache off ("0", "false", "no", "off"). */
export function cacheEnabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CACHE ?? "").trim().toLowerCase();
  return !(v === "0" || v === "false" || v === "no" || v === "off");
}

// ---------------------------------------------------------------- fingerprint and keys

export interface FileStamp {
  /** Path relative to the root given (or the root itself for a zip). */
  file: string;
  bytes: number;
  mtimeMs: number;
  /** sha256 of the first and last EDGE_BYTES (the whole file when smaller). */
  edges: string;
}

export interface ExportFingerprint {
  /** The paths given, as given. */
  roots: string[];
  files: FileStamp[];
  /** sha256 over all of the above. */
  hash: string;
}

function stampFile(abs: string, rel: string, size: number): FileStamp {
  const st = fs.statSync(abs);
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(abs, "r");
  try {
    const head = Buffer.alloc(Math.min(EDGE_BYTES, size));
    fs.readSync(fd, head, 0, head.length, 0);
    h.update(head);
    if (size > EDGE_BYTES) {
      const tailLen = Math.min(EDGE_BYTES, size - EDGE_BYTES);
      const tail = Buffer.alloc(tailLen);
      fs.readSync(fd, tail, 0, tailLen, size - tailLen);
      h.update(tail);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { file: rel, bytes: size, mtimeMs: Math.floor(st.mtimeMs), edges: h.digest("hex") };
}

/**
 * What identifies the export's content without reading all of it: every file's path, size,
 * modification time and a hash of its first and last 64 KiB. Null when a path cannot be read
 * (ingestion then reports the problem in its own words).
 */
export function exportFingerprint(input: IngestOptions): ExportFingerprint | null {
  const listing = listExportFiles(input);
  if (listing.missing.length) return null;
  let files: FileStamp[];
  try {
    files = listing.files.map((f) => stampFile(f.abs, f.file, f.bytes));
  } catch {
    return null;
  }
  return { roots: listing.roots, files, hash: sha256(JSON.stringify(files)) };
}

function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** Folders whose source produces the cached stages; any edit there changes the key. */
const CODE_DIRS = ["../ingest", "../features", "../common"];
const CODE_FILES = ["./prepare.ts", "./cache.ts"];
let codeVersionMemo: string | null = null;

/** sha256 of the producing source files (ingest, features, common, prepare, cache) and apache-arrow's version. */
export function codeVersion(): string {
  if (codeVersionMemo) return codeVersionMemo;
  const h = crypto.createHash("sha256");
  const files: string[] = [];
  for (const d of CODE_DIRS) {
    const abs = path.join(__dirname, d);
    for (const name of fs.readdirSync(abs).sort()) if (/\.(ts|js)$/.test(name)) files.push(path.join(abs, name));
  }
  for (const f of CODE_FILES) files.push(path.join(__dirname, f));
  for (const f of files) {
    h.update(path.relative(path.join(__dirname, ".."), f));
    h.update(fs.readFileSync(f));
  }
  h.update(`apache-arrow ${arrowVersion()}`);
  codeVersionMemo = h.digest("hex");
  return codeVersionMemo;
}

function arrowVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve("apache-arrow/package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/**
 * The ingest stage's key: export fingerprint, the ingest options that change its result
 * (including the completion rule and the exclusion filters, which shape `plays.completed` and
 * the kept rows; the default rule and no filters leave the key as before), code.
 */
export function ingestKey(fingerprint: ExportFingerprint, input: IngestOptions, code = codeVersion()): string {
  const rule = input.label && input.label.kind !== "reason-end" ? { label: labelRuleName(input.label) } : {};
  const filters = hasFilters(input.filters) ? { filters: input.filters } : {};
  return sha256(JSON.stringify({ stage: "ingest", export: fingerprint.hash, lenient: !!input.lenient, strictRecords: !!input.strictRecords, code, ...rule, ...filters }));
}

/** The feature stage's key: its ingest key plus the parameters the features depend on. */
export function featuresKey(ingest: string, params: { testFraction: number; validationFraction: number; timezone?: string }, code = codeVersion()): string {
  return sha256(JSON.stringify({ stage: "features", ingest, testFraction: params.testFraction, validationFraction: params.validationFraction, timezone: params.timezone ?? null, code }));
}

// ---------------------------------------------------------------- entries on disk

interface FileCheck {
  bytes: number;
  crc32: number;
}

interface EntryMeta<T> {
  key: string;
  files: Record<string, FileCheck>;
  data: T;
}

/** Why an entry could not be used: absent, or present but not to be trusted. */
export type ReadFailure = { kind: "missing" } | { kind: "corrupt"; file: string; reason: string };

/** One cached stage entry: folder `cache/<stage>-<key>/`. */
export class StageStore {
  readonly dir: string;
  private warned = false;
  private writable = true;

  constructor(
    outputDir: string,
    private readonly log: (message: string) => void,
  ) {
    this.dir = path.join(outputDir, CACHE_DIR);
  }

  entryDir(stage: string, key: string): string {
    return path.join(this.dir, `${stage}-${key.slice(0, 24)}`);
  }

  /** Reads an entry's files after checking every length and CRC-32 against its meta.json. */
  read<T>(stage: string, key: string): { meta: EntryMeta<T>; files: Record<string, Buffer> } | ReadFailure {
    const dir = this.entryDir(stage, key);
    let meta: EntryMeta<T>;
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as EntryMeta<T>;
    } catch (error) {
      if (!fs.existsSync(dir)) return { kind: "missing" };
      return { kind: "corrupt", file: path.join(dir, "meta.json"), reason: `unreadable (${(error as Error).message})` };
    }
    if (meta.key !== key) return { kind: "corrupt", file: path.join(dir, "meta.json"), reason: "it belongs to another key" };
    const files: Record<string, Buffer> = {};
    for (const [name, check] of Object.entries(meta.files)) {
      const file = path.join(dir, name);
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch {
        return { kind: "corrupt", file, reason: "missing" };
      }
      if (bytes.length !== check.bytes) return { kind: "corrupt", file, reason: `${bytes.length} bytes where ${check.bytes} were written (truncated)` };
      if (zlib.crc32(bytes) !== check.crc32) return { kind: "corrupt", file, reason: "its CRC-32 does not match (damaged)" };
      files[name] = bytes;
    }
    return { meta, files };
  }

  /**
   * Writes an entry atomically (temporary folder, meta.json last, rename) and removes the
   * stage's other entries. An unwritable cache folder is reported once and the run goes on.
   * @returns whether the entry was written.
   */
  write<T>(stage: string, key: string, files: Record<string, Uint8Array>, data: T): boolean {
    if (!this.writable) return false;
    const dir = this.entryDir(stage, key);
    const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    try {
      fs.mkdirSync(tmp, { recursive: true });
      const checks: Record<string, FileCheck> = {};
      for (const [name, bytes] of Object.entries(files)) {
        fs.writeFileSync(path.join(tmp, name), bytes);
        checks[name] = { bytes: bytes.byteLength, crc32: zlib.crc32(bytes) };
      }
      const meta: EntryMeta<T> = { key, files: checks, data };
      fs.writeFileSync(path.join(tmp, "meta.json"), JSON.stringify(meta));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } catch (error) {
      try {
        fs.rmSync(tmp, { recursive: true, force: true });
      } catch {
        // the folder may not even exist: nothing to clean
      }
      this.unwritable(error as NodeJS.ErrnoException);
      return false;
    }
    this.prune(stage, dir);
    return true;
  }

  private unwritable(error: NodeJS.ErrnoException): void {
    this.writable = false;
    if (this.warned) return;
    this.warned = true;
    this.log(
      `warning: the cache folder ${this.dir} is not writable (${error.code ?? error.message}), so this run continues without the cache; ` +
        `make the folder writable, point OUTPUT_DIR elsewhere, or turn the cache off with --no-cache / CACHE=0.`,
    );
  }

  /** Keeps one entry per stage: the one just written. */
  private prune(stage: string, keep: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const abs = path.join(this.dir, name);
      if (abs !== keep && name.startsWith(`${stage}-`) && !name.includes(".tmp-")) fs.rmSync(abs, { recursive: true, force: true });
    }
  }

  /**
   * One sentence when the same export path held different files the last time a run read it
   * (the later notebook then says so and rebuilds), else null. Reads only.
   */
  exportChange(fingerprint: ExportFingerprint): string | null {
    const previous = readLastExport(path.join(this.dir, "last-export.json"));
    if (!previous || previous.roots.join("\u0000") !== fingerprint.roots.join("\u0000") || previous.hash === fingerprint.hash) return null;
    const before = new Map(previous.files.map((f) => [f.file, f]));
    const changed = fingerprint.files.filter((f) => {
      const p = before.get(f.file);
      return !p || p.bytes !== f.bytes || p.mtimeMs !== f.mtimeMs || p.edges !== f.edges;
    }).length;
    const now = new Set(fingerprint.files.map((f) => f.file));
    const removed = previous.files.filter((f) => !now.has(f.file)).length;
    return (
      `The export at ${fingerprint.roots.join(", ")} changed since the previous run read it ` +
      `(${changed} file(s) new or modified, ${removed} removed), so its cached stages are rebuilt from the files as they are now.`
    );
  }

  /** Records the export this run read (after it was read successfully). */
  rememberExport(fingerprint: ExportFingerprint): void {
    if (!this.writable) return;
    const file = path.join(this.dir, "last-export.json");
    const previous = readLastExport(file);
    if (previous && previous.hash === fingerprint.hash && previous.roots.join("\u0000") === fingerprint.roots.join("\u0000")) return;
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify({ roots: fingerprint.roots, hash: fingerprint.hash, files: fingerprint.files }));
      fs.renameSync(tmp, file);
    } catch (error) {
      this.unwritable(error as NodeJS.ErrnoException);
    }
  }
}

function readLastExport(file: string): ExportFingerprint | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as ExportFingerprint;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- Arrow encoding

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
function encodePlays(p: PlayTable): Uint8Array {
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

function decodePlays(bytes: Buffer): PlayTable {
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
function encodeTech(tech: TechEvents): Uint8Array {
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

function decodeTech(bytes: Buffer): TechEvents {
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

function encodeLibrary(account: AccountData): Uint8Array {
  const t = account.libraryTracks;
  return toIPC({
    uri: nullableStrings(t.map((r) => r.uri)),
    track: nullableStrings(t.map((r) => r.track)),
    artist: nullableStrings(t.map((r) => r.artist)),
    album: nullableStrings(t.map((r) => r.album)),
  });
}

function encodePlaylists(account: AccountData): Uint8Array {
  const m = account.playlistMemberships;
  return toIPC({
    trackUri: stringVector(m.map((r) => r.trackUri)),
    addedMs: A.vectorFromArray(m.map((r) => r.addedMs), F64),
  });
}

interface AccountScalars {
  country: string | null;
  creationMs: number | null;
  bannedTrackUris: string[];
  playlistCount: number;
}

function decodeAccount(library: Buffer, playlists: Buffer, scalars: AccountScalars): AccountData {
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

// ---------------------------------------------------------------- the two stages

interface IngestMeta {
  report: IngestReport;
  account: AccountScalars;
}

export function writeIngest(store: StageStore, key: string, result: IngestResult): boolean {
  const a = result.account;
  return store.write<IngestMeta>(
    "ingest",
    key,
    { "plays.arrow": encodePlays(result.plays), "tech.arrow": encodeTech(result.tech), "library.arrow": encodeLibrary(a), "playlists.arrow": encodePlaylists(a) },
    { report: result.report, account: { country: a.country, creationMs: a.creationMs, bannedTrackUris: a.bannedTrackUris, playlistCount: a.playlistCount } },
  );
}

export function readIngest(store: StageStore, key: string): IngestResult | ReadFailure {
  const entry = store.read<IngestMeta>("ingest", key);
  if ("kind" in entry) return entry;
  const f = entry.files;
  return {
    plays: decodePlays(f["plays.arrow"]),
    tech: decodeTech(f["tech.arrow"]),
    account: decodeAccount(f["library.arrow"], f["playlists.arrow"], entry.meta.data.account),
    report: entry.meta.data.report,
  };
}

interface FeaturesMeta {
  names: string[];
  groups: FeatureGroup[];
  /** FeatureSet.localTime (plain JSON), so a cache hit reports the same local-time sources. */
  localTime?: LocalTimeSummary;
}

/** FeatureSet → Arrow: X as one FixedSizeList<Float64>[cols] column, so it reads back as one contiguous Float64Array. */
export function writeFeatures(store: StageStore, key: string, features: FeatureSet): boolean {
  const x = A.makeData({
    type: new A.FixedSizeList(features.cols, new A.Field("x", F64, false)),
    length: features.rows,
    nullCount: 0,
    child: A.makeData({ type: F64, length: features.rows * features.cols, nullCount: 0, data: features.X }),
  });
  const bytes = toIPC({
    X: A.makeVector(x),
    y: numeric(F64, features.y),
    playIndex: numeric(I32, features.playIndex),
    role: numeric(U8, features.role),
    sessionId: numeric(I32, features.sessionId),
    sessionPosition: numeric(I32, features.sessionPosition),
  });
  return store.write<FeaturesMeta>("features", key, { "features.arrow": bytes }, { names: features.names, groups: features.groups, ...(features.localTime ? { localTime: features.localTime } : {}) });
}

export function readFeatures(store: StageStore, key: string): FeatureSet | ReadFailure {
  const entry = store.read<FeaturesMeta>("features", key);
  if ("kind" in entry) return entry;
  const t = fromIPC(entry.files["features.arrow"]);
  const num = <T extends ArrayLike<number> & { subarray(a: number, b: number): T }>(name: string): T => valuesOf<T>(onlyChunk(t.getChild(name), name));
  const xData = onlyChunk(t.getChild("X"), "X");
  const { names, groups, localTime } = entry.meta.data;
  return {
    names,
    groups,
    X: valuesOf<Float64Array>(xData.children[0]),
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
