/**
 * Stage 1–2 of a run: ingest the export, split it chronologically, build leak-free
 * features (and the leaky variant for the reference model). Deterministic; with a cache
 * (`StageCacheOptions`) ingestion's output and the features are computed once per export,
 * parameters and code version and loaded from OUTPUT_DIR/cache/ afterwards (see cache.ts).
 */
import { chronologicalSplit, describeFeatures, FeatureBuilder, LEAKY_COLUMNS, probeBasis } from "../features";
import type { FeatureData, FeatureSet, FeatureSummaryRow, FittedState, ProbeBasis, SplitPlan } from "../features";
import { Standardizer } from "../model/standardize";
import { PREDICT_CHUNK_ROWS, seededSubsampleRows } from "../model/rows";
import { roleRows } from "../model/types";
import type { FitOptions, TrainStats } from "../model/types";
import * as path from "path";
import { valuesAt } from "../common/arrays";
import { UserInputError } from "../common/errors";
import { runWorkerJob } from "../common/worker";
import { ingestExport, ingestExportAsync } from "../ingest";
import type { ParallelIngestOptions } from "../ingest";
import type { IngestOptions, IngestResult } from "../ingest/types";
import { exportFingerprint, featuresKey, holdsIngest, ingestKey, readFeatures, readIngest, StageStore, writeFeatures, writeIngest } from "./cache";
import type { ReadFailure, StageCacheOptions } from "./cache";
import type { PipelineParams } from "./params";
import type { Progress } from "./progress";
import { silentProgress } from "./progress";

/** How each cached stage was obtained: loaded, computed (and written), or computed with the cache off. */
export type CacheUse = "hit" | "miss" | "off";

export interface CacheReport {
  ingest: CacheUse;
  features: CacheUse;
  /** Sentences worth showing: the export changed, a cache file was damaged, the folder is unwritable. */
  notes: string[];
  /**
   * Settles once the entries this run writes are on disk (Node's thread pool writes them while
   * the run goes on: `StageStore.write`). Await it before the process ends or another one reads
   * the cache: the end of a CLI run, a notebook's last cell.
   */
  written: () => Promise<void>;
  /** The ingest entry's key (which version of the export the plays are); null with the cache off. */
  ingestKey?: string | null;
}

export interface Prepared {
  ingest: IngestResult;
  split: SplitPlan;
  builder: FeatureBuilder;
  /** [rows × cols] leak-free features, one row per labelled play. */
  features: FeatureSet;
  /**
   * The same rows plus the same play's reason_end / ms_played (what `leaky_reference` reads;
   * the model stage reads it through `leakyPieces`). Builds the matrix on every call (~0.3 s
   * and rows × (cols + 6) × 8 bytes at 1M plays) and does not keep it: the reference the
   * pieces are checked against; hold the result only while you need it.
   */
  leaky(): FeatureSet;
  /** The same leaky matrix in pieces, never whole (what `trainModels` and notebook 02 use; see `LeakyPieces`). */
  leakyPieces(): LeakyPieces;
  /** `describeFeatures(features)`: from the stage cache when its entry holds it (then the matrix is not read), else computed. */
  featureSummary(): FeatureSummaryRow[];
  /** `probeBasis` of `features` (what the recommendations read): from the stage cache when its entry holds it (then the matrix is not read), else computed. */
  probeBasis(): ProbeBasis;
  /** Present when the run was asked to use the stage cache. */
  cache?: CacheReport;
}

export function prepare(input: IngestOptions, params: PipelineParams, progress: Progress = silentProgress, cache?: StageCacheOptions): Prepared {
  progress.start("ingest");
  const stage = openIngestStage(input, cache);
  return afterIngest(input, stage.cached ?? ingestExport(input), params, progress, stage);
}

/** How `prepareAsync` parses the export when the stage cache does not hold it (`ingestExportAsync`), and what it tells its caller. */
export interface PrepareAsyncOptions extends ParallelIngestOptions {
  /** Called once the export is ingested (parsed, or loaded from the stage cache), before its features are built. */
  onIngested?: (ingest: IngestResult) => void;
}

/**
 * `prepare` with the export parsed on several threads when it is large (`ingestExportAsync`:
 * the same result as `ingestExport`). What `runPipeline` uses.
 */
export async function prepareAsync(input: IngestOptions, params: PipelineParams, progress: Progress = silentProgress, cache?: StageCacheOptions, options: PrepareAsyncOptions = {}): Promise<Prepared> {
  progress.start("ingest");
  const stage = openIngestStage(input, cache);
  const ingest = stage.cached ?? (await ingestExportAsync(input, options));
  options.onIngested?.(ingest);
  return afterIngest(input, ingest, params, progress, stage);
}

/** Ingestion's output alone (parsed on several threads when large), from the cache when it holds this export (notebook 01). */
export async function ingestCached(input: IngestOptions, cache?: StageCacheOptions): Promise<IngestResult & { cache: CacheReport }> {
  const stage = openIngestStage(input, cache);
  const ingest = stage.cached ?? (await ingestExportAsync(input));
  // 01 shows what any export holds; only one the pipeline can learn from is cached.
  if (ingest.report.labelCoverage.labelled > 0) stage.save(ingest);
  return { ...ingest, cache: { ingest: stage.use, features: "off", notes: stage.notes, written: stage.written, ingestKey: stage.key } };
}

/** What notebook 01's head start on 02 did (`prefetchFeatures`). */
export interface FeaturesHeadStart {
  /** "built": written to the stage cache; "present": already there; "skipped": not built (see `reason`). */
  outcome: "built" | "present" | "skipped";
  /** Wall time from the start to the entry on disk (or to giving up). */
  seconds: number;
  /** Why nothing was built (outcome "skipped"). */
  reason?: string;
  /** The cache's own notices on the worker (a damaged entry, an unwritable folder). */
  notes: string[];
}

/**
 * Notebook 01's head start on 02: a worker thread, started at once with 01's plays (their
 * columns are shared, not copied), waits for this export's ingest entry to be on disk, then
 * builds the features for `params` from those plays and writes them to the stage cache, as 02's
 * first cell would from the entry, while 01 goes on. 02 with the same parameters then loads them; with others, it
 * builds its own. Never ingests and never throws: without the cache, an ingest entry or a
 * worker it does nothing and says why. Await it before the kernel ends (01's last cell).
 */
export async function prefetchFeatures(input: IngestOptions, params: PipelineParams, cache: StageCacheOptions, ingested: IngestResult & { cache: CacheReport }): Promise<FeaturesHeadStart> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const skipped = (reason: string, notes: string[] = []): FeaturesHeadStart => ({ outcome: "skipped", seconds: seconds(), reason, notes });
  // "off": the cache was off when 01 ingested (--no-cache, CACHE=0)
  const { cache: report, ...ingest } = ingested;
  if (report.ingest === "off") return skipped("the stage cache is off");
  // The worker loads its modules while the ingest entry is written, then waits for this flag.
  const ingestOnDisk = new Int32Array(new SharedArrayBuffer(4));
  try {
    const job = runWorkerJob<{ features: CacheUse | "no-ingest"; notes: string[] }>(path.join(__dirname, "featuresWorker.ts"), { input, params, outputDir: cache.outputDir, ingestOnDisk, ingest: report.ingestKey ? { result: ingest, key: report.ingestKey } : undefined }, [], { preload: ["apache-arrow"] });
    job.catch(() => {}); // handled below, once the flag is set
    await report.written().finally(() => {
      Atomics.store(ingestOnDisk, 0, 1);
      Atomics.notify(ingestOnDisk, 0);
    });
    const reply = await job;
    if (!reply) return skipped("its worker thread could not start, or stopped before it finished");
    if (reply.features === "no-ingest") return skipped("the plays were not cached (an export with no labelled plays, or an unwritable cache folder)", reply.notes);
    return { outcome: reply.features === "hit" ? "present" : "built", seconds: seconds(), notes: reply.notes };
  } catch (error) {
    return skipped((error as Error).message);
  }
}

/**
 * The worker side of `prefetchFeatures`: from the ingest entry of this export (its plays as the
 * caller holds them, or read back), the features entry for `params` (loaded if present, else
 * built and written), exactly what `prepareAsync` does with the cache on. "no-ingest" when the
 * ingest entry is not there.
 * @param ingested what the entry of `key` holds, when the caller has it (01's plays): its files are
 *   then not read, unless the export has changed since (another key: that entry is read)
 */
export async function cacheFeaturesFromIngest(
  input: IngestOptions,
  params: PipelineParams,
  outputDir: string,
  ingested?: { result: IngestResult; key: string },
): Promise<{ features: CacheUse | "no-ingest"; notes: string[] }> {
  const notes: string[] = [];
  const stage = openIngestStage(input, { outputDir, log: (m) => notes.push(m) }, ingested);
  if (!stage.cached) return { features: "no-ingest", notes };
  const prepared = afterIngest(input, stage.cached, params, silentProgress, stage);
  await stage.written();
  return { features: prepared.cache?.features ?? "off", notes };
}

interface IngestStage {
  /** The cached result on a hit. */
  cached: IngestResult | null;
  use: CacheUse;
  notes: string[];
  /** Shows a notice (and keeps it in `notes`). */
  log: (message: string) => void;
  /** Records the export and writes a freshly computed result (no-op with the cache off); only once ingestion succeeded. */
  save(result: IngestResult): void;
  /** Keeps a write (of this or a later stage) for `written`. */
  track(write: Promise<boolean>): void;
  written: () => Promise<void>;
  store: StageStore | null;
  key: string | null;
}

/** @param known what the ingest entry of `known.key` holds, when the caller has it: for that key, only the entry's presence is checked. */
function openIngestStage(input: IngestOptions, cache: StageCacheOptions | undefined, known?: { result: IngestResult; key: string }): IngestStage {
  const notes: string[] = [];
  const log = (message: string): void => {
    notes.push(message);
    (cache?.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  };
  const writes: Promise<boolean>[] = [];
  // A write that throws (not an unwritable folder: StageStore.write reports that) is a note, not a crash of the run.
  const track = (write: Promise<boolean>): void =>
    void writes.push(write.catch((error: Error) => (log(`warning: a stage cache entry could not be written (${error.message}); the next run computes it again.`), false)));
  const written = async (): Promise<void> => void (await Promise.all(writes));
  const fingerprint = cache && cache.enabled !== false ? exportFingerprint(input) : null;
  if (!cache || !fingerprint) {
    return { cached: null, use: "off", notes, log, save: () => {}, track, written, store: null, key: null };
  }
  const store = new StageStore(cache.outputDir, log);
  const changed = store.exportChange(fingerprint);
  if (changed) log(changed);
  const key = ingestKey(fingerprint, input);
  const found: IngestResult | ReadFailure = known?.key !== key ? readIngest(store, key) : holdsIngest(store, key) ? known.result : { kind: "missing" };
  const hit = !("kind" in found);
  if (!hit) noteCorrupt(found, log);
  return {
    cached: hit ? found : null,
    use: hit ? "hit" : "miss",
    notes,
    log,
    // Nothing is written before ingestion succeeded and found something to learn from, so bad
    // input leaves no output folder behind.
    save: (r) => {
      store.rememberExport(fingerprint);
      if (!hit) track(writeIngest(store, key, r));
    },
    track,
    written,
    store,
    key,
  };
}

function noteCorrupt(failure: ReadFailure, log: (message: string) => void): void {
  if (failure.kind === "corrupt") log(`The cache file ${failure.file} could not be trusted (${failure.reason}), so that stage is recomputed and rewritten.`);
}

/** The steps after ingestion shared by `prepare` and `prepareAsync`: check, save to the cache, split, features. */
function afterIngest(input: IngestOptions, ingest: IngestResult, params: PipelineParams, progress: Progress, stage: IngestStage): Prepared {
  progress.done("ingest", `${ingest.report.rowsKept} music plays, ${ingest.report.labelCoverage.labelled} labelled${stage.use === "hit" ? " (cached)" : ""}`);
  checkLearnable(input, ingest);
  stage.save(ingest);
  progress.start("features");
  const split = chronologicalSplit(ingest.plays, { testFraction: params.testFraction, validationFraction: params.validationFraction });
  let cached: CachedFeatures | null = null;
  let use: CacheUse = "off";
  const key = stage.store && stage.key ? featuresKey(stage.key, params) : null;
  let prepared: Prepared | null = null;
  if (stage.store && key) {
    const store = stage.store;
    // The cached matrix is read on first use (after this returns); damaged then, it is rebuilt and rewritten.
    const found = readFeatures(store, key, (failure) => {
      noteCorrupt(failure, stage.log);
      const { builder } = prepared!;
      const data = { plays: ingest.plays, account: ingest.account, tech: ingest.tech };
      const rebuilt = builder.transform(data, split);
      stage.track(writeFeatures(store, key, rebuilt, builder.fitted, { summary: describeFeatures(rebuilt), basis: probeBasis(builder, data, rebuilt) }));
      return rebuilt.X;
    });
    if ("kind" in found) noteCorrupt(found, stage.log);
    else {
      const load = found.loadBasis;
      // A damaged basis file: the basis is computed from the matrix, and the entry rewritten with it.
      const loadBasis = load && ((plays: number, compute: () => ProbeBasis): ProbeBasis => {
        const stored = load(plays);
        if (!("kind" in stored)) return stored;
        const basis = compute();
        if (stored.kind === "corrupt") stage.log(`The cache file ${stored.file} could not be trusted (${stored.reason}), so the recommendations' basis is computed from the feature matrix and the entry rewritten.`);
        const { features, builder } = prepared!;
        stage.track(writeFeatures(store, key, features, builder.fitted, { summary: prepared!.featureSummary(), basis }));
        return basis;
      });
      cached = { ...found, loadBasis };
    }
    use = cached ? "hit" : "miss";
  }
  prepared = prepareWithSplit(ingest, split, params, cached ?? undefined);
  // With the column summary and the recommendations' basis, whoever writes it (01's head start,
  // 02, the CLI): 02 and 04 then never read the matrix. At 1M plays the summary costs the
  // writer ~0.4 s; the basis it computes once (the recommendations take it from `prepared`).
  if (stage.store && key && use === "miss") {
    const made = prepared;
    stage.track(writeFeatures(stage.store, key, made.features, made.builder.fitted, () => ({ summary: made.featureSummary(), basis: made.probeBasis() })));
  }
  if (stage.store) prepared.cache = { ingest: stage.use, features: use, notes: stage.notes, written: stage.written };
  progress.done("features", `${prepared.features.rows} rows × ${prepared.features.cols} features${use === "hit" ? " (cached)" : ""}`);
  return prepared;
}

/** The features and the fitted builder's state, from the stage cache. */
interface CachedFeatures {
  features: FeatureSet;
  fitted: FittedState;
  summary?: FeatureSummaryRow[];
  /** The entry's `probeBasis` for these plays, when it holds one (read when first asked); `compute()`'s when its file is damaged. */
  loadBasis?: (plays: number, compute: () => ProbeBasis) => ProbeBasis;
}

/**
 * Features for an ingested export under a given split (the plain chronological split, or one
 * fold of the rolling-origin backtest): fit the builder on the split's training rows, transform.
 * `cached`: the transform's result and what the builder learnt in `fit`, loaded from the stage
 * cache for this very export, split and code: the builder adopts that state instead of fitting
 * (recommendations and the leaky matrix need it), and must produce the same columns and rows.
 */
export function prepareWithSplit(ingest: IngestResult, split: SplitPlan, params: PipelineParams, cached?: CachedFeatures): Prepared {
  const data = { plays: ingest.plays, account: ingest.account, tech: ingest.tech };
  const expected = split.counts.train + split.counts.validation + split.counts.test;
  const restored = cached && new FeatureBuilder({ timeZone: params.timezone }).restore(cached.fitted);
  const usable = restored && cached.features.rows === expected && cached.features.names.join("\u0000") === restored.layout().names.join("\u0000");
  const builder = usable ? restored : new FeatureBuilder({ timeZone: params.timezone }).fit(data, split);
  const features = usable ? cached.features : builder.transform(data, split);
  // The leaky matrix is the leak-free one plus six columns: built on request by appending them
  // (not by a second full transform), whole (`leaky`) or only the rows asked for (`leakyPieces`).
  const loadBasis = usable ? cached.loadBasis : undefined;
  // Kept once computed or read: the cache's writer asks, then 02's table or the recommendations.
  let summary = usable ? cached.summary : undefined;
  let basis: ProbeBasis | undefined;
  const computeBasis = (): ProbeBasis => probeBasis(builder, data, features);
  return {
    ingest,
    split,
    builder,
    features,
    leaky: () => builder.appendLeaky(data, features),
    leakyPieces: () => leakyPieces(builder, data, features),
    featureSummary: () => (summary ??= describeFeatures(features)),
    probeBasis: () => (basis ??= loadBasis ? loadBasis(data.plays.length, computeBasis) : computeBasis()),
  };
}

/**
 * What the leaky reference reads, without `Prepared.leaky()`'s whole matrix (every row plus
 * the six leak columns: 745 MB at 1M plays, the run's memory peak when it was built at once).
 * A TfjsLogistic fitted on `fitInputs` and scored through `scores` gives the very bytes of one
 * fitted on `leaky()`'s training rows and scoring `leaky().X` (test/leaky-pieces.test.ts).
 */
export interface LeakyPieces {
  names: string[];
  /**
   * The rows its fit reads: the seeded subsample of at most `maxTrainRows` training rows that
   * `seededSubsample` draws, the standardisation of every training row (`presampled`: column by
   * column what `Standardizer.fit` computes on all of them; the leak-free columns' are
   * `trainStats` when the caller has them) and the validation rows.
   */
  fitInputs(maxTrainRows: number, seed: number, trainStats?: TrainStats): { X: Float64Array; y: Float64Array; options: FitOptions };
  /**
   * [rows] `predict` (a fitted model's predictProba) on the rows [start, end) of `range` (default:
   * every row; `start` a multiple of PREDICT_CHUNK_ROWS), fed 65536 rows at a time (in one
   * buffer, overwritten by the next rows); NaN for the rows outside it.
   */
  scores(predict: (X: Float64Array) => Float64Array, range?: { start: number; end: number }): Float64Array;
  /** [rows] one of the leak columns (`LEAKY_COLUMNS`) for every row; null for another name. */
  column(name: string): Float64Array | null;
}

/** Rows of the leaky matrix built at a time when scoring (a multiple of the tfjs batch: the same batches as one call). */
const LEAKY_SCORE_ROWS = 4 * PREDICT_CHUNK_ROWS;

function leakyPieces(builder: FeatureBuilder, data: FeatureData, features: FeatureSet): LeakyPieces {
  const names = builder.layout(true).names;
  const cols = names.length;
  return {
    names,
    fitInputs(maxTrainRows, seed, trainStats) {
      const train = roleRows(features, 0);
      const val = roleRows(features, 1);
      const pick = seededSubsampleRows(train.length, maxTrainRows, seed);
      const sample = pick ? pick.map((k) => train[k]) : train;
      // Standardizer.fit's statistics are column by column: the leak-free columns' over the
      // training rows of `features`, the leak columns' over those rows' six leak columns.
      const base = trainStats ?? new Standardizer().fit(features.X, features.rows, features.cols, features.role.map((r) => (r === 0 ? 1 : 0)));
      const leakStats = new Standardizer().fit(builder.leakColumns(data, features, train), train.length, cols - features.cols);
      const mean = Float64Array.from([...base.mean, ...leakStats.mean]);
      const std = Float64Array.from([...base.std, ...leakStats.std]);
      return {
        X: builder.leakyRows(data, features, sample),
        y: valuesAt(features.y, sample),
        options: {
          XVal: builder.leakyRows(data, features, val),
          yVal: valuesAt(features.y, val),
          seed,
          presampled: { rowsGiven: train.length, mean, std },
        },
      };
    },
    column(name) {
      const k = LEAKY_COLUMNS.indexOf(name);
      if (k < 0) return null;
      const width = LEAKY_COLUMNS.length;
      const every = new Int32Array(features.rows);
      for (let r = 0; r < every.length; r++) every[r] = r;
      const all = builder.leakColumns(data, features, every);
      const out = new Float64Array(features.rows);
      for (let r = 0; r < out.length; r++) out[r] = all[r * width + k];
      return out;
    },
    scores(predict, range = { start: 0, end: features.rows }) {
      if (range.start % PREDICT_CHUNK_ROWS !== 0) throw new Error("leakyPieces.scores: the range must start at a multiple of PREDICT_CHUNK_ROWS");
      const out = new Float64Array(features.rows).fill(NaN);
      const rows = new Int32Array(Math.max(0, Math.min(range.end - range.start, LEAKY_SCORE_ROWS)));
      const buffer = new Float64Array(rows.length * cols);
      for (let start = range.start; start < range.end; start += LEAKY_SCORE_ROWS) {
        const n = Math.min(rows.length, range.end - start);
        for (let k = 0; k < n; k++) rows[k] = start + k;
        out.set(predict(builder.leakyRows(data, features, rows.subarray(0, n), buffer)), start);
      }
      return out;
    },
  };
}

/**
 * Frees the feature matrix once nothing reads it (the CLI's run: after the recommendations; the
 * outputs and figures read only the rows' index columns): `prepared.features` keeps every
 * field but `X`, which throws if read, and `prepared.leaky` throws. At 1M plays this returns
 * the matrix's 670 MB before the outputs are built. Mutates `prepared`, so every holder of it
 * lets go of the matrix.
 */
export function releaseFeatureMatrix(prepared: Prepared): void {
  const released = (): never => {
    throw new Error("the feature matrix was released after the model stages (releaseFeatureMatrix)");
  };
  const features = Object.defineProperty({ ...prepared.features }, "X", { get: released, enumerable: false });
  prepared.features = features;
  prepared.leaky = released;
  prepared.leakyPieces = released;
  // they hold the matrix too (they may compute from it)
  prepared.featureSummary = released;
  prepared.probeBasis = released;
}

/**
 * Stops a run that has nothing to learn from with a message naming the export and what
 * ingestion found, instead of failing later in the split or the models.
 */
function checkLearnable(input: IngestOptions, ingest: IngestResult): void {
  const r = ingest.report;
  const given = [input.export, input.extendedDir, input.accountDir, input.techDir].filter((p): p is string => !!p);
  const where = given.map((p) => `"${p}"`).join(", ");
  const filters = r.filters ?? [];
  const excluded = Object.entries(r.dropped).filter(([k, n]) => k.startsWith("excluded-") && n > 0);
  if (filters.length > 0 && r.labelCoverage.labelled === 0 && excluded.length > 0) {
    const removed = excluded.reduce((s, [, n]) => s + n, 0);
    throw new UserInputError(
      `The filters ${filters.join(", ")} left no labelled plays in the export ${where}: they excluded ${removed} play(s) ` +
        `(${excluded.map(([k, n]) => `${k.slice("excluded-".length)} ${n}`).join(", ")}), and the ${r.rowsKept} play(s) left ` +
        `${r.rowsKept === 1 ? "has" : "have"} no usable reason_end. Loosen or remove these filters (check the dates, platform names, country codes and the artists file).`,
    );
  }
  if (r.rowsKept === 0) {
    const drops = Object.entries(r.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
    throw new UserInputError(
      `The export ${where} holds no music plays to model: ${r.rowsRead} records read from the Extended Streaming History` +
        `${drops.length ? `, all dropped (${drops.join(", ")})` : ""}. Check that these are your own, unmodified Streaming_History_Audio / endsong files` +
        `${r.warnings.length ? `; the ingest warnings say which files and records were skipped` : ""}.`,
    );
  }
  if (r.labelCoverage.labelled === 0) {
    throw new UserInputError(
      `The export ${where} holds ${r.rowsKept} music plays but none has a usable reason_end (all are null or "unknown"), so there is nothing to learn completion from. ` +
        `Completion labels come from the reason_end field of the Extended streaming history package: request a fresh one on Spotify's Privacy settings page ("Download your data").`,
    );
  }
}
