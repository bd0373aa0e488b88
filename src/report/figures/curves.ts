/**
 * Plot-ready ROC / precision-recall curves and calibration bins. The numbers come from
 * `evaluate/metrics` (the same code as model_metrics.json); this module only thins the
 * curves for plotting and rounds what the figures and the dashboard embed.
 */
import { expectedCalibrationError, thresholdSeries } from "../../evaluate/metrics";
import type { CurveSeries, ReliabilityBin } from "../../evaluate/metrics";

export interface PlotCurve {
  /** [x, y] points, thinned to at most a few hundred for plotting. */
  points: [number, number][];
  /** AUC (ROC) or average precision (PR); null when undefined (a class is missing). */
  value: number | null;
}

/**
 * The series' points to plot: the first and last, and any at least `step` away (max |dx|, |dy|)
 * from the last one kept, rounded. Read off the series, so the curve over every threshold
 * (one point per distinct score: ~200k at 1M plays) is never built.
 */
function plotPoints(s: CurveSeries, step = 0.005): [number, number][] {
  const n = s.length;
  const out: [number, number][] = [];
  const keep = (i: number) => out.push([round(s.x(i)), round(s.y(i))]);
  if (n === 0) return out;
  keep(0);
  let lastX = s.x(0);
  let lastY = s.y(0);
  for (let i = 1; i < n - 1; i++) {
    const x = s.x(i);
    const y = s.y(i);
    if (Math.max(Math.abs(x - lastX), Math.abs(y - lastY)) >= step) {
      keep(i);
      lastX = x;
      lastY = y;
    }
  }
  if (n > 1) keep(n - 1);
  return out;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * ROC (x = false positive rate, y = true positive rate; value = rank-based AUC) and PR
 * (x = recall, y = precision; value = average precision) curves of one model, thinned from
 * every distinct threshold.
 */
export function plotCurves(labels: ArrayLike<number>, scores: ArrayLike<number>): { roc: PlotCurve; pr: PlotCurve } {
  const c = thresholdSeries(labels, scores);
  return {
    roc: { points: c.roc ? plotPoints(c.roc) : [], value: c.rocAuc.value },
    pr: { points: c.pr ? plotPoints(c.pr) : [], value: c.averagePrecision.value },
  };
}

/** Equal-width calibration bins over [0, 1] (p = 1 in the last bin), rounded for plotting, and their ECE. */
export function plotReliability(labels: ArrayLike<number>, scores: ArrayLike<number>, bins = 10): { bins: ReliabilityBin[]; ece: number | null } {
  const cal = expectedCalibrationError(labels, scores, bins);
  const r = (v: number | null) => (v === null ? null : round(v));
  return {
    bins: cal.bins.map((b) => ({ bin_start: round(b.bin_start), bin_end: round(b.bin_end), count: b.count, mean_predicted: r(b.mean_predicted), observed_rate: r(b.observed_rate) })),
    ece: cal.value,
  };
}
