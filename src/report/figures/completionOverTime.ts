import { COLORS, frame, HEIGHT, rateAxis, VlSpec, WIDTH } from "./common";
import type { MonthRow } from "./types";

export const FILE = "completion_over_time.svg";
export const TITLE = "Completion rate and plays by month";

/**
 * Bars: plays per month, grey where the month has no labelled plays; line: monthly completion
 * rate, broken (a gap) across months without labels.
 */
export function completionOverTimeSpec(rows: MonthRow[]): VlSpec {
  const x = { field: "month", type: "temporal" as const, timeUnit: "utcyearmonth" as const, title: "Month (UTC)" };
  return {
    ...frame(TITLE, "line: completion rate (gap = no labels) · bars: plays, grey = month without labels"),
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows, format: { parse: { month: "utc:'%Y-%m'" } } },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x,
          y: { field: "plays", type: "quantitative", title: "Plays", axis: { orient: "right" } },
          color: {
            field: "status",
            type: "nominal",
            title: "Month",
            scale: { domain: ["labelled", "no labels"], range: [COLORS.plays, COLORS.noLabels] },
          },
        },
      },
      {
        mark: { type: "line", color: COLORS.line, point: { color: COLORS.line }, invalid: "break-paths-filter-domains" },
        encoding: {
          x: { ...x, bandPosition: 0.5 },
          y: { field: "completion_rate", type: "quantitative", axis: rateAxis("Completion rate"), scale: { domain: [0, 1] } },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  };
}
