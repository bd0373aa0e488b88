/**
 * Files that carry state between notebooks (never kernel memory): the trained run is
 * saved by 03_model and loaded by 04_evaluate_and_rank, which rebuilds the features from
 * the export deterministically and checks they match.
 */
import * as fs from "fs";
import * as path from "path";
import { UserInputError } from "../common/errors";
import { writeFileAtomic } from "../report/files";
import type { Prepared } from "./prepare";
import type { ModelRun } from "./train";

export const ARTIFACTS_DIR = "artifacts";
export const MODEL_RUN_FILE = "model_run.json";

interface SavedModelRun extends Omit<ModelRun, "models" | "coefficients"> {
  featureRows: number;
  models: (Omit<ModelRun["models"][number], "raw" | "calibrated"> & { raw: number[]; calibrated: number[] })[];
  coefficients: Record<string, { weights: number[]; intercept: number }>;
}

export function saveModelRun(outputDir: string, run: ModelRun, featureRows: number): string {
  const file = path.join(outputDir, ARTIFACTS_DIR, MODEL_RUN_FILE);
  const saved: SavedModelRun = {
    ...run,
    featureRows,
    models: run.models.map((m) => ({ ...m, raw: Array.from(m.raw), calibrated: Array.from(m.calibrated) })),
    coefficients: Object.fromEntries(Object.entries(run.coefficients).map(([k, c]) => [k, { weights: Array.from(c.weights), intercept: c.intercept }])),
  };
  writeFileAtomic(file, JSON.stringify(saved));
  return file;
}

/** Loads the run saved by 03_model and checks it was trained on these very features. */
export function loadModelRun(outputDir: string, prepared: Prepared): ModelRun {
  const file = path.join(outputDir, ARTIFACTS_DIR, MODEL_RUN_FILE);
  if (!fs.existsSync(file)) throw new UserInputError(`${file} does not exist: run notebooks/03_model.ipynb first (or npm start).`, file);
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as SavedModelRun;
  const names = prepared.features.names;
  const { featureRows, ...rest } = saved;
  if (featureRows !== prepared.features.rows || saved.featureNames.join("\u0000") !== names.join("\u0000")) {
    throw new UserInputError(`${file} was trained on other data or parameters: re-run notebooks/03_model.ipynb with the same SPOTIFY_EXPORT and parameters.`, file);
  }
  return {
    ...rest,
    models: saved.models.map((m) => ({ ...m, raw: Float64Array.from(m.raw), calibrated: Float64Array.from(m.calibrated) })),
    coefficients: Object.fromEntries(Object.entries(saved.coefficients).map(([k, c]) => [k, { weights: Float64Array.from(c.weights), intercept: c.intercept }])),
  };
}

/** A notebook's key results, recorded as JSON under OUTPUT_DIR/notebook_results/ (read by the tests). */
export function recordResults(outputDir: string, notebook: string, results: Record<string, unknown>): string {
  const file = path.join(outputDir, "notebook_results", `${notebook}.json`);
  writeFileAtomic(file, JSON.stringify(results, null, 2) + "\n");
  return file;
}
