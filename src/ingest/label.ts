/**
 * The completion rule: what "finished" means, turned into the one label column
 * `plays.completed` before any split or feature exists, so history features (past
 * completion rates, session outcomes) follow the same rule as the target.
 *
 * Every rule labels the same plays: those with a known reason_end (not null, "" or
 * "unknown"); the rest stay context only (-1). So the rules share one split and can be
 * compared play for play.
 * - `reason-end`        reason_end == "trackdone" (the default)
 * - `played-30s`        ms_played >= 30 s
 * - `played-fraction=F` ms_played >= F × the track's estimated length, 0 < F <= 1
 *
 * The export holds no track lengths. A track's length is the median ms_played of its
 * plays that ended with "trackdone" — only those that ENDED BEFORE the labelled play
 * STARTED, plus the play itself when it is one. So a play's label never depends on the
 * ms_played of a play that started after it, and features (which use only outcomes of
 * plays that ended before their own start) never see their own play's ms_played through
 * someone else's label. With fewer than `minPlays` such plays the artist's median is used,
 * then the median over all tracks, then `defaultMs` (the first plays of an export).
 */
import { sharedArray } from "../common/bigBuffers";
import { UserInputError } from "../common/errors";
import { labelOf } from "./plays";
import { LENGTH_SOURCES } from "./types";
import type { LabelReport, LabelRule, LengthSource, PlayTable } from "./types";

export const DEFAULT_LABEL_RULE: LabelRule = { kind: "reason-end" };
export const PLAYED_MS_THRESHOLD = 30_000;
/** Rules `--compare-labels` runs when given no list. */
export const DEFAULT_COMPARE_RULES = "reason-end,played-30s,played-fraction=0.5,played-fraction=0.9";

export interface LengthEstimateOptions {
  /** Fewest trackdone plays a median is taken over before falling back. Default 3. */
  minPlays?: number;
  /** Length used before the export holds `minPlays` trackdone plays at all. Default 210 s. */
  defaultMs?: number;
}

export interface LengthEstimate {
  /** [n plays] estimated length (ms) as of each play's start, plus the play itself. */
  lengthMs: Float64Array;
  /** [n plays] index into LENGTH_SOURCES. */
  source: Uint8Array;
  /** Labelled plays per source. */
  counts: Record<LengthSource, number>;
  minPlays: number;
  defaultMs: number;
}

export function labelRuleName(rule: LabelRule): string {
  return rule.kind === "played-fraction" ? `played-fraction=${rule.fraction}` : rule.kind;
}

/** A rule from its name, or why the name is not one (for option validation). */
export function readLabelRule(text: string): { rule: LabelRule } | { problem: string } {
  const t = text.trim().toLowerCase();
  if (t === "reason-end") return { rule: { kind: "reason-end" } };
  if (t === "played-30s") return { rule: { kind: "played-30s" } };
  const m = /^played-fraction=(.*)$/.exec(t);
  if (m) {
    const f = m[1].trim() === "" ? NaN : Number(m[1]);
    if (Number.isFinite(f) && f > 0 && f <= 1) return { rule: { kind: "played-fraction", fraction: f } };
    return { problem: "not a fraction F in played-fraction=F: F must be a number with 0 < F <= 1 (e.g. played-fraction=0.5 for half the track)" };
  }
  return {
    problem:
      'not a completion rule: use reason-end (reason_end is "trackdone", the default), played-30s (at least 30 s played) or played-fraction=F (at least F of the track\'s estimated length, 0 < F <= 1)',
  };
}

/** `reason-end`, `played-30s` or `played-fraction=F` with 0 < F <= 1; anything else is refused. */
export function parseLabelRule(text: string, option = "--label"): LabelRule {
  const r = readLabelRule(text);
  if ("problem" in r) throw new UserInputError(`${option} "${text}" is ${r.problem}.`);
  return r.rule;
}

/** A comma-separated list of rules (for `--compare-labels`), duplicates removed, order kept; or why it is not one. */
export function readLabelRules(text: string): { rules: LabelRule[] } | { problem: string } {
  const parts = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) return { problem: `needs at least one rule, e.g. ${DEFAULT_COMPARE_RULES}` };
  const rules: LabelRule[] = [];
  for (const p of parts) {
    const r = readLabelRule(p);
    if ("problem" in r) return { problem: `"${p}" is ${r.problem}` };
    if (!rules.some((x) => labelRuleName(x) === labelRuleName(r.rule))) rules.push(r.rule);
  }
  return { rules };
}

export function parseLabelRules(text: string, option = "--compare-labels"): LabelRule[] {
  const r = readLabelRules(text);
  if ("problem" in r) throw new UserInputError(`${option} ${r.problem}.`);
  return r.rules;
}

/** Max-heap (sign = 1) or min-heap (sign = -1) of numbers, with its top and the larger child of the top. */
class Heap {
  readonly a: number[] = [];
  constructor(private readonly sign: 1 | -1) {}
  get size(): number {
    return this.a.length;
  }
  top(): number {
    return this.a[0];
  }
  /** The best element after the top (a child of the root); only when size >= 2. */
  second(): number {
    const a = this.a;
    if (a.length === 2) return a[1];
    return this.sign * a[1] >= this.sign * a[2] ? a[1] : a[2];
  }
  push(x: number): void {
    const a = this.a;
    const s = this.sign;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (s * a[p] >= s * x) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const s = this.sign;
    const out = a[0];
    const last = a.pop() as number;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && s * a[l + 1] > s * a[l] ? l + 1 : l;
        if (s * a[c] <= s * last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return out;
  }
}

/** A growing multiset that answers "median of me plus one extra value" in O(1). */
export class RunningMedian {
  /** Lower half (max-heap), holds ceil(k/2). */
  private readonly lo = new Heap(1);
  /** Upper half (min-heap), holds floor(k/2). */
  private readonly hi = new Heap(-1);

  get size(): number {
    return this.lo.size + this.hi.size;
  }

  add(x: number): void {
    if (this.lo.size === 0 || x <= this.lo.top()) this.lo.push(x);
    else this.hi.push(x);
    if (this.lo.size > this.hi.size + 1) this.hi.push(this.lo.pop());
    else if (this.hi.size > this.lo.size) this.lo.push(this.hi.pop());
  }

  /** Median of the multiset plus `extra` (null: none), or NaN when that is empty. */
  median(extra: number | null = null): number {
    const lo = this.lo;
    const hi = this.hi;
    const k = this.size;
    if (extra === null) {
      if (k === 0) return NaN;
      return k % 2 === 1 ? lo.top() : (lo.top() + hi.top()) / 2;
    }
    const x = extra;
    if (k === 0) return x;
    if (k % 2 === 0) {
      // k + 1 odd: the middle value is x clamped to [max(lo), min(hi)]
      if (x <= lo.top()) return lo.top();
      if (x >= hi.top()) return hi.top();
      return x;
    }
    // k + 1 even: average of the two middle values
    if (x >= lo.top()) return (lo.top() + (hi.size > 0 ? Math.min(x, hi.top()) : x)) / 2;
    return (lo.top() + (lo.size > 1 ? Math.max(x, lo.second()) : x)) / 2;
  }
}

const TRACKDONE = "trackdone";

function isTrackdone(values: string[]): Uint8Array {
  return Uint8Array.from(values, (v) => (v.trim().toLowerCase() === TRACKDONE ? 1 : 0));
}

/**
 * Each play's track length as of its start (see the module comment), with its source.
 * O(n log n): trackdone plays enter per-track, per-artist and global running medians in
 * END order, just before the first play that starts after them.
 */
export function estimateTrackLengths(plays: PlayTable, options: LengthEstimateOptions = {}): LengthEstimate {
  const minPlays = options.minPlays ?? 3;
  const defaultMs = options.defaultMs ?? 210_000;
  const n = plays.length;
  const done = isTrackdone(plays.reasonEnd.values);
  const isDone = (i: number) => {
    const c = plays.reasonEnd.codes[i];
    return c >= 0 && done[c] === 1;
  };
  // trackdone plays by end time (ties: start order), entered once they have ended
  const finished: number[] = [];
  for (let i = 0; i < n; i++) if (isDone(i)) finished.push(i);
  finished.sort((a, b) => plays.endMs[a] - plays.endMs[b] || a - b);

  const byTrack: (RunningMedian | undefined)[] = new Array<RunningMedian | undefined>(plays.trackUri.values.length);
  const byArtist: (RunningMedian | undefined)[] = new Array<RunningMedian | undefined>(plays.artistName.values.length);
  const all = new RunningMedian();
  const groupOf = (groups: (RunningMedian | undefined)[], code: number) => (code < 0 ? null : (groups[code] ??= new RunningMedian()));

  const lengthMs = new Float64Array(n);
  const source = new Uint8Array(n);
  const counts = { track: 0, artist: 0, global: 0, default: 0 } as Record<LengthSource, number>;
  let next = 0;
  for (let i = 0; i < n; i++) {
    const start = plays.startMs[i];
    while (next < finished.length && plays.endMs[finished[next]] < start) {
      const j = finished[next++];
      const ms = plays.msPlayed[j];
      groupOf(byTrack, plays.trackUri.codes[j])?.add(ms);
      groupOf(byArtist, plays.artistName.codes[j])?.add(ms);
      all.add(ms);
    }
    const own = isDone(i) ? plays.msPlayed[i] : null;
    const extra = own === null ? 0 : 1;
    const track = groupOf(byTrack, plays.trackUri.codes[i]);
    const artist = groupOf(byArtist, plays.artistName.codes[i]);
    let k: number;
    if (track && track.size + extra >= minPlays) {
      lengthMs[i] = track.median(own);
      k = 0;
    } else if (artist && artist.size + extra >= minPlays) {
      lengthMs[i] = artist.median(own);
      k = 1;
    } else if (all.size + extra >= minPlays) {
      lengthMs[i] = all.median(own);
      k = 2;
    } else {
      lengthMs[i] = defaultMs;
      k = 3;
    }
    source[i] = k;
    if (plays.completed[i] >= 0) counts[LENGTH_SOURCES[k]]++;
  }
  return { lengthMs, source, counts, minPlays, defaultMs };
}

/**
 * [n plays] labels under `rule`: 1 finished, 0 not, -1 unlabelled (reason_end null, "" or
 * "unknown"). Only reason_end, ms_played and the track/artist columns are read, so it
 * relabels a table already labelled under another rule.
 */
export function labelsFor(plays: PlayTable, rule: LabelRule, options: LengthEstimateOptions = {}): { completed: Int8Array; estimate?: LengthEstimate } {
  const n = plays.length;
  const completed = sharedArray(Int8Array, n); // shared, as ingestion's own columns are (see plays.ts)
  if (rule.kind === "reason-end") {
    const byCode = plays.reasonEnd.values.map(labelOf);
    for (let i = 0; i < n; i++) {
      const c = plays.reasonEnd.codes[i];
      completed[i] = c < 0 ? -1 : byCode[c];
    }
    return { completed };
  }
  const base = labelsFor(plays, DEFAULT_LABEL_RULE).completed;
  const estimate = rule.kind === "played-fraction" ? estimateTrackLengths({ ...plays, completed: base }, options) : undefined;
  for (let i = 0; i < n; i++) {
    if (base[i] < 0) completed[i] = -1;
    else if (estimate) completed[i] = plays.msPlayed[i] >= (rule as { fraction: number }).fraction * estimate.lengthMs[i] ? 1 : 0;
    else completed[i] = plays.msPlayed[i] >= PLAYED_MS_THRESHOLD ? 1 : 0;
  }
  return { completed, estimate };
}

/** The same plays labelled under `rule` (columns shared, `completed` replaced), and what the rule did. */
export function relabel(plays: PlayTable, rule: LabelRule, options: LengthEstimateOptions = {}): { plays: PlayTable; report: LabelReport } {
  const { completed, estimate } = labelsFor(plays, rule, options);
  let labelled = 0;
  let done = 0;
  for (let i = 0; i < completed.length; i++) {
    if (completed[i] >= 0) labelled++;
    if (completed[i] === 1) done++;
  }
  const report: LabelReport = { rule: labelRuleName(rule), labelled, completed: done };
  if (estimate) report.lengthEstimate = { minPlays: estimate.minPlays, defaultMs: estimate.defaultMs, sources: estimate.counts };
  return { plays: { ...plays, completed }, report };
}
