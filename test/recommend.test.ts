import { test } from "node:test";
import assert from "node:assert/strict";
import { chronologicalSplit, FeatureBuilder } from "../src/features";
import { buildResumePlaylist, recommendationHitRate, popularityList } from "../src/recommend";
import { makeData, type PlayInput } from "./helpers/playTable";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generateExport } from "../src/sample";
import { ingestExport } from "../src/ingest";
import { ClosedLoopLogistic, PriorHeuristic } from "../src/model";
import { rankingMetrics } from "../src/evaluate/ranking";

const MIN = 60_000;

/**
 * Train window: A completed 9/10, B 1/4 (banned), C played once, D (artist Z, no labels
 * anywhere) and F (artist X) twice each without end reasons; test: A and E completed.
 */
function fixture() {
  const rows: PlayInput[] = [];
  let t = Date.parse("2024-01-01T08:00:00Z");
  const add = (track: string, artist: string, reasonEnd: string | null) => {
    rows.push({ start: t, msPlayed: 3 * MIN, track, artist, album: `${track}-album`, reasonEnd });
    t += 5 * MIN;
  };
  for (let k = 0; k < 10; k++) add("A", "X", k === 3 ? "fwdbtn" : "trackdone");
  for (let k = 0; k < 4; k++) add("B", "Y", k === 0 ? "trackdone" : "fwdbtn");
  add("C", "X", "trackdone");
  add("D", "Z", null);
  add("D", "Z", null);
  add("F", "X", null);
  add("F", "X", null);
  for (let k = 0; k < 4; k++) add("A", "X", "trackdone");
  add("E", "Y", "trackdone");
  const data = makeData(rows, {
    account: {
      libraryTracks: [
        { uri: "spotify:track:L", track: "L", artist: "X", album: "L-album" }, // artist with evidence
        { uri: "spotify:track:M", track: "M", artist: "Nobody", album: null }, // no evidence anywhere
        { uri: "spotify:track:A", track: "A", artist: "X", album: null }, // already in history
      ],
      bannedTrackUris: ["spotify:track:B"],
    },
  });
  const split = chronologicalSplit(data.plays, { testFraction: 5 / 21, validationFraction: 0 });
  const builder = new FeatureBuilder({ timeZone: "UTC" }).fit(data, split);
  return { data, split, builder };
}

const constant = (p: number) => (_X: Float64Array, rows: number) => new Float64Array(rows).fill(p);

test("resume playlist: evidence columns, library tracks, no track ranks on a default", () => {
  const { data, split, builder } = fixture();
  assert.equal(split.counts.test, 5);
  const pl = buildResumePlaylist({ data, split, builder, predict: constant(0.5), minPlays: 2 });
  const uris = pl.rows.map((r) => r.spotify_track_uri);
  // F and L tie on score and prediction: the URI decides
  assert.deepEqual(uris, ["spotify:track:A", "spotify:track:F", "spotify:track:L"]);
  // B banned, C below minPlays, D and M without any evidence of their own or their artist's
  assert.deepEqual(pl.excluded, { belowMinPlays: 1, noEvidence: 2, banned: 1 });
  const [a, f, l] = pl.rows;
  assert.equal(a.rank, 1);
  assert.equal(a.source, "history");
  assert.deepEqual([a.train_plays, a.train_labelled_plays, a.train_completions], [10, 10, 9]);
  assert.equal(a.observed_completion_rate, 0.9);
  assert.ok(Math.abs(a.confidence_weighted_score - (9 + 5 * 0.5) / 15) < 1e-12);
  assert.match(a.reason, /completed 9 of 10 plays; artist completion 91% over 11 plays/);
  assert.equal(f.observed_completion_rate, null); // no labelled plays of its own, kept through its artist
  assert.match(f.reason, /played 2 times without a recorded end reason; artist completion 91%/);
  assert.equal(l.source, "library");
  assert.equal(l.train_plays, 0);
  assert.equal(l.confidence_weighted_score, 0.5);
  assert.match(l.reason, /in your library/);
  assert.equal(a.album, "A-album");
});

test("a track without labelled plays and without artist evidence is excluded, never scored 1.0", () => {
  const { data, split, builder } = fixture();
  const pl = buildResumePlaylist({ data, split, builder, predict: constant(0.99) });
  for (const r of pl.rows) {
    assert.ok(r.train_labelled_plays > 0 || r.artist_labelled_plays > 0, r.spotify_track_uri);
    assert.ok(r.confidence_weighted_score < 1);
  }
});

test("ranking follows the model and is deterministic under ties", () => {
  const { data, split, builder } = fixture();
  const j = builder.layout().names.indexOf("track_train_skip_rate");
  // a model that believes the track prior: p = 1 - prior skip rate
  const predict = (X: Float64Array, rows: number, cols: number) => Float64Array.from({ length: rows }, (_, r) => 1 - X[r * cols + j]);
  const a = buildResumePlaylist({ data, split, builder, predict, includeLibrary: false, minPlays: 1 });
  const b = buildResumePlaylist({ data, split, builder, predict, includeLibrary: false, minPlays: 1 });
  assert.deepEqual(a.rows, b.rows);
  assert.equal(a.rows[0].spotify_track_uri, "spotify:track:A");
  for (let k = 1; k < a.rows.length; k++) assert.ok(a.rows[k - 1].confidence_weighted_score >= a.rows[k].confidence_weighted_score);
  const tie = buildResumePlaylist({ data, split, builder, predict: constant(0.5), includeLibrary: false, minPlays: 1 });
  const c = tie.rows.find((r) => r.spotify_track_uri === "spotify:track:C");
  assert.ok(c && c.confidence_weighted_score === (1 + 2.5) / 6);
  assert.throws(() => buildResumePlaylist({ data, split, builder, predict: constant(2) }), /probability/);
});

test("hit rate: recall and precision against completed test tracks, with a popularity baseline", () => {
  const { data, split, builder } = fixture();
  const pl = buildResumePlaylist({ data, split, builder, predict: constant(0.5) });
  const hr = recommendationHitRate({ playlist: pl, data, split, n: 2 });
  assert.equal(hr.testCompletedTracks, 2); // A, E
  assert.deepEqual([hr.model.hits, hr.model.recall.value, hr.model.precision.value], [1, 0.5, 0.5]);
  assert.deepEqual(popularityList(data, split.validationEndMs, 2), ["spotify:track:A", "spotify:track:B"]);
  assert.deepEqual([hr.popularity.hits, hr.popularity.recall.value], [1, 0.5]);
  // Every labelled test play of a listed track counts; all test plays here were completed.
  let testPlaysOfA = 0;
  for (let i = 0; i < data.plays.length; i++) if (split.role[i] === 2 && data.plays.trackUri.values[data.plays.trackUri.codes[i]] === "spotify:track:A") testPlaysOfA++;
  assert.ok(testPlaysOfA > 0);
  assert.equal(hr.popularity.testPlays, testPlaysOfA); // B has no test plays
  assert.equal(hr.popularity.testCompletionRate.value, 1);
  const empty = recommendationHitRate({ playlist: [], data, split, n: 5 });
  assert.equal(empty.model.precision.value, null);
  assert.match(empty.model.precision.reason ?? "", /empty/);
  assert.equal(empty.model.testCompletionRate.value, null);
});

test("within test sessions, a logistic model on the point-in-time features ranks completions ahead of the prior heuristic (NDCG@5, MAP@5)", () => {
  // three generated exports of 10k plays (~90 eligible test sessions each; never data-sample alone); the mean over them
  const sums = { model: { ndcg: 0, map: 0 }, heuristic: { ndcg: 0, map: 0 } };
  const seeds = [1, 2, 3];
  for (const seed of seeds) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rank-"));
    try {
      generateExport({ outDir: dir, musicPlays: 10_000, seed, pii: false });
      const ing = ingestExport({ export: dir });
      const data = { plays: ing.plays, account: ing.account, tech: ing.tech };
      const split = chronologicalSplit(data.plays);
      const F = new FeatureBuilder().fitTransform(data, split);
      const rows = (role: number) => Array.from({ length: F.rows }, (_, r) => r).filter((r) => F.role[r] === role);
      const take = (rs: number[]) => {
        const X = new Float64Array(rs.length * F.cols);
        rs.forEach((r, k) => X.set(F.X.subarray(r * F.cols, (r + 1) * F.cols), k * F.cols));
        return X;
      };
      const train = rows(0);
      const test = rows(2);
      const model = new ClosedLoopLogistic({ l2: 1e-3 }).fit(take(train), Float64Array.from(train, (r) => F.y[r]));
      const Xt = take(test);
      const y = Float64Array.from(test, (r) => F.y[r]);
      const sessionId = Int32Array.from(test, (r) => F.sessionId[r]);
      const m = rankingMetrics({ sessionId, y, score: model.predictProba(Xt) }, { ks: [5] });
      const h = rankingMetrics({ sessionId, y, score: new PriorHeuristic(F.names).predictProba(Xt) }, { ks: [5] });
      assert.ok(m.eligibleSessions >= 50, `seed ${seed}: ${m.eligibleSessions} sessions`);
      sums.model.ndcg += m.metrics["ndcg@5"].value as number;
      sums.model.map += m.metrics["map@5"].value as number;
      sums.heuristic.ndcg += h.metrics["ndcg@5"].value as number;
      sums.heuristic.map += h.metrics["map@5"].value as number;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.ok(sums.model.ndcg > sums.heuristic.ndcg, `NDCG@5 ${sums.model.ndcg / 3} vs heuristic ${sums.heuristic.ndcg / 3}`);
  assert.ok(sums.model.map > sums.heuristic.map, `MAP@5 ${sums.model.map / 3} vs heuristic ${sums.heuristic.map / 3}`);
});
