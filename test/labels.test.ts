/**
 * Completion rules (`--label`), the track-length estimate behind `played-fraction`, and
 * the leakage property: a play's own ms_played never changes its own feature row.
 * Expected numbers are computed here by plain brute force, never copied from a run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import { chronologicalSplit, FeatureBuilder } from "../src/features";
import { ingestExport } from "../src/ingest";
import { estimateTrackLengths, labelsFor, parseLabelRule, parseLabelRules, relabel, RunningMedian } from "../src/ingest/label";
import type { LabelRule, PlayTable } from "../src/ingest/types";
import { clonePlayTable, makePlayTable, type PlayInput } from "./helpers/playTable";

const root = path.resolve(__dirname, "..");
const sample = ingestExport({ export: path.join(root, "data-sample") });
const RULES: LabelRule[] = parseLabelRules("reason-end,played-30s,played-fraction=0.5,played-fraction=0.9,played-fraction=1");

// ------------------------------------------------------------ brute-force reference

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The documented estimate, by scanning every play for every play: O(n²). */
function bruteLengths(p: PlayTable, minPlays = 3, defaultMs = 210_000): { length: number[]; source: string[] } {
  const reason = (i: number) => (p.reasonEnd.codes[i] < 0 ? null : p.reasonEnd.values[p.reasonEnd.codes[i]]);
  const length: number[] = [];
  const source: string[] = [];
  for (let i = 0; i < p.length; i++) {
    const pool = (same: (j: number) => boolean) => {
      const out: number[] = [];
      for (let j = 0; j < p.length; j++) {
        if (reason(j) !== "trackdone" || !same(j)) continue;
        if (j === i || p.endMs[j] < p.startMs[i]) out.push(p.msPlayed[j]);
      }
      return out;
    };
    const t = p.trackUri.codes[i];
    const a = p.artistName.codes[i];
    const track = t < 0 ? [] : pool((j) => p.trackUri.codes[j] === t);
    const artist = a < 0 ? [] : pool((j) => p.artistName.codes[j] === a);
    const all = pool(() => true);
    const pick = (ms: number, from: string) => {
      length.push(ms);
      source.push(from);
    };
    if (track.length >= minPlays) pick(median(track), "track");
    else if (artist.length >= minPlays) pick(median(artist), "artist");
    else if (all.length >= minPlays) pick(median(all), "global");
    else pick(defaultMs, "default");
  }
  return { length, source };
}

/** Base rate of a rule over labelled plays, straight from the columns. */
function bruteBaseRate(p: PlayTable, rule: LabelRule): { labelled: number; completed: number } {
  const lengths = rule.kind === "played-fraction" ? bruteLengths(p).length : null;
  let labelled = 0;
  let completed = 0;
  for (let i = 0; i < p.length; i++) {
    const r = p.reasonEnd.codes[i] < 0 ? null : p.reasonEnd.values[p.reasonEnd.codes[i]].trim().toLowerCase();
    if (r === null || r === "" || r === "unknown") continue;
    labelled++;
    const done =
      rule.kind === "reason-end" ? r === "trackdone" : rule.kind === "played-30s" ? p.msPlayed[i] >= 30_000 : p.msPlayed[i] >= rule.fraction * (lengths as number[])[i];
    if (done) completed++;
  }
  return { labelled, completed };
}

// ------------------------------------------------------------ the rules on data-sample

test("every rule on data-sample: labelled set and base rate equal an independent count", () => {
  const labelled = new Set<number>();
  for (const rule of RULES) {
    const { plays, report } = relabel(sample.plays, rule);
    const expected = bruteBaseRate(sample.plays, rule);
    assert.equal(report.labelled, expected.labelled, `${report.rule}: labelled`);
    assert.equal(report.completed, expected.completed, `${report.rule}: completed`);
    labelled.add(report.labelled);
    for (let i = 0; i < plays.length; i++) assert.equal(plays.completed[i] >= 0, sample.plays.completed[i] >= 0, "same labelled plays under every rule");
  }
  assert.equal(labelled.size, 1);
  const rates = RULES.map((rule) => relabel(sample.plays, rule).report.completed);
  assert.ok(new Set(rates).size >= 4, `the rules must differ on data-sample: ${rates.join(",")}`);
});

test("ingest applies --label before anything else: the report and the completed column follow the rule", () => {
  const r = ingestExport({ export: path.join(root, "data-sample"), label: parseLabelRule("played-fraction=0.5") });
  const expected = bruteBaseRate(sample.plays, { kind: "played-fraction", fraction: 0.5 });
  assert.equal(r.report.label?.rule, "played-fraction=0.5");
  assert.equal(r.report.labelCoverage.completed, expected.completed);
  assert.equal(r.report.labelCoverage.labelled, expected.labelled);
  const src = r.report.label?.lengthEstimate?.sources;
  assert.ok(src);
  assert.equal(src.track + src.artist + src.global + src.default, expected.labelled);
  const brute = bruteLengths(sample.plays).source.filter((_, i) => sample.plays.completed[i] >= 0);
  for (const k of ["track", "artist", "global", "default"] as const) assert.equal(src[k], brute.filter((s) => s === k).length, `fallback ${k}`);
});

// ------------------------------------------------------------ the length estimate

test("RunningMedian: median of the set plus one extra value equals a sorted median", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let trial = 0; trial < 30; trial++) {
    const m = new RunningMedian();
    const seen: number[] = [];
    for (let k = 0; k < 60; k++) {
      const extra = rand() < 0.3 ? null : Math.round(rand() * 50);
      const want = extra === null ? (seen.length ? median(seen) : NaN) : median([...seen, extra]);
      const got = m.median(extra);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
      else assert.equal(got, want, `after ${seen.length} values, extra ${extra}`);
      const x = Math.round(rand() * 50);
      m.add(x);
      seen.push(x);
    }
  }
});

test("length estimate: own track's earlier trackdone plays, then artist, then all tracks, then the default", () => {
  const H = 3_600_000;
  const t0 = Date.parse("2024-01-01T00:00:00Z");
  const rows: PlayInput[] = [
    // artist X, track A: three trackdone plays of 200/210/240 s, one skip
    { start: t0, track: "A", artist: "X", msPlayed: 200_000 },
    { start: t0 + H, track: "A", artist: "X", msPlayed: 240_000 },
    { start: t0 + 2 * H, track: "A", artist: "X", msPlayed: 210_000 },
    { start: t0 + 3 * H, track: "A", artist: "X", msPlayed: 60_000, reasonEnd: "fwdbtn" },
    // track B (artist X) played once: the artist's median
    { start: t0 + 4 * H, track: "B", artist: "X", msPlayed: 50_000, reasonEnd: "fwdbtn" },
    // artist Y never finished anything: the global median
    { start: t0 + 5 * H, track: "C", artist: "Y", msPlayed: 100_000, reasonEnd: "endplay" },
    // a trackdone play of A that overlaps the next play: not yet ended when it starts
    { start: t0 + 6 * H, track: "A", artist: "X", msPlayed: 900_000 },
    { start: t0 + 6 * H + 60_000, track: "A", artist: "X", msPlayed: 30_000, reasonEnd: "fwdbtn" },
    { start: t0 + 7 * H, track: "D", artist: "Z", msPlayed: 1_000, reasonEnd: null },
  ];
  const early: PlayInput[] = [{ start: t0 - 9 * H, track: "Q", artist: "W", msPlayed: 10_000, reasonEnd: "fwdbtn" }];
  const p = makePlayTable([...early, ...rows]);
  const est = estimateTrackLengths(p);
  const at = (k: number) => ({ length: est.lengthMs[k], source: ["track", "artist", "global", "default"][est.source[k]] });
  assert.deepEqual(at(0), { length: 210_000, source: "default" }); // nothing finished yet anywhere
  assert.deepEqual(at(1), { length: 210_000, source: "default" }); // its own play only: 1 < 3
  assert.deepEqual(at(3), { length: 210_000, source: "track" }); // median(200, 240, 210) with itself
  assert.deepEqual(at(4), { length: 210_000, source: "track" });
  assert.deepEqual(at(5), { length: 210_000, source: "artist" }); // B: X's plays of A
  assert.deepEqual(at(6), { length: 210_000, source: "global" }); // Y: all tracks
  assert.deepEqual(at(7), { length: 225_000, source: "track" }); // its own 900 s joins: median(200, 210, 240, 900)
  assert.deepEqual(at(8), { length: 210_000, source: "track" }); // the 900 s play has not ended: median(200, 210, 240)
  assert.deepEqual(at(2), { length: 210_000, source: "default" }); // 2 of A's plays (with itself): still too few
  assert.deepEqual(est.counts, { track: 4, artist: 1, global: 1, default: 3 }, "labelled plays per source (the null-reason play is not counted)");
  assert.deepEqual(bruteLengths(p).length, Array.from(est.lengthMs));

  const half = labelsFor(p, { kind: "played-fraction", fraction: 0.5 }).completed;
  assert.deepEqual(Array.from(half), [0, 1, 1, 1, 0, 0, 0, 1, 0, -1]);
  const minOne = estimateTrackLengths(p, { minPlays: 1, defaultMs: 1 });
  assert.equal(minOne.lengthMs[0], 1);
  assert.equal(minOne.lengthMs[1], 200_000, "with minPlays 1 a play's own trackdone length suffices");
});

test("length estimate agrees with brute force on a random table", () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const rows: PlayInput[] = [];
  let t = Date.parse("2023-05-01T00:00:00Z");
  for (let k = 0; k < 500; k++) {
    t += Math.round(rand() * 400_000) - 30_000; // sometimes overlapping
    const track = `t${Math.floor(rand() * 40)}`;
    rows.push({
      start: t,
      track,
      artist: `a${Number(track.slice(1)) % 7}`,
      msPlayed: Math.round(rand() * 300_000),
      reasonEnd: ["trackdone", "trackdone", "fwdbtn", "endplay", null][Math.floor(rand() * 5)],
    });
  }
  const p = makePlayTable(rows);
  for (const minPlays of [1, 2, 3, 5]) {
    const est = estimateTrackLengths(p, { minPlays });
    const brute = bruteLengths(p, minPlays);
    assert.deepEqual(Array.from(est.lengthMs), brute.length, `minPlays ${minPlays}`);
    assert.deepEqual(Array.from(est.source, (s) => ["track", "artist", "global", "default"][s]), brute.source);
  }
});

// ------------------------------------------------------------ leakage

/**
 * Changes play i's ms_played (and so its end; its start stays), relabels under `rule`
 * and rebuilds features on the same split.
 */
function rowAfterChangingOwnMs(base: PlayTable, i: number, ms: number, rule: LabelRule, split: ReturnType<typeof chronologicalSplit>) {
  const q = clonePlayTable(base);
  q.msPlayed[i] = ms;
  q.endMs[i] = q.startMs[i] + ms;
  const plays = relabel(q, rule).plays;
  const data = { plays, account: sample.account, tech: sample.tech };
  const fs = new FeatureBuilder().fit(data, split).transform(data, split);
  const r = Array.from(fs.playIndex).indexOf(i);
  return { label: plays.completed[i], row: Array.from(fs.X.subarray(r * fs.cols, (r + 1) * fs.cols)) };
}

test("leakage at the label: a play's ms_played changes only its own label and labels of plays that start after it ended", () => {
  const base = sample.plays;
  let checked = 0;
  for (let i = 3; i < base.length; i += 37) {
    for (const ms of [1_000, 900_000]) {
      const q = clonePlayTable(base);
      q.msPlayed[i] = ms;
      q.endMs[i] = q.startMs[i] + ms;
      for (const rule of RULES) {
        const before = labelsFor(base, rule).completed;
        const after = labelsFor(q, rule).completed;
        const endMs = Math.min(base.endMs[i], q.endMs[i]);
        for (let j = 0; j < base.length; j++) {
          if (j === i || base.startMs[j] > endMs) continue;
          assert.equal(after[j], before[j], `play ${j} changed with play ${i}'s ms_played under ${JSON.stringify(rule)}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 100_000);
});

/**
 * Validation and test rows (every evaluated prediction): fit-time statistics (train priors,
 * the global rate) pool TRAINING labels by design, so a training row's own label reaches them,
 * diluted over every training play, whatever the rule; evaluated rows never see it.
 */
test("leakage: a play's own ms_played never changes its own features, under every rule", { timeout: 300_000 }, () => {
  const base = sample.plays;
  const split = chronologicalSplit(base, { testFraction: 0.2, validationFraction: 0.1 });
  // validation and test plays (the predictions that are evaluated), trackdone ones included: their ms feed later estimates
  const picks: number[] = [];
  for (let i = 0; i < base.length && picks.length < 12; i += 97) if (split.role[i] === 1 || split.role[i] === 2) picks.push(i);
  for (let i = base.length - 1, k = 0; i >= 0 && k < 4; i -= 53) if (split.role[i] === 2 && base.reasonEnd.values[base.reasonEnd.codes[i]] === "trackdone") {
      picks.push(i);
      k++;
    }
  assert.ok(picks.length >= 10);
  let labelChanged = 0;
  for (const rule of RULES) {
    for (const i of picks) {
      const short = rowAfterChangingOwnMs(base, i, 5_000, rule, split);
      const long = rowAfterChangingOwnMs(base, i, 1_200_000, rule, split);
      assert.deepEqual(short.row, long.row, `play ${i} under ${JSON.stringify(rule)}`);
      if (short.label !== long.label) labelChanged++;
    }
  }
  assert.ok(labelChanged > 0, "the perturbation must be able to change labels, or the test proves nothing");
});
