import { COLORS, frame, HEIGHT, VlSpec, WIDTH } from "./common";
import type { HistogramBin } from "./types";

export const FILE = "prediction_distribution.svg";
export const TITLE = "Prediction score distribution (completed vs skipped)";

/** Overlaid histograms of the primary model's p_complete, one colour per outcome. */
export function predictionDistributionSpec(bins: HistogramBin[], model: string, split: string): VlSpec {
  return {
    ...frame(TITLE, `${model} on ${split} plays`),
    width: WIDTH,
    height: HEIGHT,
    data: { values: bins },
    mark: { type: "bar", opacity: 0.6, binSpacing: 1 },
    encoding: {
      x: { field: "bin_start", type: "quantitative", bin: { binned: true, step: 0.05 }, title: "Predicted completion probability", scale: { domain: [0, 1] } },
      x2: { field: "bin_end" },
      y: { field: "count", type: "quantitative", stack: null, title: "Plays" },
      color: {
        field: "outcome",
        type: "nominal",
        title: "Outcome",
        scale: { domain: ["completed", "skipped"], range: [COLORS.completed, COLORS.skipped] },
      },
    },
  };
}
