/**
 * Chronological train / validation / test plans over a PlayTable.
 *
 * Cuts are placed among LABELLED plays ordered by start time (the table is already
 * sorted by start), then turned into start-time boundaries, so plays sharing a start
 * time never straddle a cut. Unlabelled plays get role 255: context only.
 */
import type { PlayTable } from "../ingest/types";
import { UserInputError } from "../common/errors";
import { ROLE_NONE, ROLE_TEST, ROLE_TRAIN, ROLE_VALIDATION, type SplitPlan } from "./types";

export interface ChronologicalSplitOptions {
  /** Share of labelled plays (the latest ones) in the test window. */
  testFraction?: number;
  /** Share of the training window (its latest part) used for validation. */
  validationFraction?: number;
}

export interface RollingOriginOptions {
  /** Number of consecutive test blocks; the last one ends with the data. */
  folds?: number;
  /** Share of labelled plays in EACH fold's test block. */
  testFraction?: number;
  validationFraction?: number;
}

function labelledIndex(plays: PlayTable): Int32Array {
  let count = 0;
  for (let i = 0; i < plays.length; i++) if (plays.completed[i] >= 0) count++;
  const out = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < plays.length; i++) if (plays.completed[i] >= 0) out[k++] = i;
  return out;
}

function checkFraction(name: string, value: number, allowZero: boolean): void {
  if (!(value < 1) || value < 0 || (!allowZero && value === 0) || Number.isNaN(value)) {
    throw new UserInputError(`${name} must be in ${allowZero ? "[0, 1)" : "(0, 1)"}, got ${value}.`);
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Roles from three start-time boundaries over labelled plays:
 * train < trainEndMs <= validation < validationEndMs <= test < testEndMs; the rest 255.
 */
function planFromBoundaries(
  plays: PlayTable,
  trainEndMs: number,
  validationEndMs: number,
  testEndMs: number,
  testFraction: number,
  validationFraction: number,
  fold: number,
): SplitPlan {
  const role = new Uint8Array(plays.length).fill(ROLE_NONE);
  const counts = { train: 0, validation: 0, test: 0, unlabelled: 0 };
  for (let i = 0; i < plays.length; i++) {
    if (plays.completed[i] < 0) {
      counts.unlabelled++;
      continue;
    }
    const s = plays.startMs[i];
    if (s < trainEndMs) {
      role[i] = ROLE_TRAIN;
      counts.train++;
    } else if (s < validationEndMs) {
      role[i] = ROLE_VALIDATION;
      counts.validation++;
    } else if (s < testEndMs) {
      role[i] = ROLE_TEST;
      counts.test++;
    }
  }
  if (counts.train === 0) {
    throw new UserInputError(
      "The chronological split left no training plays (too few labelled plays, or they share one start time). " +
        "Use an export with more plays that carry a reason_end.",
    );
  }
  return {
    role,
    trainEndMs,
    validationEndMs,
    testEndMs,
    trainEndIso: iso(trainEndMs),
    validationEndIso: iso(validationEndMs),
    testEndIso: iso(testEndMs),
    counts,
    testFraction,
    validationFraction,
    fold,
  };
}

/**
 * Cut points on the labelled plays `lab` (ascending start): the first `nTrain` are
 * train, the next `nVal` validation, then test up to `testEnd` (index, exclusive).
 * Returns start-time boundaries.
 */
function boundaries(plays: PlayTable, lab: Int32Array, nTrain: number, nVal: number, testEnd: number) {
  // past the last labelled play: just after the last play of all, so every boundary stays finite (JSON-safe)
  const end = plays.startMs[plays.length - 1] + 1;
  const startAt = (k: number): number => (k < lab.length ? plays.startMs[lab[k]] : end);
  const trainEndMs = startAt(nTrain);
  const validationEndMs = startAt(nTrain + nVal);
  const testEndMs = startAt(testEnd);
  return { trainEndMs, validationEndMs, testEndMs };
}

/**
 * Train / validation / test by time over labelled plays.
 * Test = last `testFraction` of labelled plays; validation = last `validationFraction`
 * of what remains (the training window); train = the rest. At least one train play.
 */
export function chronologicalSplit(plays: PlayTable, options: ChronologicalSplitOptions = {}): SplitPlan {
  const testFraction = options.testFraction ?? 0.2;
  const validationFraction = options.validationFraction ?? 0.1;
  checkFraction("testFraction", testFraction, true);
  checkFraction("validationFraction", validationFraction, true);
  const lab = labelledIndex(plays);
  if (lab.length === 0) {
    throw new UserInputError(
      "No play in the streaming history carries a usable reason_end, so there is nothing to learn completion from. " +
        "The Extended Streaming History package is needed (the Account Data package has no reasons).",
    );
  }
  const L = lab.length;
  const nTest = Math.min(L - 1, Math.round(L * testFraction));
  const nWindow = L - nTest;
  const nVal = Math.min(nWindow - 1, Math.round(nWindow * validationFraction));
  const b = boundaries(plays, lab, nWindow - nVal, nVal, L);
  return planFromBoundaries(plays, b.trainEndMs, b.validationEndMs, b.testEndMs, testFraction, validationFraction, 0);
}

/**
 * Rolling-origin backtest: `folds` consecutive test blocks of `testFraction` of the
 * labelled plays each, the last ending with the data. Fold k trains on everything
 * before its block (expanding window, validation = its last `validationFraction`);
 * labelled plays after the block get role 255 (context only, never rows).
 */
export function rollingOriginSplits(plays: PlayTable, options: RollingOriginOptions = {}): SplitPlan[] {
  const folds = options.folds ?? 3;
  const testFraction = options.testFraction ?? 0.1;
  const validationFraction = options.validationFraction ?? 0.1;
  if (!Number.isInteger(folds) || folds < 1) throw new UserInputError(`folds must be a positive integer, got ${folds}.`);
  checkFraction("testFraction", testFraction, false);
  checkFraction("validationFraction", validationFraction, true);
  if (folds * testFraction >= 1) {
    throw new UserInputError(`folds × testFraction must be below 1 (got ${folds} × ${testFraction}).`);
  }
  const lab = labelledIndex(plays);
  const L = lab.length;
  const block = Math.max(1, Math.round(L * testFraction));
  if (L < block * folds + 1) {
    throw new UserInputError(`Too few labelled plays (${L}) for ${folds} backtest folds.`);
  }
  const plans: SplitPlan[] = [];
  for (let k = 0; k < folds; k++) {
    const testEnd = L - (folds - 1 - k) * block;
    const nWindow = testEnd - block;
    const nVal = Math.min(nWindow - 1, Math.round(nWindow * validationFraction));
    const b = boundaries(plays, lab, nWindow - nVal, nVal, testEnd);
    plans.push(planFromBoundaries(plays, b.trainEndMs, b.validationEndMs, b.testEndMs, testFraction, validationFraction, k));
  }
  return plans;
}
