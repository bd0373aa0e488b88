/**
 * Seeded synthetic classification data with a planted signal, for tests and benchmarks
 * (the real export is personal and cannot ship with the repo).
 */
import { mulberry32 } from "../common/rng";

export interface SyntheticOptions {
  rows: number;
  cols: number;
  seed?: number;
  /**
   * [cols] true coefficients on the (already unit-variance) features; default: the first
   * min(cols, 8) columns get +1, −1, +0.8, −0.8, +0.6, −0.6, +0.4, −0.4; the rest 0.
   */
  weights?: number[];
  intercept?: number;
  /** Adds y-relevant interactions a linear model cannot represent: x0·x1 and x2·x3 (XOR-like). */
  interactionStrength?: number;
  /** Per-column scale and offset, so standardisation matters. */
  scaled?: boolean;
}

export interface SyntheticData {
  /** [rows * cols] row-major */
  X: Float64Array;
  /** [rows] 0/1 */
  y: Float64Array;
  /** [rows] the true P(y = 1) */
  pTrue: Float64Array;
  weights: Float64Array;
  rows: number;
  cols: number;
}

export function defaultWeights(cols: number): Float64Array {
  const w = new Float64Array(cols);
  for (let j = 0; j < Math.min(cols, 8); j++) w[j] = (j % 2 === 0 ? 1 : -1) * (1 - 0.2 * Math.floor(j / 2));
  return w;
}

export function makeSynthetic(options: SyntheticOptions): SyntheticData {
  const { rows, cols, seed = 1, intercept = 0.3, interactionStrength = 0, scaled = true } = options;
  const weights = options.weights ? Float64Array.from(options.weights) : defaultWeights(cols);
  if (weights.length !== cols) throw new Error(`makeSynthetic: ${weights.length} weights for ${cols} cols`);
  const rand = mulberry32(seed);
  const normal = (): number => {
    // Box–Muller; 1 − u keeps log away from 0.
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const X = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  const pTrue = new Float64Array(rows);
  const z0 = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    let z = intercept;
    for (let j = 0; j < cols; j++) {
      const v = normal();
      z0[j] = v;
      z += weights[j] * v;
      // Raw columns get different scales/offsets; the signal is defined on the unit-variance value.
      X[i * cols + j] = scaled ? v * (1 + (j % 5)) + 10 * (j % 3) : v;
    }
    if (interactionStrength !== 0 && cols >= 4) {
      z += interactionStrength * (Math.sign(z0[0] * z0[1]) + Math.sign(z0[2] * z0[3]));
    }
    const p = 1 / (1 + Math.exp(-z));
    pTrue[i] = p;
    y[i] = rand() < p ? 1 : 0;
  }
  return { X, y, pTrue, weights, rows, cols };
}

/** Splits the first rows off as "train", the next as "validation", the rest as "test". */
export function splitRows(
  data: SyntheticData,
  fractions: { train: number; validation: number },
): Record<"train" | "validation" | "test", { X: Float64Array; y: Float64Array }> {
  const { rows, cols } = data;
  const a = Math.floor(rows * fractions.train);
  const b = Math.floor(rows * (fractions.train + fractions.validation));
  const part = (lo: number, hi: number) => ({ X: data.X.subarray(lo * cols, hi * cols), y: data.y.subarray(lo, hi) });
  return { train: part(0, a), validation: part(a, b), test: part(b, rows) };
}
