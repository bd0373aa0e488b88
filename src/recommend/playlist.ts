/**
 * The "resume playlist": tracks from the listener's TRAINING window (plays started
 * before the test window) ranked by expected completion, with the evidence behind
 * each score.
 *
 * No track ranks on a default of 1.0: a candidate needs labelled plays of its own or of
 * its artist in the training window, otherwise it is left out (and counted in
 * `excluded.noEvidence`).
 *
 * Score: the model's calibrated probability for a representative next play of the
 * track at the end of the window (see features/probe.ts: the track's and artist's as-of
 * standing then, i.e. every outcome known by the window end, recency-weighted rates and
 * residual estimates included, not just the training-slice priors), blended with the
 * track's own record like a Beta
 * posterior whose prior mean is the prediction and prior weight k:
 *   confidence_weighted_score = (completions + k·predicted) / (labelled plays + k).
 * A track finished 9 of 10 times keeps most of its record; a library track never
 * played scores its prediction (which itself leans on the artist prior).
 */
import type { FeatureBuilder } from "../features/builder";
import { representativeRows, type ProbeBasis, type ProbeCandidate, type RepresentativeContext } from "../features/probe";
import type { FeatureData, FeatureSet, SplitPlan } from "../features/types";

/** Calibrated P(completed) for X [rows * cols] → [rows]. */
export type PredictFn = (X: Float64Array, rows: number, cols: number) => Float64Array;

export interface ResumePlaylistRow {
  rank: number;
  spotify_track_uri: string;
  track: string | null;
  artist: string | null;
  album: string | null;
  source: "history" | "library";
  /** Plays started in the training window (labelled or not). */
  train_plays: number;
  /** Of those, plays with a known end reason. */
  train_labelled_plays: number;
  train_completions: number;
  /** completions / labelled plays; null when no labelled plays. */
  observed_completion_rate: number | null;
  /** Artist's completion rate over its labelled training-window plays; null when none. */
  artist_completion_rate: number | null;
  artist_labelled_plays: number;
  predicted_completion: number;
  confidence_weighted_score: number;
  reason: string;
}

export interface ResumePlaylistOptions {
  data: FeatureData;
  split: SplitPlan;
  /** A FeatureBuilder fitted on `split`. */
  builder: FeatureBuilder;
  predict: PredictFn;
  topN?: number;
  /** History tracks need at least this many training-window plays. Default 2. */
  minPlays?: number;
  /** Weight k of the prediction in the blended score. Default 5. */
  priorWeight?: number;
  /** Add never-played library tracks (with artist evidence). Default true. */
  includeLibrary?: boolean;
  /** The non-leaky FeatureSet of `builder` (saves recomputing it for the representative context). */
  features?: FeatureSet;
  /** What the representative rows take from that FeatureSet (`probeBasis`), when known: its matrix is then not read. */
  basis?: ProbeBasis;
}

export interface ResumePlaylist {
  rows: ResumePlaylistRow[];
  /** The representative context the predictions were made in. */
  context: RepresentativeContext;
  /** Plays starting before this (ISO) formed the evidence. */
  windowEnd: string;
  candidates: number;
  excluded: { belowMinPlays: number; noEvidence: number; banned: number };
}

interface Candidate {
  uri: string;
  track: string | null;
  artist: string | null;
  album: string | null;
  source: "history" | "library";
  plays: number;
  labelled: number;
  completions: number;
  artistLabelled: number;
  artistCompletions: number;
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

function reasonFor(c: Candidate, predicted: number): string {
  const artist =
    c.artistLabelled > 0 ? `artist completion ${pct(c.artistCompletions / c.artistLabelled)} over ${c.artistLabelled} plays` : "no artist history";
  if (c.source === "library") return `in your library, not played yet; ${artist}; model ${pct(predicted)}`;
  const own =
    c.labelled > 0
      ? `completed ${c.completions} of ${c.labelled} plays`
      : `played ${c.plays} times without a recorded end reason`;
  return `${own}; ${artist}`;
}

/** Training-window statistics per track and artist code of the play table. */
function windowStats(data: FeatureData, endMs: number) {
  const p = data.plays;
  const T = p.trackUri.values.length;
  const A = p.artistName.values.length;
  const plays = new Int32Array(T);
  const labelled = new Int32Array(T);
  const completions = new Int32Array(T);
  const lastRow = new Int32Array(T).fill(-1);
  const artistLabelled = new Int32Array(A);
  const artistCompletions = new Int32Array(A);
  for (let i = 0; i < p.length && p.startMs[i] < endMs; i++) {
    const t = p.trackUri.codes[i];
    const a = p.artistName.codes[i];
    const y = p.completed[i];
    if (t >= 0) {
      plays[t]++;
      lastRow[t] = i;
      if (y >= 0) {
        labelled[t]++;
        completions[t] += y;
      }
    }
    if (a >= 0 && y >= 0) {
      artistLabelled[a]++;
      artistCompletions[a] += y;
    }
  }
  return { plays, labelled, completions, lastRow, artistLabelled, artistCompletions };
}

/** Ranked resume playlist (see module comment). Deterministic: ties by prediction, evidence, then URI. */
export function buildResumePlaylist(options: ResumePlaylistOptions): ResumePlaylist {
  const { data, split, builder, predict } = options;
  const topN = options.topN ?? 50;
  const minPlays = options.minPlays ?? 2;
  const k = options.priorWeight ?? 5;
  const p = data.plays;
  const endMs = split.validationEndMs;
  const w = windowStats(data, endMs);
  const banned = new Set(data.account.bannedTrackUris);
  const artistIndex = new Map(p.artistName.values.map((v, c) => [v, c] as [string, number]));
  const artistEvidence = (name: string | null) => {
    const c = name === null ? undefined : artistIndex.get(name);
    return c === undefined ? { labelled: 0, completions: 0 } : { labelled: w.artistLabelled[c], completions: w.artistCompletions[c] };
  };
  const name = (col: typeof p.trackName, row: number): string | null => {
    const c = col.codes[row];
    return c < 0 ? null : col.values[c];
  };

  const excluded = { belowMinPlays: 0, noEvidence: 0, banned: 0 };
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  p.trackUri.values.forEach((uri, t) => {
    if (w.plays[t] === 0 || seen.has(uri)) return;
    seen.add(uri);
    if (banned.has(uri)) return void excluded.banned++;
    if (w.plays[t] < minPlays) return void excluded.belowMinPlays++;
    const row = w.lastRow[t];
    const artist = name(p.artistName, row);
    const ev = artistEvidence(artist);
    if (w.labelled[t] === 0 && ev.labelled === 0) return void excluded.noEvidence++;
    candidates.push({
      uri, track: name(p.trackName, row), artist, album: name(p.albumName, row), source: "history",
      plays: w.plays[t], labelled: w.labelled[t], completions: w.completions[t],
      artistLabelled: ev.labelled, artistCompletions: ev.completions,
    });
  });
  if (options.includeLibrary ?? true) {
    for (const lt of data.account.libraryTracks) {
      if (!lt.uri || seen.has(lt.uri)) continue;
      seen.add(lt.uri);
      if (banned.has(lt.uri)) {
        excluded.banned++;
        continue;
      }
      const ev = artistEvidence(lt.artist);
      if (ev.labelled === 0) {
        excluded.noEvidence++;
        continue;
      }
      candidates.push({
        uri: lt.uri, track: lt.track, artist: lt.artist, album: lt.album, source: "library",
        plays: 0, labelled: 0, completions: 0, artistLabelled: ev.labelled, artistCompletions: ev.completions,
      });
    }
  }

  const probe = representativeRows(
    builder, data, split,
    candidates.map((c): ProbeCandidate => ({ trackUri: c.uri, artist: c.artist })),
    { features: options.features, basis: options.basis, atMs: endMs },
  );
  const predicted = candidates.length ? predict(probe.X, probe.rows, probe.cols) : new Float64Array(0);
  if (predicted.length !== candidates.length) {
    throw new Error(`predict returned ${predicted.length} values for ${candidates.length} rows`);
  }
  const scored = candidates.map((c, r) => {
    const pr = predicted[r];
    if (!(pr >= 0 && pr <= 1)) throw new Error(`predict returned ${pr} for ${c.uri}: expected a probability`);
    return { c, pr, score: (c.completions + k * pr) / (c.labelled + k) };
  });
  scored.sort(
    (a, b) => b.score - a.score || b.pr - a.pr || b.c.labelled - a.c.labelled || (a.c.uri < b.c.uri ? -1 : a.c.uri > b.c.uri ? 1 : 0),
  );
  const rows = scored.slice(0, topN).map(({ c, pr, score }, r): ResumePlaylistRow => ({
    rank: r + 1,
    spotify_track_uri: c.uri,
    track: c.track,
    artist: c.artist,
    album: c.album,
    source: c.source,
    train_plays: c.plays,
    train_labelled_plays: c.labelled,
    train_completions: c.completions,
    observed_completion_rate: c.labelled > 0 ? c.completions / c.labelled : null,
    artist_completion_rate: c.artistLabelled > 0 ? c.artistCompletions / c.artistLabelled : null,
    artist_labelled_plays: c.artistLabelled,
    predicted_completion: pr,
    confidence_weighted_score: score,
    reason: reasonFor(c, pr),
  }));
  return { rows, context: probe.context, windowEnd: new Date(endMs).toISOString(), candidates: candidates.length, excluded };
}
