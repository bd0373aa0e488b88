import { frame, VlSpec } from "./common";
import { DAY_NAMES } from "./data";
import type { HeatCell } from "./types";

export const FILE = "hour_weekday_heatmap.svg";
export const TITLE = "Completion rate by weekday and local hour";

/** Weekday × hour grid coloured by completion rate; cells without labelled plays stay blank. */
export function hourWeekdaySpec(cells: HeatCell[]): VlSpec {
  return {
    ...frame(TITLE, "colour: completion rate of labelled plays · blank: no labelled plays"),
    width: { step: 26 },
    height: { step: 26 },
    data: { values: cells.filter((c) => c.completion_rate !== null) },
    mark: { type: "rect", stroke: "white", strokeWidth: 1 },
    encoding: {
      x: { field: "hour", type: "ordinal", title: "Local hour", scale: { domain: Array.from({ length: 24 }, (_, h) => h) }, axis: { labelAngle: 0 } },
      y: { field: "day", type: "ordinal", title: null, scale: { domain: DAY_NAMES } },
      color: { field: "completion_rate", type: "quantitative", title: "Completion", scale: { scheme: "viridis", domain: [0, 1] }, legend: { format: ".0%" } },
    },
  };
}
