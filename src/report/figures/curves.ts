/**
 * Plot-ready ROC / precision-recall curves and calibration bins. The numbers come from
 * `evaluate/metrics` (the same code as model_metrics.json); this module only thins the
 * curves for plotting and rounds what the figures and the dashboard embed.
 */
import { expectedCalibrationError, thresholdCurves } from "../../evaluate/metrics";
import type { CurvePoint as MetricPoint, ReliabilityBin } from "../../evaluate/metrics";

export interface PlotCurve {
  /** [x, y] points, thinned to at most a few hundred for plotting. */
  points: [number, number][];
  /** AUC (ROC) or average precision (PR); null when undefined (a class is missing). */
  value: number | null;
}

/** Keep the first and last point and any point at least `step` away (max |dx|, |dy|) from the last kept one. */
function thin(points: [number, number][], step = 0.005): [number, number][] {
  if (points.length <= 2) return points;
  const out: [number, number][] = [points[0]];
  let last = points[0];
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i];
    if (Math.max(Math.abs(p[0] - last[0]), Math.abs(p[1] - last[1])) >= step) {
      out.push(p);
      last = p;
    }
  }
  out.push(points[points.length - 1]);
  return out;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

const plotPoints = (points: MetricPoint[]): [number, number][] =>
  thin(points.map((p): [number, number] => [p.x, p.y])).map(([x, y]) => [round(x), round(y)]);

/**
 * ROC (x = false positive rate, y = true positive rate; value = rank-based AUC) and PR
 * (x = recall, y = precision; value = average precision) curves of one model, every
 * distinct threshold kept before thinning.
 */
export function plotCurves(labels: ArrayLike<number>, scores: ArrayLike<number>): { roc: PlotCurve; pr: PlotCurve } {
  const c = thresholdCurves(labels, scores, Infinity);
  return {
    roc: { points: plotPoints(c.roc.points), value: c.rocAuc.value },
    pr: { points: plotPoints(c.pr.points), value: c.averagePrecision.value },
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
