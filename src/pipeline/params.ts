/**
 * The knobs of a run, shared by the CLI and the notebooks' parameters cells.
 */
import type { IngestOptions } from "../ingest/types";

export interface PipelineParams {
  /** Seed for every random choice (initialisation, shuffling). */
  seed: number;
  /** Share of labelled plays, latest by start time, held out as the test window. */
  testFraction: number;
  /** Share of the training window, latest by start time, used for early stopping and calibration. */
  validationFraction: number;
  /** IANA time zone for local-time features; default derived from the profile / conn_country. */
  timezone?: string;
  /** Length of the recommendation list. */
  topN: number;
}

export const DEFAULT_PARAMS: PipelineParams = {
  seed: 42,
  testFraction: 0.2,
  validationFraction: 0.1,
  topN: 50,
};

/**
 * Parameters from environment variables (the notebooks' parameters cell), with defaults:
 * SPOTIFY_EXPORT, OUTPUT_DIR, SEED, TEST_FRACTION, VALIDATION_FRACTION, TIMEZONE, TOP_N, LENIENT.
 */
export function paramsFromEnv(env: NodeJS.ProcessEnv = process.env, defaults: { exportPath: string; outputDir: string; params?: Partial<PipelineParams> }): {
  input: IngestOptions;
  outputDir: string;
  params: PipelineParams;
} {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${name}=${raw} is not a number`);
    return value;
  };
  return {
    input: { export: env.SPOTIFY_EXPORT || defaults.exportPath, lenient: env.LENIENT === "1" || env.LENIENT === "true" },
    outputDir: env.OUTPUT_DIR || defaults.outputDir,
    params: {
      seed: number("SEED", defaults.params?.seed ?? DEFAULT_PARAMS.seed),
      testFraction: number("TEST_FRACTION", defaults.params?.testFraction ?? DEFAULT_PARAMS.testFraction),
      validationFraction: number("VALIDATION_FRACTION", defaults.params?.validationFraction ?? DEFAULT_PARAMS.validationFraction),
      timezone: env.TIMEZONE || defaults.params?.timezone || undefined,
      topN: number("TOP_N", defaults.params?.topN ?? DEFAULT_PARAMS.topN),
    },
  };
}
