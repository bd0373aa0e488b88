import { COLORS, labelledBarsSpec, rateAxis, VlSpec, WIDTH } from "./common";
import type { ArtistRow } from "./types";

export const FILE = "top_artists_completion_rate.svg";
export const TITLE = "Completion rate for most played artists";

/** Horizontal bars: completion rate of the most played artists (ordered by plays), play counts as labels. */
export function topArtistsSpec(rows: ArtistRow[]): VlSpec {
  const values = rows.map((r) => ({ ...r, label: `${r.plays} plays` }));
  const y = { field: "artist", type: "nominal" as const, title: null, sort: null, scale: { domain: rows.map((r) => r.artist) } };
  return labelledBarsSpec({
    title: TITLE,
    subtitle: `top ${rows.length} artists by plays · label: plays`,
    width: WIDTH - 160,
    step: 22,
    values,
    y,
    x: { field: "completion_rate", type: "quantitative", axis: rateAxis("Completion rate"), scale: { domain: [0, 1] } },
    barColor: COLORS.completed,
    label: { dx: 4, fontSize: 10 },
  });
}
