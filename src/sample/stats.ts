/**
 * Counts what the simulation wrote, for the manifest: rows per kind, labels, months without
 * labels, and the realised completion signal over labelled music plays.
 */
import { rocAuc } from "../evaluate/metrics";
import { RowKind } from "./options";
import { isEveningHour } from "./signal";
import { utcMonth } from "./time";

/** One distinct music play as the simulation decided it. */
export interface MusicFacts {
  /** ts - ms_played, as ingestion derives it. */
  derivedStart: number;
  tsMs: number;
  ms: number;
  reasonEnd: string | null;
  completed: boolean;
  p: number;
  localHour: number;
  weekend: boolean;
  /** 1-based position in the device run. */
  runPosition: number;
  taste: number;
  shuffle: boolean;
  errorRecent: boolean;
  inLibrary: boolean;
  /** null for a session's first play. */
  previousCompleted: boolean | null;
  reasonStart: string;
  /** The local clock (conn_country's zone) shows another time than the profile zone's. */
  otherClock: boolean;
  /** conn_country is not the profile country. */
  abroad: boolean;
  /** A pause or a device switch started a new device run inside the session. */
  newRun: boolean;
}

export interface SignalSummary {
  completionRate: number;
  /** AUC / log loss of the TRUE probabilities: an upper bound for any model. */
  oracleAuc: number;
  oracleLogLoss: number;
  baseRateLogLoss: number;
  share: { shuffle: number; connectionErrorWithin24h: number; inLibrary: number; runPositionOver15: number; abroad: number; otherClock: number };
  /** Device runs started inside a session by a pause or a device switch (all music plays). */
  runBreaks: number;
  completionBy: Record<string, { n: number; rate: number }>;
}

export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export class ExportStats {
  readonly distinct: Record<RowKind, number> = { music: 0, podcast: 0, audiobook: 0, local: 0, video: 0 };
  localWithName = 0;
  zeroMs = 0;
  labelled = 0;
  unlabNull = 0;
  unlabUnknown = 0;
  completed = 0;
  firstStart = Infinity;
  lastEnd = -Infinity;
  /** Month (YYYY-MM of the derived start) -> [music plays, labelled]. */
  private readonly monthTotals = new Map<string, [number, number]>();
  private monthStart = 0;
  private monthEnd = 0;
  private monthKey = "";
  /** [labelled plays] true probability and outcome, in simulation order. */
  private readonly pTrue: number[] = [];
  private readonly yTrue: number[] = [];
  private readonly by = new Map<string, [number, number]>();
  private readonly share = { shuffle: 0, error: 0, lib: 0, pos15: 0, abroad: 0, otherClock: 0 };
  private runBreaks = 0;

  private tally(key: string, done: boolean): void {
    const e = this.by.get(key) ?? [0, 0];
    e[0]++;
    if (done) e[1]++;
    this.by.set(key, e);
  }

  /** Month key of `ms`, cached while consecutive plays stay in one month. */
  private month(ms: number): string {
    if (ms >= this.monthEnd || ms < this.monthStart) {
      const d = new Date(ms);
      this.monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      this.monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      this.monthKey = utcMonth(ms);
    }
    return this.monthKey;
  }

  addMusic(f: MusicFacts): void {
    this.distinct.music++;
    if (f.ms === 0) this.zeroMs++;
    if (f.newRun) this.runBreaks++;
    const month = this.month(f.derivedStart);
    const mt = this.monthTotals.get(month) ?? [0, 0];
    mt[0]++;
    if (f.reasonEnd === null) this.unlabNull++;
    else if (f.reasonEnd === "unknown") this.unlabUnknown++;
    else {
      const done = f.completed;
      this.labelled++;
      mt[1]++;
      if (done) this.completed++;
      this.pTrue.push(f.p);
      this.yTrue.push(done ? 1 : 0);
      const h = f.localHour;
      this.tally(h <= 5 ? "hour00to05" : isEveningHour(h) ? "hour18to23" : "hour06to17", done);
      if (isEveningHour(h)) this.tally(f.weekend ? "eveningWeekend" : "eveningWeekday", done);
      const pos = f.runPosition;
      this.tally(pos > 25 ? "runPos26plus" : pos > 15 ? "runPos16to25" : "runPos1to15", done);
      if (f.taste < -0.5) this.tally(f.shuffle ? "lowTasteShuffle" : "lowTasteNoShuffle", done);
      else if (f.taste > 0.5) this.tally(f.shuffle ? "highTasteShuffle" : "highTasteNoShuffle", done);
      this.tally(f.errorRecent ? "connectionErrorWithin24h" : "noConnectionError", done);
      this.tally(f.inLibrary ? "inLibrary" : "notInLibrary", done);
      if (f.previousCompleted !== null) this.tally(f.previousCompleted ? "previousCompleted" : "previousNotCompleted", done);
      this.tally("reasonStart:" + f.reasonStart, done);
      if (f.shuffle) this.share.shuffle++;
      if (f.errorRecent) this.share.error++;
      if (f.inLibrary) this.share.lib++;
      if (pos > 15) this.share.pos15++;
      if (f.abroad) this.share.abroad++;
      if (f.otherClock) {
        this.share.otherClock++;
        this.tally("otherClockAbroad", done);
      }
    }
    this.monthTotals.set(month, mt);
    if (f.derivedStart < this.firstStart) this.firstStart = f.derivedStart;
    if (f.tsMs > this.lastEnd) this.lastEnd = f.tsMs;
  }

  /** Months (YYYY-MM) with music plays but no labelled one. */
  unlabelledMonths(): string[] {
    return [...this.monthTotals.entries()].filter(([, v]) => v[0] > 0 && v[1] === 0).map(([m]) => m).sort();
  }

  signal(): SignalSummary {
    const P = this.pTrue;
    const Y = this.yTrue;
    const labelled = this.labelled;
    const rate = labelled ? this.completed / labelled : 0;
    let ll = 0;
    let llBase = 0;
    for (let i = 0; i < P.length; i++) {
      ll -= Y[i] ? Math.log(P[i]) : Math.log(1 - P[i]);
      llBase -= Y[i] ? Math.log(rate) : Math.log(1 - rate);
    }
    const completionBy: Record<string, { n: number; rate: number }> = {};
    for (const key of [...this.by.keys()].sort()) {
      const [n, d] = this.by.get(key)!;
      completionBy[key] = { n, rate: round4(d / n) };
    }
    const per = (k: number): number => round4(k / Math.max(1, labelled));
    return {
      completionRate: round4(rate),
      // One class only (or none): 0.5, as a constant score would get.
      oracleAuc: round4(rocAuc(Y, P).value ?? 0.5),
      oracleLogLoss: round4(P.length ? ll / P.length : 0),
      baseRateLogLoss: round4(P.length ? llBase / P.length : 0),
      share: { shuffle: per(this.share.shuffle), connectionErrorWithin24h: per(this.share.error), inLibrary: per(this.share.lib), runPositionOver15: per(this.share.pos15), abroad: per(this.share.abroad), otherClock: per(this.share.otherClock) },
      runBreaks: this.runBreaks,
      completionBy,
    };
  }
}
