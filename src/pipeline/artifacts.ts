/**
 * Files that carry state between notebooks (never kernel memory): the trained run is
 * saved by 03_model and loaded by 04_evaluate_and_rank, which rebuilds the features from
 * the export deterministically and checks they match. 03 saves its test-window evaluation
 * with the run, so 04 shows the very numbers 03 computed instead of computing them again
 * (2.8 s at 1M plays on the 2-core bench machine).
 *
 * The run is two files: `model_run.json` (everything but the per-row scores) and
 * `model_run.f64` (each model's raw then calibrated scores, float64, in model order, of the rows
 * the run scores: `scoredRowRange`, the validation and test rows; the others are NaN). The
 * scores are scored rows × models × 2 doubles (3.3M at 1M plays): as JSON text they were a ~230 MB
 * string built and parsed whole, seconds and hundreds of MB at both ends.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { readFileWithCrc32 } from "../common/bigBuffers";
import { UserInputError } from "../common/errors";
import { writeFileAtomic } from "../report/files";
import type { FileDigest } from "../report/files";
import { buildFigureData } from "../report/figures";
import type { FigureData } from "../report/figures";
import { FIGURE_INPUT_FILES, loadFigureInputs, SIBLING_FILES } from "../report/inputs";
import { sourceHash } from "./cache";
import { evaluateModels } from "./evaluate";
import type { Evaluation } from "./evaluate";
import type { FeatureSet } from "../features";
import type { Prepared } from "./prepare";
import type { ModelRun } from "./train";
import { onRowsFrom, scoredRowRange } from "../model/rows";

export const ARTIFACTS_DIR = "artifacts";
export const MODEL_RUN_FILE = "model_run.json";
export const MODEL_SCORES_FILE = "model_run.f64";
export const FIGURE_DATA_FILE = "figure_data.json";

interface SavedModelRun extends Omit<ModelRun, "models" | "coefficients"> {
  featureRows: number;
  /**
   * CRC-32 of the feature rows' roles, labels and sessions (`rowsFingerprint`): another split
   * (TEST_FRACTION, VALIDATION_FRACTION) keeps the rows and columns but not the roles.
   */
  rowsCrc32?: number;
  /** `evaluationCodeVersion()` when the evaluation was computed: evaluation code changed since → computed again. */
  evaluationCode?: string;
  models: Omit<ModelRun["models"][number], "raw" | "calibrated">[];
  coefficients: Record<string, { weights: number[]; intercept: number }>;
  /** `model_run.f64`: its length and CRC-32, so a file from another run or a damaged one is refused. */
  scores: { bytes: number; crc32: number };
  /** `evaluateModels` of this run, when the notebook that trained it evaluated it (plain JSON: numbers, nulls, strings). */
  evaluation?: Evaluation;
}

/** CRC-32 of what, besides the scores, an evaluation reads of the feature rows: roles, labels, sessions. */
function rowsFingerprint(features: Pick<FeatureSet, "role" | "y" | "sessionId">): number {
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return zlib.crc32(bytes(features.sessionId), zlib.crc32(bytes(features.y), zlib.crc32(bytes(features.role))));
}

/** sha256 of the code `evaluateModels` runs (src/evaluate/, src/pipeline/evaluate.ts). */
function evaluationCodeVersion(): string {
  return sourceHash(["../evaluate"], ["./evaluate.ts"]);
}

/**
 * @param features the rows the run was trained and scored on
 * @param evaluation `evaluateModels(features, run)`, saved with the run for `loadEvaluatedRun`
 */
export function saveModelRun(outputDir: string, run: ModelRun, features: Pick<FeatureSet, "rows" | "role" | "y" | "sessionId">, evaluation?: Evaluation): string {
  const featureRows = features.rows;
  const dir = path.join(outputDir, ARTIFACTS_DIR);
  const file = path.join(dir, MODEL_RUN_FILE);
  // Only the rows the run scored (the others hold NaN: ModelResult.raw).
  const { start, end } = scoredRowRange(features.role);
  const n = end - start;
  const scores = new Float64Array(run.models.length * 2 * n);
  run.models.forEach((m, k) => {
    scores.set(m.raw.subarray(start, end), 2 * k * n);
    scores.set(m.calibrated.subarray(start, end), (2 * k + 1) * n);
  });
  const bytes = new Uint8Array(scores.buffer);
  const saved: SavedModelRun = {
    ...run,
    featureRows,
    models: run.models.map((m) => ({ name: m.name, deployable: m.deployable, description: m.description, trainSeconds: m.trainSeconds, calibration: m.calibration })),
    coefficients: Object.fromEntries(Object.entries(run.coefficients).map(([k, c]) => [k, { weights: Array.from(c.weights), intercept: c.intercept }])),
    scores: { bytes: bytes.byteLength, crc32: zlib.crc32(bytes) },
    rowsCrc32: rowsFingerprint(features),
    ...(evaluation ? { evaluation, evaluationCode: evaluationCodeVersion() } : {}),
  };
  // Scores first: the JSON, written last, names the scores file's length and checksum.
  writeFileAtomic(path.join(dir, MODEL_SCORES_FILE), bytes);
  writeFileAtomic(file, JSON.stringify(saved, keepNonFinite));
  return file;
}

/**
 * JSON has no Infinity or NaN (a ROC curve's first threshold is +Infinity): they are saved as
 * {"nonFinite": "Infinity"} and restored on load, so what loads is what was saved.
 */
function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? { nonFinite: String(value) } : value;
}

function restoreNonFinite(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const text = (value as { nonFinite?: unknown }).nonFinite;
  return keys.length === 1 && typeof text === "string" && ["Infinity", "-Infinity", "NaN"].includes(text) ? Number(text) : value;
}

/** Loads the run saved by 03_model and checks it was trained on these very features. */
export function loadModelRun(outputDir: string, prepared: Prepared): ModelRun {
  return loadSaved(outputDir, prepared).run;
}

/**
 * The run saved by 03_model and its test-window evaluation: the one saved with it (written in the
 * same file, so of this very run and rows), unless the evaluation code changed since or none was
 * saved: then computed here.
 */
export function loadEvaluatedRun(outputDir: string, prepared: Prepared): { run: ModelRun; evaluation: Evaluation } {
  const { run, evaluation } = loadSaved(outputDir, prepared);
  return { run, evaluation: evaluation ?? evaluateModels(prepared.features, run) };
}

function loadSaved(outputDir: string, prepared: Prepared): { run: ModelRun; evaluation?: Evaluation } {
  const file = path.join(outputDir, ARTIFACTS_DIR, MODEL_RUN_FILE);
  const scoresFile = path.join(outputDir, ARTIFACTS_DIR, MODEL_SCORES_FILE);
  if (!fs.existsSync(file)) throw new UserInputError(`${file} does not exist: run notebooks/03_model.ipynb first (or npm start).`, file);
  const saved = JSON.parse(fs.readFileSync(file, "utf8"), restoreNonFinite) as SavedModelRun;
  const names = prepared.features.names;
  const { featureRows, scores: check, evaluation, rowsCrc32, evaluationCode, ...rest } = saved;
  if (featureRows !== prepared.features.rows || saved.featureNames.join("\u0000") !== names.join("\u0000") || rowsCrc32 !== rowsFingerprint(prepared.features)) {
    throw new UserInputError(`${file} was trained on other data or parameters: re-run notebooks/03_model.ipynb with the same SPOTIFY_EXPORT and parameters.`, file);
  }
  // The scored rows' (the same roles: rowsCrc32); 26 MB at 1M plays, read while a helper thread sums its CRC-32.
  const { start, end } = scoredRowRange(prepared.features.role);
  const n = end - start;
  const read = fs.existsSync(scoresFile) ? readFileWithCrc32(scoresFile) : null;
  if (!check || !read || read.bytes.byteLength !== check.bytes || check.bytes !== saved.models.length * 2 * n * 8 || read.crc32 !== check.crc32) {
    throw new UserInputError(`${scoresFile} is missing, damaged, from another run than ${MODEL_RUN_FILE} or written by an older version of this project: re-run notebooks/03_model.ipynb.`, scoresFile);
  }
  const bytes = read.bytes;
  // A view on the file's bytes when they are 8-byte aligned (a large read has its own buffer), else a copy.
  const scores = bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8) : new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  /** [rows] the k-th block of the file's scores at the scored rows, NaN elsewhere (as the run held them). */
  const rowsOf = (k: number) => onRowsFrom(featureRows, start, scores.subarray(k * n, (k + 1) * n));
  const run: ModelRun = {
    ...rest,
    // In ModelResult's key order, as the run was before it was saved.
    models: saved.models.map((m, k) => ({
      name: m.name,
      deployable: m.deployable,
      description: m.description,
      trainSeconds: m.trainSeconds,
      raw: rowsOf(2 * k),
      calibrated: rowsOf(2 * k + 1),
      calibration: m.calibration,
    })),
    coefficients: Object.fromEntries(Object.entries(saved.coefficients).map(([k, c]) => [k, { weights: Float64Array.from(c.weights), intercept: c.intercept }])),
  };
  return { run, evaluation: evaluation && evaluationCode === evaluationCodeVersion() ? evaluation : undefined };
}

/**
 * Each figure input file's length and CRC-32 (null: absent), in FIGURE_INPUT_FILES' order.
 * model_metrics.json's by its content without `timings`, which no figure reads and every run
 * changes: identical runs save identical figure data.
 */
function figureInputsFingerprint(outputDir: string, known: Readonly<Record<string, FileDigest>> = {}): (FileDigest | null)[] {
  return FIGURE_INPUT_FILES.map((name) => {
    if (Object.hasOwn(known, name) && name !== SIBLING_FILES.modelMetrics) return known[name];
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(outputDir, name));
    } catch {
      return null;
    }
    if (name === SIBLING_FILES.modelMetrics) bytes = withoutTimings(bytes);
    return { bytes: bytes.byteLength, crc32: zlib.crc32(bytes) };
  });
}

/** A JSON object's bytes without its `timings` (as they are when it is not a JSON object). */
function withoutTimings(bytes: Buffer): Buffer {
  try {
    const value = JSON.parse(bytes.toString("utf8")) as unknown;
    if (value === null || typeof value !== "object" || Array.isArray(value)) return bytes;
    const rest: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    delete rest.timings;
    return Buffer.from(JSON.stringify(rest));
  } catch {
    return bytes;
  }
}

/** sha256 of the code that turns the output files into figure data (src/report/figures/, the CSV readers, `figureInputs`). */
function figureCodeVersion(): string {
  return sourceHash(["../report/figures"], ["../report/inputs.ts", "../report/csv.ts", "./write.ts"]);
}

interface SavedFigureData {
  code: string;
  inputs: ReturnType<typeof figureInputsFingerprint>;
  /** The sibling files present when it was built (`loadFigureInputs`' `found`). */
  found: string[];
  data: FigureData;
}

/**
 * Saves the figures' data, built from the run in memory (`buildFigureData(figureInputs(..))`,
 * the same numbers as from the files: test/figure-data.test.ts) right after the standard outputs
 * were written into `outputDir`, with each output file it stands for (length and CRC-32). 05
 * draws from it instead of parsing scored_samples.csv again (~1.3 s at 1M plays).
 * @param written the length and CRC-32 of files just written, by name (`writeFileAtomic`'s
 *   digest): not read back (scored_samples.csv: ~0.3 s at 1M plays)
 */
export function saveFigureData(outputDir: string, data: FigureData, written: Readonly<Record<string, FileDigest>> = {}): string {
  const inputs = figureInputsFingerprint(outputDir, written);
  const found = FIGURE_INPUT_FILES.slice(1).filter((_, k) => inputs[k + 1] !== null);
  const saved: SavedFigureData = { code: figureCodeVersion(), inputs, found, data };
  const file = path.join(outputDir, ARTIFACTS_DIR, FIGURE_DATA_FILE);
  writeFileAtomic(file, JSON.stringify(saved, keepNonFinite));
  return file;
}

/**
 * The figures' data of the output folder: the saved copy (`saveFigureData`) while every file it
 * was built from is byte for byte as it was and the figure code is unchanged, else built from
 * scored_samples.csv and its siblings (`loadFigureInputs`: any folder of standard outputs).
 * @returns `saved`: whether the saved copy was used; `found`: the siblings read
 */
export function loadFigureData(outputDir: string): { data: FigureData; found: string[]; saved: boolean } {
  const saved = readSavedFigureData(outputDir);
  if (saved) return { data: saved.data, found: saved.found, saved: true };
  const { inputs, found } = loadFigureInputs(path.join(outputDir, "scored_samples.csv"));
  return { data: buildFigureData(inputs), found, saved: false };
}

function readSavedFigureData(outputDir: string): SavedFigureData | null {
  let saved: SavedFigureData;
  try {
    saved = JSON.parse(fs.readFileSync(path.join(outputDir, ARTIFACTS_DIR, FIGURE_DATA_FILE), "utf8"), restoreNonFinite) as SavedFigureData;
  } catch {
    return null; // none, or unreadable: built from the CSVs instead
  }
  if (saved?.code !== figureCodeVersion() || !Array.isArray(saved.inputs) || !saved.data) return null;
  return JSON.stringify(saved.inputs) === JSON.stringify(figureInputsFingerprint(outputDir)) ? saved : null;
}

/** A notebook's key results, recorded as JSON under OUTPUT_DIR/notebook_results/ (read by the tests). */
export function recordResults(outputDir: string, notebook: string, results: Record<string, unknown>): string {
  const file = path.join(outputDir, "notebook_results", `${notebook}.json`);
  writeFileAtomic(file, JSON.stringify(results, null, 2) + "\n");
  return file;
}
