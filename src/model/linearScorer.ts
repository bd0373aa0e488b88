/**
 * A fitted logistic regression as plain numbers, and scoring from them without tfjs (the
 * recommendations score candidate tracks this way).
 */
import { PlattCalibrator } from "./calibrate";

export interface LinearScorerParams {
  featureNames: string[];
  mean: number[];
  std: number[];
  /** Weights on standardised inputs. */
  weights: number[];
  intercept: number;
  platt: { a: number; b: number } | null;
}

/**
 * Scores raw feature rows with saved numbers (standardise → linear → sigmoid → Platt).
 * @param X [rows * cols] @returns [rows] calibrated P(completed)
 */
export function linearScorer(params: LinearScorerParams): (X: Float64Array, rows: number, cols: number) => Float64Array {
  const platt = params.platt ? Object.assign(new PlattCalibrator(), params.platt) : null;
  return (X, rows, cols) => {
    if (cols !== params.weights.length) throw new Error(`scorer expects ${params.weights.length} columns, got ${cols}`);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let z = params.intercept;
      for (let j = 0; j < cols; j++) z += (params.weights[j] * (X[i * cols + j] - params.mean[j])) / params.std[j];
      out[i] = 1 / (1 + Math.exp(-z));
    }
    return platt ? platt.predict(out) : out;
  };
}
