/**
 * Point-in-time ("as-of") history: what was known about a track, an artist, the current
 * session and the current device run when a play STARTED.
 *
 * Rules (the leakage contract):
 * - counts (plays before, last time played) come from plays that STARTED earlier (start order);
 * - outcomes (completions, skips, residuals) come from labelled plays that had ENDED by the
 *   start, and started strictly earlier. `ts` has whole-second resolution and a start is
 *   `ts − ms_played`, so a play that ended exactly when the next one started can look up to
 *   1 s late: an outcome counts once `end ≤ start + tol` (tol = `endToleranceMs`, 1 s).
 *   Formally play j's outcome is revealed at `reveal_j = max(end_j, start_j + tol + 1 ms)` and
 *   visible to play i when `reveal_j ≤ start_i + tol`; the second term keeps plays that
 *   started at the same instant as i (or later) out, so a play never sees its own outcome.
 *
 * Cost: one binary search per labelled play (`revealSchedule`) buckets every reveal under
 * the first play that may see it; one pass in start order then applies the bucket and
 * reads per-key accumulators. O(n log n), no per-row scan of history.
 *
 * Smoothing (every rate is a completion rate, shrunk like a Beta posterior):
 *   global G   = (C + mG·g0) / (N + mG)          g0 = train completion rate
 *   artist A   = (c_a + mA·G) / (n_a + mA)
 *   track  T   = (c_t + mT·A) / (n_t + mT)        (toward its artist, then the global rate)
 * "recent" variants weight each outcome by exp(−age / τ) (τ = `recencyDays`), so a track
 * or artist whose appeal drifts over the years is tracked; same shrinkage.
 * Session and device-run rates shrink toward G with strength mS (a session is short; G is
 * the stable reference, and the track's own rate is a separate column).
 * Residual (random-effect) estimates are shrunk means of earlier residuals y − p̂ of the
 * same track / artist / session, p̂ from the context-only stage-1 model (stage1.ts):
 *   u = Σ r / (n + k)      (empirical Bayes with k = σ²_noise / σ²_effect, see stage1.ts).
 * Stage 1 is cross-fitted: two models, each on one half of the training rows (alternate
 * rows). A training row reads the residuals of the model fitted on the OTHER half, so its
 * own label never reaches its own row through stage 1; other rows read the mean of both.
 */
import type { PlayTable } from "../ingest/types";

/**
 * No completion / skip counts beside the rates: with the rate they are nearly a
 * re-parameterisation of the same two numbers (log c − log s ≈ logit of the rate), and on
 * generated exports (5 seeds × 3k and 30k plays, closed loop, λ by validation) the model
 * split one effect between them: artist rate −0.92 ± 0.76 vs artist completions +0.87 ± 0.92
 * (standardised, across seeds). Without them, test AUC and AUC vs truth moved by ≤ 0.001 and
 * the artist rate's coefficient steadied (−0.44 ± 0.35). How much is known (the confidence
 * of a rate) stays in track/artist_plays_before_log1p (priors.ts): a count, not a
 * transform of the rate.
 */
export const TRACK_ARTIST_COLUMNS = [
  "track_asof_completion_rate",
  "artist_asof_completion_rate",
  "track_recent_completion_rate",
  "artist_recent_completion_rate",
  "is_first_play_of_artist",
  "track_days_since_last_play_log1p",
] as const;

export const SESSION_HISTORY_COLUMNS = [
  "session_completions_so_far_log1p",
  "session_skips_so_far_log1p",
  "session_completion_rate_so_far",
  "device_run_position_log1p",
  "is_device_run_start",
  "device_run_completion_rate_so_far",
  "device_run_prev_not_completed",
] as const;

export const RESIDUAL_COLUMNS = ["track_residual_eb", "artist_residual_eb", "session_residual_eb"] as const;

export interface AsOfOptions {
  /** Tolerance (ms) for "had ended by the start" (see module comment). */
  endToleranceMs: number;
  /** Train completion rate g0, the anchor of every smoothed rate. */
  globalRate: number;
  /** Prior strengths (pseudo-plays): global, artist, track, session/device run. */
  mGlobal: number;
  mArtist: number;
  mTrack: number;
  mSession: number;
  /** Time constant of the "recent" rates, days. */
  recencyDays: number;
  /** Shrinkage k of the residual means: track, artist, session. */
  kTrack: number;
  kArtist: number;
  kSession: number;
}

export const DEFAULT_ASOF = {
  mGlobal: 20,
  mArtist: 5,
  mTrack: 3,
  mSession: 2,
  recencyDays: 180,
  kTrack: 5,
  kArtist: 10,
  kSession: 3,
};

/** Grouping of plays for session-level history, all [n plays]. */
export interface AsOfGroups {
  sessionId: Int32Array;
  deviceRunId: Int32Array;
  deviceRunPosition: Int32Array;
  deviceRunPrevSkipped: Uint8Array;
}

const DAY = 86_400_000;
/** log1p of small integer counts, looked up (a few per row at a million rows). */
const LOG1P = Float64Array.from({ length: 4096 }, (_, k) => Math.log1p(k));
const log1pCount = (k: number): number => (k < 4096 ? LOG1P[k] : Math.log1p(k));
/** Cap of the days-since-last-play feature (and its value for a first play): 10 years. */
const DAYS_CAP = 3650;

/**
 * First index k ≥ from with sorted[k] >= x (length when none), galloping from `from`:
 * a reveal is usually a few plays after its own start, so this costs O(log distance).
 */
function gallop(sorted: Float64Array, x: number, from: number, length: number): number {
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < length && sorted[hi] < x) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > length) hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Reveal buckets (CSR): the labelled plays whose outcome becomes visible at play i are
 * `items[start[i] .. start[i+1])`. Plays never visible within the table are left out.
 * @returns start [n + 1], items [revealed plays]
 */
export function revealSchedule(plays: PlayTable, tol: number): { start: Int32Array; items: Int32Array } {
  const n = plays.length;
  const { startMs, endMs, completed } = plays;
  const at = new Int32Array(n).fill(-1);
  const count = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) {
    if (completed[j] < 0) continue;
    const reveal = Math.max(endMs[j], startMs[j] + tol + 1);
    // first i with start_i + tol >= reveal; always > j (start_i > start_j)
    const i = gallop(startMs, reveal - tol, j + 1, n);
    if (i >= n) continue;
    at[j] = i;
    count[i + 1]++;
  }
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const fill = count.slice(0, n);
  const items = new Int32Array(count[n]);
  for (let j = 0; j < n; j++) if (at[j] >= 0) items[fill[at[j]]++] = j;
  return { start: count, items };
}

/** A row's stage-1 fold: 0 or 1 for a training row (it reads the other fold's model), 2 otherwise (both). */
export type Stage1Fold = 0 | 1 | 2;

/** Revealed outcomes per key: plays, completions, residual sums (per stage-1 model), recency-weighted plays and completions. */
class KeyOutcomes {
  readonly count: Float64Array;
  readonly done: Float64Array;
  readonly res0: Float64Array;
  readonly res1: Float64Array;
  readonly w: Float64Array;
  readonly wDone: Float64Array;
  constructor(keys: number) {
    this.count = new Float64Array(keys);
    this.done = new Float64Array(keys);
    this.res0 = new Float64Array(keys);
    this.res1 = new Float64Array(keys);
    this.w = new Float64Array(keys);
    this.wDone = new Float64Array(keys);
  }
  /** r0, r1: residuals under stage-1 models 0 and 1 (NaN: none); w: recency weight. */
  add(key: number, y: number, r0: number, r1: number, w: number): void {
    if (key < 0) return;
    this.count[key]++;
    this.done[key] += y;
    this.w[key] += w;
    this.wDone[key] += w * y;
    if (r0 === r0) {
      this.res0[key] += r0;
      this.res1[key] += r1;
    }
  }
  /** Residual sum a row of `fold` may read: the other fold's model, or the mean of both. */
  res(key: number, fold: Stage1Fold): number {
    return fold === 0 ? this.res1[key] : fold === 1 ? this.res0[key] : 0.5 * (this.res0[key] + this.res1[key]);
  }
}

/**
 * Per-key accumulators of revealed outcomes, updated play by play. Keys are dictionary
 * codes (track, artist) and group ids (session, device run).
 */
export class AsOfHistory {
  private readonly track: KeyOutcomes;
  private readonly artist: KeyOutcomes;
  private readonly session: KeyOutcomes;
  private readonly run: KeyOutcomes;
  private readonly tLastStart: Float64Array;
  private readonly aStarted: Uint8Array;
  private N = 0;
  private C = 0;
  /** Recency weights are exp((t − t0)/τ); reading them multiplies by exp(−(now − t0)/τ). */
  private readonly t0: number;
  private readonly tauMs: number;

  constructor(
    private readonly plays: PlayTable,
    private readonly groups: AsOfGroups,
    /** [n plays] stage-1 residuals y − p̂ under models 0 and 1 of each labelled play with a row; NaN: none. */
    private readonly residual: readonly [Float64Array, Float64Array],
    private readonly o: AsOfOptions,
  ) {
    const T = plays.trackUri.values.length;
    const A = plays.artistName.values.length;
    const n = plays.length;
    this.track = new KeyOutcomes(T);
    this.artist = new KeyOutcomes(A);
    this.session = new KeyOutcomes(n > 0 ? groups.sessionId[n - 1] + 1 : 0);
    this.run = new KeyOutcomes(n > 0 ? maxPlusOne(groups.deviceRunId) : 0);
    this.tLastStart = new Float64Array(T).fill(NaN);
    this.aStarted = new Uint8Array(A);
    this.t0 = n > 0 ? plays.startMs[0] : 0;
    this.tauMs = o.recencyDays * DAY;
  }

  /** Adds the outcome of labelled play j (its residual too, when it has one). */
  reveal(j: number): void {
    const p = this.plays;
    const y = p.completed[j];
    const r0 = this.residual[0][j];
    const r1 = this.residual[1][j];
    const w = Math.exp((p.endMs[j] - this.t0) / this.tauMs);
    this.N++;
    this.C += y;
    this.track.add(p.trackUri.codes[j], y, r0, r1, w);
    this.artist.add(p.artistName.codes[j], y, r0, r1, w);
    this.session.add(this.groups.sessionId[j], y, r0, r1, 0);
    this.run.add(this.groups.deviceRunId[j], y, NaN, NaN, 0);
  }

  /** Records that play i started (after its features were read). */
  started(i: number): void {
    const t = this.plays.trackUri.codes[i];
    const a = this.plays.artistName.codes[i];
    if (t >= 0) this.tLastStart[t] = this.plays.startMs[i];
    if (a >= 0) this.aStarted[a] = 1;
  }

  /**
   * Smoothed global completion rate so far.
   * @param anchor g0; a training row passes its leave-one-out train rate so its own label stays out
   */
  globalRate(anchor = this.o.globalRate): number {
    return (this.C + this.o.mGlobal * anchor) / (this.N + this.o.mGlobal);
  }

  /**
   * Writes TRACK_ARTIST_COLUMNS then RESIDUAL_COLUMNS' track and artist entries for a play
   * of track code `t` / artist code `a` (−1: unknown) starting at `atMs`.
   * @param out row buffer; `offset` for TRACK_ARTIST_COLUMNS, `resOffset` for the 2 residuals
   * @param anchor g0 (see globalRate)
   * @param fold the row's stage-1 fold (Stage1Fold)
   */
  writeTrackArtist(t: number, a: number, atMs: number, out: Float64Array, offset: number, resOffset: number, anchor = this.o.globalRate, fold: Stage1Fold = 2): void {
    const o = this.o;
    const G = this.globalRate(anchor);
    const decay = Math.exp(-(atMs - this.t0) / this.tauMs);
    const { track: tk, artist: ar } = this;
    const na = a >= 0 ? ar.count[a] : 0;
    const ca = a >= 0 ? ar.done[a] : 0;
    const A = (ca + o.mArtist * G) / (na + o.mArtist);
    const nt = t >= 0 ? tk.count[t] : 0;
    const ct = t >= 0 ? tk.done[t] : 0;
    const T = (ct + o.mTrack * A) / (nt + o.mTrack);
    const wa = a >= 0 ? ar.w[a] * decay : 0;
    const Arate = ((a >= 0 ? ar.wDone[a] * decay : 0) + o.mArtist * G) / (wa + o.mArtist);
    const wt = t >= 0 ? tk.w[t] * decay : 0;
    const Trate = ((t >= 0 ? tk.wDone[t] * decay : 0) + o.mTrack * Arate) / (wt + o.mTrack);
    out[offset] = T;
    out[offset + 1] = A;
    out[offset + 2] = Trate;
    out[offset + 3] = Arate;
    out[offset + 4] = a >= 0 && this.aStarted[a] === 0 ? 1 : 0;
    const last = t >= 0 ? this.tLastStart[t] : NaN;
    const days = last === last ? Math.min(DAYS_CAP, Math.max(0, atMs - last) / DAY) : DAYS_CAP;
    out[offset + 5] = Math.log1p(days);
    out[resOffset] = t >= 0 ? tk.res(t, fold) / (nt + o.kTrack) : 0;
    out[resOffset + 1] = a >= 0 ? ar.res(a, fold) / (na + o.kArtist) : 0;
  }

  /**
   * Writes SESSION_HISTORY_COLUMNS for play i and the session residual.
   * @param out row buffer; `offset` for SESSION_HISTORY_COLUMNS, `resOffset` for session_residual_eb
   */
  writeSession(i: number, out: Float64Array, offset: number, resOffset: number, anchor = this.o.globalRate, fold: Stage1Fold = 2): void {
    const o = this.o;
    const G = this.globalRate(anchor);
    const s = this.groups.sessionId[i];
    const d = this.groups.deviceRunId[i];
    const ns = this.session.count[s];
    const cs = this.session.done[s];
    out[offset] = log1pCount(cs);
    out[offset + 1] = log1pCount(ns - cs);
    out[offset + 2] = (cs + o.mSession * G) / (ns + o.mSession);
    const pos = this.groups.deviceRunPosition[i];
    out[offset + 3] = log1pCount(pos);
    out[offset + 4] = pos === 1 ? 1 : 0;
    out[offset + 5] = (this.run.done[d] + o.mSession * G) / (this.run.count[d] + o.mSession);
    out[offset + 6] = this.groups.deviceRunPrevSkipped[i];
    out[resOffset] = this.session.res(s, fold) / (ns + o.kSession);
  }
}

function maxPlusOne(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m + 1;
}
