/**
 * Within-session ranking quality: if we reordered a listening session by predicted
 * completion, would the completed plays come first?
 *
 * Eligible sessions: ≥ `minPlays` labelled rows (default 5) and ≥ 1 completion, among the
 * rows selected by `mask` (e.g. role === 2, test). Rows are ranked by score, highest first;
 * ties keep row order, so results are deterministic. Relevance = completed (0/1).
 *
 * - NDCG@k = DCG@k / IDCG@k, DCG = Σ_{i<k} rel_i / log2(i + 2).
 * - MAP@k: AP@k = (1 / min(k, R)) Σ_{i<k} rel_i · precision@(i+1), R = completions in the
 *   session; then averaged over sessions.
 * - Recall@k = completions in the top k / R.
 */
import { Metric } from "./metrics";

/** The ranking metrics, in report order, and the default cut-offs. */
export const RANKING_METRICS = ["ndcg", "map", "recall"] as const;
export type RankingMetricName = (typeof RANKING_METRICS)[number];
export const RANKING_KS = [5, 10] as const;
export type RankingK = (typeof RANKING_KS)[number];

export interface RankingInput {
  /** [rows] session of each row */
  sessionId: ArrayLike<number>;
  /** [rows] 0/1 completed */
  y: ArrayLike<number>;
  /** [rows] predicted score (higher = more likely completed) */
  score: ArrayLike<number>;
  /** [rows] rows to use (truthy); default all. E.g. `role.map(r => r === 2 ? 1 : 0)`. */
  mask?: ArrayLike<number | boolean>;
}

export interface RankingOptions {
  ks?: readonly number[];
  minPlays?: number;
}

export interface RankingReport {
  eligibleSessions: number;
  /** Keyed by "ndcg@5", "map@5", "recall@5", ... */
  metrics: Record<string, Metric>;
}

export function rankingMetrics(input: RankingInput, options: RankingOptions = {}): RankingReport {
  const { ks = RANKING_KS, minPlays = 5 } = options;
  const { sessionId, y, score, mask } = input;
  const n = y.length;
  if (sessionId.length !== n || score.length !== n || (mask && mask.length !== n)) {
    throw new Error(`rankingMetrics: lengths differ (sessionId ${sessionId.length}, y ${n}, score ${score.length})`);
  }
  // Rows per session, in row order, sessions in order of first appearance (deterministic):
  // a compact CSR layout (session of each selected row, then a counting sort) instead of a
  // Map of arrays.
  const groupOf = new Int32Array(n);
  const slot = new Map<number, number>();
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) {
      groupOf[i] = -1;
      continue;
    }
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`rankingMetrics: y[${i}] = ${y[i]} is not 0 or 1`);
    let g = slot.get(sessionId[i]);
    if (g === undefined) {
      slot.set(sessionId[i], (g = sizes.length));
      sizes.push(0);
    }
    groupOf[i] = g;
    sizes[g]++;
  }
  const groups = sizes.length;
  const start = new Int32Array(groups + 1);
  for (let g = 0; g < groups; g++) start[g + 1] = start[g] + sizes[g];
  const fill = start.slice(0, groups);
  const members = new Int32Array(start[groups]);
  for (let i = 0; i < n; i++) if (groupOf[i] >= 0) members[fill[groupOf[i]]++] = i;

  const sums: Record<string, number> = {};
  for (const k of ks) sums[`ndcg@${k}`] = sums[`map@${k}`] = sums[`recall@${k}`] = 0;
  let maxK = 0;
  for (const k of ks) maxK = Math.max(maxK, Math.min(k, n));
  const top = new Int32Array(maxK);
  let eligible = 0;
  let nonFinite = false;
  for (let g = 0; g < groups; g++) {
    const lo = start[g];
    const hi = start[g + 1];
    let relevant = 0;
    for (let m = lo; m < hi; m++) relevant += y[members[m]];
    if (hi - lo < minPlays || relevant === 0) continue;
    for (let m = lo; m < hi; m++) if (!Number.isFinite(score[members[m]])) nonFinite = true;
    eligible++;
    // The first maxK rows by score, highest first; equal scores keep row order (rows are
    // ascending), exactly the head of a stable sort. Metrics only read the first k ≤ maxK.
    // (Non-finite scores void every metric below, so their order does not matter.)
    const keep = Math.min(maxK, hi - lo);
    let filled = 0;
    for (let m = lo; m < hi; m++) {
      const i = members[m];
      const s = score[i];
      let at = filled;
      // Later rows lose ties, so only strictly higher scores move ahead.
      while (at > 0 && s > score[top[at - 1]]) at--;
      if (at >= keep) continue;
      for (let q = Math.min(filled, keep - 1); q > at; q--) top[q] = top[q - 1];
      top[at] = i;
      if (filled < keep) filled++;
    }
    const size = hi - lo;
    for (const k of ks) {
      let dcg = 0;
      let idcg = 0;
      let hits = 0;
      let apSum = 0;
      for (let r = 0; r < Math.min(k, size); r++) {
        const rel = y[top[r]];
        dcg += rel / Math.log2(r + 2);
        if (rel === 1) {
          hits++;
          apSum += hits / (r + 1);
        }
      }
      for (let r = 0; r < Math.min(k, relevant); r++) idcg += 1 / Math.log2(r + 2);
      sums[`ndcg@${k}`] += dcg / idcg;
      sums[`map@${k}`] += apSum / Math.min(k, relevant);
      sums[`recall@${k}`] += hits / relevant;
    }
  }
  const metrics: Record<string, Metric> = {};
  for (const key of Object.keys(sums)) {
    if (nonFinite) metrics[key] = { value: null, reason: "non-finite scores in eligible sessions" };
    else if (eligible === 0) {
      metrics[key] = { value: null, reason: `no session with ≥ ${minPlays} labelled plays and ≥ 1 completion` };
    } else metrics[key] = { value: sums[key] / eligible };
  }
  return { eligibleSessions: eligible, metrics };
}
