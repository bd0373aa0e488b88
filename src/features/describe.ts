/**
 * Notebook helpers: per-column summaries and column → group lookup.
 */
import type { FeatureGroup, FeatureSet } from "./types";

export interface FeatureSummaryRow {
  name: string;
  group: FeatureGroup;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** Share of rows where the value is not 0. */
  nonZero: number | null;
}

/** Group of a column by its name (for FeatureSets without `groups`). */
export function groupOf(name: string): FeatureGroup {
  if (name.startsWith("leak_")) return "leaky";
  if (/^(hour_|daypart=|dow_|is_weekend|month_)/.test(name)) return "time";
  if (/^(session_|is_session_start|recent_skip_rate|prev_end_reason=|gap_since_prev|device_run_|is_device_run_start)/.test(name)) return "session";
  if (/^(track_|artist_|is_first_play)/.test(name)) return "behaviour";
  if (/^(in_library|playlists_)/.test(name)) return "account";
  if (/_24h$/.test(name)) return "reliability";
  return "context";
}

/** Column name → group, for every column of `fs`. */
export function featureGroups(fs: Pick<FeatureSet, "names"> & Partial<Pick<FeatureSet, "groups">>): Record<string, FeatureGroup> {
  const out: Record<string, FeatureGroup> = {};
  fs.names.forEach((name, j) => {
    out[name] = fs.groups?.[j] ?? groupOf(name);
  });
  return out;
}

/**
 * Mean / std (population) / min / max / share non-zero of each column, over all rows
 * or only rows with `role` (0 train, 1 validation, 2 test). Nulls when no row qualifies.
 */
export function describeFeatures(fs: FeatureSet, options: { role?: number } = {}): FeatureSummaryRow[] {
  const { cols, rows, X } = fs;
  const sum = new Float64Array(cols);
  const sq = new Float64Array(cols);
  const nz = new Float64Array(cols);
  const min = new Float64Array(cols).fill(Infinity);
  const max = new Float64Array(cols).fill(-Infinity);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (options.role !== undefined && fs.role[r] !== options.role) continue;
    count++;
    const base = r * cols;
    for (let j = 0; j < cols; j++) {
      const v = X[base + j];
      sum[j] += v;
      sq[j] += v * v;
      if (v !== 0) nz[j]++;
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  const groups = featureGroups(fs);
  return fs.names.map((name, j) => {
    if (count === 0) return { name, group: groups[name], mean: null, std: null, min: null, max: null, nonZero: null };
    const mean = sum[j] / count;
    return {
      name,
      group: groups[name],
      mean,
      std: Math.sqrt(Math.max(0, sq[j] / count - mean * mean)),
      min: min[j],
      max: max[j],
      nonZero: nz[j] / count,
    };
  });
}
