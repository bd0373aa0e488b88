/**
 * FeatureBuilder: scikit-learn-like `fit(data, split)` / `transform(data, split)`.
 *
 * Leakage rules (every column obeys them; test/leakage.test.ts checks each one):
 * 1. A row describes its play as known at the play's START. Plays are ordered by start
 *    time (ts − ms_played).
 * 2. Counts (plays before, position in session, time since last play) use plays that
 *    STARTED earlier.
 * 3. Outcomes (completions, skips, previous end reason, residuals) use only labelled plays
 *    that had ENDED by the start: end ≤ start + `endToleranceMs` (1 s: `ts` has whole-second
 *    resolution, so a play ending as the next starts can look up to 1 s late), and that
 *    started strictly earlier (asof.ts). Outcomes are read from `plays.completed` only.
 * 4. What fit learns from labels (train priors, the stage-1 context models of the residual
 *    features, the global rate) uses TRAIN rows (role 0) only; training rows get
 *    leave-one-out train priors and the residuals of the stage-1 model fitted on the other
 *    half of the training rows (cross-fitting, asof.ts). As-of history keeps updating through validation and test
 *    (an earlier test play's outcome is known when a later one starts), like
 *    recent_skip_rate_10.
 * 5. The play's own reason_end / ms_played / skipped are never features, except the
 *    `leak_*` columns added by `includeLeaky: true` for the `leaky_reference` model.
 *
 * fit learns the time zone, context vocabularies, train priors and stage 1 (stage1.ts) from
 * TRAIN rows; transform builds one row per labelled play with role 0/1/2; every play
 * (labelled or not) serves as context for the others. Local time uses the zone of each
 * play's conn_country when it differs from the home country (time.ts `playZones`); the
 * per-source row counts are in `FeatureSet.localTime`.
 *
 * No context × taste products are built: products of the as-of track/artist rates with
 * shuffle, reason_start=clickrow, the evening day part and the session's rate so far (and
 * track residual × session start) were measured on generated exports (3k and 30k plays,
 * 3 seeds each, closed-loop logistic): none moved mean test AUC by more than ~0.002, within
 * seed noise, so such interactions are left to the MLP.
 */
import { valuesAt } from "../common/arrays";
import { prefaultPages, shareableFloat64Array } from "../common/bigBuffers";
import { UserInputError } from "../common/errors";
import { ACCOUNT_COLUMNS, indexAccount, playlistsBefore } from "./account";
import { CONTEXT_SPECS, fitVocabulary, slotsByCode, unknownSlot, vocabularyColumns, vocabularyWidth, type Vocabulary } from "./context";
import { BEHAVIOUR_COLUMNS, fitPriors, globalSkipRate, playsBefore, smoothedRate, statsByCode, type PriorStats } from "./priors";
import { RELIABILITY_COLUMNS, techSeries, windowCounts } from "./reliability";
import { computeSessions, SESSION_COLUMNS, type SessionColumns } from "./sessions";
import { OffsetCache, playZones, resolveTimeZone, TIME_COLUMNS, TimeEncoder } from "./time";
import { AsOfHistory, DEFAULT_ASOF, RESIDUAL_COLUMNS, revealSchedule, SESSION_HISTORY_COLUMNS, TRACK_ARTIST_COLUMNS, type AsOfOptions, type Stage1Fold } from "./asof";
import { fitStage1, rawWeights, stage1Proba, type Stage1Model } from "./stage1";
import type { FeatureData, FeatureGroup, FeatureSet, LocalTimeSummary, SplitPlan, TimeZoneChoice } from "./types";

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
  /** Largest gap (previous end on the same device → start) inside one device run. Default 3000. */
  deviceGapMs?: number;
  /** Prior strengths, recency and residual shrinkage of the as-of history (asof.ts DEFAULT_ASOF). */
  asOf?: Partial<typeof DEFAULT_ASOF>;
  /** Local time from each play's conn_country zone when it differs from home. Default true. */
  perPlayTimeZones?: boolean;
  /** Training rows the two stage-1 context models are fitted on together (even stride). Default 8 000. */
  stage1MaxRows?: number;
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
  /** Context-only models of the residual features, cross-fitted: one per half of the train rows (alternate rows). */
  stage1: [Stage1Model, Stage1Model];
  asOf: AsOfOptions;
}

/** Column layout: start offsets of each block inside a row. */
export interface Layout {
  names: string[];
  groups: FeatureGroup[];
  time: number;
  session: number;
  /** SESSION_HISTORY_COLUMNS (session so far, device run). */
  sessionHistory: number;
  behaviour: number;
  /** TRACK_ARTIST_COLUMNS (as-of track and artist history). */
  history: number;
  /** RESIDUAL_COLUMNS (track, artist in "behaviour"; session in "session"). */
  residual: number;
  context: number[];
  account: number;
  reliability: number;
  /** -1 without leaky columns. */
  leaky: number;
}

/** What `fit` prepared (per-play lookups, sessions), kept for the next `transform` of the same data and split (and dropped by it). */
interface WriterCache {
  data: FeatureData;
  role: Uint8Array;
  writer: RowWriter;
}

/**
 * Writes the columns of one play's row that need no as-of history (time, session shape,
 * train priors, context, account, reliability, leaky): everything but the history and
 * residual blocks. Built once per data and split; used for stage 1's sample in `fit` and for
 * every row in `transform`'s single pass.
 */
interface RowWriter {
  lay: Layout;
  cols: number;
  /** Feature rows: labelled plays with role 0/1/2. */
  rows: number;
  sess: SessionColumns;
  /**
   * Play i's row at X[base ..]: X must be zero there.
   * @param hot [context groups] receives the column (within the row) of each group's 1
   */
  write(i: number, X: Float64Array, base: number, hot?: Int32Array): void;
  /** Rows written per local-time source and zone since the last `resetCounts`. */
  localTime(): LocalTimeSummary;
  resetCounts(): void;
}

export class FeatureBuilder {
  readonly options: Required<Omit<FeatureBuilderOptions, "timeZone" | "timezone" | "asOf">> & { timeZone?: string; asOf: typeof DEFAULT_ASOF };
  private state: FittedState | null = null;
  private cache: WriterCache | null = null;

  constructor(options: FeatureBuilderOptions = {}) {
    this.options = {
      timeZone: options.timeZone ?? options.timezone,
      sessionGapMs: options.sessionGapMs ?? 30 * 60_000,
      priorStrength: options.priorStrength ?? 5,
      recentWindow: options.recentWindow ?? 10,
      topCountries: options.topCountries ?? 10,
      endToleranceMs: options.endToleranceMs ?? 1000,
      useLibrarySnapshot: options.useLibrarySnapshot ?? true,
      deviceGapMs: options.deviceGapMs ?? 3000,
      asOf: { ...DEFAULT_ASOF, ...(options.asOf ?? {}) },
      perPlayTimeZones: options.perPlayTimeZones ?? true,
      stage1MaxRows: options.stage1MaxRows ?? 8_000,
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
    const g = globalSkipRate(priors);
    const asOf: AsOfOptions = { ...this.options.asOf, endToleranceMs: this.options.endToleranceMs, globalRate: 1 - g };
    const placeholder = { columns: new Int32Array(0), scale: new Float64Array(0), weights: new Float64Array(0), intercept: 0, rows: 0, iterations: 0 };
    this.state = { zone, priors, globalSkipRate: g, vocabularies, trainRows: priors.n, stage1: [placeholder, placeholder], asOf };
    // stage 1 reads the context columns of a sample of training rows: written here by the
    // same writer transform uses (kept for it), not a full matrix
    this.cache = null;
    const writer = this.rowWriter(data, split, false);
    this.state.stage1 = this.fitStage1On(data, split, writer);
    this.cache = { data, role: split.role, writer };
    return this;
  }

  /**
   * The two cross-fitted stage-1 models: the training rows alternate between folds 0 and 1
   * (feature-row order); each fold keeps an even stride of at most
   * stage1MaxRows / 2 rows, and each model fits its own fold's rows only.
   */
  private fitStage1On(data: FeatureData, split: SplitPlan, writer: RowWriter): [Stage1Model, Stage1Model] {
    const { plays } = data;
    const role = split.role;
    const perFold = Math.ceil(this.options.stage1MaxRows / 2);
    const train = this.fitted.trainRows;
    const stride = [Math.ceil(train / 2), Math.floor(train / 2)].map((k) => Math.max(1, Math.ceil(k / perFold)));
    const picked: number[] = [];
    const pickedFold: number[] = [];
    const seen = [0, 0];
    let k = 0;
    for (let i = 0; i < plays.length; i++) {
      if (role[i] !== 0 || plays.completed[i] < 0) continue;
      const f = k++ & 1;
      if (seen[f]++ % stride[f] === 0) {
        picked.push(i);
        pickedFold.push(f);
      }
    }
    const cols = writer.cols;
    const X = new Float64Array(picked.length * cols);
    const y = valuesAt(plays.completed, picked);
    picked.forEach((i, r) => writer.write(i, X, r * cols));
    const columns = stage1Columns(writer.lay);
    // each from the base rate: a start at the other fold's fit would carry that fold's labels
    // into this one (to rounding), and the own-label leakage test is exact
    const fit = (f: number) => {
      const role = new Uint8Array(pickedFold.length);
      for (let r = 0; r < role.length; r++) role[r] = pickedFold[r] === f ? 0 : 255;
      return fitStage1(X, cols, y, role, columns, { maxRows: perFold });
    };
    return [fit(0), fit(1)];
  }

  get fitted(): FittedState {
    if (!this.state) throw new Error("FeatureBuilder: call fit(data, split) before using it");
    return this.state;
  }

  /**
   * Adopts what `fit` learnt before (`fitted` of a builder with these options, fitted on the
   * same data and split: the stage cache keeps it with the features) instead of fitting again
   * (0.4 s at 1M plays). A later `transform` builds its per-play lookups then.
   */
  restore(state: FittedState): this {
    this.state = state;
    this.cache = null;
    return this;
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
    const sessionHistory = add(SESSION_HISTORY_COLUMNS, "session");
    const behaviour = add(BEHAVIOUR_COLUMNS, "behaviour");
    const history = add(TRACK_ARTIST_COLUMNS, "behaviour");
    const residual = add(RESIDUAL_COLUMNS.slice(0, 2), "behaviour");
    add(RESIDUAL_COLUMNS.slice(2), "session");
    const context = st.vocabularies.map((v) => add(vocabularyColumns(v), "context"));
    const account = add(this.options.useLibrarySnapshot ? ACCOUNT_COLUMNS : ACCOUNT_COLUMNS.slice(1), "account");
    const reliability = add(RELIABILITY_COLUMNS, "reliability");
    const leaky = includeLeaky ? add(LEAKY_COLUMNS, "leaky") : -1;
    return { names, groups, time, session, sessionHistory, behaviour, history, residual, context, account, reliability, leaky };
  }

  /**
   * One row per labelled play with role 0/1/2 (in play order).
   * @returns FeatureSet with X [rows * cols].
   */
  transform(data: FeatureData, split: SplitPlan, options: TransformOptions = {}): FeatureSet {
    const st = this.fitted;
    checkSplit(data, split);
    const includeLeaky = options.includeLeaky === true;
    const c = this.cache;
    const hit = c !== null && !includeLeaky && c.data.plays === data.plays && c.data.tech === data.tech && c.data.account === data.account && c.role === split.role;
    const writer = hit ? c.writer : this.rowWriter(data, split, includeLeaky);
    // Its per-play lookups (16 MB of buffers of their own at 200k plays, in a heap snapshot) serve
    // this one transform: kept, they stayed alive through every later stage. Another transform
    // builds them again.
    if (hit) this.cache = null;
    writer.resetCounts();
    return this.writeRows(data, split, writer, st);
  }

  /**
   * Every row in one pass in start order (asof.ts): reveal the outcomes play i may see,
   * write its base columns, its as-of history and residual columns, then its own stage-1
   * residuals (read by later plays once revealed). One pass keeps each row in cache while
   * it is built.
   */
  private writeRows(data: FeatureData, split: SplitPlan, writer: RowWriter, st: FittedState): FeatureSet {
    const { plays } = data;
    const n = plays.length;
    const role = split.role;
    const { lay, cols, rows, sess } = writer;
    // shared memory when large: its pages are mapped from the second core while this loop fills
    // it, and the stage cache sums its CRC-32 on another thread (bigBuffers.ts)
    const X = shareableFloat64Array(rows * cols);
    const stopPrefault = prefaultPages(X);
    const y = new Float64Array(rows);
    const playIndex = new Int32Array(rows);
    const rowRole = new Uint8Array(rows);
    const sessionIdOut = new Int32Array(rows);
    const sessionPosOut = new Int32Array(rows);
    const residual: [Float64Array, Float64Array] = [new Float64Array(n).fill(NaN), new Float64Array(n).fill(NaN)];
    const logits = stage1Logits(st.stage1, lay, cols);
    const hot = new Int32Array(lay.context.length);
    const hist = new AsOfHistory(plays, sess, residual, st.asOf);
    const sched = revealSchedule(plays, this.options.endToleranceMs);
    const sessionResidual = lay.residual + 2;
    const { skips: S, n: N } = st.priors;
    let r = 0;
    let trainSeen = 0;
    for (let i = 0; i < n; i++) {
      for (let k = sched.start[i]; k < sched.start[i + 1]; k++) hist.reveal(sched.items[k]);
      const ri = role[i];
      const label = plays.completed[i];
      if (ri <= 2 && label >= 0) {
        const base = r * cols;
        writer.write(i, X, base, hot);
        y[r] = label;
        playIndex[r] = i;
        rowRole[r] = ri;
        sessionIdOut[r] = sess.sessionId[i];
        sessionPosOut[r] = sess.sessionPosition[i];
        // anchor of the smoothed rates: the train completion rate, leave-one-out for a training row
        const anchor = ri === 0 && N > 1 ? 1 - (S - (1 - label)) / (N - 1) : st.asOf.globalRate;
        // stage-1 fold: alternate training rows 0, 1, 0, … (as in fitStage1On); other rows 2
        const f: Stage1Fold = ri === 0 ? ((trainSeen++ & 1) as Stage1Fold) : 2;
        hist.writeTrackArtist(plays.trackUri.codes[i], plays.artistName.codes[i], plays.startMs[i], X, base + lay.history, base + lay.residual, anchor, f);
        hist.writeSession(i, X, base + lay.sessionHistory, base + sessionResidual, anchor, f);
        residual[0][i] = label - logits.proba(0, X, base, hot);
        residual[1][i] = label - logits.proba(1, X, base, hot);
        r++;
      }
      hist.started(i);
    }
    stopPrefault();
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
      localTime: writer.localTime(),
    };
  }

  /**
   * The row writer (RowWriter) for `data` and `split`: per-play lookups (sessions, train
   * priors, context slots, zones, reliability windows) computed once.
   */
  private rowWriter(data: FeatureData, split: SplitPlan, includeLeaky: boolean): RowWriter {
    const st = this.fitted;
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
    const lay = this.layout(includeLeaky);
    const cols = lay.names.length;

    const g = st.globalSkipRate;
    const m = st.priors.m;
    const sess: SessionColumns = computeSessions(plays, {
      sessionGapMs: this.options.sessionGapMs,
      recentWindow: this.options.recentWindow,
      endToleranceMs: this.options.endToleranceMs,
      priorSkipRate: g,
      deviceGapMs: this.options.deviceGapMs,
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
    const pz = playZones(plays, st.zone);
    const perPlay = this.options.perPlayTimeZones;
    const offsets = pz.zones.map((z) => new OffsetCache(z));
    const zoneRows = new Float64Array(pz.zones.length);
    const sourceRows = [0, 0, 0];
    const timeEncoder = new TimeEncoder();
    const leakCat = leakyCategories(plays.reasonEnd.values);
    const S = st.priors.skips;
    const N = st.priors.n;
    const R = this.options.recentWindow;

    const write = (i: number, X: Float64Array, base: number, hot?: Int32Array): void => {
      const ri = role[i];
      const label = plays.completed[i];
      const start = plays.startMs[i];

      const cc = plays.connCountry.codes[i];
      const zi = perPlay && cc >= 0 ? pz.zoneOf[cc] : 0;
      sourceRows[perPlay && cc >= 0 ? pz.sourceOf[cc] : 0]++;
      zoneRows[zi]++;
      timeEncoder.write(start + offsets[zi].offset(start), X, base + lay.time);

      // priors: leave-one-out for training rows, full train statistics otherwise
      const own = ri === 0 ? 1 : 0;
      const skip = ri === 0 && label === 0 ? 1 : 0;
      const gi = own && N > 1 ? (S - skip) / (N - 1) : g;

      let o = base + lay.session;
      X[o] = Math.log1p(sess.sessionPosition[i]);
      X[o + 1] = sess.sessionPosition[i] === 1 ? 1 : 0;
      // empty window slots hold the train skip rate: leave-one-out (gi) for a training row
      X[o + 2] = R > 0 ? (sess.recentSkips[i] + (R - sess.recentUsed[i]) * gi) / R : gi;
      X[o + 3 + sess.prevEnd[i]] = 1;
      X[o + 9] = sess.gapLog[i];

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
        const col = lay.context[k] + (code < 0 ? ctxUnknown[k] : ctxSlots[k][code]);
        X[base + col] = 1;
        if (hot) hot[k] = col;
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
    };
    const localTime = (): LocalTimeSummary => {
      const zones: Record<string, number> = {};
      pz.zones
        .map((z, k) => [z, zoneRows[k]] as [string, number])
        .filter(([, v]) => v > 0)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .forEach(([z, v]) => (zones[z] = v));
      return {
        homeZone: st.zone.zone,
        sources: { home: sourceRows[0], "conn-country": sourceRows[1], "multi-zone-modal": sourceRows[2] },
        zones,
      };
    };
    const resetCounts = (): void => {
      zoneRows.fill(0);
      sourceRows.fill(0);
    };
    return { lay, cols, rows, sess, write, localTime, resetCounts };
  }

  /**
   * Stage-1 residuals y − p̂ of every play with a row under models 0 and 1: [n plays] each, NaN elsewhere.
   * @param fs a non-leaky transform by this builder of data holding `n` plays
   */
  stage1Residuals(n: number, fs: FeatureSet): [Float64Array, Float64Array] {
    const models = this.fitted.stage1;
    const weights = models.map(rawWeights);
    const out = models.map(() => new Float64Array(n).fill(NaN));
    // Both models in one pass over the rows: each row is read from memory once.
    for (let r = 0; r < fs.rows; r++) {
      const play = fs.playIndex[r];
      for (let m = 0; m < models.length; m++) out[m][play] = fs.y[r] - stage1Proba(models[m], weights[m], fs.X, r * fs.cols);
    }
    return out as [Float64Array, Float64Array];
  }

  /**
   * The as-of history of `data` at `atMs`: outcomes of plays ended (and started) before it,
   * plays started before it. For probe rows (recommendations) of tracks "as they stand" then.
   * @param residuals `stage1Residuals` of a non-leaky transform of `data` by this builder
   */
  historyAt(data: FeatureData, residuals: [Float64Array, Float64Array], atMs: number): AsOfHistory {
    const st = this.fitted;
    const { plays } = data;
    const n = plays.length;
    const sess = computeSessions(plays, {
      sessionGapMs: this.options.sessionGapMs,
      recentWindow: this.options.recentWindow,
      endToleranceMs: this.options.endToleranceMs,
      priorSkipRate: st.globalSkipRate,
      deviceGapMs: this.options.deviceGapMs,
    });
    const hist = new AsOfHistory(plays, sess, residuals, st.asOf);
    const tol = this.options.endToleranceMs;
    for (let j = 0; j < n && plays.startMs[j] < atMs; j++) {
      if (plays.completed[j] >= 0 && Math.max(plays.endMs[j], plays.startMs[j] + tol + 1) <= atMs + tol) hist.reveal(j);
      hist.started(j);
    }
    return hist;
  }

  /**
   * The leaky variant of `base` (a leak-free `transform` of the same data and split) without
   * rebuilding it: copies each row and appends the `leak_*` columns. Identical to
   * `transform(data, split, { includeLeaky: true })` at a fraction of the time (one row copy
   * instead of sessions, priors, context and time features again).
   */
  appendLeaky(data: FeatureData, base: FeatureSet): FeatureSet {
    const lay = this.layout(true);
    return { ...base, names: lay.names, groups: lay.groups, X: this.leakyRows(data, base), cols: lay.names.length };
  }

  /**
   * Rows `rows` (indices into `base`, default every row) of `appendLeaky(data, base)`'s matrix,
   * without building the others: [rows.length * cols], cols = base.cols + LEAKY_COLUMNS.length.
   * Written into `out` when given (at least that long: a caller building it piece by piece reuses one buffer).
   */
  leakyRows(data: FeatureData, base: FeatureSet, rows?: ArrayLike<number>, out?: Float64Array): Float64Array {
    const cols = this.leakyLayout(base).names.length;
    const baseCols = base.cols;
    const n = rows ? rows.length : base.rows;
    const X = out ? out.subarray(0, n * cols).fill(0) : new Float64Array(n * cols);
    const leak = this.leakWriter(data, base);
    const src = base.X;
    for (let k = 0; k < n; k++) {
      const r = rows ? rows[k] : k;
      X.set(src.subarray(r * baseCols, (r + 1) * baseCols), k * cols);
      leak(X, k * cols + baseCols, r);
    }
    return X;
  }

  /** Only the `LEAKY_COLUMNS` of `leakyRows(data, base, rows)`: [rows.length * LEAKY_COLUMNS.length]. */
  leakColumns(data: FeatureData, base: FeatureSet, rows: ArrayLike<number>): Float64Array {
    this.leakyLayout(base);
    const width = LEAKY_COLUMNS.length;
    const X = new Float64Array(rows.length * width);
    const leak = this.leakWriter(data, base);
    for (let k = 0; k < rows.length; k++) leak(X, k * width, rows[k]);
    return X;
  }

  private leakyLayout(base: FeatureSet): Layout {
    const lay = this.layout(true);
    if (lay.leaky !== base.cols || base.names.some((name, j) => name !== lay.names[j])) {
      throw new Error("FeatureBuilder.appendLeaky: `base` is not a leak-free transform from this builder");
    }
    return lay;
  }

  /** Writes row r's leak columns (reason_end one-hot, log1p of seconds played) at X[o …] (zeros expected there). */
  private leakWriter(data: FeatureData, base: FeatureSet): (X: Float64Array, o: number, r: number) => void {
    const { plays } = data;
    const leakCat = leakyCategories(plays.reasonEnd.values);
    const unknown = LEAKY_REASONS.length - 1;
    return (X, o, r) => {
      const i = base.playIndex[r];
      const rc = plays.reasonEnd.codes[i];
      X[o + (rc < 0 ? unknown : leakCat[rc])] = 1;
      X[o + LEAKY_REASONS.length] = Math.log1p(plays.msPlayed[i] / 1000);
    };
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
      stage1: st.stage1.map((m) => ({ rows: m.rows, columns: m.columns.length, newtonSteps: m.iterations })),
      options: { ...this.options },
    };
  }
}

/**
 * Columns of the stage-1 context model: local time, the session's shape (position, start,
 * gap), the context one-hots and reliability. Nothing about outcomes: not the track's,
 * artist's or session's, nor recent_skip_rate or the previous play's end reason (an earlier
 * play's outcome: in stage 1 it would carry a training play's label into the fit its
 * neighbour belongs to, and through that fold's residuals back to its own row).
 */
export function stage1Columns(lay: Layout): Int32Array {
  const out: number[] = [];
  const range = (from: number, count: number) => {
    for (let j = from; j < from + count; j++) out.push(j);
  };
  range(lay.time, TIME_COLUMNS.length);
  range(lay.session, 2); // position, start
  range(lay.session + SESSION_COLUMNS.length - 1, 1); // gap
  range(lay.context[0], lay.account - lay.context[0]);
  range(lay.reliability, RELIABILITY_COLUMNS.length);
  return Int32Array.from(out);
}

/**
 * p̂ of the two stage-1 models for a row as it is written, from its dense stage-1 columns
 * and the column of each context group's 1 (`hot`), instead of all stage-1 columns: the
 * one-hots' zeros add nothing. Terms are summed in column order, as `stage1Proba` sums
 * them, so p̂ is the same to the last bit.
 */
function stage1Logits(models: [Stage1Model, Stage1Model], lay: Layout, cols: number) {
  const ctxStart = lay.context[0];
  const ctxEnd = lay.account;
  const columns = models[0].columns;
  const before = Int32Array.from(Array.from(columns).filter((c) => c < ctxStart));
  const after = Int32Array.from(Array.from(columns).filter((c) => c >= ctxEnd));
  // weight of each row column (0 for columns stage 1 does not read)
  const byCol = models.map((m) => {
    const w = new Float64Array(cols);
    rawWeights(m).forEach((a, k) => (w[columns[k]] = a));
    return w;
  });
  const intercepts = models.map((m) => m.intercept);
  return {
    proba(f: 0 | 1, X: Float64Array, base: number, hot: Int32Array): number {
      const w = byCol[f];
      let z = intercepts[f];
      for (let k = 0; k < before.length; k++) z += w[before[k]] * X[base + before[k]];
      for (let k = 0; k < hot.length; k++) z += w[hot[k]];
      for (let k = 0; k < after.length; k++) z += w[after[k]] * X[base + after[k]];
      return 1 / (1 + Math.exp(-z));
    },
  };
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
