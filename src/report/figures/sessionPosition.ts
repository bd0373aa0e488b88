import { COLORS, frame, HEIGHT, rateAxis, VlSpec, WIDTH } from "./common";
import type { SessionRow } from "./types";

export const FILE = "completion_by_session_position.svg";
export const TITLE = "Completion rate by session position";

/** Bars: plays per session-position bucket (right axis); line: completion rate (left axis). */
export function sessionPositionSpec(rows: SessionRow[]): VlSpec {
  return {
    ...frame(TITLE, "line: completion rate · bars: plays · position 1 = first play of a session"),
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    encoding: {
      x: { field: "bucket", type: "ordinal", title: "Position in session", sort: null, scale: { domain: rows.map((r) => r.bucket) }, axis: { labelAngle: 0 } },
    },
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
