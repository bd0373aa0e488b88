/**
 * The stage cache: ingestion's output (play table, account data, technical events, report)
 * and the leak-free feature set, written once per (export fingerprint, parameters, code
 * version) as Apache Arrow IPC files under OUTPUT_DIR/cache/, so the CLI and every notebook
 * load them instead of re-parsing the export and rebuilding the features.
 *
 * Layout (one entry per stage; a new entry replaces the stage's older ones):
 *   cache/ingest-<key>/   meta.json, plays.arrow, tech.arrow, library.arrow, playlists.arrow
 *   cache/features-<key>/ meta.json, features.arrow (per-row columns), X.arrow (the matrix, read on first use)
 *   cache/last-export.json  the export path and fingerprint the last run saw
 * (What is inside each .arrow file: ./cacheCodec.ts.)
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
import { readFileWithCrc32, writeFilesWithCrc32 } from "../common/bigBuffers";
import type { FileDigest } from "../common/bigBuffers";
import { hasFilters } from "../ingest/filters";
import { labelRuleName } from "../ingest/label";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { FeatureSummaryRow, FittedState, ProbeBasis } from "../features";
import type { FeatureSet } from "../features/types";
import type { IngestOptions, IngestReport, IngestResult } from "../ingest/types";
import {
  AccountScalars,
  decodeAccount,
  decodeFeatures,
  decodeFitted,
  decodeMatrix,
  decodePlays,
  decodeResiduals,
  decodeTech,
  encodeFeatures,
  encodeFitted,
  encodeLibrary,
  encodeMatrix,
  encodePlays,
  encodePlaylists,
  encodeResiduals,
  encodeTech,
  FeaturesMeta,
} from "./cacheCodec";
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
const CODE_FILES = ["./prepare.ts", "./cache.ts", "./cacheCodec.ts"];
let codeVersionMemo: string | null = null;

/** sha256 of the producing source files (ingest, features, common, prepare, cache, its codec) and apache-arrow's version. */
export function codeVersion(): string {
  if (codeVersionMemo) return codeVersionMemo;
  codeVersionMemo = sourceHash(CODE_DIRS, CODE_FILES, `apache-arrow ${arrowVersion()}`);
  return codeVersionMemo;
}

/**
 * sha256 of source files: every .ts/.js file of `dirs` (not their subfolders) and `files`, both
 * relative to src/pipeline/, each with its path under src/; then `extra`. What a saved result
 * depends on, so a change to that code makes it be computed again.
 */
export function sourceHash(dirs: readonly string[], files: readonly string[], extra = ""): string {
  const h = crypto.createHash("sha256");
  const all: string[] = [];
  for (const d of dirs) {
    const abs = path.join(__dirname, d);
    for (const name of fs.readdirSync(abs).sort()) if (/\.(ts|js)$/.test(name)) all.push(path.join(abs, name));
  }
  for (const f of files) all.push(path.join(__dirname, f));
  for (const f of all) {
    h.update(path.relative(path.join(__dirname, ".."), f));
    h.update(fs.readFileSync(f));
  }
  h.update(extra);
  return h.digest("hex");
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


interface EntryMeta<T> {
  key: string;
  files: Record<string, FileDigest>;
  data: T;
}

/** Why an entry could not be used: absent, or present but not to be trusted. */
export type ReadFailure = { kind: "missing" } | { kind: "corrupt"; file: string; reason: string };

/** Marks a temporary entry folder: `<entry>.tmp-<pid>-<random>@<host>`. */
const TMP_MARK = ".tmp-";

/** A temporary folder this old is swept whoever wrote it (a run on another host sharing OUTPUT_DIR, or one whose pid was reused). */
const TMP_STALE_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a temporary folder (`suffix`: what follows TMP_MARK) belongs to a run that ended
 * before its write did: written on this host by a process that is gone, or left for a day.
 */
function staleTemporary(abs: string, suffix: string): boolean {
  const [owner, host] = suffix.split("@");
  if (host === os.hostname() && !processAlive(Number.parseInt(owner, 10))) return true;
  try {
    return Date.now() - fs.statSync(abs).mtimeMs > TMP_STALE_MS;
  } catch {
    return false;
  }
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

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

  /**
   * Reads an entry's files after checking every length and CRC-32 against its meta.json; the
   * files named in `later` are not read now: `load(name)` reads and checks one when asked. Those
   * named in `optional` are not read now either, and an entry may lack them.
   */
  read<T>(stage: string, key: string, later: string[] = [], optional: string[] = []): { meta: EntryMeta<T>; files: Record<string, Buffer>; load: (name: string) => Buffer | ReadFailure } | ReadFailure {
    const dir = this.entryDir(stage, key);
    let meta: EntryMeta<T>;
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as EntryMeta<T>;
    } catch (error) {
      if (!fs.existsSync(dir)) return { kind: "missing" };
      return { kind: "corrupt", file: path.join(dir, "meta.json"), reason: `unreadable (${(error as Error).message})` };
    }
    if (meta.key !== key) return { kind: "corrupt", file: path.join(dir, "meta.json"), reason: "it belongs to another key" };
    const load = (name: string): Buffer | ReadFailure => {
      const file = path.join(dir, name);
      const check = meta.files[name];
      if (!check) return { kind: "corrupt", file, reason: "meta.json does not list it" };
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        return { kind: "corrupt", file, reason: "missing" };
      }
      if (size !== check.bytes) return { kind: "corrupt", file, reason: `${size} bytes where ${check.bytes} were written (truncated)` };
      let read: { bytes: Buffer; crc32: number };
      try {
        read = readFileWithCrc32(file, { direct: check.direct === true });
      } catch (error) {
        return { kind: "corrupt", file, reason: `unreadable (${(error as Error).message})` };
      }
      if (read.bytes.length !== check.bytes) return { kind: "corrupt", file, reason: `${read.bytes.length} bytes where ${check.bytes} were written (truncated)` };
      if (read.crc32 !== check.crc32) return { kind: "corrupt", file, reason: "its CRC-32 does not match (damaged)" };
      return read.bytes;
    };
    const files: Record<string, Buffer> = {};
    for (const name of Object.keys(meta.files)) {
      if (later.includes(name) || optional.includes(name)) continue;
      const bytes = load(name);
      if (!Buffer.isBuffer(bytes)) return bytes;
      files[name] = bytes;
    }
    for (const name of later) {
      if (!meta.files[name]) return { kind: "corrupt", file: path.join(dir, "meta.json"), reason: `it does not list ${name}` };
    }
    return { meta, files, load };
  }

  /**
   * Writes an entry atomically (temporary folder, meta.json last, rename) and removes the
   * stage's other entries. The temporary folder is made before this returns; a big entry's files
   * are then written, and their CRC-32s summed, by a worker thread (`writeFilesWithCrc32`: the
   * feature matrix is 0.67 GB at 1M plays, 1.6 s of writing on the bench machine, which the
   * caller spends computing), so `files` must not change until the promise settles, and the
   * entry exists only then. An unwritable cache folder is reported once and the run goes on.
   * @param files each file as its chunks in order (written as they are, never joined into one copy)
   * @param data meta.json's `data`; or a function computing it, with more (small) files: it is
   *   called once the writing of `files` has started, so what it computes overlaps that writing
   * @returns whether the entry was written (never rejects).
   */
  write<T>(stage: string, key: string, files: Record<string, readonly Uint8Array[]>, data: T | (() => { data: T; files: Record<string, readonly Uint8Array[]> })): Promise<boolean> {
    if (!this.writable) return Promise.resolve(false);
    const dir = this.entryDir(stage, key);
    const tmp = `${dir}${TMP_MARK}${process.pid}-${crypto.randomBytes(4).toString("hex")}@${os.hostname()}`;
    const failed = (error: unknown): false => {
      try {
        fs.rmSync(tmp, { recursive: true, force: true });
      } catch {
        // the folder may not even exist: nothing to clean
      }
      this.unwritable(error as NodeJS.ErrnoException);
      return false;
    };
    try {
      fs.mkdirSync(tmp, { recursive: true });
    } catch (error) {
      return Promise.resolve(failed(error));
    }
    // Started now: a worker writes a big entry whatever this thread does meanwhile. No closure
    // here names `files`, so the awaiting below does not keep the chunks alive.
    const start = (more: Record<string, readonly Uint8Array[]>) => ({
      names: Object.keys(more),
      checks: writeFilesWithCrc32(Object.entries(more).map(([name, chunks]) => ({ path: path.join(tmp, name), chunks }))),
    });
    const first = start(files);
    let late: { data: T; files: Record<string, readonly Uint8Array[]> };
    try {
      late = typeof data === "function" ? (data as () => { data: T; files: Record<string, readonly Uint8Array[]> })() : { data, files: {} };
    } catch (error) {
      // The caller's own error, thrown to it as before any writing: the entry is abandoned, its folder removed once the writing stops.
      const removeTmp = () => fs.rmSync(tmp, { recursive: true, force: true });
      void first.checks.then(removeTmp, removeTmp);
      throw error;
    }
    const second = start(late.files);
    // Both awaited at once: a failed second write is handled even while the first still runs.
    const checks = Promise.all([first.checks, second.checks]);
    const names = [...first.names, ...second.names];
    const lateData = late.data;
    return (async () => {
      try {
        const digests = (await checks).flat();
        const meta: EntryMeta<T> = { key, files: Object.fromEntries(names.map((name, k): [string, FileDigest] => [name, digests[k]])), data: lateData };
        await fs.promises.writeFile(path.join(tmp, "meta.json"), JSON.stringify(meta));
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(tmp, dir);
      } catch (error) {
        return failed(error);
      }
      this.prune(stage, dir);
      return true;
    })();
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

  /**
   * Keeps one entry per stage: the one just written. Also removes temporary folders left by
   * runs that ended before their write did (`staleTemporary`), never a live one's on this host.
   * Best effort: what cannot be removed (another user's folder) stays.
   */
  private prune(stage: string, keep: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const abs = path.join(this.dir, name);
      const suffix = name.split(TMP_MARK)[1];
      const stale = suffix !== undefined ? staleTemporary(abs, suffix) : abs !== keep && name.startsWith(`${stage}-`);
      try {
        if (stale) fs.rmSync(abs, { recursive: true, force: true });
      } catch {
        // not ours to remove: the entry just written stands
      }
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

// ---------------------------------------------------------------- the two stages

interface IngestMeta {
  report: IngestReport;
  account: AccountScalars;
}

export function writeIngest(store: StageStore, key: string, result: IngestResult): Promise<boolean> {
  const a = result.account;
  return store.write<IngestMeta>(
    "ingest",
    key,
    { "plays.arrow": [encodePlays(result.plays)], "tech.arrow": [encodeTech(result.tech)], "library.arrow": [encodeLibrary(a)], "playlists.arrow": [encodePlaylists(a)] },
    { report: result.report, account: { country: a.country, creationMs: a.creationMs, bannedTrackUris: a.bannedTrackUris, playlistCount: a.playlistCount } },
  );
}

/** The ingest entry's four files. */
const INGEST_FILES = ["plays.arrow", "tech.arrow", "library.arrow", "playlists.arrow"];

/** Whether the store holds this ingest entry, by its meta.json alone (listing its four files; they are checked when read). */
export function holdsIngest(store: StageStore, key: string): boolean {
  return !("kind" in store.read("ingest", key, INGEST_FILES));
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

type FeaturesDerived = { summary?: FeatureSummaryRow[]; basis?: ProbeBasis };

/**
 * Writes a feature set, and what the builder that made it learnt in `fit` (`FeatureBuilder.fitted`);
 * its matrix goes to disk from `features.X` itself (no copy). `derived`, when given: its columns'
 * summary (`describeFeatures`) and the recommendations' basis (`probeBasis`), so a reader needs
 * neither from the matrix; as a function, it is computed while the matrix is being written.
 */
export function writeFeatures(
  store: StageStore,
  key: string,
  features: FeatureSet,
  fitted: FittedState,
  derived: FeaturesDerived | (() => FeaturesDerived) = {},
): Promise<boolean> {
  // The matrix's writing starts first: computing `derived` (~1.3 s at 1M plays) overlaps it.
  return store.write<FeaturesMeta>("features", key, { "features.arrow": [encodeFeatures(features)], [MATRIX_FILE]: encodeMatrix(features) }, () => {
    const { summary, basis } = typeof derived === "function" ? derived() : derived;
    const files: Record<string, readonly Uint8Array[]> = basis ? { [RESIDUALS_FILE]: [encodeResiduals(basis.residuals)] } : {};
    return {
      files,
      data: {
        names: features.names,
        groups: features.groups,
        ...(features.localTime ? { localTime: features.localTime } : {}),
        fitted: encodeFitted(fitted),
        ...(summary ? { summary } : {}),
        ...(basis ? { probe: { template: Array.from(basis.template), categories: basis.categories } } : {}),
      },
    };
  });
}

/** The feature matrix's file in a features entry. */
const MATRIX_FILE = "X.arrow";
/** The stage-1 residuals of `ProbeBasis`, when the entry holds the basis. */
const RESIDUALS_FILE = "residuals.arrow";

/**
 * A cached feature set whose matrix X (rows × cols doubles: 0.67 GB at 1M plays, nearly all of
 * the entry) is read, and its length and CRC-32 checked, on first use: the steps before that
 * (a notebook's first data cell: the split, the counts, loading 03's saved scores in 04) do not
 * wait for it or hold it; 03's training reads it, and 02's column summary and 04's
 * recommendations unless the entry holds what they take from it (`summary`, `loadBasis`).
 * A damaged or missing matrix file found then is passed to `onDamaged`, which returns the
 * recomputed matrix.
 */
export function readFeatures(
  store: StageStore,
  key: string,
  onDamaged: (failure: Extract<ReadFailure, { kind: "corrupt" }>) => Float64Array,
): { features: FeatureSet; fitted: FittedState; summary?: FeatureSummaryRow[]; loadBasis?: (plays: number) => ProbeBasis | ReadFailure } | ReadFailure {
  const entry = store.read<FeaturesMeta>("features", key, [MATRIX_FILE], [RESIDUALS_FILE]);
  if ("kind" in entry) return entry;
  const fitted = entry.meta.data.fitted;
  if (!fitted) return { kind: "corrupt", file: path.join(store.entryDir("features", key), "meta.json"), reason: "it holds no fitted feature builder" };
  const features = decodeFeatures(entry.files["features.arrow"], entry.meta.data) as FeatureSet;
  let X: Float64Array | null = null;
  Object.defineProperty(features, "X", {
    enumerable: true,
    configurable: true,
    get: (): Float64Array => {
      if (X) return X;
      const bytes = entry.load(MATRIX_FILE);
      const file = path.join(store.entryDir("features", key), MATRIX_FILE);
      if (!Buffer.isBuffer(bytes)) X = onDamaged(bytes.kind === "corrupt" ? bytes : { kind: "corrupt", file, reason: "missing" });
      else X = decodeMatrix(bytes, features.rows, features.cols) ?? onDamaged({ kind: "corrupt", file, reason: "its shape is not rows × features" });
      return X;
    },
  });
  const { summary, probe } = entry.meta.data;
  // The basis's residuals (16 MB at 1M plays) are read when the recommendations ask for them.
  const loadBasis = (plays: number): ProbeBasis | ReadFailure => {
    const bytes = entry.load(RESIDUALS_FILE);
    if (!Buffer.isBuffer(bytes)) return bytes;
    const residuals = decodeResiduals(bytes, plays);
    const dir = store.entryDir("features", key);
    if (!residuals || !probe || probe.template.length !== features.cols) return { kind: "corrupt", file: path.join(dir, RESIDUALS_FILE), reason: "its shape does not match the plays and features" };
    // JSON keeps finite numbers exactly, and turns any other into null
    if (!probe.template.every(Number.isFinite)) return { kind: "corrupt", file: path.join(dir, "meta.json"), reason: "its basis template holds a value that is not a finite number" };
    return { template: Float64Array.from(probe.template), categories: probe.categories, residuals };
  };
  return { features, fitted: decodeFitted(fitted), ...(summary ? { summary } : {}), ...(probe ? { loadBasis } : {}) };
}
