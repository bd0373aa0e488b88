import { COLORS, frame, HEIGHT, rateAxis, VlSpec, WIDTH } from "./common";
import type { HourRow } from "./types";

export const FILE = "completion_rate_by_hour.svg";
export const TITLE = "Completion rate by local hour";

/** Bars: plays per local hour (right axis); line: completion rate (left axis). */
export function completionByHourSpec(rows: HourRow[]): VlSpec {
  return {
    ...frame(TITLE, "line: completion rate of labelled plays · bars: plays"),
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    encoding: { x: { field: "hour", type: "ordinal", title: "Local hour", axis: { labelAngle: 0 } } },
    layer: [
      {
        mark: { type: "bar", color: COLORS.plays },
        encoding: { y: { field: "plays", type: "quantitative", title: "Plays", axis: { orient: "right" } } },
      },
      {
        mark: { type: "line", color: COLORS.line, point: { color: COLORS.line }, invalid: "break-paths-filter-domains" },
        encoding: {
          y: { field: "completion_rate", type: "quantitative", axis: rateAxis("Completion rate"), scale: { domain: [0, 1] } },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  };
}
