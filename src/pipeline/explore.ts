/**
 * The play table as plain rows for a DataFrame (notebook 01's "ask your own question").
 * A danfojs DataFrame holds every cell as a JavaScript value (~20 columns × 8+ bytes plus
 * the strings, and danfojs copies them per operation), so above `maxRows` plays the rows are
 * a seeded uniform subsample, and the caller says so.
 */
import type { PlayTable } from "../ingest/types";
import { valueAt } from "../ingest/types";
import { mulberry32 } from "../common/rng";

export interface PlayRow {
  start_utc: string;
  year: number;
  track: string | null;
  artist: string | null;
  platform_family: string | null;
  conn_country: string | null;
  reason_end: string | null;
  ms_played: number;
  /** 1 when the export says how the play ended (reason_end known), else 0. */
  labelled: number;
  /** 1 finished, 0 not, null unlabelled. */
  completed: number | null;
}

export interface PlayRows {
  rows: PlayRow[];
  /** Plays in the table; rows.length < total when subsampled. */
  total: number;
  sampled: boolean;
}

/** Every play (or a seeded subsample of `maxRows`, kept in start order) as one object per row. */
export function playRows(plays: PlayTable, options: { maxRows?: number; seed?: number } = {}): PlayRows {
  const { maxRows = 200_000, seed = 42 } = options;
  const n = plays.length;
  let pick: number[];
  if (n <= maxRows) pick = Array.from({ length: n }, (_, i) => i);
  else {
    // A seeded partial Fisher-Yates shuffle picks maxRows indices; then back to start order.
    const rng = mulberry32(seed);
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < maxRows; i++) {
      const j = i + Math.floor(rng() * (n - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    pick = Array.from(idx.subarray(0, maxRows)).sort((a, b) => a - b);
  }
  const rows = pick.map((i) => {
    const start = new Date(plays.startMs[i]);
    return {
      start_utc: start.toISOString(),
      year: start.getUTCFullYear(),
      track: valueAt(plays.trackName, i),
      artist: valueAt(plays.artistName, i),
      platform_family: valueAt(plays.platformFamily, i),
      conn_country: valueAt(plays.connCountry, i),
      reason_end: valueAt(plays.reasonEnd, i),
      ms_played: plays.msPlayed[i],
      labelled: plays.completed[i] < 0 ? 0 : 1,
      completed: plays.completed[i] < 0 ? null : plays.completed[i],
    };
  });
  return { rows, total: n, sampled: rows.length < n };
}
