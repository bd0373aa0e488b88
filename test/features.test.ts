import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chronologicalSplit,
  describeFeatures,
  FeatureBuilder,
  featureGroups,
  OffsetCache,
  representativeRows,
  resolveTimeZone,
  rollingOriginSplits,
  type FeatureSet,
} from "../src/features";
import { fitStage1, rawWeights, stage1Proba } from "../src/features/stage1";
import { mulberry32 } from "../src/common/rng";
import { clonePlayTable, makeData, makePlayTable, randomPlays, type PlayInput } from "./helpers/playTable";

const MIN = 60_000;

function value(fs: FeatureSet, r: number, name: string): number {
  const j = fs.names.indexOf(name);
  assert.ok(j >= 0, `no column ${name}`);
  return fs.X[r * fs.cols + j];
}

function series(n: number, startIso: string, stepMin: number, extra: (k: number) => Partial<PlayInput> = () => ({})): PlayInput[] {
  const t0 = Date.parse(startIso);
  return Array.from({ length: n }, (_, k) => ({ start: t0 + k * stepMin * MIN, msPlayed: 2 * MIN, ...extra(k) }));
}

test("chronologicalSplit cuts labelled plays by start time; unlabelled plays get 255", () => {
  // 20 labelled + every 5th unlabelled
  const plays = makePlayTable(series(25, "2024-01-01T00:00:00Z", 10, (k) => ({ reasonEnd: k % 5 === 4 ? null : "trackdone" })));
  const s = chronologicalSplit(plays, { testFraction: 0.2, validationFraction: 0.25 });
  assert.deepEqual(s.counts, { train: 12, validation: 4, test: 4, unlabelled: 5 });
  for (let i = 0; i < plays.length; i++) {
    if (plays.completed[i] < 0) assert.equal(s.role[i], 255);
    else if (s.role[i] === 0) assert.ok(plays.startMs[i] < s.trainEndMs);
    else if (s.role[i] === 1) assert.ok(plays.startMs[i] >= s.trainEndMs && plays.startMs[i] < s.validationEndMs);
    else assert.ok(plays.startMs[i] >= s.validationEndMs);
  }
  // roles never go back in time
  let last = 0;
  for (let i = 0; i < plays.length; i++) if (s.role[i] !== 255) { assert.ok(s.role[i] >= last); last = s.role[i]; }
  assert.equal(s.trainEndIso, new Date(s.trainEndMs).toISOString());
  assert.match(s.validationEndIso, /^\d{4}-\d\d-\d\dT/);
  assert.throws(() => chronologicalSplit(makePlayTable([{ start: 0, reasonEnd: null }])), /reason_end/);
});

test("rollingOriginSplits: expanding train window, consecutive test blocks, last ends with the data", () => {
  const plays = makePlayTable(series(100, "2024-01-01T00:00:00Z", 10));
  const folds = rollingOriginSplits(plays, { folds: 3, testFraction: 0.1, validationFraction: 0 });
  assert.equal(folds.length, 3);
  assert.deepEqual(folds.map((f) => [f.counts.train, f.counts.test]), [[70, 10], [80, 10], [90, 10]]);
  assert.equal(folds[2].role[99], 2);
  assert.equal(folds[0].role[99], 255);
  assert.throws(() => rollingOriginSplits(plays, { folds: 5, testFraction: 0.25 }));
});

test("time zone: option > profile country > train conn_country > UTC, with reasons", () => {
  const plays = makePlayTable(series(10, "2024-01-01T00:00:00Z", 10, (k) => ({ country: k < 7 ? "JP" : "FR" })));
  const all = () => true;
  assert.equal(resolveTimeZone(plays, all, "DE", "America/Chicago").source, "option");
  assert.deepEqual(
    [resolveTimeZone(plays, all, "DE").zone, resolveTimeZone(plays, all, "DE").source],
    ["Europe/Berlin", "profile-country"],
  );
  const conn = resolveTimeZone(plays, all, null);
  assert.equal(conn.zone, "Asia/Tokyo");
  assert.match(conn.reason, /conn_country/);
  assert.equal(resolveTimeZone(plays, (i) => i >= 7, null).zone, "Europe/Paris"); // only TRAIN rows vote
  assert.match(resolveTimeZone(plays, all, "US").reason, /several zones/);
  assert.equal(resolveTimeZone(makePlayTable([{ start: 0, country: null }]), all, "ZZ").zone, "UTC");
  assert.throws(() => resolveTimeZone(plays, all, null, "Mars/Olympus"), /Unknown time zone/);
});

test("offset cache follows DST, including the transition day", () => {
  const c = new OffsetCache("Europe/Berlin");
  const H = 3_600_000;
  assert.equal(c.offset(Date.parse("2024-01-15T10:00:00Z")), 1 * H);
  assert.equal(c.offset(Date.parse("2024-07-15T10:00:00Z")), 2 * H);
  assert.equal(c.offset(Date.parse("2024-03-31T00:30:00Z")), 1 * H); // before 01:00Z switch
  assert.equal(c.offset(Date.parse("2024-03-31T01:30:00Z")), 2 * H);
  assert.equal(new OffsetCache("America/New_York").offset(Date.parse("2024-11-03T07:00:00Z")), -5 * H);
  assert.equal(new OffsetCache("Asia/Kolkata").offset(Date.parse("2024-11-03T07:00:00Z")), 5.5 * H);
});

test("time features are in local time: hour, day part, weekend, month", () => {
  // Saturday 2024-07-06 21:30 UTC = Saturday 23:30 in Berlin; Sunday 2024-01-07 23:30 UTC = Monday 00:30 Berlin
  const data = makeData([
    { start: "2024-01-07T23:30:00Z" },
    { start: "2024-07-06T21:30:00Z" },
  ]);
  const split = chronologicalSplit(data.plays, { testFraction: 0, validationFraction: 0 });
  const fs = new FeatureBuilder({ timeZone: "Europe/Berlin" }).fitTransform(data, split);
  const hourOf = (r: number) => ((Math.atan2(value(fs, r, "hour_sin"), value(fs, r, "hour_cos")) / (2 * Math.PI)) * 24 + 24) % 24;
  assert.ok(Math.abs(hourOf(0) - 0.5) < 1e-9);
  assert.ok(Math.abs(hourOf(1) - 23.5) < 1e-9);
  assert.equal(value(fs, 0, "daypart=night"), 1);
  assert.equal(value(fs, 1, "daypart=evening"), 1);
  assert.equal(value(fs, 0, "is_weekend"), 0); // Monday locally, Sunday in UTC
  assert.equal(value(fs, 1, "is_weekend"), 1);
  assert.ok(Math.abs(value(fs, 0, "month_sin") - 0) < 1e-12 && Math.abs(value(fs, 0, "month_cos") - 1) < 1e-12); // January
  assert.ok(Math.abs(value(fs, 1, "month_cos") - Math.cos((2 * Math.PI * 6) / 12)) < 1e-12); // July
  const utc = new FeatureBuilder({ timeZone: "UTC" }).fitTransform(data, split);
  assert.equal(value(utc, 0, "is_weekend"), 1);
});

test("sessions: a >30 min gap from the previous END starts a new session", () => {
  const t = Date.parse("2024-02-01T08:00:00Z");
  const data = makeData([
    { start: t, msPlayed: 60 * MIN }, // ends 09:00
    { start: t + 85 * MIN }, // 25 min after the end: same session
    { start: t + 200 * MIN }, // ~112 min after: new
    { start: t + 204 * MIN, reasonEnd: null }, // unlabelled still counts for position
    { start: t + 208 * MIN, reasonEnd: "fwdbtn" },
  ]);
  const fs = new FeatureBuilder().fitTransform(data, chronologicalSplit(data.plays, { testFraction: 0, validationFraction: 0 }));
  assert.deepEqual(Array.from(fs.sessionId), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(fs.sessionPosition), [1, 2, 1, 3]);
  assert.equal(value(fs, 3, "prev_end_reason=other"), 1); // previous play had no reason
  assert.ok(Math.abs(value(fs, 3, "session_position_log1p") - Math.log1p(3)) < 1e-12);
  assert.equal(value(fs, 2, "is_session_start"), 1);
});

test("recent_skip_rate_10 uses the 10 previous labelled plays, smoothed toward the train rate when fewer", () => {
  const rows = series(14, "2024-02-01T08:00:00Z", 3, (k) => ({ reasonEnd: k < 4 ? "fwdbtn" : k === 7 ? null : "trackdone" }));
  const data = makeData(rows);
  const fs = new FeatureBuilder().fitTransform(data, chronologicalSplit(data.plays, { testFraction: 0, validationFraction: 0 }));
  // empty slots hold the train skip rate 4/13, leave-one-out for these training rows (both skips): 3/12
  const g = 3 / 12;
  assert.ok(Math.abs(value(fs, 0, "recent_skip_rate_10") - g) < 1e-12);
  assert.ok(Math.abs(value(fs, 2, "recent_skip_rate_10") - (2 + 8 * g) / 10) < 1e-12); // plays 0,1 skipped
  // row 12 = play 13: previous labelled plays are 12,11,10,9,8,6,5,4,3,2 → 2 skips (3 and 2)
  assert.equal(fs.playIndex[12], 13);
  assert.ok(Math.abs(value(fs, 12, "recent_skip_rate_10") - 0.2) < 1e-12);
});

test("priors: validation/test rows use full train stats; unseen tracks fall back to the global rate", () => {
  const data = makeData([
    { start: "2024-01-01T10:00:00Z", track: "A", artist: "X", reasonEnd: "fwdbtn" },
    { start: "2024-01-01T10:05:00Z", track: "A", artist: "X", reasonEnd: "trackdone" },
    { start: "2024-01-01T10:10:00Z", track: "B", artist: "Y", reasonEnd: "trackdone" },
    { start: "2024-01-01T10:15:00Z", track: "B", artist: "Y", reasonEnd: "trackdone" },
    { start: "2024-01-02T10:00:00Z", track: "A", artist: "X", reasonEnd: "trackdone" },
    { start: "2024-01-02T10:05:00Z", track: "C", artist: "Z", reasonEnd: "trackdone" },
  ]);
  const split = chronologicalSplit(data.plays, { testFraction: 2 / 6, validationFraction: 0 });
  const fs = new FeatureBuilder({ priorStrength: 5 }).fitTransform(data, split);
  const g = 1 / 4;
  assert.ok(Math.abs(value(fs, 4, "track_train_skip_rate") - (1 + 5 * g) / 7) < 1e-12);
  assert.ok(Math.abs(value(fs, 4, "track_train_play_count_log") - Math.log1p(2)) < 1e-12);
  assert.ok(Math.abs(value(fs, 5, "track_train_skip_rate") - g) < 1e-12);
  assert.equal(value(fs, 5, "track_train_play_count_log"), 0);
  assert.ok(Math.abs(value(fs, 4, "track_plays_before_log1p") - Math.log1p(2)) < 1e-12);
  assert.equal(value(fs, 5, "is_first_play_of_track"), 1);
  assert.equal(value(fs, 1, "is_first_play_of_track"), 0);
  assert.ok(Math.abs(value(fs, 1, "track_train_play_count_log") - Math.log1p(1)) < 1e-12); // leave-one-out count
});

test("context vocabularies: sorted, fitted on train, unseen and null values → __unknown__, top-k countries + other", () => {
  const rows: PlayInput[] = series(30, "2024-03-01T10:00:00Z", 5, (k) => ({
    platform: k % 2 ? "ios" : "android",
    country: k < 12 ? "DE" : k < 20 ? "FR" : k < 24 ? "SE" : "NL",
    reasonStart: k % 3 ? "clickrow" : null,
  }));
  rows[29].platform = "playstation"; // only in test
  const data = makeData(rows);
  const split = chronologicalSplit(data.plays, { testFraction: 0.2, validationFraction: 0 });
  const fs = new FeatureBuilder({ topCountries: 2, timeZone: "UTC" }).fitTransform(data, split);
  const ctx = fs.names.filter((n, j) => fs.groups[j] === "context");
  assert.deepEqual(ctx.filter((n) => n.startsWith("platform=")), ["platform=android", "platform=ios", "platform=__unknown__"]);
  assert.deepEqual(ctx.filter((n) => n.startsWith("conn_country=")), ["conn_country=DE", "conn_country=FR", "conn_country=other", "conn_country=__unknown__"]);
  assert.deepEqual(ctx.filter((n) => n.startsWith("shuffle=")), ["shuffle=false", "shuffle=__unknown__"]); // true never seen in train
  const last = fs.rows - 1;
  assert.equal(value(fs, last, "platform=__unknown__"), 1);
  assert.equal(value(fs, last, "conn_country=other"), 1);
  assert.equal(value(fs, 0, "reason_start=__unknown__"), 1);
  for (let r = 0; r < fs.rows; r++) {
    let s = 0;
    for (const n of ctx) if (n.startsWith("conn_country=")) s += value(fs, r, n);
    assert.equal(s, 1);
  }
});

test("account: library flag by URI; playlists count only entries added before the play", () => {
  const t = Date.parse("2024-04-01T10:00:00Z");
  const data = makeData(
    [
      { start: t, track: "A" },
      { start: t + 10 * MIN, track: "A" },
      { start: t + 20 * MIN, track: "B" },
    ],
    {
      account: {
        libraryTracks: [{ uri: "spotify:track:A", track: "A", artist: null, album: null }],
        playlistMemberships: [
          { trackUri: "spotify:track:A", addedMs: t + 5 * MIN },
          { trackUri: "spotify:track:A", addedMs: t - 1 },
          { trackUri: "spotify:track:A", addedMs: null },
          { trackUri: "spotify:track:B", addedMs: t + 20 * MIN }, // same instant: not before
        ],
      },
    },
  );
  const split = chronologicalSplit(data.plays, { testFraction: 0, validationFraction: 0 });
  const fs = new FeatureBuilder().fitTransform(data, split);
  assert.deepEqual([0, 1, 2].map((r) => value(fs, r, "in_library")), [1, 1, 0]);
  assert.deepEqual([0, 1, 2].map((r) => value(fs, r, "playlists_with_track_before")), [1, 2, 0]);
  const strict = new FeatureBuilder({ useLibrarySnapshot: false }).fitTransform(data, split);
  assert.ok(!strict.names.includes("in_library"));
});

test("the transform after fit reuses fit's per-play lookups once and drops them; a second transform rebuilds the same matrix", () => {
  const data = makeData(randomPlays(4, 300));
  const split = chronologicalSplit(data.plays);
  const builder = new FeatureBuilder().fit(data, split);
  const held = () => (builder as unknown as { cache: unknown }).cache;
  assert.notEqual(held(), null);
  const first = builder.transform(data, split);
  assert.equal(held(), null, "the lookups are not kept for the rest of the run");
  const second = builder.transform(data, split);
  assert.deepEqual(second.X, first.X);
  assert.deepEqual(second.y, first.y);
});

test("transform refuses a different split than fit; describeFeatures and featureGroups summarise columns", () => {
  const data = makeData(randomPlays(3, 300));
  const split = chronologicalSplit(data.plays);
  const builder = new FeatureBuilder().fit(data, split);
  assert.throws(() => builder.transform(data, chronologicalSplit(data.plays, { testFraction: 0.5 })), /split/);
  const fs = builder.transform(data, split, { includeLeaky: true });
  const rows = describeFeatures(fs);
  assert.equal(rows.length, fs.cols);
  const weekend = rows.find((r) => r.name === "is_weekend");
  assert.ok(weekend && weekend.min === 0 && weekend.max === 1 && weekend.mean !== null && weekend.mean > 0 && weekend.mean < 1);
  const groups = featureGroups(fs);
  assert.equal(groups["hour_sin"], "time");
  assert.equal(groups["prev_end_reason=fwdbtn"], "session");
  assert.equal(groups["track_train_skip_rate"], "behaviour");
  assert.equal(groups["platform=android"], "context");
  assert.equal(groups["in_library"], "account");
  assert.equal(groups["stutter_24h"], "reliability");
  assert.equal(groups["leak_ms_played_log"], "leaky");
  // name-based fallback agrees with the builder's groups
  assert.deepEqual(featureGroups({ names: fs.names }), groups);
  assert.equal(describeFeatures(fs, { role: 7 })[0].mean, null);
  assert.ok(Number.isFinite(builder.summary().globalTrainCompletionRate));
  for (const v of fs.X) assert.ok(Number.isFinite(v));
});

test("representativeRows: full train priors, usual context, no test information", () => {
  const data = makeData(randomPlays(8, 400));
  const split = chronologicalSplit(data.plays);
  const builder = new FeatureBuilder({ timeZone: "Europe/Berlin" }).fit(data, split);
  const fs = builder.transform(data, split);
  const probe = representativeRows(builder, data, split, [
    { trackUri: "spotify:track:t1", artist: "a1" },
    { trackUri: "spotify:track:never", artist: null },
  ], { features: fs });
  assert.equal(probe.rows, 2);
  assert.deepEqual(probe.names, fs.names);
  const at = (r: number, n: string) => probe.X[r * probe.cols + probe.names.indexOf(n)];
  const st = builder.fitted;
  const t1 = st.priors.track.get("spotify:track:t1");
  assert.ok(t1);
  assert.ok(Math.abs(at(0, "track_train_skip_rate") - (t1.skips + 5 * st.globalSkipRate) / (t1.n + 5)) < 1e-12);
  assert.equal(at(1, "track_train_skip_rate"), st.globalSkipRate);
  assert.equal(at(1, "is_first_play_of_track"), 1);
  assert.equal(at(0, "recent_skip_rate_10"), st.globalSkipRate);
  assert.ok(probe.context.atMs >= split.validationEndMs);
  for (const prefix of Object.keys(probe.context.categories)) {
    let s = 0;
    probe.names.forEach((n, j) => { if (n.startsWith(prefix + "=")) s += probe.X[j]; });
    assert.equal(s, 1, prefix);
  }
});

test("representativeRows: each track's as-of standing at the end of the window, untouched by later labels", () => {
  const rows = [];
  const t = Date.parse("2024-01-01T10:00:00Z");
  for (let k = 0; k < 60; k++) {
    const track = k % 3 === 0 ? "A" : k % 3 === 1 ? "B" : "C";
    // A always finished, B always skipped before the cut; in the test window everything flips
    const early = k < 45;
    const done = track === "A" ? early : track === "B" ? !early : k % 2 === 0;
    rows.push({ start: t + k * 10 * MIN, track, artist: track === "C" ? "Y" : "X", reasonEnd: done ? "trackdone" : "fwdbtn" });
  }
  const data = makeData(rows);
  const split = chronologicalSplit(data.plays, { testFraction: 0.25, validationFraction: 0 });
  const builder = new FeatureBuilder({ timeZone: "UTC" }).fit(data, split);
  const cands = [{ trackUri: "spotify:track:A", artist: "X" }, { trackUri: "spotify:track:B", artist: "X" }];
  const probe = representativeRows(builder, data, split, cands);
  const at = (p: typeof probe, r: number, n: string) => p.X[r * p.cols + p.names.indexOf(n)];
  assert.ok(at(probe, 0, "track_asof_completion_rate") > 0.8);
  assert.ok(at(probe, 1, "track_asof_completion_rate") < 0.2);
  // A's 15 plays before the cut, all completed: its rate is (15 + m·artist rate) / (15 + m)
  const mTrack = builder.fitted.asOf.mTrack;
  assert.ok(Math.abs(Math.expm1(at(probe, 0, "track_plays_before_log1p")) - 15) < 1e-9);
  assert.ok(Math.abs(at(probe, 0, "track_asof_completion_rate") - (15 + mTrack * at(probe, 0, "artist_asof_completion_rate")) / (15 + mTrack)) < 1e-9);
  assert.ok(at(probe, 0, "track_residual_eb") > at(probe, 1, "track_residual_eb"));
  // the first test-window play of A sees the same outcomes as the probe
  const fs = builder.transform(data, split);
  const firstTestA = Array.from({ length: fs.rows }, (_, r) => r).find((r) => fs.role[r] === 2 && data.plays.trackUri.values[data.plays.trackUri.codes[fs.playIndex[r]]] === "spotify:track:A");
  assert.ok(firstTestA !== undefined);
  const col = fs.names.indexOf("track_asof_completion_rate");
  assert.ok(Math.abs(fs.X[firstTestA * fs.cols + col] - at(probe, 0, "track_asof_completion_rate")) < 1e-9);
  // flipping every test label changes nothing in the probe
  const p = clonePlayTable(data.plays);
  for (let i = 0; i < p.length; i++) if (split.role[i] === 2) p.completed[i] = 1 - p.completed[i];
  const later = { ...data, plays: p };
  const b2 = new FeatureBuilder({ timeZone: "UTC" }).fit(later, split);
  const probe2 = representativeRows(b2, later, split, cands);
  assert.deepEqual(Array.from(probe2.X), Array.from(probe.X));
});

test("stage 1 (the residual features' context model) reaches the minimum of its penalised log loss and recovers planted weights", () => {
  // Columns as the builder lays them out: two continuous, a one-hot group (sums to 1, like
  // the context one-hots: collinear with the intercept), and one column stage 1 must ignore.
  const rand = mulberry32(7);
  const rows = 6000;
  const cols = 6;
  const X = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  const role = new Uint8Array(rows);
  const planted = { b: -0.3, a0: 0.8, a1: -0.5, hot: [0, 0.6, -0.4] };
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    X[o] = rand() * 2 - 1;
    X[o + 1] = rand() * 4;
    const k = Math.floor(rand() * 3);
    X[o + 2 + k] = 1;
    X[o + 5] = rand();
    const z = planted.b + planted.a0 * X[o] + planted.a1 * X[o + 1] + planted.hot[k];
    y[r] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    role[r] = r % 10 === 9 ? 1 : 0; // validation rows: never read
  }
  const columns = Int32Array.from([0, 1, 2, 3, 4]);
  const l2 = 1e-3;
  const model = fitStage1(X, cols, y, role, columns, { l2, maxIter: 20 });
  assert.ok(model.iterations < 20, `Newton converged (${model.iterations} steps)`);
  // gradient of  mean log loss + λ‖w‖²  (w on scaled columns, intercept unpenalised), from scratch
  const a = rawWeights(model);
  const grad = new Float64Array(columns.length + 1);
  let m = 0;
  for (let r = 0; r < rows; r++) {
    if (role[r] !== 0) continue;
    m++;
    const e = stage1Proba(model, a, X, r * cols) - y[r];
    grad[columns.length] += e;
    columns.forEach((c, k) => (grad[k] += (e * X[r * cols + c]) / model.scale[k]));
  }
  const g = Array.from(grad, (v, k) => v / m + (k < columns.length ? 2 * l2 * model.weights[k] : 0));
  assert.ok(Math.max(...g.map(Math.abs)) < 1e-8, `gradient at the fit ${g.map((v) => v.toExponential(1)).join(", ")}`);
  // planted effects, up to sampling noise (the one-hot contrasts are identified, not levels)
  assert.ok(Math.abs(a[0] - planted.a0) < 0.15, `a0 ${a[0]}`);
  assert.ok(Math.abs(a[1] - planted.a1) < 0.08, `a1 ${a[1]}`);
  assert.ok(Math.abs(a[3] - a[2] - (planted.hot[1] - planted.hot[0])) < 0.2, `hot contrast ${a[3] - a[2]}`);
  assert.ok(Math.abs(a[4] - a[2] - (planted.hot[2] - planted.hot[0])) < 0.2, `hot contrast ${a[4] - a[2]}`);
});
