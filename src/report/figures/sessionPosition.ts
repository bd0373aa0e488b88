import { playsAndRateSpec, VlSpec } from "./common";
import type { SessionRow } from "./types";

export const FILE = "completion_by_session_position.svg";
export const TITLE = "Completion rate by session position";

/** Bars: plays per session-position bucket (right axis); line: completion rate (left axis). */
export function sessionPositionSpec(rows: SessionRow[]): VlSpec {
  return playsAndRateSpec(TITLE, "line: completion rate · bars: plays · position 1 = first play of a session", rows, {
    field: "bucket", type: "ordinal", title: "Position in session", sort: null, scale: { domain: rows.map((r) => r.bucket) }, axis: { labelAngle: 0 },
  });
}
