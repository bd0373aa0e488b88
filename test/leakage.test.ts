/**
 * Leakage tests: a row may only depend on what was known when its play STARTED, and
 * label-derived statistics only on TRAIN rows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chronologicalSplit, FeatureBuilder, type FeatureData, type FeatureSet, type SplitPlan } from "../src/features";
import type { DictColumn, PlayTable } from "../src/ingest/types";
import { clonePlayTable, makeAccount, makeData, makeTech, randomPlays } from "./helpers/playTable";

const MIN = 60_000;
const HOUR = 60 * MIN;

function randomData(seed: number, n = 400): FeatureData {
  const rows = randomPlays(seed, n);
  const first = rows[0].start as number;
  const last = rows[rows.length - 1].start as number;
  const events = (k: number) => Array.from({ length: k }, (_, j) => first + ((last - first) * (j * 7919 % k)) / k);
  return {
    plays: makeData(rows).plays,
    account: makeAccount({
      country: "DE",
      libraryTracks: [{ uri: "spotify:track:t3", track: "t3", artist: "a3", album: null }],
      playlistMemberships: [
        { trackUri: "spotify:track:t5", addedMs: first + 3 * HOUR },
        { trackUri: "spotify:track:t5", addedMs: (first + last) / 2 },
      ],
    }),
    tech: makeTech({ connectionError: events(60), playbackError: events(25), stutter: events(40) }),
  };
}

/** Row r of fs as raw bytes, so "identical" means bit-identical (NaN and -0 included). */
function rowBytes(fs: FeatureSet, r: number): Buffer {
  const v = fs.X.subarray(r * fs.cols, (r + 1) * fs.cols);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function rowOfPlay(fs: FeatureSet): Map<number, number> {
  const m = new Map<number, number>();
  for (let r = 0; r < fs.rows; r++) m.set(fs.playIndex[r], r);
  return m;
}

function setDict(col: DictColumn, i: number, value: string | null): void {
  if (value === null) {
    col.codes[i] = -1;
    return;
  }
  let c = col.values.indexOf(value);
  if (c < 0) {
    c = col.values.length;
    col.values.push(value);
  }
  col.codes[i] = c;
}

/** Rewrites every play after index `cut` (its label, length, track, context). Start times are kept. */
function scrambleAfter(p: PlayTable, cut: number): PlayTable {
  const q = clonePlayTable(p);
  for (let j = cut + 1; j < q.length; j++) {
    const done = q.completed[j] !== 1;
    q.completed[j] = done ? 1 : 0;
    setDict(q.reasonEnd, j, done ? "trackdone" : "fwdbtn");
    q.msPlayed[j] = done ? 200_000 : 1_000;
    q.endMs[j] = q.startMs[j] + q.msPlayed[j];
    setDict(q.trackUri, j, "spotify:track:later");
    setDict(q.trackName, j, "later");
    setDict(q.artistName, j, j % 2 ? "a0" : "new artist");
    setDict(q.platformFamily, j, "ios");
    setDict(q.connCountry, j, "JP");
    q.shuffle[j] = 1;
  }
  return q;
}

/** Appends `k` plays after the last one (all labelled, skips). */
function appendPlays(p: PlayTable, k: number): PlayTable {
  const q = clonePlayTable(p);
  const n = q.length;
  const grow = <T extends Float64Array | Int8Array | Int32Array>(a: T, fill: number): T => {
    const out = new (a.constructor as new (n: number) => T)(n + k);
    out.set(a);
    out.fill(fill as never, n);
    return out;
  };
  const last = q.startMs[n - 1];
  q.startMs = grow(q.startMs, 0);
  q.endMs = grow(q.endMs, 0);
  q.msPlayed = grow(q.msPlayed, 5_000);
  for (const col of [q.trackUri, q.trackName, q.artistName, q.albumName, q.platformRaw, q.platformFamily, q.connCountry, q.reasonStart, q.reasonEnd]) {
    col.codes = grow(col.codes, -1);
  }
  q.shuffle = grow(q.shuffle, 1);
  q.offline = grow(q.offline, 0);
  q.incognito = grow(q.incognito, 0);
  q.skipped = grow(q.skipped, 1);
  q.completed = grow(q.completed, 0);
  for (let j = n; j < n + k; j++) {
    q.startMs[j] = last + (j - n + 1) * MIN;
    q.endMs[j] = q.startMs[j] + q.msPlayed[j];
    setDict(q.trackUri, j, "spotify:track:t1");
    setDict(q.artistName, j, "a1");
    setDict(q.reasonEnd, j, "fwdbtn");
  }
  q.ts = Array.from(q.endMs, (e) => new Date(e).toISOString());
  q.length = n + k;
  return q;
}

function extendSplit(split: SplitPlan, n: number, fill: number): SplitPlan {
  const role = new Uint8Array(n).fill(fill);
  role.set(split.role);
  return { ...split, role };
}

/** Tech events at or after `t`, as many as there are already (doubles the later density). */
function withLaterErrors(data: FeatureData, t: number): FeatureData["tech"] {
  const later = (a: Float64Array) => Float64Array.from([...a, t, t + 1, t + HOUR, t + 23 * HOUR]).sort();
  return {
    connectionError: later(data.tech.connectionError),
    playbackError: later(data.tech.playbackError),
    stutter: later(data.tech.stutter),
    trackNotPlayed: later(data.tech.trackNotPlayed),
  };
}

function assertRowsIdenticalUpTo(a: FeatureSet, b: FeatureSet, cut: number, what: string): number {
  assert.deepEqual(a.names, b.names);
  const rb = rowOfPlay(b);
  let compared = 0;
  for (let r = 0; r < a.rows; r++) {
    const i = a.playIndex[r];
    if (i > cut) continue;
    const s = rb.get(i);
    assert.ok(s !== undefined, `${what}: play ${i} lost its row`);
    assert.ok(rowBytes(a, r).equals(rowBytes(b, s)), `${what}: row of play ${i} changed (cut ${cut})`);
    assert.equal(a.sessionId[r], b.sessionId[s]);
    assert.equal(a.sessionPosition[r], b.sessionPosition[s]);
    compared++;
  }
  return compared;
}

test("(1) a row does not change when only later plays, labels and tech events change (fixed fit)", () => {
  for (const seed of [1, 2, 3]) {
    const data = randomData(seed);
    const split = chronologicalSplit(data.plays);
    const builder = new FeatureBuilder().fit(data, split);
    const base = builder.transform(data, split, { includeLeaky: false });
    for (const cut of [5, 57, 150, 260, 330, data.plays.length - 2]) {
      const later = { plays: scrambleAfter(data.plays, cut), account: data.account, tech: withLaterErrors(data, data.plays.startMs[cut] + 1) };
      const compared = assertRowsIdenticalUpTo(base, builder.transform(later, split), cut, `seed ${seed} scrambled`);
      assert.ok(compared > 0 || cut < 10);
    }
    const appended = { ...data, plays: appendPlays(data.plays, 25) };
    const ext = extendSplit(split, appended.plays.length, 2);
    const compared = assertRowsIdenticalUpTo(base, builder.transform(appended, ext), data.plays.length - 1, `seed ${seed} appended`);
    assert.equal(compared, base.rows);
  }
});

test("(1b) with a refit, rows up to a cut inside the test window ignore everything later", () => {
  const data = randomData(7);
  const split = chronologicalSplit(data.plays);
  const firstTest = split.role.indexOf(2);
  const base = new FeatureBuilder().fitTransform(data, split);
  for (const cut of [firstTest, firstTest + 20, data.plays.length - 5]) {
    const later = { plays: scrambleAfter(data.plays, cut), account: data.account, tech: withLaterErrors(data, data.plays.startMs[cut] + 1) };
    const refit = new FeatureBuilder().fitTransform(later, split);
    assertRowsIdenticalUpTo(base, refit, cut, "refit");
  }
});

test("(1c) the comparison is not vacuous: changing an EARLIER play does change later rows", () => {
  const data = randomData(4);
  const split = chronologicalSplit(data.plays);
  const builder = new FeatureBuilder().fit(data, split);
  const base = builder.transform(data, split);
  const p = clonePlayTable(data.plays);
  // make play 10 an unfinished skip of a different track: the next play's previous-play features must move
  const i = 10;
  setDict(p.reasonEnd, i, p.completed[i] === 1 ? "fwdbtn" : "trackdone");
  p.completed[i] = p.completed[i] === 1 ? 0 : 1;
  const changed = builder.transform({ ...data, plays: p }, split);
  const later = rowOfPlay(changed);
  let differs = 0;
  for (let r = 0; r < base.rows; r++) {
    const s = later.get(base.playIndex[r]);
    if (base.playIndex[r] > i && s !== undefined && !rowBytes(base, r).equals(rowBytes(changed, s))) differs++;
  }
  assert.ok(differs > 0);
});

function flipLabels(p: PlayTable, role: Uint8Array, which: number): PlayTable {
  const q = clonePlayTable(p);
  for (let j = 0; j < q.length; j++) {
    if (role[j] !== which) continue;
    const done = q.completed[j] !== 1;
    q.completed[j] = done ? 1 : 0;
    setDict(q.reasonEnd, j, done ? "trackdone" : "fwdbtn");
  }
  return q;
}

const PRIOR_COLUMNS = ["track_train_skip_rate", "artist_train_skip_rate", "track_train_play_count_log", "artist_train_play_count_log"];

test("(2) priors ignore test rows: flipping every test label leaves priors (and all train/validation rows) identical", () => {
  for (const seed of [11, 12]) {
    const data = randomData(seed, 500);
    const split = chronologicalSplit(data.plays, { testFraction: 0.3 });
    const base = new FeatureBuilder().fitTransform(data, split);
    const flipped = new FeatureBuilder().fitTransform({ ...data, plays: flipLabels(data.plays, split.role, 2) }, split);
    assert.equal(base.rows, flipped.rows);
    const cols = PRIOR_COLUMNS.map((c) => base.names.indexOf(c));
    assert.ok(cols.every((j) => j >= 0));
    for (let r = 0; r < base.rows; r++) {
      assert.equal(base.playIndex[r], flipped.playIndex[r]);
      if (base.role[r] !== 2) {
        assert.ok(rowBytes(base, r).equals(rowBytes(flipped, r)), `train/validation row ${r} changed`);
      }
      for (const j of cols) assert.ok(Object.is(base.X[r * base.cols + j], flipped.X[r * base.cols + j]), `${base.names[j]} of row ${r}`);
    }
    // and test labels never reach the y of other rows
    for (let r = 0; r < base.rows; r++) if (base.role[r] !== 2) assert.equal(base.y[r], flipped.y[r]);
  }
});

test("(2b) the prior check can fail: flipping TRAIN labels moves the priors", () => {
  const data = randomData(11, 500);
  const split = chronologicalSplit(data.plays, { testFraction: 0.3 });
  const base = new FeatureBuilder().fitTransform(data, split);
  const flipped = new FeatureBuilder().fitTransform({ ...data, plays: flipLabels(data.plays, split.role, 0) }, split);
  const j = base.names.indexOf("track_train_skip_rate");
  let moved = 0;
  for (let r = 0; r < base.rows; r++) if (base.role[r] === 2 && base.X[r * base.cols + j] !== flipped.X[r * base.cols + j]) moved++;
  assert.ok(moved > 0);
});

test("(2c) a training row's prior does not contain its own label (leave-one-out)", () => {
  // one track played twice in train: completed, then skipped
  const data = makeData([
    { start: "2024-01-01T10:00:00Z", track: "A", reasonEnd: "trackdone" },
    { start: "2024-01-01T10:03:00Z", track: "A", reasonEnd: "fwdbtn" },
    { start: "2024-01-01T10:06:00Z", track: "B", reasonEnd: "trackdone" },
    { start: "2024-01-01T10:09:00Z", track: "B", reasonEnd: "trackdone" },
    { start: "2024-01-02T10:00:00Z", track: "A", reasonEnd: "trackdone" },
  ]);
  const split = chronologicalSplit(data.plays, { testFraction: 0.2, validationFraction: 0 });
  const fs = new FeatureBuilder({ priorStrength: 5 }).fitTransform(data, split);
  const j = fs.names.indexOf("track_train_skip_rate");
  const at = (r: number) => fs.X[r * fs.cols + j];
  // row 0 (completed): others = {skip} over 1 play, global LOO = 1/3
  assert.ok(Math.abs(at(0) - (1 + 5 * (1 / 3)) / 6) < 1e-12);
  // row 1 (skipped): others = {done}, global LOO = 0/3
  assert.ok(Math.abs(at(1) - (0 + 5 * 0) / 6) < 1e-12);
  // test row: full stats 1 skip of 2, g = 1/4
  assert.equal(fs.role[4], 2);
  assert.ok(Math.abs(at(4) - (1 + 5 * 0.25) / 7) < 1e-12);
});

test("(3) the previous play is taken in START order, and only once it has ended", () => {
  // start order A, B, C; end order B, C?, A: A is a long play still running when B and C start
  const data = makeData([
    { start: "2024-05-01T10:00:00Z", msPlayed: 60 * MIN, track: "A", reasonEnd: "fwdbtn" },
    { start: "2024-05-01T10:05:00Z", msPlayed: 2 * MIN, track: "B", reasonEnd: "backbtn" },
    { start: "2024-05-01T10:10:00Z", msPlayed: 3 * MIN, track: "C", reasonEnd: "trackdone" },
    { start: "2024-05-01T10:20:00Z", msPlayed: 3 * MIN, track: "D", reasonEnd: "endplay" },
  ]);
  const split = chronologicalSplit(data.plays, { testFraction: 0, validationFraction: 0 });
  const fs = new FeatureBuilder({ timeZone: "UTC" }).fitTransform(data, split);
  const col = (name: string) => {
    const j = fs.names.indexOf(name);
    assert.ok(j >= 0, name);
    return (r: number) => fs.X[r * fs.cols + j];
  };
  const prev = (r: number) =>
    ["trackdone", "fwdbtn", "backbtn", "endplay", "other", "none"].filter((c) => col(`prev_end_reason=${c}`)(r) === 1);
  assert.deepEqual(prev(0), ["none"]); // nothing before
  assert.deepEqual(prev(1), ["none"]); // A (start-order previous) had not ended at 10:05
  assert.deepEqual(prev(2), ["backbtn"]); // B, not A (A ends last)
  assert.deepEqual(prev(3), ["trackdone"]); // C
  assert.ok(Math.abs(col("gap_since_prev_end_log1p_s")(2) - Math.log1p(180)) < 1e-12);
  assert.equal(col("gap_since_prev_end_log1p_s")(1), 0); // overlap → 0, not negative
  // recent skip rate at C: A (a skip) has not ended, only B (a skip) counts; g = 3/4 skips... of train
  const g = 3 / 4;
  assert.ok(Math.abs(col("recent_skip_rate_10")(2) - (1 + 9 * g) / 10) < 1e-12);
  assert.ok(Math.abs(col("recent_skip_rate_10")(1) - g) < 1e-12);
  assert.deepEqual(Array.from(fs.sessionPosition), [1, 2, 3, 4]);
});

test("(4) tech errors at or after a play's start never count; the window is the 24 h before it", () => {
  const start = Date.parse("2024-06-10T12:00:00Z");
  const data = makeData(
    [
      { start: "2024-06-09T08:00:00Z", track: "A" },
      { start, track: "B", reasonEnd: "fwdbtn" },
    ],
    {
      tech: {
        connectionError: [start - 24 * HOUR - 1, start - 24 * HOUR, start - 1, start, start + 1, start + 5 * HOUR],
        playbackError: [start + 1000],
        stutter: ["2024-06-10T00:00:01Z", "2024-06-10T23:59:00Z"],
      },
    },
  );
  const split = chronologicalSplit(data.plays, { testFraction: 0.5, validationFraction: 0 });
  const fs = new FeatureBuilder().fitTransform(data, split);
  const v = (name: string, r: number) => fs.X[r * fs.cols + fs.names.indexOf(name)];
  assert.equal(v("connection_error_24h", 1), 2); // start-24h and start-1; not start, not later
  assert.equal(v("playback_error_24h", 1), 0); // same day but after the start
  assert.equal(v("stutter_24h", 1), 1); // same calendar day: only the one before
  assert.equal(v("connection_error_24h", 0), 0);
});

test("(6) no column names the play's own reason_end / ms_played / skipped unless includeLeaky", () => {
  const data = randomData(5, 200);
  const split = chronologicalSplit(data.plays);
  const builder = new FeatureBuilder().fit(data, split);
  const safe = builder.transform(data, split);
  const banned = /reason_end|ms_played|skipped/i;
  assert.deepEqual(safe.names.filter((n) => banned.test(n)), []);
  assert.ok(!safe.groups.includes("leaky"));
  const leaky = builder.transform(data, split, { includeLeaky: true });
  const leakNames = leaky.names.filter((n) => banned.test(n));
  assert.ok(leakNames.includes("leak_reason_end_trackdone") && leakNames.includes("leak_ms_played_log"));
  leaky.names.forEach((n, j) => assert.equal(banned.test(n), leaky.groups[j] === "leaky", n));
  // the leak is real: leak_reason_end_trackdone equals the label
  const j = leaky.names.indexOf("leak_reason_end_trackdone");
  for (let r = 0; r < leaky.rows; r++) assert.equal(leaky.X[r * leaky.cols + j], leaky.y[r]);
  // and the safe columns are a prefix of the leaky ones, value for value
  for (let r = 0; r < safe.rows; r++) {
    for (let c = 0; c < safe.cols; c++) assert.ok(Object.is(safe.X[r * safe.cols + c], leaky.X[r * leaky.cols + c]));
  }
});
