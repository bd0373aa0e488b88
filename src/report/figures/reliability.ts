import { COLORS, frame, VlSpec, WIDTH } from "./common";
import type { ReliabilityBin } from "./types";

export const FILE = "reliability_diagram.svg";
export const TITLE = "Reliability diagram (calibration)";

/** Top: observed completion rate vs mean predicted per bin, with the y = x diagonal. Bottom: plays per bin. */
export function reliabilitySpec(bins: ReliabilityBin[], model: string, split: string): VlSpec {
  const side = Math.min(WIDTH, 420);
  const axis01 = { domain: [0, 1] };
  return {
    ...frame(TITLE, `${model} on ${split} plays · ${bins.length} equal-width bins · point size: plays`),
    vconcat: [
      {
        width: side,
        height: side,
        layer: [
          {
            data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
            mark: { type: "line", color: "#999", strokeDash: [4, 4] },
            encoding: {
              x: { field: "x", type: "quantitative", scale: axis01, title: "Mean predicted probability" },
              y: { field: "y", type: "quantitative", scale: axis01, title: "Observed completion rate" },
            },
          },
          {
            data: { values: bins.filter((b) => b.count > 0) },
            mark: { type: "line", color: COLORS.line, point: false },
            encoding: {
              x: { field: "mean_predicted", type: "quantitative" },
              y: { field: "observed_rate", type: "quantitative" },
            },
          },
          {
            data: { values: bins.filter((b) => b.count > 0) },
            mark: { type: "circle", color: COLORS.line, opacity: 0.9 },
            encoding: {
              x: { field: "mean_predicted", type: "quantitative" },
              y: { field: "observed_rate", type: "quantitative" },
              size: { field: "count", type: "quantitative", title: "Plays in bin", scale: { range: [20, 400] } },
            },
          },
        ],
      },
      {
        width: side,
        height: 90,
        data: { values: bins },
        mark: { type: "bar", color: COLORS.plays, binSpacing: 1 },
        encoding: {
          x: { field: "bin_start", type: "quantitative", bin: { binned: true, step: 1 / bins.length }, title: "Predicted probability bin", scale: axis01 },
          x2: { field: "bin_end" },
          y: { field: "count", type: "quantitative", title: "Plays" },
        },
      },
    ],
  };
}
