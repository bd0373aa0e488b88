/**
 * Hand-written classification metrics (trusted: tested against hand-computed values).
 * Every metric returns `{ value, reason? }`: null with a reason instead of NaN or a throw
 * when it is undefined for the data (one class, empty input, non-finite scores), so the JSON
 * report never holds NaN. Wrong-length inputs or labels other than 0/1 are programming
 * errors and throw.
 */

export interface Metric {
  value: number | null;
  reason?: string;
}

type Labels = ArrayLike<number>;
type Scores = ArrayLike<number>;

function ok(value: number): Metric {
  return { value };
}

function undefinedMetric(reason: string): Metric {
  return { value: null, reason };
}

function checkInputs(y: Labels, p: Scores, who: string): void {
  if (y.length !== p.length) throw new Error(`${who}: ${y.length} labels but ${p.length} scores`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`${who}: y[${i}] = ${y[i]} is not 0 or 1`);
  }
}

/** Why the metric is undefined, or null if it can be computed. */
function problem(y: Labels, p: Scores, opts: { bothClasses?: boolean; needPositive?: boolean; probabilities?: boolean }): string | null {
  if (y.length === 0) return "no rows";
  let pos = 0;
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(p[i])) return `score ${i} is not finite (${p[i]})`;
    if (opts.probabilities && (p[i] < 0 || p[i] > 1)) return `score ${i} = ${p[i]} is not a probability in [0, 1]`;
    pos += y[i];
  }
  if (opts.bothClasses && (pos === 0 || pos === y.length)) {
    return `only one class in y (all ${pos === 0 ? "0" : "1"})`;
  }
  if (opts.needPositive && pos === 0) return "no positive labels in y";
  return null;
}

/**
 * Average (1-based) ranks of `p` in ascending order; tied scores share the mean of their ranks.
 * @returns [n] ranks
 */
export function averageRanks(p: Scores): Float64Array {
  const n = p.length;
  const order = sortedIndex(p, "asc");
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]] === p[order[i]]) j++;
    const r = (i + j) / 2 + 1; // mean of ranks i+1 .. j+1
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Indices sorted by score; ties keep row order (stable), so results are deterministic. */
function sortedIndex(p: Scores, dir: "asc" | "desc"): Int32Array {
  const idx = new Int32Array(p.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const sign = dir === "asc" ? 1 : -1;
  // Typed-array sort is not guaranteed stable, so the tie-break on index is explicit.
  return idx.sort((a, b) => sign * (p[a] - p[b]) || a - b);
}

/** Below this length the native sort is as fast as the radix sort's four 64k-bucket passes. */
const RADIX_MIN = 1 << 15;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Sort finite scores ascending in place, in `Float64Array.prototype.sort`'s order (−0 before
 * +0): an LSD radix sort on the bit patterns, 16 bits a pass, about twice the native sort at
 * 200k scores (one sort per model and metric set).
 */
function sortScores(a: Float64Array): void {
  if (a.length < RADIX_MIN || !LITTLE_ENDIAN) {
    a.sort();
    return;
  }
  const n = a.length;
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n); // [low, high] per score
  // Order-preserving unsigned keys: a non-negative score's sign bit set, a negative's bits all flipped.
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    if (hi & 0x80000000) {
      words[2 * i + 1] = ~hi;
      words[2 * i] = ~words[2 * i];
    } else words[2 * i + 1] = hi | 0x80000000;
  }
  let src: Uint32Array = words;
  let dst: Uint32Array = new Uint32Array(2 * n);
  const starts = new Int32Array(1 << 16);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    if (!bucketStarts(src, word, shift, starts)) continue; // every key has this digit
    for (let i = 0; i < n; i++) {
      const k = starts[(src[2 * i + word] >>> shift) & 0xffff]++;
      dst[2 * k] = src[2 * i];
      dst[2 * k + 1] = src[2 * i + 1];
    }
    [src, dst] = [dst, src];
  }
  if (src !== words) words.set(src);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    if (hi & 0x80000000) words[2 * i + 1] = hi & 0x7fffffff;
    else {
      words[2 * i + 1] = ~hi;
      words[2 * i] = ~words[2 * i];
    }
  }
}

/** Each 16-bit digit's first output position into `starts`; false when one digit holds every key (nothing to move). */
function bucketStarts(keys: Uint32Array, word: number, shift: number, starts: Int32Array): boolean {
  starts.fill(0);
  const n = keys.length / 2;
  for (let i = 0; i < n; i++) starts[(keys[2 * i + word] >>> shift) & 0xffff]++;
  let sum = 0;
  for (let d = 0; d < starts.length; d++) {
    const count = starts[d];
    if (count === n) return false;
    starts[d] = sum;
    sum += count;
  }
  return true;
}

/**
 * Per distinct score, highest first: the threshold and the cumulative TP / FP counts when
 * everything with score ≥ threshold is called positive (tied scores move together), plus the
 * Mann–Whitney rank sum of the positives (average ranks, ascending). One native numeric sort
 * of the positives' and of the negatives' scores, then a merge: the counts at each distinct
 * threshold do not depend on the order of rows within a tie, and every rank is a half-integer,
 * so the rank sum is exact in any order. Scores must be finite (callers check `problem`).
 */
interface ThresholdCounts {
  /** [k] distinct scores, descending */
  thresholds: Float64Array;
  /** [k] cumulative true positives at each threshold */
  tp: Float64Array;
  /** [k] cumulative false positives at each threshold */
  fp: Float64Array;
  pos: number;
  neg: number;
  /** Σ over positives of their average ascending rank (1-based). */
  rankSum: number;
}

function thresholdCounts(y: Labels, p: Scores): ThresholdCounts {
  const n = y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) pos++;
  const ps = new Float64Array(pos);
  const ns = new Float64Array(n - pos);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (y[i] === 1) ps[a++] = p[i];
    else ns[b++] = p[i];
  }
  sortScores(ps);
  sortScores(ns);
  const thresholds = new Float64Array(n);
  const tp = new Float64Array(n);
  const fp = new Float64Array(n);
  let a = ps.length - 1;
  let b = ns.length - 1;
  let t = 0;
  let f = 0;
  let k = 0;
  let rankSum = 0;
  while (a >= 0 || b >= 0) {
    const v = a < 0 ? ns[b] : b < 0 ? ps[a] : ps[a] > ns[b] ? ps[a] : ns[b];
    let cp = 0;
    while (a >= 0 && ps[a] === v) {
      cp++;
      a--;
    }
    let cn = 0;
    while (b >= 0 && ns[b] === v) {
      cn++;
      b--;
    }
    const below = a + b + 2; // rows with a lower score: ascending positions below .. below + cp + cn − 1
    rankSum += cp * ((2 * below + cp + cn - 1) / 2 + 1);
    t += cp;
    f += cn;
    thresholds[k] = v;
    tp[k] = t;
    fp[k] = f;
    k++;
  }
  return { thresholds: thresholds.subarray(0, k), tp: tp.subarray(0, k), fp: fp.subarray(0, k), pos: t, neg: f, rankSum };
}

/** Counts computed at most once per (y, p) across the metrics of one report. */
type CountsOf = () => ThresholdCounts;

function lazyCounts(y: Labels, p: Scores): CountsOf {
  let c: ThresholdCounts | null = null;
  return () => (c ??= thresholdCounts(y, p));
}

/**
 * ROC AUC via the Mann–Whitney U statistic with average ranks, so tied scores count 1/2:
 * AUC = (Σ ranks of positives − n₊(n₊+1)/2) / (n₊ n₋).
 */
export function rocAuc(y: Labels, p: Scores): Metric {
  checkInputs(y, p, "rocAuc");
  return rocAucWith(y, p, lazyCounts(y, p));
}

function rocAucWith(y: Labels, p: Scores, counts: CountsOf): Metric {
  const why = problem(y, p, { bothClasses: true });
  if (why) return undefinedMetric(why);
  const { pos, neg, rankSum } = counts();
  return ok((rankSum - (pos * (pos + 1)) / 2) / (pos * neg));
}

/**
 * PR-AUC as average precision (scikit-learn's definition, step-wise, no interpolation):
 * AP = Σₙ (Rₙ − Rₙ₋₁) Pₙ over distinct score thresholds, highest first, R₀ = 0.
 * Undefined without positives.
 */
export function averagePrecision(y: Labels, p: Scores): Metric {
  checkInputs(y, p, "averagePrecision");
  return averagePrecisionWith(y, p, lazyCounts(y, p));
}

function averagePrecisionWith(y: Labels, p: Scores, counts: CountsOf): Metric {
  const why = problem(y, p, { needPositive: true });
  if (why) return undefinedMetric(why);
  const { tp, fp, pos } = counts();
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tp.length; k++) {
    const recall = tp[k] / pos;
    const precision = tp[k] / (tp[k] + fp[k]);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
  }
  return ok(ap);
}

/** Mean binary cross-entropy (natural log), p clipped to [eps, 1 − eps], eps = 1e-15. */
export function logLoss(y: Labels, p: Scores, eps = 1e-15): Metric {
  checkInputs(y, p, "logLoss");
  const why = problem(y, p, { probabilities: true });
  if (why) return undefinedMetric(why);
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(Math.max(p[i], eps), 1 - eps);
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return ok(s / y.length);
}

/** Brier score: mean (p − y)². */
export function brier(y: Labels, p: Scores): Metric {
  checkInputs(y, p, "brier");
  const why = problem(y, p, { probabilities: true });
  if (why) return undefinedMetric(why);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return ok(s / y.length);
}

/** Accuracy with the rule "predict completed when p ≥ threshold" (default 0.5). */
export function accuracy(y: Labels, p: Scores, threshold = 0.5): Metric {
  checkInputs(y, p, "accuracy");
  const why = problem(y, p, {});
  if (why) return undefinedMetric(why);
  let right = 0;
  for (let i = 0; i < y.length; i++) if ((p[i] >= threshold ? 1 : 0) === y[i]) right++;
  return ok(right / y.length);
}

/**
 * F1 of the positive class (completed) with "p ≥ threshold" → positive.
 * Undefined (null) when there are no positive labels and no positive predictions.
 */
export function f1(y: Labels, p: Scores, threshold = 0.5): Metric {
  checkInputs(y, p, "f1");
  const why = problem(y, p, {});
  if (why) return undefinedMetric(why);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < y.length; i++) {
    const hat = p[i] >= threshold;
    if (hat && y[i] === 1) tp++;
    else if (hat) fp++;
    else if (y[i] === 1) fn++;
  }
  if (tp + fp + fn === 0) return undefinedMetric("no positive labels and no positive predictions");
  return ok((2 * tp) / (2 * tp + fp + fn));
}

/** One equal-width calibration bin (snake_case: it is written as is to model_metrics.json and the figures). */
export interface ReliabilityBin {
  bin_start: number;
  bin_end: number;
  count: number;
  /** null for empty bins */
  mean_predicted: number | null;
  observed_rate: number | null;
}

export interface CalibrationResult extends Metric {
  bins: ReliabilityBin[];
}

/**
 * Expected calibration error with `nBins` equal-width bins on [0, 1]
 * (bin k = [k/B, (k+1)/B), the last bin closed at 1):
 * ECE = Σ_k (n_k / n) |mean p in k − observed rate in k|. Also returns the reliability table.
 */
export function expectedCalibrationError(y: Labels, p: Scores, nBins = 10): CalibrationResult {
  checkInputs(y, p, "expectedCalibrationError");
  if (!Number.isInteger(nBins) || nBins < 1) throw new Error(`expectedCalibrationError: nBins = ${nBins}`);
  const count = new Float64Array(nBins);
  const sumP = new Float64Array(nBins);
  const sumY = new Float64Array(nBins);
  const why = problem(y, p, { probabilities: true });
  if (!why) {
    for (let i = 0; i < y.length; i++) {
      const k = Math.min(Math.floor(p[i] * nBins), nBins - 1);
      count[k]++;
      sumP[k] += p[i];
      sumY[k] += y[i];
    }
  }
  const bins: ReliabilityBin[] = [];
  let ece = 0;
  for (let k = 0; k < nBins; k++) {
    const n = count[k];
    bins.push({
      bin_start: k / nBins,
      bin_end: (k + 1) / nBins,
      count: n,
      mean_predicted: n > 0 ? sumP[k] / n : null,
      observed_rate: n > 0 ? sumY[k] / n : null,
    });
    if (n > 0) ece += (n / y.length) * Math.abs(sumP[k] / n - sumY[k] / n);
  }
  return why ? { value: null, reason: why, bins } : { value: ece, bins };
}

export interface CurvePoint {
  x: number;
  y: number;
  threshold: number;
}

export interface Curve {
  points: CurvePoint[];
  reason?: string;
}

/**
 * Keeps at most `max` points: always the first and last (the first alone for max = 1), the
 * rest evenly spaced by index (enough for plotting; the metrics themselves use all thresholds).
 */
export function downsample<T>(points: T[], max = 200): T[] {
  return points.length <= max ? points : downsampledPoints(points.length, max, (i) => points[i]);
}

/** The points `downsample(all, max)` keeps, where `all` has `length` points and `at(i)` builds point i: only the kept ones are built. */
function downsampledPoints<T>(length: number, max: number, at: (i: number) => T): T[] {
  const out: T[] = [];
  if (length <= max) {
    for (let i = 0; i < length; i++) out.push(at(i));
  } else {
    for (let k = 0; k < max; k++) out.push(at(max === 1 ? 0 : Math.round((k * (length - 1)) / (max - 1))));
  }
  return out;
}

/** ROC curve (x = FPR, y = TPR), starting at (0, 0) with threshold +Infinity. */
export function rocCurve(y: Labels, p: Scores, maxPoints = 200): Curve {
  checkInputs(y, p, "rocCurve");
  return rocCurveWith(y, p, maxPoints, lazyCounts(y, p));
}

function rocCurveWith(y: Labels, p: Scores, maxPoints: number, counts: CountsOf): Curve {
  const why = problem(y, p, { bothClasses: true });
  return why ? { points: [], reason: why } : { points: seriesPoints(rocSeries(counts()), maxPoints) };
}

/** Precision–recall curve (x = recall, y = precision), one point per distinct threshold. */
export function prCurve(y: Labels, p: Scores, maxPoints = 200): Curve {
  checkInputs(y, p, "prCurve");
  return prCurveWith(y, p, maxPoints, lazyCounts(y, p));
}

function prCurveWith(y: Labels, p: Scores, maxPoints: number, counts: CountsOf): Curve {
  const why = problem(y, p, { needPositive: true });
  return why ? { points: [], reason: why } : { points: seriesPoints(prSeries(counts()), maxPoints) };
}

/** A curve's points over every distinct threshold, each computed when read (no point is built). */
export interface CurveSeries {
  length: number;
  x(i: number): number;
  y(i: number): number;
  threshold(i: number): number;
}

/** ROC (x = FPR, y = TPR): point 0 is (0, 0) at threshold +Infinity, then one per distinct threshold. */
function rocSeries({ thresholds, tp, fp, pos, neg }: ThresholdCounts): CurveSeries {
  return {
    length: thresholds.length + 1,
    x: (i) => (i === 0 ? 0 : fp[i - 1] / neg),
    y: (i) => (i === 0 ? 0 : tp[i - 1] / pos),
    threshold: (i) => (i === 0 ? Infinity : thresholds[i - 1]),
  };
}

/** Precision–recall (x = recall, y = precision), one point per distinct threshold. */
function prSeries({ thresholds, tp, fp, pos }: ThresholdCounts): CurveSeries {
  return {
    length: thresholds.length,
    x: (k) => tp[k] / pos,
    y: (k) => tp[k] / (tp[k] + fp[k]),
    threshold: (k) => thresholds[k],
  };
}

const seriesPoints = (s: CurveSeries, maxPoints: number): CurvePoint[] =>
  downsampledPoints(s.length, maxPoints, (i) => ({ x: s.x(i), y: s.y(i), threshold: s.threshold(i) }));

/**
 * ROC and PR curves with their areas, from one sort of the scores: each curve as a series over
 * every distinct threshold, for callers that pick their own points (the figures); a curve is
 * null exactly when its area is, the area's reason saying why.
 */
export interface ThresholdSeries {
  roc: CurveSeries | null;
  pr: CurveSeries | null;
  rocAuc: Metric;
  /** Average precision (step-wise). */
  averagePrecision: Metric;
}

/** `rocCurve`, `prCurve` (every threshold), `rocAuc` and `averagePrecision` of the same scores, sharing one sort. */
export function thresholdSeries(y: Labels, p: Scores): ThresholdSeries {
  checkInputs(y, p, "thresholdSeries");
  const counts = lazyCounts(y, p);
  const rocAuc = rocAucWith(y, p, counts);
  const averagePrecision = averagePrecisionWith(y, p, counts);
  return {
    roc: rocAuc.value === null ? null : rocSeries(counts()),
    pr: averagePrecision.value === null ? null : prSeries(counts()),
    rocAuc,
    averagePrecision,
  };
}

export interface ClassificationReport {
  n: number;
  positives: number;
  /** Share of completed plays: the accuracy of always predicting the majority is max(rate, 1 − rate). */
  positiveRate: number | null;
  rocAuc: Metric;
  /** Average precision (step-wise, scikit-learn definition). */
  prAuc: Metric;
  logLoss: Metric;
  brier: Metric;
  accuracy: Metric;
  f1: Metric;
  ece: Metric;
  reliability: ReliabilityBin[];
  rocCurve: Curve;
  prCurve: Curve;
}

/** All classification metrics for one set of scores. `bins` for ECE: 10 (10–15 sensible). */
export function classificationReport(y: Labels, p: Scores, options: { bins?: number; maxCurvePoints?: number } = {}): ClassificationReport {
  const { bins = 10, maxCurvePoints = 200 } = options;
  checkInputs(y, p, "classificationReport");
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i];
  const cal = expectedCalibrationError(y, p, bins);
  // One sort serves ROC AUC, average precision and both curves.
  const counts = lazyCounts(y, p);
  return {
    n: y.length,
    positives,
    positiveRate: y.length > 0 ? positives / y.length : null,
    rocAuc: rocAucWith(y, p, counts),
    prAuc: averagePrecisionWith(y, p, counts),
    logLoss: logLoss(y, p),
    brier: brier(y, p),
    accuracy: accuracy(y, p),
    f1: f1(y, p),
    ece: cal.reason ? { value: null, reason: cal.reason } : { value: cal.value },
    reliability: cal.bins,
    rocCurve: rocCurveWith(y, p, maxCurvePoints, counts),
    prCurve: prCurveWith(y, p, maxCurvePoints, counts),
  };
}

export interface CalibrationComparison {
  before: { logLoss: Metric; brier: Metric; ece: Metric };
  after: { logLoss: Metric; brier: Metric; ece: Metric };
}

/** Probability-quality metrics of raw vs calibrated scores on the same rows (e.g. test). */
export function compareCalibration(y: Labels, before: Scores, after: Scores, bins = 10): CalibrationComparison {
  const pick = (p: Scores) => {
    const cal = expectedCalibrationError(y, p, bins);
    return {
      logLoss: logLoss(y, p),
      brier: brier(y, p),
      ece: cal.reason ? { value: null, reason: cal.reason } : { value: cal.value },
    };
  };
  return { before: pick(before), after: pick(after) };
}
