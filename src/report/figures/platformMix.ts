import { COLORS, frame, fmtPct, VlSpec, WIDTH } from "./common";
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
  return {
    ...frame(TITLE, "plays per platform family · label: share of plays and completion rate"),
    width: WIDTH - 200,
    height: { step: 26 },
    data: { values },
    layer: [
      { mark: { type: "bar", color: COLORS.line }, encoding: { y, x: { field: "plays", type: "quantitative", title: "Plays" } } },
      {
        mark: { type: "text", align: "left", dx: 4, fontSize: 10, color: "#333" },
        encoding: { y, x: { field: "plays", type: "quantitative" }, text: { field: "label" } },
      },
    ],
  };
}
