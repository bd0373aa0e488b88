/**
 * λ for both logistic regressions, chosen once per run: the grid value whose minimiser of
 * mean log loss + λ Σ w_j² on the training rows has the lowest mean log loss on the
 * chronological validation slice. The closed loop solves the grid (exactly, from the largest λ
 * down, each solve warm-started from the previous one); `tfjs_logistic` and
 * `closed_loop_logistic` are then both fitted at the chosen λ, the closed loop by continuing
 * the grid's fit at that λ to the models' tighter tolerance (`L2Choice.selected`).
 */
import { ClosedLoopLogistic, initialGram, meanLogLoss, shiftPairs } from "./closedLoop";
import type { ClosedLoopStart, LbfgsMemory } from "./closedLoop";
import { LogitsHelper } from "./logitsHelper";
import type { TrainingRows } from "./trainingRows";
import type { LinearCoefficients, TrainStats } from "./types";

/** 1e-5 … 1e-1, a decade apart. */
export const L2_GRID: readonly number[] = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

/**
 * The grid's fits stop here (10× the models' GRADIENT_TOLERANCE): their validation log losses are
 * then exact to far below the gaps between grid values, in fewer passes.
 */
export const SELECTION_GRADIENT_TOLERANCE = 1e-6;

/**
 * Training rows from which the grid's passes compute their logits on a second thread
 * (`LogitsHelper`; the same bits). Below it the MLP worker keeps the second core busy through the
 * λ selection (at 300k plays, 210k training rows, it trains for as long as the selection runs).
 */
export const CLOSED_LOOP_HELPER_MIN_ROWS = 400_000;

/** λ when there are no validation rows to choose by. */
export const DEFAULT_L2 = 1e-3;

export interface L2Choice {
  l2: number;
  /** Each grid value with the validation log loss of its minimiser (null: not evaluated). */
  grid: { l2: number; validationLogLoss: number | null }[];
  /** How λ was chosen, in a sentence. */
  reason: string;
  seconds: number;
  /**
   * The grid's fit at the chosen λ, with the standardised training rows it read: what
   * `closed_loop_logistic` continues from (`ClosedLoopOptions.start`). Null when λ was not
   * chosen by fitting (no validation or training rows). Holds a standardised copy of the training rows,
   * and from CLOSED_LOOP_HELPER_MIN_ROWS rows a running logits thread: close it
   * (`selected.logits.close()`) if no closed loop continues from it.
   */
  selected: ClosedLoopStart | null;
}

/**
 * @param train [rows * cols] raw training rows and their [rows] 0/1 labels
 * @param val   the validation slice, same layout
 */
export function chooseL2(
  train: { X: Float64Array; y: Float64Array },
  val: { X: Float64Array; y: Float64Array },
  options: { grid?: readonly number[]; fallback?: number; trainStats?: TrainStats; helperMinRows?: number } = {},
): L2Choice {
  const t0 = Date.now();
  const grid = [...(options.grid ?? L2_GRID)].sort((a, b) => a - b);
  const fallback = options.fallback ?? DEFAULT_L2;
  if (val.y.length === 0 || train.y.length === 0) {
    return {
      l2: fallback,
      grid: grid.map((l2) => ({ l2, validationLogLoss: null })),
      reason: `no ${train.y.length === 0 ? "training" : "validation"} rows to choose by: the default λ = ${fallback}`,
      seconds: (Date.now() - t0) / 1000,
      selected: null,
    };
  }
  const first = new ClosedLoopLogistic();
  // From CLOSED_LOOP_HELPER_MIN_ROWS rows, each pass's logits are computed on a second thread.
  const helped = train.y.length >= (options.helperMinRows ?? CLOSED_LOOP_HELPER_MIN_ROWS);
  const R = first.prepareFit(train.X, train.y, options.trainStats, helped);
  const logits = helped ? LogitsHelper.start(R) : null;
  try {
    const choice = selectOnGrid(first, R, train, val, grid, logits, t0);
    // Handed on with the rows it reads: the closed loop's continuation uses it, then closes it.
    if (choice.selected) choice.selected.logits = logits;
    else logits?.close();
    return choice;
  } catch (error) {
    logits?.close();
    throw error;
  }
}

/** `chooseL2`'s grid, on the standardised training rows `R` of `first`'s scaler. */
function selectOnGrid(
  first: ClosedLoopLogistic,
  R: TrainingRows,
  train: { X: Float64Array; y: Float64Array },
  val: { X: Float64Array; y: Float64Array },
  grid: number[],
  logits: LogitsHelper | null,
  t0: number,
): L2Choice {
  const gram = initialGram(R);
  const losses = new Map<number, number>();
  const fits = new Map<number, Pick<ClosedLoopStart, "coefficients" | "passes" | "gradNorm" | "memory">>();
  let start: LinearCoefficients | undefined;
  let pairs: { l2: number; memory: LbfgsMemory } | null = null;
  // Largest λ first: its minimiser is nearest 0 and each next one starts near its own, with the
  // previous fit's L-BFGS curvature shifted to its λ (~30 % fewer passes over the grid).
  for (const l2 of [...grid].reverse()) {
    const m = new ClosedLoopLogistic({ l2, gradTol: SELECTION_GRADIENT_TOLERANCE });
    m.scaler.setStats(first.scaler.mean, first.scaler.std);
    const memory = pairs ? shiftPairs(pairs.memory, first.scaler.cols, l2 - pairs.l2) : null;
    m.fitStandardized(R, train.y, {}, Date.now(), { start, gram, memory, logits });
    start = m.coefficients();
    pairs = m.lbfgsPairs ? { l2, memory: m.lbfgsPairs } : null;
    fits.set(l2, { coefficients: start, passes: m.history.passes ?? 0, gradNorm: m.history.gradNorm ?? NaN, memory: m.lbfgsPairs });
    losses.set(l2, meanLogLoss(val.y, m.predictProba(val.X)));
  }
  // Lowest validation loss; a tie (to 1e-12) goes to the larger λ, the simpler model.
  let best = grid[grid.length - 1];
  for (const l2 of [...grid].reverse()) if (losses.get(l2)! < losses.get(best)! - 1e-12) best = l2;
  const positives = val.y.reduce((s, v) => s + v, 0);
  const oneClass = positives === 0 || positives === val.y.length ? " (the validation slice holds one class only)" : "";
  return {
    l2: best,
    grid: grid.map((l2) => ({ l2, validationLogLoss: losses.get(l2)! })),
    reason: `lowest validation log loss of ${grid.length} values on ${val.y.length} validation rows${oneClass}`,
    seconds: (Date.now() - t0) / 1000,
    selected: { rows: R, mean: first.scaler.mean, std: first.scaler.std, gram, ...fits.get(best)! },
  };
}
