/**
 * Post-hoc probability calibration, fitted on the VALIDATION slice only (the training rows
 * are what the model over-fits; the test rows must stay unseen).
 */

function checkPair(p: ArrayLike<number>, y: ArrayLike<number>, who: string): void {
  if (p.length !== y.length) throw new Error(`${who}: ${p.length} scores but ${y.length} labels`);
  if (p.length === 0) throw new Error(`${who}: no rows to fit on`);
  let pos = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`${who}: y[${i}] = ${y[i]} is not 0 or 1`);
    if (!Number.isFinite(p[i])) throw new Error(`${who}: score ${i} is not finite`);
    pos += y[i];
  }
  if (pos === 0 || pos === y.length) throw new Error(`${who}: needs both classes in y (got only ${pos === 0 ? 0 : 1})`);
}

const EPS = 1e-7;

function logit(p: number): number {
  const q = Math.min(Math.max(p, EPS), 1 - EPS);
  return Math.log(q / (1 - q));
}

/** `plattOnValidation`'s answer: the fitted calibrator, or why there is none. */
export type ValidationCalibration = { method: "platt"; a: number; b: number; platt: PlattCalibrator } | { method: "none"; reason: string };

/**
 * Platt scaling fitted on the validation rows (role 1) only.
 * @param raw [rows] a model's scores; y [rows] 0/1; role [rows] 0 train, 1 validation, 2 test.
 */
export function plattOnValidation(raw: ArrayLike<number>, y: ArrayLike<number>, role: ArrayLike<number>): ValidationCalibration {
  const val: number[] = [];
  const yVal: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (role[i] === 1) {
      val.push(raw[i]);
      yVal.push(y[i]);
    }
  }
  const positives = yVal.reduce((s, v) => s + v, 0);
  if (val.length === 0) return { method: "none", reason: "no validation rows" };
  if (positives === 0 || positives === yVal.length) return { method: "none", reason: "validation rows hold one class only" };
  const platt = new PlattCalibrator().fit(val, yVal);
  return { method: "platt", a: platt.a, b: platt.b, platt };
}

/**
 * Platt scaling on the logit of the score: q = σ(a · logit(p) + b), (a, b) by Newton's
 * method on the mean log loss (2×2 Hessian, step halving if the loss rises).
 * Starts from the identity (a = 1, b = 0).
 */
export class PlattCalibrator {
  a = 1;
  b = 0;
  iterations = 0;

  fit(p: ArrayLike<number>, y: ArrayLike<number>, options: { maxIter?: number; tol?: number } = {}): this {
    checkPair(p, y, "PlattCalibrator.fit");
    const { maxIter = 100, tol = 1e-10 } = options;
    const n = p.length;
    const u = new Float64Array(n);
    for (let i = 0; i < n; i++) u[i] = logit(p[i]);
    const loss = (a: number, b: number): number => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const z = a * u[i] + b;
        s += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y[i] * z;
      }
      return s / n;
    };
    let a = 1;
    let b = 0;
    let current = loss(a, b);
    let it = 0;
    for (; it < maxIter; it++) {
      let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
      for (let i = 0; i < n; i++) {
        const q = 1 / (1 + Math.exp(-(a * u[i] + b)));
        const r = q - y[i];
        const w = q * (1 - q);
        ga += r * u[i];
        gb += r;
        haa += w * u[i] * u[i];
        hab += w * u[i];
        hbb += w;
      }
      // A tiny ridge keeps the solve defined when the scores are (nearly) constant.
      haa += 1e-12 * n;
      hbb += 1e-12 * n;
      const det = haa * hbb - hab * hab;
      if (!(Math.abs(det) > 0)) break;
      let da = (hbb * ga - hab * gb) / det;
      let db = (haa * gb - hab * ga) / det;
      let next = loss(a - da, b - db);
      for (let h = 0; h < 30 && next > current; h++) {
        da /= 2;
        db /= 2;
        next = loss(a - da, b - db);
      }
      if (next > current) break;
      a -= da;
      b -= db;
      const improvement = current - next;
      current = next;
      if (improvement < tol) {
        it++;
        break;
      }
    }
    this.a = a;
    this.b = b;
    this.iterations = it;
    return this;
  }

  /** @returns [n] calibrated probabilities */
  predict(p: ArrayLike<number>): Float64Array {
    const out = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) out[i] = 1 / (1 + Math.exp(-(this.a * logit(p[i]) + this.b)));
    return out;
  }
}

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function of the
 * score closest (least squares) to the labels. Tied scores are pooled first so they get one
 * value. Predictions interpolate linearly between block ends and clip outside the fitted range
 * (as scikit-learn's IsotonicRegression with out_of_bounds="clip").
 */
export class IsotonicCalibrator {
  /** Knots, ascending in x, non-decreasing in y. */
  x = new Float64Array(0);
  y = new Float64Array(0);

  fit(p: ArrayLike<number>, y: ArrayLike<number>): this {
    checkPair(p, y, "IsotonicCalibrator.fit");
    const n = p.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => p[i] - p[j] || i - j);
    // Blocks as parallel stacks: sum of y, weight, and x range.
    const sum: number[] = [];
    const weight: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (let k = 0; k < n; ) {
      const x = p[order[k]];
      let s = 0;
      let w = 0;
      while (k < n && p[order[k]] === x) {
        s += y[order[k]];
        w++;
        k++;
      }
      sum.push(s);
      weight.push(w);
      lo.push(x);
      hi.push(x);
      // Pool while the new block's mean is below the previous block's mean.
      while (sum.length > 1) {
        const t = sum.length - 1;
        if (sum[t - 1] / weight[t - 1] <= sum[t] / weight[t]) break;
        sum[t - 1] += sum[t];
        weight[t - 1] += weight[t];
        hi[t - 1] = hi[t];
        sum.pop();
        weight.pop();
        lo.pop();
        hi.pop();
      }
    }
    const xs: number[] = [];
    const ys: number[] = [];
    for (let t = 0; t < sum.length; t++) {
      const v = sum[t] / weight[t];
      xs.push(lo[t]);
      ys.push(v);
      if (hi[t] > lo[t]) {
        xs.push(hi[t]);
        ys.push(v);
      }
    }
    this.x = Float64Array.from(xs);
    this.y = Float64Array.from(ys);
    return this;
  }

  /** @returns [n] calibrated probabilities */
  predict(p: ArrayLike<number>): Float64Array {
    const { x, y } = this;
    const m = x.length;
    if (m === 0) throw new Error("IsotonicCalibrator: call fit() first");
    const out = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const v = p[i];
      if (v <= x[0]) out[i] = y[0];
      else if (v >= x[m - 1]) out[i] = y[m - 1];
      else {
        // Largest k with x[k] <= v; then interpolate towards x[k+1].
        let lo = 0;
        let hi = m - 1;
        while (hi - lo > 1) {
          const mid = (lo + hi) >>> 1;
          if (x[mid] <= v) lo = mid;
          else hi = mid;
        }
        const t = (v - x[lo]) / (x[hi] - x[lo]);
        out[i] = y[lo] + t * (y[hi] - y[lo]);
      }
    }
    return out;
  }
}
