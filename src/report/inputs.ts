/** Load figure inputs from CSV files: scored_samples.csv plus optional siblings. */
import * as fs from "fs";
import * as path from "path";
import { UserInputError } from "../common/errors";
import { CsvSyntaxError, eachCsvRow, parseCsv, restoreCell, typedCell } from "./csv";
import type { ParsedCsv } from "./csv";
import type { ScoredColumn } from "./columns";
import { cellText } from "./rows";
import type { FigureInputs, LabelDisagreementRow, ScoredSample, TrainingHistory } from "./figures/types";

/** The scored_samples.csv columns (of `SCORED_BASE_COLUMNS`) every figure built from scored plays needs; the others may be absent. */
export const REQUIRED_SCORED_COLUMNS: readonly ScoredColumn[] = [
  "hour_local", "day_of_week", "session_position", "artist", "platform_family", "split", "label", "p_complete",
];

/** Optional inputs looked for next to scored_samples.csv. */
export const SIBLING_FILES = {
  featureImportance: "feature_importance.csv",
  modelComparison: "model_comparison.csv",
  monthly: "monthly_completion.csv",
  recommendations: "top_resume_playlist.csv",
  modelMetrics: "model_metrics.json",
} as const;

/** Written by `--compare-labels`; its `by_platform` rows feed the disagreement figure. */
export const LABEL_COMPARISON_FILE = "label_comparison.json";

/** Every file `loadFigureInputs` reads in a folder of outputs, in the order it reads them (its `found`: those present after the first). */
export const FIGURE_INPUT_FILES = [
  "scored_samples.csv",
  SIBLING_FILES.featureImportance,
  SIBLING_FILES.modelComparison,
  SIBLING_FILES.monthly,
  SIBLING_FILES.recommendations,
  LABEL_COMPARISON_FILE,
  SIBLING_FILES.modelMetrics,
] as const;

function readLabelDisagreement(file: string): LabelDisagreementRow[] {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserInputError(`${LABEL_COMPARISON_FILE} "${file}" is not valid JSON (${(error as Error).message}); re-run the pipeline with --compare-labels or remove it.`, file);
  }
  const rows = (value as { by_platform?: unknown })?.by_platform;
  if (!Array.isArray(rows)) throw new UserInputError(`${LABEL_COMPARISON_FILE} "${file}" has no "by_platform" list; re-run the pipeline with --compare-labels or remove it.`, file);
  return rows.map((r: Record<string, unknown>) => ({
    rule: cellText(r.rule),
    platform_family: cellText(r.platform_family),
    labelled: Number(r.labelled) || 0,
    disagree: Number(r.disagree) || 0,
    disagreement: Number(r.disagreement),
  }));
}

function readText(file: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new UserInputError(`Cannot read ${what} "${file}": the file does not exist or is not readable. Run the pipeline first or pass the right path.`, file);
  }
  // Bytes, then decoded: the same text, ~50 ms sooner for a 63 MB file than readFileSync(file, "utf8") on Node 20.
  return bytes.toString("utf8");
}

/** `parse()`, its CSV syntax error reworded to name the file. */
function parsingCsv<T>(file: string, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new UserInputError(`${what} "${file}" is not a valid CSV file (${error.message}).`, file);
    throw error;
  }
}

function readTable(file: string, what: string): ParsedCsv {
  const text = readText(file, what);
  return parsingCsv(file, what, () => parseCsv(text));
}

function requireColumns(table: { columns: string[] }, required: readonly string[], file: string, what: string): void {
  const missing = required.filter((c) => !table.columns.includes(c));
  if (missing.length > 0) {
    throw new UserInputError(
      `${what} "${file}" lacks required column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}. ` +
        `Found: ${table.columns.join(", ") || "(none)"}.`,
      file,
    );
  }
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * Models to compare in the curves: the per-model columns (p_<model>, file order); p_complete
 * alone when there are none (it repeats the primary model's column otherwise).
 */
export function modelColumns(columns: string[]): `p_${string}`[] {
  const perModel = columns.filter((c): c is `p_${string}` => /^p_/.test(c) && c !== "p_complete");
  return perModel.length > 0 ? perModel : columns.includes("p_complete") ? ["p_complete"] : [];
}

/** Text of a typed cell: "" when empty, a number-like cell as `String` of its number (e.g. "1.50" → "1.5"). */
function textCell(raw: string | undefined): string {
  const v = typedCell(raw ?? "");
  return v === null ? "" : typeof v === "string" ? v : String(v);
}

/** A typed cell's finite number, else null. */
const numberCell = (raw: string | undefined): number | null => num(typedCell(raw ?? ""));

/** A label cell: 1, 0 or null (empty); anything else as its typed value, for the error message. */
function labelCell(raw: string | undefined): string | number | null {
  if (raw === "1") return 1;
  if (raw === "0") return 0;
  return typedCell(raw ?? "");
}

/** An integer cell in [lo, hi]; `row` and `file` only name the cell in the error. */
function intCell(raw: string | undefined, key: string, lo: number, hi: number, row: number, file: string): number {
  const v = numberCell(raw);
  if (v === null || !Number.isInteger(v) || v < lo || v > hi) {
    throw new UserInputError(`Bad ${key} ${JSON.stringify(typedCell(raw ?? ""))} in row ${row} of "${file}": expected an integer ${lo}-${hi}.`, file);
  }
  return v;
}

/** Converts one scored_samples row's cells (`row`: its line, for errors) for the given header. */
type ScoredRowReader = (cells: string[], row: number) => ScoredSample;

/** A row reader for this header, columns found once (a repeated column reads as its last copy, a missing optional one as ""). */
function scoredRowReader(columns: string[], file: string): ScoredRowReader {
  requireColumns({ columns }, REQUIRED_SCORED_COLUMNS, file, "Scored samples file");
  const col = (key: string) => columns.lastIndexOf(key);
  const models = modelColumns(columns)
    .filter((m) => m !== "p_complete")
    .map((m) => ({ m, j: col(m) }));
  const [ts, startLocal, hour, day, position, uri, track, artist, album, platform, family, split, label, pComplete] = ([
    "ts", "start_local", "hour_local", "day_of_week", "session_position", "spotify_track_uri", "track", "artist", "album",
    "platform", "platform_family", "split", "label", "p_complete",
  ] satisfies ScoredColumn[]).map(col);
  return (cells, row) => {
    const rawLabel = labelCell(cells[label]);
    if (rawLabel !== null && rawLabel !== 0 && rawLabel !== 1) {
      throw new UserInputError(`Bad label ${JSON.stringify(rawLabel)} in row ${row} of "${file}": expected 1, 0 or empty.`, file);
    }
    const sample: ScoredSample = {
      ts: textCell(cells[ts]),
      start_local: textCell(cells[startLocal]),
      hour_local: intCell(cells[hour], "hour_local", 0, 23, row, file),
      day_of_week: intCell(cells[day], "day_of_week", 0, 6, row, file),
      session_position: intCell(cells[position], "session_position", 1, Number.MAX_SAFE_INTEGER, row, file),
      spotify_track_uri: textCell(cells[uri]),
      track: textCell(cells[track]),
      artist: textCell(cells[artist]),
      album: textCell(cells[album]),
      platform: textCell(cells[platform]),
      platform_family: textCell(cells[family]),
      split: textCell(cells[split]),
      label: rawLabel === null ? null : rawLabel === 1 ? 1 : 0, // (checked above; spelled out for non-strict tslab; -0 is 0)
      p_complete: numberCell(cells[pComplete]) ?? NaN, // unscored: ignored by score figures
    };
    for (const { m, j } of models) sample[m] = numberCell(cells[j]);
    return sample;
  };
}

/**
 * scored_samples.csv's columns and validated plays, each row converted as it is tokenized (no
 * grid, no record per row; see `eachCsvRow`). Errors name the file and the first bad row; a
 * CSV syntax error anywhere comes first (a `CsvSyntaxError`), as when the file was parsed whole.
 */
export function parseScoredSamples(text: string, file: string): { columns: string[]; scored: ScoredSample[] } {
  const scored: ScoredSample[] = [];
  const header = { columns: [] as string[], read: null as ScoredRowReader | null };
  eachCsvRow(text, (cells, index) => {
    if (index === 0) {
      header.columns = cells.map(restoreCell);
      header.read = scoredRowReader(header.columns, file);
    } else scored.push(header.read!(cells, index + 1)); // (set by row 0, or eachCsvRow stopped at its error)
  });
  if (!header.read) scoredRowReader([], file); // no header row: names the missing columns
  return { columns: header.columns, scored };
}

/** The per-epoch losses under model_metrics.json's "training" (models without `train_loss` are left out). */
export function trainingHistories(file: string): TrainingHistory[] {
  let metrics: { training?: Record<string, { train_loss?: unknown; val_loss?: unknown; stopped_early?: unknown } | null> };
  try {
    metrics = JSON.parse(fs.readFileSync(file, "utf8")) as typeof metrics;
  } catch (error) {
    throw new UserInputError(`${SIBLING_FILES.modelMetrics} "${file}" is not valid JSON (${(error as Error).message}).`, file);
  }
  const losses = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === "number" && Number.isFinite(x)) : []);
  return Object.entries(metrics.training ?? {})
    .filter(([, h]) => h && Array.isArray(h.train_loss))
    .map(([model, h]) => ({ model, train: losses(h!.train_loss), validation: losses(h!.val_loss), stoppedEarly: h!.stopped_early === true }));
}

/** Read `scored_samples.csv` and any optional inputs found in the same folder. */
export function loadFigureInputs(scoredPath: string): { inputs: FigureInputs; found: string[] } {
  const what = "Scored samples file";
  const text = readText(scoredPath, what);
  const { columns, scored } = parsingCsv(scoredPath, what, () => parseScoredSamples(text, scoredPath));
  const inputs: FigureInputs = { scored, models: modelColumns(columns) };
  const dir = path.dirname(scoredPath);
  const found: string[] = [];
  const sibling = (name: string) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return null;
    found.push(name);
    return { file, table: readTable(file, name) };
  };
  const fi = sibling(SIBLING_FILES.featureImportance);
  if (fi) {
    requireColumns(fi.table, ["feature", "coefficient"], fi.file, SIBLING_FILES.featureImportance);
    inputs.featureImportance = fi.table.rows
      .filter((r) => num(r.coefficient) !== null)
      .map((r) => ({ feature: String(r.feature ?? ""), coefficient: r.coefficient as number }));
  }
  const mc = sibling(SIBLING_FILES.modelComparison);
  if (mc) inputs.modelComparison = mc.table.rows;
  const mo = sibling(SIBLING_FILES.monthly);
  if (mo) {
    requireColumns(mo.table, ["month", "plays", "labelled", "completion_rate"], mo.file, SIBLING_FILES.monthly);
    inputs.monthly = mo.table.rows.map((r) => ({
      month: String(r.month ?? ""),
      plays: num(r.plays) ?? 0,
      labelled: num(r.labelled) ?? 0,
      completion_rate: num(r.completion_rate),
    }));
  }
  const rec = sibling(SIBLING_FILES.recommendations);
  if (rec) inputs.recommendations = rec.table.rows;
  const labels = path.join(dir, LABEL_COMPARISON_FILE);
  if (fs.existsSync(labels)) {
    found.push(LABEL_COMPARISON_FILE);
    inputs.labelDisagreement = readLabelDisagreement(labels);
  }
  const metricsFile = path.join(dir, SIBLING_FILES.modelMetrics);
  if (fs.existsSync(metricsFile)) {
    inputs.training = trainingHistories(metricsFile);
    found.push(SIBLING_FILES.modelMetrics);
  }
  return { inputs, found };
}
