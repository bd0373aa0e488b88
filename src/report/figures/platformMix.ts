import { COLORS, fmtPct, labelledBarsSpec, VlSpec, WIDTH } from "./common";
import type { PlatformRow } from "./types";

export const FILE = "platform_mix.svg";
export const TITLE = "Platform mix";

/** Plays per platform family, labelled with share of plays and completion rate. */
export function platformMixSpec(rows: PlatformRow[]): VlSpec {
  const values = rows.map((r) => ({
    ...r,
    label: `${fmtPct(r.share)} of plays · ${r.completion_rate === null ? "no labels" : fmtPct(r.completion_rate) + " completed"}`,
  }));
  const y = { field: "platform_family", type: "nominal" as const, title: "Platform family", sort: null, scale: { domain: rows.map((r) => r.platform_family) } };
  return labelledBarsSpec({
    title: TITLE,
    subtitle: "plays per platform family · label: share of plays and completion rate",
    width: WIDTH - 200,
    step: 26,
    values,
    y,
    x: { field: "plays", type: "quantitative", title: "Plays" },
    barColor: COLORS.line,
    label: { dx: 4, fontSize: 10 },
  });
}
