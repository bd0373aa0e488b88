/**
 * Offline check of a resume playlist against the test window: of the distinct tracks
 * the listener COMPLETED there, how many did the top-N list contain (recall@N / hit
 * rate), and how much of the list was completed (precision@N)? The same for a
 * popularity baseline (top-N training-window play counts) so the pipeline can tell
 * whether the model adds anything over "play the most played again".
 */
import type { Metric } from "../evaluate/metrics";
import type { FeatureData, SplitPlan } from "../features/types";
import type { ResumePlaylist, ResumePlaylistRow } from "./playlist";

export interface ListScore {
  /** Tracks in the list (≤ n). */
  listLength: number;
  hits: number;
  /** hits / distinct completed test tracks. */
  recall: Metric;
  /** hits / listLength. */
  precision: Metric;
  /** Labelled test-window plays of the listed tracks. */
  testPlays: number;
  /**
   * Completion rate of those plays: what the list is ranked by ("will I finish it?"),
   * whereas recall rewards lists of tracks that get replayed at all.
   */
  testCompletionRate: Metric;
}

export interface HitRateResult {
  n: number;
  /** Distinct tracks with a completed play in the test window. */
  testCompletedTracks: number;
  model: ListScore;
  popularity: ListScore;
}

/** Top-n track URIs by plays started before `endMs` (ties by URI). */
export function popularityList(data: FeatureData, endMs: number, n: number): string[] {
  const p = data.plays;
  const counts = new Int32Array(p.trackUri.values.length);
  for (let i = 0; i < p.length && p.startMs[i] < endMs; i++) {
    const t = p.trackUri.codes[i];
    if (t >= 0) counts[t]++;
  }
  const byUri = new Map<string, number>();
  p.trackUri.values.forEach((u, t) => {
    if (counts[t] > 0) byUri.set(u, (byUri.get(u) ?? 0) + counts[t]);
  });
  return Array.from(byUri.entries())
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([u]) => u);
}

interface TestOutcomes {
  /** Distinct tracks with a completed test play. */
  completed: Set<string>;
  /** Per track: [labelled test plays, completed test plays]. */
  plays: Map<string, [number, number]>;
}

function score(list: string[], test: TestOutcomes): ListScore {
  const { completed } = test;
  let hits = 0;
  let plays = 0;
  let done = 0;
  for (const u of list) {
    if (completed.has(u)) hits++;
    const outcome = test.plays.get(u);
    if (outcome) {
      plays += outcome[0];
      done += outcome[1];
    }
  }
  return {
    testPlays: plays,
    testCompletionRate: plays === 0 ? { value: null, reason: "no listed track was played (with a label) in the test window" } : { value: done / plays },
    listLength: list.length,
    hits,
    recall: completed.size === 0 ? { value: null, reason: "no completed plays in the test window" } : { value: hits / completed.size },
    precision: list.length === 0 ? { value: null, reason: "the list is empty" } : { value: hits / list.length },
  };
}

export function recommendationHitRate(options: {
  playlist: ResumePlaylist | ResumePlaylistRow[];
  data: FeatureData;
  split: SplitPlan;
  n?: number;
}): HitRateResult {
  const rows = Array.isArray(options.playlist) ? options.playlist : options.playlist.rows;
  const n = options.n ?? rows.length;
  const { data, split } = options;
  const p = data.plays;
  const test: TestOutcomes = { completed: new Set<string>(), plays: new Map() };
  for (let i = 0; i < p.length; i++) {
    const t = p.trackUri.codes[i];
    if (split.role[i] !== 2 || t < 0) continue;
    const uri = p.trackUri.values[t];
    const outcome = test.plays.get(uri) ?? [0, 0];
    outcome[0]++;
    outcome[1] += p.completed[i];
    test.plays.set(uri, outcome);
    if (p.completed[i] === 1) test.completed.add(uri);
  }
  const modelList = rows
    .slice()
    .sort((a, b) => a.rank - b.rank)
    .slice(0, n)
    .map((r) => r.spotify_track_uri);
  return {
    n,
    testCompletedTracks: test.completed.size,
    model: score(modelList, test),
    popularity: score(popularityList(data, split.validationEndMs, n), test),
  };
}
