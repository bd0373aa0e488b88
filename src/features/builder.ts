/**
 * FeatureBuilder: scikit-learn-like `fit(data, split)` / `transform(data, split)`.
 *
 * fit learns everything that depends on labels or on "what is usual" from TRAIN rows
 * only (role 0): the time zone fallback, context vocabularies, track/artist priors and
 * the global skip rate. transform then builds one row per labelled play with role
 * 0/1/2; every play (labelled or not) serves as context for the others, and only what
 * is known at a play's START describes it (see sessions.ts, priors.ts, reliability.ts).
 *
 * The play's own reason_end / ms_played / skipped are never features, except the
 * `leak_*` columns added by `includeLeaky: true` for the `leaky_reference` model.
 */
import { UserInputError } from "../common/errors";
import { ACCOUNT_COLUMNS, indexAccount, playlistsBefore } from "./account";
import { CONTEXT_SPECS, fitVocabulary, slotsByCode, unknownSlot, vocabularyColumns, vocabularyWidth, type Vocabulary } from "./context";
import { BEHAVIOUR_COLUMNS, fitPriors, globalSkipRate, playsBefore, smoothedRate, statsByCode, type PriorStats } from "./priors";
import { RELIABILITY_COLUMNS, techSeries, windowCounts } from "./reliability";
import { computeSessions, SESSION_COLUMNS, type SessionColumns } from "./sessions";
import { OffsetCache, resolveTimeZone, TIME_COLUMNS, TimeEncoder } from "./time";
import type { FeatureData, FeatureGroup, FeatureSet, SplitPlan, TimeZoneChoice } from "./types";

export const LEAKY_REASONS = ["trackdone", "fwdbtn", "backbtn", "endplay", "other"] as const;
export const LEAKY_COLUMNS = [...LEAKY_REASONS.map((r) => `leak_reason_end_${r}`), "leak_ms_played_log"];

export interface FeatureBuilderOptions {
  /** IANA zone for local time; default: from the profile country, else train conn_country, else UTC. */
  timeZone?: string;
  /** Alias of `timeZone`. */
  timezone?: string;
  /** Gap (previous END → this START) that opens a new session. Default 30 min. */
  sessionGapMs?: number;
  /** Additive smoothing strength m of the priors. Default 5. */
  priorStrength?: number;
  /** Previous labelled plays in recent_skip_rate. Default 10. */
  recentWindow?: number;
  /** conn_country columns (by train frequency), the rest → `other`. Default 10. */
  topCountries?: number;
  /** A previous play counts as ended if it ended at most this long after the start (ts has 1 s precision). Default 1000. */
  endToleranceMs?: number;
  /** Include `in_library` (an export-time snapshot, see account.ts). Default true. */
  useLibrarySnapshot?: boolean;
}

export interface TransformOptions {
  /** Append the same play's reason_end / ms_played (label leaks) for the leaky reference model. */
  includeLeaky?: boolean;
}

export interface FittedState {
  zone: TimeZoneChoice;
  priors: PriorStats;
  /** Global train skip rate g. */
  globalSkipRate: number;
  vocabularies: Vocabulary[];
  trainRows: number;
}

/** Column layout: start offsets of each block inside a row. */
export interface Layout {
  names: string[];
  groups: FeatureGroup[];
  time: number;
  session: number;
  behaviour: number;
  context: number[];
  account: number;
  reliability: number;
  /** -1 without leaky columns. */
  leaky: number;
}

export class FeatureBuilder {
  readonly options: Required<Omit<FeatureBuilderOptions, "timeZone" | "timezone">> & { timeZone?: string };
  private state: FittedState | null = null;

  constructor(options: FeatureBuilderOptions = {}) {
    this.options = {
      timeZone: options.timeZone ?? options.timezone,
      sessionGapMs: options.sessionGapMs ?? 30 * 60_000,
      priorStrength: options.priorStrength ?? 5,
      recentWindow: options.recentWindow ?? 10,
      topCountries: options.topCountries ?? 10,
      endToleranceMs: options.endToleranceMs ?? 1000,
      useLibrarySnapshot: options.useLibrarySnapshot ?? true,
    };
  }

  /** Learns zone, vocabularies and priors from TRAIN rows (role 0) only. */
  fit(data: FeatureData, split: SplitPlan): this {
    const { plays } = data;
    checkSplit(data, split);
    const role = split.role;
    const priors = fitPriors(plays, role, this.options.priorStrength);
    if (priors.n === 0) throw new UserInputError("The split has no labelled training plays to fit features on.");
    const zone = resolveTimeZone(plays, (i) => role[i] === 0, data.account.country, this.options.timeZone);
    const vocabularies = CONTEXT_SPECS.map((spec) =>
      fitVocabulary(spec.column(plays), role, spec.prefix, spec.prefix === "conn_country" ? this.options.topCountries : spec.topK),
    );
    this.state = { zone, priors, globalSkipRate: globalSkipRate(priors), vocabularies, trainRows: priors.n };
    return this;
  }

  get fitted(): FittedState {
    if (!this.state) throw new Error("FeatureBuilder: call fit(data, split) before using it");
    return this.state;
  }

  /** Which zone local-time features use, and why. */
  get timeZone(): TimeZoneChoice {
    return this.fitted.zone;
  }

  /** Column layout for the fitted builder. */
  layout(includeLeaky = false): Layout {
    const st = this.fitted;
    const names: string[] = [];
    const groups: FeatureGroup[] = [];
    const add = (cols: readonly string[], g: FeatureGroup): number => {
      const at = names.length;
      for (const c of cols) {
        names.push(c);
        groups.push(g);
      }
      return at;
    };
    const time = add(TIME_COLUMNS, "time");
    const session = add(SESSION_COLUMNS, "session");
    const behaviour = add(BEHAVIOUR_COLUMNS, "behaviour");
    const context = st.vocabularies.map((v) => add(vocabularyColumns(v), "context"));
    const account = add(this.options.useLibrarySnapshot ? ACCOUNT_COLUMNS : ACCOUNT_COLUMNS.slice(1), "account");
    const reliability = add(RELIABILITY_COLUMNS, "reliability");
    const leaky = includeLeaky ? add(LEAKY_COLUMNS, "leaky") : -1;
    return { names, groups, time, session, behaviour, context, account, reliability, leaky };
  }

  /**
   * One row per labelled play with role 0/1/2 (in play order).
   * @returns FeatureSet with X [rows * cols].
   */
  transform(data: FeatureData, split: SplitPlan, options: TransformOptions = {}): FeatureSet {
    const st = this.fitted;
    checkSplit(data, split);
    const { plays } = data;
    const n = plays.length;
    const role = split.role;
    let rows = 0;
    let trainRows = 0;
    for (let i = 0; i < n; i++) {
      if (role[i] <= 2 && plays.completed[i] >= 0) {
        rows++;
        if (role[i] === 0) trainRows++;
      }
    }
    if (trainRows > 0 && trainRows !== st.trainRows) {
      throw new Error(
        `FeatureBuilder.transform: the split has ${trainRows} training rows but fit saw ${st.trainRows}; ` +
          "transform with the split used for fit (leave-one-out priors depend on it)",
      );
    }
    const lay = this.layout(options.includeLeaky === true);
    const cols = lay.names.length;
    const X = new Float64Array(rows * cols);
    const y = new Float64Array(rows);
    const playIndex = new Int32Array(rows);
    const rowRole = new Uint8Array(rows);
    const sessionIdOut = new Int32Array(rows);
    const sessionPosOut = new Int32Array(rows);

    const g = st.globalSkipRate;
    const m = st.priors.m;
    const sess: SessionColumns = computeSessions(plays, {
      sessionGapMs: this.options.sessionGapMs,
      recentWindow: this.options.recentWindow,
      endToleranceMs: this.options.endToleranceMs,
      priorSkipRate: g,
    });
    const trackStats = statsByCode(plays.trackUri, st.priors.track);
    const artistStats = statsByCode(plays.artistName, st.priors.artist);
    const trackBefore = playsBefore(plays.trackUri, n);
    const artistBefore = playsBefore(plays.artistName, n);
    const ctxCodes = CONTEXT_SPECS.map((spec) => spec.column(plays).codes);
    const ctxSlots = CONTEXT_SPECS.map((spec, k) => slotsByCode(spec.column(plays), st.vocabularies[k]));
    const ctxUnknown = st.vocabularies.map(unknownSlot);
    const acct = indexAccount(data.account, plays.trackUri);
    const useLibrary = this.options.useLibrarySnapshot;
    const [conn, playback, stutter] = techSeries(data.tech).map((t) => windowCounts(t, plays.startMs, n));
    const offsets = new OffsetCache(st.zone.zone);
    const timeEncoder = new TimeEncoder();
    const leakCat = leakyCategories(plays.reasonEnd.values);
    const S = st.priors.skips;
    const N = st.priors.n;

    let r = 0;
    for (let i = 0; i < n; i++) {
      const ri = role[i];
      const label = plays.completed[i];
      if (ri > 2 || label < 0) continue;
      const base = r * cols;
      const start = plays.startMs[i];

      timeEncoder.write(start + offsets.offset(start), X, base + lay.time);

      let o = base + lay.session;
      X[o] = Math.log1p(sess.sessionPosition[i]);
      X[o + 1] = sess.sessionPosition[i] === 1 ? 1 : 0;
      X[o + 2] = sess.recentSkipRate[i];
      X[o + 3 + sess.prevEnd[i]] = 1;
      X[o + 9] = sess.gapLog[i];

      // priors: leave-one-out for training rows, full train statistics otherwise
      const own = ri === 0 ? 1 : 0;
      const skip = ri === 0 && label === 0 ? 1 : 0;
      const gi = own && N > 1 ? (S - skip) / (N - 1) : g;
      const tc = plays.trackUri.codes[i];
      const ac = plays.artistName.codes[i];
      const tn = tc >= 0 ? Math.max(0, trackStats.n[tc] - own) : 0;
      const ts = tc >= 0 ? Math.min(tn, Math.max(0, trackStats.skips[tc] - skip)) : 0;
      const an = ac >= 0 ? Math.max(0, artistStats.n[ac] - own) : 0;
      const as = ac >= 0 ? Math.min(an, Math.max(0, artistStats.skips[ac] - skip)) : 0;
      o = base + lay.behaviour;
      X[o] = smoothedRate(ts, tn, gi, m);
      X[o + 1] = smoothedRate(as, an, gi, m);
      X[o + 2] = Math.log1p(tn);
      X[o + 3] = Math.log1p(an);
      X[o + 4] = Math.log1p(trackBefore[i]);
      X[o + 5] = Math.log1p(artistBefore[i]);
      X[o + 6] = tc >= 0 && trackBefore[i] === 0 ? 1 : 0;

      for (let k = 0; k < ctxCodes.length; k++) {
        const code = ctxCodes[k][i];
        X[base + lay.context[k] + (code < 0 ? ctxUnknown[k] : ctxSlots[k][code])] = 1;
      }

      o = base + lay.account;
      if (useLibrary) X[o++] = tc >= 0 ? acct.inLibrary[tc] : 0;
      X[o] = tc >= 0 ? playlistsBefore(acct.addedTimes[tc], start) : 0;

      o = base + lay.reliability;
      X[o] = conn[i];
      X[o + 1] = playback[i];
      X[o + 2] = stutter[i];

      if (lay.leaky >= 0) {
        const rc = plays.reasonEnd.codes[i];
        X[base + lay.leaky + (rc < 0 ? LEAKY_REASONS.length - 1 : leakCat[rc])] = 1;
        X[base + lay.leaky + LEAKY_REASONS.length] = Math.log1p(plays.msPlayed[i] / 1000);
      }

      y[r] = label;
      playIndex[r] = i;
      rowRole[r] = ri;
      sessionIdOut[r] = sess.sessionId[i];
      sessionPosOut[r] = sess.sessionPosition[i];
      r++;
    }
    return {
      names: lay.names,
      groups: lay.groups,
      X,
      rows,
      cols,
      y,
      playIndex,
      role: rowRole,
      sessionId: sessionIdOut,
      sessionPosition: sessionPosOut,
    };
  }

  /**
   * The leaky variant of `base` (a leak-free `transform` of the same data and split) without
   * rebuilding it: copies each row and appends the `leak_*` columns. Identical to
   * `transform(data, split, { includeLeaky: true })` at a fraction of the time (one row copy
   * instead of sessions, priors, context and time features again).
   */
  appendLeaky(data: FeatureData, base: FeatureSet): FeatureSet {
    const lay = this.layout(true);
    const cols = lay.names.length;
    const baseCols = base.cols;
    if (lay.leaky !== baseCols || base.names.some((name, j) => name !== lay.names[j])) {
      throw new Error("FeatureBuilder.appendLeaky: `base` is not a leak-free transform from this builder");
    }
    const { plays } = data;
    const rows = base.rows;
    const X = new Float64Array(rows * cols);
    const leakCat = leakyCategories(plays.reasonEnd.values);
    const unknown = LEAKY_REASONS.length - 1;
    const src = base.X;
    for (let r = 0; r < rows; r++) {
      const i = base.playIndex[r];
      const o = r * cols;
      X.set(src.subarray(r * baseCols, (r + 1) * baseCols), o);
      const rc = plays.reasonEnd.codes[i];
      X[o + baseCols + (rc < 0 ? unknown : leakCat[rc])] = 1;
      X[o + baseCols + LEAKY_REASONS.length] = Math.log1p(plays.msPlayed[i] / 1000);
    }
    return { ...base, names: lay.names, groups: lay.groups, X, cols };
  }

  fitTransform(data: FeatureData, split: SplitPlan, options: TransformOptions = {}): FeatureSet {
    return this.fit(data, split).transform(data, split, options);
  }

  /** Plain summary of what fit learnt, for reports. */
  summary() {
    const st = this.fitted;
    return {
      timeZone: st.zone,
      trainRows: st.trainRows,
      globalTrainCompletionRate: 1 - st.globalSkipRate,
      priorStrength: st.priors.m,
      tracksWithPriors: st.priors.track.size,
      artistsWithPriors: st.priors.artist.size,
      vocabularies: Object.fromEntries(st.vocabularies.map((v) => [v.prefix, vocabularyWidth(v)])),
      options: { ...this.options },
    };
  }
}

function checkSplit(data: FeatureData, split: SplitPlan): void {
  if (split.role.length !== data.plays.length) {
    throw new Error(`split has ${split.role.length} roles for ${data.plays.length} plays: make it from the same PlayTable`);
  }
}

function leakyCategories(values: string[]): Uint8Array {
  const out = new Uint8Array(values.length);
  values.forEach((v, c) => {
    const k = (LEAKY_REASONS as readonly string[]).indexOf(v);
    out[c] = k >= 0 ? k : LEAKY_REASONS.length - 1;
  });
  return out;
}
