/**
 * The planted truth next to a generated export, and how a pipeline run is scored against it.
 *
 * `<export>/TRUTH.csv` holds one line per distinct music play: the export's own `ts` string,
 * `spotify_track_uri` and `ms_played` (together unique: one listener's plays never share an
 * end second and a track), and `p_true`, the probability the generator drew the play's
 * completion from (./signal.ts). The file sits beside MANIFEST.json, outside every package
 * folder: ingestion never reads it, and a real export has none. Ingestion's dedup and sort
 * keep those three fields unchanged (`PlayTable.ts` is the `ts` string as exported), so a run's
 * rows join on them whatever order or duplicates the files had.
 *
 * Metrics on the test rows:
 * - `auc`: the model's AUC on the observed labels (what evaluation reports);
 * - `bayesAuc`: the true probabilities' own AUC on the same rows and labels: no model that only
 *   knows what was known at each play's start can beat it beyond sampling noise. A model that
 *   does (by more than `LEAK_MARGIN_SE` paired DeLong standard errors) has seen the label;
 * - `aucVsTruth`: the AUC the model's ranking has in expectation over the plays' true outcome
 *   probabilities (labels replaced by p_true: no label noise); `bayesAucVsTruth` is its ceiling.
 */
import * as fs from "fs";
import * as path from "path";
import { averageRanks, rocAuc } from "../evaluate/metrics";
import type { PlayTable } from "../ingest/types";

export const TRUTH_FILE = "TRUTH.csv";
export const TRUTH_HEADER = "ts,spotify_track_uri,ms_played,p_true";
/** A model beats Bayes (a leak) when its AUC exceeds Bayes's by more than this many standard errors. */
export const LEAK_MARGIN_SE = 3;

export function truthKey(ts: string, trackUri: string, msPlayed: number): string {
  return ts + "|" + trackUri + "|" + msPlayed;
}

/** Streams TRUTH.csv as the simulation decides plays (a 1M-play export never holds the lines). */
export class TruthWriter {
  private readonly fd: number;
  private buf: string[] = [];
  rows = 0;

  constructor(exportDir: string) {
    this.fd = fs.openSync(path.join(exportDir, TRUTH_FILE), "w");
    fs.writeSync(this.fd, TRUTH_HEADER + "\n");
  }

  add(ts: string, trackUri: string, msPlayed: number, p: number): void {
    this.buf.push(`${ts},${trackUri},${msPlayed},${p.toFixed(6)}\n`);
    this.rows++;
    if (this.buf.length >= 10_000) this.flush();
  }

  private flush(): void {
    if (this.buf.length) fs.writeSync(this.fd, this.buf.join(""));
    this.buf = [];
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/** key (truthKey) → p_true, or null when the export has no TRUTH.csv (e.g. a real export). */
export function readTruth(exportDir: string): Map<string, number> | null {
  const file = path.join(exportDir, TRUTH_FILE);
  if (!fs.existsSync(file)) return null;
  const lines = fs.readFileSync(file, "utf8").split("\n");
  if (lines[0] !== TRUTH_HEADER) throw new Error(`${file}: expected the header "${TRUTH_HEADER}", got "${lines[0]}"`);
  const truth = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const [ts, uri, ms, p] = line.split(",");
    truth.set(truthKey(ts, uri, Number(ms)), Number(p));
  }
  return truth;
}

export interface TruthJoinInput {
  plays: Pick<PlayTable, "ts" | "trackUri" | "msPlayed">;
  /** [rows] play of each feature row, its role (2 = test) and observed label. */
  playIndex: Int32Array;
  role: Uint8Array;
  y: Float64Array;
  /** model name → [rows] scores (any monotone calibration gives the same AUCs). */
  scores: Record<string, ArrayLike<number>>;
  /** Models that are designed to leak (reported, never flagged). */
  exempt?: string[];
}

export interface ModelTruth {
  auc: number | null;
  aucVsTruth: number | null;
  /** auc − bayesAuc on the same rows. */
  gapToBayes: number | null;
  /** Its standard error (DeLong, paired: same rows and labels). */
  gapSe: number | null;
  beatsBayes: boolean;
}

export interface TruthMetrics {
  testRows: number;
  /** Test rows whose play was found in TRUTH.csv (all of them unless the export was edited). */
  matched: number;
  bayesAuc: number | null;
  bayesAucVsTruth: number | null;
  models: Record<string, ModelTruth>;
  /** Non-exempt models that beat Bayes: leaks. */
  leaks: string[];
}

/**
 * Expected ROC AUC of `scores` when row i is positive with probability p[i], independently
 * (ties count 1/2): Σ_{i≠j} p_i (1−p_j) [s_i > s_j] / Σ_{i≠j} p_i (1−p_j). O(n log n).
 */
export function expectedAuc(scores: ArrayLike<number>, p: ArrayLike<number>): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let negBelow = 0;
  let num = 0;
  let sumP = 0;
  let sumQ = 0;
  let self = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let gp = 0;
    let gq = 0;
    let gself = 0;
    while (j < n && scores[order[j]] === scores[order[i]]) {
      const pi = p[order[j]];
      gp += pi;
      gq += 1 - pi;
      gself += pi * (1 - pi);
      j++;
    }
    num += gp * negBelow + 0.5 * (gp * gq - gself);
    negBelow += gq;
    sumP += gp;
    sumQ += gq;
    self += gself;
    i = j;
  }
  const den = sumP * sumQ - self;
  return den > 0 ? num / den : null;
}

/**
 * DeLong placement values of `scores` (fast form, Sun & Xu 2014): for each positive, the share
 * of negatives it outranks; for each negative, the share of positives that outrank it (ties ½).
 */
function placements(scores: ArrayLike<number>, pos: number[], neg: number[]): { v10: Float64Array; v01: Float64Array } {
  const all = averageRanks(scores);
  const rp = averageRanks(pos.map((i) => scores[i]));
  const rn = averageRanks(neg.map((i) => scores[i]));
  const v10 = Float64Array.from(pos, (i, k) => (all[i] - rp[k]) / neg.length);
  const v01 = Float64Array.from(neg, (i, k) => 1 - (all[i] - rn[k]) / pos.length);
  return { v10, v01 };
}

function sampleVariance(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i] - b[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i] - b[i] - mean) ** 2;
  return ss / (n - 1);
}

/** DeLong standard error of AUC(a) − AUC(b) on the same labels `y` (null with one class). */
export function pairedAucGapSe(y: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let k = 0; k < y.length; k++) (y[k] === 1 ? pos : neg).push(k);
  if (!pos.length || !neg.length) return null;
  const pa = placements(a, pos, neg);
  const pb = placements(b, pos, neg);
  return Math.sqrt(sampleVariance(pa.v10, pb.v10) / pos.length + sampleVariance(pa.v01, pb.v01) / neg.length);
}

/** Joins truth to the test rows of a run and scores every model against it. */
export function truthMetrics(truth: Map<string, number>, input: TruthJoinInput): TruthMetrics {
  const { plays, playIndex, role, y } = input;
  const rows: number[] = [];
  const p: number[] = [];
  let testRows = 0;
  for (let r = 0; r < playIndex.length; r++) {
    if (role[r] !== 2) continue;
    testRows++;
    const i = playIndex[r];
    const uri = plays.trackUri.codes[i] >= 0 ? plays.trackUri.values[plays.trackUri.codes[i]] : "";
    const pt = truth.get(truthKey(plays.ts[i], uri, plays.msPlayed[i]));
    if (pt === undefined) continue;
    rows.push(r);
    p.push(pt);
  }
  const Y = rows.map((r) => y[r]);
  const bayesAuc = rocAuc(Y, p).value;
  const exempt = new Set(input.exempt ?? []);
  const models: Record<string, ModelTruth> = {};
  const leaks: string[] = [];
  for (const [name, all] of Object.entries(input.scores)) {
    const s = rows.map((r) => all[r]);
    const auc = rocAuc(Y, s).value;
    const gap = auc !== null && bayesAuc !== null ? auc - bayesAuc : null;
    // The two AUCs share their rows: the gap's variance uses paired placements.
    const gapSe = gap === null ? null : pairedAucGapSe(Y, s, p);
    const beatsBayes = gap !== null && gapSe !== null && gap > LEAK_MARGIN_SE * gapSe;
    if (beatsBayes && !exempt.has(name)) leaks.push(name);
    models[name] = { auc, aucVsTruth: expectedAuc(s, p), gapToBayes: gap, gapSe, beatsBayes };
  }
  return { testRows, matched: rows.length, bayesAuc, bayesAucVsTruth: expectedAuc(p, p), models, leaks };
}
