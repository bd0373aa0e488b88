/** ROC / precision-recall curves and calibration bins from scores and 0/1 labels. */
import type { ReliabilityBin } from "./types";

export interface Curve {
  /** [x, y] points, thinned to at most a few hundred for plotting. */
  points: [number, number][];
  /** AUC (ROC) or average precision (PR); null when a class is missing. */
  value: number | null;
}

/** Distinct-threshold cumulative counts, scores descending: [tp, fp] after each threshold. */
function cumulative(scores: number[], labels: number[]): { tp: number[]; fp: number[]; pos: number; neg: number } {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const tp: number[] = [];
  const fp: number[] = [];
  let t = 0;
  let f = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (labels[i] === 1) t++;
    else f++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tp.push(t);
      fp.push(f);
    }
  }
  return { tp, fp, pos: t, neg: f };
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

/** ROC curve (x = false positive rate, y = true positive rate) and its trapezoidal AUC. */
export function rocCurve(scores: number[], labels: number[]): Curve {
  const { tp, fp, pos, neg } = cumulative(scores, labels);
  if (pos === 0 || neg === 0) return { points: [], value: null };
  const pts: [number, number][] = [[0, 0]];
  for (let k = 0; k < tp.length; k++) pts.push([fp[k] / neg, tp[k] / pos]);
  let auc = 0;
  for (let k = 1; k < pts.length; k++) auc += (pts[k][0] - pts[k - 1][0]) * (pts[k][1] + pts[k - 1][1]) / 2;
  const kept = thin(pts).map(([x, y]) => [round(x), round(y)] as [number, number]);
  return { points: kept, value: auc };
}

/** Precision-recall curve (x = recall, y = precision) and average precision Σ ΔR·P. */
export function prCurve(scores: number[], labels: number[]): Curve {
  const { tp, fp, pos, neg } = cumulative(scores, labels);
  if (pos === 0 || neg === 0) return { points: [], value: null };
  const pts: [number, number][] = [];
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tp.length; k++) {
    const recall = tp[k] / pos;
    const precision = tp[k] / (tp[k] + fp[k]);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    pts.push([recall, precision]);
  }
  const kept = thin(pts).map(([x, y]) => [round(x), round(y)] as [number, number]);
  return { points: kept, value: ap };
}

/** Equal-width calibration bins over [0, 1]; p = 1 falls in the last bin. */
export function reliabilityBins(scores: number[], labels: number[], bins = 10): ReliabilityBin[] {
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  scores.forEach((p, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]++;
    sumP[b] += p;
    sumY[b] += labels[i];
  });
  return count.map((n, b) => ({
    bin_start: round(b / bins),
    bin_end: round((b + 1) / bins),
    count: n,
    mean_predicted: n > 0 ? round(sumP[b] / n) : null,
    observed_rate: n > 0 ? round(sumY[b] / n) : null,
  }));
}

/** Expected calibration error: count-weighted mean |observed − predicted| over the bins. */
export function expectedCalibrationError(bins: ReliabilityBin[]): number | null {
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (total === 0) return null;
  let ece = 0;
  for (const b of bins) {
    if (b.count > 0 && b.mean_predicted !== null && b.observed_rate !== null) {
      ece += (b.count / total) * Math.abs(b.observed_rate - b.mean_predicted);
    }
  }
  return ece;
}
