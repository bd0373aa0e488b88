import { playsAndRateSpec, VlSpec } from "./common";
import type { HourRow } from "./types";

export const FILE = "completion_rate_by_hour.svg";
export const TITLE = "Completion rate by local hour";

/** Bars: plays per local hour (right axis); line: completion rate (left axis). */
export function completionByHourSpec(rows: HourRow[]): VlSpec {
  return playsAndRateSpec(TITLE, "line: completion rate of labelled plays · bars: plays", rows, {
    field: "hour", type: "ordinal", title: "Local hour", axis: { labelAngle: 0 },
  });
}
