/**
 * Representative feature rows: "a next play of track T at the end of the training
 * window, in the listener's usual context".
 *
 * Used by recommend/ to ask the model for a track's expected completion without any
 * test-window information:
 * - behaviour: the track's and artist's FULL train priors (no leave-one-out: the probe
 *   is not a training row), as-of counts of plays started before `atMs`, and the track's
 *   and artist's as-of standing at `atMs` (asof.ts: outcomes of plays ended by then,
 *   recency-weighted rates, residual estimates, days since last played);
 * - account: library snapshot, playlists that held the track before `atMs`;
 * - time: the listener's modal local hour and weekday among training plays, at the
 *   first such instant on/after `atMs` (so the month is the one after training);
 * - session: recent_skip_rate = the global train skip rate, other session columns (session
 *   so far, device run, session residual) at their training median / modal category;
 * - context and reliability: modal category / median over training rows.
 */
import type { FeatureBuilder } from "./builder";
import { indexAccount, playlistsBefore } from "./account";
import { playsBeforeTime, smoothedRate } from "./priors";
import { OffsetCache, TIME_COLUMNS, writeTimeFeatures, localHourAndDay } from "./time";
import type { FeatureData, FeatureSet, SplitPlan } from "./types";

export interface ProbeCandidate {
  trackUri: string | null;
  artist: string | null;
}

export interface ProbeOptions {
  /** A non-leaky FeatureSet from `builder.transform(data, split)`; computed when absent (and no `basis`). */
  features?: FeatureSet;
  /** What the rows take from that feature set (`probeBasis`), when already known: the matrix is then not read. */
  basis?: ProbeBasis;
  /** Time of the representative play; default: end of the training window (split.validationEndMs). */
  atMs?: number;
}

export interface RepresentativeContext {
  atMs: number;
  atIso: string;
  localHour: number;
  /** 0 = Sunday. */
  localWeekday: number;
  /** Modal category of each one-hot block, e.g. { platform: "android", prev_end_reason: "trackdone" }. */
  categories: Record<string, string>;
}

export interface ProbeRows {
  names: string[];
  /** [rows * cols] */
  X: Float64Array;
  rows: number;
  cols: number;
  context: RepresentativeContext;
}

const HOUR = 3_600_000;

function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  const s = Float64Array.from(values).sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * What representative rows take from a non-leaky feature set: the template row over its training
 * rows, and every play's stage-1 residuals (the as-of history's residual estimates). Computed
 * from the matrix once (`probeBasis`); a cached feature set keeps it, so recommendations made
 * from the cache need not read the matrix.
 */
export interface ProbeBasis {
  /**
   * [cols] the session and reliability columns at their training median (≤ 100k sampled rows),
   * each one-hot block at its modal training category, 0 elsewhere (the time and behaviour
   * columns are filled per candidate).
   */
  template: Float64Array;
  /** Modal category of each one-hot block, e.g. { platform: "android", prev_end_reason: "trackdone" }. */
  categories: Record<string, string>;
  /** [plays] per stage-1 model (`FeatureBuilder.stage1Residuals`). */
  residuals: [Float64Array, Float64Array];
}

/** @param fs a non-leaky transform by `builder` of `data`; reads every row of its matrix. */
export function probeBasis(builder: FeatureBuilder, data: FeatureData, fs: FeatureSet): ProbeBasis {
  const lay = builder.layout(false);
  if (fs.names.length !== lay.names.length || fs.names.some((n, j) => n !== lay.names[j])) {
    throw new Error("probeBasis: `features` must be a non-leaky transform of this builder");
  }
  const cols = lay.names.length;

  // template row: modal category per one-hot block, median elsewhere, over TRAIN rows
  const means = new Float64Array(cols);
  let trainRows = 0;
  for (let r = 0; r < fs.rows; r++) {
    if (fs.role[r] !== 0) continue;
    trainRows++;
    const base = r * cols;
    for (let j = 0; j < cols; j++) means[j] += fs.X[base + j];
  }
  for (let j = 0; j < cols; j++) means[j] = trainRows ? means[j] / trainRows : 0;
  const template = new Float64Array(cols);
  // medians only where the template keeps the value (session and reliability columns); ≤ 100k
  // sampled rows, each read once for all those columns (a pass over the matrix per column took
  // ~0.5 s at 1M plays)
  const stride = Math.max(1, Math.ceil(trainRows / 100_000));
  const sampled: number[] = [];
  for (let r = 0, k = 0; r < fs.rows; r++) if (fs.role[r] === 0 && k++ % stride === 0) sampled.push(r);
  const medianCols = lay.names.flatMap((name, j) => (name.includes("=") || (lay.groups[j] !== "session" && lay.groups[j] !== "reliability") ? [] : [j]));
  const samples = medianCols.map(() => new Float64Array(sampled.length));
  sampled.forEach((r, k) => medianCols.forEach((j, m) => (samples[m][k] = fs.X[r * cols + j])));
  medianCols.forEach((j, m) => (template[j] = median(samples[m])));
  const categories: Record<string, string> = {};
  const blocks = new Map<string, number[]>();
  lay.names.forEach((name, j) => {
    const eq = name.indexOf("=");
    if (eq < 0) return;
    const prefix = name.slice(0, eq);
    const list = blocks.get(prefix);
    if (list) list.push(j);
    else blocks.set(prefix, [j]);
  });
  for (const [prefix, js] of blocks) {
    let best = js[0];
    for (const j of js) if (means[j] > means[best]) best = j;
    template[best] = 1;
    categories[prefix] = lay.names[best].slice(prefix.length + 1);
  }
  return { template, categories, residuals: builder.stage1Residuals(data.plays.length, fs) };
}

export function representativeRows(
  builder: FeatureBuilder,
  data: FeatureData,
  split: SplitPlan,
  candidates: ProbeCandidate[],
  options: ProbeOptions = {},
): ProbeRows {
  const st = builder.fitted;
  const lay = builder.layout(false);
  const { plays } = data;
  const cols = lay.names.length;
  const basis = options.basis ?? probeBasis(builder, data, options.features ?? builder.transform(data, split));
  if (basis.template.length !== cols || basis.residuals.some((r) => r.length !== plays.length)) {
    throw new Error("representativeRows: `basis` must come from a non-leaky transform of these plays by this builder");
  }
  const template = Float64Array.from(basis.template);
  const categories = { ...basis.categories };

  // time: modal local hour × weekday of training plays, first such instant on/after atMs
  const offsets = new OffsetCache(st.zone.zone);
  const hourDay = new Int32Array(24 * 7);
  for (let i = 0; i < plays.length; i++) {
    if (split.role[i] !== 0) continue;
    const { hour, dow } = localHourAndDay(plays.startMs[i], offsets);
    hourDay[dow * 24 + hour]++;
  }
  let modal = 0;
  for (let k = 1; k < hourDay.length; k++) if (hourDay[k] > hourDay[modal]) modal = k;
  const wantDow = Math.floor(modal / 24);
  const wantHour = modal % 24;
  const fallbackAt = plays.length ? plays.startMs[plays.length - 1] : 0;
  const at0 = options.atMs ?? (Number.isFinite(split.validationEndMs) ? split.validationEndMs : fallbackAt);
  let at = Math.ceil(at0 / HOUR) * HOUR;
  for (let step = 0; step < 24 * 8; step++, at += HOUR) {
    const { hour, dow } = localHourAndDay(at, offsets);
    if (hour === wantHour && dow === wantDow) break;
  }
  for (let j = 0; j < TIME_COLUMNS.length; j++) template[lay.time + j] = 0;
  writeTimeFeatures(at + offsets.offset(at), template, lay.time);
  template[lay.session + 2] = st.globalSkipRate;

  // per-candidate behaviour and account columns
  const trackCode = new Map(plays.trackUri.values.map((v, c) => [v, c] as [string, number]));
  const artistCode = new Map(plays.artistName.values.map((v, c) => [v, c] as [string, number]));
  const trackSeen = playsBeforeTime(plays.trackUri, plays.startMs, plays.length, at0);
  const artistSeen = playsBeforeTime(plays.artistName, plays.startMs, plays.length, at0);
  const acct = indexAccount(data.account, { codes: new Int32Array(0), values: candidates.map((c) => c.trackUri ?? "") });
  const g = st.globalSkipRate;
  const m = st.priors.m;
  const history = builder.historyAt(data, basis.residuals, at0);
  const X = new Float64Array(candidates.length * cols);
  candidates.forEach((cand, r) => {
    const base = r * cols;
    X.set(template, base);
    const t = cand.trackUri ? st.priors.track.get(cand.trackUri) : undefined;
    const a = cand.artist ? st.priors.artist.get(cand.artist) : undefined;
    const tc = cand.trackUri ? trackCode.get(cand.trackUri) : undefined;
    const ac = cand.artist ? artistCode.get(cand.artist) : undefined;
    const before = tc !== undefined ? trackSeen[tc] : 0;
    let o = base + lay.behaviour;
    X[o] = smoothedRate(t?.skips ?? 0, t?.n ?? 0, g, m);
    X[o + 1] = smoothedRate(a?.skips ?? 0, a?.n ?? 0, g, m);
    X[o + 2] = Math.log1p(t?.n ?? 0);
    X[o + 3] = Math.log1p(a?.n ?? 0);
    X[o + 4] = Math.log1p(before);
    X[o + 5] = Math.log1p(ac !== undefined ? artistSeen[ac] : 0);
    X[o + 6] = before === 0 ? 1 : 0;
    history.writeTrackArtist(tc ?? -1, ac ?? -1, at, X, base + lay.history, base + lay.residual);
    o = base + lay.account;
    if (builder.options.useLibrarySnapshot) X[o++] = cand.trackUri ? acct.inLibrary[r] : 0;
    X[o] = cand.trackUri ? playlistsBefore(acct.addedTimes[r], at0) : 0;
  });
  const { hour, dow } = localHourAndDay(at, offsets);
  return {
    names: lay.names,
    X,
    rows: candidates.length,
    cols,
    context: { atMs: at, atIso: new Date(at).toISOString(), localHour: hour, localWeekday: dow, categories },
  };
}
